"""A first demo until the full suite lands: sequential and concurrent GETs on one connection."""

from __future__ import annotations

import asyncio
import time

import txredis_aio
from txredis_aio.testing import RedisServer


async def main(port: int) -> None:
    rc = await txredis_aio.Connection("127.0.0.1", port)
    await rc.set("k", "x" * 16)
    n = 20_000
    t = time.perf_counter()
    for _ in range(n):
        await rc.get("k")
    seq = n / (time.perf_counter() - t)
    n = 100_000
    t = time.perf_counter()
    for _ in range(n // 1000):
        await asyncio.gather(*[rc.get("k") for _ in range(1000)])
    conc = n / (time.perf_counter() - t)
    print(f"sequential GET: {seq:,.0f} ops/s   1000 concurrent GETs: {conc:,.0f} ops/s")
    await rc.disconnect()


if __name__ == "__main__":
    with RedisServer() as srv:
        asyncio.run(main(srv.port))
