"""Futures to Deferreds, and core objects to their Twisted twins.

``as_deferred`` is what every generated wrapper ends with. Cancelling the Deferred cancels the
Future (the core keeps the reply slot, so the late reply is read and dropped) and errbacks with
Twisted's ``CancelledError`` at once, as txredisapi did. A Deferred given in is returned as is
(the Twisted-native protocols already produce Deferreds).
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Generator, Optional

from twisted.internet.defer import CancelledError, Deferred, fail
from twisted.python.failure import Failure

from . import _reactor

__all__ = [
    "AwaitableDeferred",
    "ReplyDeferred",
    "as_deferred",
    "await_deferred",
    "call",
    "call_sync",
    "core_default",
    "register_twin",
    "twin_of",
]

# core class -> factory of its Twisted twin (e.g. a core Transaction -> shim Transaction)
_TWINS: dict[type, Callable[[Any], Any]] = {}
_PLAIN: set[type] = set()  # types known to have no twin (results of ordinary commands)


def await_deferred(d: Deferred) -> Generator[Any, Any, Any]:
    """What ``await d`` runs, for whichever driver runs the awaiting coroutine.

    No asyncio Task current (no loop running at all, or a loop callback such as a reply landing
    on the asyncio reactor): Twisted drives the coroutine (``ensureDeferred``,
    ``Deferred.fromCoroutine``, ``inlineCallbacks``), so this is the plain Deferred's
    ``__await__``. Inside a Task (core helpers, asyncio code) it waits through ``asFuture``.
    """
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running loop: only Twisted can be driving the coroutine
        task = None
    if task is None:
        return Deferred.__iter__(d)
    return _await_in_task(d, task.get_loop())


def _await_in_task(d: Deferred, loop: asyncio.AbstractEventLoop) -> Generator[Any, Any, Any]:
    fut = d.asFuture(loop)
    if not fut.done():
        fut._asyncio_future_blocking = True
        yield fut
        if not fut.done():
            # Not a Task: Twisted's driver, started from inside one (``ensureDeferred`` called
            # by a Task), sends back what it cannot wait on. Wait as a Deferred instead.
            fut._asyncio_future_blocking = False
            return (yield from Deferred.fromFuture(fut).__iter__())
    return fut.result()


class AwaitableDeferred(Deferred):
    """A Deferred that both Twisted-driven coroutines and asyncio Tasks can ``await``."""

    def __await__(self) -> Generator[Any, Any, Any]:
        return await_deferred(self)


class ReplyDeferred(AwaitableDeferred):
    """A Deferred the core's protocol fires directly (``execute(..., fut=...)``): no Future, no
    loop hop between the reply and the callbacks. It also quacks like a Future for the core
    (``done``/``set_result``/``set_exception``) and can be awaited from an asyncio Task.
    """

    _cancelled = False

    def done(self) -> bool:
        return self.called

    def set_result(self, value: Any) -> None:
        self.callback(value)

    def set_exception(self, exc: BaseException) -> None:
        self.errback(Failure(exc))

    def cancel(self) -> None:
        if not self.called:
            self._cancelled = True
        super().cancel()

    def cancelled(self) -> bool:
        """Cancelled before its reply came (a pipeline shows CancelledError in its place)."""
        return self._cancelled


def register_twin(core_cls: type, make: Callable[[Any], Any]) -> None:
    """Declare how a core object returned by a handler-level method is wrapped for Twisted."""
    _TWINS[core_cls] = make
    _PLAIN.clear()


def twin_of(obj: Any) -> Any:
    """The Twisted twin of a core object (one per object, cached), or the object itself."""
    t = type(obj)
    make = _TWINS.get(t)
    if make is None:
        if t in _PLAIN:
            return obj
        make = next((_TWINS[k] for k in t.__mro__ if k in _TWINS), None)
        if make is None:
            _PLAIN.add(t)
            return obj
        _TWINS[t] = make
    twin = getattr(obj, "_twisted_twin", None)
    if twin is None:
        twin = make(obj)
        try:
            obj._twisted_twin = twin
        except AttributeError:
            pass
    return twin


def as_deferred(aw: Any, twin: bool = False) -> Deferred:
    """A Deferred firing with the result of a Future/coroutine/awaitable (or a plain value)."""
    if isinstance(aw, Deferred):
        return aw.addCallback(twin_of) if twin else aw
    if not (asyncio.isfuture(aw) or asyncio.iscoroutine(aw) or hasattr(aw, "__await__")):
        d0: Deferred = Deferred()
        d0.callback(twin_of(aw) if twin else aw)
        return d0
    fut = asyncio.ensure_future(aw, loop=_reactor.loop())

    def cancel(_: Deferred) -> None:
        fut.cancel()

    d: Deferred = Deferred(cancel)

    def done(f: asyncio.Future[Any]) -> None:
        if f.cancelled():
            if not d.called:
                d.errback(Failure(CancelledError()))
            return
        exc = f.exception()
        if d.called:  # cancelled through the Deferred while the result was in flight
            return
        if exc is not None:
            d.errback(Failure(exc, type(exc), exc.__traceback__))
        else:
            r = f.result()
            d.callback(twin_of(r) if twin else r)

    fut.add_done_callback(done)
    return d


def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Deferred:
    """``as_deferred(fn(...))``; a synchronous exception becomes a failed Deferred."""
    try:
        r = fn(*args, **kwargs)
    except Exception:
        return fail()
    return as_deferred(r, twin=True)


def maybe(value: Optional[Any]) -> Deferred:
    """A fired Deferred (for methods that have nothing to wait for)."""
    d: Deferred = Deferred()
    d.callback(value)
    return d


def call_sync(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(...)`` whose result is wanted at once (e.g. ``master_for``): its Twisted twin."""
    return twin_of(fn(*args, **kwargs))


def core_default(fn: Any, param: str) -> Any:
    """The default value of a core method's parameter (for defaults that are not literals)."""
    import inspect

    return inspect.signature(fn).parameters[param].default
