"""The client's view of a cluster: nodes with their pools, and the slot → shard map.

How this works
--------------
``ClusterTopology`` keeps ``_slots`` (16384 entries, each a ``Shard`` or None), ``_shards`` and
``_nodes`` (address → ``ClusterNode`` with its ``Pool``). ``refresh()`` is single-flight and
spaced by at least ``_MIN_REFRESH``: it asks the known primaries (shuffled), then other known
nodes, then the startup nodes, for CLUSTER SHARDS (CLUSTER SLOTS on older servers), replaces
the map in one step and closes the pools of nodes that left it. ``_moved()`` patches one slot
between refreshes. Replica pools exist only with ``read_from_replicas``; then every connection
of every node sends READONLY before anything else (harmless on a primary, and right again
after a failover swaps roles).
"""

from __future__ import annotations

import asyncio
import random
from typing import Any, Callable, Iterable, Optional, Sequence, Union

from ._compat import timeout as _timeout
from ._crc16 import SLOTS, slot_of
from ._protocol import RedisProtocol
from .cluster_topology import ShardInfo, parse_address, parse_shards, parse_slots
from .commands._base import RAW
from .commands._table import command_info, keys_of
from .connection import ConnectionConfig
from .errors import (
    AskError,
    BusyLoadingError,
    ClusterDownError,
    ConnectionError,
    HandshakeError,
    MovedError,
    RedisError,
    ResponseError,
    TryAgainError,
)
from .pool import Pool, _loop

__all__ = ["ClusterNode", "ClusterTopology", "Shard", "connection_of", "request_keys", "retryable", "settle"]

_MIN_REFRESH = 0.1  # seconds between two topology refreshes
Address = Union[str, Sequence[Any]]


def _consume(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


def settle(dst: asyncio.Future[Any], src: asyncio.Future[Any],
           transform: Optional[Callable[[Any], Any]] = None, seen: bool = False) -> None:
    """Give ``dst`` the outcome of the done ``src``: its result (through ``transform``), its
    error, or cancellation; nothing if ``dst`` is done already (``src``'s error is still marked
    seen). With ``seen`` an error set on ``dst`` counts as retrieved too."""
    if src.cancelled():
        dst.cancel()
        return
    exc = src.exception()
    if dst.done():
        return
    if exc is None:
        try:
            value = src.result() if transform is None else transform(src.result())
        except Exception as e:  # a failing transform must still settle the caller
            exc = e
        else:
            dst.set_result(value)
            return
    dst.set_exception(exc)
    if seen:
        dst.exception()


def _send_readonly(proto: RedisProtocol) -> None:
    proto.execute(("READONLY",), None, False).add_done_callback(_consume)


class ClusterNode:
    """One cluster member and its pool."""

    __slots__ = ("addr", "pool")

    def __init__(self, addr: str, pool: Pool) -> None:
        self.addr = addr
        self.pool = pool

    def __repr__(self) -> str:
        return f"<ClusterNode {self.addr} connected={self.pool.connected} pending={self.pool.pending}>"


class Shard:
    """A primary, the replicas read from (if any), and a round-robin cursor over them."""

    __slots__ = ("primary", "replicas", "_next")

    def __init__(self, primary: ClusterNode, replicas: list[ClusterNode]) -> None:
        self.primary = primary
        self.replicas = replicas
        self._next = 0

    def reader(self) -> ClusterNode:
        """The next replica with a ready connection, else the primary."""
        replicas = self.replicas
        for _ in range(len(replicas)):
            self._next = (self._next + 1) % len(replicas)
            node = replicas[self._next]
            if node.pool.pick() is not None:
                return node
        return self.primary


async def connection_of(node: ClusterNode, blocking: bool) -> RedisProtocol:
    """A shared connection of the node (a leased one for blocking commands).

    Fails with ``ConnectionError("Not connected")`` — nothing sent — when none can be had.
    """
    pool = node.pool
    if blocking:
        return await pool.lease()
    proto = pool.pick()
    while proto is None:
        await pool.wait_ready()
        proto = pool.pick()
        if proto is None:  # every connection leased: queue like a lease user
            pool.release(await pool.lease())
            proto = pool.pick()
    return proto


def _unsent(exc: BaseException) -> bool:
    """True for the failure the pool and protocol give when nothing was written."""
    return type(exc) is ConnectionError and exc.args == ("Not connected",)


def retryable(exc: BaseException) -> bool:
    """True for failures the server guarantees did not run the command (or nothing was sent)."""
    return isinstance(exc, (MovedError, AskError, TryAgainError, ClusterDownError,
                            BusyLoadingError)) or _unsent(exc)


# Command name (as the caller spelled it) -> True when its one key is always args[1].
_ONE_KEY: dict[Any, bool] = {}
_ONE_KEY_SPEC = (("index", 1), ("range", 0, 1, 0))


def request_keys(args: tuple) -> list[Any]:
    """The key arguments of a request (``keys_of``, with a fast path for one-key commands)."""
    try:
        one = _ONE_KEY.get(args[0])
        if one is None:
            info = command_info(args)
            if len(_ONE_KEY) > 2000:  # only command names are cached; bound odd callers
                _ONE_KEY.clear()
            one = _ONE_KEY[args[0]] = (
                info is not None and "|" not in info.name and len(info.key_specs) == 1
                and tuple(info.key_specs[0][1:]) == _ONE_KEY_SPEC
            )
        if one and len(args) > 1:
            return [args[1]]
        return keys_of(args)
    except (ValueError, IndexError, TypeError):
        return []  # malformed: let a node answer with its own error


def _addr(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class ClusterTopology:
    """Nodes, pools and the slot map (see module docstring)."""

    def __init__(
        self, startup_nodes: Iterable[Address], config: dict[str, Any], poolsize: int,
        read_from_replicas: bool,
    ) -> None:
        self._startup = [parse_address(a) for a in startup_nodes]
        if not self._startup:
            raise ValueError("ClusterConnection needs at least one startup node")
        if not isinstance(poolsize, int) or isinstance(poolsize, bool) or poolsize < 1:
            raise ValueError(f"Redis poolsize must be an integer, not {poolsize!r}")
        ConnectionConfig(host="localhost", **config)  # bad settings fail here, not per node
        self._config = dict(config)
        self.charset: Optional[str] = self._config.get("charset", "utf-8")
        self.poolsize = poolsize
        self.read_from_replicas = read_from_replicas
        self._loop = _loop()
        self._nodes: dict[str, ClusterNode] = {}
        self._slots: list[Optional[Shard]] = [None] * SLOTS
        self._shards: list[Shard] = []
        self._loaded = False
        self._layout: object = None  # (primary, ranges) of every shard, to notice changes
        self._changed: Optional[asyncio.Future[None]] = None
        self._refresh_task: Optional[asyncio.Future[None]] = None
        self._last_refresh = -1e9
        self._closing: list[Pool] = []
        self.closed = False
        self.stats = {"moved": 0, "ask": 0, "retries": 0, "refreshes": 0}

    def _node(self, addr: str) -> ClusterNode:
        node = self._nodes.get(addr)
        if node is None:
            host, port = parse_address(addr)
            node = self._nodes[addr] = ClusterNode(addr, self._make_pool(host, port, self.poolsize))
        return node

    def _make_pool(self, host: str, port: int, size: int) -> Pool:
        pool = Pool(ConnectionConfig(host=host, port=port, **self._config), size)
        if self.read_from_replicas:
            pool.on_ready.append(_send_readonly)
        return pool

    def _moved(self, slot: int, addr: str) -> ClusterNode:
        """MOVED: the slot is now served by ``addr``; patch the map and schedule a refresh."""
        node = self._node(addr)
        for shard in self._shards:
            if shard.primary is node:
                break
        else:
            shard = Shard(node, [])
            self._shards.append(shard)
        self._slots[slot] = shard
        self.refresh()
        return node

    def refresh(self) -> asyncio.Future[None]:
        """Reload the slot map soon (single-flight); the Future resolves when it is loaded."""
        task = self._refresh_task
        if task is None or task.done():
            task = self._refresh_task = self._loop.create_task(self._refresh())
            task.add_done_callback(_consume)
        return task

    async def _wait_topology(self) -> None:
        if not self._loaded:
            await asyncio.shield(self.refresh())

    async def _refresh(self) -> None:
        delay = self._last_refresh + _MIN_REFRESH - self._loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        errors = []
        refused: Optional[HandshakeError] = None
        for addr in self._candidates():
            try:
                shards = await self._fetch(addr)
            except (RedisError, OSError, asyncio.TimeoutError) as e:
                errors.append(f"{addr}: {str(e) or type(e).__name__}")
                if isinstance(e, HandshakeError) and refused is None:
                    refused = e
                continue
            if not shards:
                errors.append(f"{addr}: no slots assigned")
                continue
            if self.closed:
                return
            self._apply(shards)
            self._last_refresh = self._loop.time()
            self.stats["refreshes"] += 1
            return
        self._last_refresh = self._loop.time()
        if refused is not None:  # a wrong password is not worth hiding behind "Not connected"
            raise refused
        raise ConnectionError("Cluster: no node answered CLUSTER SHARDS: " + "; ".join(errors))

    def _candidates(self) -> list[str]:
        primaries = [s.primary.addr for s in self._shards]
        random.shuffle(primaries)
        others = [a for a in self._nodes if a not in primaries]
        startup = [_addr(h, p) for h, p in self._startup]
        return list(dict.fromkeys(primaries + others + startup))

    async def _fetch(self, addr: str) -> list[ShardInfo]:
        node = self._nodes.get(addr)
        host, port = parse_address(addr)
        pool = node.pool if node is not None else self._make_pool(host, port, 1)
        limit = self._config.get("connect_timeout") or 5.0
        try:
            async with _timeout(limit * 2):
                try:
                    proto = await connection_of(ClusterNode(addr, pool), False)
                except ConnectionError:
                    why = next((s.last_error for s in pool._slots if s.last_error is not None), None)
                    if isinstance(why, RedisError):
                        raise why from None
                    raise
                try:
                    raw = await proto.execute(("CLUSTER", "SHARDS"), RAW)
                    return parse_shards(raw, host, bool(self._config.get("tls")))
                except ResponseError as e:
                    if "unknown" not in str(e).lower():
                        raise
                raw = await proto.execute(("CLUSTER", "SLOTS"), RAW)
                return parse_slots(raw, host)
        finally:
            if node is None:
                await pool.close()

    def _apply(self, infos: list[ShardInfo]) -> None:
        wanted = {i.primary for i in infos}
        if self.read_from_replicas:
            wanted.update(a for i in infos for a in i.replicas)
        old, self._nodes = self._nodes, {a: n for a, n in self._nodes.items() if a in wanted}
        shards = []
        slots: list[Optional[Shard]] = [None] * SLOTS
        for info in infos:
            replicas = [self._node(a) for a in info.replicas] if self.read_from_replicas else []
            shard = Shard(self._node(info.primary), replicas)
            shards.append(shard)
            for start, end in info.ranges:
                slots[start:end + 1] = [shard] * (end + 1 - start)
        self._shards = shards
        self._slots = slots
        self._loaded = True
        layout = sorted((i.primary, tuple(i.ranges)) for i in infos)
        if layout != self._layout:
            self._layout = layout
            changed, self._changed = self._changed, None
            if changed is not None and not changed.done():
                changed.set_result(None)
        for addr, node in old.items():
            if addr not in self._nodes:
                self._close_later(node.pool)

    async def _wait_for_change(self, delay: float, refresh: bool) -> None:
        """Back off ``delay`` seconds, cut short when a refresh finds a new slot layout.

        With ``refresh``, the map is reloaded every ``_MIN_REFRESH`` meanwhile: a failover is
        noticed as soon as the cluster reports it, not at the end of the backoff.
        """
        end = self._loop.time() + delay
        while True:
            remaining = end - self._loop.time()
            if remaining <= 0:
                return
            if refresh:
                self.refresh()
            if self._changed is None:
                self._changed = self._loop.create_future()
            try:
                await asyncio.wait_for(asyncio.shield(self._changed), min(remaining, 2 * _MIN_REFRESH))
                return
            except asyncio.TimeoutError:
                continue

    def _close_later(self, pool: Pool) -> None:
        self._closing.append(pool)
        task = self._loop.create_task(pool.close())
        task.add_done_callback(lambda _t: self._closing.remove(pool))

    # -- state and shutdown --------------------------------------------------------------------

    @property
    def nodes(self) -> dict[str, ClusterNode]:
        """Known nodes by ``host:port`` (primaries, and replicas when reading from them)."""
        return dict(self._nodes)

    def primaries(self) -> list[str]:
        """Addresses of the primaries in the current slot map."""
        return [s.primary.addr for s in self._shards]

    def address_for(self, key: Any) -> Optional[str]:
        """The address of the primary serving ``key``'s slot, per the current map."""
        shard = self._slots[slot_of(key, self.charset)]
        return shard.primary.addr if shard is not None else None

    async def wait_all_ready(self) -> None:
        """Load the slot map, then wait until every node's pool has connected once.

        A replica that cannot be reached is not fatal (reads go to its primary meanwhile); a
        primary's connect error is raised.
        """
        await self._wait_topology()
        nodes = list(self._nodes.values())
        primaries = {s.primary for s in self._shards}
        results = await asyncio.gather(*(n.pool.wait_all_ready() for n in nodes), return_exceptions=True)
        for node, result in zip(nodes, results):
            if isinstance(result, BaseException) and node in primaries:
                raise result

    async def disconnect(self) -> None:
        """Close every node's connections; later commands fail "Not connected"."""
        self.closed = True
        task = self._refresh_task
        if task is not None and not task.done():
            task.cancel()
        pools = [n.pool for n in self._nodes.values()] + list(self._closing)
        await asyncio.gather(*(p.close() for p in pools), return_exceptions=True)

    def __repr__(self) -> str:
        served = sum(1 for s in self._slots if s is not None)
        pending = sum(n.pool.pending for n in self._nodes.values())
        state = " closed" if self.closed else ""
        return (f"<ClusterConnection primaries={len(self._shards)} nodes={len(self._nodes)} "
                f"slots={served}/{SLOTS} pending={pending}{state}>")
