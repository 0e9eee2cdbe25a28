"""A set of connections to one server, shared for ordinary commands and leased for the rest.

How this works
--------------
* ``poolsize`` ``ConnectionSlot``s each keep one connection alive. Ready protocols that are not
  leased sit in ``_shared``; an ordinary command goes to the one with the fewest pending
  replies (``pick``), so concurrent commands pipeline on few sockets.
* ``lease()`` takes a ready protocol out of ``_shared`` for one user (blocking commands,
  MULTI/EXEC/WATCH, explicit pipelines); ``release()`` puts it back, or drops it if it closed.
  Leases wait, FIFO, when every connection is leased.
* When nothing is shared: a command waits for an in-flight connect attempt (bounded by
  ``connectTimeout``, or a few seconds when None); with no attempt in flight it fails at once
  with ``ConnectionError("Not connected")``.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from typing import Any, Callable, Optional

from ._compat import timeout as _timeout
from ._protocol import RedisProtocol
from .connection import DEFAULT_WAIT_FOR_CONNECT, ConnectionConfig, ConnectionSlot
from .errors import ConnectionError

__all__ = ["Pool"]


def _loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        # Created before the loop runs (e.g. a Twisted app building clients before reactor.run()).
        return asyncio.get_event_loop_policy().get_event_loop()


class Pool:
    """Connections to one address (see module docstring)."""

    initialDelay = 1.0
    maxDelay = 10.0
    factor = math.e
    jitter = 0.119626565582

    def __init__(self, config: ConnectionConfig, poolsize: int = 1) -> None:
        if not isinstance(poolsize, int) or isinstance(poolsize, bool) or poolsize < 1:
            raise ValueError(f"Redis poolsize must be an integer, not {poolsize!r}")
        self.config = config
        self.poolsize = poolsize
        self.loop = _loop()
        self.closed = False
        self._slots = [ConnectionSlot(self, config) for _ in range(poolsize)]
        self._shared: list[RedisProtocol] = []
        self._leased: set[RedisProtocol] = set()
        self._lease_waiters: deque[asyncio.Future[RedisProtocol]] = deque()
        self._ready_waiters: list[asyncio.Future[None]] = []
        self._all_ready: asyncio.Future[None] = self.loop.create_future()
        self.on_ready: list[Callable[[RedisProtocol], None]] = []
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
        for cb in self.on_ready:
            cb(proto)
        self._give_back(proto)
        self._wake_ready(None)
        if not self._all_ready.done() and all(s.protocol is not None for s in self._slots):
            self._all_ready.set_result(None)

    def _slot_lost(self, slot: ConnectionSlot, proto: RedisProtocol) -> None:
        if proto in self._shared:
            self._shared.remove(proto)

    def _slot_failed(self, slot: ConnectionSlot, err: BaseException, final: bool) -> None:
        slot.last_error = err
        if not self._all_ready.done():
            self._all_ready.set_exception(err)
            self._all_ready.exception()
        if not self._connecting():
            self._wake_ready(err)
            if not self._shared and not self._leased:
                while self._lease_waiters:
                    w = self._lease_waiters.popleft()
                    if not w.done():
                        w.set_exception(ConnectionError("Not connected"))

    def _wake_ready(self, err: Optional[BaseException]) -> None:
        waiters, self._ready_waiters = self._ready_waiters, []
        for w in waiters:
            if not w.done():
                if err is None:
                    w.set_result(None)
                else:
                    w.set_exception(ConnectionError("Not connected"))

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

    def _connecting(self) -> bool:
        return any(s.state == "connecting" for s in self._slots)

    async def wait_ready(self) -> None:
        """Wait for any connection to be ready; fail at once if no attempt is in flight."""
        if self._shared or self._leased:
            return
        if self.closed or not self._connecting():
            raise ConnectionError("Not connected")
        w = self.loop.create_future()
        self._ready_waiters.append(w)
        limit = self.config.connect_timeout or DEFAULT_WAIT_FOR_CONNECT
        try:
            async with _timeout(limit):
                await w
        except (asyncio.TimeoutError, TimeoutError):
            raise ConnectionError("Not connected") from None

    def execute_later(self, args: tuple, convert: Any) -> Any:
        """A command that found no shared connection: wait for one (see ``wait_ready``)."""
        if self.closed or not self._connecting():
            fut = self.loop.create_future()
            fut.set_exception(ConnectionError("Not connected"))
            return fut
        return self.loop.create_task(self._execute_later(args, convert))

    async def _execute_later(self, args: tuple, convert: Any) -> Any:
        self.config.encode(args)  # bad arguments fail now, not after the wait
        while True:
            await self.wait_ready()
            proto = self.pick()
            if proto is not None:
                return await proto.execute(args, convert)
            # Everything is leased: queue behind the leases like any other lease user.
            proto = await self.lease()
            self.release(proto)

    async def wait_all_ready(self) -> None:
        """Wait until every slot has connected once; raise the first connect error."""
        await asyncio.shield(self._all_ready)

    # -- leases ------------------------------------------------------------------------------

    async def lease(self) -> RedisProtocol:
        """Take a connection for exclusive use; wait while every one is leased."""
        while True:
            if self.closed:
                raise ConnectionError("Not connected")
            proto = self._take_shared()
            if proto is not None:
                return proto
            if not self._leased:
                await self.wait_ready()
                continue
            w: asyncio.Future[RedisProtocol] = self.loop.create_future()
            self._lease_waiters.append(w)
            try:
                proto = await w
            except asyncio.CancelledError:
                if w.done() and not w.cancelled():
                    self.release(w.result())
                raise
            if not proto.closed:
                self._leased.add(proto)
                return proto

    def _take_shared(self) -> Optional[RedisProtocol]:
        shared = self._shared
        if not shared:
            return None
        proto = min(shared, key=lambda p: len(p._pending))
        shared.remove(proto)
        self._leased.add(proto)
        proto.leased = True
        return proto

    def release(self, proto: RedisProtocol) -> None:
        """Return a leased connection; a closed one is simply forgotten."""
        self._leased.discard(proto)
        proto.leased = False
        if proto.closed or self.closed:
            return
        self._give_back(proto)

    def _give_back(self, proto: RedisProtocol) -> None:
        while self._lease_waiters:
            w = self._lease_waiters.popleft()
            if not w.done():
                proto.leased = True
                self._leased.add(proto)
                w.set_result(proto)
                return
        self._shared.append(proto)

    # -- shutdown ------------------------------------------------------------------------------

    async def close(self) -> None:
        """Close every connection and stop reconnecting; waiting commands fail."""
        self.closed = True
        self._shared.clear()
        self._wake_ready(ConnectionError("Not connected"))
        while self._lease_waiters:
            w = self._lease_waiters.popleft()
            if not w.done():
                w.set_exception(ConnectionError("Not connected"))
        if not self._all_ready.done():
            self._all_ready.set_exception(ConnectionError("Not connected"))
            self._all_ready.exception()
        await asyncio.gather(*(s.close() for s in self._slots))
        self._leased.clear()
