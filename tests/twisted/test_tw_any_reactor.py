"""The shim's Deferreds, protocols and factories without the asyncio reactor's loop.

``await`` on what the shim returns works in coroutines Twisted drives (``ensureDeferred``,
``Deferred.fromCoroutine``, ``inlineCallbacks`` calling an ``async def``) with no asyncio loop
running, and in asyncio Tasks. Factories and their handlers run on ``MemoryReactorClock``
(``fake_redis.ConnectingReactor``) against an in-memory server: their Deferreds fire from the
transport's callbacks and their timers run on ``factory.clock``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import pytest_twisted
from fake_redis import ConnectingReactor, FakeRedisServer
from replication_app import ConstantProperty
from tw_support import fired, without_asyncio_loop
from twisted.internet import defer, endpoints, reactor, task
from twisted.internet.testing import StringTransport

import txredis_aio_twisted as redis


def _failure(d: Any) -> Any:
    out: list[Any] = []
    d.addBoth(out.append)
    assert out and hasattr(out[0], "check"), f"the Deferred has not failed: {out}"
    return out[0]


def _protocol() -> tuple[Any, StringTransport]:
    p = redis.RedisProtocol()
    t = StringTransport()
    p.makeConnection(t)
    return p, t


# -- await -----------------------------------------------------------------------------------


@without_asyncio_loop
def test_await_in_ensure_deferred_without_asyncio_loop() -> None:
    """A coroutine driven by ``defer.ensureDeferred`` awaits a protocol's Deferreds while no
    asyncio loop runs (it raised ``RuntimeError: no running event loop``)."""
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()
    p, t = _protocol()

    async def use() -> Any:
        assert await p.set("k", "v") == "OK"
        return await p.get("k")

    d = defer.ensureDeferred(use())
    assert not d.called
    p.dataReceived(b"+OK\r\n")
    p.dataReceived(b"$1\r\nv\r\n")
    assert fired(d) == "v"
    assert t.value() == p._build_command("SET", "k", "v") + p._build_command("GET", "k")


@without_asyncio_loop
def test_await_from_coroutine_and_inline_callbacks_without_asyncio_loop() -> None:
    """``Deferred.fromCoroutine`` and an ``inlineCallbacks`` function yielding one run an
    ``async def`` that awaits shim Deferreds (a failure arrives as the exception) with no loop."""
    p, _ = _protocol()

    async def use() -> Any:
        with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
            await p.incr("k")
        return await p.ping()

    @defer.inlineCallbacks
    def caller() -> Any:
        r = yield defer.Deferred.fromCoroutine(use())
        return r

    d = caller()
    p.dataReceived(b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n")
    p.dataReceived(b"+PONG\r\n")
    assert fired(d) == "PONG"


@pytest_twisted.inlineCallbacks
def test_await_in_asyncio_task_on_asyncio_reactor() -> Any:
    """In an asyncio Task on the asyncio reactor, ``await`` on a protocol's Deferred waits for the
    reply (through a Future); cancelling the Task cancels the Deferred."""
    loop = reactor._asyncioEventloop  # type: ignore[attr-defined]
    p, _ = _protocol()

    async def use() -> Any:
        assert asyncio.current_task() is not None
        return await p.get("k")

    fut = asyncio.ensure_future(use(), loop=loop)
    yield task.deferLater(reactor, 0, lambda: None)
    assert not fut.done()
    p.dataReceived(b"$1\r\nv\r\n")
    assert (yield defer.Deferred.fromFuture(fut)) == "v"

    d = p.get("other")
    fut = asyncio.ensure_future(_await(d), loop=loop)
    yield task.deferLater(reactor, 0, lambda: None)
    fut.cancel()
    yield task.deferLater(reactor, 0, lambda: None)
    assert fut.cancelled() and d.called
    p.dataReceived(b"$1\r\nx\r\n")  # the cancelled command's reply is read and dropped
    d = p.ping()
    p.dataReceived(b"+PONG\r\n")
    assert fired(d) == "PONG"


async def _await(d: Any) -> Any:
    return await d


@pytest_twisted.inlineCallbacks
def test_ensure_deferred_started_inside_asyncio_task() -> Any:
    """``defer.ensureDeferred`` called from inside an asyncio Task drives a coroutine that
    awaits a pending shim Deferred (Twisted's driver, not the Task, runs it)."""
    loop = reactor._asyncioEventloop  # type: ignore[attr-defined]
    p, _ = _protocol()
    started: list[Any] = []

    async def in_task() -> None:
        started.append(defer.ensureDeferred(_await(p.get("k"))))

    yield defer.Deferred.fromFuture(asyncio.ensure_future(in_task(), loop=loop))
    (d,) = started
    assert not d.called
    p.dataReceived(b"$1\r\nv\r\n")
    assert (yield d) == "v"


# -- factories on MemoryReactorClock -----------------------------------------------------------


def _connect(factory: Any, server: FakeRedisServer, host: bytes = b"localhost") -> tuple[
        ConnectingReactor, Any, Any]:
    r = ConnectingReactor()
    factory.clock = r
    connector = r.connectTCP(host, 6379, factory, timeout=30, bindAddress=None)
    pump = r.complete(connector, server)
    pump.flush()
    return r, connector, pump


@without_asyncio_loop
def test_factory_on_memory_reactor() -> None:
    """``reactor.connectTCP`` of a RedisFactory on MemoryReactorClock: ``factory.deferred`` fires
    with the handler, whose commands (EVAL, EVALSHA, EVAL again on NOSCRIPT) fire from the
    transport's callbacks; no asyncio loop involved."""
    server = FakeRedisServer()
    factory = redis.RedisFactory("localhost:6379", None, 1)
    started = factory.deferred
    r, _, pump = _connect(factory, server)
    handler = fired(started)
    assert handler is factory.handler and factory.size == 1
    d = handler.set("k", "v")
    pump.flush()
    assert fired(d) == "OK"
    d = handler.get("k")
    pump.flush()
    assert fired(d) == "v"
    for _ in range(2):
        d = handler.eval("return 1")
        pump.flush()
        assert fired(d) == "return 1"
    server.scripts.clear()
    d = handler.eval("return 1")
    pump.flush()
    assert fired(d) == "return 1"
    assert server.commands()[-4:] == [b"EVAL", b"EVALSHA", b"EVALSHA", b"EVAL"]
    d = handler.evalsha("0" * 40)
    pump.flush()
    assert _failure(d).check(redis.ScriptDoesNotExist)
    d = factory.disconnect()
    pump.flush()
    assert fired(d) is None and factory.size == 0
    assert r.getDelayedCalls() == []


class _Sub(redis.SubscriberProtocol):
    def messageReceived(self, pattern: Any, channel: Any, message: Any) -> None:
        self.factory.got.append((pattern, channel, message))


class _Mon(redis.MonitorProtocol):
    def messageReceived(self, message: Any) -> None:
        self.factory.got.append(message)


@without_asyncio_loop
def test_subscriber_and_monitor_factories_on_memory_reactor() -> None:
    """``SubscriberFactory`` and ``MonitorFactory`` on MemoryReactorClock: ``handler.subscribe``
    and ``handler.monitor`` fire, published messages and monitored lines reach
    ``messageReceived``."""
    server = FakeRedisServer()
    subs = redis.SubscriberFactory()
    subs.protocol = _Sub
    subs.got = []  # type: ignore[attr-defined]
    mons = redis.MonitorFactory()
    mons.protocol = _Mon
    mons.got = []  # type: ignore[attr-defined]
    pub = redis.RedisFactory(None, None, 1)
    pumps = [_connect(f, server)[2] for f in (subs, mons, pub)]

    def flush() -> None:
        for p in pumps * 2:
            p.flush()

    d1, d2 = subs.handler.subscribe(["a", "b"]), mons.handler.monitor()
    flush()
    assert fired(d1) == ["subscribe", "a", 1] and fired(d2) == "OK"
    d = pub.handler.publish("b", "hi")
    flush()
    assert fired(d) == 1
    assert subs.got == [(None, "b", "hi")]  # type: ignore[attr-defined]
    assert any('"PUBLISH" "b" "hi"' in line for line in mons.got)  # type: ignore[attr-defined]
    ds = [f.disconnect() for f in (subs, mons, pub)]
    flush()
    assert [fired(x) for x in ds] == [None, None, None]


@without_asyncio_loop
def test_reply_timeout_runs_on_the_factory_clock() -> None:
    """A factory's protocols schedule ``replyTimeout`` on ``factory.clock``: a frozen server fails
    the command with TimeoutError when that clock passes it."""
    server = FakeRedisServer()
    factory = redis.RedisFactory(None, None, 1, replyTimeout=3)
    factory.continueTrying = False
    r, _, pump = _connect(factory, server)
    server.silent = True
    d = factory.handler.get("k")
    pump.flush()
    r.advance(2.9)
    assert not d.called
    r.advance(0.2)
    assert _failure(d).check(redis.TimeoutError)
    pump.flush()
    assert factory.size == 0


@without_asyncio_loop
def test_start_connecting_on_memory_reactor_closes_what_a_failed_pool_made() -> None:
    """``startConnecting(endpoint)`` on MemoryReactorClock with ``reconnect=False``: one of two
    attempts fails, so ``factory.deferred`` errbacks and the connection the other made is closed
    (nobody could ever get the handler to close it); the timers are on ``factory.clock``."""
    server = FakeRedisServer()
    r = ConnectingReactor()
    factory = redis.RedisFactory(None, None, 2)
    factory.reconnect = False
    factory.clock = r
    started = factory.deferred
    factory.startConnecting(endpoints.TCP4ClientEndpoint(r, "127.0.0.1", 6379))
    first, second = r.pending()
    pump = r.complete(first, server)
    pump.flush()
    assert factory.size == 1 and not started.called
    r.fail(second)
    r.advance(0)
    f = _failure(started)
    assert f.check(ValueError) and "could not connect" in str(f.value)
    pump.flush()
    assert factory.size == 0 and server.connections == []
    assert r.getDelayedCalls() == []


class NoRetryFactory(redis.RedisFactory):
    """``continueTrying`` switched off at class level, as ≤1.5 code did."""

    continueTrying = False  # type: ignore[assignment]


@without_asyncio_loop
def test_continue_trying_false_first_failure_is_final() -> None:
    """With ``continueTrying`` false the first failed attempt is final: ``factory.deferred``
    errbacks, nothing is scheduled, no new attempt starts, commands fail ``Not connected``."""
    r = ConnectingReactor()
    factory = NoRetryFactory(None, None, 1)
    factory.clock = r
    started = factory.deferred
    connector = r.connectTCP(b"localhost", 6379, factory)
    r.fail(connector)
    assert _failure(started).check(ValueError)
    assert r.getDelayedCalls() == []
    r.advance(60)
    assert connector.attempts == 1
    assert "Not connected" in str(_failure(factory.handler.get("k")).value)


@without_asyncio_loop
def test_continue_trying_false_pool_closes_connections_it_made() -> None:
    """Two ``connectTCP`` of one non-lazy factory with ``continueTrying`` false: the second
    fails, so the first connection is closed and ``factory.deferred`` errbacks (the first
    connection's ``buildProtocol`` did not turn ``continueTrying`` back on)."""
    server = FakeRedisServer()
    r = ConnectingReactor()
    factory = NoRetryFactory(None, None, 2)
    factory.clock = r
    started = factory.deferred
    c1 = r.connectTCP(b"localhost", 6379, factory)
    c2 = r.connectTCP(b"localhost", 6379, factory)
    pump = r.complete(c1, server)
    pump.flush()
    assert factory.size == 1
    r.fail(c2)
    assert _failure(started).check(ValueError)
    pump.flush()
    assert factory.size == 0 and server.connections == []


@without_asyncio_loop
def test_disconnect_cancels_pending_reconnection() -> None:
    """A lost connection schedules a reconnection on ``factory.clock`` (within ``maxDelay``);
    ``disconnect()`` cancels it: nothing left on the clock, no new attempt."""
    server = FakeRedisServer()
    factory = redis.RedisFactory(None, None, 1)
    factory.maxDelay = 5
    r, connector, pump = _connect(factory, server)
    server.connections[0].transport.loseConnection()  # type: ignore[union-attr]
    pump.flush()
    assert factory.size == 0
    (call,) = r.getDelayedCalls()
    assert call.getTime() - r.seconds() <= 5 * 1.5
    d = factory.disconnect()
    assert fired(d) is None
    assert r.getDelayedCalls() == []
    r.advance(60)
    assert connector.attempts == 1


class AlwaysRetryFactory(redis.RedisFactory):
    """``continueTrying`` as a class-level constant property (assignments ignored)."""

    continueTrying = ConstantProperty(True)  # type: ignore[assignment]


@without_asyncio_loop
def test_constant_continue_trying_reconnects_after_failed_auth() -> None:
    """A failed AUTH calls ``stopTrying()``; with ``continueTrying`` a constant property the
    factory still reconnects (what such a subclass is for), and a later attempt succeeds."""
    server = FakeRedisServer(password="right")
    factory = AlwaysRetryFactory(None, None, 1, password="wrong")
    started = factory.deferred
    r, connector, pump = _connect(factory, server)
    f = _failure(started)
    assert "could not auth" in str(f.value)
    assert factory.size == 0 and r.getDelayedCalls()
    r.advance(factory.maxDelay * 2)
    assert connector.attempts == 2
    factory.password = "right"
    pump = r.complete(connector, server)
    pump.flush()
    assert factory.size == 1
    d = factory.getConnection(put_back=False)  # txredisapi ≤1.5's keyword
    assert fired(d) is factory.pool[0]
    d = factory.disconnect()
    pump.flush()
    assert fired(d) is None and r.getDelayedCalls() == []
