"""Helpers shared by the command-group test modules (test_cmd_*.py)."""

from __future__ import annotations

import asyncio
import re
from typing import Any, AsyncIterator, Callable, Iterator

import pytest

import txredis_aio as redis
from txredis_aio.commands._dialects import ServerIdentity, require
from txredis_aio.testing import RedisServer

# (convertNumbers, charset) combinations a reply shape may depend on.
VARIANTS = [(True, "utf-8"), (False, "utf-8"), (True, None), (False, None)]
VARIANT_IDS = ["numbers-utf8", "raw-utf8", "numbers-bytes", "raw-bytes"]


def connect(server: RedisServer, convert_numbers: bool = True, charset: Any = "utf-8") -> Any:
    """A single connection to ``server`` with the given conversion settings (awaitable/async CM)."""
    return redis.Connection(server.host, server.port, convertNumbers=convert_numbers, charset=charset)


def s(value: str, charset: Any) -> Any:
    """What a text reply looks like under ``charset`` (None: bytes)."""
    return value if charset is not None else value.encode()


async def wait_for(cond: Callable[[], Any], timeout: float = 10.0) -> None:
    """Poll ``cond()`` until true (never a fixed sleep standing in for a condition)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@pytest.fixture(scope="module")
def own_server() -> Iterator[RedisServer]:
    """A server private to one test module, for commands with server-wide effects."""
    with RedisServer() as srv:
        yield srv


@pytest.fixture
async def r(own_server: RedisServer) -> AsyncIterator[Any]:
    """A pool of 2 on the module's private server, every database flushed first."""
    client = await redis.ConnectionPool(own_server.host, own_server.port, poolsize=2)
    await client.execute_command("FLUSHALL")
    yield client
    await client.disconnect()


def server_of(handler: Any) -> ServerIdentity:
    """The server a handler's handshake identified (HELLO); fails when it learnt none."""
    srv = handler._pool.server
    assert srv is not None, "the handshake did not identify the server (HELLO)"
    return srv


def is_redis(handler: Any, since: tuple[int, ...] = (0,)) -> bool:
    """Whether ``handler`` talks to Redis at version ``since`` or later."""
    srv = server_of(handler)
    return srv.name == "redis" and srv.version >= since


def is_valkey(handler: Any, since: tuple[int, ...] = (0,)) -> bool:
    """Whether ``handler`` talks to Valkey at version ``since`` or later."""
    srv = server_of(handler)
    return srv.name == "valkey" and srv.version >= since


async def assert_unsupported(handler: Any, call: Callable[[], Any]) -> None:
    """``call()`` raises ``UnsupportedCommandError`` naming the server (e.g. "Redis 8.2.3") before
    anything is sent (the server counts no error reply), and ``handler`` still works afterwards."""
    errors = (await handler.info("stats"))["total_error_replies"]
    with pytest.raises(redis.UnsupportedCommandError, match=re.escape(str(server_of(handler)))):
        await call()
    assert await handler.ping() == "PONG"
    assert (await handler.info("stats"))["total_error_replies"] == errors


async def refused(handler: Any, feature: str, command: str, *calls: Callable[[], Any]) -> bool:
    """Whether ``handler``'s server lacks ``feature`` (``commands._dialects.FEATURES``).

    When it does, each call must raise UnsupportedCommandError naming the server (from INFO)
    without sending anything (no error reply counted), the server must indeed not know
    ``command``, and the connection must still answer (any charset). A capable server: False,
    nothing checked.
    """
    server = handler._pool.server
    assert server is not None, "the handshake should have identified the server"
    try:
        require(feature, server)
        return False
    except redis.UnsupportedCommandError:
        pass
    info = await handler.info("server")
    valkey = "valkey_version" in info
    name = f"Valkey {info['valkey_version']}" if valkey else f"Redis {info['redis_version']}"
    errors = (await handler.info("stats"))["total_error_replies"]
    for call in calls:
        with pytest.raises(redis.UnsupportedCommandError, match=re.escape(name)):
            call()
    assert (await handler.info("stats"))["total_error_replies"] == errors
    assert await handler.execute_command("COMMAND", "INFO", command) == [None]
    assert await handler.ping() in ("PONG", b"PONG")
    return True
