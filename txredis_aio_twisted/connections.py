"""txredisapi's connection functions, with its argument order and defaults, returning Deferreds.

Non-lazy functions return a Deferred that fires with the handler once all ``poolsize``
connections are ready (or errbacks with the connect error, a ``ValueError`` as txredisapi's);
lazy ones return the handler at once. Keyword-only extras: ``use_ssl``, ``client_name``.
"""

from __future__ import annotations

from typing import Any, Optional

from twisted.internet.defer import Deferred

from txredis_aio import factories as core

from . import _reactor
from ._tls import to_ssl_option
from .handlers import ConnectionHandler, UnixConnectionHandler, fast

__all__ = [
    "ClusterConnection",
    "Connection",
    "ConnectionPool",
    "ShardedConnection",
    "ShardedConnectionPool",
    "ShardedUnixConnection",
    "ShardedUnixConnectionPool",
    "UnixConnection",
    "UnixConnectionPool",
    "lazyClusterConnection",
    "lazyConnection",
    "lazyConnectionPool",
    "lazyShardedConnection",
    "lazyShardedConnectionPool",
    "lazyShardedUnixConnection",
    "lazyShardedUnixConnectionPool",
    "lazyUnixConnection",
    "lazyUnixConnectionPool",
    "makeConnection",
    "makeShardedConnection",
    "makeShardedUnixConnection",
    "makeUnixConnection",
]


def _tcp(lazy: bool, host: str, port: int, dbid: Optional[int], poolsize: int, reconnect: bool,
         charset: Optional[str], password: Optional[str], ssl_context_factory: Any,
         connectTimeout: Optional[float], replyTimeout: Optional[float], convertNumbers: bool,
         username: Optional[str], use_ssl: bool, client_name: Optional[str]) -> Any:
    _reactor.loop()
    h = ConnectionHandler(fast(core.lazyConnectionPool(
        host, port, dbid, poolsize, reconnect, charset, password,
        to_ssl_option(ssl_context_factory), connectTimeout, replyTimeout, convertNumbers,
        username, use_ssl=use_ssl, client_name=client_name,
    )))
    return h if lazy else h._connecting()


def _unix(lazy: bool, path: str, dbid: Optional[int], poolsize: int, reconnect: bool,
          charset: Optional[str], password: Optional[str], connectTimeout: Optional[float],
          replyTimeout: Optional[float], convertNumbers: bool, username: Optional[str],
          client_name: Optional[str]) -> Any:
    _reactor.loop()
    h = UnixConnectionHandler(fast(core.lazyUnixConnectionPool(
        path, dbid, poolsize, reconnect, charset, password, connectTimeout, replyTimeout,
        convertNumbers, username, client_name=client_name,
    )))
    return h if lazy else h._connecting()


def Connection(
    host: str = "localhost", port: int = 6379, dbid: Optional[int] = None,
    reconnect: bool = True, charset: Optional[str] = "utf-8", password: Optional[str] = None,
    ssl_context_factory: Any = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, use_ssl: bool = False, client_name: Optional[str] = None,
) -> Deferred:
    """One connection; a Deferred firing with the handler."""
    return _tcp(False, host, port, dbid, 1, reconnect, charset, password, ssl_context_factory,
                connectTimeout, replyTimeout, convertNumbers, username, use_ssl, client_name)


def lazyConnection(
    host: str = "localhost", port: int = 6379, dbid: Optional[int] = None,
    reconnect: bool = True, charset: Optional[str] = "utf-8", password: Optional[str] = None,
    ssl_context_factory: Any = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, use_ssl: bool = False, client_name: Optional[str] = None,
) -> ConnectionHandler:
    """One connection; the handler at once, connecting in the background."""
    return _tcp(True, host, port, dbid, 1, reconnect, charset, password, ssl_context_factory,
                connectTimeout, replyTimeout, convertNumbers, username, use_ssl, client_name)


def ConnectionPool(
    host: str = "localhost", port: int = 6379, dbid: Optional[int] = None, poolsize: int = 10,
    reconnect: bool = True, charset: Optional[str] = "utf-8", password: Optional[str] = None,
    ssl_context_factory: Any = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, use_ssl: bool = False, client_name: Optional[str] = None,
) -> Deferred:
    """A pool of ``poolsize`` connections; a Deferred firing with the handler."""
    return _tcp(False, host, port, dbid, poolsize, reconnect, charset, password,
                ssl_context_factory, connectTimeout, replyTimeout, convertNumbers, username,
                use_ssl, client_name)


def lazyConnectionPool(
    host: str = "localhost", port: int = 6379, dbid: Optional[int] = None, poolsize: int = 10,
    reconnect: bool = True, charset: Optional[str] = "utf-8", password: Optional[str] = None,
    ssl_context_factory: Any = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, use_ssl: bool = False, client_name: Optional[str] = None,
) -> ConnectionHandler:
    """A pool of ``poolsize`` connections; the handler at once."""
    return _tcp(True, host, port, dbid, poolsize, reconnect, charset, password,
                ssl_context_factory, connectTimeout, replyTimeout, convertNumbers, username,
                use_ssl, client_name)


def UnixConnection(
    path: str = "/tmp/redis.sock", dbid: Optional[int] = None, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *,
    client_name: Optional[str] = None,
) -> Deferred:
    """One Unix-socket connection; a Deferred firing with the handler."""
    return _unix(False, path, dbid, 1, reconnect, charset, password, connectTimeout,
                 replyTimeout, convertNumbers, username, client_name)


def lazyUnixConnection(
    path: str = "/tmp/redis.sock", dbid: Optional[int] = None, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *,
    client_name: Optional[str] = None,
) -> UnixConnectionHandler:
    """One Unix-socket connection; the handler at once."""
    return _unix(True, path, dbid, 1, reconnect, charset, password, connectTimeout,
                 replyTimeout, convertNumbers, username, client_name)


def UnixConnectionPool(
    path: str = "/tmp/redis.sock", dbid: Optional[int] = None, poolsize: int = 10,
    reconnect: bool = True, charset: Optional[str] = "utf-8", password: Optional[str] = None,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *,
    client_name: Optional[str] = None,
) -> Deferred:
    """A pool of Unix-socket connections; a Deferred firing with the handler."""
    return _unix(False, path, dbid, poolsize, reconnect, charset, password, connectTimeout,
                 replyTimeout, convertNumbers, username, client_name)


def lazyUnixConnectionPool(
    path: str = "/tmp/redis.sock", dbid: Optional[int] = None, poolsize: int = 10,
    reconnect: bool = True, charset: Optional[str] = "utf-8", password: Optional[str] = None,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *,
    client_name: Optional[str] = None,
) -> UnixConnectionHandler:
    """A pool of Unix-socket connections; the handler at once."""
    return _unix(True, path, dbid, poolsize, reconnect, charset, password, connectTimeout,
                 replyTimeout, convertNumbers, username, client_name)


def _sharded(lazy: bool, unix: bool, nodes: Any, dbid: Optional[int], poolsize: int,
             reconnect: bool, charset: Optional[str], password: Optional[str],
             ssl_context_factory: Any, connectTimeout: Optional[float],
             replyTimeout: Optional[float], convertNumbers: bool, username: Optional[str],
             use_ssl: bool, client_name: Optional[str]) -> Any:
    from txredis_aio import sharding

    from .handlers import ShardedConnectionHandler, ShardedUnixConnectionHandler

    _reactor.loop()
    if unix:
        h: Any = ShardedUnixConnectionHandler(sharding.lazyShardedUnixConnectionPool(
            nodes, dbid, poolsize, reconnect, charset, password, connectTimeout, replyTimeout,
            convertNumbers, username, client_name=client_name,
        ))
    else:
        h = ShardedConnectionHandler(sharding.lazyShardedConnectionPool(
            nodes, dbid, poolsize, reconnect, charset, password,
            to_ssl_option(ssl_context_factory), connectTimeout, replyTimeout, convertNumbers,
            username, use_ssl=use_ssl, client_name=client_name,
        ))
    return h if lazy else h._connecting()


def ShardedConnection(
    hosts: Any, dbid: Optional[int] = None, reconnect: bool = True, charset: Optional[str] = "utf-8",
    password: Optional[str] = None, ssl_context_factory: Any = False,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *, use_ssl: bool = False,
    client_name: Optional[str] = None,
) -> Deferred:
    """One connection per ``"host:port"``; a Deferred firing with the sharded handler."""
    return _sharded(False, False, hosts, dbid, 1, reconnect, charset, password, ssl_context_factory,
                    connectTimeout, replyTimeout, convertNumbers, username, use_ssl, client_name)


def lazyShardedConnection(
    hosts: Any, dbid: Optional[int] = None, reconnect: bool = True, charset: Optional[str] = "utf-8",
    password: Optional[str] = None, ssl_context_factory: Any = False,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *, use_ssl: bool = False,
    client_name: Optional[str] = None,
) -> Any:
    """One connection per ``"host:port"``; the sharded handler at once."""
    return _sharded(True, False, hosts, dbid, 1, reconnect, charset, password, ssl_context_factory,
                    connectTimeout, replyTimeout, convertNumbers, username, use_ssl, client_name)


def ShardedConnectionPool(
    hosts: Any, dbid: Optional[int] = None, poolsize: int = 10, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    ssl_context_factory: Any = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, use_ssl: bool = False, client_name: Optional[str] = None,
) -> Deferred:
    """``poolsize`` connections per ``"host:port"``; a Deferred firing with the sharded handler."""
    return _sharded(False, False, hosts, dbid, poolsize, reconnect, charset, password,
                    ssl_context_factory, connectTimeout, replyTimeout, convertNumbers, username,
                    use_ssl, client_name)


def lazyShardedConnectionPool(
    hosts: Any, dbid: Optional[int] = None, poolsize: int = 10, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    ssl_context_factory: Any = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, use_ssl: bool = False, client_name: Optional[str] = None,
) -> Any:
    """``poolsize`` connections per ``"host:port"``; the sharded handler at once."""
    return _sharded(True, False, hosts, dbid, poolsize, reconnect, charset, password,
                    ssl_context_factory, connectTimeout, replyTimeout, convertNumbers, username,
                    use_ssl, client_name)


def ShardedUnixConnection(
    paths: Any, dbid: Optional[int] = None, reconnect: bool = True, charset: Optional[str] = "utf-8",
    password: Optional[str] = None, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, client_name: Optional[str] = None,
) -> Deferred:
    """One connection per socket path; a Deferred firing with the sharded handler."""
    return _sharded(False, True, paths, dbid, 1, reconnect, charset, password, False,
                    connectTimeout, replyTimeout, convertNumbers, username, False, client_name)


def lazyShardedUnixConnection(
    paths: Any, dbid: Optional[int] = None, reconnect: bool = True, charset: Optional[str] = "utf-8",
    password: Optional[str] = None, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, client_name: Optional[str] = None,
) -> Any:
    """One connection per socket path; the sharded handler at once."""
    return _sharded(True, True, paths, dbid, 1, reconnect, charset, password, False,
                    connectTimeout, replyTimeout, convertNumbers, username, False, client_name)


def ShardedUnixConnectionPool(
    paths: Any, dbid: Optional[int] = None, poolsize: int = 10, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *,
    client_name: Optional[str] = None,
) -> Deferred:
    """``poolsize`` connections per socket path; a Deferred firing with the sharded handler."""
    return _sharded(False, True, paths, dbid, poolsize, reconnect, charset, password, False,
                    connectTimeout, replyTimeout, convertNumbers, username, False, client_name)


def lazyShardedUnixConnectionPool(
    paths: Any, dbid: Optional[int] = None, poolsize: int = 10, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *,
    client_name: Optional[str] = None,
) -> Any:
    """``poolsize`` connections per socket path; the sharded handler at once."""
    return _sharded(True, True, paths, dbid, poolsize, reconnect, charset, password, False,
                    connectTimeout, replyTimeout, convertNumbers, username, False, client_name)


def ClusterConnection(startup_nodes: Any, poolsize: int = 1, **kwargs: Any) -> Deferred:
    """Redis Cluster (beyond txredisapi); a Deferred firing with the handler once the map is loaded.

    Arguments as ``txredis_aio.ClusterConnection``.
    """
    h = lazyClusterConnection(startup_nodes, poolsize, **kwargs)
    return h._connecting()


def lazyClusterConnection(startup_nodes: Any, poolsize: int = 1, **kwargs: Any) -> Any:
    """Redis Cluster (beyond txredisapi); the handler at once."""
    from txredis_aio import cluster

    from .handlers import ClusterHandler

    _reactor.loop()
    if "ssl_context_factory" in kwargs:
        kwargs["ssl_context_factory"] = to_ssl_option(kwargs["ssl_context_factory"])
    return ClusterHandler(cluster.lazyClusterConnection(startup_nodes, poolsize, **kwargs))


def makeConnection(host: str, port: int, dbid: Optional[int], poolsize: int, reconnect: bool,
                   isLazy: bool, charset: Optional[str], password: Optional[str],
                   ssl_context_factory: Any, connectTimeout: Optional[float],
                   replyTimeout: Optional[float], convertNumbers: bool,
                   username: Optional[str] = None) -> Any:
    """txredisapi's helper behind the TCP functions: the handler, or a Deferred of it."""
    return _tcp(isLazy, host, port, dbid, poolsize, reconnect, charset, password,
                ssl_context_factory, connectTimeout, replyTimeout, convertNumbers, username,
                False, None)


def makeShardedConnection(hosts: Any, dbid: Optional[int], poolsize: int, reconnect: bool,
                          isLazy: bool, charset: Optional[str], password: Optional[str],
                          ssl_context_factory: Any, connectTimeout: Optional[float],
                          replyTimeout: Optional[float], convertNumbers: bool,
                          username: Optional[str] = None) -> Any:
    """txredisapi's helper behind the sharded TCP functions."""
    return _sharded(isLazy, False, hosts, dbid, poolsize, reconnect, charset, password,
                    ssl_context_factory, connectTimeout, replyTimeout, convertNumbers, username,
                    False, None)


def makeUnixConnection(path: str, dbid: Optional[int], poolsize: int, reconnect: bool,
                       isLazy: bool, charset: Optional[str], password: Optional[str],
                       connectTimeout: Optional[float], replyTimeout: Optional[float],
                       convertNumbers: bool, username: Optional[str] = None) -> Any:
    """txredisapi's helper behind the Unix-socket functions."""
    return _unix(isLazy, path, dbid, poolsize, reconnect, charset, password, connectTimeout,
                 replyTimeout, convertNumbers, username, None)


def makeShardedUnixConnection(paths: Any, dbid: Optional[int], poolsize: int, reconnect: bool,
                              isLazy: bool, charset: Optional[str], password: Optional[str],
                              connectTimeout: Optional[float], replyTimeout: Optional[float],
                              convertNumbers: bool, username: Optional[str] = None) -> Any:
    """txredisapi's helper behind the sharded Unix-socket functions."""
    return _sharded(isLazy, True, paths, dbid, poolsize, reconnect, charset, password, False,
                    connectTimeout, replyTimeout, convertNumbers, username, False, None)
