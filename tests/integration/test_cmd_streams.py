"""Stream commands against a real server: entry tuples, XREAD dicts, consumer groups, XINFO dicts."""

from __future__ import annotations

import asyncio

import pytest

import txredis_aio as redis
from tests.integration._cmd_helpers import VARIANT_IDS, VARIANTS, assert_unsupported, connect, is_redis, s


async def test_xadd_xlen_xrange_xrevrange(rc) -> None:
    """XADD returns the id; XRANGE/XREVRANGE give (id, {field: value}) tuples in order."""
    assert await rc.xadd("st", {"a": 1, "b": "x"}, id="1-1") == "1-1"
    assert await rc.xadd("st", {"a": 2}, id="2-0") == "2-0"
    auto = await rc.xadd("st", {"a": 3})
    assert isinstance(auto, str) and "-" in auto
    assert await rc.xlen("st") == 3
    assert await rc.xrange("st", count=2) == [("1-1", {"a": 1, "b": "x"}), ("2-0", {"a": 2})]
    assert await rc.xrange("st", "2", "2") == [("2-0", {"a": 2})]
    rev = await rc.xrevrange("st")
    assert [e[0] for e in rev] == [auto, "2-0", "1-1"]
    assert await rc.xrevrange("st", "+", "-", count=1) == [(auto, {"a": 3})]
    assert await rc.xrange("missing") == []
    with pytest.raises(redis.ResponseError, match="equal or smaller"):
        await rc.xadd("st", {"a": 0}, id="1-0")
    with pytest.raises(redis.InvalidData):
        rc.xadd("st", {})


async def test_xadd_trimming_and_nomkstream(rc) -> None:
    """XADD's MAXLEN/MINID trimming and NOMKSTREAM (None when the stream does not exist)."""
    for i in range(1, 6):
        await rc.xadd("t", {"i": i}, id=f"{i}-0")
    await rc.xadd("t", {"i": 6}, id="6-0", maxlen=3)
    assert [e[0] for e in await rc.xrange("t")] == ["4-0", "5-0", "6-0"]
    await rc.xadd("t", {"i": 7}, id="7-0", minid="6")
    assert [e[0] for e in await rc.xrange("t")] == ["6-0", "7-0"]
    await rc.xadd("t", {"i": 8}, id="8-0", maxlen=1, approximate=True, limit=10)
    assert await rc.xlen("t") >= 1
    assert await rc.xadd("nostream", {"x": 1}, nomkstream=True) is None
    assert await rc.exists("nostream") == 0
    with pytest.raises(redis.InvalidData):
        rc.xadd("t", {"x": 1}, maxlen=1, minid="1")
    with pytest.raises(redis.InvalidData):
        rc.xadd("t", {"x": 1}, maxlen=1, limit=5)


async def test_xtrim_xdel(rc) -> None:
    """XTRIM by MAXLEN/MINID returns the evicted count; XDEL the deleted count."""
    for i in range(1, 11):
        await rc.xadd("t", {"i": i}, id=f"{i}-0")
    assert await rc.xtrim("t", maxlen=8) == 2
    assert await rc.xtrim("t", minid="5-0") == 2
    assert await rc.xdel("t", "5-0", "6-0", "99-0") == 2
    assert await rc.xlen("t") == 4
    assert await rc.xtrim("t", maxlen=0, approximate=True) >= 0
    with pytest.raises(redis.InvalidData):
        rc.xtrim("t")


async def test_xread_shapes_and_block_timeout(rc, redis_server) -> None:
    """XREAD gives {stream: entries}; an empty read or a BLOCK timeout gives {}."""
    await rc.xadd("s1", {"f": "v"}, id="1-0")
    await rc.xadd("s2", {"g": "w"}, id="1-0")
    await rc.xadd("s2", {"g": "w2"}, id="2-0")
    got = await rc.xread({"s1": "0", "s2": "1-0"})
    assert got == {"s1": [("1-0", {"f": "v"})], "s2": [("2-0", {"g": "w2"})]}
    assert await rc.xread({"s2": "0"}, count=1) == {"s2": [("1-0", {"g": "w"})]}
    assert await rc.xread({"s1": "$"}) == {}
    async with connect(redis_server) as c:
        assert await c.xread({"s1": "$"}, block=50) == {}
    with pytest.raises(redis.InvalidData):
        rc.xread({})


async def test_xread_block_wakes_on_xadd(redis_server) -> None:
    """A blocked XREAD returns the entry another client adds."""
    async with connect(redis_server) as reader, connect(redis_server) as writer:
        await writer.delete("wake")
        pending = asyncio.ensure_future(reader.xread({"wake": "$"}, block=10000))
        async def blocked() -> bool:
            clients = await writer.execute_command("CLIENT", "LIST")
            return "cmd=xread" in clients
        deadline = asyncio.get_running_loop().time() + 10
        while not await blocked():
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.01)
        new_id = await writer.xadd("wake", {"hello": "world"})
        assert await asyncio.wait_for(pending, 10) == {"wake": [(new_id, {"hello": "world"})]}


async def test_consumer_groups_read_ack_pending(rc) -> None:
    """XGROUP CREATE, XREADGROUP '>', XPENDING summary/extended, XACK, re-reading own pending entries."""
    assert await rc.xgroup_create("gs", "g", "0", mkstream=True) == "OK"
    with pytest.raises(redis.ResponseError, match="BUSYGROUP"):
        await rc.xgroup_create("gs", "g")
    await rc.xadd("gs", {"n": 1}, id="1-0")
    await rc.xadd("gs", {"n": 2}, id="2-0")
    got = await rc.xreadgroup("g", "alice", {"gs": ">"}, count=1)
    assert got == {"gs": [("1-0", {"n": 1})]}
    assert await rc.xreadgroup("g", "bob", {"gs": ">"}) == {"gs": [("2-0", {"n": 2})]}
    assert await rc.xreadgroup("g", "bob", {"gs": ">"}) == {}
    summary = await rc.xpending("gs", "g")
    assert summary == {"pending": 2, "min": "1-0", "max": "2-0", "consumers": {"alice": 1, "bob": 1}}
    detail = await rc.xpending_range("gs", "g", "-", "+", 10)
    assert [(d["message_id"], d["consumer"], d["times_delivered"]) for d in detail] == [
        ("1-0", "alice", 1), ("2-0", "bob", 1)]
    assert isinstance(detail[0]["time_since_delivered"], int)
    bob = await rc.xpending_range("gs", "g", consumername="bob")
    assert [dict(d, time_since_delivered=0) for d in bob] == [dict(detail[1], time_since_delivered=0)]
    assert await rc.xpending_range("gs", "g", idle=10_000_000) == []
    assert await rc.xack("gs", "g", "1-0", "9-9") == 1
    await rc.xdel("gs", "2-0")
    assert await rc.xreadgroup("g", "bob", {"gs": "0"}) == {"gs": [("2-0", None)]}
    assert (await rc.xpending("gs", "g"))["consumers"] == {"bob": 1}
    assert await rc.xreadgroup("g", "carol", {"gs": ">"}, noack=True) == {}
    assert await rc.xpending("gs", "g") == {"pending": 1, "min": "2-0", "max": "2-0", "consumers": {"bob": 1}}


async def test_xgroup_admin_commands(rc) -> None:
    """XGROUP CREATECONSUMER/DELCONSUMER/SETID/DESTROY return what the server says."""
    await rc.xadd("ga", {"x": 1}, id="1-0")
    assert await rc.xgroup_create("ga", "g", "$", entriesread=1) == "OK"
    assert await rc.xgroup_createconsumer("ga", "g", "c1") == 1
    assert await rc.xgroup_createconsumer("ga", "g", "c1") == 0
    assert await rc.xgroup_setid("ga", "g", "0") == "OK"
    await rc.xreadgroup("g", "c1", {"ga": ">"})
    assert await rc.xgroup_delconsumer("ga", "g", "c1") == 1
    assert await rc.xgroup_setid("ga", "g", "$", entriesread=1) == "OK"
    assert await rc.xgroup_destroy("ga", "g") == 1
    assert await rc.xgroup_destroy("ga", "g") == 0


async def test_xclaim_and_xautoclaim(rc) -> None:
    """XCLAIM moves pending entries (entries, or ids with justid); XAUTOCLAIM → (next, entries, deleted)."""
    await rc.xgroup_create("cs", "g", "0", mkstream=True)
    for i in range(1, 4):
        await rc.xadd("cs", {"i": i}, id=f"{i}-0")
    await rc.xreadgroup("g", "a", {"cs": ">"})
    assert await rc.xclaim("cs", "g", "b", 0, ["1-0"]) == [("1-0", {"i": 1})]
    assert await rc.xclaim("cs", "g", "b", 0, ["2-0"], justid=True, retrycount=5) == ["2-0"]
    assert await rc.xclaim("cs", "g", "b", 10_000_000, ["3-0"]) == []
    nxt, entries, deleted = await rc.xautoclaim("cs", "g", "c", 0, "0-0", count=2)
    assert nxt == "3-0" and entries == [("1-0", {"i": 1}), ("2-0", {"i": 2})] and deleted == []
    await rc.xdel("cs", "3-0")
    nxt, ids, deleted = await rc.xautoclaim("cs", "g", "c", 0, nxt, justid=True)
    assert nxt == "0-0" and ids == [] and deleted == ["3-0"]
    with pytest.raises(redis.InvalidData):
        rc.xclaim("cs", "g", "b", 0, [])


async def test_xinfo_dicts(rc) -> None:
    """XINFO STREAM/GROUPS/CONSUMERS as dicts with the server's labels; FULL nests entries and groups."""
    await rc.xadd("xi", {"a": 1}, id="1-0")
    await rc.xadd("xi", {"b": 2}, id="2-0")
    await rc.xgroup_create("xi", "g", "0")
    await rc.xreadgroup("g", "c", {"xi": ">"}, count=1)
    info = await rc.xinfo_stream("xi")
    assert info["length"] == 2 and info["groups"] == 1 and info["last-generated-id"] == "2-0"
    assert info["first-entry"] == ("1-0", {"a": 1}) and info["last-entry"] == ("2-0", {"b": 2})
    full = await rc.xinfo_stream("xi", full=True, count=10)
    assert full["entries"] == [("1-0", {"a": 1}), ("2-0", {"b": 2})]
    group = full["groups"][0]
    assert group["name"] == "g" and group["pel-count"] == 1 and group["pending"][0][:2] == ("1-0", "c")
    assert group["consumers"][0]["name"] == "c" and group["consumers"][0]["pending"][0][0] == "1-0"
    groups = await rc.xinfo_groups("xi")
    assert groups[0]["name"] == "g" and groups[0]["consumers"] == 1 and groups[0]["pending"] == 1
    assert groups[0]["last-delivered-id"] == "1-0"
    consumers = await rc.xinfo_consumers("xi", "g")
    assert consumers[0]["name"] == "c" and consumers[0]["pending"] == 1
    with pytest.raises(redis.ResponseError, match="no such key"):
        await rc.xinfo_stream("nope")
    with pytest.raises(redis.InvalidData):
        rc.xinfo_stream("xi", count=3)


async def test_xsetid(rc) -> None:
    """XSETID moves the last id forward; XADD with '*' then continues after it."""
    await rc.xadd("sid", {"x": 1}, id="1-0")
    assert await rc.xsetid("sid", "100-0", entries_added=5, max_deleted_id="0-0") == "OK"
    assert (await rc.xinfo_stream("sid"))["last-generated-id"] == "100-0"


@pytest.mark.parametrize("convert,charset", VARIANTS, ids=VARIANT_IDS)
async def test_entry_shapes_follow_conversion(redis_server, convert, charset) -> None:
    """Ids stay text; field names and values follow convertNumbers/charset; labels are str."""
    async with connect(redis_server, convert, charset) as c:
        await c.delete("cv")
        assert await c.xadd("cv", {"f": "12", 7: "x"}, id="5-1") == s("5-1", charset)
        fields = {
            s("f", charset): 12 if convert else s("12", charset),
            7 if convert else s("7", charset): s("x", charset),
        }
        assert await c.xrange("cv") == [(s("5-1", charset), fields)]
        assert await c.xread({"cv": "0"}) == {s("cv", charset): [(s("5-1", charset), fields)]}
        info = await c.xinfo_stream("cv")
        assert info["length"] == 1 and info["last-entry"] == (s("5-1", charset), fields)


async def test_wrong_type_keeps_connection_usable(rc) -> None:
    """A stream command on a string raises WrongTypeError; the connection still answers."""
    await rc.set("str", "x")
    with pytest.raises(redis.WrongTypeError):
        await rc.xadd("str", {"a": 1})
    with pytest.raises(redis.WrongTypeError):
        await rc.xrange("str")
    assert await rc.get("str") == "x"


async def test_blocking_xread_on_a_pool_does_not_stall_other_commands(rc) -> None:
    """XREAD BLOCK on a pool leases a connection (command table): other commands keep flowing."""
    pending = asyncio.ensure_future(rc.xread({"pool-wake": "$"}, block=10000))
    deadline = asyncio.get_running_loop().time() + 10
    while "cmd=xread" not in await rc.execute_command("CLIENT", "LIST"):
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)
    for _ in range(20):
        assert await asyncio.wait_for(rc.ping(), 2) == "PONG"
    new_id = await rc.xadd("pool-wake", {"k": "v"})
    assert await asyncio.wait_for(pending, 10) == {"pool-wake": [(new_id, {"k": "v"})]}


async def _two_groups_read(rc, key: str, n: int) -> None:
    """``n`` entries ``1-0``..``n-0`` in ``key``, each delivered to group g1 and to group g2."""
    for i in range(1, n + 1):
        await rc.xadd(key, {"i": i}, id=f"{i}-0")
    for group in ("g1", "g2"):
        await rc.xgroup_create(key, group, "0")
        await rc.xreadgroup(group, "c", {key: ">"})


async def test_xackdel(rc) -> None:
    """XACKDEL (Redis 8.2+): per-id codes; KEEPREF leaves other groups' references, ACKED keeps
    entries another group still has pending (2), DELREF clears every group's; -1 for an id not
    pending in the group. Elsewhere: UnsupportedCommandError naming the server, nothing sent."""
    if not is_redis(rc, (8, 2)):
        await assert_unsupported(rc, lambda: rc.xackdel("ad", "g1", ["1-0"]))
        return
    await _two_groups_read(rc, "ad", 4)
    assert await rc.xackdel("ad", "g1", ["1-0", "99-0"]) == [1, -1]
    assert (await rc.xpending("ad", "g2"))["pending"] == 4  # KEEPREF: g2 still refers to 1-0
    assert await rc.xackdel("ad", "g1", ["2-0"], ref="ACKED") == [2]
    assert await rc.xlen("ad") == 3
    assert await rc.xackdel("ad", "g2", ("2-0",), ref="acked") == [1]
    assert await rc.xackdel("ad", "g1", ["3-0"], ref="DELREF") == [1]
    assert (await rc.xpending("ad", "g2"))["pending"] == 2  # 1-0 dangling, 3-0 gone
    assert await rc.xack("ad", "g1", "4-0") == 1
    assert await rc.xackdel("ad", "g1", ["4-0"], ref="KEEPREF") == [-1]  # no longer pending in g1
    assert [e[0] for e in await rc.xrange("ad")] == ["4-0"]
    with pytest.raises(redis.InvalidData):
        rc.xackdel("ad", "g1", [])
    with pytest.raises(redis.InvalidData):
        rc.xackdel("ad", "g1", ["4-0"], ref="NOPE")


async def test_xdelex(rc) -> None:
    """XDELEX (Redis 8.2+): per-id codes (1 deleted, -1 no such id); ACKED keeps entries a group
    still has pending (2), DELREF also drops them from the groups' pending lists. Elsewhere:
    UnsupportedCommandError naming the server, nothing sent."""
    if not is_redis(rc, (8, 2)):
        await assert_unsupported(rc, lambda: rc.xdelex("dx", ["1-0"], ref="DELREF"))
        return
    await _two_groups_read(rc, "dx", 3)
    assert await rc.xdelex("dx", ["1-0"], ref="ACKED") == [2]
    assert await rc.xdelex("dx", ["1-0", "99-0"]) == [1, -1]
    assert (await rc.xpending("dx", "g1"))["pending"] == 3  # KEEPREF by default
    assert await rc.xdelex("dx", ["2-0"], ref="DELREF") == [1]
    assert (await rc.xpending("dx", "g1"))["pending"] == 2
    assert await rc.xack("dx", "g1", "3-0") == 1 and await rc.xack("dx", "g2", "3-0") == 1
    assert await rc.xdelex("dx", ["3-0"], ref="ACKED") == [1]
    assert await rc.xlen("dx") == 0 and await rc.xdelex("nostream", ["1-0"]) == [-1]
    with pytest.raises(redis.InvalidData):
        rc.xdelex("dx", [])
