"""Large values against real servers: read without hiredis (top-level bulk strings of 128 KiB or
more) and written with one copy, over TCP, Unix sockets and TLS, on asyncio's loop and uvloop,
including while the server reads nothing (the loop queues what it cannot send)."""

from __future__ import annotations

import asyncio
import os
import random
import ssl
from typing import Any

import pytest

import txredis_aio as redis
from txredis_aio.testing import RedisServer

MIB = 1 << 20


def value(n: int, seed: int) -> str:
    rnd = random.Random(seed)
    return "".join(rnd.choice("abcdefghijklmnop") for _ in range(256)) * (n // 256)


async def test_round_trips_of_large_values(rc) -> None:
    """str of 200 KiB, 1 MiB and 3 MiB (above the kept buffer), undecodable bytes, and digits."""
    for i, n in enumerate((200 << 10, MIB, 3 * MIB, MIB)):
        v = value(n, i)
        assert await rc.set(f"k{i}", v) == "OK"
        assert await rc.get(f"k{i}") == v
    raw = bytes(range(256)) * 1024  # not UTF-8: stays bytes, as txredisapi
    await rc.set("raw", raw)
    assert await rc.get("raw") == raw
    await rc.set("digits", "7" * (200 << 10))
    assert await rc.get("digits") == "7" * (200 << 10)  # too long for a number: the string
    assert await rc.strlen("k1") == MIB and await rc.get("k1") == value(MIB, 1)


async def test_charset_none_and_concurrent_large_commands_on_one_connection(redis_server) -> None:
    """Bytes without a charset; 20 large SETs and GETs in flight together (coalesced writes)."""
    async with redis.Connection(redis_server.host, redis_server.port, charset=None) as c:
        vals = [os.urandom(150_000 + i * 1000) for i in range(20)]
        assert await asyncio.gather(*(c.set(f"c{i}", v) for i, v in enumerate(vals))) == [b"OK"] * 20
        got = await asyncio.gather(*(c.get(f"c{i}") for i in range(20)))
        assert got == vals and all(type(g) is bytes for g in got)


async def test_large_values_in_pipelines_transactions_and_arrays(rc) -> None:
    v1, v2 = value(MIB, 5), value(300 << 10, 6)
    p = await rc.pipeline()
    p.set("p1", v1)
    p.set("p2", v2)
    p.get("p1")
    p.get("p2")
    assert await p.execute_pipeline() == ["OK", "OK", v1, v2]
    t = await rc.multi()
    t.get("p2")
    t.append("p2", "!")
    t.get("p2")
    assert await t.commit() == [v2, len(v2) + 1, v2 + "!"]
    assert await rc.mget(["p1", "p2"]) == [v1, v2 + "!"]
    await rc.rpush("l", [v2, "x", v1])
    assert await rc.lrange("l", 0, -1) == [v2, "x", v1]


async def test_unix_socket_and_tls(unix_server: RedisServer, tls_server: RedisServer, tls_certs) -> None:
    v = value(MIB, 7)
    async with redis.UnixConnection(unix_server.unixsocket) as c:
        await c.set("u", v)
        assert await c.get("u") == v
    ctx = ssl.create_default_context(cafile=tls_certs["ca"])
    ctx.load_cert_chain(tls_certs["client_cert"], tls_certs["client_key"])
    async with redis.Connection("localhost", tls_server.port, ssl_context_factory=ctx) as c:
        await c.set("t", v)
        assert await c.get("t") == v
        assert await asyncio.gather(c.get("t"), c.strlen("t"), c.get("t")) == [v, MIB, v]


async def _writes_while_the_server_reads_nothing(srv: RedisServer) -> list[Any]:
    """Large SETs one after another while the server is stopped: the kernel's buffers fill and
    the loop queues the rest. Every value must arrive as written."""
    vals = [value(1536 << 10, 10 + i) for i in range(4)]
    async with redis.Connection(srv.host, srv.port) as c:
        with srv.stopped():
            sets = []
            for i, v in enumerate(vals):
                sets.append(c.set(f"q{i}", v))
                await asyncio.sleep(0.02)  # each written on its own (the connection is not idle)
        assert await asyncio.gather(*sets) == ["OK"] * 4
        return [await c.get(f"q{i}") == v for i, v in enumerate(vals)]


async def test_queued_large_writes_arrive_intact() -> None:
    with RedisServer() as srv:
        assert await _writes_while_the_server_reads_nothing(srv) == [True] * 4


async def test_queued_large_writes_arrive_intact_on_uvloop() -> None:
    uvloop = pytest.importorskip("uvloop")
    with RedisServer() as srv:
        got = await asyncio.to_thread(uvloop.run, _writes_while_the_server_reads_nothing(srv))
        assert got == [True] * 4
