"""The wire: one asyncio.Protocol per Redis connection.

How this works
--------------
* ``execute(args)`` encodes the request (raising before anything is queued if an argument is
  bad), appends the bytes to a write buffer and appends a *slot* ``(future, convert, deadline)``
  to a FIFO, all in one synchronous step. The buffer is flushed once per loop iteration
  (``call_soon``), so commands issued together share one ``write``.
* An explicit pipeline is one FIFO entry (a ``ReplyBatch``) that takes as many replies as it
  has commands (``execute_batch``); MULTI ... EXEC and ordinary commands have one slot each.
* Replies are matched to slots strictly in FIFO order. A slot whose future is already done
  (its caller was cancelled or timed out) still consumes its reply, which is then dropped: the
  stream can never shift.
* A top-level bulk string of 128 KiB or more is read into a buffer of its own, not through
  hiredis; a request with a large argument is copied once into a kept frame buffer
  (``_large.py``).
* Reply errors arrive as ``ResponseError`` values (hiredis ``replyError``); at top level they
  become the future's exception, nested ones stay in place.
* Connection lost: every pending slot fails with ``ConnectionError("Lost connection")``.
  Malformed input: every pending slot fails with ``InvalidResponse`` and the transport is
  aborted. A reply with no slot waiting is malformed input too.
* ``replyTimeout``: each slot that is not exempt records a deadline; one watchdog timer per
  connection checks the oldest. When it passes, all pending slots fail with ``TimeoutError``
  and the transport is aborted (the owner reconnects).
* Bounded in flight: a connection with ``max_inflight`` replies owed, or ``max_output_bytes``
  of requests not yet taken by the kernel (our buffer plus the transport's, which pauses us past
  that mark), is ``full``. Pools then keep new commands in their backlog (``Pool.pick_free``);
  once the owner marked it ``saturated``, the connection calls ``on_drain`` when it is no
  longer full, and the backlog moves on.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Optional

import hiredis

from ._batch import BATCH, ReplyBatch
from ._future import ReplyFuture
from ._large import DIRECT_PEEK, LargeValues
from ._resp import Decoder, PartsEncoder, Raw, new_reader, unexpected_reply
from .errors import ConnectionError, InvalidResponse, RedisError, ResponseError, TimeoutError

if TYPE_CHECKING:
    from .commands._dialects import ServerIdentity

__all__ = ["RedisProtocol"]

Convert = Optional[Callable[[Any], Any]]


# Reads go into one buffer per connection (BufferedProtocol): 64 KiB, grown to 256 KiB once a
# read fills it. asyncio's plain path allocates a 256 KiB bytes per read, which glibc maps and
# unmaps each time (mmap + mremap + munmap and page faults for every reply).
_READ_MIN = 1 << 16
_READ_MAX = 1 << 18


class RedisProtocol(LargeValues, asyncio.BufferedProtocol):
    """Bytes in, bytes out, a FIFO of reply slots. Knows nothing of pools or reconnects."""

    #: Largest unfinished reply kept in memory (Redis' own proto-max-bulk-len is 512 MiB).
    max_reply_bytes = 1 << 30
    #: Replies owed before a pool stops giving this connection new commands.
    max_inflight = 10_000
    #: Request bytes not yet taken by the kernel before a pool stops giving it new commands.
    max_output_bytes = 16 << 20

    def __init__(
        self,
        encode: PartsEncoder,
        decode: Decoder,
        reply_timeout: Optional[float] = None,
        on_close: Optional[Callable[[RedisProtocol], None]] = None,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._encode = encode
        self._decode = decode
        self._reader = new_reader()
        self._rview = memoryview(bytearray(_READ_MIN))
        self._partial = 0
        self._clean = True  # hiredis stopped between two replies
        self._init_large()
        # (Future or ReplyBatch, convert, deadline), in request order
        self._pending: deque[tuple[Any, Any, Optional[float]]] = deque()
        self._wbuf: list[Any] = []  # requests to write: bytes, or lists of pieces (_write_parts)
        self._wparts = False  # _wbuf holds a list of pieces
        self._flush_handle: Optional[asyncio.Handle] = None
        self._watchdog: Optional[asyncio.TimerHandle] = None
        self.on_close = on_close
        self.reply_timeout = reply_timeout
        self.transport: Optional[asyncio.Transport] = None
        self.closed = False
        self.leased = False
        #: This connection's server accepted MULTI before (transactions then skip waiting for it).
        self.multi_confirmed = False
        #: Which server this is (product and version), from the handshake's HELLO; None if unknown.
        self.server: Optional[ServerIdentity] = None
        self._wbytes = 0  # bytes in _wbuf
        self._write_paused = False  # the transport holds more than max_output_bytes
        #: ``_write_paused`` or ``_wbuf`` past max_output_bytes: no new commands from pools.
        self.write_blocked = False
        #: The owner left commands waiting because this was full: call ``on_drain`` once it is not.
        self.saturated = False
        self.on_drain: Optional[Callable[[RedisProtocol], None]] = None
        self._closed_waiter: asyncio.Future[None] = self._loop.create_future()

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        try:
            transport.set_write_buffer_limits(high=self.max_output_bytes)  # type: ignore[attr-defined]
        except (AttributeError, NotImplementedError):  # pragma: no cover - exotic transports
            pass

    def pause_writing(self) -> None:
        self._write_paused = self.write_blocked = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self.write_blocked = self._wbytes >= self.max_output_bytes
        if self.saturated:
            self._maybe_drained()

    def full(self) -> bool:
        """Whether a pool should keep new commands back (see the module docstring)."""
        return self.write_blocked or len(self._pending) >= self.max_inflight

    def _maybe_drained(self) -> None:
        if not self.full() and not self.closed:
            self.saturated = False
            if self.on_drain is not None:
                self.on_drain(self)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self._mark_closed()
        self._fail_all(ConnectionError("Lost connection"))
        if not self._closed_waiter.done():
            self._closed_waiter.set_result(None)

    def _mark_closed(self) -> None:
        """Become unusable now (before the transport reports the loss) and tell the owner."""
        if not self.closed:
            self.closed = True
            if self.on_close is not None:
                self.on_close(self)

    def get_buffer(self, sizehint: int) -> memoryview:
        if self._big_view is not None:  # a large bulk string: straight into its own buffer
            return self._big_view[self._got:]
        return self._rview

    def buffer_updated(self, nbytes: int) -> None:
        big = self._big_view
        if big is not None:
            self._got += nbytes
            if self._got == len(big):
                self._big_view = None
                self._deliver_big(big.obj)  # type: ignore[arg-type]  # the bytearray it views
            return
        view = self._rview
        if nbytes == len(view) and nbytes < _READ_MAX:  # a full read: big replies come here
            self._rview = memoryview(bytearray(nbytes * 4))
        self.data_received(view[:nbytes])  # type: ignore[arg-type]  # fed (copied) at once
        if self.saturated:
            self._maybe_drained()

    def data_received(self, data: bytes) -> None:
        if self._skip:  # the CRLF that ends a bulk string read directly
            data = self._skip_crlf(data)
            if not data:
                return
        if self._clean and data[0] == 36 and len(data) >= DIRECT_PEEK and self._direct(data):
            return
        reader = self._reader
        reader.feed(data)
        completed = self._dispatch(reader.gets)
        if self.closed:
            return
        # Bound what one unfinished reply may hold (a hostile "$10000000000" or endless array).
        self._partial = reader.len() if completed else self._partial + len(data)
        if self._partial > self.max_reply_bytes:
            self._too_large()

    def _dispatch(self, gets: Callable[[], Any]) -> bool:
        """Hand each reply ``gets`` returns to its slot, in order; say whether any came.

        Also records whether the reader stopped between replies (``_clean``): only then may the
        next bytes start a top-level reply (hiredis may have consumed an array's header).
        """
        pending = self._pending
        decode = self._decode
        has_data = self._reader.has_data
        completed = False
        while True:
            try:
                reply = gets()
            except (InvalidResponse, hiredis.ProtocolError) as e:
                self._abort(e if isinstance(e, InvalidResponse) else InvalidResponse(str(e)))
                return completed
            if reply is False:
                self._clean = False
                return completed
            completed = True
            if not pending:
                self._abort(unexpected_reply(reply))
                return completed
            head = pending[0]
            if head[1] is BATCH:  # a pipeline's one entry: it stays at the head until full
                if head[0].add(reply) and pending and pending[0] is head:
                    pending.popleft()
            else:
                fut, convert, _ = pending.popleft()
                if fut.done():
                    pass
                elif isinstance(reply, ResponseError):
                    fut.set_exception(reply)
                else:
                    try:
                        if convert is None:
                            fut.set_result(decode(reply))
                        elif type(convert) is Raw:
                            fut.set_result(convert.fn(reply))
                        else:
                            fut.set_result(convert(decode(reply)))
                    except Exception as e:  # a converter failed: that caller gets the error
                        fut.set_exception(e)
            if not has_data():
                self._clean = True
                return completed

    # -- commands ----------------------------------------------------------------------------

    def execute(
        self, args: tuple, convert: Convert | Raw = None, timeout: bool = True, fut: Any = None,
        grace: float = 0.0,
    ) -> Any:
        """Send one command; return a Future of its converted reply.

        ``fut`` replaces the new Future with any object having Future's ``done``,
        ``set_result`` and ``set_exception`` (the Twisted shim passes a Deferred that the reply
        fires directly, without a Future and a loop hop in between). ``grace`` is added to the
        replyTimeout deadline (a blocking command's own server-side timeout).
        """
        data = self._encode(args)
        if self.closed:
            if fut is None:
                fut = self._loop.create_future()
            fut.set_exception(ConnectionError("Not connected"))
            return fut
        deadline = None
        if timeout and self.reply_timeout is not None:
            deadline = self._deadline(grace)
        pending = self._pending
        if self._flush_handle is None and not pending and not self.leased and self.transport is not None:
            # An idle shared connection: nothing to coalesce with, so send now, and answer with
            # a ReplyFuture so the (likely sequential) caller resumes within data_received: no
            # loop iteration either side. Commands that follow it coalesce. A leased connection
            # (transaction, pipeline) expects a burst: keep that in one write.
            if fut is None:
                fut = ReplyFuture(loop=self._loop)
            pending.append((fut, convert, deadline))
            if type(data) is bytes:
                self.transport.write(data)
            else:
                self._write_parts([data])
            return fut
        if fut is None:
            fut = self._loop.create_future()
        pending.append((fut, convert, deadline))
        if self._flush_handle is None:
            self._flush_handle = self._loop.call_soon(self._flush)
        self._wbuf.append(data)
        if type(data) is bytes:
            self._wbytes += len(data)
        else:
            self._wparts = True
            self._wbytes += sum([len(piece) for piece in data])  # type: ignore[misc,arg-type]
        if self._wbytes >= self.max_output_bytes:
            self.write_blocked = True
        return fut

    def execute_encoded(self, data: bytes, slots: list[tuple[asyncio.Future[Any], Any, bool]]) -> None:
        """Queue already-encoded requests with their ``(future, convert, timed)`` slots, in order.

        Explicit pipelines use this: ``data`` holds every request, written with what else is
        buffered in one ``write``.
        """
        if self.closed:
            err = ConnectionError("Not connected")
            for fut, _, _ in slots:
                if not fut.done():
                    fut.set_exception(err)
            return
        if self.reply_timeout is None:
            self._pending.extend([(f, c, None) for f, c, _ in slots])
        else:
            deadline = self._deadline()
            self._pending.extend([(f, c, deadline if t else None) for f, c, t in slots])
        self._wbuf.append(data)
        if self._flush_handle is None:
            self._flush_handle = self._loop.call_soon(self._flush)

    def execute_batch(self, data: bytes | bytearray, batch: ReplyBatch, timed: bool = True) -> None:
        """Write an explicit pipeline's requests now, with one FIFO entry for all its replies.

        ``timed=False`` (it holds a blocking command) exempts the whole batch from replyTimeout.
        """
        if self.closed:
            batch.set_exception(ConnectionError("Not connected"))
            return
        deadline = self._deadline() if timed and self.reply_timeout is not None else None
        self._pending.append((batch, BATCH, deadline))
        self._wbuf.append(data)
        self.flush()

    def flush(self) -> None:
        """Write what is buffered now: the end of a burst (EXEC) has nothing left to wait for."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        self._flush()

    def _flush(self) -> None:
        self._flush_handle = None
        buf = self._wbuf
        self._wbytes = 0
        self.write_blocked = self._write_paused
        if not buf or self.transport is None or self.closed:
            buf.clear()
            return
        if self._wparts:
            self._wparts = False
            self._write_parts(buf)
        else:
            self.transport.write(buf[0] if len(buf) == 1 else b"".join(buf))
        buf.clear()
        if self.saturated:
            self._maybe_drained()

    @property
    def pending(self) -> int:
        """Commands written (or about to be) whose replies have not arrived."""
        return len(self._pending)

    def close(self) -> None:
        """Close gracefully after writing what is buffered; pending commands fail as lost."""
        if self.transport is not None and not self.closed:
            self._flush()
            self._mark_closed()
            self.transport.close()

    async def wait_closed(self) -> None:
        await asyncio.shield(self._closed_waiter)

    # -- failure paths ---------------------------------------------------------------------

    def _fail_all(self, exc: RedisError) -> None:
        pending = self._pending
        while pending:
            fut = pending.popleft()[0]
            if not fut.done():
                fut.set_exception(exc)
        self._wbuf.clear()
        self._wbytes = 0
        self._wparts = False
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def _abort(self, exc: RedisError) -> None:
        """Fail everything pending with ``exc`` and drop the connection at once."""
        self._mark_closed()
        self._fail_all(exc)
        if self.transport is not None:
            self.transport.abort()

    def _too_large(self) -> None:
        """An unfinished reply passed ``max_reply_bytes``: fail everything and close."""
        self._abort(
            InvalidResponse(f"Reply larger than max_reply_bytes={self.max_reply_bytes}; closing")
        )

    def _deadline(self, grace: float = 0.0) -> float:
        """The replyTimeout deadline of a request written now; starts the watchdog if idle."""
        assert self.reply_timeout is not None
        deadline = self._loop.time() + self.reply_timeout + grace
        if self._watchdog is None:
            self._watchdog = self._loop.call_at(deadline, self._check_timeouts)
        return deadline

    def _check_timeouts(self) -> None:
        self._watchdog = None
        now = self._loop.time()
        for _fut, _conv, deadline in self._pending:
            if deadline is None:
                continue
            if deadline <= now:
                self._abort(
                    TimeoutError(f"Not received Redis response in {self.reply_timeout} seconds")
                )
                return
            self._watchdog = self._loop.call_at(deadline, self._check_timeouts)
            return
