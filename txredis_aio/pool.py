"""A set of connections to one server, shared for ordinary commands and leased for the rest.

How this works
--------------
* ``poolsize`` ``ConnectionSlot``s each keep one connection alive. Ready protocols that are not
  leased sit in ``_shared``; an ordinary command goes to the one with the fewest pending
  replies (``pick``), so concurrent commands pipeline on few sockets.
* ``lease()`` takes a ready protocol out of ``_shared`` for one user (MULTI/EXEC/WATCH, explicit
  pipelines, pub/sub); ``release()`` puts it back, or forgets it if it closed. Blocking commands
  (``execute_blocking``) lease one for a single command and give it back when its reply has
  arrived, even if their caller was cancelled: nothing may queue behind a blocked command.
* Waiting. Lease users wait FIFO in ``_lease_waiters`` and are handed a connection directly.
  Ordinary commands that find nothing shared go to ``_backlog`` (args, converter, caller's
  Future, deadline, kind), and wait:
  - while some connection is leased, until a connection is shared again (a lease ends or a
    connection comes up): at most ``replyTimeout`` when it is set (then ``TimeoutError``,
    nothing sent), else however long that takes; lease waiters likewise;
  - otherwise only while a connect attempt is in flight, bounded by ``connectTimeout`` (a few
    seconds when None); with no attempt in flight they fail at once "Not connected".
  - while every shared connection is ``full`` (``max_inflight`` replies owed or
    ``max_output_bytes`` unsent: a server that stopped reading), until one drains: at most
    ``replyTimeout`` when it is set (then ``TimeoutError`` naming the limits, nothing sent),
    else however long the server takes, as for a reply.
  When a connection is given back or drains, the backlog is written to it *synchronously*, in
  issue order, until it is full again, before anything else can use it (then the next lease
  waiter gets it, queued behind); while commands wait, new ones queue behind them
  (``pick_free``): commands run in the order they were issued, and a cancelled waiting command
  is never sent.
* A pool belongs to one process and one event loop. After ``os.fork()`` every pool of the parent
  is marked ``forked`` in the child; its handler then ``moved()`` it: the old connections are
  dropped without a byte read or written on them (they are the parent's sockets too), and a
  fresh pool connects from the child. Used from another loop, the same happens if the pool's
  own loop no longer runs (a second ``asyncio.run``); if it still runs, that is refused at once.
"""

from __future__ import annotations

import asyncio
import functools
import math
import os
import weakref
from collections import deque
from typing import Any, Callable, Optional

from ._compat import timeout as _timeout
from ._protocol import RedisProtocol
from ._requests import BLOCKING_NAMES, SPECIAL_NAMES, ConnectionModeError, check_request, is_blocking_request
from .commands._dialects import ServerIdentity
from .commands._table import blocking_seconds
from .connection import DEFAULT_WAIT_FOR_CONNECT, ConnectionConfig, ConnectionSlot
from .errors import ConnectionError, RedisError
from .errors import TimeoutError as RedisTimeoutError

__all__ = [
    "BLOCKING_NAMES", "SPECIAL_NAMES", "ConnectionModeError", "Pool", "check_poolsize",
    "check_request", "is_blocking_request",
]


def check_poolsize(poolsize: Any) -> None:
    """Raise ``ValueError`` unless ``poolsize`` is a positive int (txredisapi's message)."""
    if not isinstance(poolsize, int) or isinstance(poolsize, bool) or poolsize < 1:
        raise ValueError(f"Redis poolsize must be an integer, not {poolsize!r}")


# (args, convert, caller's Future, deadline or None, why it waits: "connect" | "lease" | "full")
_Waiting = tuple[tuple, Any, "asyncio.Future[Any]", Optional[float], str]


def _loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        # Created before the loop runs (e.g. a Twisted app building clients before reactor.run()).
        return asyncio.get_event_loop_policy().get_event_loop()


# Every live pool, to be marked in a child process after fork() (see the module docstring).
_POOLS: weakref.WeakSet[Pool] = weakref.WeakSet()


def _mark_forked() -> None:
    for pool in list(_POOLS):
        pool.forked = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_mark_forked)


def _copy_result(outer: asyncio.Future[Any], inner: asyncio.Future[Any]) -> None:
    if inner.cancelled():
        outer.cancel()
        return
    exc = inner.exception()  # reading marks the error seen even when nobody waits any more
    if outer.done():
        return
    if exc is not None:
        outer.set_exception(exc)
    else:
        outer.set_result(inner.result())


def _failed(loop: asyncio.AbstractEventLoop, exc: BaseException) -> asyncio.Future[Any]:
    fut = loop.create_future()
    fut.set_exception(exc)
    return fut


class Pool:
    """Connections to one address (see module docstring)."""

    initialDelay = 1.0
    maxDelay = 10.0
    factor = math.e
    jitter = 0.119626565582

    def __init__(self, config: ConnectionConfig, poolsize: int = 1) -> None:
        check_poolsize(poolsize)
        self.config = config
        self.poolsize = poolsize
        self.loop = _loop()
        self.closed = False
        self._slots = [ConnectionSlot(self, config) for _ in range(poolsize)]
        self._shared: list[RedisProtocol] = []
        self._leased: set[RedisProtocol] = set()
        self._lease_waiters: deque[asyncio.Future[RedisProtocol]] = deque()
        self._shared_waiters: list[asyncio.Future[None]] = []
        self._backlog: deque[_Waiting] = deque()
        self._backlog_timer: Optional[asyncio.TimerHandle] = None
        self._all_ready: asyncio.Future[None] = self.loop.create_future()
        self.on_ready: list[Callable[[RedisProtocol], None]] = []
        #: The server of the most recent connection's handshake (None until one is up, or unknown).
        self.server: Optional[ServerIdentity] = None
        #: This pool was made in the parent of this process (fork): its sockets are the parent's.
        self.forked = False
        _POOLS.add(self)
        for slot in self._slots:
            slot.start(self.loop)

    # -- state -----------------------------------------------------------------------------

    @property
    def connected(self) -> int:
        """Live connections, leased ones included."""
        return sum(1 for s in self._slots if s.protocol is not None)

    @property
    def pending(self) -> int:
        """Replies awaited over all live connections."""
        return sum(s.protocol.pending for s in self._slots if s.protocol is not None)

    def live_protocols(self) -> list[RedisProtocol]:
        """Every open connection, shared or leased."""
        return [s.protocol for s in self._slots if s.protocol is not None and not s.protocol.closed]

    def stop_reconnecting(self) -> None:
        """Connections that close from now on stay closed (QUIT, SHUTDOWN: txredisapi's stopTrying)."""
        self.config.reconnect = False

    def __repr__(self) -> str:
        kind = "ConnectionPool" if self.poolsize > 1 else "Connection"
        state = " closed" if self.closed else ""
        return (
            f"<{kind} {self.config.address} size={self.poolsize} connected={self.connected} "
            f"leased={len(self._leased)} pending={self.pending}{state}>"
        )

    # -- callbacks from the slots ------------------------------------------------------------

    def _slot_ready(self, slot: ConnectionSlot, proto: RedisProtocol) -> None:
        if self.closed:
            proto.close()
            return
        self.server = proto.server
        for cb in self.on_ready:
            cb(proto)
        self._give_back(proto)
        if not self._all_ready.done() and all(s.protocol is not None for s in self._slots):
            self._all_ready.set_result(None)

    def _slot_lost(self, slot: ConnectionSlot, proto: RedisProtocol) -> None:
        if proto in self._shared:
            self._shared.remove(proto)
        # A leased connection that dies is forgotten now; its holder's release() is then a no-op.
        self._leased.discard(proto)
        self._fail_waiters_if_hopeless()

    def _slot_failed(self, slot: ConnectionSlot, err: BaseException, final: bool) -> None:
        slot.last_error = err
        if not self._all_ready.done():
            self._all_ready.set_exception(err)
            self._all_ready.exception()
        self._fail_waiters_if_hopeless(err if final else None)

    def _fail_waiters_if_hopeless(self, err: Optional[BaseException] = None) -> None:
        """Nothing shared, leased or connecting: no waiter can ever be served.

        ``err``: the final failure that made it so (waiters get it, it says why); else "Not connected".
        """
        if self._shared or self._leased or self._connecting():
            return
        self._fail_waiters(err)

    def _fail_waiters(self, err: Optional[BaseException] = None) -> None:
        def error() -> BaseException:
            return ConnectionError("Not connected") if err is None else type(err)(*err.args)

        self._wake_shared(error())
        backlog, self._backlog = self._backlog, deque()
        for _args, _conv, fut, _deadline, _why in backlog:
            if not fut.done():
                fut.set_exception(error())
        while self._lease_waiters:
            w = self._lease_waiters.popleft()
            if not w.done():
                w.set_exception(error())

    def _wake_shared(self, err: Optional[BaseException]) -> None:
        waiters, self._shared_waiters = self._shared_waiters, []
        for w in waiters:
            if not w.done():
                if err is None:
                    w.set_result(None)
                else:
                    w.set_exception(err)

    # -- picking a connection ----------------------------------------------------------------

    def pick(self) -> Optional[RedisProtocol]:
        """The shared connection with the fewest pending replies, or None."""
        shared = self._shared
        n = len(shared)
        if n == 1:
            return shared[0]
        if n == 0:
            return None
        best = shared[0]
        least = best.pending
        for p in shared:
            k = len(p._pending)
            if k < least:
                if k == 0:
                    return p
                best, least = p, k
        return best

    def pick_free(self) -> Optional[RedisProtocol]:
        """``pick()``, or None while commands wait in the backlog or every shared connection is
        full (it is then marked ``saturated``: it will say when it drains)."""
        if self._backlog:
            for p in self._shared:  # the backlog first, in order, onto any connection with room
                if not p.full():
                    self._dispatch_backlog(p)
            if self._backlog:
                return None
        proto = self.pick()
        if proto is None or not (proto.write_blocked or len(proto._pending) >= proto.max_inflight):
            return proto  # (proto.full(), inlined: this is every command's path)
        for p in self._shared:
            if not p.full():
                return p
            p.saturated = True
        return None

    def _drained(self, proto: RedisProtocol) -> None:
        """A saturated shared connection can take commands again: hand it the backlog."""
        if self._backlog and proto in self._shared:
            self._dispatch_backlog(proto)

    def _connecting(self) -> bool:
        return any(s.state == "connecting" for s in self._slots)

    def _hopeless(self) -> bool:
        return self.closed or not (self._shared or self._leased or self._connecting())

    async def _wait_shared(self) -> None:
        """Wait until a connection is shared (see module docstring for how long)."""
        if self._hopeless():
            raise ConnectionError("Not connected")
        w: asyncio.Future[None] = self.loop.create_future()
        self._shared_waiters.append(w)
        if self._leased:
            rt = self.config.reply_timeout
            try:
                async with _timeout(rt):
                    await w
            except (asyncio.TimeoutError, TimeoutError):
                raise self._lease_timeout() from None
            return
        limit = self.config.connect_timeout or DEFAULT_WAIT_FOR_CONNECT
        try:
            async with _timeout(limit):
                await w
        except (asyncio.TimeoutError, TimeoutError):
            raise ConnectionError("Not connected") from None

    async def wait_ready(self) -> None:
        """Wait for any connection to be ready; fail at once if no attempt is in flight."""
        if self._shared or self._leased:
            return
        await self._wait_shared()

    def execute_later(self, args: tuple, convert: Any) -> asyncio.Future[Any]:
        """A command that found no shared connection: queue it for the next one (a Future).

        Bad arguments raise here, before any wait.
        """
        self.config.encode(args)
        fut: asyncio.Future[Any] = self.loop.create_future()
        if self._hopeless():
            fut.set_exception(ConnectionError("Not connected"))
            return fut
        why = "full" if self._shared else "lease" if self._leased else "connect"
        deadline = self._wait_deadline(why)
        self._backlog.append((args, convert, fut, deadline, why))
        return fut

    def _wait_deadline(self, why: str) -> Optional[float]:
        """When a backlog entry waiting for ``why`` expires (module docstring); arms the timer."""
        if why == "connect":
            deadline: float = self.loop.time() + (
                self.config.connect_timeout or DEFAULT_WAIT_FOR_CONNECT)
        elif self.config.reply_timeout is not None:
            deadline = self.loop.time() + self.config.reply_timeout
        else:
            return None
        timer = self._backlog_timer
        if timer is None or deadline < timer.when():
            if timer is not None:
                timer.cancel()
            self._backlog_timer = self.loop.call_at(deadline, self._expire_backlog)
        return deadline

    def _full_timeout(self) -> RedisTimeoutError:
        p = RedisProtocol
        return RedisTimeoutError(
            f"No connection could take the command within replyTimeout ({self.config.reply_timeout} s): "
            f"every one had max_inflight={p.max_inflight} replies owed or max_output_bytes="
            f"{p.max_output_bytes} unsent (the server is not reading); nothing was sent"
        )

    def _lease_timeout(self) -> RedisTimeoutError:
        return RedisTimeoutError(
            f"No connection free within replyTimeout ({self.config.reply_timeout} s): every one "
            f"is leased (transaction, pipeline, blocking command); nothing was sent"
        )

    def _dispatch_backlog(self, proto: RedisProtocol) -> None:
        """Write waiting commands to ``proto`` in order until it is full; the rest wait for it."""
        backlog = self._backlog
        while backlog:
            if proto.full():
                proto.saturated = True
                # What is left now waits for a drain, bounded as such.
                self._backlog = deque(
                    (a, c, f, d if why == "full" else self._wait_deadline("full"), "full")
                    for a, c, f, d, why in backlog)
                return
            args, convert, outer, _deadline, _why = backlog.popleft()
            if outer.done():  # cancelled while waiting: never sent
                continue
            try:
                inner = proto.execute(args, convert)
            except Exception as e:  # pragma: no cover - arguments were checked when queued
                outer.set_exception(e)
                continue
            inner.add_done_callback(functools.partial(_copy_result, outer))

    def _expire_backlog(self) -> None:
        """Fail commands that waited longer than the connect bound for a connection."""
        self._backlog_timer = None
        now = self.loop.time()
        keep: deque[_Waiting] = deque()
        nearest = None
        for entry in self._backlog:
            deadline, fut = entry[3], entry[2]
            if fut.done():
                continue
            if deadline is not None and deadline <= now:
                why = entry[4]
                fut.set_exception(self._lease_timeout() if why == "lease" else self._full_timeout()
                                  if why == "full" else ConnectionError("Not connected"))
                continue
            keep.append(entry)
            if deadline is not None and (nearest is None or deadline < nearest):
                nearest = deadline
        self._backlog = keep
        if nearest is not None:
            self._backlog_timer = self.loop.call_at(nearest, self._expire_backlog)

    async def wait_all_ready(self) -> None:
        """Wait until every slot has connected once; raise the first connect error."""
        await asyncio.shield(self._all_ready)

    # -- blocking commands -----------------------------------------------------------------------

    def execute_blocking(self, args: tuple, convert: Any) -> Any:
        """Run a blocking command on a leased connection; with ``replyTimeout``, bounded by the
        command's own timeout plus it (one that may block forever, timeout 0, is not bounded).

        The lease ends when the reply arrives (or the connection drops), not when the caller
        stops waiting: a cancelled BLPOP must not leave other commands queued behind it.
        """
        if not self._queued_leases():
            proto = self._take_shared()
            if proto is not None:
                return self._run_leased(proto, args, convert)
        self.config.encode(args)
        if self._hopeless():
            return _failed(self.loop, ConnectionError("Not connected"))
        return self.loop.create_task(self._execute_blocking_later(args, convert))

    async def _execute_blocking_later(self, args: tuple, convert: Any) -> Any:
        proto = await self.lease()
        return await self._run_leased(proto, args, convert)

    def _run_leased(self, proto: RedisProtocol, args: tuple, convert: Any) -> asyncio.Future[Any]:
        # Bounded by the server's own timeout plus replyTimeout; unbounded when it may block forever.
        block = blocking_seconds(args) if self.config.reply_timeout is not None else None
        try:
            inner = proto.execute(args, convert, block is not None, None, block or 0.0)
        except BaseException:
            self.release(proto)
            raise
        outer: asyncio.Future[Any] = self.loop.create_future()

        def done(f: asyncio.Future[Any]) -> None:
            self.release(proto)
            _copy_result(outer, f)

        inner.add_done_callback(done)
        return outer

    # -- leases ------------------------------------------------------------------------------

    async def lease(self) -> RedisProtocol:
        """Take a connection for exclusive use; wait (FIFO) while every one is leased."""
        while True:
            if self.closed:
                raise ConnectionError("Not connected")
            if not self._queued_leases():
                proto = self._take_shared()
                if proto is not None:
                    return proto
            if self._hopeless():
                raise ConnectionError("Not connected")
            bounded = not self._leased and not self._shared
            limit = (self.config.connect_timeout or DEFAULT_WAIT_FOR_CONNECT) if bounded else (
                self.config.reply_timeout)
            w: asyncio.Future[RedisProtocol] = self.loop.create_future()
            self._lease_waiters.append(w)
            try:
                async with _timeout(limit):
                    proto = await w
            except BaseException as e:
                # Handed a connection in the same step as we were cancelled: pass it on.
                if w.done() and not w.cancelled() and w.exception() is None:
                    self.release(w.result())
                if isinstance(e, (asyncio.TimeoutError, TimeoutError)):
                    raise (ConnectionError("Not connected") if bounded else self._lease_timeout()) from None
                raise
            if not proto.closed:
                return proto
            self._leased.discard(proto)

    def _queued_leases(self) -> bool:
        """Whether live lease waiters are queued (a newcomer must not jump ahead of them)."""
        waiters = self._lease_waiters
        while waiters and waiters[0].done():
            waiters.popleft()
        while waiters and self._shared:  # not expected (give-backs serve waiters); never stall
            proto = self._shared.pop()
            if not self._hand_to_lease_waiter(proto):
                self._shared.append(proto)
        return bool(waiters)

    def _take_shared(self) -> Optional[RedisProtocol]:
        shared = self._shared
        if not shared:
            return None
        proto = shared[0] if len(shared) == 1 else min(shared, key=lambda p: len(p._pending))
        shared.remove(proto)
        self._leased.add(proto)
        proto.leased = True
        return proto

    def release(self, proto: RedisProtocol) -> None:
        """Return a leased connection; a closed one is simply forgotten. Idempotent."""
        if proto not in self._leased:
            return
        self._leased.discard(proto)
        proto.leased = False
        if proto.closed or self.closed:
            self._fail_waiters_if_hopeless()
            return
        self._give_back(proto)

    def _give_back(self, proto: RedisProtocol) -> None:
        proto.on_drain = self._drained
        if self._backlog:
            self._dispatch_backlog(proto)  # waiting commands first, in issue order
        if not self._hand_to_lease_waiter(proto):
            self._shared.append(proto)
        self._wake_shared(None)

    def _hand_to_lease_waiter(self, proto: RedisProtocol) -> bool:
        while self._lease_waiters:
            w = self._lease_waiters.popleft()
            if not w.done():
                proto.leased = True
                self._leased.add(proto)
                w.set_result(proto)
                return True
        return False

    # -- processes and event loops --------------------------------------------------------------

    def foreign(self) -> bool:
        """Whether this pool cannot serve the caller: made before a fork, or on another loop."""
        if self.forked:
            return True
        running = asyncio._get_running_loop()
        return running is not None and running is not self.loop

    def moved(self) -> Pool:
        """A fresh pool like this one for the calling process and loop; this one is abandoned.

        Raises ``RedisError`` when this pool's own loop still runs (in another thread): one pool
        cannot serve two running loops, and taking its connections away would break the other.
        """
        if self.forked:
            if asyncio._get_running_loop() is None:
                raise RedisError(
                    f"{self!r} was made before os.fork(): in the child, use it from a running event "
                    "loop (it then reconnects), or make a new handler there"
                )
        elif self.loop.is_running():
            raise RedisError(
                f"{self!r} belongs to an event loop that is still running (in another thread): "
                "make one handler per event loop"
            )
        self._abandon()
        return self.twin()

    def twin(self) -> Pool:
        """A new, unconnected pool with this one's configuration (``moved`` uses it)."""
        return type(self)(self.config, self.poolsize)

    def _abandon(self) -> None:
        """Forget every connection without I/O on it (no write, no close_notify, no FIN here)."""
        self.closed = True
        for slot in self._slots:
            slot.state = "closed"
            slot.protocol = None
        self._shared.clear()
        self._leased.clear()
        self._backlog.clear()
        self._lease_waiters.clear()
        self._shared_waiters.clear()
        _POOLS.discard(self)

    # -- shutdown ------------------------------------------------------------------------------

    async def close(self) -> None:
        """Close every connection and stop reconnecting; waiting commands fail."""
        self.closed = True
        self._shared.clear()
        if self._backlog_timer is not None:
            self._backlog_timer.cancel()
            self._backlog_timer = None
        self._fail_waiters()
        if not self._all_ready.done():
            self._all_ready.set_exception(ConnectionError("Not connected"))
            self._all_ready.exception()
        await asyncio.gather(*(s.close() for s in self._slots))
        self._leased.clear()
