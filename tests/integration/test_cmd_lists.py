"""List commands against a real server, blocking ones included."""

from __future__ import annotations

import asyncio

import pytest

import txredis_aio as redis
from tests.integration.cmd_clients import k, noconv_client, raw_client, rawstr_client, wait_blocked  # noqa: F401


async def test_push_range_and_shapes(rc, noconv, rawstr) -> None:
    """LPUSH/RPUSH take one value or a list/tuple of values; replies follow the options."""
    a = k("l")
    assert await rc.rpush(a, "b") == 1
    assert await rc.rpush(a, ["c", 1]) == 3
    assert await rc.lpush(a, ("a", "z")) == 5
    assert await rc.lrange(a, 0, -1) == ["z", "a", "b", "c", 1]
    assert await noconv.lrange(a, -1, -1) == ["1"]
    assert await rawstr.lrange(a, 0, 1) == [b"z", b"a"]
    assert await rc.llen(a) == 5 and await rc.llen(k("none")) == 0
    assert await rc.lindex(a, 1) == "a" and await rc.lindex(a, 99) is None
    assert await rc.lset(a, 0, "y") == "OK"
    assert await rc.ltrim(a, 0, 2) == "OK"
    assert await rc.lrange(a, 0, -1) == ["y", "a", "b"]


async def test_pushx_insert_rem_pos(rc) -> None:
    """LPUSHX/RPUSHX only on existing lists; LINSERT; LREM's count; LPOS with options."""
    a = k("l")
    assert await rc.rpushx(a, "x") == 0 and await rc.lpushx(a, ["x"]) == 0
    await rc.rpush(a, ["a", "b", "a", "c", "a"])
    assert await rc.rpushx(a, ["d", "e"]) == 7 and await rc.lpushx(a, "s") == 8
    assert await rc.linsert(a, "before", "b", "B") == 9
    assert await rc.linsert(a, "AFTER", "zz", "Q") == -1
    assert await rc.lrange(a, 0, -1) == ["s", "a", "B", "b", "a", "c", "a", "d", "e"]
    assert await rc.lpos(a, "a") == 1
    assert await rc.lpos(a, "a", rank=-1) == 6
    assert await rc.lpos(a, "a", count=0) == [1, 4, 6]
    assert await rc.lpos(a, "a", count=0, maxlen=3) == [1]
    assert await rc.lpos(a, "nope") is None
    assert await rc.lrem(a, -1, "a") == 1
    assert await rc.lrem(a, 0, "a") == 2
    with pytest.raises(redis.InvalidData, match="Invalid where"):
        rc.linsert(a, "middle", "b", "x")


async def test_pops_and_moves(rc) -> None:
    """LPOP/RPOP (with count), RPOPLPUSH, LMOVE, LMPOP; deprecated push/pop warn."""
    a, b = k("a"), k("b")
    with pytest.warns(DeprecationWarning):
        await rc.push(a, ["1", "2", "3", "4", "5", "6"], tail=True)
    with pytest.warns(DeprecationWarning):
        assert await rc.pop(a) == 1
    with pytest.warns(DeprecationWarning):
        assert await rc.pop(a, tail=True) == 6
    assert await rc.lpop(a, 2) == [2, 3]
    assert await rc.rpop(a) == 5
    assert await rc.rpoplpush(a, b) == 4
    assert await rc.lpop(a) is None and await rc.lpop(a, 3) is None
    await rc.rpush(a, ["x", "y"])
    assert await rc.lmove(a, b, "right", "left") == "y"
    assert await rc.lmove(a, b) == "x"
    assert await rc.lrange(b, 0, -1) == ["y", 4, "x"]
    assert await rc.lmpop([a, b], "RIGHT", count=2) == [b, ["x", 4]]
    assert await rc.lmpop(b) == [b, ["y"]]
    assert await rc.lmpop([a, b]) is None
    with pytest.raises(redis.InvalidData, match="Invalid src"):
        rc.lmove(a, b, "up")


async def test_blocking_timeouts(rc) -> None:
    """BLPOP/BRPOP/BRPOPLPUSH/BLMOVE/BLMPOP give None when the timeout passes."""
    a, b = k("a"), k("b")
    assert await rc.blpop(a, 0.01) is None
    assert await rc.brpop([a, b], 0.01) is None
    assert await rc.brpoplpush(a, b, 0.01) is None
    assert await rc.blmove(a, b, 0.01) is None
    assert await rc.blmpop([a, b], 0.01, "LEFT") is None


async def test_blocking_ready_data(rc) -> None:
    """With data present the blocking pops return at once in txredisapi's [key, value] shape."""
    a, b = k("a"), k("b")
    await rc.rpush(a, [1, 2, 3, 4, 5, 6])
    assert await rc.blpop([b, a]) == [a, 1]
    assert await rc.brpop(a) == [a, 6]
    assert await rc.brpoplpush(a, b) == 5
    assert await rc.blmove(a, b, 0, "LEFT", "LEFT") == 2
    assert await rc.blmpop(a, 1, "RIGHT", count=5) == [a, [4, 3]]
    assert await rc.lrange(b, 0, -1) == [2, 5]


async def test_blpop_wakes_on_push(redis_server, rc) -> None:
    """A BLPOP waiting on its own connection returns the value another client pushes."""
    a = k("w")
    async with redis.Connection(redis_server.host, redis_server.port) as waiter:
        fut = asyncio.ensure_future(waiter.blpop([a], timeout=5))
        await wait_blocked(rc)
        await rc.rpush(a, "hello")
        assert await fut == [a, "hello"]


async def test_wrong_type(rc) -> None:
    """List commands on a string raise WrongTypeError with the server text; the client goes on."""
    a = k("s")
    await rc.execute_command("SET", a, "x")
    with pytest.raises(redis.WrongTypeError, match="^WRONGTYPE"):
        await rc.lpush(a, "x")
    with pytest.raises(redis.WrongTypeError):
        await rc.blpop(a, 0.01)
    assert await rc.execute_command("GET", a) == "x"
