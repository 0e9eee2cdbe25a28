"""Extra clients for the command tests: txredisapi's reply-shaping options switched off.

Import the fixtures into a test module (``from tests.integration.cmd_clients import raw_client``
gives the fixture ``raw``).
Tests give their keys unique names, so these clients share the ``rc`` fixture's server/database.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, AsyncIterator

import pytest

import txredis_aio as redis
from txredis_aio.commands import Commands
from txredis_aio.testing import RedisServer


@pytest.fixture(name="raw")
async def raw_client(redis_server: RedisServer) -> AsyncIterator[Any]:
    """A connection with ``charset=None``: bytes replies (numbers still converted)."""
    async with redis.Connection(redis_server.host, redis_server.port, charset=None) as c:
        yield c


@pytest.fixture(name="noconv")
async def noconv_client(redis_server: RedisServer) -> AsyncIterator[Any]:
    """A connection with ``convertNumbers=False``: str replies, no number conversion."""
    async with redis.Connection(redis_server.host, redis_server.port, convertNumbers=False) as c:
        yield c


@pytest.fixture(name="rawstr")
async def rawstr_client(redis_server: RedisServer) -> AsyncIterator[Any]:
    """``charset=None`` and ``convertNumbers=False``: every bulk reply as bytes."""
    async with redis.Connection(
        redis_server.host, redis_server.port, charset=None, convertNumbers=False
    ) as c:
        yield c


def k(name: str) -> str:
    """A key name unique to this call, so tests never see each other's data."""
    return f"{name}:{uuid.uuid4().hex[:10]}"


class Recorder(Commands):
    """A handler whose ``_execute`` records the request instead of sending it (wire-form checks)."""

    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []

    def _execute(self, *args: Any, convert: Any = None) -> Any:
        self.sent.append(args)
        return None

    def last(self, call: Any) -> tuple[Any, ...]:
        """The request a command method call produced (``rec.last(rec.incr("k"))``)."""
        return self.sent[-1]


async def wait_blocked(rc: Any, timeout: float = 5.0) -> None:
    """Poll INFO until the server reports a blocked client (a waiter is in place)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while "blocked_clients:1" not in await rc.execute_command("INFO", "clients"):
        assert asyncio.get_running_loop().time() < deadline, "no client blocked in time"
        await asyncio.sleep(0.005)
