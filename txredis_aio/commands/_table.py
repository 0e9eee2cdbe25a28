"""Facts about commands that routing needs (blocking, keys). Pure data, no asyncio."""

from __future__ import annotations

__all__ = ["BLOCKING", "is_blocking"]

# Commands that may block the connection server-side until data arrives or a timeout passes.
BLOCKING = frozenset(
    {
        "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP",
        "WAIT", "WAITAOF",
    }
)
_BLOCK_OPTION = frozenset({"XREAD", "XREADGROUP"})


def is_blocking(args: tuple) -> bool:
    """True when this request may block its connection (XREAD* only with BLOCK)."""
    name = args[0]
    if isinstance(name, bytes):
        name = name.decode()
    name = name.upper()
    if name in BLOCKING:
        return True
    if name in _BLOCK_OPTION:
        return any(isinstance(a, (str, bytes)) and a.upper() in ("BLOCK", b"BLOCK") for a in args)
    return False
