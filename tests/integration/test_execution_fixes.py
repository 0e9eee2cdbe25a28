"""Regression tests for review findings on the execution model (leases, seams, backlog, types)."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

import txredis_aio as redis
from txredis_aio.pool import ConnectionModeError
from txredis_aio.testing import RedisServer, free_port


async def wait_for(cond, timeout: float = 10.0) -> None:
    """Poll ``cond()`` until true, failing after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


async def gets_finish_quickly(rc, n: int = 20, limit: float = 1.0) -> None:
    """``n`` concurrent GETs all reply within ``limit`` seconds (none queued behind a blocked one)."""
    res = await asyncio.wait_for(asyncio.gather(*(rc.get("k") for _ in range(n))), limit)
    assert res == ["v"] * n


# -- (2) blocking commands inside pipelines and watching transactions keep their lease ----------


async def test_pipeline_with_blpop_keeps_its_connection_until_the_reply(rc) -> None:
    """A pipeline holding BLPOP keeps its connection leased until the BLPOP replied: other
    commands on the pool never queue behind the blocked connection."""
    await rc.set("k", "v")
    p = await rc.pipeline()
    p.set("a", 1)
    p.blpop(["nothing-here"], 2)
    done = p.execute_pipeline()
    assert len(rc._pool._leased) == 1
    await gets_finish_quickly(rc)
    assert not done.done()
    assert await done == ["OK", None]
    await wait_for(lambda: not rc._pool._leased)


async def test_pipeline_blpop_not_aborted_by_reply_timeout_of_others(redis_server: RedisServer) -> None:
    """With replyTimeout, commands that would have queued behind a pipeline's BLPOP cannot time
    out and abort it: the BLPOP's connection is not shared while it blocks."""
    rc = await redis.ConnectionPool(redis_server.host, redis_server.port, poolsize=2, replyTimeout=0.5)
    try:
        await rc.set("k", "v")
        p = await rc.pipeline()
        p.blpop(["nothing-here"], 1)
        done = p.execute_pipeline()
        await gets_finish_quickly(rc)
        assert await done == [None]
    finally:
        await rc.disconnect()


async def test_cancelled_blocking_pipeline_keeps_lease_until_reply(rc) -> None:
    """Cancelling execute_pipeline() or the BLPOP's own Future does not end the lease early:
    the connection returns to the pool only once the BLPOP reply arrived."""
    await rc.set("k", "v")
    p = await rc.pipeline()
    b = p.blpop(["nothing-here"], 1)
    done = p.execute_pipeline()
    b.cancel()
    done.cancel()
    await asyncio.sleep(0)
    assert len(rc._pool._leased) == 1
    await gets_finish_quickly(rc)
    await wait_for(lambda: not rc._pool._leased, 5)
    assert len(rc._pool._shared) == 2


async def test_watching_transaction_blpop_keeps_lease_after_unwatch(rc) -> None:
    """BLPOP sent on a watching transaction, then unwatch(): the connection stays leased until
    the BLPOP replied, so pool commands go to the other connection at once."""
    await rc.set("k", "v")
    t = await rc.watch("w")
    b = t.blpop(["nothing-here"], 2)
    u = t.unwatch()
    assert len(rc._pool._leased) == 1
    await gets_finish_quickly(rc)
    assert not b.done()
    assert await b is None
    assert await u == "OK"
    await wait_for(lambda: not rc._pool._leased)


# -- (6) commands that change a connection's mode are refused where others share it -------------

MODE_CHANGERS = [
    ("SUBSCRIBE", "ch"), ("PSUBSCRIBE", "ch*"), ("SSUBSCRIBE", "ch"), ("UNSUBSCRIBE", "a", "b"),
    ("PUNSUBSCRIBE",), ("SUNSUBSCRIBE",), ("MONITOR",), (b"subscribe", b"ch"), ("Monitor",),
    ("CLIENT", "REPLY", "SKIP"), ("client", "reply", "off"), ("HELLO", 3), ("HELLO", "3"), ("SYNC",),
]


@pytest.mark.parametrize("args", MODE_CHANGERS, ids=lambda a: " ".join(map(str, a)))
async def test_mode_changing_commands_refused_on_pool(rc, args) -> None:
    """SUBSCRIBE, MONITOR, CLIENT REPLY OFF/SKIP, HELLO 3... raise ConnectionModeError before
    anything is sent, on the pool, in a transaction and in a pipeline; the pool stays in step."""
    await rc.set("k", "v")
    with pytest.raises(ConnectionModeError):
        rc.execute_command(*args)
    async with await rc.multi() as t:
        with pytest.raises(ConnectionModeError):
            t.execute_command(*args)
        await t.discard()
    p = await rc.pipeline()
    with pytest.raises(ConnectionModeError):
        p.execute_command(*args)
    assert await p.execute_pipeline() == []
    assert sum(proto.pending for proto in rc._pool.live_protocols()) == 0
    await gets_finish_quickly(rc)


async def test_subscribe_refusal_names_the_right_class(rc) -> None:
    """The refusal says which connection class to use instead, and is a RedisError."""
    with pytest.raises(redis.RedisError, match="SubscriberConnection"):
        rc.execute_command("SUBSCRIBE", "ch")
    with pytest.raises(redis.RedisError, match="MonitorConnection"):
        rc.execute_command("MONITOR")


async def test_harmless_variants_still_run(rc) -> None:
    """CLIENT REPLY ON, HELLO / HELLO 2 and other CLIENT subcommands are not refused."""
    assert await rc.execute_command("CLIENT", "REPLY", "ON") == "OK"
    assert (await rc.execute_command("HELLO", 2))[0] == "server"
    assert isinstance(await rc.execute_command("CLIENT", "ID"), int)


async def test_transaction_commands_refused_on_shared_connection(rc) -> None:
    """MULTI/EXEC/WATCH/DISCARD through execute_command on the pool are refused (use multi())."""
    for args in (("MULTI",), ("EXEC",), ("WATCH", "k"), ("DISCARD",)):
        with pytest.raises(ConnectionModeError, match="multi"):
            rc.execute_command(*args)


async def test_select_and_reset_refused_on_pool_of_two(rc) -> None:
    """select()/reset() on a pool of 2 would switch one connection only: refused, pointing to dbid=."""
    with pytest.raises(ConnectionModeError, match="dbid="):
        rc.select(1)
    with pytest.raises(ConnectionModeError, match="dbid="):
        rc.reset()
    async with await rc.multi() as t:
        with pytest.raises(ConnectionModeError):
            t.select(1)
        await t.discard()


async def test_select_on_single_connection_sticks_across_reconnect(redis_server: RedisServer) -> None:
    """select(n) on a single Connection is remembered: after a reconnect it is still in db n."""
    rc = await redis.Connection(redis_server.host, redis_server.port)
    admin = await redis.Connection(redis_server.host, redis_server.port)
    try:
        assert await rc.select(5) == "OK"
        assert rc._pool.config.dbid == 5
        await rc.set("in5", "yes")
        cid = await rc.execute_command("CLIENT", "ID")
        await admin.execute_command("CLIENT", "KILL", "ID", cid)
        new_id = cid
        deadline = asyncio.get_running_loop().time() + 10
        while new_id == cid:  # until the killed connection was replaced
            assert asyncio.get_running_loop().time() < deadline
            try:
                new_id = await rc.execute_command("CLIENT", "ID")
            except redis.ConnectionError:
                await asyncio.sleep(0.02)
        assert new_id != cid
        assert await rc.get("in5") == "yes"
        await rc.select(0)
        assert rc._pool.config.dbid == 0
        assert await rc.get("in5") is None
        await admin.execute_command("SELECT", 5)
        await admin.delete("in5")
    finally:
        await rc.disconnect()
        await admin.disconnect()


async def test_quit_stops_reconnecting(redis_server: RedisServer) -> None:
    """quit() on a pool sends QUIT on every connection and stops reconnecting (txredisapi's
    stopTrying): afterwards commands fail "Not connected" instead of reconnecting."""
    rc = await redis.ConnectionPool(redis_server.host, redis_server.port, poolsize=2)
    try:
        assert await rc.quit() == "OK"
        await wait_for(lambda: rc._pool.connected == 0)
        with pytest.raises(redis.ConnectionError, match="Not connected"):
            await rc.get("k")
        assert all(s.state == "closed" for s in rc._pool._slots)
    finally:
        await rc.disconnect()


# -- (7) waiting for a leased connection is bounded by replyTimeout --------------------------------


async def test_backlogged_command_times_out_behind_a_lease(redis_server: RedisServer) -> None:
    """Connection(replyTimeout=0.3) held by BLPOP 0: a GET waiting for the connection fails with
    TimeoutError after about replyTimeout, nothing sent; the BLPOP is unaffected and the GET
    works once the lease ends."""
    rc = await redis.Connection(redis_server.host, redis_server.port, replyTimeout=0.3)
    pusher = await redis.Connection(redis_server.host, redis_server.port)
    try:
        await pusher.delete("r7-list")
        blpop = asyncio.ensure_future(rc.blpop(["r7-list"], 0))
        await wait_for(lambda: rc._pool._leased)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises(redis.TimeoutError, match="replyTimeout"):
            await asyncio.wait_for(rc.get("k"), 5)
        assert 0.25 <= loop.time() - t0 < 2
        assert rc._pool.live_protocols()[0].pending == 1  # only the BLPOP: GET never sent
        assert not blpop.done()
        await pusher.rpush("r7-list", "x")
        assert await blpop == ["r7-list", "x"]
        assert await rc.get("k") is None
    finally:
        await rc.disconnect()
        await pusher.disconnect()


async def test_lease_waiters_and_commands_time_out_inside_multi(redis_server: RedisServer) -> None:
    """On a single connection inside multi(), rc.get() and a second rc.multi() would wait for the
    held transaction forever; with replyTimeout they fail with TimeoutError, and the held
    transaction still commits."""
    rc = await redis.Connection(redis_server.host, redis_server.port, replyTimeout=0.3)
    try:
        t = await rc.multi()
        with pytest.raises(redis.TimeoutError):
            await asyncio.wait_for(rc.get("k"), 5)
        with pytest.raises(redis.TimeoutError):
            await asyncio.wait_for(rc.multi(), 5)
        with pytest.raises(redis.TimeoutError):
            await asyncio.wait_for(rc.blpop(["r7-none"], 1), 5)
        t.set("r7-k", "v")
        assert await t.commit() == ["OK"]
        assert await rc.get("r7-k") == "v"
        await rc.delete("r7-k")
    finally:
        await rc.disconnect()


async def test_backlog_timeout_shorter_than_pending_connect_bound(redis_server: RedisServer) -> None:
    """A command queued behind a lease after one queued with the longer connect bound still
    fails at its own replyTimeout (the backlog timer is moved earlier)."""
    rc = await redis.Connection(redis_server.host, redis_server.port, replyTimeout=0.3,
                                connectTimeout=30)
    try:
        blpop = asyncio.ensure_future(rc.blpop(["r7-none"], 1))
        await wait_for(lambda: rc._pool._leased)
        t0 = asyncio.get_running_loop().time()
        with pytest.raises(redis.TimeoutError):
            await asyncio.wait_for(rc.get("k"), 5)
        assert asyncio.get_running_loop().time() - t0 < 2
        assert await blpop is None
    finally:
        await rc.disconnect()


# -- (8) a failed ``async with`` leaves nothing running ---------------------------------------------


async def test_failed_async_with_on_lazy_pool_stops_reconnecting() -> None:
    """`async with lazyConnectionPool(...)` to a port nobody listens on raises the connect error
    and leaves no reconnect task behind: the pool is closed and every slot task has ended."""
    rc = redis.lazyConnectionPool("127.0.0.1", free_port(), poolsize=3)
    with pytest.raises(redis.ConnectionError):
        async with rc:
            raise AssertionError("must not get here")
    assert rc._pool.closed
    assert all(s._task is None or s._task.done() for s in rc._pool._slots)
    assert all(s.state == "closed" for s in rc._pool._slots)


# -- (10) no Task per explicit pipeline, no callback per queued command -----------------------------


async def test_execute_pipeline_returns_a_plain_future(rc) -> None:
    """execute_pipeline() returns a Future completed by a callback on the last reply, not a Task."""
    p = await rc.pipeline()
    p.set("a", 1)
    p.get("a")
    res = p.execute_pipeline()
    assert isinstance(res, asyncio.Future) and not isinstance(res, asyncio.Task)
    assert await res == ["OK", 1]


async def test_queued_commands_carry_no_callbacks(rc) -> None:
    """Commands queued inside MULTI return their own Future with no callback attached."""
    t = await rc.multi()
    futs = [t.incr("a"), t.incr("b")]
    assert all(not f._callbacks for f in futs)
    assert await t.commit() == [1, 1]


async def test_unawaited_queue_time_errors_are_not_logged(rc) -> None:
    """A refused queued command nobody awaited is not reported as "exception never retrieved"
    (its error surfaces as EXECABORT), also when commit() itself was cancelled early."""
    loop = asyncio.get_running_loop()
    logged: list[dict] = []
    old = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, ctx: logged.append(ctx))
    try:
        t = await rc.multi()
        t.execute_command("NO-SUCH-COMMAND")
        with pytest.raises(redis.ResponseError, match="EXECABORT"):
            await t.commit()
        t = await rc.multi()
        t.execute_command("NO-SUCH-COMMAND")
        c = t.commit()
        c.cancel()
        await wait_for(lambda: not rc._pool._leased and rc._pool.pending == 0)
        del t, c
        gc.collect()
        await asyncio.sleep(0)
        assert [ctx for ctx in logged if "never retrieved" in ctx.get("message", "")] == []
    finally:
        loop.set_exception_handler(old)


# -- (11) one command-name helper, one identity converter, one poolsize check ------------------------


def test_command_name_is_the_one_helper() -> None:
    """command_name(args) upper-cases str and bytes names (undecodable bytes replaced, never an
    error) and is what the request checks, transaction and sharding use."""
    from txredis_aio import _requests, sharding, transaction
    from txredis_aio.commands._table import command_name

    assert command_name(("get", "k")) == "GET"
    assert command_name((b"bLpOp", b"k", 0)) == "BLPOP"
    assert command_name((b"\xff\xfe",)) == "\ufffd\ufffd"
    assert command_name(()) == ""
    for mod in (_requests, transaction, sharding):
        assert mod.command_name is command_name
        assert not hasattr(mod, "_name")


async def test_raw_constant_and_poolsize_check(rc) -> None:
    """RAW is the shared identity converter (DUMP returns bytes through it); sharded connection
    functions validate poolsize with the pool's own check and message."""
    from txredis_aio.commands._base import RAW

    await rc.set("dumped", "v")
    payload = await rc.dump("dumped")
    assert isinstance(payload, bytes) and payload == await rc.execute_command("DUMP", "dumped", post_proc=RAW)
    with pytest.raises(ValueError, match="Redis poolsize must be an integer, not 0"):
        redis.lazyShardedConnectionPool(["127.0.0.1:1"], poolsize=0)


# -- (12) precise types --------------------------------------------------------------------------------


def test_public_return_types_are_precise() -> None:
    """The non-lazy connection functions return Connecting[ConnectionHandler]; the transaction
    control methods say what their Futures hold (checked on the runtime annotations)."""
    from typing import get_type_hints

    from txredis_aio import factories
    from txredis_aio.client import Connecting, ConnectionHandler
    from txredis_aio.transaction import Transaction

    for fn in (factories.Connection, factories.ConnectionPool, factories.UnixConnection,
               factories.UnixConnectionPool):
        assert get_type_hints(fn)["return"] == Connecting[ConnectionHandler], fn.__name__
    hints = {m: get_type_hints(getattr(Transaction, m))["return"]
             for m in ("watch", "multi", "commit", "discard", "unwatch")}
    assert hints == {
        "watch": asyncio.Future[Transaction], "multi": asyncio.Future[Transaction],
        "commit": asyncio.Future[list[Any]], "discard": asyncio.Future[str],
        "unwatch": asyncio.Future[str],
    }


async def test_watching_blpop_then_multi_is_not_timed_out(redis_server: RedisServer) -> None:
    """With replyTimeout=0.3, a watching transaction's BLPOP (1 s) followed by multi(), queued
    commands and commit(): nothing behind the BLPOP is timed out, the EXEC succeeds."""
    rc = await redis.ConnectionPool(redis_server.host, redis_server.port, poolsize=2, replyTimeout=0.3)
    try:
        t = await rc.watch("w-key")
        b = t.blpop(["nothing-here"], 1)
        m = t.multi()
        t.set("w-key", "x")
        assert await t.commit() == ["OK"]
        assert await b is None and await m is t
        assert rc._pool.connected == 2
        await rc.delete("w-key")
    finally:
        await rc.disconnect()


async def test_shutdown_stops_reconnecting_but_abort_does_not() -> None:
    """shutdown(abort=True) leaves reconnection on; shutdown(save=False) stops it first (as
    txredisapi's stopTrying), so the pool does not redial the stopped server."""
    srv = RedisServer()
    srv.start()
    try:
        rc = await redis.ConnectionPool(srv.host, srv.port, poolsize=2)
        try:
            with pytest.raises(redis.ResponseError):
                await rc.shutdown(abort=True)  # no shutdown in progress: an error reply
            assert rc._pool.config.reconnect
            with pytest.raises(redis.ConnectionError):
                await rc.shutdown(save=False)
            assert not rc._pool.config.reconnect
            await wait_for(lambda: all(s.state == "closed" for s in rc._pool._slots))
        finally:
            await rc.disconnect()
    finally:
        srv.cleanup()
