"""Hash commands against a real server: dicts, bools and txredisapi's number conversion of names.

Hash-field expiry (HEXPIRE & co., HGETEX, HSETEX, HGETDEL) runs for real on a server that has it;
on one known to lack it (Valkey 8.1) the same tests check the methods refuse before sending.
"""

from __future__ import annotations

import asyncio
import time

import pytest

import txredis_aio as redis
from tests.integration import _cmd_helpers
from tests.integration._cmd_helpers import VARIANT_IDS, VARIANTS, connect, refused, s
from tests.integration.cmd_clients import Recorder, k, noconv_client, raw_client, rawstr_client  # noqa: F401

own_server, r = _cmd_helpers.own_server, _cmd_helpers.r  # fixtures: a private server, a pool on it


async def test_set_get_and_hgetall_shapes(rc, noconv, raw) -> None:
    """HSET one field or a mapping; HGETALL is a dict whose names are number-converted too."""
    h = k("h")
    assert await rc.hset(h, "x", 2) == 1
    assert await rc.hset(h, 1, "a") == 1
    assert await rc.hset(h, "x", 3, mapping={"y": "é", "z": 1.5}) == 2
    assert await rc.hset(h, mapping={"y": "b"}) == 0
    assert await rc.hgetall(h) == {"x": 3, 1: "a", "y": "b", "z": 1.5}
    assert await noconv.hgetall(h) == {"x": "3", "1": "a", "y": "b", "z": "1.5"}
    assert await raw.hgetall(h) == {b"x": 3, 1: b"a", b"y": b"b", b"z": 1.5}
    assert await rc.hgetall(k("none")) == {}
    assert await rc.hget(h, "x") == 3 and await rc.hget(h, "nope") is None
    assert sorted(map(str, await rc.hkeys(h))) == ["1", "x", "y", "z"]
    assert sorted(map(str, await rc.hvals(h))) == ["1.5", "3", "a", "b"]
    assert await rc.hlen(h) == 4
    with pytest.raises(redis.InvalidData):
        rc.hset(h)


async def test_hmget_hmset_hsetnx(rc) -> None:
    """HMSET from a dict; HMGET with a list, or one str field (not split into characters)."""
    h = k("h")
    assert await rc.hmset(h, {"abc": 1, "a": 2, "b": 3}) == "OK"
    assert await rc.hmget(h, ["a", "nope", "b"]) == [2, None, 3]
    assert await rc.hmget(h, "abc") == [1]
    assert await rc.hmget(h, b"abc") == [1]
    assert await rc.hsetnx(h, "a", 9) == 0 and await rc.hsetnx(h, "c", 9) == 1


async def test_incr_exists_del_strlen(rc, noconv) -> None:
    """HINCRBY and shorthands, HINCRBYFLOAT (float), HEXISTS (bool), HDEL, HSTRLEN."""
    h = k("h")
    assert await rc.hincr(h, "n") == 1
    assert await rc.hincrby(h, "n", 10) == 11
    assert await rc.hdecr(h, "n") == 10
    f = await rc.hincrbyfloat(h, "n", 0.5)
    assert f == 10.5 and isinstance(f, float)
    f = await noconv.hincrbyfloat(h, "n", 0.5)
    assert f == 11.0 and isinstance(f, float)
    assert await rc.hexists(h, "n") is True and await rc.hexists(h, "m") is False
    await rc.hset(h, mapping={"s": "hello", "t": 1})
    assert await rc.hstrlen(h, "s") == 5 and await rc.hstrlen(h, "nope") == 0
    assert await rc.hdel(h, "s") == 1
    assert await rc.hdel(h, ["t", "n", "nope"]) == 2
    assert await rc.exists(h) == 0


async def test_hrandfield(rc) -> None:
    """HRANDFIELD: a field, a list with count, (field, value) tuples with withvalues."""
    h = k("h")
    await rc.hset(h, mapping={"a": 1, "b": "x"})
    assert await rc.hrandfield(h) in ("a", "b")
    assert sorted(await rc.hrandfield(h, 5)) == ["a", "b"]
    assert sorted(await rc.hrandfield(h, 2, withvalues=True)) == [("a", 1), ("b", "x")]
    assert len(await rc.hrandfield(h, -3, True)) == 3
    assert await rc.hrandfield(k("none")) is None
    with pytest.raises(redis.InvalidData):
        rc.hrandfield(h, withvalues=True)


async def test_hscan(rc, rawstr) -> None:
    """HSCAN's flat [cursor, [f, v...]]; hscan_iter yields (field, value) across pages."""
    h = k("h")
    fields = {f"f{i}": f"v{i}" for i in range(300)}
    await rc.hset(h, mapping=fields)
    small = k("small")
    await rc.hset(small, "a", 1)
    assert await rc.hscan(small) == [0, ["a", 1]]
    assert await rawstr.hscan(small, 0, "a", 5) == [b"0", [b"a", b"1"]]
    assert {f: v async for f, v in rc.hscan_iter(h, count=20)} == fields
    got = {f: v async for f, v in rawstr.hscan_iter(h, "f1*")}
    assert got == {f.encode(): v.encode() for f, v in fields.items() if f.startswith("f1")}


async def test_wrong_type(rc) -> None:
    """Hash commands on a string raise WrongTypeError with the server text; the client goes on."""
    a = k("s")
    await rc.execute_command("SET", a, "v")
    with pytest.raises(redis.WrongTypeError, match="^WRONGTYPE"):
        await rc.hgetall(a)
    with pytest.raises(redis.WrongTypeError):
        await rc.hexists(a, "f")
    assert await rc.execute_command("GET", a) == "v"


def test_wire_forms() -> None:
    """hincr/hdecr are HINCRBY ±1; hset with both forms sends the positional pair first."""
    r = Recorder()
    assert r.last(r.hincr("h", "f")) == ("HINCRBY", "h", "f", 1)
    assert r.last(r.hdecr("h", "f")) == ("HINCRBY", "h", "f", -1)
    assert r.last(r.hset("h", "a", 1, mapping={"b": 2})) == ("HSET", "h", "a", 1, "b", 2)


# --- hash-field expiry -------------------------------------------------------------------------


async def test_hexpire_family_codes(r) -> None:
    """HEXPIRE/HPEXPIRE/HEXPIREAT/HPEXPIREAT: per-field codes -2/0/1/2 and NX/XX/GT/LT conditions."""
    if await refused(
        r, "HEXPIRE", "hexpire",
        lambda: r.hexpire("h", 10, "a"), lambda: r.hpexpire("h", 10, ["a"], nx=True),
        lambda: r.hexpireat("h", 2_000_000_000, "a"), lambda: r.hpexpireat("h", 2_000_000_000_000, "a"),
    ):
        assert await r.hset("h", "a", 1) == 1 and await r.hget("h", "a") == 1
        return
    await r.hset("h", mapping={"a": 1, "b": 2, "c": 3, "d": 4})
    assert await r.hexpire("nokey", 100, "a") == [-2]
    assert await r.hexpire("h", 100, ["a", "nope"]) == [1, -2]
    assert await r.hexpire("h", 100, "a", nx=True) == [0]
    assert await r.hexpire("h", 100, "b", xx=True) == [0]
    assert await r.hexpire("h", 100, "b", nx=True) == [1]
    assert await r.hexpire("h", 50, "a", gt=True) == [0]
    assert await r.hexpire("h", 200, "a", gt=True) == [1]
    assert await r.hexpire("h", 50, "c", gt=True) == [0]  # no TTL counts as infinite
    assert await r.hexpire("h", 50, "c", lt=True) == [1]
    assert await r.hpexpire("h", 150_000, ("a", "b"), lt=True) == [1, 0]
    assert await r.hexpire("h", 0, "c") == [2]
    assert await r.hexpireat("h", int(time.time()) - 10, b"d") == [2]
    assert await r.hgetall("h") == {"a": 1, "b": 2}
    at = int(time.time()) + 1000
    assert await r.hexpireat("h", at, "a") == [1]
    assert await r.hexpiretime("h", "a") == [at]
    assert await r.hpexpireat("h", at * 1000 + 250, "b") == [1]
    assert await r.hpexpiretime("h", "b") == [at * 1000 + 250]
    assert await r.hpexpire("h", 30, "a") == [1]
    deadline = time.monotonic() + 5
    while await r.hexists("h", "a"):  # the field really goes
        assert time.monotonic() < deadline, "field a did not expire"
        await asyncio.sleep(0.01)
    assert await r.hgetall("h") == {"b": 2}


async def test_ttl_queries_and_hpersist(r) -> None:
    """HTTL/HPTTL/HEXPIRETIME/HPEXPIRETIME give -1 (no TTL) / -2 (no field); HPERSIST 1/-1/-2."""
    if await refused(
        r, "HEXPIRE", "httl",
        lambda: r.httl("h", "a"), lambda: r.hpttl("h", ["a"]), lambda: r.hexpiretime("h", "a"),
        lambda: r.hpexpiretime("h", "a"), lambda: r.hpersist("h", ["a", "b"]),
    ):
        return
    await r.hset("h", mapping={"abc": 1, "b": 2})
    assert await r.httl("h", ["abc", "b", "nope"]) == [-1, -1, -2]
    assert await r.httl("nokey", "abc") == [-2]
    assert await r.hexpire("h", 100, "abc") == [1]
    now = time.time()
    assert await r.httl("h", "abc") == [100]  # one str field, not split into characters
    (ms,) = await r.hpttl("h", b"abc")
    assert 99_000 < ms <= 100_000
    (at,) = await r.hexpiretime("h", ["abc"])
    assert abs(at - (now + 100)) <= 2
    (at_ms,) = await r.hpexpiretime("h", ["abc"])
    assert abs(at_ms - (now + 100) * 1000) <= 2000 and at_ms // 1000 in (at, at - 1)
    assert await r.hpexpiretime("h", ["b", "nope"]) == [-1, -2]
    assert await r.hpersist("h", ["abc", "b", "nope"]) == [1, -1, -2]
    assert await r.httl("h", "abc") == [-1]


async def test_hgetex(r) -> None:
    """HGETEX returns the values (None where missing) and sets EX/PX/EXAT/PXAT or PERSIST."""
    if await refused(r, "HGETEX", "hgetex", lambda: r.hgetex("h", "a"), lambda: r.hgetex("h", ["a"], ex=5)):
        return
    await r.hset("h", mapping={"a": 1, "b": "x"})
    assert await r.hgetex("h", ["a", "b", "nope"]) == [1, "x", None]
    assert await r.httl("h", ["a", "b"]) == [-1, -1]
    assert await r.hgetex("h", "a", ex=100) == [1]
    assert await r.httl("h", "a") == [100]
    assert await r.hgetex("h", ["b"], px=50_000) == ["x"]
    (ms,) = await r.hpttl("h", "b")
    assert 49_000 < ms <= 50_000
    at = int(time.time()) + 500
    assert await r.hgetex("h", "a", exat=at) == [1]
    assert await r.hexpiretime("h", "a") == [at]
    assert await r.hgetex("h", "b", pxat=at * 1000 + 7) == ["x"]
    assert await r.hpexpiretime("h", "b") == [at * 1000 + 7]
    assert await r.hgetex("h", ["a", "b"], persist=True) == [1, "x"]
    assert await r.httl("h", ["a", "b"]) == [-1, -1]
    assert await r.hgetex("nokey", "a") == [None]


async def test_hsetex(r) -> None:
    """HSETEX: 1 when set, 0 when FNX/FXX prevent it; an expiry option sets TTLs, none clears them."""
    if await refused(
        r, "HSETEX", "hsetex", lambda: r.hsetex("h", {"a": 1}), lambda: r.hsetex("h", {"a": 1}, ex=5),
    ):
        return
    assert await r.hsetex("h", {"a": 1, "b": "x"}, ex=100) == 1
    assert await r.hgetall("h") == {"a": 1, "b": "x"}
    assert await r.httl("h", ["a", "b"]) == [100, 100]
    assert await r.hsetex("h", {"a": 2, "new": 3}, fnx=True, px=1000) == 0
    assert await r.hsetex("h", {"a": 2, "new": 3}, fxx=True) == 0
    assert await r.hgetall("h") == {"a": 1, "b": "x"}
    assert await r.hsetex("h", {"a": 2}, fxx=True, keepttl=True) == 1
    assert await r.httl("h", "a") == [100]
    assert await r.hsetex("h", {"a": 3}) == 1
    assert await r.httl("h", "a") == [-1]
    at = int(time.time()) + 300
    assert await r.hsetex("h", {"c": 1}, fnx=True, exat=at) == 1
    assert await r.hexpiretime("h", "c") == [at]
    assert await r.hsetex("h", {"d": 1}, pxat=at * 1000 + 1) == 1
    assert await r.hpexpiretime("h", "d") == [at * 1000 + 1]
    assert await r.hsetex("fresh", {"f": "v"}, fxx=True) == 0 and await r.exists("fresh") == 0


async def test_hgetdel(r) -> None:
    """HGETDEL returns the values (None where missing), deletes them, and the emptied key goes."""
    if await refused(r, "HGETDEL", "hgetdel", lambda: r.hgetdel("h", "a"),
                     lambda: r.hgetdel("h", ["a", "b"])):
        return
    await r.hset("h", mapping={"abc": 1, "b": "x", "c": 3})
    assert await r.hgetdel("h", ["abc", "nope"]) == [1, None]
    assert await r.hgetall("h") == {"b": "x", "c": 3}
    assert await r.hgetdel("h", "b") == ["x"]
    assert await r.hgetdel("h", [b"c"]) == [3]
    assert await r.exists("h") == 0
    assert await r.hgetdel("h", "b") == [None]


@pytest.mark.parametrize("convert,charset", VARIANTS, ids=VARIANT_IDS)
async def test_field_expiry_replies_in_every_mode(own_server, convert, charset) -> None:
    """TTL codes are ints in every mode; HGETEX/HGETDEL values follow charset and convertNumbers."""
    async with connect(own_server, convert, charset) as c:
        await c.delete("h:cv")
        await c.hset("h:cv", mapping={"n": 7, "t": "é"})
        if await refused(
            c, "HEXPIRE", "hexpire", lambda: c.hexpire("h:cv", 1, "n"), lambda: c.httl("h:cv", "n"),
        ):
            assert await c.hget("h:cv", "t") == s("é", charset)
            return
        assert await c.hexpire("h:cv", 100, ["n", "zz"]) == [1, -2]
        assert await c.httl("h:cv", ["n", "t"]) == [100, -1]
        if await refused(c, "HGETEX", "hgetex", lambda: c.hgetex("h:cv", "n")):
            return
        seven = 7 if convert else s("7", charset)
        assert await c.hgetex("h:cv", ["n", "t", "zz"], persist=True) == [seven, s("é", charset), None]
        assert await c.hsetex("h:cv", {"u": "v"}, ex=10) == 1
        assert await c.hgetdel("h:cv", ["n", "u"]) == [seven, s("v", charset)]


async def test_field_expiry_wrong_type(r) -> None:
    """Field-expiry commands on a string raise WrongTypeError; the client goes on."""
    await r.set("str", "v")
    if await refused(r, "HEXPIRE", "httl", lambda: r.httl("str", "f")):
        return
    with pytest.raises(redis.WrongTypeError, match="^WRONGTYPE"):
        await r.httl("str", "f")
    with pytest.raises(redis.WrongTypeError):
        await r.hexpire("str", 10, ["f"])
    assert await r.get("str") == "v"


def test_field_expiry_wire_forms() -> None:
    """The requests sent: condition before FIELDS numfields, one str field kept whole, options in place."""
    rec = Recorder()
    assert rec.last(rec.hexpire("h", 10, "abc")) == ("HEXPIRE", "h", 10, "FIELDS", 1, "abc")
    assert rec.last(rec.hpexpire("h", 5, ["a", b"b"], nx=True)) == (
        "HPEXPIRE", "h", 5, "NX", "FIELDS", 2, "a", b"b")
    assert rec.last(rec.hexpireat("h", 99, ("a",), xx=True)) == ("HEXPIREAT", "h", 99, "XX", "FIELDS", 1, "a")
    assert rec.last(rec.hpexpireat("h", 99, "a", gt=True)) == ("HPEXPIREAT", "h", 99, "GT", "FIELDS", 1, "a")
    assert rec.last(rec.hexpire("h", 1, "a", lt=True)) == ("HEXPIRE", "h", 1, "LT", "FIELDS", 1, "a")
    for name in ("httl", "hpttl", "hexpiretime", "hpexpiretime", "hpersist", "hgetdel"):
        sent = rec.last(getattr(rec, name)("h", iter(["a", "b"])))
        assert sent == (name.upper(), "h", "FIELDS", 2, "a", "b")
    assert rec.last(rec.hgetex("h", "a")) == ("HGETEX", "h", "FIELDS", 1, "a")
    assert rec.last(rec.hgetex("h", "a", ex=5)) == ("HGETEX", "h", "EX", 5, "FIELDS", 1, "a")
    assert rec.last(rec.hgetex("h", "a", pxat=9)) == ("HGETEX", "h", "PXAT", 9, "FIELDS", 1, "a")
    assert rec.last(rec.hgetex("h", "a", persist=True)) == ("HGETEX", "h", "PERSIST", "FIELDS", 1, "a")
    assert rec.last(rec.hsetex("h", {"a": 1, "b": 2})) == ("HSETEX", "h", "FIELDS", 2, "a", 1, "b", 2)
    assert rec.last(rec.hsetex("h", {"a": 1}, fxx=True, keepttl=True)) == (
        "HSETEX", "h", "FXX", "KEEPTTL", "FIELDS", 1, "a", 1)
    assert rec.last(rec.hsetex("h", {"a": 1}, fnx=True, exat=7)) == (
        "HSETEX", "h", "FNX", "EXAT", 7, "FIELDS", 1, "a", 1)


@pytest.mark.parametrize("call", [
    lambda c: c.hexpire("h", 1, "a", nx=True, xx=True),
    lambda c: c.hpexpire("h", 1, "a", gt=True, lt=True),
    lambda c: c.hexpireat("h", 1, "a", nx=True, gt=True),
    lambda c: c.hexpire("h", 1, []),
    lambda c: c.httl("h", []),
    lambda c: c.hgetex("h", "a", ex=1, px=1),
    lambda c: c.hgetex("h", "a", exat=1, persist=True),
    lambda c: c.hsetex("h", {"a": 1}, fnx=True, fxx=True),
    lambda c: c.hsetex("h", {"a": 1}, ex=1, keepttl=True),
    lambda c: c.hsetex("h", {"a": 1}, pxat=1, px=1),
    lambda c: c.hsetex("h", {}),
    lambda c: c.hgetdel("h", ()),
], ids=["nx+xx", "gt+lt", "nx+gt", "no-fields", "httl-no-fields", "ex+px", "exat+persist", "fnx+fxx",
        "ex+keepttl", "pxat+px", "empty-mapping", "hgetdel-no-fields"])
def test_field_expiry_conflicting_options(call) -> None:
    """Conflicting options or no fields raise InvalidData before anything is sent."""
    rec = Recorder()
    with pytest.raises(redis.InvalidData):
        call(rec)
    assert rec.sent == []
