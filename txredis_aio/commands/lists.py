"""List commands: LPUSH, LRANGE, LPOS, LMOVE, LMPOP and the blocking BLPOP family.

Blocking commands are ordinary methods here; pools lease a connection for them (the command
table marks them blocking) and exempt them from the reply timeout.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

from ..errors import InvalidData
from ._base import CommandsBase

__all__ = ["ListCommands", "key_list", "side"]


def key_list(keys: Any) -> list[Any]:
    """One key (str or bytes) or an iterable of keys, as a list (BLPOP's rule, bytes fixed)."""
    return [keys] if isinstance(keys, (str, bytes)) else list(keys)


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def side(name: str, value: Any, choices: tuple[str, ...] = ("LEFT", "RIGHT")) -> str:
    """Check a direction argument (case-insensitive) and return it upper-cased."""
    if isinstance(value, str) and value.upper() in choices:
        return value.upper()
    raise InvalidData(f"Invalid {name}: {value!r} (expected one of {', '.join(choices)})")


class ListCommands(CommandsBase):
    """List commands (LPUSH, LRANGE, BLPOP...)."""

    def push(self, key: Any, value: Any, tail: bool = False) -> Any:
        """Deprecated (txredisapi): ``rpush`` if ``tail`` else ``lpush``."""
        warnings.warn(
            DeprecationWarning(
                "redis.push() has been deprecated, use redis.lpush() or redis.rpush() instead"
            ),
            stacklevel=2,
        )
        return self.rpush(key, value) if tail else self.lpush(key, value)

    def rpush(self, key: Any, value: Any) -> Any:
        """Append values (a list/tuple means several) to a list; the new length.

        https://redis.io/commands/rpush
        """
        return self._execute("RPUSH", key, *_values(value))

    def lpush(self, key: Any, value: Any) -> Any:
        """Prepend values (a list/tuple means several) to a list; the new length.

        https://redis.io/commands/lpush
        """
        return self._execute("LPUSH", key, *_values(value))

    def rpushx(self, key: Any, value: Any) -> Any:
        """RPUSH only if the list exists; the length (0 if missing). https://redis.io/commands/rpushx"""
        return self._execute("RPUSHX", key, *_values(value))

    def lpushx(self, key: Any, value: Any) -> Any:
        """LPUSH only if the list exists; the length (0 if missing). https://redis.io/commands/lpushx"""
        return self._execute("LPUSHX", key, *_values(value))

    def llen(self, key: Any) -> Any:
        """Length of a list. https://redis.io/commands/llen"""
        return self._execute("LLEN", key)

    def lrange(self, key: Any, start: int, end: int) -> Any:
        """Elements of a list from ``start`` to ``end`` inclusive. https://redis.io/commands/lrange"""
        return self._execute("LRANGE", key, start, end)

    def ltrim(self, key: Any, start: int, end: int) -> Any:
        """Trim a list to the range ``start``..``end``. https://redis.io/commands/ltrim"""
        return self._execute("LTRIM", key, start, end)

    def lindex(self, key: Any, index: int) -> Any:
        """The element at ``index``, or None. https://redis.io/commands/lindex"""
        return self._execute("LINDEX", key, index)

    def lset(self, key: Any, index: int, value: Any) -> Any:
        """Set the element at ``index``. https://redis.io/commands/lset"""
        return self._execute("LSET", key, index, value)

    def lrem(self, key: Any, count: int, value: Any) -> Any:
        """Remove ``count`` occurrences of ``value`` (0: all; <0: from the tail).

        https://redis.io/commands/lrem
        """
        return self._execute("LREM", key, count, value)

    def linsert(self, key: Any, where: str, refvalue: Any, value: Any) -> Any:
        """Insert ``value`` "BEFORE" or "AFTER" ``refvalue``; the new length, -1 if not found.

        https://redis.io/commands/linsert
        """
        return self._execute("LINSERT", key, side("where", where, ("BEFORE", "AFTER")), refvalue, value)

    def lpos(
        self,
        key: Any,
        element: Any,
        *,
        rank: Optional[int] = None,
        count: Optional[int] = None,
        maxlen: Optional[int] = None,
    ) -> Any:
        """Index of ``element`` in a list (None), or with ``count`` a list of indexes.

        https://redis.io/commands/lpos
        """
        args: list[Any] = ["LPOS", key, element]
        if rank is not None:
            args += ["RANK", rank]
        if count is not None:
            args += ["COUNT", count]
        if maxlen is not None:
            args += ["MAXLEN", maxlen]
        return self._execute(*args)

    def pop(self, key: Any, tail: bool = False) -> Any:
        """Deprecated (txredisapi): ``rpop`` if ``tail`` else ``lpop``."""
        warnings.warn(
            DeprecationWarning(
                "redis.pop() has been deprecated, user redis.lpop() or redis.rpop() instead"
            ),
            stacklevel=2,
        )
        return self.rpop(key) if tail else self.lpop(key)

    def lpop(self, key: Any, count: Optional[int] = None) -> Any:
        """Remove and return the first element (with ``count``: a list of up to that many).

        https://redis.io/commands/lpop
        """
        return self._execute("LPOP", key) if count is None else self._execute("LPOP", key, count)

    def rpop(self, key: Any, count: Optional[int] = None) -> Any:
        """Remove and return the last element (with ``count``: a list of up to that many).

        https://redis.io/commands/rpop
        """
        return self._execute("RPOP", key) if count is None else self._execute("RPOP", key, count)

    def rpoplpush(self, srckey: Any, dstkey: Any) -> Any:
        """Pop the last element of one list and push it onto another; the element.

        https://redis.io/commands/rpoplpush
        """
        return self._execute("RPOPLPUSH", srckey, dstkey)

    def lmove(self, source: Any, destination: Any, src: str = "LEFT", dest: str = "RIGHT") -> Any:
        """Pop from one end of ``source``, push to one end of ``destination``; the element.

        https://redis.io/commands/lmove
        """
        return self._execute("LMOVE", source, destination, side("src", src), side("dest", dest))

    def lmpop(self, keys: Any, direction: str = "LEFT", count: Optional[int] = None) -> Any:
        """Pop elements from the first non-empty list: ``[key, [elements]]`` or None.

        https://redis.io/commands/lmpop
        """
        names = key_list(keys)
        args: list[Any] = ["LMPOP", len(names), *names, side("direction", direction)]
        if count is not None:
            args += ["COUNT", count]
        return self._execute(*args)

    # -- blocking ------------------------------------------------------------------------------

    def blpop(self, keys: Any, timeout: float = 0) -> Any:
        """Blocking LPOP over several lists: ``[key, value]``, or None on timeout.

        https://redis.io/commands/blpop -- ``timeout`` in seconds, 0 waits forever.
        """
        return self._execute("BLPOP", *key_list(keys), timeout)

    def brpop(self, keys: Any, timeout: float = 0) -> Any:
        """Blocking RPOP over several lists: ``[key, value]``, or None on timeout.

        https://redis.io/commands/brpop
        """
        return self._execute("BRPOP", *key_list(keys), timeout)

    def brpoplpush(self, source: Any, destination: Any, timeout: float = 0) -> Any:
        """Blocking RPOPLPUSH: the element, or None on timeout. https://redis.io/commands/brpoplpush"""
        return self._execute("BRPOPLPUSH", source, destination, timeout)

    def blmove(
        self, source: Any, destination: Any, timeout: float = 0, src: str = "LEFT", dest: str = "RIGHT",
    ) -> Any:
        """Blocking LMOVE: the element, or None on timeout. https://redis.io/commands/blmove"""
        return self._execute("BLMOVE", source, destination, side("src", src), side("dest", dest), timeout)

    def blmpop(
        self, keys: Any, timeout: float = 0, direction: str = "LEFT", count: Optional[int] = None,
    ) -> Any:
        """Blocking LMPOP: ``[key, [elements]]``, or None on timeout. https://redis.io/commands/blmpop"""
        names = key_list(keys)
        args: list[Any] = ["BLMPOP", timeout, len(names), *names, side("direction", direction)]
        if count is not None:
            args += ["COUNT", count]
        return self._execute(*args)
