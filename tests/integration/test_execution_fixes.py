"""Regression tests for review findings on the execution model (leases, seams, backlog, types)."""

from __future__ import annotations

import asyncio

import txredis_aio as redis
from txredis_aio.testing import RedisServer


async def wait_for(cond, timeout: float = 10.0) -> None:
    """Poll ``cond()`` until true, failing after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


async def gets_finish_quickly(rc, n: int = 20, limit: float = 1.0) -> None:
    """``n`` concurrent GETs all reply within ``limit`` seconds (none queued behind a blocked one)."""
    res = await asyncio.wait_for(asyncio.gather(*(rc.get("k") for _ in range(n))), limit)
    assert res == ["v"] * n


# -- (2) blocking commands inside pipelines and watching transactions keep their lease ----------


async def test_pipeline_with_blpop_keeps_its_connection_until_the_reply(rc) -> None:
    """A pipeline holding BLPOP keeps its connection leased until the BLPOP replied: other
    commands on the pool never queue behind the blocked connection."""
    await rc.set("k", "v")
    p = await rc.pipeline()
    p.set("a", 1)
    p.blpop(["nothing-here"], 2)
    done = p.execute_pipeline()
    assert len(rc._pool._leased) == 1
    await gets_finish_quickly(rc)
    assert not done.done()
    assert await done == ["OK", None]
    await wait_for(lambda: not rc._pool._leased)


async def test_pipeline_blpop_not_aborted_by_reply_timeout_of_others(redis_server: RedisServer) -> None:
    """With replyTimeout, commands that would have queued behind a pipeline's BLPOP cannot time
    out and abort it: the BLPOP's connection is not shared while it blocks."""
    rc = await redis.ConnectionPool(redis_server.host, redis_server.port, poolsize=2, replyTimeout=0.5)
    try:
        await rc.set("k", "v")
        p = await rc.pipeline()
        p.blpop(["nothing-here"], 1)
        done = p.execute_pipeline()
        await gets_finish_quickly(rc)
        assert await done == [None]
    finally:
        await rc.disconnect()


async def test_cancelled_blocking_pipeline_keeps_lease_until_reply(rc) -> None:
    """Cancelling execute_pipeline() or the BLPOP's own Future does not end the lease early:
    the connection returns to the pool only once the BLPOP reply arrived."""
    await rc.set("k", "v")
    p = await rc.pipeline()
    b = p.blpop(["nothing-here"], 1)
    done = p.execute_pipeline()
    b.cancel()
    done.cancel()
    await asyncio.sleep(0)
    assert len(rc._pool._leased) == 1
    await gets_finish_quickly(rc)
    await wait_for(lambda: not rc._pool._leased, 5)
    assert len(rc._pool._shared) == 2


async def test_watching_transaction_blpop_keeps_lease_after_unwatch(rc) -> None:
    """BLPOP sent on a watching transaction, then unwatch(): the connection stays leased until
    the BLPOP replied, so pool commands go to the other connection at once."""
    await rc.set("k", "v")
    t = await rc.watch("w")
    b = t.blpop(["nothing-here"], 2)
    u = t.unwatch()
    assert len(rc._pool._leased) == 1
    await gets_finish_quickly(rc)
    assert not b.done()
    assert await b is None
    assert await u == "OK"
    await wait_for(lambda: not rc._pool._leased)
