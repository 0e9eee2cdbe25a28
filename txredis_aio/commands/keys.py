"""Generic key commands: DEL, EXPIRE*, TTL, SCAN, SORT, DUMP/RESTORE, COPY, OBJECT..."""

from __future__ import annotations

from typing import Any, AsyncIterator, Awaitable, Callable, Iterable, Optional

from ..errors import InvalidData, RedisError
from ._base import RAW, CommandsBase, list_or_args

__all__ = ["KeyCommands", "expire_options", "scan_args", "scan_pages"]


def scan_args(cursor: Any, pattern: Any, count: Optional[int]) -> list[Any]:
    """``cursor [MATCH pattern] [COUNT count]`` for SCAN, SSCAN, HSCAN and ZSCAN."""
    args = [cursor]
    if pattern is not None:
        args += ["MATCH", pattern]
    if count is not None:
        args += ["COUNT", count]
    return args


async def scan_pages(
    fetch: Callable[[Any], Awaitable[Any]], items: Callable[[Any], Iterable[Any]] = iter,
) -> AsyncIterator[Any]:
    """Drive a SCAN-family cursor: ``fetch(cursor)`` one page, yield ``items(page)``, until 0.

    The cursor is an int, str or bytes depending on convertNumbers/charset; all work.
    """
    cursor: Any = 0
    while True:
        cursor, page = await fetch(cursor)
        for item in items(page):
            yield item
        if int(cursor) == 0:
            return


def expire_options(nx: bool, xx: bool, gt: bool, lt: bool) -> list[str]:
    """EXPIRE's NX/XX/GT/LT flags; impossible combinations raise ``InvalidData`` at once."""
    if nx and (xx or gt or lt):
        raise InvalidData("nx cannot be combined with xx, gt or lt")
    if gt and lt:
        raise InvalidData("gt and lt cannot both be true")
    return [name for name, on in (("NX", nx), ("XX", xx), ("GT", gt), ("LT", lt)) if on]


def _sort_args(
    key: Any, start: Optional[int], end: Optional[int], by: Any, get: Any, desc: Any, alpha: bool,
) -> list[Any]:
    if (start is None) != (end is None):
        raise RedisError("``start`` and ``end`` must both be specified")
    pieces: list[Any] = [key]
    if by is not None:
        pieces += ["BY", by]
    if start is not None:
        pieces += ["LIMIT", start, end]
    if get is not None:
        for pattern in [get] if isinstance(get, (str, bytes)) else get:
            pieces += ["GET", pattern]
    if desc:
        pieces.append("DESC")
    if alpha:
        pieces.append("ALPHA")
    return pieces


class KeyCommands(CommandsBase):
    """DEL, EXPIRE, TTL and friends."""

    def exists(self, key: Any, *keys: Any) -> Any:
        """1 if the key exists, else 0 (an int, as txredisapi); with more keys, how many exist.

        https://redis.io/commands/exists
        """
        return self._execute("EXISTS", key, *keys)

    def delete(self, keys: Any, *args: Any) -> Any:
        """Delete keys; returns how many existed. https://redis.io/commands/del"""
        return self._execute("DEL", *list_or_args("delete", keys, args))

    def unlink(self, keys: Any, *args: Any) -> Any:
        """Delete keys, reclaiming memory in the background; how many existed. https://redis.io/commands/unlink"""
        return self._execute("UNLINK", *list_or_args("unlink", keys, args))

    def touch(self, keys: Any, *args: Any) -> Any:
        """Update the last access time of keys; how many exist. https://redis.io/commands/touch"""
        return self._execute("TOUCH", *list_or_args("touch", keys, args))

    def type(self, key: Any) -> Any:
        """The type of a key's value as a str ("none" if missing). https://redis.io/commands/type"""
        return self._execute("TYPE", key)

    def keys(self, pattern: Any = "*") -> Any:
        """All keys matching a pattern (numeric names come back as int). https://redis.io/commands/keys"""
        return self._execute("KEYS", pattern)

    def scan(
        self, cursor: Any = 0, pattern: Any = None, count: Optional[int] = None, *, _type: Any = None,
    ) -> Any:
        """Iterate the key space: ``[cursor, [keys]]``. https://redis.io/commands/scan

        ``_type`` (keyword-only, as redis-py) adds ``TYPE``. The cursor is an int with
        convertNumbers, else a str/bytes; ``scan_iter`` hides it.
        """
        args = scan_args(cursor, pattern, count)
        if _type is not None:
            args += ["TYPE", _type]
        return self._execute("SCAN", *args)

    async def scan_iter(
        self, pattern: Any = None, count: Optional[int] = None, *, _type: Any = None,
    ) -> AsyncIterator[Any]:
        """``async for key in rc.scan_iter(pattern)``: every key SCAN returns, cursor handled.

        Like SCAN, a key may be yielded more than once if the key space changes meanwhile.
        """
        async for key in scan_pages(lambda cursor: self.scan(cursor, pattern, count, _type=_type)):
            yield key

    def randomkey(self) -> Any:
        """A random key name, or None if the database is empty. https://redis.io/commands/randomkey"""
        return self._execute("RANDOMKEY")

    def rename(self, oldkey: Any, newkey: Any) -> Any:
        """Rename a key, overwriting ``newkey``. https://redis.io/commands/rename"""
        return self._execute("RENAME", oldkey, newkey)

    def renamenx(self, oldkey: Any, newkey: Any) -> Any:
        """Rename a key only if ``newkey`` does not exist; 1 or 0. https://redis.io/commands/renamenx"""
        return self._execute("RENAMENX", oldkey, newkey)

    def copy(self, source: Any, destination: Any, *, db: Optional[int] = None, replace: bool = False) -> Any:
        """Copy a key's value to another key (optionally in database ``db``); 1 or 0.

        https://redis.io/commands/copy
        """
        args: list[Any] = ["COPY", source, destination]
        if db is not None:
            args += ["DB", db]
        if replace:
            args.append("REPLACE")
        return self._execute(*args)

    def move(self, key: Any, dbindex: int) -> Any:
        """Move a key to another database; 1 or 0. https://redis.io/commands/move"""
        return self._execute("MOVE", key, dbindex)

    def expire(
        self, key: Any, time: int, *, nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False,
    ) -> Any:
        """Set a key's time to live in seconds; 1 or 0. https://redis.io/commands/expire

        Keyword-only ``nx``/``xx``/``gt``/``lt`` add Redis 7's conditions.
        """
        return self._execute("EXPIRE", key, time, *expire_options(nx, xx, gt, lt))

    def pexpire(
        self, key: Any, time: int, *, nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False,
    ) -> Any:
        """Set a key's time to live in milliseconds; 1 or 0. https://redis.io/commands/pexpire"""
        return self._execute("PEXPIRE", key, time, *expire_options(nx, xx, gt, lt))

    def expireat(
        self, key: Any, when: int, *, nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False,
    ) -> Any:
        """Expire a key at a Unix time in seconds; 1 or 0. https://redis.io/commands/expireat"""
        return self._execute("EXPIREAT", key, when, *expire_options(nx, xx, gt, lt))

    def pexpireat(
        self, key: Any, when: int, *, nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False,
    ) -> Any:
        """Expire a key at a Unix time in milliseconds; 1 or 0. https://redis.io/commands/pexpireat"""
        return self._execute("PEXPIREAT", key, when, *expire_options(nx, xx, gt, lt))

    def persist(self, key: Any) -> Any:
        """Remove a key's expiration; 1 or 0. https://redis.io/commands/persist"""
        return self._execute("PERSIST", key)

    def ttl(self, key: Any) -> Any:
        """Time to live of a key in seconds (-1 none, -2 missing). https://redis.io/commands/ttl"""
        return self._execute("TTL", key)

    def pttl(self, key: Any) -> Any:
        """Time to live of a key in milliseconds (-1 none, -2 missing). https://redis.io/commands/pttl"""
        return self._execute("PTTL", key)

    def expiretime(self, key: Any) -> Any:
        """A key's absolute expiry as a Unix time in seconds (-1, -2). https://redis.io/commands/expiretime"""
        return self._execute("EXPIRETIME", key)

    def pexpiretime(self, key: Any) -> Any:
        """A key's absolute expiry as a Unix time in ms (-1, -2). https://redis.io/commands/pexpiretime"""
        return self._execute("PEXPIRETIME", key)

    def dump(self, key: Any) -> Any:
        """A key's value serialized (always bytes, whatever the charset), or None.

        https://redis.io/commands/dump
        """
        return self._execute("DUMP", key, convert=RAW)

    def restore(
        self,
        key: Any,
        ttl: int,
        value: bytes,
        replace: bool = False,
        *,
        absttl: bool = False,
        idletime: Optional[int] = None,
        frequency: Optional[int] = None,
    ) -> Any:
        """Create a key from a ``dump()`` payload; ``ttl`` in ms, 0 for none. https://redis.io/commands/restore"""
        args: list[Any] = ["RESTORE", key, ttl, value]
        if replace:
            args.append("REPLACE")
        if absttl:
            args.append("ABSTTL")
        if idletime is not None:
            args += ["IDLETIME", idletime]
        if frequency is not None:
            args += ["FREQ", frequency]
        return self._execute(*args)

    def object_encoding(self, key: Any) -> Any:
        """The internal encoding of a key's value ("listpack"...). https://redis.io/commands/object-encoding"""
        return self._execute("OBJECT", "ENCODING", key)

    def object_freq(self, key: Any) -> Any:
        """The LFU access frequency of a key (LFU maxmemory policies only).

        https://redis.io/commands/object-freq
        """
        return self._execute("OBJECT", "FREQ", key)

    def object_idletime(self, key: Any) -> Any:
        """Seconds since a key was last accessed. https://redis.io/commands/object-idletime"""
        return self._execute("OBJECT", "IDLETIME", key)

    def object_refcount(self, key: Any) -> Any:
        """The reference count of a key's value. https://redis.io/commands/object-refcount"""
        return self._execute("OBJECT", "REFCOUNT", key)

    def object_help(self) -> Any:
        """OBJECT's subcommand help text, as a list of lines. https://redis.io/commands/object-help"""
        return self._execute("OBJECT", "HELP")

    def sort(
        self,
        key: Any,
        start: Optional[int] = None,
        end: Optional[int] = None,
        by: Any = None,
        get: Any = None,
        desc: Any = None,
        alpha: bool = False,
        store: Any = None,
    ) -> Any:
        """Sort a list, set or sorted set; the sorted elements, or the stored count.

        https://redis.io/commands/sort -- ``start``/``end`` are LIMIT's offset and count (both or
        neither, else ``RedisError``); ``get`` is one pattern or, beyond txredisapi, a list of them.
        """
        pieces = _sort_args(key, start, end, by, get, desc, alpha)
        if store is not None:
            pieces += ["STORE", store]
        return self._execute("SORT", *pieces)

    def sort_ro(
        self,
        key: Any,
        start: Optional[int] = None,
        end: Optional[int] = None,
        by: Any = None,
        get: Any = None,
        desc: Any = None,
        alpha: bool = False,
    ) -> Any:
        """Read-only SORT (no STORE), allowed on replicas. https://redis.io/commands/sort_ro"""
        return self._execute("SORT_RO", *_sort_args(key, start, end, by, get, desc, alpha))

    def migrate(
        self,
        host: str,
        port: int,
        keys: Any,
        destination_db: int,
        timeout: int,
        *,
        copy: bool = False,
        replace: bool = False,
        auth: Optional[str] = None,
        auth2: Optional[tuple[str, str]] = None,
    ) -> Any:
        """Move keys to another Redis server atomically; ``"OK"`` or ``"NOKEY"``.

        https://redis.io/commands/migrate -- ``keys`` is one key or an iterable (KEYS form);
        ``timeout`` in ms; ``auth2`` is ``(username, password)``.
        """
        args: list[Any] = ["MIGRATE", host, port, "", destination_db, timeout]
        if copy:
            args.append("COPY")
        if replace:
            args.append("REPLACE")
        if auth is not None:
            args += ["AUTH", auth]
        if auth2 is not None:
            args += ["AUTH2", auth2[0], auth2[1]]
        return self._execute(*args, "KEYS", *list_or_args("migrate", keys, ()))
