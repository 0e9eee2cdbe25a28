"""``ReplyBatch``: one FIFO slot for a whole explicit pipeline, and ``PipelineReply``, the small
awaitable each pipelined command returns.

A pipeline of 10k commands used to hold 10k Futures, 10k slot tuples and 10k FIFO entries while
in flight (about 13x the bytes it sends). Here the protocol holds one entry, feeds it the replies
in order, and each command's return value is two references into the batch: dropped at once
when the caller ignores it (the common case), still awaitable when kept.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Callable, Generator, Optional

from ._resp import convert_reply
from .errors import ResponseError

__all__ = ["BATCH", "PipelineReply", "ReplyBatch"]

#: The ``convert`` of a batch's FIFO entry: the protocol feeds such an entry reply by reply.
BATCH: Any = object()


class ReplyBatch:
    """The replies of one pipeline, converted as they arrive; ``future`` has the list at the end.

    ``slots`` (optional) are per-command objects with Future's ``done``/``set_result``/
    ``set_exception``/``cancelled`` (the Twisted shim's Deferreds), fired as each reply lands.
    """

    __slots__ = ("n", "converts", "slots", "results", "decode", "future", "ok", "cancelled_at")

    def __init__(self, loop: asyncio.AbstractEventLoop, decode: Callable[[Any], Any]) -> None:
        self.n = 0  # commands in the batch
        self.converts: dict[int, Any] = {}  # index -> converter, for the commands that have one
        self.slots: Optional[list[Any]] = None
        self.results: list[Any] = []
        self.decode = decode
        self.future: asyncio.Future[list[Any]] = loop.create_future()
        self.ok = decode(b"OK")  # one shared object for the commonest reply
        self.cancelled_at: Optional[set[int]] = None  # commands whose caller cancelled them

    def done(self) -> bool:
        return self.future.done()

    def add(self, reply: Any) -> bool:
        """Take the next reply; True once the last one arrived (``future`` then has the list)."""
        results = self.results
        i = len(results)
        conv = self.converts.get(i) if self.converts else None
        if isinstance(reply, ResponseError):
            value: Any = reply
        elif conv is None:
            value = self.ok if reply == b"OK" else self.decode(reply)
        else:
            try:
                value = convert_reply(reply, conv, self.decode)
            except Exception as e:  # a converter failed: the error takes that command's place
                value = e
        slots = self.slots
        if slots is not None:
            slot = slots[i]
            if slot.done():
                if slot.cancelled():
                    value = asyncio.CancelledError()
            elif isinstance(value, BaseException):
                slot.set_exception(value)
            else:
                slot.set_result(value)
        elif self.cancelled_at is not None and i in self.cancelled_at:
            value = asyncio.CancelledError()
        results.append(value)
        if i + 1 < self.n:
            return False
        if not self.future.done():
            self.future.set_result(results)
        return True

    def set_exception(self, exc: BaseException) -> None:
        """The connection failed: every command still without a reply fails with ``exc``."""
        if self.future.done():
            return
        if self.slots is not None:
            for slot in self.slots[len(self.results):]:
                if not slot.done():
                    slot.set_exception(exc)
        self.future.set_exception(exc)


class PipelineReply:
    """What a pipelined command returns: awaitable, with Future's ``done``/``result``/
    ``exception``/``cancel``/``cancelled``/``add_done_callback``. Its reply is read from the
    batch; awaiting it resumes once the whole pipeline has been answered."""

    __slots__ = ("_batch", "_index")

    def __init__(self, batch: ReplyBatch, index: int) -> None:
        self._batch = batch
        self._index = index

    def __repr__(self) -> str:
        state = "cancelled" if self.cancelled() else "done" if self.done() else "pending"
        return f"<PipelineReply #{self._index} {state}>"

    def cancelled(self) -> bool:
        at = self._batch.cancelled_at
        return at is not None and self._index in at

    def done(self) -> bool:
        b = self._batch
        return self._index < len(b.results) or b.future.done() or self.cancelled()

    def cancel(self, msg: Any = None) -> bool:
        """Drop this command's reply (it is still sent and read): False if already done."""
        if self.done():
            return False
        b = self._batch
        if b.cancelled_at is None:
            b.cancelled_at = set()
        b.cancelled_at.add(self._index)
        return True

    def exception(self) -> Optional[BaseException]:
        if self.cancelled():
            raise asyncio.CancelledError()
        b = self._batch
        if self._index < len(b.results):
            value = b.results[self._index]
            return value if isinstance(value, BaseException) else None
        if b.future.done():
            return b.future.exception()
        raise asyncio.InvalidStateError("Result is not set.")

    def result(self) -> Any:
        exc = self.exception()
        if exc is not None:
            raise exc
        return self._batch.results[self._index]

    def add_done_callback(self, fn: Callable[[Any], Any], *, context: Any = None) -> None:
        """Call ``fn(self)`` once this reply is in (at the latest when the pipeline is)."""
        fut = self._batch.future
        if self.done():
            fut.get_loop().call_soon(fn, self, context=context)
        else:
            fut.add_done_callback(lambda _f: fn(self), context=context)

    def __await__(self) -> Generator[Any, None, Any]:
        if not self.done():
            # A waiter of our own: cancelling the awaiting Task must not cancel the batch.
            fut = self._batch.future
            waiter = fut.get_loop().create_future()
            fut.add_done_callback(functools.partial(_wake, waiter))
            yield from waiter.__await__()
        return self.result()


def _wake(waiter: asyncio.Future[None], _batch_future: Any) -> None:
    if not waiter.done():
        waiter.set_result(None)
