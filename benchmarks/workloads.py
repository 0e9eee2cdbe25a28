"""What the suite measures: workloads, their sizes, the clients, and the targets."""

from __future__ import annotations

from dataclasses import dataclass

import hiredis

KEY = "bench:key"
VALUE16 = "v" * 16
BIG_KEY = "bench:big"
BIG_VALUE = b"x" * (1 << 20)
CHANNEL = "bench:channel"
MESSAGE32 = "m" * 32
TX_KEY = "bench:counter"
CONCURRENCY = 1000
PIPELINE = 10_000
PUBLISH_BATCH = 1000


@dataclass(frozen=True)
class Workload:
    """One workload: ``n`` operations per repetition (``quick`` in --quick mode), in steps of ``step``."""

    name: str
    title: str
    unit: str
    n: int
    quick: int
    step: int

    def size(self, quick: bool) -> int:
        return self.quick if quick else self.n

    def fit(self, rate: float, seconds: float, n: int) -> int:
        """Operations per repetition: ``n``, or fewer for a slow client (about ``seconds`` long)."""
        if rate * seconds >= n:
            return n
        return max(self.step, int(rate * seconds) // self.step * self.step)


WORKLOADS: dict[str, Workload] = {w.name: w for w in [
    Workload("W1", "sequential SET then GET, 16 B, each awaited", "cmd/s", 10_000, 2_000, 2),
    Workload("W2", f"100k GETs, {CONCURRENCY} concurrent, one connection", "cmd/s", 100_000, 20_000,
             CONCURRENCY),
    Workload("W2p", f"100k GETs, {CONCURRENCY} concurrent, default pool", "cmd/s", 100_000, 20_000,
             CONCURRENCY),
    Workload("W3", f"100k SETs in explicit pipelines of {PIPELINE // 1000}k", "cmd/s", 100_000, 20_000,
             PIPELINE),
    Workload("W4", "SET then GET of 1 MiB values", "cmd/s", 400, 40, 2),
    Workload("W5", "pub/sub: 32 B messages, one publisher to one subscriber", "msg/s", 50_000, 10_000,
             PUBLISH_BATCH),
    Workload("W6", "MULTI + 3×INCR + EXEC, sequential", "tx/s", 5_000, 1_000, 1),
]}


@dataclass(frozen=True)
class Client:
    """A client column: ``kind`` is ours, reference, peer or ceiling."""

    name: str
    kind: str
    runner: str  # "asyncio", "twisted" or "external"
    loop: str = "asyncio"


CLIENTS: dict[str, Client] = {c.name: c for c in [
    Client("txredis_aio", "ours", "asyncio"),
    Client("txredis_aio+uvloop", "ours", "asyncio", "uvloop"),
    Client("txredis_aio_twisted", "ours", "twisted", "asyncioreactor"),
    Client("bare", "reference", "asyncio"),
    Client("bare+uvloop", "reference", "asyncio", "uvloop"),
    Client("redis-py", "peer", "asyncio"),
    Client("coredis", "peer", "asyncio"),
    Client("txredisapi", "peer", "twisted", "default"),
    Client("redis-benchmark", "ceiling", "external"),
]}


def pipeline_batch_bytes() -> int:
    """Wire bytes of one W3 pipeline batch: what the RSS target is measured against."""
    args: tuple = ("SET", KEY, VALUE16)
    return PIPELINE * len(hiredis.pack_command(args))


# (workload, ours, versus, minimum ratio). "best-peer" is the best of the peers on the workload
# (for W2 the best of each peer's one-connection and default-pool figures).
TARGETS: list[tuple[str, str, str, float]] = [
    ("W1", "txredis_aio", "best-peer", 1.2),
    ("W2", "txredis_aio", "best-peer", 5.0),
    ("W3", "txredis_aio", "best-peer", 1.5),
    ("W4", "txredis_aio", "best-peer", 1.2),
    ("W5", "txredis_aio", "best-peer", 1.5),
    ("W6", "txredis_aio", "best-peer", 1.5),
    ("W1", "txredis_aio", "bare", 0.8),
    ("W2", "txredis_aio", "bare", 0.5),
    ("W3", "txredis_aio", "bare", 0.5),
    ("W1", "txredis_aio_twisted", "txredisapi", 0.9),
    ("W2", "txredis_aio_twisted", "txredisapi", 3.0),
    ("W3", "txredis_aio_twisted", "txredisapi", 3.0),
    ("W4", "txredis_aio_twisted", "txredisapi", 2.0),
    ("W5", "txredis_aio_twisted", "txredisapi", 0.9),
    ("W6", "txredis_aio_twisted", "txredisapi", 1.5),
]
RSS_TARGET_FACTOR = 2.0
