"""Redis Cluster through the Twisted shim: Deferreds over the core's cluster handler, on a real
3-primary/3-replica cluster (redirects, cross-slot mget, pipelines, a primary killed)."""

from __future__ import annotations

import time
from typing import Any, Iterator

import pytest
import pytest_twisted
from twisted.internet import defer, reactor, task

import txredis_aio_twisted as redis
from tests.integration.test_cluster import move_slot
from txredis_aio._crc16 import slot_of
from txredis_aio.cluster_testing import RedisCluster


@pytest.fixture(scope="module")
def tw_cluster() -> Iterator[RedisCluster]:
    """A throwaway 3-primary cluster with one replica each, stopped by PID at the end."""
    cluster = RedisCluster(n_primaries=3, replicas=1).start()
    try:
        yield cluster
    finally:
        for srv in cluster.servers:
            srv.cleanup()


def pause(seconds: float) -> defer.Deferred:
    return task.deferLater(reactor, seconds, lambda: None)


@pytest_twisted.inlineCallbacks
def test_commands_mget_and_pipeline_over_nodes(tw_cluster: RedisCluster) -> Any:
    """Commands are Deferreds routed by slot; mget answers in key order across slots; a
    pipeline spanning nodes returns its results in call order."""
    rc = yield redis.ClusterConnection(tw_cluster.startup_nodes)
    keys = [f"twc:{i}" for i in range(60)]
    d = rc.set(keys[0], 0)
    assert isinstance(d, defer.Deferred)
    yield d
    yield defer.gatherResults([rc.set(k, i) for i, k in enumerate(keys)])
    assert len({slot_of(k) for k in keys}) > 10
    assert (yield rc.mget(keys)) == list(range(60))
    p = yield rc.pipeline()
    for k in keys[:10]:
        p.incr(k)
    p.get(keys[3])
    assert (yield p.execute_pipeline()) == [*range(1, 11), 4]
    assert (yield rc.delete(keys)) == 60
    yield rc.disconnect()


@pytest_twisted.inlineCallbacks
def test_slot_moved_during_traffic_is_followed(tw_cluster: RedisCluster) -> Any:
    """A slot migrated behind the client's back (MIGRATING/IMPORTING, MIGRATE, SETSLOT NODE):
    INCRs keep succeeding through ASK/MOVED and the final count is exact."""
    rc = yield redis.ClusterConnection(tw_cluster.startup_nodes)
    key = "{twmove}n"
    yield rc.set(key, 0)
    yield defer.gatherResults([rc.incr(key) for _ in range(100)])
    move_slot(tw_cluster, slot_of("{twmove}"))
    yield defer.gatherResults([rc.incr(key) for _ in range(100)])
    assert (yield rc.get(key)) == 200
    yield rc.disconnect()


@pytest_twisted.inlineCallbacks
def test_primary_killed_acknowledged_writes_survive(tw_cluster: RedisCluster) -> Any:
    """SIGKILL the primary of a slot while writing through the shim: writes fail with
    ConnectionError (never reported successful wrongly) and resume after the replica's
    promotion; every acknowledged write is readable afterwards."""
    rc = yield redis.ClusterConnection(tw_cluster.startup_nodes)
    key = "{twkill}n"
    yield rc.set(key, 0)
    victim = tw_cluster.owner_port(slot_of("{twkill}"))
    acked = failed = 0
    killed_at = None
    resumed_after = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            yield rc.incr(key)
            acked += 1
            if killed_at is not None and resumed_after is None:
                resumed_after = time.monotonic() - killed_at
        except redis.RedisError:
            failed += 1
            yield pause(0.02)
        if acked == 200 and killed_at is None:
            tw_cluster.server(victim).kill()
            killed_at = time.monotonic()
        if resumed_after is not None and acked >= 400:
            break
    print(f"\n[twisted cluster] primary {victim} killed: writes resumed after "
          f"{resumed_after:.2f} s; {acked} acknowledged, {failed} failed")
    assert resumed_after is not None
    final = yield rc.get(key)
    assert acked <= final <= acked + failed
    yield rc.disconnect()
