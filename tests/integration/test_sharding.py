"""Client-side sharding against three real servers: placement, splitting, errors, a shard down."""

from __future__ import annotations

import asyncio
from typing import Iterator

import pytest

import txredis_aio as redis
from txredis_aio.hashring import HashRing
from txredis_aio.sharding import CrossShardError, ShardedMethods
from txredis_aio.testing import RedisServer


async def wait_for(cond, timeout: float = 15.0) -> None:
    """Poll an async ``cond()`` until true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.fixture(scope="module")
def shards() -> Iterator[list[RedisServer]]:
    """Three standalone servers used as shards."""
    servers = [RedisServer().start() for _ in range(3)]
    yield servers
    for s in servers:
        s.cleanup()


def hosts_of(servers: list[RedisServer]) -> list[str]:
    return [f"{s.host}:{s.port}" for s in servers]


def spread(ring: HashRing, prefix: str, n: int) -> dict[str, str]:
    """``n`` keys (value = key with v) whose first keys alternate over every node of the ring.

    Ports are random, so a fixed key list might miss a node.
    """
    by_node: dict[str, list[str]] = {h: [] for h in ring.nodes}
    i = 0
    while min(len(v) for v in by_node.values()) < n:
        key = f"{prefix}{i}"
        by_node[ring.get_node(key)].append(key)
        i += 1
    keys = [k for group in zip(*by_node.values()) for k in group][:n]
    return {k: "v" + k for k in keys}


@pytest.fixture
async def sc(shards: list[RedisServer]):
    """A sharded pool over the three servers, every shard flushed first."""
    async with redis.ShardedConnectionPool(hosts_of(shards), poolsize=2) as client:
        assert await client.execute_command("FLUSHDB") == "OK"
        yield client


async def keys_on(server: RedisServer) -> set[str]:
    """Ask one server directly which keys it holds."""
    async with redis.Connection(server.host, server.port, convertNumbers=False) as c:
        return set(await c.execute_command("KEYS", "*"))


async def test_placement_matches_the_ring_on_the_servers(sc, shards) -> None:
    """Each key is stored on the server the txredisapi ring names, and only there."""
    ring = HashRing(hosts_of(shards))
    keys = list(spread(ring, "user:", 60)) + ["é", "x{tag}1", "y{tag}2"]
    for k in keys:
        assert await sc.set(k, k) == "OK"
    expected = {h: {k for k in keys if ring.get_node(k) == h} for h in hosts_of(shards)}
    assert all(len(v) >= 20 for v in expected.values())
    for server, host in zip(shards, hosts_of(shards)):
        assert await keys_on(server) == expected[host]
    assert ring.get_node("x{tag}1") == ring.get_node("y{tag}2")
    assert sc.node_for("user:1")._pool.config.address == ring.get_node("user:1")
    assert [await sc.get(k) for k in keys[:5]] == keys[:5]


async def test_every_single_key_command_is_sharded(sc, shards) -> None:
    """Commands beyond txredisapi's 53 route by their key (lists, sets, hashes, raw commands)."""
    await sc.lpush("list", ["a", "b"])
    assert await sc.lrange("list", 0, -1) == ["b", "a"]
    await sc.sadd("set", ["x", "y"])
    assert await sc.smembers("set") == {"x", "y"}
    assert await sc.execute_command("HSET", "hash", "f", "v") == 1
    assert await sc.execute_command("HGETALL", "hash") == ["f", "v"]
    assert await sc.incr("n", 5) == 5 and await sc.expire("n", 100) == 1
    assert 0 < await sc.ttl("n") <= 100
    await sc.set("s", "abc")
    assert await sc.execute_command("STRLEN", "s") == 3
    ring = HashRing(hosts_of(shards))
    for key in ("list", "set", "hash", "n", "s"):
        server = shards[hosts_of(shards).index(ring.get_node(key))]
        assert key in await keys_on(server)
    await sc.set(1, "int")  # numbers are placed by the text Redis receives: "1" and "1.0"
    await sc.set(1.0, "float")
    for key in ("1", "1.0"):
        server = shards[hosts_of(shards).index(ring.get_node(key))]
        assert key in await keys_on(server)
    assert "get" in ShardedMethods and len(ShardedMethods) == 53
    assert sc.ShardedMethods is ShardedMethods


async def test_multi_key_commands_split_and_merge(sc, shards) -> None:
    """MGET answers in key order across shards; MSET/DEL/EXISTS/TOUCH/UNLINK are split and summed."""
    ring = HashRing(hosts_of(shards))
    data = spread(ring, "k", 20)
    assert await sc.mset(data) == "OK"
    keys = list(data)[::-1] + ["missing"]
    assert await sc.mget(keys) == [data[k] for k in keys[:-1]] + [None]
    k = list(data)
    assert await sc.exists(k[0], k[1], k[2], "nope") == 3
    assert await sc.touch([k[1], k[5], "nope"]) == 2
    assert await sc.delete([k[0], k[1], k[2], "nope"]) == 3
    assert await sc.unlink([k[3], k[4]]) == 2
    assert await sc.mget([k[0], k[5]]) == [None, data[k[5]]]
    total = sum([len(await keys_on(s)) for s in shards])
    assert total == 15 and await sc.execute_command("DBSIZE") == 15


async def test_cross_shard_commands_are_refused_before_sending(sc, shards) -> None:
    """A multi-key command over several shards raises CrossShardError naming the keys; tags colocate."""
    ring = HashRing(hosts_of(shards))
    a, b = "k0", next(k for k in (f"k{i}" for i in range(1, 50)) if ring.get_node(k) != ring.get_node("k0"))
    await sc.set(a, 1)
    with pytest.raises(CrossShardError) as e:
        sc.rename(a, b)
    assert repr(a) in str(e.value) and repr(b) in str(e.value)
    with pytest.raises(CrossShardError):
        sc.msetnx({a: 1, b: 2})
    assert await sc.get(a) == 1 and await sc.get(b) is None
    await sc.set("src{t}", "v")
    assert await sc.rename("src{t}", "dst{t}") == "OK"
    assert await sc.get("dst{t}") == "v"
    assert await sc.msetnx({"p{t}": 1, "q{t}": 2}) == 1
    assert await sc.sunion(["p{t}x", "q{t}y"]) == set()


async def test_keyless_transactions_and_pipelines(sc) -> None:
    """PING/DBSIZE/KEYS go to every node; other keyless commands, MULTI, WATCH, pipelines refuse."""
    assert await sc.ping() == "PONG"
    await sc.mset({f"z{i}": i for i in range(10)})
    assert await sc.execute_command("DBSIZE") == 10
    assert sorted(await sc.execute_command("KEYS", "z*")) == sorted(f"z{i}" for i in range(10))
    with pytest.raises(NotImplementedError, match="cannot be sharded"):
        sc.info()
    with pytest.raises(NotImplementedError, match="cannot be sharded"):
        sc.execute_command("EVAL", "return 1", 0)
    for call in (lambda: sc.multi(), lambda: sc.watch("k"), lambda: sc.pipeline(),
                 lambda: sc.execute_command("MULTI"), lambda: sc.execute_command("WATCH", "k")):
        with pytest.raises(NotImplementedError, match="not supported"):
            call()
    with pytest.raises(redis.InvalidArgumentType):
        sc.mget(["k1", object(), "k3"])
    assert await sc.execute_command("FLUSHDB") == "OK" and await sc.execute_command("DBSIZE") == 0


async def test_publish_is_sharded_on_the_channel(sc) -> None:
    """PUBLISH (in txredisapi's ShardedMethods, keyless in Redis 7) goes to the channel's node."""
    assert await sc.execute_command("PUBLISH", "chan", "hello") == 0


def test_bad_hosts_raise_synchronously() -> None:
    """Hosts that are not a list/tuple of "host:port" raise txredisapi's ValueError at once."""
    msg = "Please use a list or tuple of host:port for sharded connections"
    for bad in ("localhost:6379", ["localhost"], ["localhost:x"], [6379], None, []):
        with pytest.raises(ValueError, match=msg):
            redis.lazyShardedConnection(bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=msg):
            redis.ShardedConnectionPool(bad)  # type: ignore[arg-type]
    umsg = "Please use a list or tuple of paths for sharded unix connections"
    with pytest.raises(ValueError, match=umsg):
        redis.lazyShardedUnixConnection("/tmp/a.sock")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="poolsize"):
        redis.lazyShardedConnectionPool(["127.0.0.1:1"], poolsize="3")  # type: ignore[arg-type]


async def test_lazy_handler_and_repr(shards) -> None:
    """The lazy variant returns at once, works once connected, and shows each node in its repr."""
    sc = redis.lazyShardedConnection(hosts_of(shards), dbid=1)
    try:
        assert await sc.set("lazy", 1) == "OK" and await sc.get("lazy") == 1
        text = repr(sc)
        assert text.startswith("<Redis Sharded Connection: ")
        for h in hosts_of(shards):
            assert f"{h}/1 (1/1 connected)" in text
        await sc.delete("lazy")
    finally:
        await sc.disconnect()
    with pytest.raises(redis.ConnectionError):
        await sc.get("lazy")


async def test_awaiting_with_a_dead_host_raises_and_closes_the_rest(shards) -> None:
    """The non-lazy variant raises the connect error when a node is down, closing every node."""
    from txredis_aio.testing import free_port

    connecting = redis.ShardedConnection([*hosts_of(shards)[:2], f"127.0.0.1:{free_port()}"])
    with pytest.raises(redis.ConnectionError):
        await connecting
    assert all(n._pool.closed for n in connecting.handler.nodes)


async def test_unix_shards() -> None:
    """Sharding over Unix sockets: keys placed by socket path."""
    servers = [RedisServer(unixsocket=True).start() for _ in range(2)]
    try:
        paths = [s.unixsocket for s in servers]
        async with redis.ShardedUnixConnection(paths) as sc:
            assert repr(sc).startswith("<Redis Sharded Unix Connection: ")
            ring = HashRing(paths)
            keys = list(spread(ring, "u", 20))
            await sc.mset({k: 1 for k in keys})
            for s, p in zip(servers, paths):
                assert await keys_on(s) == {k for k in keys if ring.get_node(k) == p}
    finally:
        for s in servers:
            s.cleanup()


async def test_one_shard_down_then_back() -> None:
    """A dead shard fails only its keys with ConnectionError; it is used again once it is back."""
    servers = [RedisServer().start() for _ in range(3)]
    try:
        hosts = hosts_of(servers)
        ring = HashRing(hosts)
        async with redis.ShardedConnectionPool(hosts, poolsize=2) as sc:
            for node in sc.nodes:
                node._pool.initialDelay = 0.05  # quick reconnect attempts for the test
                node._pool.maxDelay = 0.2
            keys = list(spread(ring, "d", 30))
            await sc.mset({k: 1 for k in keys})
            dead_host = hosts[1]
            dead = [k for k in keys if ring.get_node(k) == dead_host]
            alive = [k for k in keys if ring.get_node(k) != dead_host]
            servers[1].kill()

            async def dead_fails() -> bool:
                try:
                    await sc.get(dead[0])
                except redis.ConnectionError:
                    return True
                return False

            await wait_for(dead_fails)
            for k in dead[:3]:
                with pytest.raises(redis.ConnectionError):
                    await sc.get(k)
            for k in alive:
                assert await sc.get(k) == 1
            with pytest.raises(redis.ConnectionError):
                await sc.mget(keys)  # a split command fails when one part fails
            servers[1].start()

            async def dead_works() -> bool:
                try:
                    return await sc.set(dead[0], 2) == "OK"
                except redis.ConnectionError:
                    return False

            await wait_for(dead_works)
            assert await sc.get(dead[0]) == 2
            assert dead[0] in await keys_on(servers[1])
    finally:
        for s in servers:
            s.cleanup()
