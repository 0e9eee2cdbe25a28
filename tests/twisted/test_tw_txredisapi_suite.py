"""What txredisapi 1.6.0's own test suite (run with Trial against the shim) needed of it.

``factory.startConnecting`` reports the first failure of an endpoint that fails synchronously
and stops a service whose connection is lost once reconnecting was stopped, even if the
protocol's ``connectionLost`` does not chain up; handlers from the connection functions have a
``_factory`` (``size``, ``pool``, ``getConnection``) and follow ``RedisFactory``'s backoff
attributes, as txredisapi's did (its connection functions were built on ``RedisFactory``).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest
import pytest_twisted
from fake_redis import ConnectingReactor, FakeRedisServer
from tw_support import without_asyncio_loop
from twisted.internet import defer, endpoints, error, reactor, task
from twisted.internet.address import IPv4Address
from twisted.internet.interfaces import IStreamClientEndpoint
from zope.interface import implementer

import txredis_aio_twisted as redis
from txredis_aio.testing import RedisServer


def _failure(d: Any) -> Any:
    out: list[Any] = []
    d.addBoth(out.append)
    assert out and hasattr(out[0], "check"), f"the Deferred has not failed: {out}"
    return out[0]


@implementer(IStreamClientEndpoint)
class FailingEndpoint:
    """Fails at once, inside ``connect()`` (as ``UNIXClientEndpoint`` does for a missing path)."""

    def __init__(self) -> None:
        self.attempts = 0

    def connect(self, protocolFactory: Any) -> defer.Deferred:
        self.attempts += 1
        return defer.fail(error.ConnectionRefusedError())


@without_asyncio_loop
def test_synchronous_endpoint_failure_is_the_first_and_final_one() -> None:
    """``reconnect = False`` and an endpoint that fails synchronously: ``factory.deferred``
    errbacks after that one attempt (the failure was missed: it errbacked only after a second
    attempt, ``maxDelay`` later), and nothing is left scheduled."""
    clock = task.Clock()
    endpoint = FailingEndpoint()
    factory = redis.RedisFactory(None, None, 1)
    factory.reconnect = False
    factory.clock = clock
    started = factory.deferred
    factory.startConnecting(endpoint)
    clock.advance(0)
    assert _failure(started).check(ValueError)
    clock.advance(0)
    assert endpoint.attempts == 1 and clock.getDelayedCalls() == []


class StoppingProtocol(redis.RedisProtocol):
    """Gives up from connectionMade; neither hook chains up (common in subscriber protocols)."""

    def connectionMade(self) -> None:
        self.factory.stopTrying()
        assert self.transport is not None
        self.transport.loseConnection()

    def connectionLost(self, reason: Any = None) -> None:
        pass


@without_asyncio_loop
def test_stop_trying_from_connection_made_stops_the_service() -> None:
    """``stopTrying()`` from ``connectionMade``, then the connection closes without reaching
    ``delConnection``: the service does not reconnect (no retry left on the clock, no second
    attempt), and a service's connection knows its service."""
    server = FakeRedisServer()
    r = ConnectingReactor()
    factory = redis.RedisFactory(None, None, 1)
    factory.protocol = StoppingProtocol
    factory.clock = r
    factory.startConnecting(endpoints.TCP4ClientEndpoint(r, "127.0.0.1", 6379))
    (connector,) = r.pending()
    pump = r.complete(connector, server)
    pump.flush()
    r.advance(0)
    pump.flush()
    r.advance(0)
    assert server.connections == []
    r.advance(60)
    assert r.getDelayedCalls() == [] and r.pending() == [] and len(r.tcp_connectors) == 1
    (svc,) = factory._services
    assert not svc.running


@pytest_twisted.inlineCallbacks
def test_connection_function_handlers_have_a_factory(tw_server: RedisServer) -> Any:
    """``db._factory`` of a ``ConnectionPool``: ``size``, ``poolsize``, ``uuid``, ``pool`` (its
    connections: ``transport.getPeer()``, ``loseConnection()``, after which the pool
    reconnects), ``getConnection(True)`` whose ``script_hashes`` is the handler's script cache
    (a stale entry there costs one NOSCRIPT round trip, as txredisapi's test_eval pins)."""
    db = yield redis.ConnectionPool(tw_server.host, tw_server.port, poolsize=2)
    factory = db._factory
    assert db._factory is factory
    assert (factory.size, factory.poolsize, factory.uuid, factory.dbid) == (
        2, 2, f"{tw_server.host}:{tw_server.port}", None)
    pool = factory.pool
    assert len(pool) == 2 and all(p.connected for p in pool)
    peer = pool[0].transport.getPeer()
    assert isinstance(peer, IPv4Address) and (peer.host, peer.port) == (tw_server.host, tw_server.port)
    assert factory.pool[0] is pool[0]

    script = "return {KEYS[1], ARGV[1]}"
    yield db.script_flush()
    conn = yield factory.getConnection(True)
    assert conn in factory.pool
    conn.script_hashes.add(hashlib.sha1(script.encode()).hexdigest())
    assert (yield db.eval(script, ["k"], ["v"])) == ["k", "v"]

    pool[0].transport.loseConnection()
    deadline = time.monotonic() + 5
    while factory.size == 2 and time.monotonic() < deadline:
        yield task.deferLater(reactor, 0.01, lambda: None)
    while factory.size < 2 and time.monotonic() < deadline:
        yield task.deferLater(reactor, 0.02, lambda: None)
    assert factory.size == 2 and pool[0] not in factory.pool
    yield db.disconnect()
    assert factory.size == 0 and factory.pool == []


@pytest_twisted.inlineCallbacks
def test_connection_functions_follow_redis_factory_backoff(tw_server: RedisServer,
                                                           monkeypatch: pytest.MonkeyPatch) -> Any:
    """``RedisFactory.initialDelay`` patched (txredisapi's tests do so) applies to the connection
    functions' pools: a connection dropped right after it was made comes back after about that
    delay (0.05 s), not after the default 1 s."""
    monkeypatch.setattr(redis.RedisFactory, "initialDelay", 0.05)
    db = yield redis.Connection(tw_server.host, tw_server.port)
    killer = yield redis.Connection(tw_server.host, tw_server.port)
    victim = yield db.execute_command("CLIENT", "ID")
    assert (yield killer.client_kill(id=victim)) == 1
    started = time.monotonic()
    while db._factory.size == 1 and time.monotonic() - started < 2:
        yield task.deferLater(reactor, 0.005, lambda: None)
    while db._factory.size == 0 and time.monotonic() - started < 5:
        yield task.deferLater(reactor, 0.01, lambda: None)
    assert db._factory.size == 1 and time.monotonic() - started < 0.6
    yield killer.disconnect()
    yield db.disconnect()
