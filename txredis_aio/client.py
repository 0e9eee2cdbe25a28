"""The handler applications hold: every command, run on a pool of connections."""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Awaitable, Callable, Generator, Generic, NoReturn, Optional, Protocol, TypeVar

from ._future import retrieved
from ._requests import SPECIAL_NAMES, check_request, is_blocking_request
from .commands import Commands
from .commands._base import CommandsBase, Convert
from .commands._dialects import ServerIdentity
from .errors import RedisError
from .pipeline import Pipeline
from .pool import Pool, _copy_result
from .transaction import Transaction, begin_transaction

__all__ = ["ConnectionHandler", "Connecting", "HandlerStubs"]


class HandlerStubs(CommandsBase):
    """txredisapi's transaction/pipeline methods that only make sense on the object returned by
    ``multi()``/``watch()``/``pipeline()``: on a handler they fail as txredisapi's did."""

    def unwatch(self) -> asyncio.Future[str]:
        """UNWATCH on a pool connection (a no-op there; use ``t.unwatch()`` on a transaction)."""
        return self._execute("UNWATCH")

    async def commit(self) -> NoReturn:
        """Always fails: commit the transaction object that ``multi()`` returned instead."""
        raise RedisError("Not in transaction")

    async def discard(self) -> NoReturn:
        """Always fails: discard on the transaction object that ``multi()`` returned instead."""
        raise RedisError("Not in transaction")

    async def execute_pipeline(self, raise_on_error: bool = True) -> NoReturn:
        """Always fails: call it on the object that ``pipeline()`` returned."""
        raise RedisError("Not currently pipelining commands, please use pipeline() first")


class ConnectionHandler(HandlerStubs, Commands):
    """Commands over one ``Pool``: shared connections, least-loaded first.

    Blocking commands (BLPOP, XREAD BLOCK, WAIT, ...) lease a connection of their own;
    ``multi``/``watch`` and ``pipeline`` lease one for a ``Transaction`` / ``Pipeline``.
    """

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._connected: Connecting[ConnectionHandler] = Connecting(self)

    def _server_identity(self) -> Optional[ServerIdentity]:
        return self._pool.server

    def _execute(self, *args: Any, convert: Convert = None) -> Any:
        try:
            special = args[0] in SPECIAL_NAMES
        except (TypeError, IndexError):
            special = False
        if special:
            return self._execute_special(args, convert)
        pool = self._pool
        if pool.forked or pool.loop is not asyncio._get_running_loop() and pool.foreign():
            pool = self._here()
        proto = pool.pick_free()
        if proto is not None:
            return proto.execute(args, convert)
        return pool.execute_later(args, convert)

    def _here(self) -> Pool:
        """This handler's pool for the calling process and loop (see ``Pool.moved``)."""
        pool = self._pool
        if pool.foreign():
            pool = self._pool = pool.moved()
            self._connected = Connecting(self)
        return pool

    def _execute_special(self, args: tuple, convert: Convert) -> Any:
        """Blocking commands, and those that change a connection's mode (see ``check_request``)."""
        pool = self._here()
        if is_blocking_request(args):
            return pool.execute_blocking(args, convert)
        name = check_request(args, pool, leased=False)
        if name == "QUIT":
            return self._quit(args, convert)
        proto = pool.pick()
        if name != "SELECT" or len(args) != 2:
            return proto.execute(args, convert) if proto is not None else pool.execute_later(args, convert)
        # SELECT on a single connection: remember the database for reconnects once it switched.
        remember = functools.partial(_remember_db, pool, args[1])
        if proto is None:
            fut = pool.execute_later(args, convert)
            fut.add_done_callback(remember)
            return fut
        inner = proto.execute(args, convert)
        inner.add_done_callback(remember)
        outer: asyncio.Future[Any] = pool.loop.create_future()
        inner.add_done_callback(functools.partial(_copy_result, outer))
        return outer

    def _quit(self, args: tuple, convert: Convert) -> Any:
        """QUIT every open connection (reconnecting was stopped); the first one's reply."""
        protos = self._pool.live_protocols()
        if not protos:
            return self._pool.execute_later(args, convert)  # fails "Not connected" or waits
        futs = [p.execute(args, convert) for p in protos]
        for f in futs[1:]:
            f.add_done_callback(retrieved)
        return futs[0]

    # -- transactions and pipelines --------------------------------------------------------------

    async def multi(self, keys: Any = None) -> Transaction:
        """Lease a connection and start MULTI (after WATCHing ``keys`` if given)."""
        return await begin_transaction(self._here(), self._execute, keys, multi=True)

    async def watch(self, keys: Any) -> Transaction:
        """Lease a connection and WATCH ``keys``; commands on the result run at once until multi()."""
        return await begin_transaction(self._here(), self._execute, keys, multi=False)

    async def pipeline(self) -> Pipeline:
        """Lease a connection for an explicit pipeline; send it with ``execute_pipeline()``."""
        pool = self._here()
        proto = await pool.lease()
        return Pipeline(pool, proto, self._execute)

    async def disconnect(self) -> None:
        """Close every connection and stop reconnecting; later commands fail "Not connected"."""
        await self._here().close()

    async def __aenter__(self) -> ConnectionHandler:
        """Wait until every connection is ready; on failure disconnect (no reconnect left running)."""
        try:
            await self._here().wait_all_ready()
        except BaseException:
            await self.disconnect()
            raise
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.disconnect()

    def __repr__(self) -> str:
        return repr(self._pool)


def _remember_db(pool: Pool, index: Any, f: asyncio.Future[Any]) -> None:
    if not f.cancelled() and f.exception() is None:
        pool.config.dbid = int(index)


class _Closable(Protocol):
    async def disconnect(self) -> None:
        """Close every connection and stop reconnecting."""


H = TypeVar("H", bound=_Closable)


class Connecting(Generic[H]):
    """What the non-lazy connection functions return: await it, or ``async with`` it.

    Awaiting resolves with the handler once ``ready()`` (every connection up) completes; if it
    fails, the handler is disconnected and the error raised. One class for every topology.
    """

    def __init__(self, handler: H, ready: Optional[Callable[[], Awaitable[Any]]] = None) -> None:
        self.handler = handler
        self._ready = ready or handler._pool.wait_all_ready  # type: ignore[attr-defined]
        self._task: Optional[asyncio.Future[H]] = None

    async def _wait(self) -> H:
        try:
            await self._ready()
        except BaseException:
            await self.handler.disconnect()
            raise
        return self.handler

    def __await__(self) -> Generator[Any, None, H]:
        if self._task is None:
            self._task = asyncio.ensure_future(self._wait())
        return self._task.__await__()

    async def __aenter__(self) -> H:
        return await self

    async def __aexit__(self, *exc: Any) -> None:
        await self.handler.disconnect()
