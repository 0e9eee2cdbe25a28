"""Sorted set commands against a real server: txredisapi's shapes, ZADD options, Redis 7 additions."""

from __future__ import annotations

import asyncio

import pytest

import txredis_aio as redis
from tests.integration.cmd_clients import Recorder, k, noconv_client, raw_client, rawstr_client, wait_blocked  # noqa: F401


async def test_zadd_and_withscores_shapes(rc, noconv, rawstr) -> None:
    """ZADD takes score before member; WITHSCORES gives (member, float) in every reply mode."""
    z = k("z")
    assert await rc.zadd(z, 1, "a", 2.5, "b", 3, 7) == 3
    assert await rc.zadd(z, 2, "a") == 0
    assert await rc.zrange(z) == ["a", "b", 7]
    assert await rc.zrange(z, 0, -1, True) == [("a", 2.0), ("b", 2.5), (7, 3.0)]
    assert await noconv.zrange(z, 0, 0, withscores=True) == [("a", 2.0)]
    assert await rawstr.zrevrange(z, 0, 0, withscores=True) == [(b"7", 3.0)]
    assert await rc.zrevrange(z) == [7, "b", "a"]
    await rc.zadd(z, "-inf", "lo")
    assert await rc.zrange(z, 0, 0, withscores=True) == [("lo", float("-inf"))]


async def test_zadd_sync_errors(rc) -> None:
    """Odd ZADD args and impossible option mixes raise InvalidData before anything is sent."""
    z = k("z")
    with pytest.raises(redis.InvalidData, match="^Invalid number of arguments to ZADD$"):
        rc.zadd(z, 1, "a", 2)
    with pytest.raises(redis.InvalidData):
        rc.zadd(z, 1, "a", nx=True, xx=True)
    with pytest.raises(redis.InvalidData):
        rc.zadd(z, 1, "a", gt=True, lt=True)
    with pytest.raises(redis.InvalidData):
        rc.zadd(z, 1, "a", 2, "b", incr=True)
    assert await rc.exists(z) == 0


async def test_zadd_options(rc, noconv) -> None:
    """ZADD NX/XX/GT/LT/CH/INCR via keyword-only arguments."""
    z = k("z")
    assert await rc.zadd(z, 5, "a", xx=True) == 0 and await rc.zcard(z) == 0
    assert await rc.zadd(z, 5, "a", nx=True) == 1
    assert await rc.zadd(z, 9, "a", nx=True) == 0 and await rc.zscore(z, "a") == 5
    assert await rc.zadd(z, 3, "a", gt=True, ch=True) == 0
    assert await rc.zadd(z, 7, "a", gt=True, ch=True) == 1
    assert await rc.zadd(z, 6, "a", 1, "b", lt=True, ch=True) == 2
    assert await rc.zadd(z, 1.5, "a", incr=True) == 7.5
    s = await noconv.zadd(z, 1, "a", incr=True)
    assert s == 8.5 and isinstance(s, float)
    assert await rc.zadd(z, 1, "new", incr=True, xx=True) is None


async def test_scores_incr(rc, noconv, raw) -> None:
    """ZSCORE/ZINCRBY: int or float with convertNumbers; float (no crash) without; ZMSCORE floats."""
    z = k("z")
    await rc.zadd(z, 3, "a", 1.5, "b")
    assert await rc.zscore(z, "a") == 3 and type(await rc.zscore(z, "a")) is int
    assert await rc.zscore(z, "b") == 1.5
    s = await noconv.zscore(z, "b")
    assert s == 1.5 and isinstance(s, float)
    assert await noconv.zscore(z, "a") == 3.0
    assert await raw.zscore(z, "b") == 1.5
    assert await rc.zscore(z, "none") is None and await noconv.zscore(z, "none") is None
    assert await rc.zincrby(z, 2, "a") == 5
    assert await noconv.zincrby(z, 0.5, "a") == 5.5
    assert await rc.zincr(z, "c") == 1 and await rc.zdecr(z, "c") == 0
    assert await rc.zmscore(z, ["a", "x", "b"]) == [5.5, None, 1.5]
    assert all(isinstance(x, float) for x in await rc.zmscore(z, "c"))


async def test_rank_count_remove(rc) -> None:
    """ZRANK/ZREVRANK, ZCOUNT (ZCARD for the defaults), ZREM, ZREMRANGEBY*."""
    z = k("z")
    await rc.zadd(z, 1, "a", 2, "b", 3, "c", 4, "d", 5, "e")
    assert await rc.zrank(z, "c") == 2 and await rc.zrevrank(z, "c") == 2
    assert await rc.zrank(z, "zz") is None
    assert await rc.zcount(z) == 5 and await rc.zcount(z, 2, "(4") == 2
    assert await rc.zrem(z, "a", "zz") == 1
    assert await rc.zremrangebyrank(z, 0, 0) == 1
    assert await rc.zremrangebyscore(z, 5) == 1
    assert await rc.zrange(z) == ["c", "d"]
    assert await rc.zremrangebyrank(z) == 2 and await rc.zcard(z) == 0


async def test_range_by_score(rc) -> None:
    """ZRANGEBYSCORE/ZREVRANGEBYSCORE with LIMIT; only one of offset/count is InvalidData."""
    z = k("z")
    await rc.zadd(z, 1, "a", 2, "b", 3, "c", 4, "d")
    assert await rc.zrangebyscore(z) == ["a", "b", "c", "d"]
    assert await rc.zrangebyscore(z, 2, "(4", withscores=True) == [("b", 2.0), ("c", 3.0)]
    assert await rc.zrangebyscore(z, offset=1, count=2) == ["b", "c"]
    assert await rc.zrevrangebyscore(z, 3, 1) == ["c", "b", "a"]
    assert await rc.zrevrangebyscore(z, withscores=True, offset=0, count=1) == [("d", 4.0)]
    with pytest.raises(redis.InvalidData, match="Invalid count and offset arguments to ZRANGEBYSCORE"):
        rc.zrangebyscore(z, offset=1)
    with pytest.raises(redis.InvalidData):
        rc.zrevrangebyscore(z, count=1)


async def test_zrange_options_and_store(rc) -> None:
    """ZRANGE BYSCORE/BYLEX/REV/LIMIT keyword options and ZRANGESTORE."""
    z, d = k("z"), k("d")
    await rc.zadd(z, 1, "a", 2, "b", 3, "c", 4, "d")
    assert await rc.zrange(z, 2, 3, byscore=True) == ["b", "c"]
    assert await rc.zrange(z, "+inf", "-inf", byscore=True, rev=True, offset=1, count=2) == ["c", "b"]
    assert await rc.zrange(z, 0, 1, rev=True, withscores=True) == [("d", 4.0), ("c", 3.0)]
    assert await rc.zrange(z, "(1", 3, byscore=True, withscores=True) == [("b", 2.0), ("c", 3.0)]
    assert await rc.zrangestore(d, z, 0, 1) == 2 and await rc.zrange(d) == ["a", "b"]
    assert await rc.zrangestore(d, z, 3, "+inf", byscore=True) == 2 and await rc.zrange(d) == ["c", "d"]
    with pytest.raises(redis.InvalidData):
        rc.zrange(z, 0, 1, offset=0, count=1)
    with pytest.raises(redis.InvalidData):
        rc.zrange(z, 0, 1, byscore=True, bylex=True)


async def test_lex(rc) -> None:
    """ZRANGEBYLEX/ZREVRANGEBYLEX/ZLEXCOUNT/ZREMRANGEBYLEX and ZRANGE BYLEX."""
    z = k("z")
    await rc.zadd(z, 0, "a", 0, "b", 0, "c", 0, "d")
    assert await rc.zrangebylex(z) == ["a", "b", "c", "d"]
    assert await rc.zrangebylex(z, "[b", "(d") == ["b", "c"]
    assert await rc.zrangebylex(z, offset=1, count=1) == ["b"]
    assert await rc.zrevrangebylex(z, "[c") == ["c", "b", "a"]
    assert await rc.zrange(z, "[b", "+", bylex=True, offset=0, count=2) == ["b", "c"]
    assert await rc.zlexcount(z) == 4 and await rc.zlexcount(z, "(a", "[c") == 2
    assert await rc.zremrangebylex(z, "[a", "[b") == 2
    assert await rc.zrange(z) == ["c", "d"]


async def test_aggregates(rc) -> None:
    """Z*STORE/ZUNION/ZINTER with weights (dict) and aggregate (builtin or name); ZDIFF*, ZINTERCARD."""
    a, b, d = k("a"), k("b"), k("d")
    await rc.zadd(a, 1, "x", 2, "y")
    await rc.zadd(b, 10, "y", 20, "z")
    assert await rc.zunionstore(d, [a, b]) == 3
    assert await rc.zrange(d, withscores=True) == [("x", 1.0), ("y", 12.0), ("z", 20.0)]
    assert await rc.zinterstore(d, {a: 2, b: 1}, aggregate=max) == 1
    assert await rc.zscore(d, "y") == 10
    assert await rc.zinterstore(d, [a, b], "min") == 1 and await rc.zscore(d, "y") == 2
    assert await rc.zunion([a, b], aggregate=sum, withscores=True) == [
        ("x", 1.0), ("y", 12.0), ("z", 20.0)]
    assert await rc.zinter({a: 3, b: 1}, "MAX") == ["y"]
    assert await rc.zinter([a, b], withscores=True) == [("y", 12.0)]
    assert await rc.zdiff([a, b]) == ["x"]
    assert await rc.zdiff([b, a], withscores=True) == [("z", 20.0)]
    assert await rc.zdiffstore(d, [a, b]) == 1
    assert await rc.zintercard([a, b]) == 1 and await rc.zintercard([a, a], limit=1) == 1
    with pytest.raises(redis.InvalidData, match="^Invalid aggregate function: avg$"):
        rc.zunionstore(d, [a, b], "avg")
    with pytest.raises(redis.InvalidData):
        rc.zinter([a, b], aggregate=len)


async def test_pops(rc) -> None:
    """ZPOPMIN/ZPOPMAX/ZMPOP give (member, float) tuples; blocking forms return at once or None."""
    z, e = k("z"), k("empty")
    await rc.zadd(z, 1, "a", 2, "b", 3, "c", 4, "d", 5, "e", 6, "f")
    assert await rc.zpopmin(z) == [("a", 1.0)]
    assert await rc.zpopmax(z, 2) == [("f", 6.0), ("e", 5.0)]
    assert await rc.zmpop([e, z], "min", count=2) == [z, [("b", 2.0), ("c", 3.0)]]
    assert await rc.zmpop(e) is None
    assert await rc.bzpopmax([e, z], 1) == [z, "d", 4.0]
    await rc.zadd(z, 7, "g", 8, "h")
    assert await rc.bzmpop(z, 1, "MAX", count=5) == [z, [("h", 8.0), ("g", 7.0)]]
    assert await rc.bzpopmin(e, 0.01) is None
    assert await rc.bzmpop([e], 0.01) is None
    assert await rc.zpopmin(e) == []
    with pytest.raises(redis.InvalidData, match="Invalid where"):
        rc.zmpop(z, "middle")


async def test_bzpopmin_wakes(redis_server, rc) -> None:
    """A BZPOPMIN waiting on its own connection returns what another client adds."""
    z = k("w")
    async with redis.Connection(redis_server.host, redis_server.port) as waiter:
        fut = asyncio.ensure_future(waiter.bzpopmin([z], timeout=5))
        await wait_blocked(rc)
        await rc.zadd(z, 2.5, "m")
        assert await fut == [z, "m", 2.5]


async def test_zrandmember(rc) -> None:
    """ZRANDMEMBER: a member, a list with count, (member, float) tuples with withscores."""
    z = k("z")
    await rc.zadd(z, 1, "a", 2, "b")
    assert await rc.zrandmember(z) in ("a", "b")
    assert sorted(await rc.zrandmember(z, 5)) == ["a", "b"]
    assert sorted(await rc.zrandmember(z, 2, withscores=True)) == [("a", 1.0), ("b", 2.0)]
    assert len(await rc.zrandmember(z, -4)) == 4
    assert await rc.zrandmember(k("none")) is None
    with pytest.raises(redis.InvalidData):
        rc.zrandmember(z, withscores=True)


async def test_zscan(rc, noconv) -> None:
    """ZSCAN's flat [cursor, [member, score...]]; zscan_iter yields (member, float) over many pages."""
    z = k("z")
    members = {f"m{i}": i for i in range(300)}
    args = [x for m, s in members.items() for x in (s, m)]
    await rc.zadd(z, *args)
    small = k("small")
    await rc.zadd(small, 1, "m1", 2.5, "m2")
    assert await rc.zscan(small, 0, "m1", 10) == [0, ["m1", 1]]
    assert await noconv.zscan(small) == ["0", ["m1", "1", "m2", "2.5"]]
    got = {m: s async for m, s in rc.zscan_iter(z, count=25)}
    assert got == {m: float(s) for m, s in members.items()}
    got = {m: s async for m, s in noconv.zscan_iter(z, "m29*")}
    assert got == {"m29": 29.0, **{f"m29{i}": float(290 + i) for i in range(10)}}


async def test_wrong_type(rc) -> None:
    """Sorted-set commands on a string raise WrongTypeError; the connection stays usable."""
    a = k("s")
    await rc.execute_command("SET", a, "v")
    with pytest.raises(redis.WrongTypeError, match="^WRONGTYPE"):
        await rc.zadd(a, 1, "x")
    with pytest.raises(redis.WrongTypeError):
        await rc.zrange(a, withscores=True)
    assert await rc.execute_command("GET", a) == "v"


def test_wire_forms() -> None:
    """zcount with the default bounds sends ZCARD; weights and aggregate follow txredisapi's order."""
    r = Recorder()
    assert r.last(r.zcount("z")) == ("ZCARD", "z")
    assert r.last(r.zcount("z", 1)) == ("ZCOUNT", "z", 1, "+inf")
    assert r.last(r.zunionstore("d", {"a": 2, "b": 3}, min)) == (
        "ZUNIONSTORE", "d", 2, "a", "b", "WEIGHTS", 2, 3, "AGGREGATE", "MIN")
    assert r.last(r.zadd("z", 1, "m", xx=True, ch=True)) == ("ZADD", "z", "XX", "CH", 1, "m")
    assert r.last(r.zrangebyscore("z", 1, 2, True, 0, 5)) == (
        "ZRANGEBYSCORE", "z", 1, 2, "WITHSCORES", "LIMIT", 0, 5)
