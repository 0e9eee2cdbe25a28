"""Handlers returned by the connection functions: Deferreds for everything, errors as failures,
cancellation that keeps the connection in step, and no Deferred that can silently hang."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import defer

import txredis_aio_twisted as redis
from txredis_aio.testing import RedisServer, free_port


@pytest_twisted.inlineCallbacks
def test_commands_return_deferreds_with_txredisapi_shapes(tw_server: RedisServer) -> Any:
    """Commands return Deferreds; replies keep txredisapi's shapes (numbers, dicts, sets, bools)."""
    rc = yield redis.ConnectionPool(tw_server.host, tw_server.port, poolsize=2)
    assert repr(rc) == f"<Redis Connection: {tw_server.host}:{tw_server.port} - 2 connection(s)>"
    d = rc.set("h:n", 7)
    assert isinstance(d, defer.Deferred)
    yield d
    assert (yield rc.get("h:n")) == 7
    yield rc.delete("h:hash")
    yield rc.hset("h:hash", "f", "v")
    assert (yield rc.hgetall("h:hash")) == {"f": "v"}
    yield rc.sadd("h:set", ["a", "b"])
    assert (yield rc.smembers("h:set")) == {"a", "b"}
    assert (yield rc.sismember("h:set", "a")) is True
    assert (yield rc.eval("return 5")) == 5
    assert (yield rc.eval("return 5")) == 5  # EVALSHA path (awaits a Deferred inside a core Task)
    yield rc.delete(["h:n", "h:hash", "h:set"])
    yield rc.disconnect()


@pytest_twisted.inlineCallbacks
def test_synchronous_errors_become_failed_deferreds(tw_server: RedisServer) -> Any:
    """Bad arguments and misuse give failed Deferreds, never exceptions at the call (txredisapi §4.1)."""
    rc = yield redis.Connection(tw_server.host, tw_server.port)
    d = rc.set("k", None)
    assert isinstance(d, defer.Deferred)
    with pytest.raises(redis.InvalidData):
        yield d
    with pytest.raises(redis.RedisError, match="Not in transaction"):
        yield rc.commit()
    with pytest.raises(redis.RedisError, match="please use pipeline"):
        yield rc.execute_pipeline()
    with pytest.raises(redis.ResponseError, match="^ERR "):
        yield rc.execute_command("NOSUCHCOMMAND")
    yield rc.disconnect()
    with pytest.raises(redis.ConnectionError, match="Not connected"):
        yield rc.get("k")


@pytest_twisted.inlineCallbacks
def test_cancel_keeps_replies_in_step(tw_server: RedisServer) -> Any:
    """Cancelling a command's Deferred fails it with Twisted's CancelledError at once; the next
    command on the same connection still gets its own reply. A cancelled BLPOP keeps its
    connection until its reply comes (here: another client pushes), which is then dropped."""
    rc = yield redis.Connection(tw_server.host, tw_server.port)
    other = yield redis.Connection(tw_server.host, tw_server.port)
    yield rc.set("c:k", "mine")
    d = rc.get("c:k")
    d.cancel()
    with pytest.raises(defer.CancelledError):
        yield d
    assert (yield rc.get("c:k")) == "mine"
    b = rc.blpop(["c:empty"], timeout=0)
    b.cancel()
    with pytest.raises(defer.CancelledError):
        yield b
    later = rc.get("c:k")  # waits for the leased connection
    yield other.lpush("c:empty", "x")
    assert (yield later) == "mine"
    assert (yield other.llen("c:empty")) == 0  # the cancelled BLPOP did pop it
    yield rc.delete("c:k")
    yield rc.disconnect()
    yield other.disconnect()


@pytest_twisted.inlineCallbacks
def test_pipelined_deferreds_fire_with_their_own_replies(tw_server: RedisServer) -> Any:
    """Each pipelined command's Deferred fires with its own reply (an error errbacks that one
    only); one cancelled before sending shows as CancelledError in the results and the rest,
    and the connection, stay in step."""
    rc = yield redis.Connection(tw_server.host, tw_server.port)
    yield rc.set("pl:s", "str")
    p = yield rc.pipeline()
    ds = [p.set("pl:a", 1), p.incr("pl:a"), p.lpush("pl:s", "x"), p.get("pl:a"), p.get("pl:s")]
    assert all(isinstance(d, defer.Deferred) for d in ds)
    ds[3].cancel()
    out = yield p.execute_pipeline(raise_on_error=False)
    assert out[:2] == ["OK", 2] and out[4] == "str"
    assert isinstance(out[2], redis.ResponseError) and "WRONGTYPE" in str(out[2])
    assert isinstance(out[3], asyncio.CancelledError)  # cancelled by its caller
    assert (yield ds[0]) == "OK" and (yield ds[1]) == 2 and (yield ds[4]) == "str"
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        yield ds[2]
    with pytest.raises(defer.CancelledError):
        yield ds[3]
    assert (yield rc.get("pl:a")) == 2
    yield rc.delete(["pl:a", "pl:s"])
    yield rc.disconnect()


@pytest_twisted.inlineCallbacks
def test_dead_server_errbacks_instead_of_hanging() -> Any:
    """Connection() to a port nothing listens on errbacks (a ValueError, as txredisapi's
    reconnect=False error) instead of a Deferred that never fires; lazy handlers fail commands fast."""
    port = free_port()
    with pytest.raises(ValueError, match="could not connect"):
        yield redis.Connection("127.0.0.1", port)
    lazy = redis.lazyConnection("127.0.0.1", port, reconnect=False)
    with pytest.raises(redis.ConnectionError):
        yield lazy.get("x")
    yield lazy.disconnect()


@pytest_twisted.inlineCallbacks
def test_lazy_connected_and_transaction(tw_server: RedisServer) -> Any:
    """A lazy pool's ``_connected`` fires with the handler once full; multi/commit work through it,
    and the transaction object passes txredisapi's checks (a RedisProtocol, ``transactions``)."""
    rc = redis.lazyConnectionPool(tw_server.host, tw_server.port, poolsize=2)
    assert (yield rc._connected) is rc
    t = yield rc.multi()
    assert isinstance(t, redis.Transaction) and t.inTransaction
    assert isinstance(t, redis.RedisProtocol)  # txredisapi's multi() fired with the protocol
    assert t.transactions == 0
    assert (yield t.set("tx:a", 1)) == "QUEUED"
    assert t.transactions == 1
    assert (yield t.hgetall("tx:none")) == "QUEUED"
    assert (yield t.commit()) == ["OK", {}]
    yield rc.delete("tx:a")
    yield rc.disconnect()


@pytest_twisted.inlineCallbacks
def test_sharded_handler(tw_server: RedisServer) -> Any:
    """Sharded handlers: ShardedMethods readable, pipeline() refused at once, keys routed."""
    with RedisServer() as other:
        hosts = [f"{tw_server.host}:{tw_server.port}", f"{other.host}:{other.port}"]
        rc = yield redis.ShardedConnection(hosts)
        assert "get" in rc.ShardedMethods
        with pytest.raises(NotImplementedError, match="not supported"):
            rc.pipeline()
        keys = [f"sk{i}" for i in range(20)]
        for k in keys:
            yield rc.set(k, k.upper())
        assert (yield rc.mget(keys)) == [k.upper() for k in keys]
        assert {n._core._pool.config.port for n in rc.nodes} == {tw_server.port, other.port}
        yield rc.delete(keys)
        yield rc.disconnect()
    with pytest.raises(ValueError, match="list or tuple"):
        redis.ShardedConnection("localhost:6379")


@pytest_twisted.inlineCallbacks
def test_sentinel_discovery_replaced_on_the_shim_is_used() -> Any:
    """Replacing ``sentinel.discover_slaves``/``discover_master`` on the shim object (txredisapi's
    tests mock them) changes what the core asks: no replicas -> slave_for falls back to the master."""
    with RedisServer() as master:
        sentinel = redis.Sentinel([("127.0.0.1", free_port())])
        sentinel.discover_master = lambda name: defer.succeed(("127.0.0.1", master.port))
        sentinel.discover_slaves = lambda name: defer.succeed([])
        conn = sentinel.slave_for("svc")
        role = yield conn.role()
        assert role[0] == "master"
        yield conn.disconnect()
        yield sentinel.disconnect()


@pytest_twisted.inlineCallbacks
def test_forked_child_never_writes_on_the_parents_connection(tw_server: RedisServer) -> Any:
    """In a child after os.fork() (no reactor or loop running there), a command of the parent's
    handler fails with RedisError naming fork(); the parent's replies on the shared connection
    stay its own."""
    import os

    rc = yield redis.Connection(tw_server.host, tw_server.port)
    yield rc.set("fork:tw", "parent")
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            out: list[Any] = []
            rc.get("fork:tw").addBoth(out.append)
            code = 0 if out and "os.fork()" in out[0].getErrorMessage() else 2
        finally:
            os._exit(code)
    replies = []
    for i in range(100):
        yield rc.set(f"fork:tw{i}", i)
        replies.append((yield rc.get(f"fork:tw{i}")))
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert replies == list(range(100))
    yield rc.disconnect()
