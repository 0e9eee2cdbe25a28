"""Cancellation and timeouts never desynchronise a connection: every caller that gets a reply
gets its own, whatever else was cancelled, timed out or failed around it."""

from __future__ import annotations

import asyncio
import random
import sys

import pytest

import txredis_aio as redis
from txredis_aio._compat import timeout as async_timeout
from txredis_aio.testing import RedisServer


async def wait_for(cond, timeout: float = 10.0) -> None:
    """Poll ``cond()`` until true, failing after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


async def fill(rc, n: int, prefix: str = "k") -> None:
    p = await rc.pipeline()
    for i in range(n):
        p.set(f"{prefix}{i}", f"v{i}")
    await p.execute_pipeline()


async def check_in_step(rc, n: int = 500, prefix: str = "k") -> None:
    """Every connection of the pool answers a burst of GETs with the right values."""
    keys = random.sample(range(n), min(n, 500))
    got = await asyncio.wait_for(asyncio.gather(*(rc.get(f"{prefix}{i}") for i in keys)), 10)
    assert got == [f"v{i}" for i in keys]


async def test_ten_thousand_gets_with_random_cancellation_and_timeouts(rc) -> None:
    """10k concurrent GETs of distinct keys under random task cancellation and random
    asyncio timeouts: every GET that completes returns its own key's value."""
    rnd = random.Random(1234)
    n = 10_000
    await fill(rc, n)

    async def get(i: int) -> tuple[int, object]:
        limit = rnd.choice((None, 0, 0.0005, 0.002, 0.01, 1.0))
        if limit is None:
            return i, await rc.get(f"k{i}")
        async with async_timeout(limit):
            return i, await rc.get(f"k{i}")

    tasks = [asyncio.ensure_future(get(i)) for i in range(n)]
    for _ in range(5):
        await asyncio.sleep(0)
        for t in rnd.sample(tasks, 300):
            t.cancel()
    done = await asyncio.gather(*tasks, return_exceptions=True)
    completed = [r for r in done if isinstance(r, tuple)]
    failed = [r for r in done if not isinstance(r, tuple)]
    assert all(isinstance(e, (asyncio.CancelledError, asyncio.TimeoutError)) for e in failed)
    assert completed and failed  # both outcomes happened
    for i, value in completed:
        assert value == f"v{i}"
    await check_in_step(rc, n)
    assert repr(rc).endswith("leased=0 pending=0>")


async def test_wait_for_timeouts_on_single_connection(redis_server: RedisServer) -> None:
    """asyncio.wait_for timeouts on a single connection drop only their own replies."""
    rc = await redis.Connection(redis_server.host, redis_server.port)
    try:
        await fill(rc, 2000)
        rnd = random.Random(7)

        async def get(i: int) -> tuple[int, object]:
            return i, await asyncio.wait_for(rc.get(f"k{i}"), rnd.choice((0.0001, 0.001, 5)))

        done = await asyncio.gather(*(get(i) for i in range(2000)), return_exceptions=True)
        completed = [r for r in done if isinstance(r, tuple)]
        assert completed
        assert all(v == f"v{i}" for i, v in completed)
        await check_in_step(rc, 2000)
    finally:
        await rc.disconnect()


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.TaskGroup is Python 3.11+")
async def test_taskgroup_failure_cancels_siblings_cleanly(rc) -> None:
    """A TaskGroup whose member fails cancels its siblings mid-command; the pool stays in step."""
    await fill(rc, 1000)

    async def boom() -> None:
        await rc.ping()
        raise RuntimeError("boom")

    async def getter(i: int) -> None:
        assert await rc.get(f"k{i}") == f"v{i}"
        assert await rc.get(f"k{(i + 1) % 1000}") == f"v{(i + 1) % 1000}"

    with pytest.raises(BaseException) as info:
        async with asyncio.TaskGroup() as tg:  # type: ignore[attr-defined]
            for i in range(1000):
                tg.create_task(getter(i))
            tg.create_task(boom())
    assert "boom" in repr(info.value)
    await check_in_step(rc, 1000)


async def test_cancelled_pipelined_and_queued_commands(rc) -> None:
    """Cancelling single Futures of a pipeline or a transaction leaves the others' results
    (and EXEC's positions) intact."""
    p = await rc.pipeline()
    futs = [p.set(f"p{i}", i) for i in range(20)] + [p.get(f"p{i}") for i in range(20)]
    for f in futs[::3]:
        f.cancel()
    res = await p.execute_pipeline()
    for i, r in enumerate(res):
        if futs[i].cancelled():
            assert isinstance(r, asyncio.CancelledError)
        else:
            assert r == ("OK" if i < 20 else i - 20)
    t = await rc.multi()
    queued = [t.get(f"p{i}") for i in range(10)]
    queued[3].cancel()
    assert await t.commit() == list(range(10))


async def test_cancel_while_waiting_for_a_lease(redis_server: RedisServer) -> None:
    """Commands and leases cancelled while every connection is leased leave no trace: the
    transaction ends and later users get the connection and their own replies."""
    rc = await redis.Connection(redis_server.host, redis_server.port)
    try:
        t = await rc.multi()
        waiting = [asyncio.ensure_future(rc.get("x")) for _ in range(10)]
        leases = [asyncio.ensure_future(rc.multi()) for _ in range(3)]
        blocking = asyncio.ensure_future(rc.blpop("nothing", 0))
        pipes = asyncio.ensure_future(rc.pipeline())
        t.set("x", 1)
        await wait_for(lambda: len(rc._pool._lease_waiters) == 5)
        for f in [*waiting[::2], *leases, blocking, pipes]:
            f.cancel()
        assert await t.commit() == ["OK"]
        assert await asyncio.gather(*waiting[1::2]) == [1] * 5
        assert await rc.incr("x") == 2
        t2 = await asyncio.wait_for(rc.multi(), 5)
        t2.get("x")
        assert await t2.commit() == [2]
        assert "leased=0" in repr(rc)
    finally:
        await rc.disconnect()


async def test_mixed_storm(rc, redis_server: RedisServer) -> None:
    """Plain commands, pipelines, transactions and blocking pops, all under random timeouts and
    cancellation at once: every completed operation sees exactly its own replies."""
    rnd = random.Random(99)
    await fill(rc, 500)
    pusher = await redis.Connection(redis_server.host, redis_server.port)

    async def plain(w: int) -> None:
        i = rnd.randrange(500)
        assert await rc.get(f"k{i}") == f"v{i}"

    async def pipe(w: int) -> None:
        p = await rc.pipeline()
        p.set(f"pw{w}", w)
        p.get(f"pw{w}")
        p.get(f"k{w % 500}")
        assert await p.execute_pipeline() == ["OK", w, f"v{w % 500}"]

    async def trans(w: int) -> None:
        t = await rc.multi()
        t.set(f"tw{w}", w)
        t.incr(f"tw{w}")
        assert await t.commit() == ["OK", w + 1]

    async def pop(w: int) -> None:
        await pusher.rpush(f"l{w}", f"tok{w}")
        r = await rc.blpop(f"l{w}", 0.05)
        assert r is None or r == [f"l{w}", f"tok{w}"]

    ops = (plain, pipe, trans, pop)

    completed: dict[str, int] = {op.__name__: 0 for op in ops}

    async def worker(w: int) -> None:
        op = rnd.choice(ops)
        limit = rnd.choice((None, None, 0.001, 0.005, 0.02, 0.1))
        if limit is None:
            await op(w)
        else:
            async with async_timeout(limit):
                await op(w)
        completed[op.__name__] += 1

    try:
        for _round in range(3):
            tasks = [asyncio.ensure_future(worker(w)) for w in range(400)]
            await asyncio.sleep(0)
            for t in rnd.sample(tasks, 60):
                t.cancel()
            done = await asyncio.gather(*tasks, return_exceptions=True)
            errors = [e for e in done if e is not None and not isinstance(
                e, (asyncio.CancelledError, asyncio.TimeoutError))]
            assert errors == []
        assert min(completed.values()) > 20, completed  # every kind of operation completed
        await wait_for(lambda: not rc._pool._leased)
        await check_in_step(rc, 500)
    finally:
        await pusher.disconnect()


async def _storm_with_kills(redis_server: RedisServer, rounds: int) -> None:
    rnd = random.Random(2024)
    rc = await redis.ConnectionPool(redis_server.host, redis_server.port, poolsize=3,
                                    client_name="storm")
    # Connections killed right after set-up count as failed attempts (backoff); keep it short so
    # every round starts from a whole pool instead of failing fast against a pool in backoff.
    rc._pool.initialDelay, rc._pool.maxDelay = 0.02, 0.1
    admin = await redis.Connection(redis_server.host, redis_server.port)
    try:
        await fill(rc, 300, prefix="s")
        kinds = {"plain": 0, "pipe": 0, "trans": 0, "pop": 0}

        async def one(w: int) -> None:
            kind = rnd.choice(list(kinds))
            if kind == "plain":
                i = rnd.randrange(300)
                assert await rc.get(f"s{i}") == f"v{i}"
            elif kind == "pipe":
                p = await rc.pipeline()
                p.set(f"sp{w}", w)
                p.get(f"sp{w}")
                assert await p.execute_pipeline() == ["OK", w]
            elif kind == "trans":
                t = await rc.multi()
                t.set(f"st{w}", w)
                t.incr(f"st{w}")
                assert await t.commit() == ["OK", w + 1]
            else:
                await rc.rpush(f"sl{w}", f"tok{w}")
                r = await rc.blpop(f"sl{w}", 0.05)
                assert r is None or r == [f"sl{w}", f"tok{w}"]
            kinds[kind] += 1

        async def worker(w: int) -> None:
            limit = rnd.choice((None, None, 0.002, 0.02, 0.2))
            if limit is None:
                await one(w)
            else:
                async with async_timeout(limit):
                    await one(w)

        async def killer() -> None:
            for _ in range(3):
                await asyncio.sleep(0.005)
                listing = await admin.execute_command("CLIENT", "LIST")
                ids = [ln.split()[0].split("=")[1] for ln in listing.splitlines()
                       if " name=storm " in ln]
                if ids:
                    await admin.execute_command("CLIENT", "KILL", "ID", rnd.choice(ids))

        for r in range(rounds):
            await wait_for(lambda: rc._pool.connected == 3)
            tasks = [asyncio.ensure_future(worker(r * 1000 + w)) for w in range(300)]
            kill = asyncio.ensure_future(killer())
            await asyncio.sleep(0)
            for t in rnd.sample(tasks, 30):
                t.cancel()
            done = await asyncio.gather(*tasks, return_exceptions=True)
            await kill
            bad = [e for e in done if e is not None and not isinstance(
                e, (asyncio.CancelledError, asyncio.TimeoutError, redis.ConnectionError))]
            assert bad == []  # in particular: no AssertionError, i.e. no foreign reply
        # Every round ran against a whole pool, so each kind completes in most rounds.
        assert min(kinds.values()) > 5 * rounds, kinds
        # A connection killed last may not have been seen closing yet: let the loop read its EOF.
        await asyncio.sleep(0.05)
        await wait_for(lambda: rc._pool.connected == 3 and not rc._pool._leased)
        await check_in_step(rc, 300, prefix="s")
    finally:
        await admin.disconnect()
        await rc.disconnect()


async def test_storm_with_connections_killed(redis_server: RedisServer) -> None:
    """Plain, pipelined, transactional and blocking operations under cancellation, timeouts and
    connections killed by the server: failures are only cancellations, timeouts and connection
    errors, never another caller's reply; afterwards the pool is whole and in step."""
    await _storm_with_kills(redis_server, rounds=2)


@pytest.mark.soak
async def test_storm_with_connections_killed_soak(redis_server: RedisServer) -> None:
    """The storm above, 40 rounds."""
    await _storm_with_kills(redis_server, rounds=40)
