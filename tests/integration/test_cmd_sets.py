"""Set commands against a real server: Python sets and bools where txredisapi gives them."""

from __future__ import annotations

import pytest

import txredis_aio as redis
from tests.integration.cmd_clients import k, noconv_client, raw_client, rawstr_client  # noqa: F401


async def test_add_members_shapes(rc, noconv, raw) -> None:
    """SADD/SREM counts; SMEMBERS is a set whose members follow convertNumbers/charset."""
    a = k("s")
    assert await rc.sadd(a, ["a", "b", 1]) == 3
    assert await rc.sadd(a, "a") == 0
    with pytest.warns(DeprecationWarning):
        assert await rc.sadd(a, "c", "d") == 2
    with pytest.warns(DeprecationWarning):
        assert await rc.srem(a, 5) == 0
    assert await rc.srem(a, ["c", "d", "x"]) == 2
    assert await rc.smembers(a) == {"a", "b", 1}
    assert await noconv.smembers(a) == {"a", "b", "1"}
    assert await raw.smembers(a) == {b"a", b"b", 1}
    assert await rc.smembers(k("none")) == set()
    assert await rc.scard(a) == 3


async def test_membership_bools(rc) -> None:
    """SISMEMBER/SMOVE give bools; SMISMEMBER a list of bools."""
    a, b = k("a"), k("b")
    await rc.sadd(a, ["x", "y"])
    assert await rc.sismember(a, "x") is True
    assert await rc.sismember(a, "z") is False
    assert await rc.smismember(a, ["x", "z", "y"]) == [True, False, True]
    assert await rc.smove(a, b, "x") is True
    assert await rc.smove(a, b, "x") is False
    assert await rc.smembers(b) == {"x"}


async def test_algebra(rc) -> None:
    """SINTER/SUNION/SDIFF return sets, *STORE a count, SINTERCARD a (limited) count."""
    a, b, d = k("a"), k("b"), k("d")
    await rc.sadd(a, ["1", "2", "3", "x"])
    await rc.sadd(b, ["2", "3", "4", "x"])
    assert await rc.sinter([a, b]) == {2, 3, "x"}
    assert await rc.sunion([a, b]) == {1, 2, 3, 4, "x"}
    assert await rc.sdiff([a, b]) == {1}
    assert await rc.sdiff(a) == {1, 2, 3, "x"}
    assert await rc.sinterstore(d, [a, b]) == 3
    assert await rc.sunionstore(d, [a, b]) == 5
    assert await rc.sdiffstore(d, [b, a]) == 1 and await rc.smembers(d) == {4}
    assert await rc.sintercard([a, b]) == 3
    assert await rc.sintercard([a, b], limit=2) == 2


async def test_pop_random(rc) -> None:
    """SPOP/SRANDMEMBER: one member, or a list with count (negative count repeats)."""
    a = k("r")
    members = {"a", "b", "c", "d"}
    await rc.sadd(a, members)
    assert await rc.srandmember(a) in members
    assert set(await rc.srandmember(a, 3)) <= members and len(await rc.srandmember(a, 3)) == 3
    assert len(await rc.srandmember(a, -10)) == 10
    one = await rc.spop(a)
    rest = await rc.spop(a, 10)
    assert {one, *rest} == members and await rc.scard(a) == 0
    assert await rc.spop(a) is None and await rc.srandmember(a) is None


async def test_sscan(rc, noconv) -> None:
    """SSCAN's [cursor, members] and sscan_iter over a set larger than one reply."""
    a = k("big")
    members = {f"m{i}" for i in range(300)}
    await rc.sadd(a, members)
    cursor, page = await rc.sscan(a, 0, "m1*", 10)
    assert isinstance(cursor, int) and all(m.startswith("m1") for m in page)
    assert {m async for m in rc.sscan_iter(a, count=20)} == members
    assert {m async for m in noconv.sscan_iter(a, "m2*")} == {m for m in members if m.startswith("m2")}


async def test_wrong_type(rc) -> None:
    """Set commands on a string raise WrongTypeError with the server text; the client goes on."""
    a = k("str")
    await rc.execute_command("SET", a, "v")
    with pytest.raises(redis.WrongTypeError, match="^WRONGTYPE"):
        await rc.smembers(a)
    with pytest.raises(redis.WrongTypeError):
        await rc.sismember(a, "v")
    assert await rc.execute_command("GET", a) == "v"
