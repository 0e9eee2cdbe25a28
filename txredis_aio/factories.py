"""txredisapi's connection functions, with its argument order and defaults.

Non-lazy functions return an awaitable (also an async context manager) that resolves with the
handler once all ``poolsize`` connections are ready; lazy ones return the handler at once.
Keyword-only extras beyond txredisapi: ``use_ssl`` (same as ``ssl_context_factory=True``) and
``client_name`` (CLIENT SETNAME on every connection) and ``client_setinfo`` (False: no CLIENT
SETINFO LIB-NAME/LIB-VER in the handshake).
"""

from __future__ import annotations

from typing import Optional

from .client import Connecting, ConnectionHandler
from .connection import ConnectionConfig, SSLOption
from .pool import Pool

__all__ = [
    "Connection",
    "ConnectionPool",
    "UnixConnection",
    "UnixConnectionPool",
    "lazyConnection",
    "lazyConnectionPool",
    "lazyUnixConnection",
    "lazyUnixConnectionPool",
    "make_handler",
]


def make_handler(config: ConnectionConfig, poolsize: int) -> ConnectionHandler:
    """A handler over a new pool that starts connecting at once."""
    return ConnectionHandler(Pool(config, poolsize))


def _tcp(
    host: str, port: int, dbid: Optional[int], poolsize: int, reconnect: bool,
    charset: Optional[str], password: Optional[str], ssl_context_factory: SSLOption,
    connectTimeout: Optional[float], replyTimeout: Optional[float], convertNumbers: bool,
    username: Optional[str], use_ssl: bool, client_name: Optional[str], client_setinfo: bool = True,
) -> ConnectionHandler:
    cfg = ConnectionConfig(
        host=host, port=port, dbid=dbid, reconnect=reconnect, charset=charset,
        password=password, username=username, tls=ssl_context_factory or use_ssl,
        connect_timeout=connectTimeout, reply_timeout=replyTimeout,
        convert_numbers=convertNumbers, client_name=client_name, client_setinfo=client_setinfo,
    )
    return make_handler(cfg, poolsize)


def _unix(
    path: str, dbid: Optional[int], poolsize: int, reconnect: bool, charset: Optional[str],
    password: Optional[str], connectTimeout: Optional[float], replyTimeout: Optional[float],
    convertNumbers: bool, username: Optional[str], client_name: Optional[str], client_setinfo: bool = True,
) -> ConnectionHandler:
    cfg = ConnectionConfig(
        host=None, path=path, dbid=dbid, reconnect=reconnect, charset=charset,
        password=password, username=username, connect_timeout=connectTimeout,
        reply_timeout=replyTimeout, convert_numbers=convertNumbers, client_name=client_name,
        client_setinfo=client_setinfo,
    )
    return make_handler(cfg, poolsize)


def Connection(
    host: str = "localhost", port: int = 6379, dbid: Optional[int] = None,
    reconnect: bool = True, charset: Optional[str] = "utf-8", password: Optional[str] = None,
    ssl_context_factory: SSLOption = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, use_ssl: bool = False, client_name: Optional[str] = None,
    client_setinfo: bool = True,
) -> Connecting[ConnectionHandler]:
    """One connection; await it for the handler."""
    return _tcp(host, port, dbid, 1, reconnect, charset, password, ssl_context_factory,
                connectTimeout, replyTimeout, convertNumbers, username, use_ssl,
                client_name, client_setinfo)._connected


def lazyConnection(
    host: str = "localhost", port: int = 6379, dbid: Optional[int] = None,
    reconnect: bool = True, charset: Optional[str] = "utf-8", password: Optional[str] = None,
    ssl_context_factory: SSLOption = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, use_ssl: bool = False, client_name: Optional[str] = None,
    client_setinfo: bool = True,
) -> ConnectionHandler:
    """One connection; the handler is returned at once and connects in the background."""
    return _tcp(host, port, dbid, 1, reconnect, charset, password, ssl_context_factory,
                connectTimeout, replyTimeout, convertNumbers, username, use_ssl, client_name,
                client_setinfo)


def ConnectionPool(
    host: str = "localhost", port: int = 6379, dbid: Optional[int] = None, poolsize: int = 10,
    reconnect: bool = True, charset: Optional[str] = "utf-8", password: Optional[str] = None,
    ssl_context_factory: SSLOption = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, use_ssl: bool = False, client_name: Optional[str] = None,
    client_setinfo: bool = True,
) -> Connecting[ConnectionHandler]:
    """A pool of ``poolsize`` connections; await it for the handler."""
    return _tcp(host, port, dbid, poolsize, reconnect, charset, password, ssl_context_factory,
                connectTimeout, replyTimeout, convertNumbers, username, use_ssl,
                client_name, client_setinfo)._connected


def lazyConnectionPool(
    host: str = "localhost", port: int = 6379, dbid: Optional[int] = None, poolsize: int = 10,
    reconnect: bool = True, charset: Optional[str] = "utf-8", password: Optional[str] = None,
    ssl_context_factory: SSLOption = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, use_ssl: bool = False, client_name: Optional[str] = None,
    client_setinfo: bool = True,
) -> ConnectionHandler:
    """A pool of ``poolsize`` connections, returned at once."""
    return _tcp(host, port, dbid, poolsize, reconnect, charset, password, ssl_context_factory,
                connectTimeout, replyTimeout, convertNumbers, username, use_ssl, client_name,
                client_setinfo)


def UnixConnection(
    path: str = "/tmp/redis.sock", dbid: Optional[int] = None, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *,
    client_name: Optional[str] = None,
    client_setinfo: bool = True,
) -> Connecting[ConnectionHandler]:
    """One Unix-socket connection; await it for the handler."""
    return _unix(path, dbid, 1, reconnect, charset, password, connectTimeout, replyTimeout,
                 convertNumbers, username, client_name, client_setinfo)._connected


def lazyUnixConnection(
    path: str = "/tmp/redis.sock", dbid: Optional[int] = None, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *,
    client_name: Optional[str] = None,
    client_setinfo: bool = True,
) -> ConnectionHandler:
    """One Unix-socket connection, returned at once."""
    return _unix(path, dbid, 1, reconnect, charset, password, connectTimeout, replyTimeout,
                 convertNumbers, username, client_name, client_setinfo)


def UnixConnectionPool(
    path: str = "/tmp/redis.sock", dbid: Optional[int] = None, poolsize: int = 10,
    reconnect: bool = True, charset: Optional[str] = "utf-8", password: Optional[str] = None,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *,
    client_name: Optional[str] = None,
    client_setinfo: bool = True,
) -> Connecting[ConnectionHandler]:
    """A pool of Unix-socket connections; await it for the handler."""
    return _unix(path, dbid, poolsize, reconnect, charset, password, connectTimeout,
                 replyTimeout, convertNumbers, username, client_name, client_setinfo)._connected


def lazyUnixConnectionPool(
    path: str = "/tmp/redis.sock", dbid: Optional[int] = None, poolsize: int = 10,
    reconnect: bool = True, charset: Optional[str] = "utf-8", password: Optional[str] = None,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *,
    client_name: Optional[str] = None,
    client_setinfo: bool = True,
) -> ConnectionHandler:
    """A pool of Unix-socket connections, returned at once."""
    return _unix(path, dbid, poolsize, reconnect, charset, password, connectTimeout,
                 replyTimeout, convertNumbers, username, client_name, client_setinfo)
