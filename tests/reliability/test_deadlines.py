"""Deadlines always fire: every wait a caller can be stuck in against a frozen server has a bound.

Each test SIGSTOPs a real server (``RedisServer.stopped()``: the kernel still accepts TCP
connections into the listen backlog, but nothing is read or answered) in one state, checks that
every pending call ends within its documented bound + ``MARGIN`` with a typed error, and that
the client works again once the server is SIGCONTed. Run with ``-s`` to see the measured times.

Bounds, as the code documents them:

* connect + handshake: ``connectTimeout`` each (``connection.py``); a command waiting for an
  in-flight connect attempt: ``connectTimeout``, ``DEFAULT_WAIT_FOR_CONNECT`` (5 s) when None;
* a reply: ``replyTimeout`` (``_protocol.py``);
* a command or lease user waiting while every connection is leased: ``replyTimeout``
  (``pool.py`` docstring, "Waiting");
* Sentinel discovery: ``Sentinel.discovery_timeout``, or sooner the sentinel connections' own
  connect / reply bounds; a data command waits for the resolving connect attempt at most
  ``connectTimeout`` (the pool's backlog deadline);
* cluster: a command's reply ``replyTimeout``, also after following MOVED / ASK; a slot-map
  refresh, per node asked, its CLUSTER SHARDS reply (``replyTimeout``) or at most
  ``2 * connectTimeout`` (10 s when None: ``ClusterTopology._fetch``).

These tests found two unbounded waits, both fixed: ``asyncio.timeout`` around a ``ReplyFuture``
fired as a cancellation (which killed the connect task of a handshake that timed out;
``ReplyFuture.cancel`` now schedules its callbacks), and a blocking command had no bound (now its
own timeout plus ``replyTimeout``, when that is set).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, Sequence

import pytest

import txredis_aio as redis
from tests.integration.sentinel_fixtures import SentinelSetup
from tests.reliability.conftest import (
    CONNECT_TIMEOUT,
    HANG_WATCH,
    HUNG,
    MARGIN,
    REPLY_TIMEOUT,
    check,
    figure,
    wait_for,
)
from txredis_aio._compat import timeout as _timeout
from txredis_aio._crc16 import slot_of
from txredis_aio.cluster_testing import RedisCluster
from txredis_aio.connection import DEFAULT_WAIT_FOR_CONNECT
from txredis_aio.pool import Pool
from txredis_aio.testing import RedisServer

pytestmark = pytest.mark.timeout(120)

async def outcome(aw: Awaitable[Any], watch: float) -> tuple[float, Any]:
    """Await ``aw`` for at most ``watch`` seconds: (seconds taken, result or exception, or HUNG)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    fut = asyncio.ensure_future(aw)
    done, _ = await asyncio.wait({fut}, timeout=watch)
    took = loop.time() - start
    if not done:
        fut.cancel()
        with contextlib.suppress(BaseException):
            await fut
        return took, HUNG
    if fut.cancelled():
        return took, asyncio.CancelledError()
    exc = fut.exception()
    return took, exc if exc is not None else fut.result()


async def outcomes(calls: Sequence[Callable[[], Awaitable[Any]]], watch: float) -> list[tuple[float, Any]]:
    """Start every call in the same loop step; each one's outcome, timed from its start."""
    return list(await asyncio.gather(*(outcome(c(), watch) for c in calls)))


async def until_ok(call: Callable[[], Awaitable[Any]], timeout: float = 20.0) -> tuple[float, Any]:
    """Retry ``call`` while it fails with ConnectionError (reconnect, backoff); (seconds, result)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while True:
        try:
            return loop.time() - start, await call()
        except redis.ConnectionError:
            if loop.time() - start > timeout:
                raise
            await asyncio.sleep(0.01)


@pytest.fixture
def srv() -> Iterator[RedisServer]:
    with RedisServer() as s:
        yield s


# -- 1, 2: connect and handshake ------------------------------------------------------------------


@pytest.fixture(params=["plain", "auth"])
def handshake(request: pytest.FixtureRequest) -> Iterator[tuple[RedisServer, dict[str, Any]]]:
    """A server and the connection options of one handshake: HELLO only, or AUTH first."""
    auth = request.param == "auth"
    with RedisServer(conf=["requirepass pw"] if auth else []) as s:
        yield s, {"connectTimeout": CONNECT_TIMEOUT, "password": "pw" if auth else None}


def attempt_over(pool: Any) -> bool:
    """Every slot of ``pool`` has finished its current connect attempt (it failed, or its
    supervisor task ended)."""
    return all(sl.last_error is not None or (sl._task is not None and sl._task.done())
               for sl in pool._slots)


#: How long a pool takes to reconnect to a server that is back, after one failed attempt: the
#: backoff (initialDelay, jittered; 4 sigma) plus one connect attempt.
RECONNECT_BOUND = Pool.initialDelay * (1 + 4 * Pool.jitter) + CONNECT_TIMEOUT

async def test_connect_lazy_commands_end_at_connect_timeout(
        handshake: tuple[RedisServer, dict[str, Any]]) -> None:
    """Frozen before the connection is made (TCP accepted by the kernel, HELLO / AUTH never
    answered): a lazy connection's commands wait for the connect attempt at most
    ``connectTimeout`` (1 s), then fail with ``ConnectionError("Not connected")``. After SIGCONT
    a new connection works."""
    s, kw = handshake
    lazy = None
    try:
        with s.stopped():
            lazy = redis.lazyConnection(s.host, s.port, **kw)
            res = await outcomes([lambda: lazy.get("k")] * 10, CONNECT_TIMEOUT + MARGIN + HANG_WATCH)
        check(f"connect ({kw['password'] and 'auth' or 'plain'}): lazyConnection(connectTimeout=1).get()",
              res, CONNECT_TIMEOUT, redis.ConnectionError, message=str(res[0][1]))
        async with redis.Connection(s.host, s.port, **kw) as rc:
            assert await rc.set("k", "v") == "OK"
    finally:
        if lazy is not None:
            await lazy.disconnect()


async def test_connect_await_connection_ends_at_connect_timeout(
        handshake: tuple[RedisServer, dict[str, Any]]) -> None:
    """Frozen before the connection is made: ``await Connection(connectTimeout=1)`` raises
    ``ConnectError`` after ~1 s (the handshake's bound), with or without AUTH."""
    s, kw = handshake
    with s.stopped():
        res = await outcomes([lambda: redis.Connection(s.host, s.port, **kw)] * 3,
                             CONNECT_TIMEOUT + MARGIN + HANG_WATCH)
    for _, r in res:
        if isinstance(r, redis.ConnectionHandler):
            await r.disconnect()
    check(f"connect ({kw['password'] and 'auth' or 'plain'}): await Connection(connectTimeout=1)",
          res, CONNECT_TIMEOUT, redis.ConnectError)


async def test_connect_lazy_connection_recovers_after_handshake_timeout(
        handshake: tuple[RedisServer, dict[str, Any]]) -> None:
    """A lazy connection whose first handshake timed out on a frozen server reconnects by itself
    once the server is SIGCONTed: within the backoff plus one connect attempt."""
    s, kw = handshake
    lazy = redis.lazyConnection(s.host, s.port, **kw)
    try:
        with s.stopped():
            await wait_for(lambda: attempt_over(lazy._pool), CONNECT_TIMEOUT + MARGIN, "the attempt to end")
        took, got = await outcome(until_ok(lambda: lazy.ping(), RECONNECT_BOUND + MARGIN),
                                  RECONNECT_BOUND + MARGIN + HANG_WATCH)
        value = got[1] if isinstance(got, tuple) else got  # until_ok gives (seconds, result)
        figure(f"connect ({kw['password'] and 'auth' or 'plain'}): lazy connection after SIGCONT",
               took_s=round(took, 3), outcome=repr(value), slot=lazy._pool._slots[0].state)
        assert value == "PONG", f"not recovered within {RECONNECT_BOUND + MARGIN:.1f} s: {value!r}"
    finally:
        await lazy.disconnect()


async def test_lazy_command_without_connect_timeout_is_bounded_by_default_wait(srv: RedisServer) -> None:
    """With ``connectTimeout=None`` a command waiting for the (hung) first connect attempt is
    still bounded: ``DEFAULT_WAIT_FOR_CONNECT`` (5 s), then ``ConnectionError("Not connected")``."""
    bound = DEFAULT_WAIT_FOR_CONNECT
    lazy = redis.lazyConnection(srv.host, srv.port)
    try:
        with srv.stopped():
            res = await outcomes([lambda: lazy.get("k")] * 5, bound + MARGIN + HANG_WATCH)
        check("lazy command, connectTimeout=None", res, bound, redis.ConnectionError)
        recovery, value = await until_ok(lambda: lazy.ping())
        assert value == "PONG"
        figure("lazy command, connectTimeout=None: recovered after SIGCONT", recovery_s=round(recovery, 3))
    finally:
        await lazy.disconnect()


# -- 3: replies ---------------------------------------------------------------------------------


async def test_pending_replies_end_at_reply_timeout(srv: RedisServer) -> None:
    """50 concurrent GETs pending on a frozen server with ``replyTimeout=1`` all fail with
    ``TimeoutError`` after ~1 s (the connection is aborted). Commands issued next, while the
    pool reconnects to the still-frozen server (connectTimeout None), wait at most
    ``DEFAULT_WAIT_FOR_CONNECT`` and fail with ``ConnectionError``. After SIGCONT new commands
    work on the same handler."""
    rc = await redis.Connection(srv.host, srv.port, replyTimeout=REPLY_TIMEOUT)
    try:
        assert await rc.set("k", "v") == "OK"
        with srv.stopped():
            gets = await outcomes([lambda: rc.get("k")] * 50, REPLY_TIMEOUT + MARGIN + HANG_WATCH)
            check("50 GETs pending, replyTimeout=1", gets, REPLY_TIMEOUT, redis.TimeoutError,
                  message=str(gets[0][1]))
            later = await outcomes([lambda: rc.get("k")] * 5,
                                   DEFAULT_WAIT_FOR_CONNECT + MARGIN + HANG_WATCH)
            check("GET while reconnecting to the frozen server", later, DEFAULT_WAIT_FOR_CONNECT,
                  redis.ConnectionError, fired=False, message=str(later[0][1]))
        recovery, value = await until_ok(lambda: rc.get("k"))
        assert value == "v"
        assert await asyncio.gather(*(rc.get("k") for _ in range(50))) == ["v"] * 50
        figure("replyTimeout: recovered after SIGCONT", recovery_s=round(recovery, 3))
    finally:
        await rc.disconnect()


# -- 4: waiting for a connection / a lease --------------------------------------------------------


async def _hold_lease(rc: Any, kind: str) -> Any:
    if kind == "multi":
        return await rc.multi()
    if kind == "pipeline":
        return await rc.pipeline()
    fut = rc.blpop(["lease:empty"], timeout=0)  # blocks server-side: holds its lease until a push
    return fut


@pytest.mark.parametrize("holder", ["multi", "pipeline", "blpop"])
async def test_lease_waiters_end_at_reply_timeout(srv: RedisServer, holder: str) -> None:
    """Pool of 1 whose only connection is leased (``multi()`` / ``pipeline()`` not yet sent, or a
    BLPOP blocked server-side) while the server is frozen: other ``multi()`` and ``pipeline()``
    callers and plain commands wait for the lease at most ``replyTimeout`` (pool.py docstring),
    then fail with ``TimeoutError`` ("No connection free within replyTimeout", nothing sent).
    The holder's own EXEC / execute_pipeline then fails with ``TimeoutError`` after ~1 s too.
    After SIGCONT the handler works (a push releases the BLPOP's lease)."""
    rc = await redis.Connection(srv.host, srv.port, replyTimeout=REPLY_TIMEOUT)
    other = await redis.Connection(srv.host, srv.port)
    try:
        lease = await _hold_lease(rc, holder)
        await asyncio.sleep(0)  # the BLPOP is written
        watch = REPLY_TIMEOUT + MARGIN + HANG_WATCH
        with srv.stopped():
            calls: list[Callable[[], Awaitable[Any]]] = (
                [lambda: rc.multi()] * 5 + [lambda: rc.pipeline()] * 5 + [lambda: rc.get("k")] * 20
            )
            waiters = await outcomes(calls, watch)
            check(f"lease held by {holder}: multi/pipeline/GET waiters", waiters, REPLY_TIMEOUT,
                  redis.TimeoutError, message=str(waiters[0][1]))
            if holder == "multi":
                lease.set("k", "t")
                own = await outcomes([lambda: lease.commit()], watch)
                check("lease holder's commit()", own, REPLY_TIMEOUT, redis.TimeoutError)
            elif holder == "pipeline":
                lease.set("k", "p")
                own = await outcomes([lambda: lease.execute_pipeline()], watch)
                check("lease holder's execute_pipeline()", own, REPLY_TIMEOUT, redis.TimeoutError)
        if holder == "blpop":
            assert await other.lpush("lease:empty", "x") == 1
            assert await lease == ["lease:empty", "x"]
        recovery, _ = await until_ok(lambda: rc.set("k", "after"))
        t = await rc.multi()
        t.get("k")
        assert await t.commit() == ["after"]
        figure(f"lease held by {holder}: recovered after SIGCONT", recovery_s=round(recovery, 3))
    finally:
        await rc.disconnect()
        await other.disconnect()


async def test_blocking_command_with_server_timeout_is_bounded(srv: RedisServer) -> None:
    """BLPOP with a 1 s server-side timeout on a frozen server, ``replyTimeout=1``: the caller is
    released at ``timeout + replyTimeout`` (``TimeoutError``); the client works after SIGCONT."""
    rc = await redis.Connection(srv.host, srv.port, replyTimeout=REPLY_TIMEOUT)
    try:
        bound = 1 + REPLY_TIMEOUT
        with srv.stopped():
            res = await outcomes([lambda: rc.blpop(["frozen:empty"], timeout=1)],
                                 bound + MARGIN + HANG_WATCH)
        try:
            check("BLPOP timeout=1 on a frozen server", res, bound, redis.TimeoutError)
        finally:
            recovery, value = await until_ok(lambda: rc.ping())
            assert value == "PONG"
    finally:
        await rc.disconnect()


# -- 5: pipelines and transactions -----------------------------------------------------------------


async def test_pipeline_and_exec_end_at_reply_timeout(srv: RedisServer) -> None:
    """On a frozen server with ``replyTimeout=1``, each on its own connection: an explicit
    pipeline's ``execute_pipeline()``; ``commit()`` of a transaction opened before the freeze;
    ``multi()`` on a fresh connection (waits for MULTI's OK); ``multi()`` on a connection whose
    MULTI is confirmed (returns at once) then ``commit()``; ``watch(key)``. Every one fails with
    ``TimeoutError`` after ~1 s; after SIGCONT pipelines and transactions work again."""
    kw: dict[str, Any] = {"replyTimeout": REPLY_TIMEOUT}
    rcs = [await redis.Connection(srv.host, srv.port, **kw) for _ in range(5)]
    try:
        p = await rcs[0].pipeline()
        p.set("p", 1)
        p.incr("p")
        p.get("p")
        opened = await rcs[1].multi()
        confirmed = await rcs[3].multi()
        confirmed.discard()
        assert await rcs[3].ping() == "PONG"
        watch = REPLY_TIMEOUT + MARGIN + HANG_WATCH
        quick = REPLY_TIMEOUT  # multi() on a confirmed connection must not wait at all

        async def opened_commit() -> Any:
            opened.set("t", 1)
            return await opened.commit()

        async def confirmed_multi_commit() -> Any:
            loop = asyncio.get_running_loop()
            start = loop.time()
            t = await rcs[3].multi()
            assert loop.time() - start < quick
            t.set("t", 2)
            return await t.commit()

        with srv.stopped():
            res = await outcomes([
                lambda: p.execute_pipeline(), opened_commit, lambda: rcs[2].multi(),
                confirmed_multi_commit, lambda: rcs[4].watch("w"),
            ], watch)
        names = ["execute_pipeline()", "commit() of a transaction opened before",
                 "multi() waiting for MULTI", "multi() confirmed + commit()", "watch(key)"]
        for name, r in zip(names, res):
            check(f"frozen: {name}", [r], REPLY_TIMEOUT, redis.TimeoutError)
        for i, rc in enumerate(rcs):
            await until_ok(lambda rc=rc: rc.ping())
            p = await rc.pipeline()
            p.set(f"p{i}", i)
            p.get(f"p{i}")
            assert await p.execute_pipeline() == ["OK", i]
            t = await rc.multi()
            t.incr(f"p{i}")
            assert await t.commit() == [i + 1]
    finally:
        for rc in rcs:
            await rc.disconnect()


async def test_caller_timeout_around_a_command_raises_timeout_error(srv: RedisServer) -> None:
    """A caller bounding a command itself (``asyncio.timeout(1)``, no replyTimeout) on a frozen
    server gets ``TimeoutError`` after ~1 s, and its task is not cancelled."""
    rc = await redis.Connection(srv.host, srv.port)
    try:
        async def bounded() -> Any:
            async with _timeout(REPLY_TIMEOUT):
                return await rc.get("k")

        with srv.stopped():
            res = await outcomes([bounded], REPLY_TIMEOUT + MARGIN + HANG_WATCH)
        check("asyncio.timeout(1) around GET on a frozen server", res, REPLY_TIMEOUT, TimeoutError)
    finally:
        await rc.disconnect()


# -- 6: Sentinel --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sentinels() -> Iterator[SentinelSetup]:
    setup = SentinelSetup(replicas=0, sentinels=2).start()
    try:
        setup.wait_ready()
        yield setup
    finally:
        setup.cleanup()


@contextlib.contextmanager
def frozen(servers: Sequence[RedisServer]) -> Iterator[None]:
    """Every server SIGSTOPped for the block, each SIGCONTed again by its ``stopped()``."""
    with contextlib.ExitStack() as stack:
        for s in servers:
            stack.enter_context(s.stopped())
        yield


async def test_sentinel_discovery_with_every_sentinel_frozen(sentinels: SentinelSetup) -> None:
    """Every sentinel frozen (the master is fine):

    * a new ``master_for(connectTimeout=1)`` handler's command: its connect attempt is stuck
      resolving the master (SENTINEL MASTERS unanswered); the command waits for it at most
      ``connectTimeout``, then ``ConnectionError("Not connected")``;
    * ``discover_master`` on a new ``Sentinel(connectTimeout=1)``: the sentinel commands wait for
      their connections at most ``connectTimeout`` → ``MasterNotFoundError`` after ~1 s;
    * ``discover_master`` on a Sentinel without timeouts whose connections are up: bounded by
      ``discovery_timeout`` (2 s here; 10 s by default) → ``MasterNotFoundError``;
    * a handler already connected to the master keeps working: sentinels are not on its path.

    After SIGCONT the new handler reaches the master and discovery works again."""
    name = sentinels.name
    addrs = sentinels.sentinel_addresses
    master = ("127.0.0.1", sentinels.master.port)
    resolver = redis.Sentinel(addrs)
    warm = redis.Sentinel(addrs)
    warm.discovery_timeout = 2.0
    connected = warm.master_for(name)
    closing: list[Any] = [resolver, warm, connected]
    try:
        assert await warm.discover_master(name) == master
        assert await resolver.discover_master(name) == master
        assert await connected.set("s", "v") == "OK"
        watch = max(CONNECT_TIMEOUT, warm.discovery_timeout) + MARGIN + HANG_WATCH
        with frozen(sentinels.sentinels):
            loop = asyncio.get_running_loop()
            start = loop.time()
            assert await connected.get("s") == "v"
            figure("sentinels frozen: GET on an already connected master handler",
                   took_s=round(loop.time() - start, 3))
            handler = resolver.master_for(name, connectTimeout=CONNECT_TIMEOUT)
            cold = redis.Sentinel(addrs, connectTimeout=CONNECT_TIMEOUT)
            closing += [handler, cold]
            cmd, cold_discover, warm_discover = await asyncio.gather(
                outcomes([lambda: handler.get("s")] * 5, watch),
                outcomes([lambda: cold.discover_master(name)], watch),
                outcomes([lambda: warm.discover_master(name)], watch),
            )
        check("sentinels frozen: new master_for(connectTimeout=1).get()", cmd, CONNECT_TIMEOUT,
              redis.ConnectionError, message=str(cmd[0][1]))
        check("sentinels frozen: discover_master, new Sentinel(connectTimeout=1)", cold_discover,
              CONNECT_TIMEOUT, redis.MasterNotFoundError, message=str(cold_discover[0][1]))
        check("sentinels frozen: discover_master, connected, discovery_timeout=2", warm_discover,
              warm.discovery_timeout, redis.MasterNotFoundError)
        recovery, value = await until_ok(lambda: handler.get("s"))
        assert value == "v"
        figure("sentinels frozen: new master_for handler after SIGCONT", recovery_s=round(recovery, 3))
        assert await warm.discover_master(name) == master
        assert await resolver.discover_master(name) == master
    finally:
        for c in closing:
            await c.disconnect()


async def test_sentinel_with_connect_timeout_recovers_after_frozen_sentinels(
        sentinels: SentinelSetup) -> None:
    """A ``Sentinel(connectTimeout=1)`` made while every sentinel is frozen finds the master again
    once they are SIGCONTed: within the backoff plus one connect attempt."""
    name = sentinels.name
    cold = redis.Sentinel(sentinels.sentinel_addresses, connectTimeout=CONNECT_TIMEOUT)
    try:
        with frozen(sentinels.sentinels):
            await wait_for(lambda: all(attempt_over(s._pool) for s in cold.sentinels),
                           CONNECT_TIMEOUT + MARGIN, "the sentinel connect attempts to end")

        async def discovered() -> Any:
            loop = asyncio.get_running_loop()
            end = loop.time() + RECONNECT_BOUND + MARGIN
            while True:
                try:
                    return await cold.discover_master(name)
                except redis.MasterNotFoundError:
                    if loop.time() > end:
                        raise
                    await asyncio.sleep(0.01)

        took, value = await outcome(discovered(), RECONNECT_BOUND + MARGIN + HANG_WATCH)
        figure("sentinels frozen: Sentinel(connectTimeout=1) after SIGCONT", took_s=round(took, 3),
               outcome=repr(value))
        assert value == ("127.0.0.1", sentinels.master.port)
    finally:
        await cold.disconnect()


# -- 7: cluster ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisCluster]:
    """3 primaries, no replicas (no failover while a node is frozen), a node timeout far longer
    than any freeze here (the map does not change under the test), coverage not required."""
    c = RedisCluster(replicas=0)
    for s in c.servers:
        s.args += ["--cluster-node-timeout", "60000", "--cluster-require-full-coverage", "no"]
    try:
        c.start()
        yield c
    finally:
        c.stop()


def keys_of_node(cluster: RedisCluster, port: int, n: int, prefix: str) -> list[str]:
    """``n`` keys served by the primary on ``port``."""
    ranges = [(int(e[0]), int(e[1])) for e in cluster.command(cluster.ports[0], "CLUSTER", "SLOTS")
              if int(e[2][1]) == port]
    out: list[str] = []
    i = 0
    while len(out) < n:
        k = f"{prefix}{i}"
        i += 1
        if any(a <= slot_of(k) <= b for a, b in ranges):
            out.append(k)
    return out


@pytest.fixture
async def crc(cluster: RedisCluster) -> AsyncIterator[Any]:
    """``replyTimeout=1``; connectTimeout None: a reconnect's handshake to a frozen node may take
    10 s, longer than these freezes (connectTimeout=1: test_cluster_node_recovers_...)."""
    rc = await redis.ClusterConnection(cluster.startup_nodes, replyTimeout=REPLY_TIMEOUT)
    yield rc
    await rc.disconnect()


def _ok(cluster: RedisCluster, port: int, *args: Any) -> None:
    reply = cluster.command(port, *args)
    assert reply == "OK", f"{args} on {port}: {reply!r}"


async def test_cluster_one_primary_frozen(cluster: RedisCluster, crc: Any) -> None:
    """One primary (A) frozen, ``replyTimeout=1``:

    * 20 GETs to its slots fail with ``TimeoutError`` after ~1 s (not retried: they may have run);
    * redirects to it: a GET sent to B for a slot just moved from B to A (the client's map is
      stale: B answers MOVED) and a GET for a slot B is migrating to A (B answers ASK) follow the
      redirect to A and fail with ``TimeoutError`` ~1 s after they were issued;
    * GETs to the other primaries' slots are served meanwhile, at once.

    After SIGCONT every key works again (the moved slot through the refreshed map)."""
    a, b = cluster.ports[0], cluster.ports[1]
    hot = keys_of_node(cluster, a, 20, "hot")
    cold = [k for p in cluster.ports[1:] for k in keys_of_node(cluster, p, 10, f"cold{p}:")]
    for k in hot + cold:
        assert await crc.set(k, k) == "OK"
    moved_key = keys_of_node(cluster, b, 1, "moved")[0]
    ask_key = next(k for k in keys_of_node(cluster, b, 50, "ask") if slot_of(k) != slot_of(moved_key))
    moved_slot, ask_slot = slot_of(moved_key), slot_of(ask_key)
    a_id, b_id = cluster.node_id(a), cluster.node_id(b)
    # Move moved_slot (no keys in it) from B to A for real; the client still routes it to B.
    _ok(cluster, a, "CLUSTER", "SETSLOT", moved_slot, "IMPORTING", b_id)
    _ok(cluster, b, "CLUSTER", "SETSLOT", moved_slot, "MIGRATING", a_id)
    for port in [a, *cluster.ports[1:]]:
        _ok(cluster, port, "CLUSTER", "SETSLOT", moved_slot, "NODE", a_id)
    # ask_slot stays B's, being migrated to A: B answers ASK for keys it does not have.
    _ok(cluster, a, "CLUSTER", "SETSLOT", ask_slot, "IMPORTING", b_id)
    _ok(cluster, b, "CLUSTER", "SETSLOT", ask_slot, "MIGRATING", a_id)
    stats = dict(crc.stats)
    try:
        watch = REPLY_TIMEOUT + MARGIN + HANG_WATCH
        with cluster.server(a).stopped():
            loop = asyncio.get_running_loop()
            pending = asyncio.ensure_future(asyncio.gather(
                outcomes([lambda k=k: crc.get(k) for k in hot], watch),
                outcomes([lambda: crc.get(moved_key)], watch),
                outcomes([lambda: crc.get(ask_key)], watch),
            ))
            start = loop.time()
            assert await asyncio.gather(*(crc.get(k) for k in cold)) == cold
            others = loop.time() - start
            res, moved, asked = await pending
            assert await asyncio.gather(*(crc.get(k) for k in cold)) == cold
    finally:
        for port in (a, b):
            _ok(cluster, port, "CLUSTER", "SETSLOT", ask_slot, "STABLE")
    check("cluster, one primary frozen: GETs to its slots", res, REPLY_TIMEOUT, redis.TimeoutError,
          others_served_s=round(others, 3), message=str(res[0][1]))
    check("cluster, one primary frozen: GET following MOVED to it", moved, REPLY_TIMEOUT, redis.TimeoutError,
          moved=crc.stats["moved"] - stats["moved"])
    check("cluster, one primary frozen: GET following ASK to it", asked, REPLY_TIMEOUT, redis.TimeoutError,
          ask=crc.stats["ask"] - stats["ask"])
    assert crc.stats["moved"] > stats["moved"] and crc.stats["ask"] > stats["ask"]
    assert others < REPLY_TIMEOUT, f"the other primaries' keys took {others:.3f} s"
    recovery, _ = await until_ok(lambda: crc.get(hot[0]))
    assert await asyncio.gather(*(crc.get(k) for k in hot + cold)) == hot + cold
    assert await crc.set(moved_key, 1) == "OK" and await crc.get(moved_key) == 1
    assert await crc.set(ask_key, 2) == "OK" and await crc.get(ask_key) == 2
    assert cluster.command(a, "GET", moved_key) == "1" and cluster.command(b, "GET", ask_key) == "2"
    figure("cluster, one primary frozen: after SIGCONT", recovery_s=round(recovery, 3))


async def test_cluster_refresh_with_every_node_frozen(cluster: RedisCluster, crc: Any) -> None:
    """Every node frozen:

    * a slot-map refresh of a connected handler (``replyTimeout=1``) fails with
      ``ConnectionError`` ("no node answered CLUSTER SHARDS") after ~1 s per primary asked (each
      CLUSTER SHARDS hits replyTimeout);
    * a new ``lazyClusterConnection(connectTimeout=1)``: its GETs wait for the first refresh,
      which asks each startup node for at most ``2 * connectTimeout`` (``_fetch``), then fail with
      that refresh's ``ConnectionError``; ``await ClusterConnection(connectTimeout=1)`` likewise.

    After SIGCONT the refresh, both handlers and a new connection work."""
    refresh_bound = len(crc.primaries()) * REPLY_TIMEOUT
    new_bound = len(cluster.startup_nodes) * 2 * CONNECT_TIMEOUT
    watch = max(refresh_bound, new_bound) + MARGIN + HANG_WATCH
    kw: dict[str, Any] = {"connectTimeout": CONNECT_TIMEOUT, "replyTimeout": REPLY_TIMEOUT}
    lazy = None
    try:
        with frozen(cluster.servers):
            crc._last_refresh = -1e9  # no spacing delay: the refresh starts now
            lazy = redis.lazyClusterConnection(cluster.startup_nodes, **kw)
            refresh, gets, new = await asyncio.gather(
                outcomes([lambda: crc.refresh()], watch),
                outcomes([lambda: lazy.get("any")] * 5, watch),
                outcomes([lambda: redis.ClusterConnection(cluster.startup_nodes, **kw)], watch),
            )
        check("cluster, all frozen: refresh() of a connected handler", refresh, refresh_bound,
              redis.ConnectionError, message=str(refresh[0][1]))
        check("cluster, all frozen: lazyClusterConnection(connectTimeout=1).get()", gets, new_bound,
              redis.ConnectionError, fired=False, message=str(gets[0][1]))
        check("cluster, all frozen: await ClusterConnection(connectTimeout=1)", new, new_bound,
              redis.ConnectionError, fired=False)
        recovery, _ = await until_ok(lambda: crc.set("any", 1))
        lazy_recovery, value = await until_ok(lambda: lazy.get("any"))
        assert value == 1
        figure("cluster, all frozen: after SIGCONT", recovery_s=round(recovery, 3),
               lazy_recovery_s=round(lazy_recovery, 3))
        crc._last_refresh = -1e9
        await crc.refresh()
        async with redis.ClusterConnection(cluster.startup_nodes, **kw) as rc:
            assert await rc.get("any") == 1
    finally:
        if lazy is not None:
            await lazy.disconnect()


async def test_cluster_node_recovers_after_its_handshake_timed_out(cluster: RedisCluster) -> None:
    """``connectTimeout=1, replyTimeout=1``, one primary frozen long enough for the reconnect
    after the reply timeout to time out too: once SIGCONTed, its slots are served again within
    the backoff plus one connect attempt."""
    port = cluster.ports[0]
    key = keys_of_node(cluster, port, 1, "dead")[0]
    async with redis.ClusterConnection(cluster.startup_nodes, connectTimeout=CONNECT_TIMEOUT,
                                       replyTimeout=REPLY_TIMEOUT) as rc:
        assert await rc.set(key, 1) == "OK"
        pool = rc._nodes[f"127.0.0.1:{port}"].pool
        with cluster.server(port).stopped():
            res = await outcomes([lambda: rc.get(key)], REPLY_TIMEOUT + MARGIN + HANG_WATCH)
            check("cluster, connectTimeout=1: GET to the frozen primary", res, REPLY_TIMEOUT,
                  redis.TimeoutError)
            await wait_for(lambda: attempt_over(pool), CONNECT_TIMEOUT + MARGIN,
                           "the reconnect attempt to end")
        took, got = await outcome(until_ok(lambda: rc.get(key), RECONNECT_BOUND + MARGIN),
                                  RECONNECT_BOUND + MARGIN + HANG_WATCH)
        value = got[1] if isinstance(got, tuple) else got  # until_ok gives (seconds, result)
        figure("cluster, connectTimeout=1: frozen primary after SIGCONT", took_s=round(took, 3),
               outcome=repr(value), slot=pool._slots[0].state)
        assert value == 1, f"not served again within {RECONNECT_BOUND + MARGIN:.1f} s: {value!r}"


async def test_cluster_refresh_without_reply_timeout_asks_every_node(cluster: RedisCluster) -> None:
    """Every node frozen, ``connectTimeout=1`` and no replyTimeout: a refresh asks each primary
    for at most ``2 * connectTimeout`` (``_fetch``'s bound), then fails with ``ConnectionError``
    ("no node answered"); after SIGCONT the handler works."""
    async with redis.ClusterConnection(cluster.startup_nodes, connectTimeout=CONNECT_TIMEOUT) as rc:
        n = len(rc.primaries())
        bound = n * 2 * CONNECT_TIMEOUT
        with frozen(cluster.servers):
            rc._last_refresh = -1e9
            res = await outcomes([lambda: rc.refresh()], bound + MARGIN + HANG_WATCH)
        try:
            check("cluster, all frozen, no replyTimeout: refresh()", res, bound, redis.ConnectionError,
                  fired=False, message=repr(res[0][1]))
        finally:
            recovery, _ = await until_ok(lambda: rc.set("norefresh", 1))
            figure("cluster, all frozen, no replyTimeout: after SIGCONT", recovery_s=round(recovery, 3))
