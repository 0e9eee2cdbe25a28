"""MONITOR on asyncio: ``async for line in await MonitorConnection(...)``.

The connection sends MONITOR first on every (re)connect; its ``OK`` resolves that command and is
never yielded as a line (txredisapi bug §11.8). Every later reply is one monitored command, a
``str`` such as ``'1700000000.123456 [0 127.0.0.1:51234] "SET" "k" "v"'``;
``parse_monitor_line`` splits it into a ``MonitoredCommand``.
"""

from __future__ import annotations

import asyncio
import re
import sys
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Optional, Union

from ._feed import (
    MAX_QUEUE_BYTES,
    Disconnected,
    Feed,
    Reconnected,
    StreamProtocol,
    opening,
    tcp_config,
    unix_config,
)
from .client import Connecting
from .connection import SSLOption

__all__ = [
    "Monitor",
    "MonitorConnection",
    "MonitorProtocol",
    "MonitoredCommand",
    "UnixMonitorConnection",
    "lazyMonitorConnection",
    "lazyUnixMonitorConnection",
    "parse_monitor_line",
]

MonitorItem = Union[str, Disconnected, Reconnected]


class MonitorProtocol(StreamProtocol):
    """After MONITOR's ``OK``, every reply is a monitored line for the sink."""

    def _route(self, reply: Any) -> bool:
        if self._pending:
            return False
        if self.sink is not None:
            self.sink(reply.decode("utf-8", "backslashreplace") if type(reply) is bytes else str(reply))
        return True


class Monitor(Feed):
    """A MONITOR connection: ``async for line in mon`` (or override ``messageReceived``)."""

    def _resume(self, proto: StreamProtocol) -> list[asyncio.Future[Any]]:
        return [proto.execute(("MONITOR",))]

    def _receiver(self) -> Callable[..., None]:
        return self.messageReceived

    def messageReceived(self, line: str) -> None:
        """Called for each monitored line (txredisapi's hook); the default queues it."""
        self._put(line, sys.getsizeof(line))

    async def stop(self) -> None:
        """Stop monitoring and close the connection (txredisapi's name for ``disconnect``)."""
        await self.disconnect()

    def __aiter__(self) -> Monitor:
        """Iterate with ``async for``: monitored lines (and, with ``events=True``, notices)."""
        return self

    if TYPE_CHECKING:  # the type only: at run time Feed.__anext__ is called directly

        async def __anext__(self) -> MonitorItem: ...


class MonitoredCommand(NamedTuple):
    """One MONITOR line, split: when, database, client (``ip:port``, ``unix:path``, ``lua``), args."""

    time: float
    db: int
    client: str
    args: list[Union[str, bytes]]


_LINE = re.compile(r"^(\d+(?:\.\d+)?) \[(\d+) ([^\]]*)\] ?(.*)$", re.S)
_ARG = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)
_ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "a": b"\a", "b": b"\b", '"': b'"', "\\": b"\\"}
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|.)", re.S)


def _unescape(s: str) -> Union[str, bytes]:
    def one(m: re.Match[str]) -> str:
        e = m.group(1)
        b = bytes([int(e[1:], 16)]) if e[0] == "x" and len(e) == 3 else _ESCAPES.get(e, e.encode())
        return b.decode("latin-1")

    raw = _ESCAPE.sub(one, s).encode("latin-1")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def parse_monitor_line(line: str) -> MonitoredCommand:
    """Split a MONITOR line; arguments are unescaped (``str``, or ``bytes`` if not UTF-8)."""
    m = _LINE.match(line)
    if m is None:
        raise ValueError(f"not a MONITOR line: {line!r}")
    args = [_unescape(a) for a in _ARG.findall(m.group(4))]
    return MonitoredCommand(float(m.group(1)), int(m.group(2)), m.group(3), args)


def MonitorConnection(
    host: str = "localhost", port: int = 6379, dbid: Optional[int] = None,
    reconnect: bool = True, charset: Optional[str] = "utf-8", password: Optional[str] = None,
    ssl_context_factory: SSLOption = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, use_ssl: bool = False, client_name: Optional[str] = None,
    max_queue: int = 10000, events: bool = False, max_queue_bytes: int = MAX_QUEUE_BYTES,
    monitor_class: type[Monitor] = Monitor,
) -> Connecting[Monitor]:
    """A MONITOR connection; await it for the ``Monitor`` once the server has said OK."""
    return opening(lazyMonitorConnection(
        host, port, dbid, reconnect, charset, password, ssl_context_factory, connectTimeout,
        replyTimeout, convertNumbers, username, use_ssl=use_ssl, client_name=client_name,
        max_queue=max_queue, events=events, max_queue_bytes=max_queue_bytes, monitor_class=monitor_class))


def lazyMonitorConnection(
    host: str = "localhost", port: int = 6379, dbid: Optional[int] = None,
    reconnect: bool = True, charset: Optional[str] = "utf-8", password: Optional[str] = None,
    ssl_context_factory: SSLOption = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, use_ssl: bool = False, client_name: Optional[str] = None,
    max_queue: int = 10000, events: bool = False, max_queue_bytes: int = MAX_QUEUE_BYTES,
    monitor_class: type[Monitor] = Monitor,
) -> Monitor:
    """A MONITOR connection returned at once; it connects and starts monitoring in the background."""
    cfg = tcp_config(host, port, dbid, reconnect, charset, password, ssl_context_factory,
                     connectTimeout, replyTimeout, convertNumbers, username, use_ssl, client_name,
                     MonitorProtocol)
    return monitor_class(cfg, max_queue, events, max_queue_bytes=max_queue_bytes)


def UnixMonitorConnection(
    path: str = "/tmp/redis.sock", dbid: Optional[int] = None, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *,
    client_name: Optional[str] = None, max_queue: int = 10000, events: bool = False,
    max_queue_bytes: int = MAX_QUEUE_BYTES,
    monitor_class: type[Monitor] = Monitor,
) -> Connecting[Monitor]:
    """A MONITOR connection over a Unix socket; await it for the ``Monitor``."""
    return opening(lazyUnixMonitorConnection(
        path, dbid, reconnect, charset, password, connectTimeout, replyTimeout, convertNumbers,
        username, client_name=client_name, max_queue=max_queue, events=events,
        max_queue_bytes=max_queue_bytes, monitor_class=monitor_class))


def lazyUnixMonitorConnection(
    path: str = "/tmp/redis.sock", dbid: Optional[int] = None, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *,
    client_name: Optional[str] = None, max_queue: int = 10000, events: bool = False,
    max_queue_bytes: int = MAX_QUEUE_BYTES,
    monitor_class: type[Monitor] = Monitor,
) -> Monitor:
    """A MONITOR connection over a Unix socket, returned at once."""
    cfg = unix_config(path, dbid, reconnect, charset, password, connectTimeout, replyTimeout,
                      convertNumbers, username, client_name, MonitorProtocol)
    return monitor_class(cfg, max_queue, events, max_queue_bytes=max_queue_bytes)
