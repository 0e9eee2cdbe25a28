"""Memory stays bounded when the consumer falls behind: feeds queue bytes up to a bound, then stop
reading (TCP back-pressure onto the server), and lose or reorder nothing."""

from __future__ import annotations

import asyncio
import collections
import re
from typing import Iterator

import psutil
import pytest

import txredis_aio as redis
from tests.reliability.conftest import figure, wait_for
from txredis_aio.testing import RedisServer, peak_rss, reset_peak_rss

MIB = 1 << 20


@pytest.fixture(scope="module")
def unlimited_pubsub_server() -> Iterator[RedisServer]:
    """A server that never disconnects a slow subscriber (pubsub output buffer unlimited)."""
    with RedisServer(args=["--client-output-buffer-limit", "pubsub 0 0 0"]) as srv:
        yield srv


async def test_slow_subscriber_is_bounded_in_bytes_and_loses_nothing(unlimited_pubsub_server) -> None:
    """300 MB published to a subscriber that reads nothing for 10 s: the client's peak RSS grows by
    less than max_queue_bytes + 20 MB, and then every message arrives, in order."""
    if not reset_peak_rss():
        pytest.skip("needs Linux /proc/self/clear_refs to measure peak RSS")
    srv = unlimited_pubsub_server
    n, size = 6000, 50_000
    filler = b"x" * (size - 8)
    pub = await redis.Connection(srv.host, srv.port)
    sub = await redis.SubscriberConnection(srv.host, srv.port, max_queue=1_000_000)
    await sub.subscribe("bounded")
    await asyncio.sleep(0.2)
    rss_before = psutil.Process().memory_info().rss
    reset_peak_rss()
    for i in range(n):  # one at a time: the publisher itself buffers nothing
        await pub.publish("bounded", b"%08d" % i + filler)
    await asyncio.sleep(10)  # the subscriber reads nothing meanwhile
    stats = sub.statistics()
    assert stats["paused"] and stats["queued_bytes"] >= sub.max_queue_bytes
    got = 0
    async for msg in sub:
        assert msg.data[:8] == f"{got:08d}", "a message was lost or reordered"
        got += 1
        if got == n:
            break
    grew = peak_rss() - rss_before
    figure("slow subscriber", published_mib=round(n * size / MIB),
           queued_peak_mib=round(sub.statistics()["peak_queued_bytes"] / MIB, 1), pauses=sub.pauses,
           peak_rss_growth_mib=round(grew / MIB, 1))
    assert grew < sub.max_queue_bytes + 20 * MIB
    await sub.disconnect()
    await pub.disconnect()


async def test_monitor_feed_is_bounded_in_bytes(unlimited_pubsub_server) -> None:
    """A MONITOR feed nobody reads pauses at max_queue_bytes (far below its item bound) and then
    delivers every line in order."""
    srv = unlimited_pubsub_server
    mon = await redis.MonitorConnection(srv.host, srv.port, max_queue_bytes=MIB)
    c = await redis.Connection(srv.host, srv.port)
    n = 400
    for i in range(n):
        await c.set(f"mon:{i:04d}", "y" * 10_000)
    await wait_for(lambda: mon.statistics()["paused"], what="the monitor feed paused")
    stats = mon.statistics()
    assert stats["queued"] < n and stats["queued_bytes"] >= MIB
    seen = []
    async for line in mon:
        m = re.search(r'"mon:(\d{4})"', line)
        if m:
            seen.append(int(m.group(1)))
            if len(seen) == n:
                break
    assert seen == list(range(n))
    await mon.stop()
    await c.disconnect()


async def test_frozen_server_under_large_writers_bounds_output_and_every_call_ends() -> None:
    """1,000 concurrent SETs of 1 MiB to a frozen server (SIGSTOP), pool of 2: what the client
    buffers stays a few max_output_bytes (it grew by 1,042 MB before), every call ends by
    replyTimeout with a TimeoutError (those never sent name the limits), and after SIGCONT the
    client works again."""
    if not reset_peak_rss():
        pytest.skip("needs Linux /proc/self/clear_refs to measure peak RSS")
    from txredis_aio._protocol import RedisProtocol

    value = b"v" * MIB  # one object shared by every writer: only what the client buffers counts
    with RedisServer() as srv:
        rc = await redis.ConnectionPool(srv.host, srv.port, poolsize=2, replyTimeout=2)
        await rc.ping()
        rss_before = psutil.Process().memory_info().rss
        reset_peak_rss()
        loop = asyncio.get_running_loop()
        with srv.stopped():
            started = loop.time()
            results = await asyncio.gather(*(rc.set(f"big:{i}", value) for i in range(1000)),
                                           return_exceptions=True)
            took = loop.time() - started
        grew = peak_rss() - rss_before
        kinds = collections.Counter(type(r).__name__ for r in results)
        unsent = sum(1 for r in results if isinstance(r, redis.TimeoutError) and "max_inflight" in str(r))
        figure("frozen server, 1000 x 1 MiB writers", seconds_to_end=round(took, 2), outcomes=dict(kinds),
               never_sent=unsent, peak_rss_growth_mib=round(grew / MIB, 1))
        assert took < 2 + 1.5 and set(kinds) == {"TimeoutError"} and unsent > 0
        # Per connection: up to max_output_bytes in the transport, and a burst as large being
        # joined into its one write.
        assert grew < 2 * 3 * RedisProtocol.max_output_bytes + 32 * MIB
        assert await asyncio.wait_for(rc.set("big:after", "ok"), 10) == "OK"
        assert await rc.get("big:after") == "ok"
        await rc.disconnect()


PREFIXES = "local out = {} for i, v in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do " \
           "out[i] = string.sub(v, 1, 4) end return out"


@pytest.mark.parametrize("limit", ["max_output_bytes", "max_inflight"])
async def test_commands_held_back_by_a_limit_run_in_order_once_the_server_reads(limit, monkeypatch) -> None:
    """Without replyTimeout, commands past a limit wait while the server is frozen, then all run,
    in the order they were issued, once it reads again (the backlog moves as the connection drains)."""
    from txredis_aio._protocol import RedisProtocol

    monkeypatch.setattr(RedisProtocol, limit, {"max_output_bytes": 4 * MIB, "max_inflight": 20}[limit])
    value = b"v" * (256 * 1024 if limit == "max_output_bytes" else 10)
    with RedisServer() as srv:
        rc = await redis.ConnectionPool(srv.host, srv.port, poolsize=1)
        await rc.ping()
        proto = rc._pool._slots[0].protocol
        with srv.stopped():
            calls = [rc.rpush("order", b"%04d" % i + value) for i in range(200)]
            await asyncio.sleep(0.5)
            assert len(rc._pool._backlog) > 100 and proto.pending < 200
        results = await asyncio.wait_for(asyncio.gather(*calls), 30)
        assert results == list(range(1, 201))
        prefixes = await rc.eval(PREFIXES, ["order"])
        assert prefixes == list(range(200))  # "0000"... read back as numbers (convertNumbers)
        await rc.disconnect()
