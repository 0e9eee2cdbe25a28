"""Client-side sharding over several servers, with txredisapi's key placement.

How this works
--------------
* One ordinary ``ConnectionHandler`` (its own ``Pool``) per node, in the order given; the
  ``HashRing`` (``hashring.py``) maps a key to a node exactly as txredisapi did.
* ``_execute`` finds the key arguments of any command in the command table, so every
  single-key command is sharded, not only txredisapi's ``ShardedMethods``:
  - all keys on one node → the command goes to that node unchanged (one Future, no Task);
  - MGET, MSET, DEL, UNLINK, EXISTS, TOUCH over several nodes → one command per node, merged
    (MGET in key order, counts summed; MSET is then atomic per node only);
  - any other command whose keys span nodes → ``CrossShardError`` before anything is sent;
  - PING, ECHO, FLUSHDB, FLUSHALL, DBSIZE, KEYS go to every node (replies merged); other
    keyless commands (INFO, SCAN, EVAL with no keys, pub/sub...) raise ``NotImplementedError``:
    ask a node directly (``handler.nodes``, ``handler.node_for(key)``);
  - transactions and pipelines raise ``NotImplementedError("... not supported ...")``.
* A split command fails as a whole if any node fails (the other nodes' parts may have run);
  nothing is ever retried. A node that is down fails only the commands for its keys.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any, Callable, NoReturn, Optional, Sequence

from ._resp import Raw, convert_reply, identity
from .client import Connecting, ConnectionHandler
from .commands import Commands
from .commands._base import RAW, Convert
from .commands._table import command_name, keys_of
from .commands._table_data import COMMANDS
from .connection import ConnectionConfig, SSLOption
from .errors import InvalidArgumentType, RedisError
from .hashring import HashRing
from .pool import Pool, check_poolsize

__all__ = [
    "CrossShardError",
    "ShardedConnecting",
    "ShardedConnection",
    "ShardedConnectionHandler",
    "ShardedConnectionPool",
    "ShardedMethods",
    "ShardedUnixConnection",
    "ShardedUnixConnectionHandler",
    "ShardedUnixConnectionPool",
    "lazyShardedConnection",
    "lazyShardedConnectionPool",
    "lazyShardedUnixConnection",
    "lazyShardedUnixConnectionPool",
]

# txredisapi's list (get_type never existed there; every method here is sharded anyway).
ShardedMethods = frozenset([
    "decr", "delete", "exists", "expire", "get", "get_type", "getset", "hdel", "hexists", "hget",
    "hgetall", "hincrby", "hkeys", "hlen", "hmget", "hmset", "hset", "hvals", "incr", "lindex",
    "llen", "lrange", "lrem", "lset", "ltrim", "pop", "publish", "push", "rename", "sadd", "set",
    "setex", "setnx", "sismember", "smembers", "srem", "ttl", "zadd", "zcard", "zcount", "zdecr",
    "zincr", "zincrby", "zrange", "zrangebyscore", "zrevrangebyscore", "zrevrank", "zrank", "zrem",
    "zremrangebyscore", "zremrangebyrank", "zrevrange", "zscore",
])

_TCP_ERR = "Please use a list or tuple of host:port for sharded connections"
_UNIX_ERR = "Please use a list or tuple of paths for sharded unix connections"


def _first(results: list[Any]) -> Any:
    return results[0]


def _in_key_order(order: list[int], results: list[Any]) -> list[Any]:
    """MGET replies per node back in the order of the keys asked for."""
    out: list[Any] = [None] * len(order)
    values = (v for r in results for v in r)
    for p, v in zip(order, values):
        out[p] = v
    return out


def _concat(results: list[Any]) -> Any:
    return [x for r in results for x in (r or ())]


# Keyless commands sent to every node, and how their replies merge.
_BROADCAST: dict[str, Callable[[list[Any]], Any]] = {
    "PING": _first, "ECHO": _first, "FLUSHDB": _first, "FLUSHALL": _first,
    "DBSIZE": sum, "KEYS": _concat,
}
# Multi-key commands split per node: name → number of arguments per key (MSET: key, value).
_SPLIT = {"MGET": 1, "MSET": 2, "DEL": 1, "UNLINK": 1, "EXISTS": 1, "TOUCH": 1}
_SPLIT_LOWER = frozenset(n.lower() for n in _SPLIT)
_TRANSACTION = frozenset({"MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH"})
# Fast path: commands whose only key is args[1] (GET, SET, HSET, LPUSH...), upper-case names as
# the command methods send them. Anything else goes through ``keys_of``.
_ONE_KEY_FIRST = frozenset(
    name.upper() for name, (_arity, _flags, _acl, specs) in COMMANDS.items()
    if "|" not in name and name not in _SPLIT_LOWER
    and len(specs) == 1 and specs[0][1] == ("index", 1) and specs[0][2] == ("range", 0, 1, 0)
)
_CACHE_MAX = 65536


class CrossShardError(RedisError, ValueError):
    """A multi-key command whose keys live on different shards (nothing was sent)."""


class ShardedConnectionHandler(Commands):
    """Commands routed by key to one of several servers (see module docstring)."""

    ShardedMethods = ShardedMethods

    def __init__(self, connections: Sequence[ConnectionHandler]) -> None:
        if not connections:
            raise ValueError("a sharded connection needs at least one node")
        self._nodes = list(connections)
        self._ring: HashRing[ConnectionHandler] = HashRing(
            self._nodes, node_id=lambda h: h._pool.config.address
        )
        first = self._nodes[0]._pool
        self._encode = first.config.encode
        self._loop = first.loop
        self._connected: Connecting[ShardedConnectionHandler] = Connecting(self, self._wait_all_ready)
        self._cache: dict[Any, ConnectionHandler] = {}  # key -> node, bounded

    # -- introspection ------------------------------------------------------------------------

    @property
    def nodes(self) -> list[ConnectionHandler]:
        """The per-node handlers, in the order the hosts were given."""
        return list(self._nodes)

    @property
    def ring(self) -> HashRing[ConnectionHandler]:
        """The hash ring (``ring.get_node(key)`` is the node handler holding ``key``)."""
        return self._ring

    def node_for(self, key: Any) -> ConnectionHandler:
        """The node handler that holds ``key`` (``{hashtag}`` rule applied)."""
        node = self._ring.get_node(key)
        assert node is not None
        return node

    # -- routing -------------------------------------------------------------------------------

    def _node(self, key: Any, args: tuple) -> ConnectionHandler:
        cache = self._cache
        cacheable = type(key) is str or type(key) is bytes  # 1 == 1.0 == True, but not as keys
        if cacheable:
            hit = cache.get(key)
            if hit is not None:
                return hit
        try:
            node = self._ring.get_node(key)
        except TypeError:
            self._encode(args)  # raises InvalidArgumentType naming the argument
            raise InvalidArgumentType(f"cannot shard on the key {key!r}") from None
        assert node is not None
        if cacheable:
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            cache[key] = node
        return node

    def _execute(self, *args: Any, convert: Convert = None) -> Any:
        if args[0] in _ONE_KEY_FIRST and len(args) > 1:
            return self._node(args[1], args)._execute(*args, convert=convert)
        name = command_name(args)
        if name in _SPLIT:
            return self._split(name, args, convert)
        if name in _TRANSACTION:
            raise NotImplementedError(f"{name}: transactions are not supported across shards")
        try:
            keys = keys_of(args)
        except (ValueError, IndexError) as e:
            raise ValueError(f"cannot find the keys of {name}: {e}") from None
        if not keys:
            if name in _BROADCAST:
                return self._fan_out([(n, args) for n in self._nodes], _BROADCAST[name], convert)
            if name == "PUBLISH" and len(args) > 1:
                keys = [args[1]]  # txredisapi sharded PUBLISH on the channel name
            else:
                raise NotImplementedError(
                    f"Command {name} has no key and cannot be sharded; send it to one node "
                    "(handler.nodes, handler.node_for(key))"
                )
        node = self._node(keys[0], args)
        for k in keys[1:]:
            if self._node(k, args) is not node:
                raise CrossShardError(
                    f"{name}: keys {', '.join(map(repr, keys))} live on different shards; use "
                    "{hashtags} to keep them together"
                )
        return node._execute(*args, convert=convert)

    def _split(self, name: str, args: tuple, convert: Convert) -> Any:
        step = _SPLIT[name]
        body = args[1:]
        if step == 2 and len(body) % 2:
            raise ValueError(f"{name} needs key/value pairs")
        groups: dict[int, tuple[ConnectionHandler, list[int]]] = {}
        for pos in range(0, len(body), step):
            node = self._node(body[pos], args)
            groups.setdefault(id(node), (node, []))[1].append(pos)
        if len(groups) <= 1:
            node = next(iter(groups.values()))[0] if groups else self._nodes[0]
            return node._execute(*args, convert=convert)
        self._encode(args)  # a bad argument fails here, before any node is sent anything
        parts = []
        for node, positions in groups.values():
            parts.append((node, (args[0], *(a for p in positions for a in body[p:p + step]))))
        merge: Callable[[list[Any]], Any] = _first if name == "MSET" else sum
        if name == "MGET":
            order = [p for _, positions in groups.values() for p in positions]
            merge = partial(_in_key_order, order)
        return self._fan_out(parts, merge, convert)

    def _fan_out(self, parts: list[tuple[ConnectionHandler, tuple]], merge: Callable[[list[Any]], Any],
                 convert: Convert) -> Any:
        self._encode(parts[0][1])
        raw = type(convert) is Raw
        node_convert: Convert = RAW if raw else None
        futs = [node._execute(*a, convert=node_convert) for node, a in parts]
        loop = asyncio._get_running_loop() or self._loop  # its nodes may have moved to a new loop
        return loop.create_task(_merged(futs, merge, convert))

    # -- what cannot be sharded ----------------------------------------------------------------

    def multi(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported: a transaction cannot span shards."""
        raise NotImplementedError("Transactions (MULTI) are not supported across shards")

    def watch(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported: a transaction cannot span shards."""
        raise NotImplementedError("WATCH is not supported across shards")

    def unwatch(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported: a transaction cannot span shards."""
        raise NotImplementedError("UNWATCH is not supported across shards")

    def commit(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported: a transaction cannot span shards."""
        raise NotImplementedError("Transactions (EXEC) are not supported across shards")

    def discard(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported: a transaction cannot span shards."""
        raise NotImplementedError("Transactions (DISCARD) are not supported across shards")

    def pipeline(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported (txredisapi's message)."""
        raise NotImplementedError("Pipelining is not supported across shards")

    def execute_pipeline(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported: there is no sharded pipeline."""
        raise NotImplementedError("Pipelining is not supported across shards")

    # -- lifecycle -----------------------------------------------------------------------------

    async def disconnect(self) -> None:
        """Close every node's connections and stop reconnecting."""
        await asyncio.gather(*(n.disconnect() for n in self._nodes))

    async def _wait_all_ready(self) -> None:
        await asyncio.gather(*(n._pool.wait_all_ready() for n in self._nodes))

    async def __aenter__(self) -> ShardedConnectionHandler:
        await self._connected
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.disconnect()

    _kind = "Redis Sharded Connection"

    def __repr__(self) -> str:
        parts = []
        for n in self._nodes:
            pool = n._pool
            db = pool.config.dbid if pool.config.dbid is not None else 0
            parts.append(f"{pool.config.address}/{db} ({pool.connected}/{pool.poolsize} connected)")
        return f"<{self._kind}: {', '.join(parts)}>"


class ShardedUnixConnectionHandler(ShardedConnectionHandler):
    """Sharding over Unix-socket servers (differs only in its repr)."""

    _kind = "Redis Sharded Unix Connection"


async def _merged(futs: list[Any], merge: Callable[[list[Any]], Any], convert: Convert) -> Any:
    results = await asyncio.gather(*futs, return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return convert_reply(merge(results), convert, identity)


ShardedConnecting = Connecting  # the name this module exported before Connecting was shared


# -- the connection functions ------------------------------------------------------------------


def _parse_hosts(hosts: Any) -> list[tuple[str, int]]:
    if not isinstance(hosts, (list, tuple)) or not hosts:
        raise ValueError(_TCP_ERR)
    out = []
    for item in hosts:
        try:
            host, port = item.rsplit(":", 1)
            out.append((host, int(port)))
        except (AttributeError, TypeError, ValueError):
            raise ValueError(_TCP_ERR) from None
    return out


def _sharded_tcp(
    hosts: Any, dbid: Optional[int], poolsize: int, reconnect: bool, charset: Optional[str],
    password: Optional[str], ssl_context_factory: SSLOption, connectTimeout: Optional[float],
    replyTimeout: Optional[float], convertNumbers: bool, username: Optional[str], use_ssl: bool,
    client_name: Optional[str],
) -> ShardedConnectionHandler:
    addrs = _parse_hosts(hosts)
    check_poolsize(poolsize)
    configs = [
        ConnectionConfig(
            host=host[1:-1] if host.startswith("[") else host, port=port, dbid=dbid,
            reconnect=reconnect, charset=charset,
            password=password, username=username, tls=ssl_context_factory or use_ssl,
            connect_timeout=connectTimeout, reply_timeout=replyTimeout,
            convert_numbers=convertNumbers, client_name=client_name,
        )
        for host, port in addrs
    ]
    return ShardedConnectionHandler([ConnectionHandler(Pool(c, poolsize)) for c in configs])


def _sharded_unix(
    paths: Any, dbid: Optional[int], poolsize: int, reconnect: bool, charset: Optional[str],
    password: Optional[str], connectTimeout: Optional[float], replyTimeout: Optional[float],
    convertNumbers: bool, username: Optional[str], client_name: Optional[str],
) -> ShardedUnixConnectionHandler:
    if not isinstance(paths, (list, tuple)) or not paths or not all(isinstance(p, str) for p in paths):
        raise ValueError(_UNIX_ERR)
    check_poolsize(poolsize)
    configs = [
        ConnectionConfig(
            host=None, path=path, dbid=dbid, reconnect=reconnect, charset=charset,
            password=password, username=username, connect_timeout=connectTimeout,
            reply_timeout=replyTimeout, convert_numbers=convertNumbers, client_name=client_name,
        )
        for path in paths
    ]
    return ShardedUnixConnectionHandler([ConnectionHandler(Pool(c, poolsize)) for c in configs])


def ShardedConnection(
    hosts: Sequence[str], dbid: Optional[int] = None, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    ssl_context_factory: SSLOption = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, use_ssl: bool = False, client_name: Optional[str] = None,
) -> Connecting[ShardedConnectionHandler]:
    """One connection per ``"host:port"``; await it for the sharded handler."""
    return _sharded_tcp(hosts, dbid, 1, reconnect, charset, password, ssl_context_factory,
                        connectTimeout, replyTimeout, convertNumbers, username, use_ssl,
                        client_name)._connected


def lazyShardedConnection(
    hosts: Sequence[str], dbid: Optional[int] = None, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    ssl_context_factory: SSLOption = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, use_ssl: bool = False, client_name: Optional[str] = None,
) -> ShardedConnectionHandler:
    """One connection per ``"host:port"``; the handler is returned at once."""
    return _sharded_tcp(hosts, dbid, 1, reconnect, charset, password, ssl_context_factory,
                        connectTimeout, replyTimeout, convertNumbers, username, use_ssl,
                        client_name)


def ShardedConnectionPool(
    hosts: Sequence[str], dbid: Optional[int] = None, poolsize: int = 10, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    ssl_context_factory: SSLOption = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, use_ssl: bool = False, client_name: Optional[str] = None,
) -> Connecting[ShardedConnectionHandler]:
    """A pool of ``poolsize`` connections per ``"host:port"``; await it for the handler."""
    return _sharded_tcp(hosts, dbid, poolsize, reconnect, charset, password, ssl_context_factory,
                        connectTimeout, replyTimeout, convertNumbers, username, use_ssl,
                        client_name)._connected


def lazyShardedConnectionPool(
    hosts: Sequence[str], dbid: Optional[int] = None, poolsize: int = 10, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    ssl_context_factory: SSLOption = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, use_ssl: bool = False, client_name: Optional[str] = None,
) -> ShardedConnectionHandler:
    """A pool of ``poolsize`` connections per ``"host:port"``, returned at once."""
    return _sharded_tcp(hosts, dbid, poolsize, reconnect, charset, password, ssl_context_factory,
                        connectTimeout, replyTimeout, convertNumbers, username, use_ssl,
                        client_name)


def ShardedUnixConnection(
    paths: Sequence[str], dbid: Optional[int] = None, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *,
    client_name: Optional[str] = None,
) -> Connecting[ShardedConnectionHandler]:
    """One connection per Unix socket path; await it for the sharded handler."""
    return _sharded_unix(paths, dbid, 1, reconnect, charset, password, connectTimeout,
                         replyTimeout, convertNumbers, username, client_name)._connected


def lazyShardedUnixConnection(
    paths: Sequence[str], dbid: Optional[int] = None, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *,
    client_name: Optional[str] = None,
) -> ShardedUnixConnectionHandler:
    """One connection per Unix socket path, returned at once."""
    return _sharded_unix(paths, dbid, 1, reconnect, charset, password, connectTimeout,
                         replyTimeout, convertNumbers, username, client_name)


def ShardedUnixConnectionPool(
    paths: Sequence[str], dbid: Optional[int] = None, poolsize: int = 10, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *,
    client_name: Optional[str] = None,
) -> Connecting[ShardedConnectionHandler]:
    """A pool per Unix socket path; await it for the sharded handler."""
    return _sharded_unix(paths, dbid, poolsize, reconnect, charset, password, connectTimeout,
                         replyTimeout, convertNumbers, username, client_name)._connected


def lazyShardedUnixConnectionPool(
    paths: Sequence[str], dbid: Optional[int] = None, poolsize: int = 10, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *,
    client_name: Optional[str] = None,
) -> ShardedUnixConnectionHandler:
    """A pool per Unix socket path, returned at once."""
    return _sharded_unix(paths, dbid, poolsize, reconnect, charset, password, connectTimeout,
                         replyTimeout, convertNumbers, username, client_name)
