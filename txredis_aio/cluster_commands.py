"""Cluster versions of commands that span the key space.

``mget``/``mset``/``delete``/``unlink``/``exists``/``touch`` send one command per slot, at once
(each takes the handler's ordinary path), and merge: MGET values in key order, counts summed,
MSET's "OK". Atomicity holds per slot only. Keys of one slot need no split: one command.
``scan_iter`` walks every primary in turn; a bare ``scan`` cursor means nothing across nodes,
so ``scan()`` is refused (use ``scan_iter()`` or ``rc.node(addr).scan()``).
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Optional

from ._crc16 import slot_of
from ._resp import list_or_args
from .cluster_nodes import settle
from .commands._base import CommandsBase
from .errors import RedisError

__all__ = ["ClusterMultiKeyCommands"]


class ClusterMultiKeyCommands(CommandsBase):
    """Split-and-merge overrides; the handler provides ``charset`` and ``_loop``."""

    charset: Optional[str]
    _loop: asyncio.AbstractEventLoop

    if TYPE_CHECKING:  # provided by ClusterHandler / ClusterTopology
        def node(self, addr: Any) -> Any: ...

        def primaries(self) -> list[str]: ...

        async def _wait_topology(self) -> None: ...

    def _split(self, name: str, keys: list[Any], merge: Callable[[list[Any], list[list[int]]], Any],
               values: Optional[list[Any]] = None) -> Any:
        groups: dict[int, list[int]] = {}
        charset = self.charset
        for i, k in enumerate(keys):
            groups.setdefault(slot_of(k, charset), []).append(i)
        positions = list(groups.values())

        def request(idx: list[int]) -> Any:
            if values is None:
                return self._execute(name, *(keys[i] for i in idx))
            return self._execute(name, *(a for i in idx for a in (keys[i], values[i])))

        if len(positions) <= 1:
            return request(list(range(len(keys))))
        gathered = asyncio.gather(*(request(idx) for idx in positions))
        out = self._loop.create_future()
        gathered.add_done_callback(partial(settle, out, transform=lambda results: merge(results, positions)))
        return out

    def mget(self, keys: Any, *args: Any) -> Any:
        """MGET over any slots: one MGET per slot, values in the order of the keys."""
        keys = list_or_args("mget", keys, args)
        n = len(keys)

        def merge(results: list[Any], positions: list[list[int]]) -> list[Any]:
            out: list[Any] = [None] * n
            for got, idx in zip(results, positions):
                for i, v in zip(idx, got):
                    out[i] = v
            return out

        return self._split("MGET", keys, merge)

    def mset(self, mapping: Any) -> Any:
        """MSET over any slots: one MSET per slot (atomic per slot only); "OK"."""
        items = list(mapping.items())
        return self._split("MSET", [k for k, _ in items], lambda r, p: r[0], [v for _, v in items])

    def _count(self, name: str, method: str, keys: Any, args: tuple) -> Any:
        return self._split(name, list_or_args(method, keys, args), lambda r, p: sum(r))

    def delete(self, keys: Any, *args: Any) -> Any:
        """DEL over any slots: one DEL per slot, counts summed."""
        return self._count("DEL", "delete", keys, args)

    def unlink(self, keys: Any, *args: Any) -> Any:
        """UNLINK over any slots: one UNLINK per slot, counts summed."""
        return self._count("UNLINK", "unlink", keys, args)

    def touch(self, keys: Any, *args: Any) -> Any:
        """TOUCH over any slots: one TOUCH per slot, counts summed."""
        return self._count("TOUCH", "touch", keys, args)

    def exists(self, key: Any, *keys: Any) -> Any:
        """EXISTS over any slots: how many of the keys exist (0/1 for one key, as txredisapi)."""
        return self._split("EXISTS", [key, *keys], lambda r, p: sum(r))

    def scan(
        self, cursor: Any = 0, pattern: Any = None, count: Optional[int] = None, *, _type: Any = None,
    ) -> Any:
        """Refused: a SCAN cursor belongs to one node. Use ``scan_iter()`` or ``node(addr).scan()``."""
        raise RedisError("SCAN on a cluster: use scan_iter() (every primary) or rc.node(addr).scan()")

    async def scan_iter(
        self, pattern: Any = None, count: Optional[int] = None, *, _type: Any = None,
    ) -> AsyncIterator[Any]:
        """``async for key in rc.scan_iter(pattern)``: SCAN every primary in turn."""
        await self._wait_topology()
        for addr in self.primaries():
            async for key in self.node(addr).scan_iter(pattern, count, _type=_type):
                yield key
