"""What pub/sub and MONITOR connections share: a stream of unsolicited replies, consumed by an
async iterator with bounded memory, that survives reconnects.

How this works
--------------
* A ``Feed`` owns a one-connection ``Pool`` (reconnect and backoff come with it) whose
  protocol is a ``StreamProtocol``: it routes each reply either to the FIFO of command slots
  (as ``RedisProtocol`` does) or to ``sink``, the feed's receiver of pushed items.
* Items go to ``messageReceived`` (a subclass may override it); the default appends them to a
  deque read by ``async for``. When the deque reaches ``max_queue`` items or ``max_queue_bytes``
  (the items' ``sys.getsizeof``, their parts summed) the feed *pauses* the protocol: it stops
  parsing (what is already read stays in the hiredis reader) and stops reading from the socket,
  so TCP pushes back onto the server; when the consumer has drained it to half of both bounds,
  parsing and reading resume. Nothing is dropped or reordered here: memory is bounded by the
  bounds plus one socket read and one item. What the server then does is its own
  ``client-output-buffer-limit pubsub``: past it, it disconnects the subscriber, which
  reconnects and resubscribes (``Disconnected``/``Reconnected`` with ``events=True``).
* Except while a command awaits its reply (PING, SUBSCRIBE, a resubscription): its reply comes
  after the items the server pushed before it, so the paused protocol parses on, queueing those
  items, until no reply is awaited, then stops again. The queue can then exceed ``max_queue``
  by exactly the items sent ahead of awaited replies: what the server had buffered for this
  client, capped by its ``client-output-buffer-limit pubsub``. Every command is subject to
  ``replyTimeout``, as a reply is never held back by a pause.
* Each time a connection becomes ready the feed sends its *resume commands* (SUBSCRIBE... or
  MONITOR) first; items pushed before all of them are confirmed are held back, then delivered
  after a ``reconnected()`` notice. A lost connection calls ``disconnected(reason)``. With
  ``events=True`` both notices are yielded by the iterator as ``Disconnected``/``Reconnected``.
  If the server *refuses* a resume command (an error reply), the feed closes and the iterator
  raises that error: a stream that silently delivers nothing is the failure to avoid.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Coroutine, Optional, TypeVar

import hiredis

from ._protocol import RedisProtocol
from ._resp import convert_reply, unexpected_reply
from .client import Connecting
from .connection import ConnectionConfig, ConnectionSlot, SSLOption
from .errors import ConnectionError, InvalidResponse, RedisError, ResponseError
from .pool import Pool

__all__ = [
    "MAX_QUEUE_BYTES", "Disconnected", "Feed", "Reconnected", "StreamProtocol", "item_size", "opening",
    "tcp_config", "unix_config",
]

log = logging.getLogger("txredis_aio")
T = TypeVar("T")


@dataclass(frozen=True)
class Disconnected:
    """Yielded (with ``events=True``) when the connection dropped: items may be missed from here."""

    reason: BaseException


@dataclass(frozen=True)
class Reconnected:
    """Yielded (with ``events=True``) once a new connection is up and resubscribed."""


class StreamProtocol(RedisProtocol):
    """A RedisProtocol that also receives pushed replies, and whose parsing can pause.

    Paused, it stops parsing and reading only while no command awaits a reply: a command's
    reply sits behind the pushed items sent before it, so those are parsed (and handed to the
    sink) until the last awaited reply has arrived; then parsing and reading stop again.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sink: Optional[Callable[..., None]] = None  # set by the owning feed
        self._want_pause = False  # the owner asked to pause
        self._paused = False  # parsing and reading are stopped (asked, and no reply awaited)

    def data_received(self, data: bytes) -> None:
        """Feed the reader; route what is complete (unless paused); bound an unfinished reply."""
        reader = self._reader
        reader.feed(data)
        completed = self._parse()
        if self._paused or self.closed:
            return  # what is buffered while paused is bounded by paused reading
        # Bound what one unfinished reply may hold, as RedisProtocol does.
        self._partial = reader.len() if completed else self._partial + len(data)
        if self._partial > self.max_reply_bytes:
            self._too_large()

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        """``RedisProtocol.execute``; while paused, also read again until the reply has come."""
        fut = super().execute(*args, **kwargs)
        if self._paused and not self.closed:
            self._restart()
        return fut

    def _parse(self) -> bool:
        """Route every complete reply buffered, until paused; say whether any was complete."""
        reader = self._reader
        completed = False
        while True:
            if self._want_pause and not self._pending:
                self._stop()
                return completed
            try:
                reply = reader.gets()
            except (InvalidResponse, hiredis.ProtocolError) as e:
                self._abort(e if isinstance(e, InvalidResponse) else InvalidResponse(str(e)))
                return completed
            if reply is False:
                return completed
            completed = True
            if not self._route(reply):
                self._reply(reply)
            if self.closed:
                return completed

    def _route(self, reply: Any) -> bool:
        """Handle ``reply`` if it is pushed (not a command's reply); say whether it was."""
        raise NotImplementedError

    def _reply(self, reply: Any) -> None:
        """A command's reply: the oldest slot gets it (same rules as ``RedisProtocol``)."""
        pending = self._pending
        if not pending:
            self._abort(unexpected_reply(reply))
            return
        fut, convert, _ = pending.popleft()
        if fut.done():
            return
        if isinstance(reply, ResponseError):
            fut.set_exception(reply)
            return
        try:
            fut.set_result(convert_reply(reply, convert, self._decode))
        except Exception as e:
            fut.set_exception(e)

    def pause(self) -> None:
        """Stop parsing and reading until ``resume()`` (once no command awaits a reply)."""
        self._want_pause = True
        if not self._pending:
            self._stop()

    def resume(self) -> None:
        """Parse what was read meanwhile, then read from the socket again (unless re-paused)."""
        self._want_pause = False
        if self._paused:
            self._restart()

    def _stop(self) -> None:
        self._paused = True
        if self.transport is not None and not self.closed:
            self.transport.pause_reading()

    def _restart(self) -> None:
        self._paused = False
        self._parse()
        self._partial = self._reader.len()
        if not self._paused and self.transport is not None and not self.closed:
            self.transport.resume_reading()


class _FeedPool(Pool):
    """The feed's one-connection pool; it tells the feed when the connection goes away."""

    def __init__(self, config: ConnectionConfig, feed: Feed) -> None:
        self._feed = feed
        super().__init__(config, 1)

    def _slot_lost(self, slot: ConnectionSlot, proto: RedisProtocol) -> None:
        super()._slot_lost(slot, proto)
        self._feed._lost(proto, slot.state == "closed")

    def _slot_failed(self, slot: ConnectionSlot, err: BaseException, final: bool) -> None:
        super()._slot_failed(slot, err, final)
        if final:
            self._feed._finish(err)


_CLEAN_END = ConnectionError("closed")
#: Default bound on the bytes a feed queues for a consumer that falls behind.
MAX_QUEUE_BYTES = 16 << 20
_getsizeof = sys.getsizeof


def item_size(*parts: Any) -> int:
    """Memory an item's parts hold (str, bytes, numbers, None; lists summed): what
    ``max_queue_bytes`` counts."""
    n = 0
    for p in parts:
        n += item_size(*p) if type(p) is list else _getsizeof(p)
    return n


class Feed:
    """Base of ``Subscriber`` and ``Monitor`` (see the module docstring)."""

    def __init__(self, config: ConnectionConfig, max_queue: int = 10000, events: bool = False,
                 max_queue_bytes: int = MAX_QUEUE_BYTES) -> None:
        for name, bound in (("max_queue", max_queue), ("max_queue_bytes", max_queue_bytes)):
            if not isinstance(bound, int) or isinstance(bound, bool) or bound < 1:
                raise ValueError(f"{name} must be a positive integer, not {bound!r}")
        self.config = config
        self.max_queue = max_queue
        self.low_water = max_queue // 2
        self.max_queue_bytes = max_queue_bytes
        self.low_water_bytes = max_queue_bytes // 2
        self.events = events
        self.pauses = 0
        self.peak_queued = 0
        self.peak_queued_bytes = 0
        self._queue: deque[Any] = deque()
        self._sizes: deque[int] = deque()  # each queued item's item_size()
        self._queued_bytes = 0
        self._waiters: list[asyncio.Future[None]] = []
        self._proto: Optional[StreamProtocol] = None
        self._paused = False
        self._held: Optional[list[tuple]] = None
        self._resume_futs: list[asyncio.Future[Any]] = []  # the current connection's resume step
        self._deferred = 0  # sends waiting for a connection (see ``_defer``)
        self._end: Optional[BaseException] = None
        self._closing = False
        self._close_task: Optional[asyncio.Task[None]] = None
        self._had_connection = False
        self._pool = _FeedPool(config, self)
        self._started: asyncio.Future[None] = self._pool.loop.create_future()
        self._pool.on_ready.append(self._ready)

    # -- to be provided by subclasses -----------------------------------------------------------

    def _resume(self, proto: StreamProtocol) -> list[asyncio.Future[Any]]:
        """Send what re-establishes the stream on a new connection; return the replies' futures."""
        raise NotImplementedError

    def _receiver(self) -> Callable[..., None]:
        """Where pushed items go (``messageReceived``, called with the protocol's sink arguments)."""
        raise NotImplementedError

    # -- hooks a subclass may override ----------------------------------------------------------

    def disconnected(self, reason: BaseException) -> None:
        """The connection dropped (not by ``disconnect()``); pushed items may be missed."""
        if self.events:
            self._put(Disconnected(reason))

    def reconnected(self) -> None:
        """A new connection is up and the stream re-established (after ``disconnected``)."""
        if self.events:
            self._put(Reconnected())

    # -- connection life -------------------------------------------------------------------------

    def _ready(self, proto: RedisProtocol) -> None:
        """A connection is ready: send the resume commands, hold pushed items until they are confirmed."""
        assert isinstance(proto, StreamProtocol), "a feed's pool must use a StreamProtocol"
        self._proto = proto
        self._paused = False
        again, self._had_connection = self._had_connection, True
        if self._full():
            self._pause(proto)
        futs = self._resume_futs = self._resume(proto)
        if not futs:
            proto.sink = self._receiver()
            self._resumed(proto, futs, again)
            return
        self._held = []
        proto.sink = self._hold
        left = [len(futs)]

        def one_done(_: asyncio.Future[Any]) -> None:
            left[0] -= 1
            if left[0] == 0:
                self._resumed(proto, futs, again)

        for f in futs:
            f.add_done_callback(one_done)

    def _resumed(self, proto: StreamProtocol, futs: list[asyncio.Future[Any]], again: bool) -> None:
        """Every resume command answered: deliver what was held (or fail the feed if refused)."""
        errors = [f.exception() for f in futs if not f.cancelled() and f.exception() is not None]
        if proto is not self._proto:  # lost meanwhile: ``_lost`` released what was held
            return
        proto.sink = self._receiver()
        refused = next((e for e in errors if isinstance(e, ResponseError)), None)
        if refused is not None:
            # The server refuses the stream now (e.g. an ACL change): receiving nothing silently
            # would be worse than stopping; the iterator raises once the queue is drained.
            log.warning("%r: the server refused to re-establish the stream: %s", self, refused)
            self._release_held()
            self._fail(refused)
            return
        if not self._started.done():
            self._started.set_result(None)
        if again:
            self.reconnected()
        self._release_held()

    def _fail(self, err: BaseException) -> None:
        """End the feed with ``err``: notify, end the iterator, close the connection."""
        self._closing = True
        self.disconnected(err)
        self._finish(err)
        self._close_task = self._pool.loop.create_task(self._pool.close())

    def _release_held(self) -> None:
        held, self._held = self._held, None
        if held:
            receive = self._receiver()
            for item in held:
                receive(*item)

    def _hold(self, *item: Any) -> None:
        """The sink while the stream is being re-established: keep items back, in order."""
        if self._held is not None:
            self._held.append(item)

    def _lost(self, proto: RedisProtocol, final: bool) -> None:
        """The connection went away: report the gap, or end the feed if closing or final."""
        if proto is not self._proto:
            return
        self._proto = None
        self._paused = False
        self._release_held()
        if self._closing:
            self._finish(None)
            return
        reason = ConnectionError("Lost connection")
        self.disconnected(reason)
        if final:
            self._finish(reason)

    def _finish(self, exc: Optional[BaseException]) -> None:
        """No more items will come: the iterator ends (cleanly, or raising ``exc``)."""
        if self._end is None:
            self._end = exc or _CLEAN_END
        if not self._started.done():
            self._started.set_exception(exc or ConnectionError("Not connected"))
            self._started.exception()
        self._wake()

    # -- sending -------------------------------------------------------------------------------

    def _check_here(self) -> None:
        """Refuse at once to be used after fork() or from another event loop (see ``Pool.moved``)."""
        if self._pool.foreign():
            raise RedisError(
                f"{self!r} was made in another process or event loop: its connection cannot serve "
                "this one; open a new one here"
            )

    def _send(self, args: tuple, convert: Any) -> Any:
        """Send a command on the live connection, or once the one being made is ready."""
        self._check_here()
        proto = self._proto
        if proto is not None and not proto.closed and not self._deferred:
            return proto.execute(args, convert)
        self.config.encode(args)  # bad arguments fail now
        return self._defer(self._send_later(args, convert))

    async def _send_later(self, args: tuple, convert: Any) -> Any:
        proto = await self._wait_proto()
        return await proto.execute(args, convert)

    def _defer(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run ``coro``, a send waiting for the connection; until it is done, later sends queue
        behind it (so commands reach the server in call order)."""
        self._deferred += 1
        task = self._pool.loop.create_task(coro)
        task.add_done_callback(self._undefer)
        return task

    def _undefer(self, _: asyncio.Future[Any]) -> None:
        self._deferred -= 1

    async def _wait_proto(self, kept: str = "") -> StreamProtocol:
        """The live connection, once there is one (the resume step already sent on it)."""
        try:
            if self._closing:
                raise ConnectionError("Not connected")
            await self._pool.wait_ready()
            proto = self._proto
            if proto is None or proto.closed:
                raise ConnectionError("Not connected")
        except ConnectionError:
            if kept and not self._closing and self._end is None:
                raise ConnectionError(f"Not connected; {kept}") from None
            raise
        return proto

    # -- the queue and the iterator -------------------------------------------------------------

    def _put(self, item: Any, size: int = 64) -> None:
        """Queue an item of ``size`` bytes for the iterator; pause the protocol when full."""
        q = self._queue
        q.append(item)
        self._sizes.append(size)
        nbytes = self._queued_bytes = self._queued_bytes + size
        n = len(q)
        if n > self.peak_queued:
            self.peak_queued = n
        if nbytes > self.peak_queued_bytes:
            self.peak_queued_bytes = nbytes
        if not self._paused and self._proto is not None and self._full():
            self._pause(self._proto)
        if self._waiters:
            self._wake()

    def _full(self) -> bool:
        return len(self._queue) >= self.max_queue or self._queued_bytes >= self.max_queue_bytes

    def _pause(self, proto: StreamProtocol) -> None:
        self._paused = True
        self.pauses += 1
        proto.pause()

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for w in waiters:
            if not w.done():
                w.set_result(None)

    def __aiter__(self) -> Feed:
        """The feed is its own iterator (one consumer)."""
        return self

    async def __anext__(self) -> Any:
        """The next queued item, waiting for one; at the end, StopAsyncIteration (after
        ``disconnect()``) or the error that ended the feed. Resumes reading at the low-water mark."""
        self._check_here()
        q = self._queue
        while not q:
            if self._end is not None:
                if self._end is _CLEAN_END:
                    raise StopAsyncIteration
                raise self._end
            w = self._pool.loop.create_future()
            self._waiters.append(w)
            await w
        item = q.popleft()
        self._queued_bytes -= self._sizes.popleft()
        if self._paused and len(q) <= self.low_water and self._queued_bytes <= self.low_water_bytes:
            self._paused = False
            if self._proto is not None:
                self._proto.resume()
        return item

    def statistics(self) -> dict[str, Any]:
        """Queue state, for monitoring and tests: length, bounds, pauses so far, peak length."""
        return {
            "queued": len(self._queue), "max_queue": self.max_queue, "low_water": self.low_water,
            "queued_bytes": self._queued_bytes, "max_queue_bytes": self.max_queue_bytes,
            "low_water_bytes": self.low_water_bytes, "peak_queued_bytes": self.peak_queued_bytes,
            "paused": self._paused, "pauses": self.pauses, "peak_queued": self.peak_queued,
            "connected": self._proto is not None,
        }

    # -- opening and closing -------------------------------------------------------------------

    async def wait_started(self) -> None:
        """Wait until connected and the stream is established (raises the connect error)."""
        self._check_here()
        await self._pool.wait_all_ready()
        await asyncio.shield(self._started)

    async def disconnect(self) -> None:
        """Close the connection and stop reconnecting; the iterator ends after the queued items."""
        self._closing = True
        await self._pool.close()
        self._finish(None)

    async def __aenter__(self) -> Any:
        """Wait until started; if that fails, disconnect (no reconnecting left behind) and raise."""
        try:
            await self.wait_started()
        except BaseException:
            await self.disconnect()
            raise
        return self

    async def __aexit__(self, *exc: Any) -> None:
        """Disconnect."""
        await self.disconnect()

    def __repr__(self) -> str:
        """Class, address, state (connected/connecting/closed), queue length, paused."""
        state = "connected" if self._proto is not None else ("closed" if self._end else "connecting")
        return (
            f"<{type(self).__name__} {self.config.address} {state} queued={len(self._queue)}"
            f"{' paused' if self._paused else ''}>"
        )


F = TypeVar("F", bound=Feed)


def opening(feed: F) -> Connecting[F]:
    """What the non-lazy functions return: await it (or ``async with`` it) for the started feed."""
    return Connecting(feed, feed.wait_started)


def tcp_config(
    host: str, port: int, dbid: Optional[int], reconnect: bool, charset: Optional[str],
    password: Optional[str], ssl_context_factory: SSLOption, connectTimeout: Optional[float],
    replyTimeout: Optional[float], convertNumbers: bool, username: Optional[str], use_ssl: bool,
    client_name: Optional[str], protocol_class: type[RedisProtocol],
) -> ConnectionConfig:
    """A TCP ConnectionConfig from txredisapi-style arguments."""
    return ConnectionConfig(
        host=host, port=port, dbid=dbid, reconnect=reconnect, charset=charset,
        password=password, username=username, tls=ssl_context_factory or use_ssl,
        connect_timeout=connectTimeout, reply_timeout=replyTimeout,
        convert_numbers=convertNumbers, client_name=client_name, protocol_class=protocol_class,
    )


def unix_config(
    path: str, dbid: Optional[int], reconnect: bool, charset: Optional[str],
    password: Optional[str], connectTimeout: Optional[float], replyTimeout: Optional[float],
    convertNumbers: bool, username: Optional[str], client_name: Optional[str],
    protocol_class: type[RedisProtocol],
) -> ConnectionConfig:
    """A Unix-socket ConnectionConfig from txredisapi-style arguments."""
    return ConnectionConfig(
        host=None, path=path, dbid=dbid, reconnect=reconnect, charset=charset,
        password=password, username=username, connect_timeout=connectTimeout,
        reply_timeout=replyTimeout, convert_numbers=convertNumbers, client_name=client_name,
        protocol_class=protocol_class,
    )
