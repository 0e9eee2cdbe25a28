"""Vector set commands against a real server: VALUES vs FP32, WITHSCORES tuples, filters, VINFO dicts.

They run for real on a server with vector sets (Redis 8); on one known to lack them (Valkey 8.1)
the same tests check that every method refuses before sending and the connection goes on.
"""

from __future__ import annotations

import array
import json
import struct
from typing import Any

import pytest

import txredis_aio as redis
from tests.integration import _cmd_helpers
from tests.integration._cmd_helpers import VARIANT_IDS, VARIANTS, connect, refused, s
from tests.integration.cmd_clients import Recorder

own_server, r = _cmd_helpers.own_server, _cmd_helpers.r  # fixtures: a private server, a pool on it
VS = ("vector sets (VADD, VSIM, ...)", "vadd")  # refused()'s feature and command


async def points(r: Any, key: str = "pts", **kw: Any) -> None:
    """Four 2-d points: a=(1,0), b=(0,1), c=(1,1), d=(-1,0)."""
    for name, vec in (("a", [1, 0]), ("b", [0, 1]), ("c", [1, 1]), ("d", [-1, 0])):
        assert await r.vadd(key, vec, name, **kw) == 1


async def test_vadd_vcard_vdim_vismember_vrem(r) -> None:
    """VADD 1 new / 0 updated; VCARD, VDIM, VISMEMBER (int 1/0) and VREM (1/0) as ints."""
    if await refused(
        r, *VS, lambda: r.vadd("v", [1.0, 2.0], "a"), lambda: r.vcard("v"), lambda: r.vdim("v"),
        lambda: r.vismember("v", "a"), lambda: r.vrem("v", "a"),
    ):
        return
    assert await r.vadd("v", [1.0, 2.0, 3.0], "a") == 1
    assert await r.vadd("v", (0.5, 0.25, 0), "b") == 1
    assert await r.vadd("v", [3, 2, 1], "a") == 0
    assert await r.vcard("v") == 2 and await r.vcard("nokey") == 0
    assert await r.vdim("v") == 3
    assert await r.vismember("v", "a") == 1 and await r.vismember("v", "zz") == 0
    assert await r.vismember("nokey", "a") == 0
    assert await r.execute_command("TYPE", "v") == "vectorset"
    assert await r.vrem("v", "a") == 1 and await r.vrem("v", "a") == 0
    assert await r.vrem("v", "b") == 1 and await r.exists("v") == 0
    with pytest.raises(redis.ResponseError, match="key does not exist"):
        await r.vdim("nokey")
    assert await r.vadd("v2", [1, 2], "x") == 1
    with pytest.raises(redis.ResponseError, match="(?i)dim"):
        await r.vadd("v2", [1, 2, 3], "y")


async def test_fp32_and_values_give_the_same_vemb(r) -> None:
    """A vector sent as VALUES, FP32 bytes or array('f') is stored alike: VEMB (floats) matches."""
    vec = [0.25, -1.5, 3.0, 0.0]
    if await refused(
        r, *VS, lambda: r.vadd("v", struct.pack("<4f", *vec), "a"), lambda: r.vemb("v", "a"),
        lambda: r.vemb("v", "a", raw=True),
    ):
        return
    assert await r.vadd("v", vec, "values", quantization="NOQUANT") == 1
    assert await r.vadd("v", struct.pack("<4f", *vec), "bytes", quantization="NOQUANT") == 1
    assert await r.vadd("v", array.array("f", vec), "array", quantization="NOQUANT") == 1
    embs = [await r.vemb("v", e) for e in ("values", "bytes", "array")]
    assert embs[0] == embs[1] == embs[2]
    assert all(isinstance(x, float) for x in embs[0])
    assert embs[0] == pytest.approx(vec, abs=1e-6)
    quant, blob, norm = await r.vemb("v", "bytes", raw=True)
    assert quant == "f32" and isinstance(blob, bytes) and len(blob) == 16
    assert [x * norm for x in struct.unpack("<4f", blob)] == pytest.approx(vec, abs=1e-6)
    assert await r.vemb("v", "missing") is None and await r.vemb("nokey", "a") is None
    with pytest.raises(redis.ResponseError, match="invalid vector"):
        await r.vadd("v", b"abc", "bad", quantization="NOQUANT")


async def test_quantization_reduce_and_build_options(r) -> None:
    """Q8 (default), BIN and NOQUANT show in VINFO and VEMB RAW; REDUCE, M, EF, CAS are accepted."""
    if await refused(r, *VS, lambda: r.vadd("q", [1, 0], "a", quantization="BIN"), lambda: r.vinfo("q")):
        return
    assert await r.vadd("q8", [1, 0, 0.5], "a") == 1
    assert await r.vadd("bin", [1, -2, 0.5], "a", quantization="bin") == 1
    assert (await r.vinfo("q8"))["quant-type"] == "int8"
    assert (await r.vinfo("bin"))["quant-type"] == "bin"
    quant, blob, norm, rng = await r.vemb("q8", "a", raw=True)
    assert (quant, len(blob)) == ("int8", 3) and isinstance(norm, float) and isinstance(rng, float)
    quant, blob, norm = await r.vemb("bin", "a", raw=True)
    assert quant == "bin" and isinstance(blob, bytes) and norm == pytest.approx(2.2913, abs=1e-3)
    assert await r.vemb("bin", "a") == [1.0, -1.0, 1.0]
    with pytest.raises(redis.ResponseError, match="quantization mismatch"):
        await r.vadd("bin", [1, 1, 1], "b")  # the set's quantization must be repeated
    assert await r.vadd("red", [1, 0, 0, 1], "a", reduce=2, m=8, ef=100, cas=True) == 1
    info = await r.vinfo("red")
    assert await r.vdim("red") == 2
    assert (info["vector-dim"], info["projection-input-dim"], info["hnsw-m"]) == (2, 4, 8)
    assert await r.vsim("red", [1, 0, 0, 1]) == ["a"]  # queries use the full dimension


async def test_vsim_shapes_and_options(r) -> None:
    """VSIM by ELE or vector: members best first, (member, float) with WITHSCORES; COUNT, EF, TRUTH."""
    if await refused(
        r, *VS, lambda: r.vsim("pts", "a", ele=True), lambda: r.vsim("pts", [1, 0], withscores=True),
    ):
        return
    await points(r)
    assert await r.vsim("pts", "a", ele=True) == ["a", "c", "b", "d"]
    got = await r.vsim("pts", [1, 0], withscores=True)
    assert [m for m, _ in got] == ["a", "c", "b", "d"]
    assert all(isinstance(sc, float) for _, sc in got)
    assert got[0] == ("a", 1.0) and got[-1][1] == pytest.approx(0.0, abs=1e-6)
    assert got[2][1] == pytest.approx(0.5, abs=1e-6)
    assert await r.vsim("pts", struct.pack("<2f", 0, 1), count=2) == ["b", "c"]
    assert await r.vsim("pts", array.array("f", [0, 1]), count=1, ef=50, truth=True, nothread=True) == ["b"]
    assert await r.vsim("nokey", [1, 0]) == [] and await r.vsim("nokey", "a", ele=True) == []
    with pytest.raises(redis.ResponseError, match="element not found"):
        await r.vsim("pts", "zz", ele=True)


async def test_attributes_and_filters(r) -> None:
    """SETATTR/VSETATTR take a dict (JSON) or text; VGETATTR gives the text; FILTER selects by it."""
    if await refused(
        r, *VS, lambda: r.vgetattr("pts", "a"), lambda: r.vsetattr("pts", "a", {"x": 1}),
        lambda: r.vsim("pts", [1, 0], filter=".x > 1"),
    ):
        return
    assert await r.vadd("pts", [1, 0], "a", setattr={"year": 1950, "tag": "é"}) == 1
    assert await r.vadd("pts", [0, 1], "b", setattr='{"year": 2001}') == 1
    assert await r.vadd("pts", [1, 1], "c") == 1
    assert json.loads(await r.vgetattr("pts", "a")) == {"year": 1950, "tag": "é"}
    assert await r.vgetattr("pts", "b") == '{"year": 2001}'
    assert await r.vgetattr("pts", "c") is None and await r.vgetattr("pts", "zz") is None
    assert await r.vsetattr("pts", "c", {"year": 1990}) == 1
    assert await r.vsetattr("pts", "zz", {"year": 1}) == 0
    assert await r.vsim("pts", [1, 0], filter=".year > 1960") == ["c", "b"]
    assert await r.vsim("pts", "a", ele=True, filter=".year < 2000", filter_ef=10, withscores=True) == [
        ("a", 1.0), ("c", pytest.approx(0.8535, abs=1e-3))]
    assert await r.vsim("pts", [1, 0], filter='.tag == "é"') == ["a"]
    assert (await r.vinfo("pts"))["attributes-count"] == 3
    assert await r.vsetattr("pts", "a", "") == 1  # empty text removes the attributes
    assert await r.vgetattr("pts", "a") is None
    with pytest.raises(redis.ResponseError, match="FILTER"):
        await r.vsim("pts", [1, 0], filter=".year ==")


async def test_vinfo_vrandmember_vlinks(r) -> None:
    """VINFO a dict with str labels (None if missing); VRANDMEMBER one/list; VLINKS per-level lists."""
    if await refused(
        r, *VS, lambda: r.vinfo("pts"), lambda: r.vrandmember("pts"), lambda: r.vrandmember("pts", 2),
        lambda: r.vlinks("pts", "a"), lambda: r.vlinks("pts", "a", withscores=True),
    ):
        return
    await points(r)
    info = await r.vinfo("pts")
    assert info["size"] == 4 and info["vector-dim"] == 2 and info["quant-type"] == "int8"
    assert {"hnsw-m", "max-level", "attributes-count"} <= set(info)
    assert await r.vinfo("nokey") is None
    assert await r.vrandmember("pts") in ("a", "b", "c", "d")
    assert sorted(await r.vrandmember("pts", 10)) == ["a", "b", "c", "d"]
    assert len(await r.vrandmember("pts", -6)) == 6
    assert await r.vrandmember("nokey") is None and await r.vrandmember("nokey", 3) == []
    levels = await r.vlinks("pts", "a")  # one list per HNSW level the element is on (random)
    assert isinstance(levels, list) and all(isinstance(level, list) for level in levels)
    linked = {m for level in levels for m in level}
    assert linked and linked <= {"b", "c", "d"}
    scored = await r.vlinks("pts", "a", withscores=True)
    assert [[m for m, _ in level] for level in scored] == levels
    similarity = {"b": 0.5, "c": 0.8535, "d": 0.0}  # (1 + cosine) / 2 against a=(1,0)
    for level in scored:
        for m, sc in level:
            assert isinstance(sc, float) and sc == pytest.approx(similarity[m], abs=1e-3)
    assert await r.vlinks("pts", "zz") is None and await r.vlinks("nokey", "a", withscores=True) is None


@pytest.mark.parametrize("convert,charset", VARIANTS, ids=VARIANT_IDS)
async def test_replies_in_every_mode(own_server, convert, charset) -> None:
    """Scores and embeddings are floats, labels str, in every mode; members and text follow charset."""
    async with connect(own_server, convert, charset) as c:
        await c.delete("vs:cv")
        if await refused(c, *VS, lambda: c.vadd("vs:cv", [1, 0], "a"),
                         lambda: c.vsim("vs:cv", "a", ele=True)):
            return
        assert await c.vadd("vs:cv", [1, 0], "a", setattr={"n": 1}) == 1
        assert await c.vadd("vs:cv", [0, 1], "1") == 1
        one = 1 if convert else s("1", charset)  # numeric member names are numbers, as in ZRANGE
        assert await c.vsim("vs:cv", "a", ele=True, withscores=True) == [(s("a", charset), 1.0), (one, 0.5)]
        assert await c.vsim("vs:cv", [0, 1]) == [one, s("a", charset)]
        emb = await c.vemb("vs:cv", "a")
        assert emb == [1.0, 0.0] and all(type(x) is float for x in emb)
        quant, blob, norm, rng = await c.vemb("vs:cv", "a", raw=True)
        assert (quant, type(blob), type(norm), type(rng)) == ("int8", bytes, float, float)
        info = await c.vinfo("vs:cv")
        assert info["quant-type"] == s("int8", charset) and info["size"] == 2
        assert await c.vgetattr("vs:cv", "a") == s('{"n": 1}', charset)
        levels = await c.vlinks("vs:cv", "a")  # the neighbour on each level both share (random)
        assert [one] in levels and all(level in ([], [one]) for level in levels)
        scored = await c.vlinks("vs:cv", "a", withscores=True)
        assert len(scored) == len(levels)
        assert all(p == (one, pytest.approx(0.5, abs=1e-3)) for level in scored for p in level)
        assert await c.vrandmember("vs:cv", 5) in ([s("a", charset), one], [one, s("a", charset)])


async def test_wrong_type_keeps_connection_usable(r) -> None:
    """A vector command on a string raises WrongTypeError; the client goes on."""
    await r.set("str", "x")
    if await refused(r, *VS, lambda: r.vcard("str")):
        return
    with pytest.raises(redis.WrongTypeError, match="^WRONGTYPE"):
        await r.vcard("str")
    with pytest.raises(redis.WrongTypeError):
        await r.vadd("str", [1, 0], "a")
    assert await r.get("str") == "x"


def test_wire_forms() -> None:
    """Numbers go as VALUES n ..., bytes/array('f') as little-endian FP32; options in the server's order."""
    rec = Recorder()
    assert rec.last(rec.vadd("k", [1, 2.5], "e")) == ("VADD", "k", "VALUES", 2, 1.0, 2.5, "e")
    blob = struct.pack("<2f", 1, 2.5)
    assert rec.last(rec.vadd("k", blob, "e")) == ("VADD", "k", "FP32", blob, "e")
    assert rec.last(rec.vadd("k", array.array("f", [1, 2.5]), "e")) == ("VADD", "k", "FP32", blob, "e")
    assert rec.last(rec.vadd(
        "k", [1], "e", reduce=1, cas=True, quantization="q8", ef=9, setattr={"a": 1}, m=4,
    )) == ("VADD", "k", "REDUCE", 1, "VALUES", 1, 1.0, "e", "CAS", "Q8", "EF", 9, "SETATTR", '{"a": 1}',
           "M", 4)
    assert rec.last(rec.vsetattr("k", "e", {"t": "é"})) == ("VSETATTR", "k", "e", '{"t": "é"}')
    assert rec.last(rec.vsim("k", "e", ele=True)) == ("VSIM", "k", "ELE", "e")
    assert rec.last(rec.vsim(
        "k", (1, 0), withscores=True, count=3, ef=5, filter=".a", filter_ef=7, truth=True, nothread=True,
    )) == ("VSIM", "k", "VALUES", 2, 1.0, 0.0, "WITHSCORES", "COUNT", 3, "EF", 5, "FILTER", ".a",
           "FILTER-EF", 7, "TRUTH", "NOTHREAD")
    assert rec.last(rec.vemb("k", "e", raw=True)) == ("VEMB", "k", "e", "RAW")
    assert rec.last(rec.vlinks("k", "e", withscores=True)) == ("VLINKS", "k", "e", "WITHSCORES")
    assert rec.last(rec.vrandmember("k")) == ("VRANDMEMBER", "k")
    assert rec.last(rec.vrandmember("k", -2)) == ("VRANDMEMBER", "k", -2)
    assert rec.last(rec.vsetattr("k", "e", '{"x": 1}')) == ("VSETATTR", "k", "e", '{"x": 1}')


@pytest.mark.parametrize("call", [
    lambda c: c.vadd("k", [], "e"),
    lambda c: c.vadd("k", "1 2", "e"),
    lambda c: c.vadd("k", ["x"], "e"),
    lambda c: c.vadd("k", [1], "e", quantization="F16"),
    lambda c: c.vsim("k", "e"),
], ids=["empty", "str-vector", "not-numbers", "bad-quantization", "vsim-str-without-ele"])
def test_bad_vectors_and_options(call) -> None:
    """An empty, str or non-numeric vector, or an unknown quantization, raise InvalidData unsent."""
    rec = Recorder()
    with pytest.raises(redis.InvalidData):
        call(rec)
    assert rec.sent == []
