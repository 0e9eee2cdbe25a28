"""W2 and W3 against a Redis Cluster: the Cluster column of the benchmark suite.

Hook for the suite: ``await run_cluster(startup_nodes, quick=False)`` returns
``{"W2": cmd/s, "W3": cmd/s}`` measured on a ``ClusterConnection``; ``start_cluster()`` gives
a throwaway 3-primary cluster (use it as a context manager). Standalone:
``python -m benchmarks.cluster_workloads [--quick] [--poolsize N] [--uvloop]``.

Keys are spread over 1000 names (so every primary works); W2 is 100k GETs issued 1000 at a
time, W3 100k SETs in explicit pipelines of 10k.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any, Sequence

import txredis_aio
from txredis_aio.cluster_testing import RedisCluster

CONCURRENCY = 1000
PIPELINE = 10_000
N_KEYS = 1000
VALUE16 = "v" * 16


def _keys() -> list[str]:
    return [f"bench:key:{i}" for i in range(N_KEYS)]


async def w2_cluster(rc: Any, n: int = 100_000, concurrency: int = CONCURRENCY) -> float:
    """W2: ``n`` GETs, ``concurrency`` in flight at a time, over keys on every node; cmd/s."""
    keys = _keys()
    await rc.mset({k: VALUE16 for k in keys})
    t = time.perf_counter()
    for start in range(0, n, concurrency):
        batch = min(concurrency, n - start)
        replies = await asyncio.gather(*[rc.get(keys[i % N_KEYS]) for i in range(batch)])
        assert replies[-1] == VALUE16
    return n / (time.perf_counter() - t)


async def w3_cluster(rc: Any, n: int = 100_000, batch: int = PIPELINE) -> float:
    """W3: ``n`` SETs in explicit pipelines of ``batch``, split per node by the client; cmd/s."""
    keys = _keys()
    t = time.perf_counter()
    for start in range(0, n, batch):
        p = await rc.pipeline()
        for i in range(start, min(n, start + batch)):
            p.set(keys[i % N_KEYS], VALUE16)
        replies = await p.execute_pipeline()
        assert replies[-1] == "OK"
    return n / (time.perf_counter() - t)


async def run_cluster(
    startup_nodes: Sequence[Any], quick: bool = False, poolsize: int = 1,
) -> dict[str, float]:
    """Run W2 and W3 on a new ``ClusterConnection``; ``{"W2": cmd/s, "W3": cmd/s}``."""
    n = 20_000 if quick else 100_000
    async with txredis_aio.ClusterConnection(startup_nodes, poolsize=poolsize) as rc:
        await w2_cluster(rc, n // 10)  # warm up connections and the slot cache
        return {"W2": await w2_cluster(rc, n), "W3": await w3_cluster(rc, n)}


def start_cluster(primaries: int = 3) -> RedisCluster:
    """A throwaway cluster without replicas (started on ``with``/``start()``)."""
    return RedisCluster(n_primaries=primaries, replicas=0)


def main(argv: Sequence[str] = ()) -> None:
    """Start a cluster, run both workloads, print cmd/s."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--poolsize", type=int, default=1)
    ap.add_argument("--uvloop", action="store_true")
    args = ap.parse_args(list(argv) or None)
    if args.uvloop:
        import uvloop

        uvloop.install()
    with start_cluster() as cluster:
        results = asyncio.run(run_cluster(cluster.startup_nodes, args.quick, args.poolsize))
    for name, rate in results.items():
        print(f"cluster {name}: {rate:,.0f} cmd/s")


if __name__ == "__main__":
    main()
