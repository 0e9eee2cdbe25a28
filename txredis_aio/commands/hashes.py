"""Hash commands: HSET (one field or a mapping), HGETALL (a dict), HINCRBY*, HRANDFIELD, HSCAN..."""

from __future__ import annotations

from typing import Any, AsyncIterator, Mapping, Optional

from ..errors import InvalidData
from ._base import CommandsBase
from .keys import scan_args, scan_pages
from .lists import key_list
from .strings import to_float

__all__ = ["HashCommands", "to_dict"]


def to_dict(reply: Any) -> Any:
    """A flat ``[field, value, ...]`` reply as a dict (txredisapi's HGETALL post_proc)."""
    return dict(zip(reply[::2], reply[1::2])) if isinstance(reply, list) else reply


def _pairs(reply: Any) -> Any:
    return list(zip(reply[::2], reply[1::2])) if isinstance(reply, list) else reply


def _flat(mapping: Mapping[Any, Any]) -> list[Any]:
    items: list[Any] = []
    for pair in mapping.items():
        items.extend(pair)
    return items


class HashCommands(CommandsBase):
    """HSET, HGETALL and friends."""

    def hset(
        self, key: Any, field: Any = None, value: Any = None, *, mapping: Optional[Mapping[Any, Any]] = None,
    ) -> Any:
        """Set hash fields; how many were new. https://redis.io/commands/hset

        ``hset(key, field, value)`` as txredisapi, and/or keyword-only ``mapping={f: v, ...}``.
        """
        args: list[Any] = [] if field is None and value is None else [field, value]
        if mapping:
            args += _flat(mapping)
        if not args:
            raise InvalidData("hset needs a field and value, or a non-empty mapping")
        return self._execute("HSET", key, *args)

    def hsetnx(self, key: Any, field: Any, value: Any) -> Any:
        """Set a hash field only if it does not exist; 1 or 0. https://redis.io/commands/hsetnx"""
        return self._execute("HSETNX", key, field, value)

    def hget(self, key: Any, field: Any) -> Any:
        """The value of a hash field, or None. https://redis.io/commands/hget"""
        return self._execute("HGET", key, field)

    def hmget(self, key: Any, fields: Any) -> Any:
        """Values of several hash fields (None where missing). https://redis.io/commands/hmget

        ``fields`` is an iterable, or one str/bytes field (txredisapi split a str into characters).
        """
        return self._execute("HMGET", key, *key_list(fields))

    def hmset(self, key: Any, mapping: Mapping[Any, Any]) -> Any:
        """Set several hash fields from a dict (deprecated by Redis; ``hset(mapping=)``).

        https://redis.io/commands/hmset
        """
        return self._execute("HMSET", key, *_flat(mapping))

    def hincr(self, key: Any, field: Any) -> Any:
        """``hincrby(key, field, 1)`` (txredisapi shorthand)."""
        return self.hincrby(key, field, 1)

    def hdecr(self, key: Any, field: Any) -> Any:
        """``hincrby(key, field, -1)`` (txredisapi shorthand)."""
        return self.hincrby(key, field, -1)

    def hincrby(self, key: Any, field: Any, integer: int) -> Any:
        """Increment the integer value of a hash field; the new value. https://redis.io/commands/hincrby"""
        return self._execute("HINCRBY", key, field, integer)

    def hincrbyfloat(self, key: Any, field: Any, amount: float) -> Any:
        """Increment the float value of a hash field; the new value as a float.

        https://redis.io/commands/hincrbyfloat
        """
        return self._execute("HINCRBYFLOAT", key, field, amount, convert=to_float)

    def hexists(self, key: Any, field: Any) -> Any:
        """Whether a hash field exists, as a ``bool``. https://redis.io/commands/hexists"""
        return self._execute("HEXISTS", key, field, convert=bool)

    def hdel(self, key: Any, fields: Any) -> Any:
        """Delete hash fields (one str/bytes, or an iterable); how many existed.

        https://redis.io/commands/hdel
        """
        return self._execute("HDEL", key, *key_list(fields))

    def hlen(self, key: Any) -> Any:
        """Number of fields in a hash. https://redis.io/commands/hlen"""
        return self._execute("HLEN", key)

    def hstrlen(self, key: Any, field: Any) -> Any:
        """Length of a hash field's value (0 if missing). https://redis.io/commands/hstrlen"""
        return self._execute("HSTRLEN", key, field)

    def hkeys(self, key: Any) -> Any:
        """All field names of a hash. https://redis.io/commands/hkeys"""
        return self._execute("HKEYS", key)

    def hvals(self, key: Any) -> Any:
        """All values of a hash. https://redis.io/commands/hvals"""
        return self._execute("HVALS", key)

    def hgetall(self, key: Any) -> Any:
        """All fields and values of a hash as a dict (names number-converted too).

        https://redis.io/commands/hgetall
        """
        return self._execute("HGETALL", key, convert=to_dict)

    def hrandfield(self, key: Any, count: Optional[int] = None, withvalues: bool = False) -> Any:
        """Random field(s): one, a list with ``count``, ``(field, value)`` tuples with ``withvalues``.

        https://redis.io/commands/hrandfield -- ``withvalues`` needs ``count``.
        """
        if count is None:
            if withvalues:
                raise InvalidData("hrandfield: withvalues needs count")
            return self._execute("HRANDFIELD", key)
        if withvalues:
            return self._execute("HRANDFIELD", key, count, "WITHVALUES", convert=_pairs)
        return self._execute("HRANDFIELD", key, count)

    def hscan(self, key: Any, cursor: Any = 0, pattern: Any = None, count: Optional[int] = None) -> Any:
        """Iterate a hash: ``[cursor, [field, value, ...]]`` (flat, as txredisapi).

        https://redis.io/commands/hscan
        """
        return self._execute("HSCAN", key, *scan_args(cursor, pattern, count))

    async def hscan_iter(
        self, key: Any, pattern: Any = None, count: Optional[int] = None,
    ) -> AsyncIterator[tuple[Any, Any]]:
        """``async for field, value in rc.hscan_iter(key)``: every pair HSCAN returns, cursor handled."""
        async for pair in scan_pages(lambda cursor: self.hscan(key, cursor, pattern, count), _pairs):
            yield pair
