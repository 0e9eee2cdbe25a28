"""Hash commands: HSET (one field or a mapping), HGETALL (a dict), HINCRBY*, HRANDFIELD, HSCAN...

Hash-field expiry (HEXPIRE & co., Redis 7.4+; HGETEX/HSETEX/HGETDEL, Redis 8.0+) sends
``FIELDS numfields field...``; the methods refuse before sending on a server known to lack them.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Mapping, Optional, Sequence

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


def _fields(cmd: str, fields: Any) -> list[Any]:
    """``FIELDS numfields field...`` from one str/bytes field or an iterable (not empty)."""
    names = key_list(fields)
    if not names:
        raise InvalidData(f"{cmd} needs at least one field")
    return ["FIELDS", len(names), *names]


def _one_of(cmd: str, options: Sequence[tuple[str, Any]]) -> list[Any]:
    """The one option given (``True`` flags alone, others with their value); InvalidData if several."""
    given = [(token, value) for token, value in options if value is not None and value is not False]
    if len(given) > 1:
        raise InvalidData(f"{cmd}: {', '.join(t.lower() for t, _ in given)} cannot be combined")
    if not given:
        return []
    token, value = given[0]
    return [token] if value is True else [token, value]


def _expiry(ex: Any, px: Any, exat: Any, pxat: Any) -> tuple[tuple[str, Any], ...]:
    return (("EX", ex), ("PX", px), ("EXAT", exat), ("PXAT", pxat))


def _condition(cmd: str, nx: bool, xx: bool, gt: bool, lt: bool) -> list[Any]:
    return _one_of(cmd, (("NX", nx), ("XX", xx), ("GT", gt), ("LT", lt)))


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

    # Hash-field expiry. Per-field codes: -2 no such field (or key), 0 NX/XX/GT/LT not met,
    # 1 set, 2 deleted (zero TTL or a time in the past); TTL queries: -1 no TTL, -2 no field.

    def _hexpire(
        self, cmd: str, key: Any, when: Any, fields: Any, nx: bool, xx: bool, gt: bool, lt: bool,
    ) -> Any:
        self._require("HEXPIRE")
        return self._execute(cmd, key, when, *_condition(cmd, nx, xx, gt, lt), *_fields(cmd, fields))

    def hexpire(
        self, key: Any, seconds: int, fields: Any, *,
        nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False,
    ) -> Any:
        """Per-field codes (-2, 0, 1, 2) after setting a TTL in seconds. https://redis.io/docs/latest/commands/hexpire/"""
        return self._hexpire("HEXPIRE", key, seconds, fields, nx, xx, gt, lt)

    def hpexpire(
        self, key: Any, milliseconds: int, fields: Any, *,
        nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False,
    ) -> Any:
        """Per-field codes (-2, 0, 1, 2) after setting a TTL in ms. https://redis.io/docs/latest/commands/hpexpire/"""
        return self._hexpire("HPEXPIRE", key, milliseconds, fields, nx, xx, gt, lt)

    def hexpireat(
        self, key: Any, unix_time: int, fields: Any, *,
        nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False,
    ) -> Any:
        """Per-field codes (-2, 0, 1, 2) after setting an expiry time in Unix seconds.

        https://redis.io/docs/latest/commands/hexpireat/
        """
        return self._hexpire("HEXPIREAT", key, unix_time, fields, nx, xx, gt, lt)

    def hpexpireat(
        self, key: Any, unix_time_ms: int, fields: Any, *,
        nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False,
    ) -> Any:
        """Per-field codes (-2, 0, 1, 2) after setting an expiry time in Unix ms.

        https://redis.io/docs/latest/commands/hpexpireat/
        """
        return self._hexpire("HPEXPIREAT", key, unix_time_ms, fields, nx, xx, gt, lt)

    def _hfields(self, cmd: str, key: Any, fields: Any) -> Any:
        self._require("HEXPIRE")
        return self._execute(cmd, key, *_fields(cmd, fields))

    def httl(self, key: Any, fields: Any) -> Any:
        """Per-field TTLs in seconds (-1 none, -2 no field). https://redis.io/docs/latest/commands/httl/"""
        return self._hfields("HTTL", key, fields)

    def hpttl(self, key: Any, fields: Any) -> Any:
        """Per-field TTLs in ms (-1 none, -2 no field). https://redis.io/docs/latest/commands/hpttl/"""
        return self._hfields("HPTTL", key, fields)

    def hexpiretime(self, key: Any, fields: Any) -> Any:
        """Per-field expiry as Unix seconds (-1 none, -2 no field). https://redis.io/docs/latest/commands/hexpiretime/"""
        return self._hfields("HEXPIRETIME", key, fields)

    def hpexpiretime(self, key: Any, fields: Any) -> Any:
        """Per-field expiry as Unix ms (-1 none, -2 no field). https://redis.io/docs/latest/commands/hpexpiretime/"""
        return self._hfields("HPEXPIRETIME", key, fields)

    def hpersist(self, key: Any, fields: Any) -> Any:
        """Per-field codes (1 TTL removed, -1 had none, -2 no field). https://redis.io/docs/latest/commands/hpersist/"""
        return self._hfields("HPERSIST", key, fields)

    def hgetex(
        self, key: Any, fields: Any, *, ex: Optional[int] = None, px: Optional[int] = None,
        exat: Optional[int] = None, pxat: Optional[int] = None, persist: bool = False,
    ) -> Any:
        """Values of the fields (None where missing), setting or clearing their TTL.

        https://redis.io/docs/latest/commands/hgetex/ -- at most one of ex/px/exat/pxat/persist.
        """
        self._require("HGETEX")
        expiry = _one_of("HGETEX", (*_expiry(ex, px, exat, pxat), ("PERSIST", persist)))
        return self._execute("HGETEX", key, *expiry, *_fields("HGETEX", fields))

    def hsetex(
        self, key: Any, mapping: Mapping[Any, Any], *, fnx: bool = False, fxx: bool = False,
        ex: Optional[int] = None, px: Optional[int] = None, exat: Optional[int] = None,
        pxat: Optional[int] = None, keepttl: bool = False,
    ) -> Any:
        """1 if the fields were set, 0 if FNX/FXX prevented it. https://redis.io/docs/latest/commands/hsetex/

        ``fnx``: only if none of the fields exists; ``fxx``: only if all do. At most one of
        ex/px/exat/pxat/keepttl; without any the fields' TTLs are cleared.
        """
        self._require("HSETEX")
        cond = _one_of("HSETEX", (("FNX", fnx), ("FXX", fxx)))
        expiry = _one_of("HSETEX", (*_expiry(ex, px, exat, pxat), ("KEEPTTL", keepttl)))
        if not mapping:
            raise InvalidData("HSETEX needs a non-empty mapping")
        return self._execute("HSETEX", key, *cond, *expiry, "FIELDS", len(mapping), *_flat(mapping))

    def hgetdel(self, key: Any, fields: Any) -> Any:
        """Values of the fields (None where missing), deleting them. https://redis.io/docs/latest/commands/hgetdel/"""
        self._require("HGETDEL")
        return self._execute("HGETDEL", key, *_fields("HGETDEL", fields))
