"""A small TCP fault proxy on 127.0.0.1 for network-fault tests.

Each accepted client gets its own upstream connection to the target. Modes can be switched at
any time: ``pass``, ``blackhole`` (bytes are swallowed in both directions, nothing is closed),
``latency`` (every chunk is delayed), and ``reset_all()`` aborts every live link.
"""

from __future__ import annotations

import asyncio
from typing import Optional


class FaultProxy:
    """Forward 127.0.0.1:<port> to a target, with injectable faults."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode = "pass"
        self.latency = 0.0
        self.port = 0
        self.bytes_down = 0
        # Abort a link once this many bytes have gone down it (a reset mid-reply).
        self.reset_after_bytes: Optional[int] = None
        self._server: Optional[asyncio.AbstractServer] = None
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _accept(self, cr: asyncio.StreamReader, cw: asyncio.StreamWriter) -> None:
        try:
            ur, uw = await asyncio.open_connection(*self.target)
        except OSError:
            cw.close()
            return
        link = (cw, uw)
        self._links.add(link)
        for t in (self._pump(cr, uw, False), self._pump(ur, cw, True, link)):
            task = asyncio.ensure_future(t)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(
        self, r: asyncio.StreamReader, w: asyncio.StreamWriter, down: bool,
        link: Optional[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = None,
    ) -> None:
        sent = 0
        try:
            while True:
                data = await r.read(65536)
                if not data:
                    break
                if self.mode == "blackhole":
                    continue
                if self.mode == "latency" and self.latency:
                    await asyncio.sleep(self.latency)
                if down:
                    self.bytes_down += len(data)
                    sent += len(data)
                    if self.reset_after_bytes is not None and sent > self.reset_after_bytes and link:
                        w.write(data[: len(data) // 2])
                        self._abort(link)
                        return
                w.write(data)
                await w.drain()
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            w.close()

    def _abort(self, link: tuple[asyncio.StreamWriter, asyncio.StreamWriter]) -> None:
        for w in link:
            if w.transport is not None:
                w.transport.abort()
        self._links.discard(link)

    def reset_all(self) -> None:
        """Abort every live link (clients see a connection reset)."""
        for link in list(self._links):
            self._abort(link)

    async def stop(self) -> None:
        self.reset_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for t in list(self._tasks):
            t.cancel()
