"""Explicit pipelines: commands buffered client-side, sent in one write, replies in order.

How this works
--------------
``handler.pipeline()`` leases a pool connection for one ``Pipeline``. Each command method on
it encodes its request at once (bad arguments raise there) into one ``bytearray`` and returns a
``PipelineReply`` (a handle into the pipeline's ``ReplyBatch``, see ``_batch.py``); nothing is
sent. ``execute_pipeline()`` writes the buffer with one FIFO entry for all the replies
(``RedisProtocol.execute_batch``), returns the lease at once — later users' commands queue
behind the pipeline on the same FIFO — and resolves with the replies in order, each converted as
its command would be alone. A pipeline holding a blocking command (BLPOP, XREAD BLOCK, WAIT...)
keeps its lease until its last reply has arrived instead: nothing may queue behind a blocked
command.

The result is built by a done-callback on the batch's own Future (no Task), which no caller can
cancel: cancelling a command's handle only drops that reply from the results.
Cancelling ``execute_pipeline()`` only stops that wait: the replies are still read (and
dropped), so the connection stays in step and goes on serving the pool.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from typing import Any, Callable, Optional

from ._batch import PipelineReply, ReplyBatch
from ._protocol import RedisProtocol
from ._requests import SPECIAL_NAMES, check_request, is_blocking_request
from .commands import Commands
from .commands._base import Convert
from .commands._dialects import ServerIdentity
from .errors import ConnectionError, InvalidResponse, RedisError, ResponseError
from .pool import Pool

__all__ = ["Pipeline"]


class Pipeline(Commands):
    """Commands gathered on a leased connection until ``execute_pipeline()`` (module docstring)."""

    def __init__(self, pool: Pool, proto: RedisProtocol, fallback: Callable[..., Any]) -> None:
        self._pool = pool
        self._proto: Optional[RedisProtocol] = proto
        self._fallback = fallback
        self._encode = pool.config.encode
        self._buf = bytearray()
        self._batch = ReplyBatch(pool.loop, pool.config.decode)
        #: ``None``: each command returns a ``PipelineReply`` (two references into the batch).
        #: Else it makes each command's own reply slot, fired as its reply lands: anything with
        #: Future's ``done``/``set_result``/``set_exception``/``cancel``/``cancelled`` (the
        #: Twisted shim's ``ReplyDeferred``).
        self.new_slot: Optional[Callable[[], Any]] = None
        self._timed = True
        self.pipelining = True
        # Safety net: a pipeline dropped without execute_pipeline() still frees its lease.
        self._finalizer = weakref.finalize(self, _release_later, pool, proto)
        self._finalizer.atexit = False

    def __repr__(self) -> str:
        state = "open" if self.pipelining else "sent"
        return f"<Pipeline {state} commands={self._batch.n} on {self._pool.config.address}>"

    def __len__(self) -> int:
        return self._batch.n

    @property
    def transport(self) -> Any:
        """The leased connection's transport (txredisapi's tests wrap it to count writes)."""
        return self._proto.transport if self._proto is not None else None

    @transport.setter
    def transport(self, value: Any) -> None:
        if self._proto is None:
            raise RedisError("Not currently pipelining commands, please use pipeline() first")
        self._proto.transport = value

    def _server_identity(self) -> Optional[ServerIdentity]:
        return self._pool.server

    def _execute(self, *args: Any, convert: Convert = None) -> Any:
        if not self.pipelining:
            return self._fallback(*args, convert=convert)
        try:
            special = args[0] in SPECIAL_NAMES
        except (TypeError, IndexError):
            special = False
        if special:
            check_request(args, self._pool, leased=True)
        self._buf += self._encode(args)
        if special and self._timed and is_blocking_request(args):
            self._timed = False  # the batch waits as long as its blocking command does
        batch = self._batch
        if convert is not None:
            batch.converts[batch.n] = convert
        batch.n += 1
        if self.new_slot is None:
            return PipelineReply(batch, batch.n - 1)
        slot = self.new_slot()
        if batch.slots is None:
            batch.slots = []
        batch.slots.append(slot)
        return slot

    def execute_pipeline(self, raise_on_error: bool = True) -> asyncio.Future[list[Any]]:
        """Send every buffered command in one write; a Future of their replies, in order.

        With ``raise_on_error`` (the default, as txredisapi failed the whole call) the first
        failed command's error is raised, carrying ``.results`` (every reply, errors in place)
        and ``.index``; with ``raise_on_error=False`` the list is returned with errors in place.
        A lost connection always raises.
        """
        if not self.pipelining:
            raise RedisError("Not currently pipelining commands, please use pipeline() first")
        self.pipelining = False
        self._finalizer.detach()
        proto, self._proto = self._proto, None
        buf, self._buf = self._buf, bytearray()
        batch = self._batch
        assert proto is not None
        out: asyncio.Future[list[Any]] = self._pool.loop.create_future()
        if not batch.n:
            self._pool.release(proto)
            out.set_result([])
            return out
        blocking = not self._timed
        try:
            proto.execute_batch(buf, batch, not blocking)
        except BaseException:
            self._pool.release(proto)
            raise
        if not blocking:
            self._pool.release(proto)
        del buf
        held = proto if blocking else None
        batch.future.add_done_callback(
            functools.partial(_finished, out, raise_on_error, self._pool, held)
        )
        return out

    def abandon(self) -> None:
        """Drop the buffered commands unsent (their replies are cancelled); return the lease."""
        if not self.pipelining:
            return
        self.pipelining = False
        for slot in self._batch.slots or ():
            slot.cancel()
        self._batch.cancelled_at = set(range(self._batch.n))
        self._buf = bytearray()
        self._finalizer.detach()
        proto, self._proto = self._proto, None
        if proto is not None:
            self._pool.release(proto)

    async def __aenter__(self) -> Pipeline:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        """Leaving ``async with`` without ``execute_pipeline()`` drops the commands unsent."""
        self.abandon()


def _release_later(pool: Pool, proto: RedisProtocol) -> None:
    """Finalizer of a forgotten pipeline (may run inside any code, so only schedule)."""
    try:
        pool.loop.call_soon(pool.release, proto)
    except RuntimeError:  # loop closed
        pass


def _finished(
    out: asyncio.Future[list[Any]], raise_on_error: bool, pool: Pool,
    leased: Optional[RedisProtocol], batch_future: asyncio.Future[list[Any]],
) -> None:
    """The last reply arrived (or the connection died): settle ``execute_pipeline()``."""
    if leased is not None:
        pool.release(leased)
    exc = batch_future.exception()
    if out.done():  # the caller stopped waiting
        return
    if exc is not None:
        out.set_exception(exc)
        return
    try:
        out.set_result(_checked(batch_future.result(), raise_on_error))
    except BaseException as e:
        out.set_exception(e)


async def _collect(futs: list[asyncio.Future[Any]], raise_on_error: bool) -> list[Any]:
    """Wait for Futures filled in order (the cluster's batches), then ``_results``."""
    last = futs[-1]
    if not last.done():
        await asyncio.wait((last,))
    if not all(f.done() for f in futs):
        await asyncio.wait([f for f in futs if not f.done()])
    return _results(futs, raise_on_error)


def _results(futs: list[asyncio.Future[Any]], raise_on_error: bool) -> list[Any]:
    """Settled Futures' replies in order, errors in place; raise as ``execute_pipeline`` says."""
    results: list[Any] = []
    for f in futs:
        if f.cancelled():
            results.append(asyncio.CancelledError())
            continue
        exc = f.exception()  # also marks every error as seen
        results.append(f.result() if exc is None else exc)
    return _checked(results, raise_on_error)


def _checked(results: list[Any], raise_on_error: bool) -> list[Any]:
    """A lost connection raises; with ``raise_on_error`` the first error raises, carrying
    ``.results`` and ``.index``; else the list is returned with errors in place."""
    first: Optional[BaseException] = None
    index = -1
    for i, r in enumerate(results):
        if isinstance(r, (ConnectionError, InvalidResponse)):
            raise r  # the connection is gone: no result list to speak of
        if first is None and isinstance(r, Exception):
            first, index = r, i
    if first is not None and raise_on_error:
        if isinstance(first, ResponseError):
            first.results = results  # type: ignore[attr-defined]
            first.index = index  # type: ignore[attr-defined]
        raise first
    return results
