"""txredisapi's consistent-hash ring, reproduced exactly so sharded data stays where it is.

Placement rules (txredisapi ``HashRing`` and ``_findhash``):

* every node gets ``replicas`` (160) points ``crc32(b"<node id>:<i>")``, nodes in list order; a
  later node overwrites a point an earlier one already holds (the point stays listed twice);
* a key matching ``^.+\\{(.*)\\}.*`` hashes its tag (group 1) instead of the whole key, so
  ``"{user}:1"`` is not tagged and ``"a{b}c{d}"`` hashes ``"d"``;
* the key's point is the first ring point strictly above ``crc32(key)``; above the last point the
  index is clamped to the last point (no wrap-around).

txredisapi's sharding only ever ran on Python 2, where ``zlib.crc32`` is signed and keys were
byte strings: this ring uses the signed values and the key's UTF-8 bytes, the placement that data
placed by txredisapi actually has.
"""

from __future__ import annotations

import bisect
import re
import zlib
from typing import Any, Callable, Generic, Iterator, Optional, Sequence, TypeVar

__all__ = ["HashRing", "crc32_signed", "hash_input", "key_bytes"]

N = TypeVar("N")

_TAG = re.compile(rb"^.+\{(.*)\}.*")


def crc32_signed(data: bytes) -> int:
    """``zlib.crc32`` as Python 2 returned it: a signed 32-bit int."""
    v = zlib.crc32(data)
    return v - 0x100000000 if v >= 0x80000000 else v


def key_bytes(key: Any) -> bytes:
    """A key as the bytes Redis receives: str as UTF-8, bytes as is, numbers as their text."""
    if isinstance(key, bytes):
        return key
    if isinstance(key, (bytearray, memoryview)):
        return bytes(key)
    if isinstance(key, str):
        return key.encode("utf-8")
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        return repr(key).encode("ascii")
    raise TypeError(f"a key must be str, bytes, int or float, not {type(key).__name__}")


def hash_input(key: Any) -> bytes:
    """What the ring hashes for ``key``: its ``{tag}`` when it has one, else the whole key."""
    b = key_bytes(key)
    if b"{" not in b:
        return b
    m = _TAG.match(b)
    return m.group(1) if m is not None else b


def _default_id(node: Any) -> str:
    if isinstance(node, str):
        return node
    uuid = getattr(node, "uuid", None)
    if isinstance(uuid, str):
        return uuid
    raise TypeError(f"cannot tell the ring id of {node!r}: pass node_id= or give it a .uuid")


class HashRing(Generic[N]):
    """Consistent hash of keys onto nodes, placement identical to txredisapi's ``HashRing``.

    A node's ring id is the node itself when it is a str, else ``node.uuid``, else what
    ``node_id(node)`` returns (txredisapi used ``"host:port"`` or the Unix socket path).
    """

    def __init__(
        self, nodes: Sequence[N] = (), replicas: int = 160,
        node_id: Optional[Callable[[N], str]] = None,
    ) -> None:
        self.nodes: list[N] = []
        self.replicas = replicas
        self.ring: dict[int, N] = {}
        self.sorted_keys: list[int] = []
        self._node_id: Callable[[N], str] = node_id or _default_id
        for n in nodes:
            self.add_node(n)

    def _points(self, node: N) -> list[int]:
        uid = self._node_id(node).encode("utf-8")
        return [crc32_signed(b"%s:%d" % (uid, x)) for x in range(self.replicas)]

    def add_node(self, node: N) -> None:
        """Add a node after the others (its points overwrite colliding ones)."""
        self.nodes.append(node)
        for point in self._points(node):
            self.ring[point] = node
            self.sorted_keys.append(point)
        self.sorted_keys.sort()

    def remove_node(self, node: N) -> None:
        """Remove a node and its points (txredisapi's version of this was broken).

        A point it shared with another node goes back to the last remaining node that has it,
        which is what building the ring from the remaining nodes would give.
        """
        self.nodes.remove(node)
        for point in self._points(node):
            self.sorted_keys.remove(point)
        self.ring = {}
        for n in self.nodes:
            for point in self._points(n):
                self.ring[point] = n

    def get_node_pos(self, key: Any) -> tuple[Optional[N], Optional[int]]:
        """``(node, index in sorted_keys)`` for a key, or ``(None, None)`` on an empty ring."""
        if not self.ring:
            return None, None
        crc = crc32_signed(hash_input(key))
        idx = min(bisect.bisect_right(self.sorted_keys, crc), len(self.sorted_keys) - 1)
        return self.ring[self.sorted_keys[idx]], idx

    def get_node(self, key: Any) -> Optional[N]:
        """The node that holds ``key`` (``{hashtag}`` rule applied), None on an empty ring."""
        return self.get_node_pos(key)[0]

    def iter_nodes(self, key: Any) -> Iterator[tuple[Optional[int], Optional[N]]]:
        """``(point, node)`` pairs from the key's point to the end of the ring (as txredisapi)."""
        _, pos = self.get_node_pos(key)
        if pos is None:
            yield None, None
            return
        for k in self.sorted_keys[pos:]:
            yield k, self.ring[k]

    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        ids = ", ".join(self._node_id(n) for n in self.nodes)
        return f"<HashRing [{ids}] points={len(self.sorted_keys)}>"
