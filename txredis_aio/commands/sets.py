"""Set commands: SADD, SMEMBERS (a Python set), SINTER*, SMISMEMBER, SSCAN..."""

from __future__ import annotations

from typing import Any, AsyncIterator, Optional

from ._base import CommandsBase, list_or_args
from .keys import scan_args, scan_pages

__all__ = ["SetCommands", "to_set"]


def to_set(reply: Any) -> Any:
    """A multi-bulk reply as a Python ``set`` (txredisapi's ``_make_set``)."""
    return set(reply) if isinstance(reply, list) else reply


def _bools(reply: Any) -> Any:
    return [bool(x) for x in reply] if isinstance(reply, list) else reply


class SetCommands(CommandsBase):
    """SADD, SMEMBERS and friends."""

    def sadd(self, key: Any, members: Any, *args: Any) -> Any:
        """Add members (one, or an iterable); how many were new. https://redis.io/commands/sadd"""
        return self._execute("SADD", key, *list_or_args("sadd", members, args))

    def srem(self, key: Any, members: Any, *args: Any) -> Any:
        """Remove members (one, or an iterable); how many were there. https://redis.io/commands/srem"""
        return self._execute("SREM", key, *list_or_args("srem", members, args))

    def spop(self, key: Any, count: Optional[int] = None) -> Any:
        """Remove and return a random member (with ``count``: a list). https://redis.io/commands/spop"""
        return self._execute("SPOP", key) if count is None else self._execute("SPOP", key, count)

    def srandmember(self, key: Any, count: Optional[int] = None) -> Any:
        """A random member (with ``count``: a list; negative allows repeats).

        https://redis.io/commands/srandmember
        """
        if count is None:
            return self._execute("SRANDMEMBER", key)
        return self._execute("SRANDMEMBER", key, count)

    def smove(self, srckey: Any, dstkey: Any, member: Any) -> Any:
        """Move a member to another set; ``bool`` whether it was moved. https://redis.io/commands/smove"""
        return self._execute("SMOVE", srckey, dstkey, member, convert=bool)

    def scard(self, key: Any) -> Any:
        """Number of members of a set. https://redis.io/commands/scard"""
        return self._execute("SCARD", key)

    def sismember(self, key: Any, value: Any) -> Any:
        """Whether ``value`` is a member, as a ``bool``. https://redis.io/commands/sismember"""
        return self._execute("SISMEMBER", key, value, convert=bool)

    def smismember(self, key: Any, members: Any, *args: Any) -> Any:
        """Membership of several values as a list of ``bool``. https://redis.io/commands/smismember"""
        return self._execute("SMISMEMBER", key, *list_or_args("smismember", members, args), convert=_bools)

    def smembers(self, key: Any) -> Any:
        """All members of a set, as a Python ``set``. https://redis.io/commands/smembers"""
        return self._execute("SMEMBERS", key, convert=to_set)

    def sinter(self, keys: Any, *args: Any) -> Any:
        """Intersection of sets, as a Python ``set``. https://redis.io/commands/sinter"""
        return self._execute("SINTER", *list_or_args("sinter", keys, args), convert=to_set)

    def sinterstore(self, dstkey: Any, keys: Any, *args: Any) -> Any:
        """Store the intersection of sets; its size. https://redis.io/commands/sinterstore"""
        return self._execute("SINTERSTORE", dstkey, *list_or_args("sinterstore", keys, args))

    def sintercard(self, keys: Any, limit: Optional[int] = None) -> Any:
        """Size of the intersection of sets (stop counting at ``limit``).

        https://redis.io/commands/sintercard
        """
        names = list_or_args("sintercard", keys, ())
        extra = [] if limit is None else ["LIMIT", limit]
        return self._execute("SINTERCARD", len(names), *names, *extra)

    def sunion(self, keys: Any, *args: Any) -> Any:
        """Union of sets, as a Python ``set``. https://redis.io/commands/sunion"""
        return self._execute("SUNION", *list_or_args("sunion", keys, args), convert=to_set)

    def sunionstore(self, dstkey: Any, keys: Any, *args: Any) -> Any:
        """Store the union of sets; its size. https://redis.io/commands/sunionstore"""
        return self._execute("SUNIONSTORE", dstkey, *list_or_args("sunionstore", keys, args))

    def sdiff(self, keys: Any, *args: Any) -> Any:
        """Members of the first set not in the others, as a Python ``set``. https://redis.io/commands/sdiff"""
        return self._execute("SDIFF", *list_or_args("sdiff", keys, args), convert=to_set)

    def sdiffstore(self, dstkey: Any, keys: Any, *args: Any) -> Any:
        """Store the difference of sets; its size. https://redis.io/commands/sdiffstore"""
        return self._execute("SDIFFSTORE", dstkey, *list_or_args("sdiffstore", keys, args))

    def sscan(self, key: Any, cursor: Any = 0, pattern: Any = None, count: Optional[int] = None) -> Any:
        """Iterate a set's members: ``[cursor, [members]]``. https://redis.io/commands/sscan"""
        return self._execute("SSCAN", key, *scan_args(cursor, pattern, count))

    async def sscan_iter(
        self, key: Any, pattern: Any = None, count: Optional[int] = None,
    ) -> AsyncIterator[Any]:
        """``async for member in rc.sscan_iter(key)``: every member SSCAN returns, cursor handled."""
        async for member in scan_pages(lambda cursor: self.sscan(key, cursor, pattern, count)):
            yield member
