"""Deadlines always fire, through the Twisted shim: every Deferred pending on a frozen server
(SIGSTOP, ``RedisServer.stopped()``) fires within its bound + ``MARGIN`` with a typed failure,
and the handler works again after SIGCONT. The asyncio side is tests/reliability/test_deadlines.py
(its docstring lists the bounds); run this one with ``-p no:asyncio --reactor=asyncio -s``.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterator, Sequence

import pytest
import pytest_twisted
from twisted.internet import defer, reactor

import txredis_aio_twisted as redis
from tests.reliability.conftest import CONNECT_TIMEOUT, HANG_WATCH, HUNG, MARGIN, REPLY_TIMEOUT, check, figure
from txredis_aio.testing import RedisServer

pytestmark = pytest.mark.timeout(120)

@defer.inlineCallbacks
def outcome(make: Callable[[], Any], watch: float) -> Any:
    """Fire ``make()``'s Deferred, watched for ``watch`` seconds: (seconds, result or exception,
    or HUNG: then the Deferred is cancelled)."""
    start = time.monotonic()
    d = defer.maybeDeferred(make)
    hung: list[bool] = []

    def give_up() -> None:
        hung.append(True)
        d.cancel()

    timer = reactor.callLater(watch, give_up)  # type: ignore[attr-defined]
    try:
        r = yield d
    except Exception as e:
        r = e
    if timer.active():
        timer.cancel()
    return time.monotonic() - start, HUNG if hung else r


def outcomes(makes: Sequence[Callable[[], Any]], watch: float) -> Any:
    """Every call started in the same reactor step; a Deferred of their outcomes, in order."""
    return defer.gatherResults([outcome(m, watch) for m in makes])


@defer.inlineCallbacks
def until_ok(make: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Retry while the call fails with ConnectionError (reconnect, backoff); (seconds, result)."""
    start = time.monotonic()
    while True:
        try:
            r = yield make()
            return time.monotonic() - start, r
        except redis.ConnectionError:
            if time.monotonic() - start > timeout:
                raise
            d: defer.Deferred = defer.Deferred()
            reactor.callLater(0.01, d.callback, None)  # type: ignore[attr-defined]
            yield d


@pytest.fixture
def srv() -> Iterator[RedisServer]:
    with RedisServer() as s:
        yield s


@pytest_twisted.inlineCallbacks
def test_tw_lazy_connection_commands_end_at_connect_timeout(srv: RedisServer) -> Any:
    """Frozen before the connection is made: a lazy connection's command Deferreds
    (``connectTimeout=1``) errback with ``ConnectionError("Not connected")`` after ~1 s. After
    SIGCONT a new ``Connection`` works."""
    lazy = None
    try:
        with srv.stopped():
            lazy = redis.lazyConnection(srv.host, srv.port, connectTimeout=CONNECT_TIMEOUT)
            res = yield outcomes([lambda: lazy.get("k")] * 10, CONNECT_TIMEOUT + MARGIN + HANG_WATCH)
        check("twisted: lazyConnection(connectTimeout=1).get()", res, CONNECT_TIMEOUT, redis.ConnectionError,
              message=str(res[0][1]))
        rc = yield redis.Connection(srv.host, srv.port, connectTimeout=CONNECT_TIMEOUT)
        assert (yield rc.ping()) == "PONG"
        yield rc.disconnect()
    finally:
        if lazy is not None:
            yield lazy.disconnect()


@pytest_twisted.inlineCallbacks
def test_tw_connection_deferred_ends_at_connect_timeout(srv: RedisServer) -> Any:
    """Frozen before the connection is made: ``Connection(connectTimeout=1)``'s Deferred errbacks
    with ``ConnectError`` after ~1 s."""
    with srv.stopped():
        res = yield outcomes([lambda: redis.Connection(srv.host, srv.port, connectTimeout=CONNECT_TIMEOUT)],
                             CONNECT_TIMEOUT + MARGIN + HANG_WATCH)
    for _, r in res:
        if hasattr(r, "disconnect"):
            yield r.disconnect()
    check("twisted: Connection(connectTimeout=1)", res, CONNECT_TIMEOUT, redis.ConnectError)


@pytest_twisted.inlineCallbacks
def test_tw_pending_replies_end_at_reply_timeout(srv: RedisServer) -> Any:
    """50 GET Deferreds pending on a frozen server with ``replyTimeout=1`` errback with
    ``TimeoutError`` after ~1 s; after SIGCONT the same handler serves them again."""
    rc = yield redis.Connection(srv.host, srv.port, replyTimeout=REPLY_TIMEOUT)
    try:
        yield rc.set("k", "v")
        with srv.stopped():
            res = yield outcomes([lambda: rc.get("k")] * 50, REPLY_TIMEOUT + MARGIN + HANG_WATCH)
        check("twisted: 50 GETs pending, replyTimeout=1", res, REPLY_TIMEOUT, redis.TimeoutError,
              message=str(res[0][1]))
        recovery, value = yield until_ok(lambda: rc.get("k"))
        assert value == "v"
        assert (yield defer.gatherResults([rc.get("k") for _ in range(50)])) == ["v"] * 50
        figure("twisted: replyTimeout: after SIGCONT", recovery_s=round(recovery, 3))
    finally:
        yield rc.disconnect()


@pytest_twisted.inlineCallbacks
def test_tw_pipeline_and_commit_end_at_reply_timeout(srv: RedisServer) -> Any:
    """On a frozen server with ``replyTimeout=1``, each on its own connection: ``pipeline()`` +
    ``execute_pipeline()``, ``commit()`` of a ``multi()`` opened before the freeze, and a
    ``multi()`` on a fresh connection (waits for MULTI's OK): every Deferred errbacks with
    ``TimeoutError`` after ~1 s; after SIGCONT pipelines and transactions work again."""
    rcs = []
    for _ in range(3):
        rcs.append((yield redis.Connection(srv.host, srv.port, replyTimeout=REPLY_TIMEOUT)))
    try:
        p = yield rcs[0].pipeline()
        t = yield rcs[1].multi()
        watch = REPLY_TIMEOUT + MARGIN + HANG_WATCH
        with srv.stopped():
            # The queued commands' own Deferreds (pipeline slots, QUEUED replies) fail too.
            queued = outcomes([lambda: p.set("p", 1), lambda: p.get("p"), lambda: t.set("t", 1)], watch)
            res = yield outcomes([lambda: p.execute_pipeline(), lambda: t.commit(), lambda: rcs[2].multi()],
                                 watch)
            queued = yield queued
        for name, r in zip(["execute_pipeline()", "commit()", "multi() waiting for MULTI"], res):
            check(f"twisted: frozen: {name}", [r], REPLY_TIMEOUT, redis.TimeoutError)
        check("twisted: frozen: the pipelined / queued commands' Deferreds", queued, REPLY_TIMEOUT,
              redis.TimeoutError)
        for i, rc in enumerate(rcs):
            yield until_ok(lambda rc=rc: rc.ping())
            p = yield rc.pipeline()
            p.set(f"p{i}", i)
            p.get(f"p{i}")
            assert (yield p.execute_pipeline()) == ["OK", i]
            t = yield rc.multi()
            t.incr(f"p{i}")
            assert (yield t.commit()) == [i + 1]
    finally:
        for rc in rcs:
            yield rc.disconnect()
