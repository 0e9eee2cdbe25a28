"""The handler objects Twisted code holds: core objects whose every method returns a Deferred.

A shim object owns one core object (``_core``) and inherits the generated wrappers
(``_commands.py``); only what is Twisted-specific is written here: ``_connected``, txredisapi's
``repr``, attributes that are not commands (``ShardedMethods``, ``nodes``, ``sentinels``...)
and the twin registry, so that a core object returned by ``multi()``, ``pipeline()``,
``master_for()`` or ``node()`` arrives wrapped in its Twisted twin.
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional, Sequence

from twisted.internet.defer import Deferred
from twisted.internet.protocol import Factory

from txredis_aio.client import ConnectionHandler as _CoreHandler

from . import _commands as gen
from . import _reactor
from ._defer import ReplyDeferred, as_deferred, register_twin, twin_of

try:
    from txredis_aio.pool import SPECIAL_NAMES as _SPECIAL
except ImportError:  # older core: only the blocking commands need its own path
    from txredis_aio.pool import BLOCKING_NAMES as _SPECIAL

__all__ = [
    "ClusterHandler",
    "ClusterPipeline",
    "ClusterTransaction",
    "ConnectionHandler",
    "Pipeline",
    "Sentinel",
    "ShardedConnectionHandler",
    "ShardedUnixConnectionHandler",
    "Transaction",
    "UnixConnectionHandler",
]


def _mixin(name: str) -> type:
    """A generated mixin, or an empty class while the core does not have that piece yet."""
    return getattr(gen, name, type(name, (), {"__slots__": ()}))


class DeferredCoreHandler(_CoreHandler):
    """The core handler, with replies fired straight into Deferreds on the common path.

    An ordinary command on a connected pool hands the core's protocol a ``ReplyDeferred``
    (its ``fut=`` hook), so the reply runs the caller's callbacks without a Future and a loop
    iteration in between. Everything else (blocking commands, waits for a connection) takes the
    core's path and is adapted by ``as_deferred``.
    """

    def _execute(self, *args: Any, convert: Any = None) -> Any:
        try:
            special = args[0] in _SPECIAL
        except (TypeError, IndexError):
            special = True
        if not special and not self._pool.forked:  # after fork(): the core's path moves the pool
            proto = self._pool.pick_free()
            if proto is not None:
                return proto.execute(args, convert, True, ReplyDeferred())
        return _CoreHandler._execute(self, *args, convert=convert)


def fast(core: Any) -> Any:
    """A ``DeferredCoreHandler`` over the same pool as the plain core handler ``core``."""
    if type(core) is _CoreHandler:
        return DeferredCoreHandler(core._pool)
    return core


class _Twin:
    """Base of every twin: holds the core object."""

    def __init__(self, core: Any) -> None:
        self._core = core

    def __repr__(self) -> str:
        return repr(self._core)


class ConnectionHandler(gen.DeferredCommands, _mixin("HandlerMethods"), _Twin):  # type: ignore[misc]
    """Every Redis command over a pool of connections; each call returns a Deferred."""

    _kind = "Redis Connection"

    def __init__(self, core: Any) -> None:
        if isinstance(core, Factory):  # txredisapi's ``handler(factory)``: run on its protocols
            from .factory import FactoryCore

            self._factory = core
            core = FactoryCore(core)  # type: ignore[arg-type]
        self._core = core
        self._connected_d: Optional[Deferred] = None

    def __getattr__(self, name: str) -> Any:
        # A factory's handler reaches protocol-only methods (subscribe, monitor...) too.
        if not name.startswith("_") and "_factory" in self.__dict__:
            return self._core.proxy(name)
        if name == "_factory" and "_core" in self.__dict__ and hasattr(self._core, "_pool"):
            # txredisapi's handlers always had a factory: show the core pool that way.
            from ._poolview import PoolFactory

            view = self.__dict__["_pool_view"] = self.__dict__.get("_pool_view") or PoolFactory(self)
            return view
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def _connected(self) -> Deferred:
        """Fires with this handler once every connection is up (txredisapi's attribute)."""
        if "_factory" in self.__dict__:
            return self._core.connected_deferred(self)
        if self._connected_d is None or self._connected_d.called:
            self._connected_d = as_deferred(_wait_full(self._core)).addCallback(lambda _: self)
        return self._connected_d

    def _connecting(self) -> Deferred:
        """What a non-lazy connection function returns: the handler once the pool is ready."""
        return as_deferred(self._core._connected).addCallback(lambda _: self)

    def __repr__(self) -> str:
        factory = self.__dict__.get("_factory")
        if factory is not None:
            if not factory.size:
                return f"<{self._kind}: Not connected>"
            return f"<{self._kind}: {factory.uuid} - {factory.size} connection(s)>"
        pool = getattr(self._core, "_pool", None)
        if pool is None:
            return repr(self._core)
        n = pool.connected
        if not n:
            return f"<{self._kind}: Not connected>"
        return f"<{self._kind}: {pool.config.address} - {n} connection(s)>"


class UnixConnectionHandler(ConnectionHandler):
    """A handler over Unix-socket connections (differs only in ``repr``, as txredisapi's)."""

    _kind = "Redis Unix Connection"


async def _wait_full(core: Any) -> None:
    """Wait until every connection of a core handler (or of each shard) is connected."""
    nodes = getattr(core, "_nodes", None)
    pools = [n._pool for n in nodes] if nodes is not None else [core._pool]
    loop = asyncio.get_running_loop()
    for pool in pools:
        while pool.connected < pool.poolsize:
            fut: asyncio.Future[None] = loop.create_future()

            def ready(_p: Any, fut: asyncio.Future[None] = fut) -> None:
                if not fut.done():
                    fut.set_result(None)

            pool.on_ready.append(ready)
            try:
                await fut
            finally:
                pool.on_ready.remove(ready)


class Transaction(gen.DeferredCommands, _mixin("TransactionMethods"), _Twin):  # type: ignore[misc]
    """WATCH/MULTI/EXEC on one leased connection (what ``multi()``/``watch()`` fire with)."""

    @property
    def inTransaction(self) -> bool:
        """True until commit/discard/unwatch (txredisapi's attribute)."""
        return bool(getattr(self._core, "inTransaction", False))

    @property
    def inMulti(self) -> bool:
        """True between MULTI and commit/discard."""
        return bool(getattr(self._core, "inMulti", False))

    @property
    def transactions(self) -> int:
        """Commands queued since MULTI and not yet executed (txredisapi's counter)."""
        return len(getattr(self._core, "_converts", ()) or ()) if self.inMulti else 0


class Pipeline(gen.DeferredCommands, _mixin("PipelineMethods"), _Twin):  # type: ignore[misc]
    """Commands buffered until ``execute_pipeline()`` (what ``pipeline()`` fires with)."""

    def __init__(self, core: Any) -> None:
        super().__init__(core)
        core.new_slot = ReplyDeferred  # each command's Deferred is its reply slot: no Future

    @property
    def pipelining(self) -> bool:
        """True until ``execute_pipeline()``."""
        return bool(getattr(self._core, "pipelining", False))

    @property
    def transport(self) -> Any:
        """The leased connection's transport (txredisapi's tests wrap it to count writes).

        One set here stays readable after ``execute_pipeline()`` returned the connection.
        """
        core_transport = self._core.transport
        return core_transport if core_transport is not None else self.__dict__.get("_transport")

    @transport.setter
    def transport(self, value: Any) -> None:
        self._core.transport = value
        self.__dict__["_transport"] = value


_Sharded = _mixin("ShardedHandlerMethods")
_ClusterTx = _mixin("ClusterTransactionMethods")


class ShardedConnectionHandler(gen.DeferredCommands, _Sharded, _Twin):  # type: ignore[misc,valid-type]
    """Commands routed by key over several servers (txredisapi's hash ring)."""

    def __init__(self, core: Any) -> None:
        self._core = core
        self._connected_d: Optional[Deferred] = None

    _connected = ConnectionHandler._connected
    _connecting = ConnectionHandler._connecting

    @property
    def ShardedMethods(self) -> frozenset:
        """The command names txredisapi allowed on sharded handlers (README example)."""
        return frozenset(self._core.ShardedMethods)

    @property
    def nodes(self) -> list[ConnectionHandler]:
        """The per-server handlers, in the order the hosts were given."""
        return [twin_of(n) for n in self._core.nodes]

    @property
    def _ring(self) -> Any:
        return self._core.ring

    def pipeline(self) -> Any:
        """Not supported across shards: raises ``NotImplementedError`` at once, as txredisapi."""
        return self._core.pipeline()


class ShardedUnixConnectionHandler(ShardedConnectionHandler):
    """Sharding over Unix-socket servers."""


class Sentinel(_mixin("SentinelMethods"), _Twin):  # type: ignore[misc]
    """Sentinel discovery (txredisapi's API); ``master_for``/``slave_for`` return handlers at once."""

    discovery_timeout: float = 10

    def __init__(self, sentinel_addresses: Sequence[Sequence[Any]], min_other_sentinels: int = 0,
                 **connection_kwargs: Any) -> None:
        from txredis_aio.sentinel import Sentinel as CoreSentinel

        from ._tls import to_ssl_option

        _reactor.loop()
        if "ssl_context_factory" in connection_kwargs:
            connection_kwargs["ssl_context_factory"] = to_ssl_option(
                connection_kwargs["ssl_context_factory"])
        self._core = CoreSentinel(sentinel_addresses, min_other_sentinels, **connection_kwargs)
        self._core.discovery_timeout = self.discovery_timeout

    def __setattr__(self, name: str, value: Any) -> None:
        if "_core" in self.__dict__:
            if name == "discovery_timeout":
                setattr(self._core, name, value)
            elif name in ("discover_master", "discover_slaves"):
                # A replacement (txredisapi's tests mock these) is what the core must ask too.
                setattr(self._core, name, _async_via(value))
        object.__setattr__(self, name, value)

    @property
    def sentinels(self) -> list[ConnectionHandler]:
        """The handlers of the sentinel connections."""
        return [twin_of(s) for s in self._core.sentinels]

    @property
    def min_other_sentinels(self) -> int:
        """Least number of other sentinels a sentinel must see for its answer to count."""
        return int(self._core.min_other_sentinels)

    @min_other_sentinels.setter
    def min_other_sentinels(self, value: int) -> None:
        self._core.min_other_sentinels = value

    def master_for(self, service_name: str, factory_class: Any = None, dbid: Optional[int] = None,
                   poolsize: int = 1, **connection_kwargs: Any) -> ConnectionHandler:
        """A handler on the service's master, returned at once (``factory_class`` is ignored)."""
        return twin_of(self._core.master_for(service_name, dbid, poolsize, **connection_kwargs))

    def slave_for(self, service_name: str, factory_class: Any = None, dbid: Optional[int] = None,
                  poolsize: int = 1, **connection_kwargs: Any) -> ConnectionHandler:
        """A handler on the service's replicas (else its master), returned at once."""
        return twin_of(self._core.slave_for(service_name, dbid, poolsize, **connection_kwargs))

    @staticmethod
    def filter_slaves(slaves: Sequence[dict[str, Any]]) -> list[tuple[str, int]]:
        """``(ip, port)`` of the replicas not flagged s_down or o_down."""
        return [(s["ip"], int(s["port"])) for s in slaves if not s["is_odown"] and not s["is_sdown"]]


def _async_via(fn: Any) -> Any:
    """An async function for the core that calls ``fn`` and waits for its Deferred, if any."""

    async def call_it(*args: Any, **kwargs: Any) -> Any:
        r = fn(*args, **kwargs)
        if isinstance(r, Deferred):
            r = await r.asFuture(asyncio.get_running_loop())
        return r

    return call_it


class ClusterHandler(gen.DeferredCommands, _mixin("ClusterMethods"), _Twin):  # type: ignore[misc]
    """Redis Cluster (beyond txredisapi): commands routed by slot; each returns a Deferred."""

    def _connecting(self) -> Deferred:
        return as_deferred(self._core._connected).addCallback(lambda _: self)


class ClusterPipeline(gen.DeferredCommands, _mixin("ClusterPipelineMethods"), _Twin):  # type: ignore[misc]
    """An explicit pipeline on a cluster client."""


class ClusterTransaction(gen.DeferredCommands, _ClusterTx, _Twin):  # type: ignore[misc,valid-type]
    """A transaction on the cluster node that serves its keys' slot."""


def _register() -> None:
    import importlib

    from .protocol import PROTOCOL_LIKE

    PROTOCOL_LIKE.extend([Transaction, Pipeline])
    register_twin(_CoreHandler, ConnectionHandler)
    specs = [
        ("txredis_aio.transaction", "Transaction", Transaction),
        ("txredis_aio.pipeline", "Pipeline", Pipeline),
        ("txredis_aio.sharding", "ShardedUnixConnectionHandler", ShardedUnixConnectionHandler),
        ("txredis_aio.sharding", "ShardedConnectionHandler", ShardedConnectionHandler),
        ("txredis_aio.cluster", "ClusterHandler", ClusterHandler),
        ("txredis_aio.cluster_batch", "ClusterPipeline", ClusterPipeline),
        ("txredis_aio.cluster_batch", "ClusterTransaction", ClusterTransaction),
    ]
    for modname, clsname, twin in specs:
        try:
            core_cls = getattr(importlib.import_module(modname), clsname)
        except (ImportError, AttributeError):
            continue
        register_twin(core_cls, twin)


_register()
