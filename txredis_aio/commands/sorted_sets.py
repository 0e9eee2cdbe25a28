"""Sorted set commands: ZADD (with options), the ZRANGE family, ZPOP*, Z*STORE, ZSCAN...

Scores that come back WITHSCORES are floats in ``(member, score)`` tuples, as txredisapi.
"""

from __future__ import annotations

import builtins
from typing import Any, AsyncIterator, Optional

from ..errors import InvalidData
from ._base import CommandsBase, list_or_args
from .keys import scan_args, scan_pages
from .lists import key_list, side

__all__ = ["SortedSetCommands", "with_scores"]


def with_scores(reply: Any) -> Any:
    """A flat ``[member, score, ...]`` reply as ``[(member, float(score)), ...]``."""
    if isinstance(reply, list):
        return [(m, float(s)) for m, s in zip(reply[::2], reply[1::2])]
    return reply


def _score(reply: Any) -> Any:
    """ZSCORE/ZINCRBY: a number as convertNumbers left it, a str/bytes one as float, None kept."""
    return float(reply) if isinstance(reply, (str, bytes)) else reply


def _floats(reply: Any) -> Any:
    return [None if s is None else float(s) for s in reply] if isinstance(reply, list) else reply


def _popped(reply: Any) -> Any:
    """BZPOPMIN/MAX's ``[key, member, score]`` with a float score; None (timeout) kept."""
    return [reply[0], reply[1], float(reply[2])] if isinstance(reply, list) else reply


def _mpopped(reply: Any) -> Any:
    """ZMPOP's ``[key, [[member, score], ...]]`` as ``[key, [(member, float), ...]]``."""
    if isinstance(reply, list):
        return [reply[0], [(m, float(s)) for m, s in reply[1]]]
    return reply


def _limit(offset: Optional[int], count: Optional[int], cmd: str) -> list[Any]:
    if (offset is None) != (count is None):
        raise InvalidData(f"Invalid count and offset arguments to {cmd}")
    return [] if offset is None else ["LIMIT", offset, count]


def _aggregate(aggregate: Any) -> list[Any]:
    """``AGGREGATE x`` from builtins min/max/sum or a name; anything else is InvalidData."""
    if not aggregate:
        return []
    if aggregate is builtins.min:
        return ["AGGREGATE", "MIN"]
    if aggregate is builtins.max:
        return ["AGGREGATE", "MAX"]
    if aggregate is builtins.sum:
        return ["AGGREGATE", "SUM"]
    if isinstance(aggregate, str) and aggregate.upper() in ("MIN", "MAX", "SUM"):
        return ["AGGREGATE", aggregate.upper()]
    raise InvalidData(f"Invalid aggregate function: {aggregate}")


def _weighted(keys: Any) -> list[Any]:
    """``numkeys key... [WEIGHTS w...]``; ``keys`` is an iterable, or a dict of key -> weight."""
    if isinstance(keys, dict):
        return [len(keys), *keys.keys(), "WEIGHTS", *keys.values()]
    names = key_list(keys)
    return [len(names), *names]


def _range_args(
    key: Any, start: Any, end: Any, byscore: bool, bylex: bool, rev: bool,
    offset: Optional[int], count: Optional[int], cmd: str,
) -> list[Any]:
    if byscore and bylex:
        raise InvalidData(f"{cmd}: byscore and bylex cannot both be true")
    limit = _limit(offset, count, cmd)
    if limit and not (byscore or bylex):
        raise InvalidData(f"{cmd}: offset/count need byscore or bylex")
    args: list[Any] = [key, start, end]
    if byscore:
        args.append("BYSCORE")
    elif bylex:
        args.append("BYLEX")
    if rev:
        args.append("REV")
    return args + limit


class SortedSetCommands(CommandsBase):
    """ZADD, ZRANGE and friends."""

    def zadd(
        self, key: Any, score: Any, member: Any, *args: Any,
        nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False,
        ch: bool = False, incr: bool = False,
    ) -> Any:
        """Add members with scores: ``zadd(key, score, member, score2, member2, ...)``.

        https://redis.io/commands/zadd -- how many were added (with ``ch``: changed). Keyword-only
        options add NX/XX/GT/LT/CH/INCR; ``incr=True`` takes one pair and returns the new score
        (None if NX/XX prevented it). An odd number of extra args raises ``InvalidData``.
        """
        if len(args) % 2:
            raise InvalidData("Invalid number of arguments to ZADD")
        if nx and (xx or gt or lt):
            raise InvalidData("ZADD: nx cannot be combined with xx, gt or lt")
        if gt and lt:
            raise InvalidData("ZADD: gt and lt cannot both be true")
        if incr and args:
            raise InvalidData("ZADD: incr=True takes a single score/member pair")
        options = (("NX", nx), ("XX", xx), ("GT", gt), ("LT", lt), ("CH", ch), ("INCR", incr))
        flags = [name for name, on in options if on]
        return self._execute("ZADD", key, *flags, score, member, *args, convert=_score if incr else None)

    def zrem(self, key: Any, *args: Any) -> Any:
        """Remove members; how many existed. https://redis.io/commands/zrem"""
        return self._execute("ZREM", key, *args)

    def zincr(self, key: Any, member: Any) -> Any:
        """``zincrby(key, 1, member)`` (txredisapi shorthand)."""
        return self.zincrby(key, 1, member)

    def zdecr(self, key: Any, member: Any) -> Any:
        """``zincrby(key, -1, member)`` (txredisapi shorthand)."""
        return self.zincrby(key, -1, member)

    def zincrby(self, key: Any, increment: Any, member: Any) -> Any:
        """Increment a member's score; the new score (int or float, as convertNumbers made it).

        https://redis.io/commands/zincrby
        """
        return self._execute("ZINCRBY", key, increment, member, convert=_score)

    def zscore(self, key: Any, element: Any) -> Any:
        """A member's score (int or float with convertNumbers, else float), or None.

        https://redis.io/commands/zscore
        """
        return self._execute("ZSCORE", key, element, convert=_score)

    def zmscore(self, key: Any, members: Any, *args: Any) -> Any:
        """Scores of several members as floats (None where missing). https://redis.io/commands/zmscore"""
        return self._execute("ZMSCORE", key, *list_or_args("zmscore", members, args), convert=_floats)

    def zrank(self, key: Any, member: Any) -> Any:
        """A member's rank, lowest score first, or None. https://redis.io/commands/zrank"""
        return self._execute("ZRANK", key, member)

    def zrevrank(self, key: Any, member: Any) -> Any:
        """A member's rank, highest score first, or None. https://redis.io/commands/zrevrank"""
        return self._execute("ZREVRANK", key, member)

    def zcard(self, key: Any) -> Any:
        """Number of members. https://redis.io/commands/zcard"""
        return self._execute("ZCARD", key)

    def zcount(self, key: Any, min: Any = "-inf", max: Any = "+inf") -> Any:
        """Members with scores in ``[min, max]`` (ZCARD for the defaults, as txredisapi).

        https://redis.io/commands/zcount
        """
        if min == "-inf" and max == "+inf":
            return self.zcard(key)
        return self._execute("ZCOUNT", key, min, max)

    def zlexcount(self, key: Any, min: Any = "-", max: Any = "+") -> Any:
        """Members between two lexicographic bounds. https://redis.io/commands/zlexcount"""
        return self._execute("ZLEXCOUNT", key, min, max)

    def zrange(
        self, key: Any, start: Any = 0, end: Any = -1, withscores: bool = False, *,
        byscore: bool = False, bylex: bool = False, rev: bool = False,
        offset: Optional[int] = None, count: Optional[int] = None,
    ) -> Any:
        """Members by rank, or (``byscore``/``bylex``) by score or lex bounds ``start``..``end``.

        https://redis.io/commands/zrange -- ``withscores`` gives ``(member, float(score))``
        tuples; ``offset``/``count`` (LIMIT) need byscore or bylex.
        """
        args = _range_args(key, start, end, byscore, bylex, rev, offset, count, "ZRANGE")
        if withscores:
            return self._execute("ZRANGE", *args, "WITHSCORES", convert=with_scores)
        return self._execute("ZRANGE", *args)

    def zrangestore(
        self, dstkey: Any, srckey: Any, start: Any, end: Any, *,
        byscore: bool = False, bylex: bool = False, rev: bool = False,
        offset: Optional[int] = None, count: Optional[int] = None,
    ) -> Any:
        """Store a ZRANGE result in ``dstkey``; its size. https://redis.io/commands/zrangestore"""
        args = _range_args(srckey, start, end, byscore, bylex, rev, offset, count, "ZRANGESTORE")
        return self._execute("ZRANGESTORE", dstkey, *args)

    def zrevrange(self, key: Any, start: int = 0, end: int = -1, withscores: bool = False) -> Any:
        """Members by rank, highest score first. https://redis.io/commands/zrevrange"""
        if withscores:
            return self._execute("ZREVRANGE", key, start, end, "WITHSCORES", convert=with_scores)
        return self._execute("ZREVRANGE", key, start, end)

    def _by_score(
        self, cmd: str, key: Any, lo: Any, hi: Any, withscores: bool,
        offset: Optional[int], count: Optional[int],
    ) -> Any:
        limit = _limit(offset, count, cmd)
        if withscores:
            return self._execute(cmd, key, lo, hi, "WITHSCORES", *limit, convert=with_scores)
        return self._execute(cmd, key, lo, hi, *limit)

    def zrangebyscore(
        self, key: Any, min: Any = "-inf", max: Any = "+inf", withscores: bool = False,
        offset: Optional[int] = None, count: Optional[int] = None,
    ) -> Any:
        """Members with scores in ``[min, max]``, lowest first. https://redis.io/commands/zrangebyscore

        Only one of ``offset``/``count`` raises ``InvalidData``.
        """
        return self._by_score("ZRANGEBYSCORE", key, min, max, withscores, offset, count)

    def zrevrangebyscore(
        self, key: Any, max: Any = "+inf", min: Any = "-inf", withscores: bool = False,
        offset: Optional[int] = None, count: Optional[int] = None,
    ) -> Any:
        """Members with scores in ``[min, max]``, highest first (``max`` comes first).

        https://redis.io/commands/zrevrangebyscore
        """
        return self._by_score("ZREVRANGEBYSCORE", key, max, min, withscores, offset, count)

    def zrangebylex(
        self, key: Any, min: Any = "-", max: Any = "+", offset: Optional[int] = None,
        count: Optional[int] = None,
    ) -> Any:
        """Members between lex bounds (``"[a"``, ``"(b"``, ``"-"``, ``"+"``).

        https://redis.io/commands/zrangebylex
        """
        return self._execute("ZRANGEBYLEX", key, min, max, *_limit(offset, count, "ZRANGEBYLEX"))

    def zrevrangebylex(
        self, key: Any, max: Any = "+", min: Any = "-", offset: Optional[int] = None,
        count: Optional[int] = None,
    ) -> Any:
        """Members between lex bounds, in reverse (``max`` comes first).

        https://redis.io/commands/zrevrangebylex
        """
        return self._execute("ZREVRANGEBYLEX", key, max, min, *_limit(offset, count, "ZREVRANGEBYLEX"))

    def zremrangebyrank(self, key: Any, min: int = 0, max: int = -1) -> Any:
        """Remove members by rank; how many. https://redis.io/commands/zremrangebyrank"""
        return self._execute("ZREMRANGEBYRANK", key, min, max)

    def zremrangebyscore(self, key: Any, min: Any = "-inf", max: Any = "+inf") -> Any:
        """Remove members by score; how many. https://redis.io/commands/zremrangebyscore"""
        return self._execute("ZREMRANGEBYSCORE", key, min, max)

    def zremrangebylex(self, key: Any, min: Any = "-", max: Any = "+") -> Any:
        """Remove members between lex bounds; how many. https://redis.io/commands/zremrangebylex"""
        return self._execute("ZREMRANGEBYLEX", key, min, max)

    def zpopmin(self, key: Any, count: Optional[int] = None) -> Any:
        """Remove and return the lowest members as ``[(member, float(score)), ...]``.

        https://redis.io/commands/zpopmin
        """
        extra = [] if count is None else [count]
        return self._execute("ZPOPMIN", key, *extra, convert=with_scores)

    def zpopmax(self, key: Any, count: Optional[int] = None) -> Any:
        """Remove and return the highest members as ``[(member, float(score)), ...]``.

        https://redis.io/commands/zpopmax
        """
        extra = [] if count is None else [count]
        return self._execute("ZPOPMAX", key, *extra, convert=with_scores)

    def bzpopmin(self, keys: Any, timeout: float = 0) -> Any:
        """Blocking ZPOPMIN: ``[key, member, float(score)]``, or None on timeout.

        https://redis.io/commands/bzpopmin
        """
        return self._execute("BZPOPMIN", *key_list(keys), timeout, convert=_popped)

    def bzpopmax(self, keys: Any, timeout: float = 0) -> Any:
        """Blocking ZPOPMAX: ``[key, member, float(score)]``, or None on timeout.

        https://redis.io/commands/bzpopmax
        """
        return self._execute("BZPOPMAX", *key_list(keys), timeout, convert=_popped)

    def zmpop(self, keys: Any, where: str = "MIN", count: Optional[int] = None) -> Any:
        """Pop from the first non-empty sorted set: ``[key, [(member, float(score)), ...]]`` or None.

        https://redis.io/commands/zmpop -- ``where`` is "MIN" or "MAX".
        """
        names = key_list(keys)
        extra = [] if count is None else ["COUNT", count]
        return self._execute(
            "ZMPOP", len(names), *names, side("where", where, ("MIN", "MAX")), *extra, convert=_mpopped,
        )

    def bzmpop(self, keys: Any, timeout: float = 0, where: str = "MIN", count: Optional[int] = None) -> Any:
        """Blocking ZMPOP: ``[key, [(member, float(score)), ...]]``, or None on timeout.

        https://redis.io/commands/bzmpop
        """
        names = key_list(keys)
        extra = [] if count is None else ["COUNT", count]
        where = side("where", where, ("MIN", "MAX"))
        return self._execute("BZMPOP", timeout, len(names), *names, where, *extra, convert=_mpopped)

    def zrandmember(self, key: Any, count: Optional[int] = None, withscores: bool = False) -> Any:
        """Random member(s); with ``count`` a list, with ``withscores`` ``(member, float)`` tuples.

        https://redis.io/commands/zrandmember -- ``withscores`` needs ``count``.
        """
        if count is None:
            if withscores:
                raise InvalidData("zrandmember: withscores needs count")
            return self._execute("ZRANDMEMBER", key)
        if withscores:
            return self._execute("ZRANDMEMBER", key, count, "WITHSCORES", convert=with_scores)
        return self._execute("ZRANDMEMBER", key, count)

    def zunionstore(self, dstkey: Any, keys: Any, aggregate: Any = None) -> Any:
        """Store the union of sorted sets; its size. https://redis.io/commands/zunionstore

        ``keys`` is a list, or a dict of key -> weight; ``aggregate`` is min/max/sum (the
        builtins) or their names, else ``InvalidData``.
        """
        return self._execute("ZUNIONSTORE", dstkey, *_weighted(keys), *_aggregate(aggregate))

    def zinterstore(self, dstkey: Any, keys: Any, aggregate: Any = None) -> Any:
        """Store the intersection of sorted sets; its size (arguments as ``zunionstore``).

        https://redis.io/commands/zinterstore
        """
        return self._execute("ZINTERSTORE", dstkey, *_weighted(keys), *_aggregate(aggregate))

    def zdiffstore(self, dstkey: Any, keys: Any) -> Any:
        """Store the first sorted set minus the others; its size. https://redis.io/commands/zdiffstore"""
        names = key_list(keys)
        return self._execute("ZDIFFSTORE", dstkey, len(names), *names)

    def _combine(self, cmd: str, keys: Any, aggregate: Any, withscores: bool) -> Any:
        args = [cmd, *_weighted(keys), *_aggregate(aggregate)]
        if withscores:
            return self._execute(*args, "WITHSCORES", convert=with_scores)
        return self._execute(*args)

    def zunion(self, keys: Any, aggregate: Any = None, withscores: bool = False) -> Any:
        """Union of sorted sets (arguments as ``zunionstore``). https://redis.io/commands/zunion"""
        return self._combine("ZUNION", keys, aggregate, withscores)

    def zinter(self, keys: Any, aggregate: Any = None, withscores: bool = False) -> Any:
        """Intersection of sorted sets (arguments as ``zunionstore``). https://redis.io/commands/zinter"""
        return self._combine("ZINTER", keys, aggregate, withscores)

    def zdiff(self, keys: Any, withscores: bool = False) -> Any:
        """The first sorted set minus the others. https://redis.io/commands/zdiff"""
        return self._combine("ZDIFF", key_list(keys), None, withscores)

    def zintercard(self, keys: Any, limit: Optional[int] = None) -> Any:
        """Size of the intersection of sorted sets (stop at ``limit``). https://redis.io/commands/zintercard"""
        names = key_list(keys)
        extra = [] if limit is None else ["LIMIT", limit]
        return self._execute("ZINTERCARD", len(names), *names, *extra)

    def zscan(self, key: Any, cursor: Any = 0, pattern: Any = None, count: Optional[int] = None) -> Any:
        """Iterate members: ``[cursor, [member, score, ...]]`` (flat, as txredisapi).

        https://redis.io/commands/zscan
        """
        return self._execute("ZSCAN", key, *scan_args(cursor, pattern, count))

    async def zscan_iter(
        self, key: Any, pattern: Any = None, count: Optional[int] = None,
    ) -> AsyncIterator[tuple[Any, float]]:
        """``async for member, score in rc.zscan_iter(key)``: scores as floats, cursor handled."""
        async for pair in scan_pages(lambda cursor: self.zscan(key, cursor, pattern, count), with_scores):
            yield pair
