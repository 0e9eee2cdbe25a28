"""What a request does to the connection it runs on: may it block it, or change its mode?

The pool's seams (``ConnectionHandler``, ``Transaction``, ``Pipeline``) look the command name up
in ``SPECIAL_NAMES`` (one set lookup on the ordinary commands' path) and only then ask
``is_blocking_request`` (lease a connection for it) or ``check_request`` (refuse what would
desynchronise a connection others use: SUBSCRIBE, MONITOR, CLIENT REPLY OFF, HELLO 3...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .commands._table import _text, command_name, is_blocking
from .commands._table_data import COMMANDS
from .errors import ConnectionModeError

if TYPE_CHECKING:
    from .pool import Pool

__all__ = ["BLOCKING_NAMES", "SPECIAL_NAMES", "ConnectionModeError", "check_request", "is_blocking_request"]


def _spellings(names: Any) -> frozenset[Any]:
    """The spellings of command names a caller is likely to use, as str and bytes."""
    return frozenset(
        form for n in names for s in (n.lower(), n.upper(), n.capitalize()) for form in (s, s.encode())
    )


# WAIT blocks its connection too, though COMMAND INFO does not flag it "blocking".
_EXTRA_BLOCKING = ("WAIT", "WAITAOF")
_blocking = [n for n, (_a, flags, _c, _s) in COMMANDS.items() if "blocking" in flags and "|" not in n]
#: Every spelling of a possibly-blocking command name a caller is likely to use (str and bytes):
#: one set lookup keeps the check off the ordinary commands' path.
BLOCKING_NAMES = _spellings((*_blocking, *_EXTRA_BLOCKING))
# Commands that turn a connection into a push stream or another protocol: never on a pool.
_STREAMING = {
    "SUBSCRIBE": "SubscriberConnection", "PSUBSCRIBE": "SubscriberConnection",
    "SSUBSCRIBE": "SubscriberConnection", "UNSUBSCRIBE": "SubscriberConnection",
    "PUNSUBSCRIBE": "SubscriberConnection", "SUNSUBSCRIBE": "SubscriberConnection",
    "MONITOR": "MonitorConnection", "SYNC": "a replica", "PSYNC": "a replica",
}
# Commands checked by ``check_request`` depending on their arguments or the pool's size.
_CONDITIONAL = ("CLIENT", "HELLO", "SELECT", "RESET", "QUIT", "SHUTDOWN", "MULTI", "EXEC", "DISCARD", "WATCH")
#: Every name ``check_request`` (or the blocking path) must see; everything else skips it.
SPECIAL_NAMES = BLOCKING_NAMES | _spellings((*_STREAMING, *_CONDITIONAL))


def is_blocking_request(args: tuple) -> bool:
    """Whether a request may block its connection (BLPOP, XREAD ... BLOCK, WAIT, ...)."""
    try:
        if args[0] not in BLOCKING_NAMES:
            return False
    except (TypeError, IndexError):  # unhashable or missing name: the encoder will complain
        return False
    return is_blocking(args) or command_name(args) in _EXTRA_BLOCKING


def check_request(args: tuple, pool: Pool, leased: bool) -> str:
    """Refuse a request that would desynchronise a connection others use; return its name.

    Only called for names in ``SPECIAL_NAMES``. ``leased``: the request runs on a transaction's
    or pipeline's connection, which goes back to the pool afterwards. QUIT and SHUTDOWN (not
    ABORT) stop the pool reconnecting, as txredisapi's ``stopTrying()``.
    """
    name = command_name(args)
    if name in _STREAMING:
        raise ConnectionModeError(
            f"{name} would turn a pooled connection into a push stream and hand its messages to "
            f"other commands; use {_STREAMING[name]} instead"
        )
    word = _text(args[1]).upper() if len(args) > 1 else ""
    if name == "CLIENT" and word == "REPLY" and len(args) > 2 and _text(args[2]).upper() != "ON":
        raise ConnectionModeError("CLIENT REPLY OFF/SKIP would leave commands without replies; refused")
    if name == "HELLO" and word not in ("", "2"):
        raise ConnectionModeError("HELLO: only protocol 2 (RESP2) can be used on these connections")
    if name in ("SELECT", "RESET") and (leased or pool.poolsize > 1):
        where = "a transaction's or pipeline's connection" if leased else (
            f"one of the pool's {pool.poolsize} connections")
        raise ConnectionModeError(
            f"{name} would switch {where} only; pass dbid= to the connection function instead "
            f"(or use a single Connection)"
        )
    if name in ("MULTI", "EXEC", "DISCARD", "WATCH") and not leased:
        raise ConnectionModeError(
            f"{name} on a shared pool connection would mix other commands into it; "
            f"use multi()/watch() and the transaction object they return"
        )
    if name == "QUIT" or (name == "SHUTDOWN" and "ABORT" not in (_text(a).upper() for a in args[1:])):
        pool.stop_reconnecting()
    return name
