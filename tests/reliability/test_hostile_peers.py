"""Hostile or broken peers: each gives a clear error, bounded memory and no hang."""

from __future__ import annotations

import asyncio
import os
from typing import AsyncIterator, Awaitable, Callable

import hiredis
import psutil
import pytest

import txredis_aio as redis
from tests.reliability.conftest import figure
from txredis_aio._protocol import RedisProtocol

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def serve(handler: Handler) -> tuple[asyncio.AbstractServer, int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def run_against(handler: Handler, timeout: float = 5.0, **kw: object) -> BaseException:
    """Connect (no reconnect), send PING, return the error it ended with."""
    server, port = await serve(handler)
    client = redis.lazyConnection("127.0.0.1", port, reconnect=False, **kw)  # type: ignore[arg-type]
    try:
        with pytest.raises(redis.RedisError) as ei:
            await asyncio.wait_for(client.ping(), timeout)
        return ei.value
    finally:
        await client.disconnect()
        server.close()


async def _read_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Play a well-behaved server through the handshake (HELLO refused as by Redis < 6, CLIENT
    SETINFO accepted), until the test's PING arrives: the peer turns hostile on a command."""
    parser = hiredis.Reader()
    while True:
        data = await reader.read(65536)
        if not data:
            raise ConnectionError("the client went away")
        parser.feed(data)
        while (request := parser.gets()) is not False:
            name = request[0].upper()
            if name == b"PING":
                return
            writer.write(b"-ERR unknown command 'HELLO'\r\n" if name == b"HELLO" else b"+OK\r\n")


@pytest.fixture
def small_reply_limit() -> AsyncIterator[None]:
    old = RedisProtocol.max_reply_bytes
    RedisProtocol.max_reply_bytes = 8 << 20
    yield None  # type: ignore[misc]
    RedisProtocol.max_reply_bytes = old


async def test_garbage() -> None:
    """Non-RESP bytes in reply to a command → InvalidResponse, connection closed (at connect time
the handshake meets them instead: tests/integration/test_connection.py)."""
    async def h(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await _read_request(r, w)
        w.write(b"SSH-2.0-OpenSSH_9.0\r\n")
        await asyncio.sleep(2)

    err = await run_against(h)
    assert isinstance(err, redis.InvalidResponse)


async def test_truncated_reply_then_close() -> None:
    """Half a bulk reply then EOF → ConnectionError('Lost connection')."""
    async def h(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await _read_request(r, w)
        w.write(b"$10\r\nabc")
        await w.drain()
        w.close()

    err = await run_against(h)
    assert isinstance(err, redis.ConnectionError) and str(err) == "Lost connection"


def _rss() -> int:
    return psutil.Process(os.getpid()).memory_info().rss


async def _flood(header: bytes, chunk: bytes) -> Handler:
    async def h(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await _read_request(r, w)
        w.write(header)
        try:
            for _ in range(10_000):  # bounded: at most ~640 MiB offered
                w.write(chunk)
                await w.drain()
        except (ConnectionError, OSError):
            pass

    return h


async def test_ten_gigabyte_bulk_header(small_reply_limit: None) -> None:
    """'$10000000000' followed by endless data: refused at max_reply_bytes, memory bounded."""
    before = _rss()
    err = await run_against(await _flood(b"$10000000000\r\n", b"x" * 65536))
    grown = (_rss() - before) >> 20
    figure("hostile_bulk", limit_mib=8, rss_growth_mib=grown, error=type(err).__name__)
    assert isinstance(err, redis.InvalidResponse) and "max_reply_bytes" in str(err)
    assert grown < 64


async def test_never_ending_array(small_reply_limit: None) -> None:
    """'*10000000000' followed by endless elements: refused, memory bounded."""
    before = _rss()
    err = await run_against(await _flood(b"*10000000000\r\n", b":1\r\n" * 16384))
    grown = (_rss() - before) >> 20
    figure("hostile_array", limit_mib=8, rss_growth_mib=grown, error=type(err).__name__)
    assert isinstance(err, redis.InvalidResponse)
    assert grown < 128


async def test_unsolicited_reply() -> None:
    """A reply arriving with no command waiting drops the connection; nothing is mis-delivered.

    (A stray reply that arrives while a command *is* waiting cannot be told apart in RESP2.)
    """
    async def h(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await _read_request(r, w)
        w.write(b"+PONG\r\n+UNASKED\r\n")
        await w.drain()
        await asyncio.sleep(2)

    server, port = await serve(h)
    client = await redis.Connection("127.0.0.1", port, reconnect=False)
    try:
        assert await client.ping() == "PONG"
        proto = client._pool._slots[0]
        for _ in range(200):
            if proto.protocol is None:
                break
            await asyncio.sleep(0.005)
        with pytest.raises(redis.ConnectionError, match="Not connected"):
            await client.ping()
    finally:
        await client.disconnect()
        server.close()


async def test_silent_peer_with_reply_timeout() -> None:
    """A peer that accepts and never answers: replyTimeout ends the wait."""
    async def h(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await _read_request(r, w)
        await asyncio.sleep(5)

    err = await run_against(h, replyTimeout=0.2)
    assert isinstance(err, redis.TimeoutError)
