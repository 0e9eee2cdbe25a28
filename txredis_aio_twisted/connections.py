"""txredisapi's connection functions, with its argument order and defaults, returning Deferreds.

Non-lazy functions return a Deferred that fires with the handler once all ``poolsize``
connections are ready (or errbacks with the connect error, a ``ValueError`` as txredisapi's);
lazy ones return the handler at once. Keyword-only extras: ``use_ssl``, ``client_name``.
TCP host names are resolved by the reactor's ``nameResolver`` before each connect attempt when
one other than Twisted's default is installed (``_resolve``; compatibility W16).
"""

from __future__ import annotations

from typing import Any, Optional

from twisted.internet.defer import Deferred

from txredis_aio import factories as core
from txredis_aio._feed import tcp_config
from txredis_aio._protocol import RedisProtocol
from txredis_aio.client import ConnectionHandler as CoreConnectionHandler
from txredis_aio.connection import ConnectionConfig
from txredis_aio.pool import Pool, check_poolsize

from . import _reactor
from ._resolve import resolve_with_twisted
from ._tls import to_ssl_option
from .handlers import ConnectionHandler, DeferredCoreHandler, UnixConnectionHandler, fast

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
    cfg = tcp_config(host, port, dbid, reconnect, charset, password, to_ssl_option(ssl_context_factory),
                     connectTimeout, replyTimeout, convertNumbers, username, use_ssl, client_name,
                     RedisProtocol)
    h = ConnectionHandler(DeferredCoreHandler(_pool(cfg, poolsize)))
    return h if lazy else h._connecting()


def _pool(cfg: ConnectionConfig, poolsize: int) -> Pool:
    """The core pool of one TCP server, its host name resolved by the reactor (``_resolve``)."""
    hook = resolve_with_twisted(cfg)
    pool = _backoff(Pool(cfg, poolsize))
    if hook is not None:
        pool.on_ready.append(hook.ready)
    return pool


def _backoff(pool: Pool) -> Pool:
    """Reconnect backoff from ``RedisFactory``'s class attributes, as txredisapi's connection
    functions (built on it) had: a subclass or a test patching them is obeyed. The defaults
    are the core's."""
    from .factory import RedisFactory

    pool.initialDelay = RedisFactory.initialDelay
    pool.maxDelay = RedisFactory.maxDelay
    pool.factor = RedisFactory.factor
    pool.jitter = RedisFactory.jitter
    return pool


def _unix(lazy: bool, path: str, dbid: Optional[int], poolsize: int, reconnect: bool,
          charset: Optional[str], password: Optional[str], connectTimeout: Optional[float],
          replyTimeout: Optional[float], convertNumbers: bool, username: Optional[str],
          client_name: Optional[str]) -> Any:
    _reactor.loop()
    h = UnixConnectionHandler(fast(core.lazyUnixConnectionPool(
        path, dbid, poolsize, reconnect, charset, password, connectTimeout, replyTimeout,
        convertNumbers, username, client_name=client_name,
    )))
    _backoff(h._core._pool)
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
        for node in h._core.nodes:
            _backoff(node._pool)
    else:
        addrs = sharding._parse_hosts(nodes)
        check_poolsize(poolsize)
        tls = to_ssl_option(ssl_context_factory)
        configs = [tcp_config(
            host[1:-1] if host.startswith("[") else host, port, dbid, reconnect, charset, password,
            tls, connectTimeout, replyTimeout, convertNumbers, username, use_ssl, client_name,
            RedisProtocol,
        ) for host, port in addrs]
        h = ShardedConnectionHandler(sharding.ShardedConnectionHandler(
            [CoreConnectionHandler(_pool(c, poolsize)) for c in configs]))
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
