"""Facts about commands, read from the generated table: blocking, read-only, key positions.

Sharding, exclusive leasing and cluster routing ask here instead of keeping hand lists. Pure,
no asyncio. The data (``_table_data.py``) is generated from a server's COMMAND INFO by
``scripts/gen_command_table.py``.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

from ._table_data import COMMANDS, COMMANDS_OF

__all__ = [
    "CommandInfo", "blocking_seconds", "command_info", "command_name", "is_blocking", "is_readonly",
    "key_indexes", "keys_of", "servers_of",
]


class CommandInfo(NamedTuple):
    """One command's COMMAND INFO facts (name lower-case, ``container|sub`` for subcommands)."""

    name: str
    arity: int
    flags: frozenset[str]
    categories: frozenset[str]
    key_specs: tuple[Any, ...]


_INFO: dict[str, CommandInfo] = {
    name: CommandInfo(name, arity, frozenset(flags), frozenset(acl), specs)
    for name, (arity, flags, acl, specs) in COMMANDS.items()
}
_SERVERS_OF = {name: servers for servers, names in COMMANDS_OF.items() for name in names}
_CONTAINERS = frozenset(name.split("|", 1)[0] for name in _INFO if "|" in name)
# Commands that hold their connection until a condition or timeout although COMMAND INFO does
# not flag them ``blocking`` (WAIT, WAITAOF): pools must lease a connection for them too.
_ALSO_BLOCKING = frozenset({"wait", "waitaof"})


def _text(x: Any) -> str:
    return x.decode("utf-8", "replace") if isinstance(x, (bytes, bytearray)) else str(x)


def servers_of(name: str) -> tuple[str, ...]:
    """Which of the dumped servers (``redis8``, ``valkey8``, ``redis7``) have command ``name``
    (lower case, ``container|sub``); () for one none of them has."""
    return _SERVERS_OF.get(name, ())


def command_name(args: tuple) -> str:
    """A request's command name in upper case (bytes decoded leniently; "" for no name)."""
    if not args:
        return ""
    return _text(args[0]).upper()


def _sort_store_key(args: tuple) -> list[int]:
    """SORT's STORE destination, which its key specs leave "unknown" (as Redis' sortGetKeys)."""
    skip = {"BY": 1, "GET": 1, "LIMIT": 2}
    out, i = [], 2
    while i < len(args):
        word = _text(args[i]).upper()
        if word == "STORE" and i + 1 < len(args):
            out = [i + 1]
            i += 2
            continue
        i += 1 + skip.get(word, 0)
    return out


def command_info(args: tuple) -> Optional[CommandInfo]:
    """The table entry for a request (``("CONFIG", "GET", ...)`` finds ``config|get``)."""
    name = _text(args[0]).lower()
    if name in _CONTAINERS and len(args) > 1:
        sub = _INFO.get(f"{name}|{_text(args[1]).lower()}")
        if sub is not None:
            return sub
    return _INFO.get(name)


def is_blocking(args: tuple) -> bool:
    """True when this request may block its connection (XREAD/XREADGROUP only with BLOCK)."""
    info = command_info(args)
    if info is None:
        return False
    if info.name in _ALSO_BLOCKING:
        return True
    if "blocking" not in info.flags:
        return False
    if info.name in ("xread", "xreadgroup"):
        return any(_text(a).upper() == "BLOCK" for a in args[1:] if isinstance(a, (str, bytes)))
    return True


# Where a blocking command says how long the server may block: (argument index, seconds per unit).
_BLOCK_ARG = {
    "blpop": (-1, 1.0), "brpop": (-1, 1.0), "bzpopmin": (-1, 1.0), "bzpopmax": (-1, 1.0),
    "brpoplpush": (-1, 1.0), "blmove": (-1, 1.0), "blmpop": (1, 1.0), "bzmpop": (1, 1.0),
    "wait": (2, 0.001), "waitaof": (3, 0.001),
}


def blocking_seconds(args: tuple) -> Optional[float]:
    """How long the server may hold this blocking request before it answers by itself; None
    when it may block forever (a timeout of 0) or the request does not say."""
    info = command_info(args)
    if info is None:
        return None
    try:
        if info.name in ("xread", "xreadgroup"):
            words = [_text(a).upper() for a in args]
            value = float(_text(args[words.index("BLOCK") + 1])) / 1000
        else:
            index, unit = _BLOCK_ARG[info.name]
            value = float(_text(args[index])) * unit
    except (KeyError, ValueError, IndexError, TypeError):
        return None
    return value if value > 0 else None


def is_readonly(args: tuple) -> bool:
    """True for commands flagged ``readonly`` (safe to send to a replica)."""
    info = command_info(args)
    return info is not None and "readonly" in info.flags


def key_indexes(args: tuple) -> list[int]:
    """Positions in ``args`` that hold key names, from the command's key specs.

    Raises ``ValueError`` when the request is too short for its key specs.
    """
    info = command_info(args)
    if info is None:
        return []
    n = len(args)
    out: list[int] = []
    for flags, begin, find in info.key_specs:
        if begin[0] == "unknown":
            if info.name == "sort" and "OW" in flags:
                out.extend(_sort_store_key(args))
            continue
        if begin[0] == "index":
            start = begin[1]
        elif begin[0] == "keyword":
            keyword, startfrom = begin[1], begin[2]
            rng = range(startfrom, n) if startfrom >= 0 else range(n + startfrom, 0, -1)
            start = -1
            for i in rng:
                if _text(args[i]).upper() == keyword:
                    start = i + 1
                    break
            if start < 0:
                continue
        else:
            continue
        if start >= n:
            continue
        if find[0] == "range":
            lastkey, step, limit = find[1], find[2], find[3]
            if lastkey >= 0:
                last = start + lastkey
            elif limit > 1:
                last = start + (n - start) // limit - 1
            else:
                last = n + lastkey
            out.extend(range(start, min(last, n - 1) + 1, step))
        elif find[0] == "keynum":
            numkeys = int(_text(args[start + find[1]]))
            first = start + find[2]
            out.extend(range(first, min(first + numkeys * find[3], n), find[3]))
    if info.name == "migrate" and 3 in out and _text(args[3]) == "":
        out.remove(3)  # MIGRATE ... "" ... KEYS k1 k2: the empty key slot is a placeholder
    return out


def keys_of(args: tuple) -> list[Any]:
    """The key arguments of a request (see ``key_indexes``)."""
    return [args[i] for i in key_indexes(args)]
