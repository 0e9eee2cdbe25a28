"""The session's Redis Cluster fixture (3 primaries + 3 replicas on free loopback ports).

Use it from a test module with ``redis_cluster = cluster_fixtures.redis_cluster`` after
``from tests.integration import cluster_fixtures``. Processes are stopped by PID at the end.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from txredis_aio.cluster_testing import RedisCluster, command, info_fields, wait_for

__all__ = ["RedisCluster", "command", "info_fields", "redis_cluster", "wait_for"]


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisCluster]:
    """A 3-primary/3-replica cluster (node timeout 2 s) shared by the session."""
    cluster = RedisCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
