"""Handlers made by a ``RedisFactory`` lease connections as txredisapi's did (§10.6).

``multi``/``watch``/``pipeline`` and blocking requests take a connection of ``factory.pool``
for themselves until they end; other commands go to the connections that are not leased, and
wait (bounded by ``replyTimeout`` when set) while every one is. Against a real server on the
asyncio reactor, and on MemoryReactorClock against the in-memory server (failures, cancellation,
timers on ``factory.clock``).
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest
import pytest_twisted
from fake_redis import ConnectingReactor, FakeRedisServer
from tw_support import fired, without_asyncio_loop
from twisted.internet import defer, endpoints, reactor, task

import txredis_aio_twisted as redis
from txredis_aio.testing import RedisServer


def _sleep(seconds: float) -> defer.Deferred:
    return task.deferLater(reactor, seconds, lambda: None)


@pytest.fixture
def server(tw_server: RedisServer) -> Iterator[RedisServer]:
    yield tw_server


@defer.inlineCallbacks
def _factory(server: RedisServer, poolsize: int, **kwargs: Any) -> Any:
    factory = redis.RedisFactory(None, None, poolsize, **kwargs)
    factory.startConnecting(endpoints.TCP4ClientEndpoint(reactor, server.host, server.port))
    handler = yield factory.deferred
    return factory, handler



@pytest_twisted.inlineCallbacks
def test_blocking_command_leases_until_its_reply(server: RedisServer) -> Any:
    """A BLPOP that blocks has its connection to itself: concurrent commands all run on the
    other one (none queues behind the block). Cancelled, it keeps the lease until its reply
    arrives (the server is still blocked on it); then the connection serves again."""
    factory, rc = yield _factory(server, 2)
    other = yield redis.Connection(server.host, server.port)
    yield rc.delete(["lease:q1", "lease:q2", "lease:k"])
    blocked = rc.blpop(["lease:q1"], timeout=0)
    yield _sleep(0.05)
    gets = [rc.get("lease:k") for _ in range(6)]
    results = yield defer.gatherResults(gets).addTimeout(2, reactor)
    assert results == [None] * 6 and not blocked.called

    blocked.cancel()
    gets = [rc.get("lease:k") for _ in range(6)]
    assert (yield defer.gatherResults(gets).addTimeout(2, reactor)) == [None] * 6
    b2 = rc.blpop(["lease:q2"], timeout=0)  # the last free connection
    waiting = rc.get("lease:k")
    yield _sleep(0.1)
    assert not waiting.called  # both connections are leased
    yield other.rpush("lease:q1", "x")  # the cancelled BLPOP's reply: its lease ends
    assert (yield waiting.addTimeout(2, reactor)) is None
    yield other.rpush("lease:q2", "y")
    assert (yield b2) == ["lease:q2", "y"]
    assert (yield rc.execute_command("BLPOP", "lease:q1", 0.01)) is None  # execute_command leases too
    assert factory._leased == set()
    yield other.disconnect()
    yield factory.disconnect()


@pytest_twisted.inlineCallbacks
def test_multi_and_watch_lease_until_the_transaction_ends(server: RedisServer) -> Any:
    """Commands issued while a transaction is open never land in it (they would return
    "QUEUED"); two ``multi()`` on a pool of 2 get different connections and a third waits until
    one commits; ``watch()`` holds its connection until ``unwatch()``; ``discard()`` gives it
    back too."""
    factory, rc = yield _factory(server, 2)
    yield rc.set("lease:k", "old")
    t = yield rc.multi()
    assert (yield t.set("lease:k", "new")) == "QUEUED"
    reads = yield defer.gatherResults([rc.get("lease:k") for _ in range(6)])
    assert reads == ["old"] * 6
    t2 = yield rc.multi()
    assert t2 is not t and {t, t2} == set(factory.pool)
    third = rc.multi()
    plain = rc.get("lease:k")
    yield _sleep(0.05)
    assert not third.called and not plain.called
    assert (yield t.commit()) == ["OK"]
    assert (yield plain) == "new"
    t3 = yield third
    assert t3 is t
    yield t3.discard()
    yield t2.discard()

    w = yield rc.watch("lease:k")
    assert (yield w.get("lease:k")) == "new"  # watch-only: commands run at once
    w2 = yield rc.watch("lease:k")
    assert w2 is not w
    after = rc.get("lease:k")
    yield _sleep(0.05)
    assert not after.called
    yield w.unwatch()
    assert (yield after) == "new"
    yield w2.unwatch()
    assert factory._leased == set()
    yield factory.disconnect()


@pytest_twisted.inlineCallbacks
def test_pipeline_leases_until_execute(server: RedisServer) -> Any:
    """With one connection, a command issued while a pipeline is open waits for
    ``execute_pipeline()`` and is not part of its results (txredisapi's
    test_ConnectionPool_managed_correctly)."""
    factory, rc = yield _factory(server, 1)
    p = yield rc.pipeline()
    p.set("lease:a", 1)
    p.incr("lease:a")
    outside = rc.get("lease:a")
    yield _sleep(0.05)
    assert not outside.called
    assert (yield p.execute_pipeline()) == ["OK", 2]
    assert (yield outside) == 2
    yield factory.disconnect()


def _fake(poolsize: int, **kwargs: Any) -> tuple[Any, Any, Any, FakeRedisServer]:
    """A factory connected to the in-memory server on MemoryReactorClock."""
    server = FakeRedisServer()
    r = ConnectingReactor()
    factory = redis.RedisFactory(None, None, poolsize, **kwargs)
    factory.clock = r
    pumps = []
    for _ in range(poolsize):
        connector = r.connectTCP(b"localhost", 6379, factory)
        pumps.append(r.complete(connector, server))
    for pump in pumps:
        pump.flush()
    assert factory.size == poolsize

    def flush() -> None:
        for pump in pumps * 2:
            pump.flush()

    return factory, r, flush, server


@without_asyncio_loop
def test_failed_and_cancelled_multi_give_the_connection_back() -> None:
    """A ``multi()`` refused by the server (the in-memory one has no MULTI) fails, sends DISCARD
    and UNWATCH, and gives the connection back; one cancelled while MULTI's reply is pending does
    the same. Either way the next command runs."""
    factory, r, flush, server = _fake(1)
    rc = factory.handler
    d = rc.multi()
    flush()
    assert fired(d.addErrback(lambda f: f.value)).args[0].startswith("ERR unknown command")
    assert server.commands()[-3:] == [b"MULTI", b"DISCARD", b"UNWATCH"]
    assert factory._leased == set()
    d = rc.set("k", "v")
    flush()
    assert fired(d) == "OK"

    server.silent = True
    d = rc.multi("k")
    flush()
    assert factory._leased == set(factory.pool)
    d.cancel()
    assert factory._leased == set()
    with pytest.raises(defer.CancelledError):
        fired(d)
    flush()
    assert server.commands()[-4:] == [b"WATCH", b"MULTI", b"DISCARD", b"UNWATCH"]
    d = rc.get("k")
    flush()
    assert server.commands()[-1] == b"GET"


@without_asyncio_loop
def test_wait_for_a_leased_connection_is_bounded_by_reply_timeout() -> None:
    """Every connection leased (a BLPOP the frozen server never answers): a command waits, and
    fails with TimeoutError after ``replyTimeout`` on ``factory.clock``, never sent; a lease
    request waits likewise; a cancelled wait sends nothing."""
    factory, r, flush, server = _fake(1, replyTimeout=2)
    rc = factory.handler
    server.silent = True
    blocked = rc.blpop(["q"], timeout=0)
    waiting = rc.get("k")
    leasing = rc.multi()
    cancelled = rc.set("k", "v")
    cancelled.cancel()
    flush()
    r.advance(1.9)
    assert not waiting.called and not leasing.called and not blocked.called
    r.advance(0.2)
    for d in (waiting, leasing):
        err = fired(d.addErrback(lambda f: f.value))
        assert isinstance(err, redis.TimeoutError) and "leased" in str(err)
    assert server.commands() == [b"BLPOP"]
    with pytest.raises(defer.CancelledError):
        fired(cancelled)
    assert factory.getConnection().called is False  # nothing free for it either
