"""Server crash under load: no acknowledged write lost, no write retried behind the caller."""

from __future__ import annotations

import asyncio
import collections

import txredis_aio as redis
from tests.reliability.conftest import figure, wait_for
from txredis_aio.testing import RedisServer


async def test_sigkill_under_incr_load() -> None:
    """20 writers INCR their own keys; SIGKILL + restart (AOF, fsync always) mid-run.

    Every INCR reported successful is in the final counts, and final - acknowledged never
    exceeds the failed calls (the client never retried an INCR on its own). While the server
    is down commands fail with ConnectionError; after the restart they succeed again within
    the reconnect backoff.
    """
    srv = RedisServer(args=["--appendonly", "yes", "--appendfsync", "always"]).start()
    rc = await redis.ConnectionPool(srv.host, srv.port, poolsize=4)
    rc._pool.initialDelay, rc._pool.maxDelay = 0.05, 0.5
    acked: collections.Counter[int] = collections.Counter()
    failed: collections.Counter[int] = collections.Counter()
    errors: collections.Counter[str] = collections.Counter()
    stop = False

    async def writer(i: int) -> None:
        while not stop:
            try:
                await rc.incr(f"w{i}")
                acked[i] += 1
            except redis.ConnectionError as e:
                failed[i] += 1
                errors[str(e)] += 1
                await asyncio.sleep(0.005)

    tasks = [asyncio.ensure_future(writer(i)) for i in range(20)]
    try:
        await wait_for(lambda: sum(acked.values()) >= 3000, what="load before the kill")
        srv.kill()
        await wait_for(lambda: sum(failed.values()) >= 20, what="failures while down")
        before_restart = sum(acked.values())
        srv.start()
        recovery = await wait_for(lambda: sum(acked.values()) > before_restart + 100,
                                  what="writes after restart")
        await wait_for(lambda: sum(acked.values()) > before_restart + 2000, what="load after restart")
        final = None
    finally:
        stop = True
        await asyncio.gather(*tasks)
        try:
            final = await rc.execute_command("MGET", *[f"w{i}" for i in range(20)])
        finally:
            await rc.disconnect()
            srv.cleanup()
    lost = sum(max(0, acked[i] - int(final[i] or 0)) for i in range(20))
    extra = [int(final[i] or 0) - acked[i] for i in range(20)]
    figure("crash", acknowledged=sum(acked.values()), failed_calls=sum(failed.values()),
           acknowledged_lost=lost, unacknowledged_applied=sum(extra),
           recovery_after_restart_s=round(recovery, 3), errors=dict(errors))
    assert lost == 0
    for i in range(20):
        assert 0 <= extra[i] <= failed[i], (i, acked[i], final[i], failed[i])
    assert set(errors) <= {"Lost connection", "Not connected"}
    assert recovery < rc._pool.maxDelay + 2.0
