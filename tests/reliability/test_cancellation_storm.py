"""Cancellation storm: random cancels, timeouts and task-group failures never desynchronise."""

from __future__ import annotations

import asyncio
import random
import sys

import pytest

import txredis_aio as redis
from tests.reliability.conftest import figure
from txredis_aio._compat import timeout as async_timeout
from txredis_aio.testing import RedisServer

N_KEYS = 1000
TOTAL = 100_000
BATCH = 2000


class Boom(Exception):
    pass


async def test_cancellation_storm_one_connection(redis_server: RedisServer) -> None:
    """100k GETs on one connection with random cancellation, timeouts and TaskGroup failures.

    Every GET that completes returns its own key's value (zero wrong replies) and the
    connection is still usable and in sync afterwards.
    """
    rc = await redis.Connection(redis_server.host, redis_server.port)
    await rc.execute_command("MSET", *[x for i in range(N_KEYS) for x in (f"storm:{i}", f"v{i}")])
    rnd = random.Random(12345)
    stats = {"ok": 0, "wrong": 0, "cancelled": 0, "timed_out": 0, "group_failed": 0}

    def check(i: int, value: object) -> None:
        if value == f"v{i % N_KEYS}":
            stats["ok"] += 1
        else:
            stats["wrong"] += 1

    async def with_timeout(i: int) -> None:
        try:
            async with async_timeout(rnd.choice((0, 0.0001, 0.001, 0.01))):
                check(i, await rc.get(f"storm:{i % N_KEYS}"))
        except (asyncio.TimeoutError, TimeoutError):
            stats["timed_out"] += 1

    async def in_group(ids: list[int]) -> None:
        async def one(i: int) -> None:
            check(i, await rc.get(f"storm:{i % N_KEYS}"))

        async def fail() -> None:
            await asyncio.sleep(0)
            raise Boom()

        try:
            if sys.version_info >= (3, 11):
                async with asyncio.TaskGroup() as tg:
                    for i in ids:
                        tg.create_task(one(i))
                    tg.create_task(fail())
            else:  # same shape: first failure cancels the siblings
                tasks = [asyncio.ensure_future(one(i)) for i in ids]
                await asyncio.sleep(0)
                for t in tasks:
                    t.cancel()
                raise Boom()
        except BaseException as e:  # ExceptionGroup on 3.11+
            if not (isinstance(e, Boom) or "Boom" in repr(e)):
                raise
            stats["group_failed"] += 1

    issued = 0
    while issued < TOTAL:
        waits = []
        direct: list[tuple[int, asyncio.Future]] = []
        i = issued
        while i < issued + BATCH:
            kind = rnd.random()
            if kind < 0.4:
                direct.append((i, rc.get(f"storm:{i % N_KEYS}")))
                i += 1
            elif kind < 0.6:
                fut = rc.get(f"storm:{i % N_KEYS}")
                fut.cancel()
                stats["cancelled"] += 1
                i += 1
            elif kind < 0.9:
                waits.append(asyncio.ensure_future(with_timeout(i)))
                i += 1
            else:
                waits.append(asyncio.ensure_future(in_group(list(range(i, i + 10)))))
                i += 10
        for _j, fut in direct:
            if rnd.random() < 0.3:
                fut.cancel()
        results = await asyncio.gather(*(f for _, f in direct), return_exceptions=True)
        for (j, _), r in zip(direct, results):
            if isinstance(r, asyncio.CancelledError):
                stats["cancelled"] += 1
            else:
                check(j, r)
        await asyncio.gather(*waits)
        issued = i
    assert await rc.get("storm:7") == "v7"
    assert await asyncio.gather(*(rc.get(f"storm:{i}") for i in range(100))) == [
        f"v{i}" for i in range(100)
    ]
    assert rc._pool._slots[0].protocol.pending == 0
    await rc.disconnect()
    figure("cancellation_storm", commands=issued, **stats)
    assert stats["wrong"] == 0
    assert stats["ok"] > 10_000 and stats["cancelled"] > 10_000 and stats["timed_out"] > 0


@pytest.mark.parametrize("where", ["before_write", "after_write"])
async def test_wait_for_timeouts_keep_order(redis_server: RedisServer, where: str) -> None:
    """asyncio.wait_for timing out a command leaves the next command its own reply."""
    rc = await redis.Connection(redis_server.host, redis_server.port)
    try:
        await rc.set("wf", "mine")
        slow = rc.execute_command("DEBUG", "SLEEP", 0.2)
        if where == "after_write":
            await asyncio.sleep(0.01)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(slow, 0.05)
        assert await rc.get("wf") == "mine"
    finally:
        await rc.disconnect()
