"""WATCH / MULTI / EXEC on one leased connection, with txredisapi's API.

How this works
--------------
``handler.multi(keys=None)`` and ``handler.watch(keys)`` lease a pool connection for one
``Transaction``, send ``[WATCH keys] [MULTI]`` on it and resolve with the transaction object.

Round trips: the first ``multi()`` on a connection waits for MULTI's ``OK``. Once that
connection's server has accepted MULTI, ``multi()`` without keys queues MULTI and returns at
once, so MULTI, the commands and EXEC leave in one write and the transaction costs one round
trip (as redis-py's). Should the server refuse MULTI after all (its ACL changed since),
the commands ran outside a transaction: ``commit()`` raises ``ResponseError`` saying so and the
connection waits for MULTI again. ``multi(keys)`` always waits: WATCH must hold before MULTI.

States (``t.inTransaction`` / ``t.inMulti``, txredisapi's names):

* watching (``inTransaction``, not ``inMulti``): commands on ``t`` run at once on the leased
  connection and return real replies;
* queuing (``inMulti``): commands resolve to ``"QUEUED"``; their converters are remembered in
  order and applied to EXEC's reply elements by ``commit()``;
* finished (neither): the lease is returned; further commands on ``t`` run on the pool like any
  other command (the txredisapi object was then just a pool connection again).

The lease ends as soon as the last command of the transaction (EXEC, DISCARD or UNWATCH) is
*queued* on the connection, not when its reply arrives: later users' commands are queued
behind it on the same FIFO, so they can never see its replies. Only a blocking command sent
while watching (BLPOP...) that has not replied yet keeps the lease until its reply arrives.
If setting up the transaction fails or is cancelled, ``DISCARD`` + ``UNWATCH`` are queued
(state reset) and the lease is returned the same way. A lost connection fails the transaction's commands with
``ConnectionError`` and is dropped by the pool, never handed to anyone.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from typing import Any, Callable, Optional, Sequence

from ._future import ReplyFuture
from ._protocol import RedisProtocol
from ._requests import SPECIAL_NAMES, check_request, is_blocking_request
from ._resp import Raw, convert_reply, list_or_args
from .commands import Commands
from .commands._base import Convert
from .commands._dialects import ServerIdentity
from .commands._table import command_name
from .errors import RedisError, ResponseError, WatchError
from .pool import Pool, _copy_result

__all__ = ["Transaction", "begin_transaction"]


class Transaction(Commands):
    """A leased connection in WATCH and/or MULTI state (see module docstring)."""

    def __init__(
        self, pool: Pool, proto: RedisProtocol, fallback: Callable[..., Any],
    ) -> None:
        self._pool = pool
        self._proto: Optional[RedisProtocol] = proto
        self._fallback = fallback
        self._converts: list[Convert] = []
        # Futures returned while queuing: their errors are marked seen once EXEC/DISCARD replied
        # (one callback per transaction; a queue-time error also surfaces as EXECABORT).
        self._queued: list[asyncio.Future[Any]] = []
        self._blocked: Optional[asyncio.Future[Any]] = None  # a blocking command's own reply slot
        self._multi: Optional[asyncio.Future[Any]] = None  # MULTI's reply when not waited for
        self.inTransaction = True
        self.inMulti = False
        # Safety net: a transaction dropped without commit/discard/unwatch still frees its lease.
        self._finalizer = weakref.finalize(self, _abandon_later, pool, proto)
        self._finalizer.atexit = False

    def __repr__(self) -> str:
        state = "queuing" if self.inMulti else "watching" if self.inTransaction else "finished"
        return f"<Transaction {state} queued={len(self._converts)} on {self._pool.config.address}>"

    # -- the seam ----------------------------------------------------------------------------

    def _server_identity(self) -> Optional[ServerIdentity]:
        return self._pool.server

    def _execute(self, *args: Any, convert: Convert = None) -> Any:
        proto = self._proto
        if proto is None:
            return self._fallback(*args, convert=convert)
        try:
            special = args[0] in SPECIAL_NAMES
        except (TypeError, IndexError):
            special = False
        if special:
            check_request(args, self._pool, leased=True)
        if self.inMulti:
            fut = proto.execute(args, None, self._timed())
            self._queued.append(fut)
            if not special or command_name(args) not in _NOT_QUEUED:
                self._converts.append(convert)
            return fut
        if special and is_blocking_request(args):
            # Keep the reply slot to ourselves: the lease must outlive a cancelled caller.
            inner = proto.execute(args, convert, False)
            self._blocked = inner
            outer: asyncio.Future[Any] = self._pool.loop.create_future()
            inner.add_done_callback(functools.partial(_copy_result, outer))
            return outer
        return proto.execute(args, convert, self._timed())

    def _timed(self) -> bool:
        """Whether replyTimeout may apply: not behind a blocking command still waiting."""
        blocked = self._blocked
        if blocked is None:
            return True
        if blocked.done():
            self._blocked = None
            return True
        return False

    # -- transaction control -----------------------------------------------------------------

    def watch(self, keys: Any) -> asyncio.Future[Transaction]:
        """WATCH more keys on this connection; resolves with this same transaction object."""
        if self._proto is None:
            raise RedisError("Transaction already finished; start a new one on the handler")
        keys = list_or_args("watch", keys, ())
        return _then_self(self, self._execute("WATCH", *keys))

    def multi(self, keys: Any = None) -> asyncio.Future[Transaction]:
        """Start queuing (MULTI), after WATCHing ``keys`` if given; resolves with ``self``."""
        if self._proto is None:
            raise RedisError("Transaction already finished; start a new one on the handler")
        last = None
        if keys is not None:
            last = self.watch(keys)
        fut = self._proto.execute(("MULTI",), None, self._timed())
        self.inMulti = True
        return _then_self(self, fut, last)

    def commit(self) -> asyncio.Future[list[Any]]:
        """EXEC: a Future of the replies, each converted as its command would be outside MULTI.

        Raises ``WatchError`` when a watched key changed, ``ExecAbortError`` when a command was
        refused while queuing; an error of one command is returned in its place.
        """
        if not self.inMulti:
            raise RedisError("Not in transaction")
        converts = self._converts
        decode = self._pool.config.decode

        def results(reply: Any) -> Any:
            if reply is None:
                raise WatchError("Transaction failed")
            return _convert_all(reply, converts, decode)

        return self._finish(("EXEC",), Raw(results), _ExecReply(self._multi, self._pool.loop))

    def discard(self) -> asyncio.Future[str]:
        """DISCARD the queued commands (and forget watched keys); returns the connection."""
        if not self.inMulti:
            raise RedisError("Not in transaction")
        return self._finish(("DISCARD",), None)

    def unwatch(self) -> asyncio.Future[str]:
        """UNWATCH. While only watching, this ends the transaction and returns the connection."""
        if self.inMulti or self._proto is None:
            return self._execute("UNWATCH")
        return self._finish(("UNWATCH",), None)

    def _finish(self, args: tuple, convert: Convert, fut: Any = None) -> Any:
        proto = self._proto
        assert proto is not None
        queued = self._queued
        try:
            # A ReplyFuture: whoever awaits the end of the transaction resumes with its reply.
            fut = proto.execute(args, convert, self._timed(), fut or ReplyFuture(loop=self._pool.loop))
            proto.flush()
        finally:
            self._end()
        if queued:
            fut.add_done_callback(functools.partial(_settle, queued))
        return fut

    def _end(self) -> None:
        proto, self._proto = self._proto, None
        blocked, self._blocked = self._blocked, None
        self.inTransaction = self.inMulti = False
        self._converts = []
        self._queued = []
        self._multi = None
        self._finalizer.detach()
        if proto is None:
            return
        if blocked is not None and not blocked.done():
            # A blocking command sent while watching still holds the connection: hand it back
            # when its reply arrives (later users' commands would otherwise wait behind it).
            blocked.add_done_callback(lambda _f: self._pool.release(proto))
        else:
            self._pool.release(proto)

    def _abandon(self) -> None:
        """Reset the server-side state (DISCARD, UNWATCH; errors ignored) and give the lease back."""
        proto = self._proto
        if proto is None:
            return
        _reset(proto, self._queued)
        self._end()

    async def __aenter__(self) -> Transaction:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        """Leaving ``async with`` without commit/discard/unwatch discards and frees the lease."""
        self._abandon()


async def begin_transaction(
    pool: Pool, fallback: Callable[..., Any], watch: Any = None, multi: bool = True,
) -> Transaction:
    """Lease a connection, send ``[WATCH keys] [MULTI]``, and return the ``Transaction``."""
    proto = await pool.lease()
    t = Transaction(pool, proto, fallback)
    if multi and watch is None and proto.multi_confirmed:
        t._multi = proto.execute(("MULTI",), None, t._timed())
        t._multi.add_done_callback(functools.partial(_check_multi, proto))
        t._queued.append(t._multi)  # its error, if any, is settled with the queued commands'
        t.inMulti = True
        return t
    try:
        if multi:
            await t.multi(watch)
            proto.multi_confirmed = True
        else:
            await t.watch(watch)
    except BaseException:
        t._abandon()
        raise
    return t


def _check_multi(proto: RedisProtocol, f: asyncio.Future[Any]) -> None:
    """MULTI sent without waiting failed: wait for it again next time (commit reports a refusal)."""
    if f.cancelled() or f.exception() is not None:
        proto.multi_confirmed = False


class _ExecReply(ReplyFuture):
    """EXEC's reply slot: if MULTI (not waited for) was refused, say so instead of EXEC's error."""

    def __init__(self, multi: Optional[asyncio.Future[Any]], loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop=loop)
        self._multi_reply = multi

    def set_exception(self, exception: Any) -> None:
        m = self._multi_reply
        if m is not None and m.done() and not m.cancelled() and isinstance(m.exception(), ResponseError):
            err = ResponseError(
                f"MULTI was refused ({m.exception()}): the queued commands ran outside a "
                "transaction and EXEC failed"
            )
            err.__cause__ = exception
            exception = err
        super().set_exception(exception)


# Commands the server runs at once inside MULTI instead of queuing (a queued command that is
# refused makes EXEC fail with EXECABORT, so only these can shift EXEC's reply positions).
_NOT_QUEUED = frozenset({"WATCH", "MULTI", "EXEC", "DISCARD", "QUIT", "RESET"})


def _reset(proto: RedisProtocol, queued: Sequence[asyncio.Future[Any]] = ()) -> None:
    if not proto.closed:
        proto.execute(("DISCARD",), None, False).add_done_callback(functools.partial(_settle, queued))
        proto.execute(("UNWATCH",), None, False).add_done_callback(_consume_error)
    else:
        _settle(queued, None)


def _abandon_later(pool: Pool, proto: RedisProtocol) -> None:
    """Finalizer of a forgotten transaction (may run inside any code, so only schedule)."""

    def abandon() -> None:
        if proto in pool._leased:
            _reset(proto)
            pool.release(proto)

    try:
        pool.loop.call_soon(abandon)
    except RuntimeError:  # loop closed: nothing left to give back to
        pass


def _consume_error(f: asyncio.Future[Any]) -> None:
    """Mark an error as seen: a queue-time error also surfaces as EXECABORT at commit."""
    if not f.cancelled():
        f.exception()


def _settle(queued: Sequence[asyncio.Future[Any]], last: Optional[asyncio.Future[Any]]) -> None:
    """EXEC/DISCARD is done: mark every queued command's error seen (later, if still pending)."""
    if last is not None:
        _consume_error(last)
    for f in queued:
        if f.done():
            _consume_error(f)
        else:  # the caller cancelled the commit early: its reply is still on the way
            f.add_done_callback(_consume_error)


def _convert_all(reply: list, converts: list[Convert], decode: Callable[[Any], Any]) -> list:
    out: list[Any] = []
    for i, elem in enumerate(reply):
        conv = converts[i] if i < len(converts) else None
        if isinstance(elem, ResponseError):
            out.append(elem)
            continue
        try:
            out.append(convert_reply(elem, conv, decode))
        except Exception as e:  # one converter failing must not lose the other results
            out.append(e)
    return out


def _then_self(t: Transaction, fut: Any, earlier: Any = None) -> asyncio.Future[Transaction]:
    """A Future that resolves with ``t`` once ``fut`` (and ``earlier``) replied without error."""
    out: asyncio.Future[Transaction] = t._pool.loop.create_future()
    if earlier is not None:
        earlier.add_done_callback(functools.partial(_then_done, out, None))
    fut.add_done_callback(functools.partial(_then_done, out, t))
    return out


def _then_done(out: asyncio.Future[Transaction], t: Optional[Transaction], f: asyncio.Future[Any]) -> None:
    """An earlier step's failure fails ``out``; the last step's success resolves it with ``t``."""
    exc = None if f.cancelled() else f.exception()
    if out.done():
        return
    if f.cancelled():
        out.cancel()
    elif exc is not None:
        out.set_exception(exc)
    elif t is not None:
        out.set_result(t)
