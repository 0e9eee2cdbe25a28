"""The Twisted clients: txredisapi 1.6.0 (default reactor) and txredis_aio_twisted (asyncio reactor).

Both are driven by the same code, written against txredisapi's API: the shim is meant as a
drop-in, so only the module differs. Coroutines await Deferreds (``Deferred.fromCoroutine``).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from .aio_clients import Adapter, NotAvailable, _batches
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


class TxApi(Adapter):
    """txredisapi's API on whichever module provides it."""

    def __init__(self, mod: ModuleType) -> None:
        self.m = mod

    async def open(self, host: str, port: int, workload: str) -> None:
        m = self.m
        for name in ("Connection", "ConnectionPool"):
            if not hasattr(m, name):
                raise NotAvailable(f"{m.__name__}.{name} not on main yet")
        self.host, self.port = host, port
        if workload == "W5" and not hasattr(m, "SubscriberFactory"):
            raise NotAvailable(f"{m.__name__}.SubscriberFactory not on main yet")
        if workload == "W2p":
            self.c = await m.ConnectionPool(host, port)
        else:
            self.c = await m.Connection(host, port)
        if workload == "W3" and not hasattr(self.c, "pipeline"):
            raise NotAvailable("pipeline() not in the shim yet")
        if workload == "W6" and not hasattr(self.c, "multi"):
            raise NotAvailable("multi() not in the shim yet")

    async def close(self) -> None:
        if hasattr(self, "sub"):
            await self.sub.disconnect()
        if hasattr(self, "c"):
            await self.c.disconnect()

    def info(self) -> dict[str, Any]:
        from twisted.internet import reactor

        return {
            "version": getattr(self.m, "__version__", getattr(self.m, "version", "?")),
            "reactor": type(reactor).__module__,
        }

    async def w1(self, n: int) -> int:
        c = self.c
        for _ in range(n // 2):
            await c.set(KEY, VALUE16)
            await c.get(KEY)
        return n // 2 * 2

    async def w2(self, n: int) -> int:
        from twisted.internet.defer import gatherResults

        c = self.c
        for k in _batches(n, CONCURRENCY):
            await gatherResults([c.get(KEY) for _ in range(k)])
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
            assert len(await c.get(BIG_KEY)) == len(BIG_VALUE)
        return n // 2 * 2

    async def w5(self, n: int) -> int:
        from twisted.internet import reactor
        from twisted.internet.defer import Deferred, gatherResults
        from twisted.internet.endpoints import HostnameEndpoint

        m = self.m
        done: Deferred[None] = Deferred()
        got = 0

        class Sub(m.SubscriberProtocol):  # type: ignore[name-defined]
            def messageReceived(self, pattern: Any, channel: Any, message: Any) -> None:
                nonlocal got
                got += 1
                if got == n:
                    done.callback(None)

        factory = m.SubscriberFactory()
        factory.protocol = Sub
        factory.reconnect = False
        factory.startConnecting(HostnameEndpoint(reactor, self.host, self.port))
        self.sub = await factory.deferred
        await self.sub.subscribe(CHANNEL)
        c = self.c
        for k in _batches(n, PUBLISH_BATCH):
            await gatherResults([c.publish(CHANNEL, MESSAGE32) for _ in range(k)])
        await done
        await self.sub.disconnect()
        del self.sub
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


def make_adapter(client: str) -> Adapter:
    """The adapter for a Twisted client; imports (and so installs reactors) only when called."""
    if client == "txredisapi":
        import txredisapi

        return TxApi(txredisapi)
    import txredis_aio_twisted

    return TxApi(txredis_aio_twisted)
