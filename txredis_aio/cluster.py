"""Redis Cluster: every command routed to the node serving its keys' slot.

How this works
--------------
* The slot map and the per-node pools live in ``ClusterTopology`` (``cluster_nodes.py``).
* Common path (``_execute``): keys from the command table → one slot (several slots raise
  ``CrossSlotError`` before anything is sent) → the shard's primary (a replica for read-only
  commands with ``read_from_replicas``) → a shared connection → ``proto.execute``. The caller
  gets a plain Future chained to the protocol's by one callback: no Task.
* That callback retries only what the server guarantees did not run: MOVED (slot map patched,
  full refresh scheduled, retry on the named node), ASK (ASKING and the command written
  together on one connection of the named node), TRYAGAIN / CLUSTERDOWN / LOADING (bounded
  backoff), and "Not connected" (nothing was written; refresh, backoff). Only then does a Task
  (``_run``) take over. Anything else — a lost connection, a reply timeout — may have run and
  goes to the caller as is, after scheduling a refresh.
* More than ``max_redirects`` MOVED/ASK for one command raise ``ClusterError`` (from the third
  on, each waits 50 ms, doubling: nodes may disagree for a moment while a slot is handed
  over); more than ``retry_attempts`` refusals re-raise the last one.
* Keyless commands: PING, FLUSHDB, FLUSHALL, DBSIZE, KEYS and SCRIPT LOAD/FLUSH/EXISTS run on
  every primary and merge; any other goes to one random primary (``node(addr)`` targets one).
"""

from __future__ import annotations

import asyncio
import random
from functools import partial
from typing import Any, Callable, Iterable, Optional

from ._crc16 import slot_of
from ._feed import MAX_QUEUE_BYTES
from ._resp import make_encoder
from .client import Connecting, ConnectionHandler, HandlerStubs
from .cluster_batch import ClusterPipeline, ClusterTransaction
from .cluster_commands import ClusterMultiKeyCommands
from .cluster_nodes import (
    Address,
    ClusterNode,
    ClusterTopology,
    connection_of,
    request_keys,
    retryable,
    settle,
)
from .cluster_pubsub import ClusterShardSubscriber
from .cluster_topology import parse_address, parse_redirect
from .commands import Commands
from .commands._base import Convert
from .commands._table import command_name, is_readonly
from .connection import SSLOption
from .errors import (
    AskError,
    BusyLoadingError,
    ClusterDownError,
    ConnectionError,
    MovedError,
    RedisError,
    ResponseError,
    TryAgainError,
)
from .pool import is_blocking_request

__all__ = [
    "ClusterConnecting",
    "ClusterConnection",
    "ClusterError",
    "ClusterHandler",
    "CrossSlotError",
    "lazyClusterConnection",
]

_NOT_SHAREABLE = frozenset({"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR", "SCAN", "SELECT"})


class CrossSlotError(ResponseError):
    """The keys of one command hash to different slots; raised before anything is sent."""


class ClusterError(RedisError):
    """The cluster kept redirecting a command (more than ``max_redirects`` MOVED/ASK)."""


def _consume(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


def _same(results: list[Any]) -> Any:
    return results[0]


def _concat(results: list[Any]) -> Any:
    return [x for r in results for x in (r or [])]


def _all(results: list[Any]) -> Any:
    if all(isinstance(r, list) for r in results):
        return [all(col) for col in zip(*results)]
    return all(results)


# Keyless commands sent to every primary, and how their replies merge.
_FANOUT: dict[str, Callable[[list[Any]], Any]] = {
    "PING": _same, "FLUSHDB": _same, "FLUSHALL": _same, "DBSIZE": sum, "KEYS": _concat,
    "SCRIPT LOAD": _same, "SCRIPT FLUSH": _same, "SCRIPT EXISTS": _all,
}


class ClusterHandler(HandlerStubs, ClusterMultiKeyCommands, ClusterTopology, Commands):
    """Commands over a Redis Cluster (see module docstring). Made by ``ClusterConnection``."""

    max_redirects = 5
    retry_attempts = 8
    retry_base = 0.05
    retry_max = 1.0

    def __init__(
        self, startup_nodes: Iterable[Address], config: dict[str, Any], poolsize: int = 1,
        read_from_replicas: bool = False, max_redirects: Optional[int] = None,
    ) -> None:
        ClusterTopology.__init__(self, startup_nodes, config, poolsize, read_from_replicas)
        self._encode = make_encoder(self.charset)
        if max_redirects is not None:
            self.max_redirects = max_redirects
        self._connected: Connecting[ClusterHandler] = Connecting(self, self.wait_all_ready)
        self.refresh()

    # -- routing: the common path ----------------------------------------------------------

    def _execute(self, *args: Any, convert: Convert = None) -> Any:
        if self._loop is not asyncio._get_running_loop():
            self._refuse_foreign()
        keys = request_keys(args)
        if not keys:
            return self._keyless(args, convert)
        slot = self.slot_of_keys(args, keys)
        shard = self._slots[slot]
        if shard is None or is_blocking_request(args):
            return self._start(args, convert, slot, None)
        node = shard.reader() if self.read_from_replicas and is_readonly(args) else shard.primary
        return self._send(args, convert, slot, node)

    def _refuse_foreign(self) -> None:
        """Fail at once when called after fork() or from another running loop than this handler's."""
        running = asyncio._get_running_loop()
        if (running is not None and running is not self._loop) or any(
                n.pool.forked for n in self._nodes.values()):
            raise RedisError(
                f"{self!r} was made in another process or event loop: its connections cannot serve "
                "this one; make a cluster handler here"
            )

    def _send(self, args: tuple, convert: Convert, slot: Optional[int], node: ClusterNode) -> Any:
        proto = node.pool.pick()
        if proto is None:
            return self._start(args, convert, slot, None)
        fut = _Routed(loop=self._loop)
        fut._h, fut._args, fut._convert, fut._slot = self, args, convert, slot
        return proto.execute(args, convert, True, fut)

    def slot_of_keys(self, args: tuple, keys: list[Any]) -> int:
        """The one slot of ``keys``; ``CrossSlotError`` naming them when they span several."""
        charset = self.charset
        slot = slot_of(keys[0], charset)
        for k in keys[1:]:
            if slot_of(k, charset) != slot:
                described = ", ".join(f"{k!r} (slot {slot_of(k, charset)})" for k in keys)
                raise CrossSlotError(
                    f"CROSSSLOT Keys in request don't hash to the same slot: {command_name(args)} {described}"
                )
        return slot

    def _keyless(self, args: tuple, convert: Convert) -> Any:
        name = command_name(args)
        if name in _NOT_SHAREABLE:
            raise RedisError(
                f"{name} cannot run on a cluster handler: use sharded_subscriber() for SSUBSCRIBE, "
                "scan_iter() for SCAN, node(addr) for one node's connections"
            )
        if len(args) > 1 and name == "SCRIPT":
            name = f"{name} {command_name(args[1:])}"
        merge = _FANOUT.get(name)
        if merge is not None:
            self._encode(args)
            return self._loop.create_task(self._fanout(args, convert, merge))
        if not self._shards or is_blocking_request(args):
            return self._start(args, convert, None, None)
        return self._send(args, convert, None, random.choice(self._shards).primary)

    def _route(self, slot: Optional[int], args: tuple, primary: bool) -> Optional[ClusterNode]:
        if slot is None:
            return random.choice(self._shards).primary if self._shards else None
        shard = self._slots[slot]
        if shard is None:
            return None
        if not primary and self.read_from_replicas and is_readonly(args):
            return shard.reader()
        return shard.primary

    # -- the retry path ----------------------------------------------------------------------

    def _start(self, args: tuple, convert: Convert, slot: Optional[int],
               node: Optional[ClusterNode]) -> asyncio.Task[Any]:
        self._encode(args)  # bad arguments fail now, not after a wait
        return self._loop.create_task(self._run(args, convert, slot, node, None))

    async def _run(self, args: tuple, convert: Convert, slot: Optional[int],
                   pinned: Optional[ClusterNode], exc: Optional[BaseException]) -> Any:
        """Run one command to completion, following redirects; see the module docstring."""
        redirects = tries = 0
        target, asking, primary = pinned, False, False
        blocking = is_blocking_request(args)
        while True:
            if exc is not None:
                if isinstance(exc, (MovedError, AskError)):
                    redirects += 1
                    if redirects > self.max_redirects:
                        raise ClusterError(
                            f"Cluster: gave up on {command_name(args)} after {redirects - 1} redirections; "
                            f"last reply: {exc}"
                        ) from exc
                    if redirects > 2:  # nodes that disagree for a moment (a slot being handed over)
                        await asyncio.sleep(self.retry_base * 2 ** (redirects - 3))
                    rslot, addr = parse_redirect(str(exc))
                    asking = isinstance(exc, AskError)
                    self.stats["ask" if asking else "moved"] += 1
                    target = self._node(addr) if asking else self._moved(rslot, addr)
                elif retryable(exc):
                    tries += 1
                    if tries > self.retry_attempts:
                        raise exc
                    self.stats["retries"] += 1
                    primary = True  # a replica that is loading or unreachable: use its primary
                    await self._wait_for_change(
                        min(self.retry_max, self.retry_base * 2 ** (tries - 1)),
                        refresh=not isinstance(exc, (TryAgainError, BusyLoadingError)),
                    )
                    target, asking = pinned, False
                else:
                    raise exc
                exc = None
            if self.closed:
                raise ConnectionError("Not connected")
            node = target
            if node is None:
                await self._wait_topology()
                node = self._route(slot, args, primary)
                if node is None:
                    exc = ClusterDownError(f"CLUSTERDOWN Hash slot {slot} is not served")
                    continue
            try:
                proto = await connection_of(node, blocking)
            except ConnectionError as e:
                exc = e
                continue
            if asking:
                proto.execute(("ASKING",), None).add_done_callback(_consume)
            try:
                fut = proto.execute(args, convert, not blocking)
            except BaseException:
                if blocking:
                    node.pool.release(proto)
                raise
            if blocking:  # the lease ends with the reply, even if the caller stops waiting
                fut.add_done_callback(lambda _f, p=proto, pool=node.pool: pool.release(p))
            try:
                return await (asyncio.shield(fut) if blocking else fut)
            except (ResponseError, ConnectionError) as e:
                if not retryable(e):
                    if isinstance(e, ConnectionError):
                        self.refresh()
                    raise
                exc = e

    async def _fanout(self, args: tuple, convert: Convert, merge: Callable[[list[Any]], Any]) -> Any:
        await self._wait_topology()
        primaries = [s.primary for s in self._shards]
        results = await asyncio.gather(*(self._run(args, convert, None, n, None) for n in primaries))
        return merge(list(results))

    # -- nodes, pipelines, transactions ----------------------------------------------------------

    def node(self, addr: Any) -> ConnectionHandler:
        """A handler for one node (``"host:port"`` or a pair) sharing this client's pool for it.

        For keyless commands aimed at one node (INFO, CONFIG, SCAN, CLUSTER ...). Its
        ``disconnect()`` does nothing; the cluster handler owns the pool.
        """
        host, port = parse_address(addr)
        return _NodeHandler(self._node(f"[{host}]:{port}" if ":" in host else f"{host}:{port}").pool)

    def node_for(self, key: Any) -> ConnectionHandler:
        """A handler for the primary serving ``key``'s slot now (it does not follow moves)."""
        addr = self.address_for(key)
        if addr is None:
            raise ClusterDownError(f"CLUSTERDOWN the slot of {key!r} is not served (or not loaded yet)")
        return self.node(addr)

    def sharded_subscriber(
        self, max_queue: int = 10000, check_interval: float = 1.0, max_queue_bytes: int = MAX_QUEUE_BYTES,
    ) -> ClusterShardSubscriber:
        """Sharded pub/sub (SSUBSCRIBE) that follows slot ownership; ``async for`` the messages.

        Memory is bounded by ``max_queue`` items and ``max_queue_bytes`` (see cluster_pubsub).
        """
        return ClusterShardSubscriber(self, max_queue, check_interval, max_queue_bytes)

    async def pipeline(self) -> ClusterPipeline:
        """A pipeline: commands buffered until ``execute_pipeline()``, sent per node at once."""
        await self._wait_topology()
        return ClusterPipeline(self)

    async def multi(self, keys: Any = None) -> ClusterTransaction:
        """MULTI on the primary of the transaction's slot (from ``keys``, or the first keyed command)."""
        t = ClusterTransaction(self)
        return await t.begin(keys, multi=True)

    async def watch(self, keys: Any) -> ClusterTransaction:
        """WATCH ``keys`` (one slot) on a leased connection of their primary."""
        t = ClusterTransaction(self)
        return await t.begin(keys, multi=False)

    async def __aenter__(self) -> ClusterHandler:
        try:
            await self.wait_all_ready()
        except BaseException:
            await self.disconnect()
            raise
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.disconnect()


class _NodeHandler(ConnectionHandler):
    """A ``ConnectionHandler`` over a pool it does not own."""

    async def disconnect(self) -> None:
        """Nothing: the cluster handler closes its pools."""


class _Routed(asyncio.Future):
    """A command's Future that turns a reply the server did not act on into a retry.

    The protocol settles it directly (no second Future, no extra callback); only a MOVED /
    ASK / TRYAGAIN / CLUSTERDOWN / LOADING / "Not connected" failure starts ``_run``, whose
    outcome then settles it.
    """

    __slots__ = ("_h", "_args", "_convert", "_slot")
    _h: Optional[ClusterHandler]
    _args: tuple
    _convert: Convert
    _slot: Optional[int]

    def set_exception(self, exc: Any) -> None:
        h = self._h
        if h is not None:
            self._h = None  # only the first failure may start a retry
            if retryable(exc):
                _chain(h._loop.create_task(h._run(self._args, self._convert, self._slot, None, exc)), self)
                return
            if isinstance(exc, ConnectionError):
                h.refresh()
        super().set_exception(exc)


def _chain(task: asyncio.Future[Any], outer: asyncio.Future[Any]) -> None:
    task.add_done_callback(partial(settle, outer))
    outer.add_done_callback(lambda o: task.cancel() if o.cancelled() else None)


#: What ``ClusterConnection`` returns (the one ``Connecting`` of every topology): await it, or
#: ``async with`` it; ready once the slot map is loaded and the primaries' connections are up.
ClusterConnecting = Connecting


def _make(
    startup_nodes: Iterable[Address], poolsize: int, charset: Optional[str], password: Optional[str],
    username: Optional[str], ssl_context_factory: SSLOption, use_ssl: bool,
    connectTimeout: Optional[float], replyTimeout: Optional[float], convertNumbers: bool,
    client_name: Optional[str], read_from_replicas: bool, max_redirects: Optional[int],
) -> ClusterHandler:
    config = dict(
        charset=charset, password=password, username=username, tls=ssl_context_factory or use_ssl,
        connect_timeout=connectTimeout, reply_timeout=replyTimeout, convert_numbers=convertNumbers,
        client_name=client_name,
    )
    return ClusterHandler(startup_nodes, config, poolsize, read_from_replicas, max_redirects)


def ClusterConnection(
    startup_nodes: Iterable[Address], poolsize: int = 1, charset: Optional[str] = "utf-8",
    password: Optional[str] = None, username: Optional[str] = None,
    ssl_context_factory: SSLOption = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True, *, use_ssl: bool = False,
    client_name: Optional[str] = None, read_from_replicas: bool = False,
    max_redirects: Optional[int] = None,
) -> Connecting[ClusterHandler]:
    """A Redis Cluster client; await it (or ``async with`` it) for the handler.

    ``startup_nodes``: ``"host:port"`` strings or ``(host, port)`` pairs, any reachable subset;
    ``poolsize`` connections per node.
    """
    return _make(startup_nodes, poolsize, charset, password, username, ssl_context_factory, use_ssl,
                 connectTimeout, replyTimeout, convertNumbers, client_name, read_from_replicas,
                 max_redirects)._connected


def lazyClusterConnection(
    startup_nodes: Iterable[Address], poolsize: int = 1, charset: Optional[str] = "utf-8",
    password: Optional[str] = None, username: Optional[str] = None,
    ssl_context_factory: SSLOption = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True, *, use_ssl: bool = False,
    client_name: Optional[str] = None, read_from_replicas: bool = False,
    max_redirects: Optional[int] = None,
) -> ClusterHandler:
    """A Redis Cluster client returned at once; it loads the slot map in the background."""
    return _make(startup_nodes, poolsize, charset, password, username, ssl_context_factory, use_ssl,
                 connectTimeout, replyTimeout, convertNumbers, client_name, read_from_replicas,
                 max_redirects)
