"""Hash commands against a real server: dicts, bools and txredisapi's number conversion of names."""

from __future__ import annotations

import pytest

import txredis_aio as redis
from tests.integration.cmd_clients import Recorder, k, noconv_client, raw_client, rawstr_client  # noqa: F401


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
