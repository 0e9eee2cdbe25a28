"""Which server a connection talks to, and the commands only some servers have.

Redis and Valkey share most commands but not all (hash-field TTLs and vector sets are Redis',
``SET ... IFEQ``, ``COMMANDLOG`` and ``CLUSTER SLOT-STATS`` Valkey's). The handshake learns the
server from ``HELLO``; a method whose command the server is known to lack raises
``UnsupportedCommandError`` before anything is sent. An unknown server (HELLO refused, or no
connection yet) is given the benefit of the doubt: the command goes out and the server answers.
Pure, no asyncio.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

from ..errors import UnsupportedCommandError

__all__ = ["FEATURES", "KNOWN_SERVERS", "ServerIdentity", "require"]


class ServerIdentity(NamedTuple):
    """A server's product (``"redis"`` or ``"valkey"``) and version, from its HELLO reply."""

    name: str
    version: tuple[int, ...]

    @classmethod
    def from_hello(cls, reply: Any) -> Optional[ServerIdentity]:
        """Parse a HELLO reply (flat RESP2 list or RESP3 map); None when it names no server."""
        if isinstance(reply, list):
            reply = dict(zip(reply[::2], reply[1::2]))
        if not isinstance(reply, dict):
            return None
        fields = {_text(k): v for k, v in reply.items()}
        name, version = fields.get("server"), fields.get("version")
        if name is None or version is None:
            return None
        parts = []
        for p in _text(version).split("."):
            if not p.isdigit():
                break
            parts.append(int(p))
        return cls(_text(name).lower(), tuple(parts))

    def __str__(self) -> str:
        return f"{self.name.capitalize()} {'.'.join(map(str, self.version))}"


def _text(x: Any) -> str:
    return x.decode("utf-8", "replace") if isinstance(x, (bytes, bytearray)) else str(x)


#: Products whose command sets FEATURES describes; others (forks, proxies) are not second-guessed.
KNOWN_SERVERS = frozenset({"redis", "valkey"})

# Command (as the method's docstring names it) -> {server name: first version that has it}.
# A server missing from a row lacks the command in every version this project knows.
FEATURES: dict[str, dict[str, tuple[int, ...]]] = {
    "HEXPIRE": {"redis": (7, 4), "valkey": (9, 0)},
    "HGETEX": {"redis": (8, 0), "valkey": (9, 0)},
    "HSETEX": {"redis": (8, 0), "valkey": (9, 0)},
    "HGETDEL": {"redis": (8, 0)},
    "vector sets (VADD, VSIM, ...)": {"redis": (8, 0)},
    "XACKDEL": {"redis": (8, 2)},
    "XDELEX": {"redis": (8, 2)},
    "SET ... IFEQ": {"valkey": (8, 1)},
    "SCRIPT SHOW": {"valkey": (8, 0)},
    "COMMANDLOG": {"valkey": (8, 1)},
    "CLUSTER SLOT-STATS": {"redis": (8, 2), "valkey": (8, 0)},
    "WAITAOF": {"redis": (7, 2), "valkey": (7, 2)},
    "CLIENT SETINFO": {"redis": (7, 2), "valkey": (7, 2)},
    "CLIENT NO-TOUCH": {"redis": (7, 2), "valkey": (7, 2)},
}


def require(feature: str, server: Optional[ServerIdentity]) -> None:
    """Raise ``UnsupportedCommandError`` when ``server`` is known to lack ``feature``."""
    if server is None or server.name not in KNOWN_SERVERS:
        return
    since = FEATURES[feature]
    first = since.get(server.name)
    if first is not None and server.version >= first:
        return
    where = " or ".join(f"{n.capitalize()} {'.'.join(map(str, v))}+" for n, v in since.items())
    raise UnsupportedCommandError(f"{feature} is not supported by {server} (it needs {where})")
