"""The cluster's shape: who serves which slot, parsed from CLUSTER SHARDS or CLUSTER SLOTS.

Pure, no I/O: the handler (``cluster.py``) fetches the raw (undecoded) reply and turns the
``ShardInfo`` list into live nodes and pools.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, Optional

from ._crc16 import SLOTS
from .errors import InvalidResponse

__all__ = ["ShardInfo", "parse_address", "parse_redirect", "parse_shards", "parse_slots", "slot_table"]


class ShardInfo(NamedTuple):
    """One primary, its healthy replicas and the slot ranges it serves (inclusive)."""

    ranges: list[tuple[int, int]]
    primary: str
    replicas: list[str]


def _s(x: Any) -> str:
    return x.decode("utf-8", "replace") if isinstance(x, (bytes, bytearray)) else str(x)


def _addr(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_address(addr: Any) -> tuple[str, int]:
    """``"host:port"`` (``[v6]:port`` too) or a ``(host, port)`` pair → ``(host, port)``."""
    if isinstance(addr, (tuple, list)):
        if len(addr) != 2:
            raise ValueError(f"a cluster node is (host, port), not {addr!r}")
        return str(addr[0]), int(addr[1])
    text = _s(addr)
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"a cluster node is 'host:port', not {addr!r}")
    return host.strip("[]"), int(port)


def parse_redirect(message: str) -> tuple[int, str]:
    """``MOVED 3999 127.0.0.1:6381`` (or ``ASK ...``) → ``(3999, "127.0.0.1:6381")``."""
    parts = message.split()
    host, port = parse_address(parts[2])
    return int(parts[1]), _addr(host, port)


def _pairs(flat: Any) -> dict[str, Any]:
    if isinstance(flat, dict):
        return {_s(k): v for k, v in flat.items()}
    return {_s(flat[i]): flat[i + 1] for i in range(0, len(flat) - 1, 2)}


def _endpoint(value: Any, fallback_host: str) -> Optional[str]:
    """The host clients should use; "" means "the node you asked", "?" means unknown."""
    host = _s(value) if value is not None else ""
    if host == "?":
        return None
    return host or fallback_host


def parse_shards(reply: Any, asked_host: str, tls: bool = False) -> list[ShardInfo]:
    """Parse a raw CLUSTER SHARDS reply (Redis ≥ 7); failed and unreachable nodes are left out."""
    out = []
    try:
        for raw in reply:
            shard = _pairs(raw)
            flat = [int(x) for x in shard.get("slots", [])]
            ranges = [(flat[i], flat[i + 1]) for i in range(0, len(flat) - 1, 2)]
            primary: Optional[str] = None
            replicas: list[str] = []
            for rawnode in shard.get("nodes", []):
                node = _pairs(rawnode)
                host = _endpoint(node.get("endpoint", node.get("ip")), asked_host)
                port = node.get("tls-port") if tls and node.get("tls-port") else node.get("port")
                if host is None or port is None:
                    continue
                addr = _addr(host, int(port))
                role = _s(node.get("role", b""))
                health = _s(node.get("health", b"online"))
                if role == "master":
                    primary = addr
                elif health != "fail":  # "loading" also means "has not replicated a write yet"
                    replicas.append(addr)
            if ranges and primary is not None:
                out.append(ShardInfo(ranges, primary, replicas))
    except (TypeError, ValueError, IndexError, AttributeError) as e:
        raise InvalidResponse(f"Cluster: cannot parse CLUSTER SHARDS reply: {e}") from e
    return out


def parse_slots(reply: Any, asked_host: str) -> list[ShardInfo]:
    """Parse a raw CLUSTER SLOTS reply (the pre-7 form); ranges of one primary are merged."""
    by_primary: dict[str, ShardInfo] = {}
    try:
        for entry in reply:
            start, end = int(entry[0]), int(entry[1])
            nodes = []
            for node in entry[2:]:
                host = _endpoint(node[0], asked_host)
                if host is not None:
                    nodes.append(_addr(host, int(node[1])))
            if not nodes:
                continue
            info = by_primary.get(nodes[0])
            if info is None:
                info = by_primary[nodes[0]] = ShardInfo([], nodes[0], [])
            info.ranges.append((start, end))
            for r in nodes[1:]:
                if r not in info.replicas:
                    info.replicas.append(r)
    except (TypeError, ValueError, IndexError) as e:
        raise InvalidResponse(f"Cluster: cannot parse CLUSTER SLOTS reply: {e}") from e
    return list(by_primary.values())


@dataclass
class SlotTable:
    """Slot number → index into ``shards`` (-1: nobody serves it)."""

    shards: list[ShardInfo] = field(default_factory=list)
    owner: list[int] = field(default_factory=lambda: [-1] * SLOTS)


def slot_table(shards: list[ShardInfo]) -> SlotTable:
    """Index a shard list by slot; later shards win overlaps (there are none in a sane cluster)."""
    table = SlotTable(list(shards))
    owner = table.owner
    for i, shard in enumerate(shards):
        for start, end in shard.ranges:
            for s in range(max(0, start), min(SLOTS - 1, end) + 1):
                owner[s] = i
    return table
