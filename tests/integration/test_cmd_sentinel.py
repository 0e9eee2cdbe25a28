"""Sentinel commands against a real redis-sentinel: txredisapi's state dicts and the extra sub-commands."""

from __future__ import annotations

import asyncio
from typing import Iterator

import pytest

import txredis_aio as redis
from tests.integration._cmd_helpers import connect
from txredis_aio.testing import RedisServer


@pytest.fixture(scope="module")
def topology() -> Iterator[tuple[RedisServer, RedisServer, RedisServer]]:
    """A master, one replica, and a Sentinel monitoring the master as ``mymaster``."""
    with RedisServer() as master:
        with RedisServer(args=["--replicaof", "127.0.0.1", str(master.port)]) as replica:
            conf = [f"sentinel monitor mymaster 127.0.0.1 {master.port} 1"]
            with RedisServer(args=["--sentinel"], conf=conf) as sentinel:
                yield master, replica, sentinel


async def test_masters_and_master_state(topology) -> None:
    """sentinel_masters() is keyed by name; flags become is_* booleans; numbers are converted."""
    master, _replica, sentinel = topology
    async with connect(sentinel) as s:
        masters = await s.sentinel_masters()
        state = masters["mymaster"]
        assert state["ip"] == "127.0.0.1" and state["port"] == master.port and state["quorum"] == 1
        assert state["is_master"] is True and state["is_sdown"] is False and state["is_odown"] is False
        assert state["is_slave"] is False and state["is_sentinel"] is False
        assert state["is_disconnected"] is False and state["is_master_down"] is False
        one = await s.sentinel_master("mymaster")
        assert one["name"] == "mymaster" and one["is_master"] is True
        assert await s.sentinel_get_master_addr_by_name("mymaster") == ["127.0.0.1", master.port]
        assert await s.sentinel_get_master_addr_by_name("nope") is None


async def test_slaves_replicas_and_sentinels(topology) -> None:
    """sentinel_slaves/replicas list the replica as a state dict once the Sentinel has discovered it."""
    _master, replica, sentinel = topology
    async with connect(sentinel) as s:
        deadline = asyncio.get_running_loop().time() + 15
        while not await s.sentinel_slaves("mymaster"):
            assert asyncio.get_running_loop().time() < deadline, "sentinel never saw the replica"
            await asyncio.sleep(0.05)
        slaves = await s.sentinel_slaves("mymaster")
        assert slaves[0]["port"] == replica.port and slaves[0]["is_slave"] is True
        assert slaves[0]["is_master"] is False
        assert [x["port"] for x in await s.sentinel_replicas("mymaster")] == [replica.port]
        assert await s.sentinel_sentinels("mymaster") == []
        with pytest.raises(redis.ResponseError, match="No such master"):
            await s.sentinel_slaves("nope")


async def test_admin_subcommands(topology) -> None:
    """CKQUORUM, MYID, SET, MONITOR/REMOVE, RESET, FLUSHCONFIG answer as the Sentinel says."""
    master, _replica, sentinel = topology
    async with connect(sentinel) as s:
        assert (await s.sentinel_ckquorum("mymaster")).startswith("OK")
        assert len(await s.sentinel_myid()) == 40
        assert await s.sentinel_set("mymaster", "down-after-milliseconds", 5000) == "OK"
        assert (await s.sentinel_master("mymaster"))["down-after-milliseconds"] == 5000
        assert await s.sentinel_monitor("other", "127.0.0.1", master.port, 2) == "OK"
        assert set(await s.sentinel_masters()) == {"mymaster", "other"}
        assert await s.sentinel_reset("other") == 1
        assert await s.sentinel_remove("other") == "OK"
        assert await s.sentinel_flushconfig() == "OK"
        with pytest.raises(redis.ResponseError):
            await s.sentinel_failover("nope")


async def test_state_keys_are_str_with_bytes_replies(topology) -> None:
    """With charset=None the state keys are still str (txredisapi left bytes keys there)."""
    _master, _replica, sentinel = topology
    async with connect(sentinel, charset=None) as s:
        masters = await s.sentinel_masters()
        assert list(masters) == [b"mymaster"]
        assert masters[b"mymaster"]["flags"] == b"master" and masters[b"mymaster"]["is_master"] is True
