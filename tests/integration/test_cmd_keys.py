"""Generic key commands against a real server: expiry, scan, sort, dump/restore, copy, object."""

from __future__ import annotations

import time

import pytest

import txredis_aio as redis
from tests.integration.cmd_clients import Recorder, k, noconv_client, raw_client, rawstr_client  # noqa: F401
from txredis_aio.testing import RedisServer


async def test_exists_delete_type_rename(rc) -> None:
    """EXISTS gives int 0/1 (a count for many keys); DEL/UNLINK/TOUCH counts; TYPE; RENAME*."""
    a, b, c = k("a"), k("b"), k("c")
    assert await rc.exists(a) == 0
    await rc.set(a, 1)
    await rc.set(b, 2)
    e = await rc.exists(a)
    assert e == 1 and type(e) is int
    assert await rc.exists(a, b, c) == 2
    assert await rc.type(a) == "string" and await rc.type(c) == "none"
    assert await rc.touch([a, b, c]) == 2
    assert await rc.rename(a, c) == "OK"
    assert await rc.renamenx(c, b) == 0
    assert await rc.renamenx(c, a) == 1
    assert await rc.delete([a, c]) == 1
    with pytest.warns(DeprecationWarning):
        assert await rc.delete(a, b) == 1
    await rc.set(a, 1)
    assert await rc.unlink(a) == 1 and await rc.exists(a) == 0
    with pytest.raises(redis.ResponseError, match="^ERR no such key"):
        await rc.rename(a, b)
    assert await rc.ping() == "PONG"


async def test_keys_and_randomkey(rc, raw) -> None:
    """KEYS converts numeric names to int (txredisapi); RANDOMKEY is None on an empty db."""
    assert await rc.randomkey() is None
    await rc.mset({"123": "x", "kk:1": "y"})
    assert sorted(await rc.keys("kk:*")) == ["kk:1"]
    assert await rc.keys("12*") == [123]
    assert await raw.keys("kk*") == [b"kk:1"]
    assert await rc.randomkey() in (123, "kk:1")


async def test_expire_family(rc) -> None:
    """EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT with NX/XX/GT/LT; TTL/PTTL/EXPIRETIME/PERSIST."""
    a = k("e")
    await rc.set(a, "v")
    assert await rc.ttl(a) == -1 and await rc.pttl(a) == -1 and await rc.expiretime(a) == -1
    assert await rc.ttl(k("missing")) == -2
    assert await rc.expire(a, 100, xx=True) == 0
    assert await rc.expire(a, 100, nx=True) == 1
    assert await rc.expire(a, 50, gt=True) == 0
    assert await rc.expire(a, 200, gt=True) == 1 and 100 < await rc.ttl(a) <= 200
    assert await rc.pexpire(a, 30_000, lt=True) == 1 and 20_000 < await rc.pttl(a) <= 30_000
    at = int(time.time()) + 1000
    assert await rc.expireat(a, at) == 1 and await rc.expiretime(a) == at
    assert await rc.pexpireat(a, at * 1000 + 5, xx=True, gt=True) == 1
    assert await rc.pexpiretime(a) == at * 1000 + 5
    assert await rc.persist(a) == 1 and await rc.ttl(a) == -1
    assert await rc.persist(a) == 0


async def test_expire_bad_options_sync(rc) -> None:
    """Impossible EXPIRE flag combinations raise InvalidData before anything is sent."""
    with pytest.raises(redis.InvalidData):
        rc.expire("x", 1, nx=True, xx=True)
    with pytest.raises(redis.InvalidData):
        rc.pexpire("x", 1, gt=True, lt=True)
    assert await rc.ping() == "PONG"


async def test_scan_shapes(rc, noconv, raw) -> None:
    """SCAN returns [cursor, keys]; the cursor is int with convertNumbers, else str/bytes."""
    names = {f"sc:{i}" for i in range(30)}
    await rc.mset({n: 1 for n in names})
    await rc.execute_command("RPUSH", "sc:list", "x")
    cursor, keys = await rc.scan(0, "sc:*", 1000)
    assert cursor == 0 and set(keys) == names | {"sc:list"}
    cursor, keys = await noconv.scan(0, "sc:*", 1000)
    assert cursor == "0"
    cursor, keys = await raw.scan(0, "sc:1*", 1000)
    assert cursor == 0 and set(keys) == {n.encode() for n in names if n.startswith("sc:1")}
    cursor, keys = await rc.scan(0, "sc:*", 1000, _type="list")
    assert keys == ["sc:list"]


async def test_scan_iter(rc, noconv, rawstr) -> None:
    """scan_iter walks every cursor (small COUNT forces many) in every reply mode."""
    names = {f"it:{i}" for i in range(200)}
    await rc.mset({n: 1 for n in names})
    await rc.execute_command("SADD", "it:set", "x")
    assert {x async for x in rc.scan_iter("it:*", count=10)} == names | {"it:set"}
    assert {x async for x in noconv.scan_iter("it:*", 10)} == names | {"it:set"}
    assert {x async for x in rawstr.scan_iter("it:*")} == {n.encode() for n in names | {"it:set"}}
    assert [x async for x in rc.scan_iter(_type="set")] == ["it:set"]


async def test_copy_move(rc, redis_server) -> None:
    """COPY (with DB and REPLACE) and MOVE between databases."""
    a, b = k("src"), k("dst")
    await rc.set(a, "v")
    assert await rc.copy(a, b) == 1
    assert await rc.copy(a, b) == 0
    await rc.set(a, "w")
    assert await rc.copy(a, b, replace=True) == 1 and await rc.get(b) == "w"
    assert await rc.copy(a, b, db=9) == 1
    assert await rc.move(b, 9) == 0
    assert await rc.move(a, 8) == 1 and await rc.exists(a) == 0
    c = await redis.Connection(redis_server.host, redis_server.port, dbid=9)
    try:
        assert await c.get(b) == "w"
        await c.execute_command("FLUSHDB")
    finally:
        await c.disconnect()
    await rc.execute_command("FLUSHALL")


async def test_dump_restore(rc) -> None:
    """DUMP returns bytes even with charset=utf-8; RESTORE recreates the value (REPLACE, ABSTTL)."""
    a, b = k("d"), k("r")
    await rc.execute_command("RPUSH", a, "x", "é", "3")
    payload = await rc.dump(a)
    assert isinstance(payload, bytes) and len(payload) > 5
    assert await rc.dump(k("none")) is None
    assert await rc.restore(b, 0, payload) == "OK"
    assert await rc.execute_command("LRANGE", b, 0, -1) == ["x", "é", 3]
    with pytest.raises(redis.ResponseError, match="^BUSYKEY"):
        await rc.restore(b, 0, payload)
    at = int(time.time() * 1000) + 100_000
    assert await rc.restore(b, at, payload, True, absttl=True, idletime=5) == "OK"
    assert 90 < await rc.ttl(b) <= 100


async def test_object_subcommands(rc) -> None:
    """OBJECT ENCODING/IDLETIME/REFCOUNT; FREQ errors under the default LRU policy."""
    a = k("o")
    await rc.set(a, 123)
    assert await rc.object_encoding(a) == "int"
    await rc.execute_command("HSET", a + "h", "f", "x")
    assert await rc.object_encoding(a + "h") == "listpack"
    assert await rc.object_idletime(a) >= 0
    assert await rc.object_refcount(a) >= 1
    with pytest.raises(redis.ResponseError, match="LFU"):
        await rc.object_freq(a)
    assert await rc.object_encoding(k("none")) is None
    assert any("ENCODING" in line for line in await rc.object_help())


async def test_sort(rc) -> None:
    """SORT with LIMIT, BY, GET (one or many), DESC, ALPHA, STORE; start without end is RedisError."""
    a = k("l")
    await rc.execute_command("RPUSH", a, 3, 1, 2)
    await rc.mset({"w_1": 30, "w_2": 10, "w_3": 20, "n_1": "one", "n_2": "two", "n_3": "three"})
    assert await rc.sort(a) == [1, 2, 3]
    assert await rc.sort(a, desc=True) == [3, 2, 1]
    assert await rc.sort(a, 1, 1) == [2]
    assert await rc.sort(a, by="w_*") == [2, 3, 1]
    assert await rc.sort(a, by="w_*", get="n_*") == ["two", "three", "one"]
    assert await rc.sort(a, get=["#", "n_*"]) == [1, "one", 2, "two", 3, "three"]
    await rc.execute_command("RPUSH", a + "s", "b", "a", "c")
    assert await rc.sort(a + "s", alpha=True) == ["a", "b", "c"]
    assert await rc.sort(a + "s", alpha=True, store=a + "out") == 3
    assert await rc.execute_command("LRANGE", a + "out", 0, -1) == ["a", "b", "c"]
    assert await rc.sort_ro(a, desc=True, start=0, end=2) == [3, 2]
    with pytest.raises(redis.RedisError, match="must both be specified"):
        rc.sort(a, start=1)
    with pytest.raises(redis.ResponseError, match="^ERR One or more scores can't be converted"):
        await rc.sort(a + "s")


async def test_migrate(rc) -> None:
    """MIGRATE copies keys to another server's database; a missing key gives NOKEY."""
    a = k("m")
    await rc.set(a, "v")
    with RedisServer() as other:
        assert await rc.migrate(other.host, other.port, [a], 5, 5000, copy=True) == "OK"
        assert await rc.migrate(other.host, other.port, k("none"), 5, 5000) == "NOKEY"
        async with redis.Connection(other.host, other.port, dbid=5) as c:
            assert await c.get(a) == "v"
    assert await rc.get(a) == "v"


def test_wire_forms() -> None:
    """SORT builds txredisapi's argument order; SCAN adds TYPE last."""
    r = Recorder()
    assert r.last(r.sort("k", 0, 5, by="w_*", get="n_*", desc=True, alpha=True, store="d")) == (
        "SORT", "k", "BY", "w_*", "LIMIT", 0, 5, "GET", "n_*", "DESC", "ALPHA", "STORE", "d")
    assert r.last(r.scan(5, "p*", 10, _type="hash")) == (
        "SCAN", 5, "MATCH", "p*", "COUNT", 10, "TYPE", "hash")
