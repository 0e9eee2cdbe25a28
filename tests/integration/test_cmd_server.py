"""Server and connection commands against a private real server (they have server-wide effects)."""

from __future__ import annotations

import asyncio
import time

import pytest

import txredis_aio as redis
from tests.integration import _cmd_helpers
from tests.integration._cmd_helpers import VARIANT_IDS, VARIANTS, connect, s
from txredis_aio.testing import RedisServer

own_server, r = _cmd_helpers.own_server, _cmd_helpers.r  # fixtures: a private server, a pool on it


async def test_txredisapi_server_commands(r, own_server) -> None:
    """ping/dbsize/time/lastsave/role/info/flushdb/flushall/flush shapes as txredisapi returns them."""
    assert await r.ping() == "PONG" and await r.ping("hi") == "hi"
    await r.set("a", 1)
    await r.set("b", 2)
    assert await r.dbsize() == 2
    secs, usecs = await r.time()
    assert isinstance(secs, int) and isinstance(usecs, int) and abs(secs - time.time()) < 60
    assert isinstance(await r.lastsave(), int)
    assert await r.role() == ["master", 0, []]
    assert isinstance(await r.info(), str)
    assert (await r.info("server"))["tcp_port"] == str(own_server.port)
    assert await r.flushdb() == "OK" and await r.dbsize() == 0
    await r.set("a", 1)
    with pytest.warns(DeprecationWarning):
        fut = r.flush()
    assert await fut == "OK" and await r.dbsize() == 0
    await r.set("a", 1)
    with pytest.warns(DeprecationWarning):
        fut = r.flush(all_dbs=True)
    assert await fut == "OK" and await r.dbsize() == 0
    assert await r.flushall("ASYNC") == "OK" and await r.flushdb("SYNC") == "OK"


async def test_time_is_ints_without_number_conversion(own_server) -> None:
    """TIME's two bulk strings are ints even with convertNumbers=False (txredisapi's [int, int])."""
    async with connect(own_server, convert_numbers=False, charset=None) as c:
        secs, usecs = await c.time()
        assert isinstance(secs, int) and isinstance(usecs, int)


async def test_persistence_commands(r) -> None:
    """SAVE/BGSAVE/BGREWRITEAOF answer with their status texts; LASTSAVE moves forward."""
    assert await r.save() == "OK"
    before = await r.lastsave()
    assert before >= int(time.time()) - 5
    assert await r.bgsave(schedule=True) in ("Background saving started", "Background saving scheduled")
    assert "rewriting" in await r.bgrewriteaof()
    async def settled() -> bool:
        info = await r.info("persistence")
        return info["rdb_bgsave_in_progress"] == "0" and info["aof_rewrite_in_progress"] == "0"
    deadline = time.monotonic() + 20
    while not await settled():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)


async def test_config_get_set_rewrite_resetstat(r, own_server) -> None:
    """CONFIG GET is a dict; CONFIG SET takes a pair or a mapping; RESETSTAT clears counters."""
    got = await r.config_get("maxmemory*")
    assert got["maxmemory"] == 0 and got["maxmemory-policy"] == "noeviction"
    assert await r.config_set("maxmemory-samples", 7) == "OK"
    assert await r.config_set({"slowlog-max-len": 64, "hz": 15}) == "OK"
    assert await r.config_get("maxmemory-samples", "hz") == {"maxmemory-samples": 7, "hz": 15}
    assert len(await r.config_get()) > 100
    with pytest.raises(redis.ResponseError, match="Unknown option|unsupported"):
        await r.config_set("no-such-option", 1)
    with pytest.raises(redis.InvalidData):
        r.config_set("hz")
    assert await r.config_rewrite() == "OK"
    await r.ping()
    assert await r.config_resetstat() == "OK"
    assert (await r.info("stats"))["total_commands_processed"] in ("0", "1")
    async with connect(own_server, charset=None, convert_numbers=False) as c:
        assert await c.config_get("hz") == {"hz": b"15"}
    await r.config_set({"hz": 10, "slowlog-max-len": 128, "maxmemory-samples": 5})


async def test_client_commands(r, own_server) -> None:
    """CLIENT ID/INFO/LIST (dicts of str), SETNAME/GETNAME, KILL forms, NO-EVICT, PAUSE/UNPAUSE."""
    async with connect(own_server) as c, connect(own_server) as victim:
        my_id = await c.client_id()
        assert isinstance(my_id, int)
        assert await c.client_getname() is None
        assert await c.client_setname("tester") == "OK" and await c.client_getname() == "tester"
        info = await c.client_info()
        assert info["id"] == str(my_id) and info["name"] == "tester" and info["cmd"] == "client|info"
        clients = await c.client_list()
        assert {str(my_id)} <= {x["id"] for x in clients} and all("addr" in x for x in clients)
        assert [x["id"] for x in await c.client_list(client_ids=[my_id])] == [str(my_id)]
        assert all(x["flags"] != "M" for x in await c.client_list(type="normal"))
        victim_id = await victim.client_id()
        assert await c.client_kill(id=victim_id, skipme=True) == 1
        assert str(victim_id) not in {x["id"] for x in await c.client_list()}
        assert await c.client_kill(id=999999) == 0
        with pytest.raises(redis.ResponseError, match="No such client"):
            await c.client_kill("127.0.0.1:1")
        with pytest.raises(redis.InvalidData):
            c.client_kill()
        assert await c.client_no_evict(True) == "OK" and await c.client_no_evict(False) == "OK"
        assert await c.client_pause(100, "WRITE") == "OK" and await c.client_unpause() == "OK"
        assert await c.client_pause(50) == "OK"
        assert await c.ping() == "PONG"


async def test_client_tracking_and_unblock(own_server) -> None:
    """CLIENT TRACKING with REDIRECT, TRACKINGINFO dict, GETREDIR, CACHING; CLIENT UNBLOCK frees a BLPOP."""
    async with connect(own_server) as c, connect(own_server) as sink, connect(own_server) as blocked:
        sink_id = await sink.client_id()
        assert await c.client_tracking(True, redirect=sink_id, prefixes=["user:"], bcast=True) == "OK"
        info = await c.client_trackinginfo()
        assert "on" in info["flags"] and "bcast" in info["flags"] and info["redirect"] == sink_id
        assert info["prefixes"] == ["user:"]
        assert await c.client_getredir() == sink_id
        assert await c.client_tracking(False) == "OK" and await c.client_getredir() == -1
        assert await c.client_tracking(True, redirect=sink_id, optin=True) == "OK"
        assert await c.client_caching(True) == "OK"
        await c.client_tracking(False)
        bid = await blocked.client_id()
        pending = asyncio.ensure_future(blocked.execute_command("BLPOP", "never", 0))
        deadline = time.monotonic() + 10
        while not any(x["id"] == str(bid) and x["cmd"] == "blpop" for x in await c.client_list()):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        assert await c.client_unblock(bid) == 1
        assert await asyncio.wait_for(pending, 10) is None
        assert await c.client_unblock(bid, error=True) == 0


async def test_connection_commands(own_server) -> None:
    """AUTH errors, ECHO, HELLO (RESP2 only) as a dict, RESET back to DB 0, QUIT."""
    async with connect(own_server) as c:
        assert await c.echo("hello") == "hello" and await c.echo("12") == 12
        with pytest.raises(redis.ResponseError, match="AUTH"):
            await c.auth("nopass")
        hello = await c.hello()
        assert hello["server"] == "redis" and hello["proto"] == 2 and hello["modules"] == []
        assert (await c.hello(2, setname="named"))["proto"] == 2
        assert await c.client_getname() == "named"
        with pytest.raises(redis.InvalidData):
            c.hello(3)
        await c.select(3)
        await c.set("in3", 1)
        assert await c.reset() == "RESET"
        assert await c.get("in3") is None and await c.client_getname() is None
        assert await c.quit() == "OK"


async def test_auth_with_acl_user(own_server) -> None:
    """auth(password, username) authenticates as an ACL user; ACL WHOAMI shows it."""
    async with connect(own_server) as admin:
        await admin.acl_setuser("bob", "on", ">bob-pw", "~*", "+@all")
        try:
            async with connect(own_server) as c:
                assert await c.auth("bob-pw", "bob") == "OK"
                assert await c.acl_whoami() == "bob"
                with pytest.raises(redis.AuthenticationError):
                    await c.auth("wrong", "bob")
                assert (await c.hello(2, username="bob", password="bob-pw"))["proto"] == 2
        finally:
            await admin.acl_deluser("bob")


async def test_acl_commands(r, own_server) -> None:
    """ACL SETUSER/GETUSER (dict)/USERS/LIST/CAT/DRYRUN/GENPASS/LOG/DELUSER."""
    assert await r.acl_whoami() == "default"
    assert await r.acl_setuser("carol", "on", ">pw", "~cache:*", "+get", "+set") == "OK"
    user = await r.acl_getuser("carol")
    assert "on" in user["flags"] and user["keys"] == "~cache:*" and len(user["passwords"]) == 1
    assert "+get" in user["commands"] and user["selectors"] == []
    assert await r.acl_getuser("nobody") is None
    assert set(await r.acl_users()) == {"carol", "default"}
    assert any(line.startswith("user carol on") for line in await r.acl_list())
    assert "read" in await r.acl_cat() and "get" in await r.acl_cat("read")
    assert await r.acl_dryrun("carol", "GET", "cache:1") == "OK"
    assert "no permissions" in await r.acl_dryrun("carol", "DEL", "cache:1")
    pw = await r.acl_genpass()
    assert isinstance(pw, str) and len(pw) == 64 and len(await r.acl_genpass(32)) == 8
    assert await r.acl_log_reset() == "OK"
    async with connect_as(own_server, "carol", "pw") as c:
        with pytest.raises(redis.NoPermissionError):
            await c.execute_command("DEL", "cache:1")
    log = await r.acl_log(1)
    assert len(log) == 1 and log[0]["username"] == "carol" and log[0]["object"] == "del"
    assert await r.acl_deluser("carol", "ghost") == 1
    with pytest.raises(redis.ResponseError, match="ACL"):
        await r.acl_load()
    with pytest.raises(redis.ResponseError):
        await r.acl_save()


def connect_as(server: RedisServer, username: str, password: str):
    """A connection to ``server``, authenticated as an ACL user."""
    return redis.Connection(server.host, server.port, password=password, username=username)


async def test_command_introspection(r) -> None:
    """COMMAND COUNT/INFO/DOCS/LIST/GETKEYS/GETKEYSANDFLAGS."""
    count = await r.command_count()
    assert count > 200
    assert len(await r.command()) == count
    get_info, missing = await r.command_info("get", "nosuchcommand")
    assert get_info[0] == "get" and get_info[1] == 2 and missing is None
    docs = await r.command_docs("get", "config")
    assert docs["get"]["group"] == "string" and docs["get"]["since"] == "1.0.0"
    assert docs["get"]["arguments"][0]["name"] == "key"
    assert docs["config"]["subcommands"]["config|get"]["group"] == "server"
    assert isinstance(docs["get"].get("history", []), list)
    names = await r.command_list()
    assert "get" in names and "config|get" in names and len(names) > count
    assert set(await r.command_list(aclcat="hyperloglog")) >= {"pfadd", "pfcount", "pfmerge"}
    assert set(await r.command_list(pattern="xgroup|c*")) == {
        "xgroup|create", "xgroup|createconsumer"}
    assert await r.command_getkeys("MSET", "a", 1, "b", 2) == ["a", "b"]
    assert await r.command_getkeysandflags("LMOVE", "src", "dst", "LEFT", "RIGHT") == [
        ("src", ["RW", "access", "delete"]), ("dst", ["RW", "insert"])]


async def test_memory_slowlog_latency(r) -> None:
    """MEMORY USAGE/STATS/DOCTOR, SLOWLOG GET (dicts)/LEN/RESET, LATENCY LATEST/HISTORY/RESET/HISTOGRAM."""
    await r.set("m", "x" * 100)
    assert await r.memory_usage("m") > 100 and await r.memory_usage("nope") is None
    assert await r.memory_usage("m", samples=0) > 100
    stats = await r.memory_stats()
    assert stats["keys.count"] >= 1 and isinstance(stats["db.0"], dict)
    assert stats["db.0"]["overhead.hashtable.main"] >= 0
    assert isinstance(await r.memory_doctor(), str)
    assert isinstance(await r.memory_malloc_stats(), str)
    assert await r.memory_purge() == "OK"
    await r.config_set("slowlog-log-slower-than", 0)
    try:
        assert await r.slowlog_reset() == "OK"
        await r.echo("slow one")
        entries = await r.slowlog_get(10)
        echo = [e for e in entries if e["command"][0] == "ECHO"][0]
        assert echo["command"] == ["ECHO", "slow one"] and isinstance(echo["duration"], int)
        assert "client_address" in echo and "client_name" in echo
        assert await r.slowlog_len() >= 1
    finally:
        await r.config_set("slowlog-log-slower-than", 10000)
    await r.config_set("latency-monitor-threshold", 1)
    try:
        await r.debug_sleep(0.05)
        latest = await r.latency_latest()
        event = [e for e in latest if e[0] == "command"][0]
        assert len(event) == 4 and event[2] >= 1
        history = await r.latency_history("command")
        assert history and len(history[0]) == 2
        assert isinstance(await r.latency_doctor(), str)
        assert isinstance(await r.latency_graph("command"), str)
        assert await r.latency_reset("command") == 1 and await r.latency_reset() == 0
    finally:
        await r.config_set("latency-monitor-threshold", 0)
    hist = await r.latency_histogram("set")
    assert hist["set"]["calls"] >= 1 and all(isinstance(k, int) for k in hist["set"]["histogram_usec"])


async def test_debug_lolwut_swapdb_wait_replicaof(r, own_server) -> None:
    """DEBUG OBJECT dict, LOLWUT text, SWAPDB, WAIT with no replicas, REPLICAOF/SLAVEOF NO ONE."""
    await r.set("d", 12345)
    obj = await r.debug_object("d")
    assert obj["encoding"] == "int" and obj["refcount"] == "1"
    assert await r.debug("SET-ACTIVE-EXPIRE", 1) == "OK"
    assert "Redis ver." in await r.lolwut() and "Redis ver." in await r.lolwut(5)
    async with connect(own_server) as c:
        await c.select(1)
        await c.set("only-in-1", "x")
        assert await c.swapdb(0, 1) == "OK"
        assert await c.get("only-in-1") is None
        await c.select(0)
        assert await c.get("only-in-1") == "x"
        assert await c.wait(0, 10) == 0
    assert await r.replicaof() == "OK" and await r.slaveof() == "OK"
    with pytest.raises(redis.InvalidData):
        r.replicaof("127.0.0.1")
    with pytest.raises(redis.ResponseError):
        await r.failover()


async def test_shutdown(own_server) -> None:
    """SHUTDOWN NOSAVE stops the server: the caller sees the connection close."""
    srv = RedisServer()
    srv.start()
    try:
        async with connect(srv) as c:
            with pytest.raises(redis.ConnectionError):
                await c.shutdown(save=False)
        assert srv.proc is not None
        srv.proc.wait(10)
        assert srv.proc.returncode is not None
    finally:
        srv.cleanup()


@pytest.mark.parametrize("convert,charset", VARIANTS, ids=VARIANT_IDS)
async def test_dict_labels_are_str_in_every_mode(own_server, convert, charset) -> None:
    """HELLO/CONFIG GET/CLIENT INFO dict keys are str whatever the settings; values follow them."""
    async with connect(own_server, convert, charset) as c:
        hello = await c.hello()
        assert hello["server"] == s("redis", charset)
        assert hello["proto"] == 2
        cfg = await c.config_get("databases")
        assert cfg == {"databases": 16 if convert else s("16", charset)}
        assert (await c.client_info())["db"] == "0"


async def test_error_keeps_connection_usable(r) -> None:
    """A refused server command raises ResponseError with the server text; the next command works."""
    with pytest.raises(redis.ResponseError, match="DB index is out of range|invalid"):
        await r.swapdb(0, 99)
    assert await r.ping() == "PONG"
