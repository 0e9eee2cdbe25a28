"""Network faults through a loopback TCP proxy: black holes, resets mid-reply, latency."""

from __future__ import annotations

import asyncio
import time
from typing import AsyncIterator

import pytest

import txredis_aio as redis
from tests.reliability.conftest import figure
from tests.reliability.faultproxy import FaultProxy
from txredis_aio.testing import RedisServer


@pytest.fixture
async def proxy(redis_server: RedisServer) -> AsyncIterator[FaultProxy]:
    p = await FaultProxy(redis_server.host, redis_server.port).start()
    yield p
    await p.stop()


async def test_blackhole_trips_reply_timeout_and_pool_recovers(proxy: FaultProxy) -> None:
    """A black-holed link fails commands with TimeoutError; the pool recovers when it heals."""
    rc = await redis.ConnectionPool("127.0.0.1", proxy.port, poolsize=2, replyTimeout=0.3)
    try:
        await rc.set("bh", "v")
        proxy.mode = "blackhole"
        t0 = time.monotonic()
        results = await asyncio.gather(*(rc.get("bh") for _ in range(10)), return_exceptions=True)
        took = time.monotonic() - t0
        assert all(isinstance(r, redis.TimeoutError) for r in results), results
        assert took < 1.5
        proxy.mode = "pass"
        recovery = await _until_ok(rc)
        figure("blackhole", timed_out=len(results), detect_s=round(took, 3),
               recovery_s=round(recovery, 3))
        assert await rc.get("bh") == "v"
    finally:
        await rc.disconnect()


async def _until_ok(rc: redis.ConnectionHandler, timeout: float = 10.0) -> float:
    t0 = time.monotonic()
    while True:
        try:
            await rc.ping()
            return time.monotonic() - t0
        except redis.ConnectionError:
            if time.monotonic() - t0 > timeout:
                raise
            await asyncio.sleep(0.01)


async def test_reset_mid_large_reply_fails_only_that_connection(
    proxy: FaultProxy, redis_server: RedisServer
) -> None:
    """A reset in the middle of a 4 MiB reply fails only commands on that connection."""
    big = b"x" * (4 << 20)
    direct = await redis.Connection(redis_server.host, redis_server.port, charset=None)
    await direct.set("big", big)
    rc = await redis.ConnectionPool("127.0.0.1", proxy.port, poolsize=2, charset=None)
    try:
        proxy.reset_after_bytes = 1 << 20
        big_get = rc.get("big")
        small = [rc.get("small") for _ in range(200)]
        await direct.set("small", b"s")
        with pytest.raises(redis.ConnectionError, match="Lost connection"):
            await big_get
        results = await asyncio.gather(*small, return_exceptions=True)
        ok = [r for r in results if not isinstance(r, Exception)]
        lost = [r for r in results if isinstance(r, Exception)]
        assert all(r in (b"s", None) for r in ok)
        assert all(isinstance(r, redis.ConnectionError) and str(r) == "Lost connection" for r in lost)
        assert ok, "the other connection kept working"
        assert await direct.get("small") == b"s"  # the server itself was never disturbed
        proxy.reset_after_bytes = None
        await _until_ok(rc)
        assert await rc.get("big") == big
        figure("reset_mid_reply", commands=201, failed_on_reset_link=len(lost) + 1,
               succeeded_on_other=len(ok))
    finally:
        await rc.disconnect()
        await direct.disconnect()


async def test_latency_implicit_pipelining_keeps_throughput(proxy: FaultProxy) -> None:
    """With 20 ms injected per chunk, 200 concurrent GETs finish far faster than sequential ones."""
    rc = await redis.Connection("127.0.0.1", proxy.port)
    try:
        await rc.set("lat", "v")
        proxy.mode, proxy.latency = "latency", 0.02
        t0 = time.monotonic()
        for _ in range(10):
            await rc.get("lat")
        seq = 10 / (time.monotonic() - t0)
        t0 = time.monotonic()
        assert await asyncio.gather(*(rc.get("lat") for _ in range(200))) == ["v"] * 200
        conc = 200 / (time.monotonic() - t0)
        figure("latency", injected_ms=20, sequential_ops_s=round(seq), concurrent_ops_s=round(conc))
        assert conc > 5 * seq
    finally:
        await rc.disconnect()
        proxy.mode = "pass"
