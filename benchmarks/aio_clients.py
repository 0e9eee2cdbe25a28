"""The asyncio clients, one adapter each: txredis_aio, the bare reference, redis-py, coredis.

Every adapter runs each workload the way that client's documentation says to, with its
defaults; ``run(workload, n)`` does ``n`` operations and returns how many it did.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .workloads import (
    BIG_KEY,
    BIG_VALUE,
    CHANNEL,
    CONCURRENCY,
    KEY,
    MESSAGE32,
    PIPELINE,
    PUBLISH_BATCH,
    TX_KEY,
    VALUE16,
)


class NotAvailable(Exception):
    """This client cannot do this workload; the message says why (shown as n/a)."""


class Adapter:
    """One client library under one workload."""

    async def open(self, host: str, port: int, workload: str) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        pass

    def info(self) -> dict[str, Any]:
        """Facts shown with the results (versions, parser)."""
        return {}

    async def run(self, workload: str, n: int) -> int:
        return int(await getattr(self, workload.lower())(n))


def _batches(n: int, size: int) -> list[int]:
    full, rest = divmod(n, size)
    return [size] * full + ([rest] if rest else [])


class TxRedisAio(Adapter):
    """txredis_aio with its defaults (charset utf-8, convertNumbers on)."""

    async def open(self, host: str, port: int, workload: str) -> None:
        import txredis_aio

        self.mod = txredis_aio
        self.host, self.port = host, port
        if workload == "W5" and not hasattr(txredis_aio, "SubscriberConnection"):
            raise NotAvailable("pub/sub (txredis_aio.SubscriberConnection) not on main yet")
        if workload == "W2p":
            self.c = await txredis_aio.ConnectionPool(host, port)
        else:
            self.c = await txredis_aio.Connection(host, port)
        if workload == "W3" and not hasattr(self.c, "pipeline"):
            raise NotAvailable("explicit pipelines (rc.pipeline()) not on main yet")
        if workload == "W6" and not hasattr(self.c, "multi"):
            raise NotAvailable("transactions (rc.multi()) not on main yet")
        if workload == "W5":
            self.sub = await txredis_aio.SubscriberConnection(host, port)

    async def close(self) -> None:
        if hasattr(self, "sub"):
            await self.sub.disconnect()
        if hasattr(self, "c"):
            await self.c.disconnect()

    def info(self) -> dict[str, Any]:
        return {"version": self.mod.__version__, "loop": type(asyncio.get_running_loop()).__module__}

    async def w1(self, n: int) -> int:
        c = self.c
        for _ in range(n // 2):
            await c.set(KEY, VALUE16)
            await c.get(KEY)
        return n // 2 * 2

    async def w2(self, n: int) -> int:
        c = self.c
        await c.set(KEY, VALUE16)
        for k in _batches(n, CONCURRENCY):
            await asyncio.gather(*[c.get(KEY) for _ in range(k)])
        return n

    w2p = w2

    async def w3(self, n: int) -> int:
        for k in _batches(n, PIPELINE):
            p = await self.c.pipeline()
            for _ in range(k):
                p.set(KEY, VALUE16)
            await p.execute_pipeline()
        return n

    async def w4(self, n: int) -> int:
        c = self.c
        for _ in range(n // 2):
            await c.set(BIG_KEY, BIG_VALUE)
            v = await c.get(BIG_KEY)
            assert len(v) == len(BIG_VALUE)
        return n // 2 * 2

    async def w5(self, n: int) -> int:
        sub = self.sub
        await sub.subscribe(CHANNEL)

        async def consume() -> None:
            got = 0
            async for _ in sub:  # the documented way: Message items
                got += 1
                if got == n:
                    return

        task = asyncio.ensure_future(consume())
        c = self.c
        for k in _batches(n, PUBLISH_BATCH):
            await asyncio.gather(*[c.publish(CHANNEL, MESSAGE32) for _ in range(k)])
        await task
        await sub.unsubscribe(CHANNEL)
        return n

    async def w6(self, n: int) -> int:
        c = self.c
        for _ in range(n):
            t = await c.multi()
            t.incr(TX_KEY)
            t.incr(TX_KEY)
            t.incr(TX_KEY)
            await t.commit()
        return n


class Bare(Adapter):
    """The reference protocol in bare.py: raw hiredis replies, no features."""

    async def open(self, host: str, port: int, workload: str) -> None:
        from .bare import connect

        if workload == "W2p":
            raise NotAvailable("has no pool (same as W2)")
        self.c = await connect(host, port)
        if workload == "W5":
            self.sub = await connect(host, port)

    async def close(self) -> None:
        for name in ("c", "sub"):
            p = getattr(self, name, None)
            if p is not None and p.transport is not None:
                p.transport.close()

    async def w1(self, n: int) -> int:
        ex = self.c.execute
        for _ in range(n // 2):
            await ex("SET", KEY, VALUE16)
            await ex("GET", KEY)
        return n // 2 * 2

    async def w2(self, n: int) -> int:
        ex = self.c.execute
        for k in _batches(n, CONCURRENCY):
            await asyncio.gather(*[ex("GET", KEY) for _ in range(k)])
        return n

    async def w3(self, n: int) -> int:
        ex = self.c.execute
        for k in _batches(n, PIPELINE):
            await asyncio.gather(*[ex("SET", KEY, VALUE16) for _ in range(k)])
        return n

    async def w4(self, n: int) -> int:
        ex = self.c.execute
        for _ in range(n // 2):
            await ex("SET", BIG_KEY, BIG_VALUE)
            assert len(await ex("GET", BIG_KEY)) == len(BIG_VALUE)
        return n // 2 * 2

    async def w5(self, n: int) -> int:
        got = 0
        done = asyncio.get_running_loop().create_future()

        def on_push(reply: Any) -> None:
            nonlocal got
            if reply[0] == b"message":
                got += 1
                if got == n:
                    done.set_result(None)

        sub = self.sub
        sub.on_push = on_push
        await sub.execute("SUBSCRIBE", CHANNEL)
        ex = self.c.execute
        for k in _batches(n, PUBLISH_BATCH):
            await asyncio.gather(*[ex("PUBLISH", CHANNEL, MESSAGE32) for _ in range(k)])
        await done
        sub.on_push = None
        sub.execute("UNSUBSCRIBE", CHANNEL)
        return n

    async def w6(self, n: int) -> int:
        ex = self.c.execute
        for _ in range(n):
            ex("MULTI")
            ex("INCRBY", TX_KEY, 1)
            ex("INCRBY", TX_KEY, 1)
            ex("INCRBY", TX_KEY, 1)
            await ex("EXEC")
        return n


class RedisPy(Adapter):
    """redis-py's ``redis.asyncio`` (hiredis parser when installed), default settings."""

    async def open(self, host: str, port: int, workload: str) -> None:
        import redis
        from redis import asyncio as aioredis

        self.redis = redis
        if workload == "W2p":
            # The default pool (100 connections) raises MaxConnectionsError at 1000 concurrent
            # commands; its blocking variant of the same size is what such an app must use.
            pool = aioredis.BlockingConnectionPool(host=host, port=port, max_connections=100)
            self.c = aioredis.Redis(connection_pool=pool)
        else:
            # One connection: redis-py serialises commands on it (its documented single mode).
            self.c = aioredis.Redis(host=host, port=port, single_connection_client=True)
        await self.c.ping()
        if workload == "W5":
            self.pub = aioredis.Redis(host=host, port=port)

    async def close(self) -> None:
        await self.c.aclose()
        if hasattr(self, "pub"):
            await self.pub.aclose()

    def info(self) -> dict[str, Any]:
        from redis.utils import HIREDIS_AVAILABLE

        return {"version": self.redis.__version__, "hiredis": HIREDIS_AVAILABLE}

    async def w1(self, n: int) -> int:
        c = self.c
        for _ in range(n // 2):
            await c.set(KEY, VALUE16)
            await c.get(KEY)
        return n // 2 * 2

    async def w2(self, n: int) -> int:
        c = self.c
        for k in _batches(n, CONCURRENCY):
            await asyncio.gather(*[c.get(KEY) for _ in range(k)])
        return n

    w2p = w2

    async def w3(self, n: int) -> int:
        for k in _batches(n, PIPELINE):
            async with self.c.pipeline(transaction=False) as p:
                for _ in range(k):
                    p.set(KEY, VALUE16)
                await p.execute()
        return n

    async def w4(self, n: int) -> int:
        c: Any = self.c
        for _ in range(n // 2):
            await c.set(BIG_KEY, BIG_VALUE)
            assert len(await c.get(BIG_KEY)) == len(BIG_VALUE)
        return n // 2 * 2

    async def w5(self, n: int) -> int:
        ps = self.c.pubsub()
        await ps.subscribe(CHANNEL)
        while (await ps.get_message(timeout=5.0)) is None:
            pass  # the subscribe confirmation: the server has us before anything is published

        async def consume() -> None:
            got = 0
            async for msg in ps.listen():
                if msg["type"] == "message":
                    got += 1
                    if got == n:
                        return

        task = asyncio.ensure_future(consume())
        for k in _batches(n, PUBLISH_BATCH):
            async with self.pub.pipeline(transaction=False) as p:
                for _ in range(k):
                    p.publish(CHANNEL, MESSAGE32)
                await p.execute()
        await task
        await ps.unsubscribe(CHANNEL)
        await ps.aclose()
        return n

    async def w6(self, n: int) -> int:
        c = self.c
        for _ in range(n):
            async with c.pipeline(transaction=True) as p:
                p.incr(TX_KEY)
                p.incr(TX_KEY)
                p.incr(TX_KEY)
                await p.execute()
        return n


class Coredis(Adapter):
    """coredis with its defaults."""

    async def open(self, host: str, port: int, workload: str) -> None:
        import coredis

        self.coredis = coredis
        if workload == "W2":
            pool = coredis.ConnectionPool(host=host, port=port, max_connections=1)
            self.c = coredis.Redis(connection_pool=pool)
        else:
            self.c = coredis.Redis(host=host, port=port)
        self.ctx = self.c.__aenter__() if hasattr(self.c, "__aenter__") else None
        if self.ctx is not None:
            await self.ctx
        await self.c.ping()

    async def close(self) -> None:
        if self.ctx is not None:
            await self.c.__aexit__(None, None, None)

    def info(self) -> dict[str, Any]:
        return {"version": self.coredis.__version__}

    async def w1(self, n: int) -> int:
        c = self.c
        for _ in range(n // 2):
            await c.set(KEY, VALUE16)
            await c.get(KEY)
        return n // 2 * 2

    async def w2(self, n: int) -> int:
        c = self.c
        for k in _batches(n, CONCURRENCY):
            await asyncio.gather(*[c.get(KEY) for _ in range(k)])
        return n

    w2p = w2

    async def w3(self, n: int) -> int:
        for k in _batches(n, PIPELINE):
            async with self.c.pipeline(transaction=False) as p:
                for _ in range(k):
                    p.set(KEY, VALUE16)
        return n

    async def w4(self, n: int) -> int:
        c: Any = self.c
        for _ in range(n // 2):
            await c.set(BIG_KEY, BIG_VALUE)
            assert len(await c.get(BIG_KEY)) == len(BIG_VALUE)
        return n // 2 * 2

    async def w5(self, n: int) -> int:
        got = 0
        async with self.c.pubsub(channels=[CHANNEL], ignore_subscribe_messages=True) as ps:

            async def consume() -> None:
                nonlocal got
                async for msg in ps:
                    if msg["type"] == "message":
                        got += 1
                        if got == n:
                            return

            task = asyncio.ensure_future(consume())
            await asyncio.sleep(0)
            for k in _batches(n, PUBLISH_BATCH):
                async with self.c.pipeline(transaction=False) as p:
                    for _ in range(k):
                        p.publish(CHANNEL, MESSAGE32)
            await task
        return n

    async def w6(self, n: int) -> int:
        for _ in range(n):
            async with self.c.pipeline(transaction=True) as p:
                p.incr(TX_KEY)
                p.incr(TX_KEY)
                p.incr(TX_KEY)
        return n


ADAPTERS = {
    "txredis_aio": TxRedisAio,
    "txredis_aio+uvloop": TxRedisAio,
    "bare": Bare,
    "bare+uvloop": Bare,
    "redis-py": RedisPy,
    "coredis": Coredis,
}
