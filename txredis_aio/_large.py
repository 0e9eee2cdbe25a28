"""Large values without extra copies or fresh pages: the ``RedisProtocol`` methods for them.

* A top-level bulk string of ``DIRECT`` bytes or more is read into a ``bytearray`` of its own
  (``get_buffer`` hands the kernel the rest of it), not through hiredis (read buffer, hiredis'
  buffer, a ``bytes``: three copies). It goes to its slot as soon as its last byte is in; its
  CRLF is checked when it arrives.
* A request with a large argument comes from the encoder as a list of pieces, copied once into a
  frame buffer and written in one ``write`` (a fresh joined frame per request meant fresh pages
  each time: glibc trims and regrows its heap around 1 MiB objects; three separate writes
  measured slower than the copy).
* Both buffers are kept for the next large value up to ``KEEP`` bytes; the frame buffer only if
  the transport holds nothing of it afterwards (uvloop may queue the written view itself).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Optional

from ._batch import BATCH
from ._resp import Raw
from .errors import InvalidResponse, RedisError

__all__ = ["DIRECT", "DIRECT_PEEK", "KEEP", "LargeValues"]

#: Bulk strings at least this long are read directly, when their first read holds at least
#: ``DIRECT_PEEK`` bytes (a short first read goes to hiredis as usual).
DIRECT = 1 << 17
DIRECT_PEEK = 1 << 10
#: Buffers for large replies and requests up to this size are kept for the next one.
KEEP = 1 << 21


class LargeValues:
    """Mixin of ``RedisProtocol``: direct reads of large bulk strings, one-copy large writes."""

    if TYPE_CHECKING:  # provided by RedisProtocol
        _pending: deque[tuple[Any, Any, Optional[float]]]
        transport: Optional[asyncio.Transport]
        closed: bool
        max_reply_bytes: int

        def _dispatch(self, gets: Callable[[], Any]) -> bool: ...
        def _abort(self, exc: RedisError) -> None: ...
        def _too_large(self) -> None: ...
        def data_received(self, data: bytes) -> None: ...

    def _init_large(self) -> None:
        """The mixin's state (RedisProtocol.__init__ calls it)."""
        self._big_view: Optional[memoryview] = None  # a large bulk string being read into
        self._got = 0
        self._skip = 0  # bytes of a direct bulk string's CRLF still to come
        self._big_keep: Optional[bytearray] = None  # the last one's buffer, for the next
        self._wframe: Optional[bytearray] = None  # _write_parts' buffer, kept for the next

    def _direct(self, data: bytes) -> bool:
        """If ``data`` starts a top-level bulk string of ``DIRECT`` bytes or more, read it
        into a buffer of its own (no copies into hiredis and out again); say whether it did."""
        head = bytes(data[:24])
        end = head.find(b"\r\n")
        digits = head[1:end]
        if end < 0 or not digits.isdigit() or int(digits) < DIRECT:
            return False  # hiredis takes it (and reports a malformed header)
        n = int(digits)
        if n > self.max_reply_bytes:
            self._too_large()
            return True
        start = end + 2
        big = self._big_keep
        if big is not None and n <= len(big) <= 2 * n:
            del big[n:]  # shrinks in place (a bytearray reallocates below half its size)
        else:
            big = bytearray(n)
        self._big_keep = big if n <= KEEP else None
        got = min(n, len(data) - start)
        big[:got] = data[start:start + got]
        if got < n:
            self._big_view, self._got = memoryview(big), got
            return True
        self._deliver_big(big)
        rest = data[start + got:]
        if rest and not self.closed:
            self.data_received(rest)
        return True

    def _deliver_big(self, big: bytearray) -> None:
        """Hand a directly read bulk string to its slot as soon as its last byte is in (the
        caller's next command can leave now); its CRLF is checked when it arrives."""
        self._skip = 2
        head = self._pending[0][1] if self._pending else None
        # Decoders take a bytearray; Raw converters and pipelines get bytes, as from hiredis.
        reply = bytes(big) if head is BATCH or type(head) is Raw else big
        self._dispatch(iter((reply, False)).__next__)

    def _skip_crlf(self, data: bytes) -> bytes:
        """Check and drop (the rest of) the CRLF that ends a directly read bulk string."""
        k = min(self._skip, len(data))
        if bytes(data[:k]) != b"\r\n"[2 - self._skip:2 - self._skip + k]:
            self._abort(InvalidResponse("Bulk string not terminated by CRLF"))
            return b""
        self._skip -= k
        return data[k:]

    def _write_parts(self, items: list) -> None:
        """Write requests, some of them lists of pieces (a large argument), in one ``write``,
        copied into this connection's frame buffer."""
        transport = self.transport
        assert transport is not None
        n = 0
        for item in items:
            n += sum(map(len, item)) if type(item) is list else len(item)
        frame = self._wframe
        if frame is None or len(frame) < n:
            frame = bytearray(n)
        view = memoryview(frame)
        pos = 0
        for item in items:
            for piece in (item if type(item) is list else (item,)):
                end = pos + len(piece)
                view[pos:end] = piece
                pos = end
        transport.write(view[:n])
        # Kept only if nothing of it may still be referenced (a loop may queue the view itself).
        self._wframe = frame if len(frame) <= KEEP and not transport.get_write_buffer_size() else None
