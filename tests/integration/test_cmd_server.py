"""Server and connection commands against a private real server (they have server-wide effects)."""

from __future__ import annotations

import asyncio
import time

import pytest

import txredis_aio as redis
from tests.integration import _cmd_helpers
from tests.integration._cmd_helpers import (
    VARIANT_IDS,
    VARIANTS,
    assert_unsupported,
    connect,
    is_redis,
    is_valkey,
    s,
    server_of,
)
from txredis_aio._requests import is_blocking_request
from txredis_aio.cluster_testing import cluster_port
from txredis_aio.connection import ConnectionConfig
from txredis_aio.factories import make_handler
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
    """AUTH errors, ECHO, HELLO (RESP2 only) as a dict naming the handshake's server and version,
    its ``modules`` a list of dicts (Redis 8 lists its bundled ones), RESET back to DB 0, QUIT."""
    async with connect(own_server) as c:
        assert await c.echo("hello") == "hello" and await c.echo("12") == 12
        with pytest.raises(redis.ResponseError, match="AUTH"):
            await c.auth("nopass")
        hello = await c.hello()
        srv = server_of(c)
        assert hello["server"] == srv.name and hello["proto"] == 2
        assert hello["version"].startswith(".".join(map(str, srv.version)))
        assert isinstance(hello["modules"], list)
        assert all(isinstance(m, dict) and "name" in m for m in hello["modules"])
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
        # Valkey 8.1+ adds the spikes' sum and count to Redis' four fields.
        assert len(event) == (6 if is_valkey(r, (8, 1)) else 4) and event[2] >= 1
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
    """DEBUG OBJECT dict, LOLWUT text (the default art differs by server and version: Redis 8's
    is a poem without the version; VERSION 5's ends with "ver. <the server's version>" on every
    server), SWAPDB, WAIT with no replicas, REPLICAOF/SLAVEOF NO ONE."""
    await r.set("d", 12345)
    obj = await r.debug_object("d")
    assert obj["encoding"] == "int" and obj["refcount"] == "1"
    assert await r.debug("SET-ACTIVE-EXPIRE", 1) == "OK"
    art = await r.lolwut()
    assert isinstance(art, str) and art.strip()
    version = ".".join(map(str, server_of(r).version))
    assert (await r.lolwut(5)).rstrip().endswith(f" ver. {version}")
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
        assert hello["server"] == s(server_of(c).name, charset)
        assert hello["proto"] == 2
        cfg = await c.config_get("databases")
        assert cfg == {"databases": 16 if convert else s("16", charset)}
        assert (await c.client_info())["db"] == "0"


async def test_error_keeps_connection_usable(r) -> None:
    """A refused server command raises ResponseError with the server text; the next command works."""
    with pytest.raises(redis.ResponseError, match="DB index is out of range|invalid"):
        await r.swapdb(0, 99)
    assert await r.ping() == "PONG"


def has_7_2_client_commands(r) -> bool:
    """CLIENT SETINFO, CLIENT NO-TOUCH and WAITAOF came with Redis 7.2 (and Valkey forked from it)."""
    return is_redis(r, (7, 2)) or is_valkey(r, (7, 2))


async def test_waitaof(r) -> None:
    """WAITAOF (Redis 7.2+, Valkey): ``[local, replicas]`` counts, ``[0, 0]`` when nothing is asked;
    numlocal 1 is refused without appendonly and reaches ``[1, 0]`` with it; pools treat it as
    blocking (leased connection). Elsewhere: UnsupportedCommandError naming the server."""
    assert is_blocking_request(("WAITAOF", 0, 0, 10)) and is_blocking_request((b"waitaof", 1, 0, 0))
    if not has_7_2_client_commands(r):
        await assert_unsupported(r, lambda: r.waitaof(0, 0, 10))
        return
    assert await r.waitaof(0, 0, 10) == [0, 0]
    with pytest.raises(redis.ResponseError, match="appendonly"):
        await r.waitaof(1, 0, 10)
    with RedisServer(args=["--appendonly", "yes"]) as aof:
        async with connect(aof) as c:
            await c.set("durable", 1)
            assert await c.waitaof(1, 0, 5000) == [1, 0]


async def test_client_setinfo_and_no_touch(r, own_server) -> None:
    """CLIENT SETINFO (Redis 7.2+, Valkey) sets lib-name/lib-ver shown by CLIENT INFO, the server
    refusing a name with spaces; CLIENT NO-TOUCH ON keeps reads from bumping a key's LFU counter
    (TOUCH still does) and shows as flag T; both are allowed on a shared pool. Elsewhere:
    UnsupportedCommandError naming the server."""
    if not has_7_2_client_commands(r):
        await assert_unsupported(r, lambda: r.client_setinfo("LIB-NAME", "mine"))
        await assert_unsupported(r, lambda: r.client_no_touch(True))
        return
    assert await r.client_setinfo("LIB-VER", "1.0") == "OK"  # a pool: one member, allowed
    assert await r.client_no_touch(False) == "OK"
    async with connect(own_server) as c:
        assert await c.client_setinfo("LIB-NAME", "mylib") == "OK"
        assert await c.client_setinfo("lib-ver", "9.9") == "OK"
        info = await c.client_info()
        assert info["lib-name"] == "mylib" and info["lib-ver"] == "9.9"
        with pytest.raises(redis.ResponseError):
            await c.client_setinfo("LIB-NAME", "has space")
        await c.config_set({"maxmemory-policy": "allkeys-lfu", "lfu-log-factor": 0})
        try:
            await c.set("nt", "v")
            freq = await c.object_freq("nt")
            assert await c.client_no_touch(True) == "OK"
            assert "T" in (await c.client_info())["flags"]
            assert await c.get("nt") == "v" and await c.get("nt") == "v"
            assert await c.object_freq("nt") == freq
            assert await c.touch("nt") == 1 and await c.object_freq("nt") == freq + 1
            assert await c.client_no_touch(False) == "OK"
            assert "T" not in (await c.client_info())["flags"]
            await c.get("nt")
            assert await c.object_freq("nt") == freq + 2
        finally:
            await c.config_set({"maxmemory-policy": "noeviction", "lfu-log-factor": 10})


async def test_handshake_sets_lib_name_and_version(own_server) -> None:
    """On Redis 7.2+/Valkey the handshake sends CLIENT SETINFO: CLIENT INFO shows
    ``lib-name=txredis_aio`` and ``lib-ver=<txredis_aio.__version__>`` (older servers refuse it
    silently); ``ConnectionConfig(client_setinfo=False)`` sends none, leaving both empty."""
    async with connect(own_server) as c:
        line = await c.execute_command("CLIENT", "INFO")
        if has_7_2_client_commands(c):
            assert " lib-name=txredis_aio " in line and f" lib-ver={redis.__version__} " in line
        else:
            assert "lib-name=txredis_aio" not in line
        assert await c.ping() == "PONG"
    cfg = ConnectionConfig(host=own_server.host, port=own_server.port, client_setinfo=False)
    handler = make_handler(cfg, 1)
    try:
        await handler._connected
        info = await handler.client_info()
        assert info.get("lib-name", "") == "" and info.get("lib-ver", "") == ""
    finally:
        await handler.disconnect()


async def test_commandlog(r) -> None:
    """COMMANDLOG GET/LEN/RESET (Valkey 8.1+) for each type: entries shaped as slowlog_get's dicts
    (long arguments cut as SLOWLOG cuts them), ``duration`` the µs (slow) or bytes (large-request/
    large-reply) logged; an unknown type is the server's error. Elsewhere: UnsupportedCommandError
    naming the server, for each method."""
    if not is_valkey(r, (8, 1)):
        await assert_unsupported(r, lambda: r.commandlog_get(10, "slow"))
        await assert_unsupported(r, lambda: r.commandlog_len("large-request"))
        await assert_unsupported(r, lambda: r.commandlog_reset("large-reply"))
        return
    # Thresholds above the size of the COMMANDLOG requests themselves, which are logged too.
    await r.config_set({"commandlog-execution-slower-than": 0, "commandlog-request-larger-than": 100,
                        "commandlog-reply-larger-than": 100})
    try:
        for kind in ("slow", "large-request", "large-reply"):
            assert await r.commandlog_reset(kind) == "OK"
        big = "x" * 200
        assert await r.echo(big) == big
        slow = [e for e in await r.commandlog_get(-1, "slow") if e["command"][0] == "ECHO"]
        assert slow and slow[0]["command"] == ["ECHO", "x" * 128 + "... (72 more bytes)"]  # as SLOWLOG
        assert isinstance(slow[0]["id"], int) and isinstance(slow[0]["start_time"], int)
        assert isinstance(slow[0]["duration"], int)
        assert "client_address" in slow[0] and "client_name" in slow[0]
        for kind in ("large-request", "large-reply"):
            entries = [e for e in await r.commandlog_get(10, kind) if e["command"][0] == "ECHO"]
            assert entries and entries[0]["duration"] >= 200
            assert await r.commandlog_len(kind) >= 1
        assert len(await r.commandlog_get(1, "slow")) == 1
        assert await r.commandlog_reset("large-request") == "OK"
        assert await r.commandlog_len("large-request") == 0
        with pytest.raises(redis.ResponseError, match="type should be"):
            await r.commandlog_len("bogus")
    finally:
        await r.config_set({"commandlog-execution-slower-than": 10000,
                            "commandlog-request-larger-than": 1048576,
                            "commandlog-reply-larger-than": 1048576})


async def test_cluster_slot_stats(r) -> None:
    """CLUSTER SLOT-STATS (Valkey 8.0+, Redis 8.2+) on a one-node cluster: ``{slot: {metric: n}}``
    in the server's order, by SLOTSRANGE or ORDERBY metric with LIMIT, ascending unless ``desc``;
    a bad combination of arguments raises InvalidData before sending; the cluster handler has
    the method too. Elsewhere: UnsupportedCommandError naming the server."""
    assert callable(redis.ClusterHandler.cluster_slot_stats)
    if not (is_valkey(r, (8, 0)) or is_redis(r, (8, 2))):
        await assert_unsupported(r, lambda: r.cluster_slot_stats(slotsrange=(0, 1)))
        return
    with RedisServer(port=cluster_port(), args=["--cluster-enabled", "yes"]) as node:  # bus port +10000
        async with connect(node) as c:
            assert await c.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383) == "OK"
            assert await c.config_set("cluster-slot-stats-enabled", "yes") == "OK"
            deadline = time.monotonic() + 20
            while "cluster_state:ok" not in await c.execute_command("CLUSTER", "INFO"):
                assert time.monotonic() < deadline, "the one-node cluster did not come up"
                await asyncio.sleep(0.05)
            slot = await c.execute_command("CLUSTER", "KEYSLOT", "{a}")
            await c.set("{a}1", 1)
            await c.set("{a}2", 2)
            stats = await c.cluster_slot_stats(slotsrange=(slot, slot + 1))
            assert list(stats) == [slot, slot + 1]
            assert stats[slot]["key-count"] == 2 and stats[slot + 1]["key-count"] == 0
            assert set(stats[slot]) >= {"key-count", "cpu-usec", "network-bytes-in", "network-bytes-out"}
            assert list(await c.cluster_slot_stats(orderby="key-count", limit=1, desc=True)) == [slot]
            low = await c.cluster_slot_stats(orderby="key-count", limit=3)
            assert len(low) == 3 and all(v["key-count"] == 0 for v in low.values())
            both = {"slotsrange": (0, 1), "orderby": "key-count"}
            for bad in ({}, both, {"slotsrange": (0, 1), "limit": 1}, {"slotsrange": (0, 1), "desc": True}):
                with pytest.raises(redis.InvalidData):
                    c.cluster_slot_stats(**bad)
            with pytest.raises(redis.ResponseError):
                await c.cluster_slot_stats(orderby="no-such-metric", limit=1)
            assert await c.ping() == "PONG"
