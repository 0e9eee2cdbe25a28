"""The handler applications hold: every command, run on a pool of connections."""

from __future__ import annotations

import asyncio
from typing import Any, Generator, Optional

from .commands import Commands
from .commands._base import Convert
from .pool import Pool

__all__ = ["ConnectionHandler", "Connecting"]


class ConnectionHandler(Commands):
    """Commands over one ``Pool``: shared connections, least-loaded first."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._connected = Connecting(self)

    def _execute(self, *args: Any, convert: Convert = None) -> Any:
        proto = self._pool.pick()
        if proto is not None:
            return proto.execute(args, convert)
        return self._pool.execute_later(args, convert)

    async def disconnect(self) -> None:
        """Close every connection and stop reconnecting; later commands fail "Not connected"."""
        await self._pool.close()

    async def __aenter__(self) -> ConnectionHandler:
        await self._pool.wait_all_ready()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.disconnect()

    def __repr__(self) -> str:
        return repr(self._pool)


class Connecting:
    """What the non-lazy connection functions return: await it, or ``async with`` it.

    Awaiting resolves with the handler once every connection of the pool is ready; if a
    connection cannot be made, the pool is closed and the connect error raised.
    """

    def __init__(self, handler: ConnectionHandler) -> None:
        self.handler = handler
        self._task: Optional[asyncio.Future[ConnectionHandler]] = None

    async def _wait(self) -> ConnectionHandler:
        try:
            await self.handler._pool.wait_all_ready()
        except BaseException:
            await self.handler.disconnect()
            raise
        return self.handler

    def __await__(self) -> Generator[Any, None, ConnectionHandler]:
        if self._task is None:
            self._task = asyncio.ensure_future(self._wait())
        return self._task.__await__()

    async def __aenter__(self) -> ConnectionHandler:
        return await self

    async def __aexit__(self, *exc: Any) -> None:
        await self.handler.disconnect()
