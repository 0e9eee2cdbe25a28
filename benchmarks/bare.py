"""The bare-protocol reference client: the cost floor of this design, nothing else.

asyncio.Protocol, one Future per command, ``hiredis.pack_command``, ``hiredis.Reader``, writes
coalesced once per loop iteration. No conversions, pools, timeouts, reconnects or error
handling: whatever txredis_aio costs beyond this is the price of its features.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Callable, Optional

import hiredis


class BareProtocol(asyncio.Protocol):
    """Commands in, replies out, in FIFO order; replies nobody waits for go to ``on_push``."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.reader = hiredis.Reader()
        self.waiters: deque[asyncio.Future[Any]] = deque()
        self.wbuf: list[bytes] = []
        self.transport: Optional[asyncio.Transport] = None
        self.on_push: Optional[Callable[[Any], None]] = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        reader = self.reader
        reader.feed(data)
        waiters = self.waiters
        while True:
            reply = reader.gets()
            if reply is False:
                return
            if waiters:
                waiters.popleft().set_result(reply)
            elif self.on_push is not None:
                self.on_push(reply)

    def execute(self, *args: Any) -> asyncio.Future[Any]:
        """Queue one command; its Future gets the raw hiredis reply."""
        if not self.wbuf:
            self.loop.call_soon(self.flush)
        self.wbuf.append(hiredis.pack_command(args))
        fut = self.loop.create_future()
        self.waiters.append(fut)
        return fut

    def flush(self) -> None:
        assert self.transport is not None
        self.transport.write(b"".join(self.wbuf))
        self.wbuf.clear()


async def connect(host: str, port: int) -> BareProtocol:
    """Open one connection."""
    _, proto = await asyncio.get_running_loop().create_connection(BareProtocol, host, port)
    return proto
