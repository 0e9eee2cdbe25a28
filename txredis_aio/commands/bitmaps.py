"""Bitmap commands (SETBIT, BITCOUNT, BITOP, BITPOS, BITFIELD...)."""

from __future__ import annotations

import operator
from typing import Any, Iterable, Iterator, Optional, Union

from ..errors import InvalidData, RedisError
from ._base import CommandsBase

__all__ = ["BitFieldOperations", "BitmapCommands"]

_BITOP_FUNCS = (
    (operator.and_, "AND"),
    (operator.or_, "OR"),
    (operator.xor, "XOR"),
    (operator.not_, "NOT"),
    (operator.inv, "NOT"),
)
_BITOPS = frozenset({"AND", "OR", "XOR", "NOT"})


def _range_args(start: Any, end: Any, mode: Optional[str], what: str) -> list:
    if (start is None) != (end is None) and not (what == "bitpos" and end is None):
        raise RedisError("``start`` and ``end`` must both be specified")
    out: list = []
    if start is not None:
        out.append(start)
    if end is not None:
        out.append(end)
    if mode is not None:
        if end is None:
            raise RedisError("``mode`` needs ``start`` and ``end``")
        m = mode.upper()
        if m not in ("BYTE", "BIT"):
            raise InvalidData(f"Invalid mode: {mode} (BYTE or BIT)")
        out.append(m)
    return out


class BitFieldOperations:
    """A BITFIELD operation list built by chained calls, passed to ``bitfield``.

    ``BitFieldOperations().overflow("SAT").incrby("u8", 0, 200).get("u8", 0)``: every call adds
    one sub-command and returns the builder; iterating yields the flat arguments.
    """

    def __init__(self) -> None:
        self.args: list = []

    def get(self, type: str, offset: Union[int, str]) -> BitFieldOperations:
        """GET <type> <offset>: read a field (``offset`` may be ``"#n"``, in units of type)."""
        self.args += ["GET", type, offset]
        return self

    def set(self, type: str, offset: Union[int, str], value: int) -> BitFieldOperations:
        """SET <type> <offset> <value>: write a field; the reply holds its old value."""
        self.args += ["SET", type, offset, value]
        return self

    def incrby(self, type: str, offset: Union[int, str], increment: int) -> BitFieldOperations:
        """INCRBY <type> <offset> <increment>: add to a field; the reply holds its new value."""
        self.args += ["INCRBY", type, offset, increment]
        return self

    def overflow(self, mode: str) -> BitFieldOperations:
        """OVERFLOW WRAP|SAT|FAIL for the SET/INCRBY that follow."""
        m = mode.upper()
        if m not in ("WRAP", "SAT", "FAIL"):
            raise InvalidData(f"Invalid overflow mode: {mode} (WRAP, SAT or FAIL)")
        self.args += ["OVERFLOW", m]
        return self

    def __iter__(self) -> Iterator[Any]:
        return iter(self.args)

    def __repr__(self) -> str:
        return f"<BitFieldOperations {self.args!r}>"


def _bitfield_args(operations: Any) -> list:
    if isinstance(operations, BitFieldOperations):
        return list(operations)
    out: list = []
    for op in operations:
        if isinstance(op, (str, bytes)):
            raise InvalidData("bitfield operations: pass tuples such as ('GET', 'u8', 0)")
        out.extend(op)
    return out


class BitmapCommands(CommandsBase):
    """Bitmap commands (SETBIT, BITCOUNT, BITFIELD...)."""

    def getbit(self, key: Any, offset: int) -> Any:
        """Return the bit value at ``offset`` in the string value at ``key``. https://redis.io/commands/getbit"""
        return self._execute("GETBIT", key, offset)

    def setbit(self, key: Any, offset: int, value: Union[int, bool]) -> Any:
        """Set or clear the bit at ``offset``; returns the old bit (a bool is sent as 0/1). https://redis.io/commands/setbit"""
        return self._execute("SETBIT", key, offset, int(value) if isinstance(value, bool) else value)

    def bitop(self, operation: Any, destkey: Any, *srckeys: Any) -> Any:
        """Bitwise AND/OR/XOR/NOT between strings into ``destkey``; returns its length. https://redis.io/commands/bitop

        ``operation`` is a str (any case) or ``operator.and_``/``or_``/``xor``/``not_``.
        Bad input raises ``RedisError``/``InvalidData`` at once (txredisapi: a failed Deferred).
        """
        if not srckeys:
            raise RedisError("no ``srckeys`` specified")
        if isinstance(operation, (str, bytes)):
            op = operation.decode() if isinstance(operation, bytes) else operation
            op = op.upper()
        else:
            op = next((name for fn, name in _BITOP_FUNCS if operation is fn), operation)
        if op not in _BITOPS:
            raise InvalidData(f"Invalid operation: {operation}")
        if op == "NOT" and len(srckeys) > 1:
            raise RedisError("bitop NOT takes only one ``srckey``")
        return self._execute("BITOP", op, destkey, *srckeys)

    def bitcount(
        self, key: Any, start: Optional[int] = None, end: Optional[int] = None, mode: Optional[str] = None
    ) -> Any:
        """Count set bits in a string, optionally in a BYTE (default) or BIT range. https://redis.io/commands/bitcount

        Only one of ``start``/``end`` raises ``RedisError`` at once, as in txredisapi.
        """
        return self._execute("BITCOUNT", key, *_range_args(start, end, mode, "bitcount"))

    def bitpos(
        self,
        key: Any,
        bit: int,
        start: Optional[int] = None,
        end: Optional[int] = None,
        mode: Optional[str] = None,
    ) -> Any:
        """Position of the first bit set to ``bit`` (0/1), optionally within a range. https://redis.io/commands/bitpos"""
        if start is None and end is not None:
            raise RedisError("``end`` needs ``start``")
        return self._execute("BITPOS", key, int(bit), *_range_args(start, end, mode, "bitpos"))

    def bitfield(self, key: Any, operations: Union[BitFieldOperations, Iterable[Iterable[Any]]] = ()) -> Any:
        """Run GET/SET/INCRBY/OVERFLOW sub-commands on integer fields; a list of results. https://redis.io/commands/bitfield

        ``operations`` is a ``BitFieldOperations`` builder or tuples such as
        ``[("SET", "u8", 0, 255), ("GET", "u8", 0)]``. Results are ints, None where
        OVERFLOW FAIL refused an update.
        """
        return self._execute("BITFIELD", key, *_bitfield_args(operations))

    def bitfield_ro(self, key: Any, fields: Iterable[tuple[str, Union[int, str]]]) -> Any:
        """Read-only BITFIELD: GET each ``(type, offset)``; a list of ints. https://redis.io/commands/bitfield_ro"""
        args: list = []
        for type_, offset in fields:
            args += ["GET", type_, offset]
        return self._execute("BITFIELD_RO", key, *args)
