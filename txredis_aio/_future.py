"""``ReplyFuture``: an asyncio Future that resumes its awaiter without a loop iteration."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any, Callable, Optional

__all__ = ["ReplyFuture", "retrieved"]

_Callback = tuple[Callable[[Any], Any], contextvars.Context]
_current_task = asyncio.current_task


class ReplyFuture(asyncio.Future):
    """A Future whose done-callbacks run at once when it is settled outside any Task.

    ``asyncio.Future`` always defers callbacks with ``call_soon``, so a Task awaiting a reply
    resumes one loop iteration (one more ``epoll_wait``) after ``data_received`` parsed it.
    Settled by the protocol (no Task running) these run callbacks in place, as a Twisted
    Deferred does, so a sequential caller's next command leaves in the same step. Settled from
    inside a Task, or cancelled, they keep asyncio's ``call_soon`` scheduling.
    """

    _eager: Optional[list[_Callback]] = None

    def add_done_callback(self, fn: Callable[[Any], Any], *, context: Any = None) -> None:
        if context is None:
            context = contextvars.copy_context()
        if self.done():
            self._loop.call_soon(fn, self, context=context)
        elif self._eager is None:
            self._eager = [(fn, context)]
        else:
            self._eager.append((fn, context))

    def remove_done_callback(self, fn: Callable[[Any], Any]) -> int:
        if not self._eager:
            return 0
        keep = [cb for cb in self._eager if cb[0] != fn]
        removed = len(self._eager) - len(keep)
        self._eager = keep
        return removed

    def set_result(self, result: Any) -> None:
        super().set_result(result)
        self._run_callbacks()

    def set_exception(self, exception: Any) -> None:
        super().set_exception(exception)
        self._run_callbacks()

    def cancel(self, msg: Any = None) -> bool:
        if not super().cancel(msg):
            return False
        # Always scheduled: a cancel comes from a Task or a timer (``Task.cancel`` of an
        # ``asyncio.timeout``), and resuming the awaiting Task inside it would let the
        # cancellation reach the ``timeout`` block before it knows it expired (a CancelledError
        # instead of TimeoutError, and a dead connection task).
        self._run_callbacks(eager=False)
        return True

    def _run_callbacks(self, eager: bool = True) -> None:
        callbacks = self._eager
        if not callbacks:
            return
        self._eager = None
        loop = self._loop
        if not eager or _current_task(loop) is not None:  # a Task cannot resume another in place
            for fn, ctx in callbacks:
                loop.call_soon(fn, self, context=ctx)
            return
        for fn, ctx in callbacks:
            try:
                ctx.run(fn, self)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as e:  # as asyncio's Handle does: report, go on
                loop.call_exception_handler(
                    {"message": f"Exception in callback {fn!r}", "exception": e, "future": self}
                )


def retrieved(f: asyncio.Future[Any]) -> None:
    """Done-callback for a Future nobody awaits: its exception counts as seen (no log noise)."""
    if not f.cancelled():
        f.exception()
