"""Sharded pub/sub on a cluster: each shard channel subscribed on the primary serving its slot.

How this works
--------------
``ClusterShardSubscriber`` keeps one ``Subscriber`` (``pubsub.py``; its resubscription split
per slot) per primary that serves a subscribed shard channel, and one forwarding task per
``Subscriber`` that moves its messages into a shared queue bounded by ``max_queue`` items and
``max_queue_bytes``: when it is full the forwarders wait, the node subscribers' own queues fill
(each bounded by ``max_queue`` and an eighth of ``max_queue_bytes``, at least 1 MiB) and pause
their sockets, as with one ``Subscriber``. ``_where`` maps each channel (wire bytes) to the node
it is subscribed on.

Ownership changes: when a slot moves, its node drops the shard channels of that slot
(an unsolicited SUNSUBSCRIBE); after a failover the old node is gone. Every
``check_interval`` seconds a watcher compares what each node's connection confirmed with what
was asked for; on any gap it refreshes the slot map and re-subscribes each channel on its
current owner. Messages published while a channel moves may be missed (pub/sub is
fire-and-forget); the subscription itself follows the slot.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Optional

from ._crc16 import key_bytes, key_slot
from ._feed import MAX_QUEUE_BYTES, item_size
from .cluster_topology import parse_address, parse_redirect
from .connection import ConnectionConfig
from .errors import MovedError, RedisError
from .pubsub import Message, Subscriber, SubscriberProtocol

if TYPE_CHECKING:
    from .cluster import ClusterHandler

__all__ = ["ClusterShardSubscriber"]

log = logging.getLogger(__name__)


class ClusterShardSubscriber:
    """SSUBSCRIBE across a cluster, iterated with ``async for`` (see module docstring)."""

    def __init__(self, handler: ClusterHandler, max_queue: int = 10000, check_interval: float = 1.0,
                 max_queue_bytes: int = MAX_QUEUE_BYTES) -> None:
        self._h = handler
        self.max_queue = max_queue
        self.max_queue_bytes = max_queue_bytes
        self._queued_bytes = 0
        self._room = asyncio.Event()  # set while the shared queue is below its byte bound
        self._room.set()
        self.check_interval = check_interval
        self._subs: dict[str, Subscriber] = {}
        self._forwarders: dict[str, asyncio.Task[None]] = {}
        self._where: dict[bytes, Optional[str]] = {}  # channel -> node (None: being moved)
        self._queue: asyncio.Queue[tuple[Message, int]] = asyncio.Queue(max_queue)
        self._watcher: Optional[asyncio.Task[None]] = None
        self.closed = False
        self.moves = 0

    def __repr__(self) -> str:
        return f"<ClusterShardSubscriber channels={len(self._where)} nodes={len(self._subs)}>"

    @property
    def shard_channels(self) -> list[bytes]:
        """The shard channels kept subscribed (wire bytes)."""
        return list(self._where)

    def _subscriber(self, addr: str) -> Subscriber:
        sub = self._subs.get(addr)
        if sub is None:
            host, port = parse_address(addr)
            cfg = ConnectionConfig(host=host, port=port, protocol_class=SubscriberProtocol, **self._h._config)
            sub = self._subs[addr] = Subscriber(
                cfg, self.max_queue, max_queue_bytes=max(1 << 20, self.max_queue_bytes // 8))
            self._forwarders[addr] = asyncio.ensure_future(self._forward(addr, sub))
        return sub

    async def _forward(self, addr: str, sub: Subscriber) -> None:
        try:
            async for item in sub:
                if isinstance(item, Message):
                    while self._queued_bytes >= self.max_queue_bytes:
                        self._room.clear()
                        await self._room.wait()
                    size = item_size(*item)
                    self._queued_bytes += size
                    await self._queue.put((item, size))
        except RedisError as e:  # e.g. resubscribing after a reconnect was refused (MOVED)
            log.warning("%r: the subscriber of %s ended: %s", self, addr, e)
        finally:  # its channels now look lost: the watcher moves them to a new subscriber
            if self._subs.get(addr) is sub:
                del self._subs[addr]
                self._forwarders.pop(addr, None)

    def _owner(self, wire: bytes) -> Optional[str]:
        shard = self._h._slots[key_slot(wire)]
        return shard.primary.addr if shard is not None else None

    async def ssubscribe(self, channels: Any) -> list[Any]:
        """SSUBSCRIBE each channel on its slot's primary; every confirmation, in node order."""
        if self.closed:
            raise RedisError("This subscriber is closed")
        names = [channels] if isinstance(channels, (str, bytes)) else list(channels)
        if not names:
            raise ValueError("SSUBSCRIBE needs at least one channel")
        wires = [key_bytes(c, self._h.charset) for c in names]
        await self._h._wait_topology()
        out: list[Any] = []
        for _ in range(self._h.max_redirects + 1):
            groups: dict[tuple[str, int], list[bytes]] = {}  # one SSUBSCRIBE per slot
            for w in wires:
                addr = self._owner(w)
                if addr is None:
                    raise RedisError(f"CLUSTERDOWN the slot of shard channel {w!r} is not served")
                groups.setdefault((addr, key_slot(w)), []).append(w)
            results = await asyncio.gather(
                *(self._subscriber(a).ssubscribe(g) for (a, _), g in groups.items()),
                return_exceptions=True)
            wires = []
            for ((addr, _), group), res in zip(groups.items(), results):
                if isinstance(res, MovedError):
                    self._h._moved(*parse_redirect(str(res)))
                    wires.extend(group)
                elif isinstance(res, BaseException):
                    raise res
                else:
                    out.extend(res)
                    for w in group:
                        self._where[w] = addr
            if not wires:
                break
        else:
            raise RedisError(f"Cluster: shard channels {wires!r} kept moving; not subscribed")
        if self._watcher is None:
            self._watcher = asyncio.ensure_future(self._watch())
        return out

    async def sunsubscribe(self, channels: Any = None) -> list[Any]:
        """SUNSUBSCRIBE these shard channels, or all of them when None."""
        if channels is None:
            wires = list(self._where)
        else:
            names = [channels] if isinstance(channels, (str, bytes)) else list(channels)
            wires = [key_bytes(c, self._h.charset) for c in names]
        groups: dict[tuple[str, int], list[bytes]] = {}  # one SUNSUBSCRIBE per slot
        for w in wires:
            addr = self._where.pop(w, None)
            if addr is not None:
                groups.setdefault((addr, key_slot(w)), []).append(w)
        results = await asyncio.gather(*(self._subs[a].sunsubscribe(g) for (a, _), g in groups.items()))
        return [r for rs in results for r in rs]

    async def _watch(self) -> None:
        while not self.closed:
            await asyncio.sleep(self.check_interval)
            try:
                await self._reconcile()
            except (RedisError, OSError) as e:
                log.warning("%r: could not move shard channels to their new owners: %s", self, e)

    async def _reconcile(self) -> None:
        if not any(self._gone(wire, addr) for wire, addr in self._where.items()):
            return
        await self._h.refresh()
        moving: dict[Optional[str], list[bytes]] = {}
        for wire, addr in list(self._where.items()):
            owner = self._owner(wire)
            # Move when the slot has a new owner, or nothing is placed / the subscriber ended.
            # A live subscriber whose node is only down resubscribes by itself on reconnect.
            if owner is not None and (owner != addr or addr is None or addr not in self._subs):
                moving.setdefault(addr, []).append(wire)
        for addr, wires in moving.items():
            old = self._subs.get(addr) if addr is not None else None
            for w in wires:  # forget them there (the node may refuse or be gone: nothing to undo)
                if old is None:
                    break
                try:
                    await asyncio.wait_for(old.sunsubscribe([w]), 1.0)
                except (RedisError, asyncio.TimeoutError):
                    pass
            for w in wires:
                self._where[w] = None  # wanted, placed nowhere until the new SSUBSCRIBE succeeds
            try:
                await self.ssubscribe(wires)
            except (RedisError, OSError, asyncio.TimeoutError) as e:
                log.warning("%r: could not subscribe %r on their new node yet: %s", self, wires, e)
                continue
            self.moves += len(wires)
        await self._drop_idle()

    def _gone(self, wire: bytes, addr: Optional[str]) -> bool:
        """The node's connection has not confirmed this channel (lost, moved away, or down)."""
        sub = self._subs.get(addr) if addr is not None else None
        proto = sub._proto if sub is not None else None
        return proto is None or wire not in proto.server_subs[2]  # type: ignore[attr-defined]

    async def _drop_idle(self) -> None:
        used = {a for a in self._where.values() if a is not None}
        for addr in [a for a in self._subs if a not in used]:
            sub = self._subs.pop(addr)
            task = self._forwarders.pop(addr, None)
            if task is not None:
                task.cancel()
            await sub.disconnect()

    def __aiter__(self) -> ClusterShardSubscriber:
        return self

    async def __anext__(self) -> Message:
        if self.closed and self._queue.empty():
            raise StopAsyncIteration
        item, size = await self._queue.get()
        self._queued_bytes -= size
        if self._queued_bytes < self.max_queue_bytes // 2:
            self._room.set()
        return item

    async def disconnect(self) -> None:
        """Unsubscribe everything by closing every node's subscriber connection."""
        self.closed = True
        if self._watcher is not None:
            self._watcher.cancel()
        for task in self._forwarders.values():
            task.cancel()
        await asyncio.gather(*(s.disconnect() for s in self._subs.values()), return_exceptions=True)
        self._subs.clear()
        self._forwarders.clear()
        self._where.clear()

    async def __aenter__(self) -> ClusterShardSubscriber:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.disconnect()
