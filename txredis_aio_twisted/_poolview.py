"""``handler._factory`` for handlers of the connection functions: their core pool, seen the way
txredisapi's ``RedisFactory`` showed its connections.

txredisapi's handlers always had a factory (``db._factory.size``, ``.pool``,
``.getConnection(True)``: its tests and some applications read them). Here the connection
functions' handlers run on a core ``Pool``; ``PoolFactory`` shows that pool with those names:
``size`` (live connections), ``pool`` (one ``PooledConnection`` per live connection),
``getConnection(peek)`` (the least busy shared connection; never leased, as a factory's), and
``uuid``/``dbid``/``poolsize``. A ``PooledConnection`` offers what such code does with a
connection: ``transport.loseConnection()``/``abortConnection()`` (the pool reconnects as after
any loss), ``transport.getPeer()``/``getHost()``, ``connected``, and ``script_hashes`` (the
handler's script cache, compatibility S2). Commands go through the handler, not the connection.
"""

from __future__ import annotations

import socket
import weakref
from typing import Any, Optional

from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.internet.defer import Deferred

from ._defer import as_deferred

__all__ = ["PoolFactory", "PooledConnection"]

_VIEWS: weakref.WeakKeyDictionary[Any, PooledConnection] = weakref.WeakKeyDictionary()


def _address(info: Any, transport: Any) -> Any:
    sock = transport.get_extra_info("socket")
    family = getattr(sock, "family", None)
    if family == socket.AF_UNIX or isinstance(info, (str, bytes)):
        return UNIXAddress(info or None)
    if not isinstance(info, tuple) or len(info) < 2:
        return None
    cls = IPv6Address if family == socket.AF_INET6 or len(info) == 4 else IPv4Address
    return cls("TCP", info[0], int(info[1]))


class _Transport:
    """The part of a Twisted transport that code holding a pool's connection uses."""

    def __init__(self, proto: Any) -> None:
        self._proto = proto

    @property
    def connected(self) -> int:
        return int(self._proto.transport is not None and not self._proto.closed)

    def loseConnection(self) -> None:
        """Close the connection (buffered commands are written first); the pool reconnects."""
        self._proto.close()

    def abortConnection(self) -> None:
        """Drop the connection at once; the pool reconnects."""
        transport = self._proto.transport
        if transport is not None:
            transport.abort()

    def getPeer(self) -> Any:
        """The server's address (``IPv4Address``/``IPv6Address``/``UNIXAddress``)."""
        transport = self._proto.transport
        return None if transport is None else _address(
            transport.get_extra_info("peername"), transport)

    def getHost(self) -> Any:
        """This end's address."""
        transport = self._proto.transport
        return None if transport is None else _address(
            transport.get_extra_info("sockname"), transport)


class PooledConnection:
    """One live connection of a core pool (see the module docstring)."""

    def __init__(self, proto: Any, factory: PoolFactory) -> None:
        self._proto = proto
        self.factory = factory
        self.transport = _Transport(proto)

    @property
    def connected(self) -> int:
        """1 while the connection is open (txredisapi's protocol attribute)."""
        return self.transport.connected

    @property
    def script_hashes(self) -> set[str]:
        """The SHA1s the handler believes the server has (one cache per handler, S2)."""
        shas: set[str] = self.factory._handler._core._script_shas()
        return shas

    def __repr__(self) -> str:
        return f"<PooledConnection {self.transport.getPeer()} of {self.factory.uuid}>"


class PoolFactory:
    """``handler._factory`` of a handler from the connection functions (module docstring)."""

    isLazy = True

    def __init__(self, handler: Any) -> None:
        self._handler = handler

    @property
    def _pool(self) -> Any:
        return self._handler._core._pool  # looked up each time: a moved pool is replaced

    @property
    def uuid(self) -> str:
        """``host:port`` or the socket path, as txredisapi's factory."""
        return str(self._pool.config.address)

    @property
    def dbid(self) -> Optional[int]:
        dbid: Optional[int] = self._pool.config.dbid
        return dbid

    @property
    def poolsize(self) -> int:
        return int(self._pool.poolsize)

    @property
    def size(self) -> int:
        """How many connections are up."""
        return int(self._pool.connected)

    @property
    def pool(self) -> list[PooledConnection]:
        """The live connections, leased ones included."""
        out = []
        for proto in self._pool.live_protocols():
            view = _VIEWS.get(proto)
            if view is None or view.factory is not self:
                view = _VIEWS[proto] = PooledConnection(proto, self)
            out.append(view)
        return out

    def getConnection(self, peek: bool = False, put_back: bool = False) -> Deferred:
        """A Deferred of the least busy shared connection; waits (as the pool's commands do)
        while none is up. Nothing is leased: commands still go through the handler."""
        async def pick() -> PooledConnection:
            pool = self._pool
            await pool.wait_ready()
            proto = pool.pick() or (pool.live_protocols() or [None])[0]
            if proto is None:  # pragma: no cover - wait_ready() returned with one up
                from txredis_aio.errors import ConnectionError

                raise ConnectionError("Not connected")
            return next(c for c in self.pool if c._proto is proto)

        return as_deferred(pick())

    def disconnect(self) -> Deferred:
        """The handler's ``disconnect()``."""
        d: Deferred = self._handler.disconnect()
        return d

    def __repr__(self) -> str:
        return f"<PoolFactory {self.uuid} size={self.size}/{self.poolsize}>"
