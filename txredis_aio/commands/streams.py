"""Stream commands (XADD, XRANGE, XREAD, consumer groups, XINFO...).

Reply shapes: an entry is an ``(id, {field: value})`` tuple (``(id, None)`` for an entry deleted
while pending); XREAD/XREADGROUP give ``{stream: [entries]}`` (``{}`` when BLOCK timed out);
XINFO/XPENDING give dicts with str labels. Ids, field names and values follow the handler's
``charset``/``convertNumbers`` (ids never look like numbers, so they stay text).
XREAD/XREADGROUP with ``block`` are blocking: pools lease a connection for them (command table).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

from ..errors import InvalidData
from ._base import CommandsBase
from ._replies import labelled_dict, pairs, to_int

__all__ = ["StreamCommands"]

Entry = tuple  # (id, {field: value}) or (id, None)


def _entry(raw: Any) -> Entry:
    entry_id, fields = raw[0], raw[1]
    return (entry_id, None if fields is None else pairs(fields))


def _entries(raw: Any) -> list:
    return [] if raw is None else [_entry(e) for e in raw if e is not None]


def _streams(raw: Any) -> dict:
    if raw is None:
        return {}
    return {name: _entries(entries) for name, entries in raw}


def _ids(raw: Any) -> list:
    return list(raw or ())


def _autoclaim(raw: Any) -> tuple:
    deleted = raw[2] if len(raw) > 2 else []
    return (raw[0], _entries(raw[1]), list(deleted))


def _autoclaim_justid(raw: Any) -> tuple:
    deleted = raw[2] if len(raw) > 2 else []
    return (raw[0], list(raw[1]), list(deleted))


def _pending_summary(raw: Any) -> dict:
    consumers = {name: to_int(n) for name, n in raw[3] or ()}
    return {"pending": raw[0], "min": raw[1], "max": raw[2], "consumers": consumers}


def _pending_range(raw: Any) -> list:
    return [
        {"message_id": m, "consumer": c, "time_since_delivered": t, "times_delivered": n}
        for m, c, t, n in raw or ()
    ]


def _maybe_entry(v: Any) -> Any:
    return None if v is None else _entry(v)


def _info_stream(raw: Any) -> dict:
    return labelled_dict(raw, {"first-entry": _maybe_entry, "last-entry": _maybe_entry})


def _info_consumer_full(raw: Any) -> dict:
    return labelled_dict(raw, {"pending": lambda v: [tuple(p) for p in v or ()]})


def _info_group_full(raw: Any) -> dict:
    return labelled_dict(raw, {
        "pending": lambda v: [tuple(p) for p in v or ()],
        "consumers": lambda v: [_info_consumer_full(c) for c in v or ()],
    })


def _info_stream_full(raw: Any) -> dict:
    return labelled_dict(raw, {
        "entries": _entries,
        "groups": lambda v: [_info_group_full(g) for g in v or ()],
    })


def _info_list(raw: Any) -> list:
    return [labelled_dict(x) for x in raw or ()]


def _trim_args(maxlen: Any, minid: Any, approximate: bool, limit: Optional[int]) -> list:
    if maxlen is not None and minid is not None:
        raise InvalidData("pass only one of ``maxlen`` and ``minid``")
    if maxlen is None and minid is None:
        if limit is not None:
            raise InvalidData("``limit`` needs ``maxlen`` or ``minid``")
        return []
    out: list = ["MAXLEN" if maxlen is not None else "MINID"]
    if approximate:
        out.append("~")
    out.append(maxlen if maxlen is not None else minid)
    if limit is not None:
        if not approximate:
            raise InvalidData("``limit`` needs ``approximate=True``")
        out += ["LIMIT", limit]
    return out


_REFS = ("KEEPREF", "DELREF", "ACKED")


def _ref_and_ids(ref: Optional[str], ids: Iterable[Any], method: str) -> list:
    """``[ref] IDS numids id...`` of XACKDEL/XDELEX, checked before anything is sent."""
    ids = list(ids)
    if not ids:
        raise InvalidData(f"{method} needs at least one id")
    out: list = []
    if ref is not None:
        word = ref.upper()
        if word not in _REFS:
            raise InvalidData(f"{method}: ``ref`` must be one of {', '.join(_REFS)}, not {ref!r}")
        out.append(word)
    return [*out, "IDS", len(ids), *ids]


def _streams_args(streams: Mapping[Any, Any]) -> list:
    if not isinstance(streams, Mapping) or not streams:
        raise InvalidData("``streams`` must be a non-empty mapping of stream name to id")
    return ["STREAMS", *streams.keys(), *streams.values()]


class StreamCommands(CommandsBase):
    """Stream commands; entries come back as ``(id, {field: value})`` tuples."""

    def xadd(
        self,
        key: Any,
        fields: Mapping[Any, Any],
        id: Any = "*",
        maxlen: Optional[int] = None,
        minid: Any = None,
        approximate: bool = False,
        limit: Optional[int] = None,
        nomkstream: bool = False,
    ) -> Any:
        """Append an entry (``fields``: a mapping) and return its id; None with ``nomkstream`` and no stream.
        https://redis.io/commands/xadd"""
        if not fields:
            raise InvalidData("xadd needs at least one field")
        args: list = ["XADD", key]
        if nomkstream:
            args.append("NOMKSTREAM")
        args += _trim_args(maxlen, minid, approximate, limit)
        args.append(id)
        for f, v in fields.items():
            args += [f, v]
        return self._execute(*args)

    def xlen(self, key: Any) -> Any:
        """Number of entries in a stream. https://redis.io/commands/xlen"""
        return self._execute("XLEN", key)

    def xrange(self, key: Any, min: Any = "-", max: Any = "+", count: Optional[int] = None) -> Any:
        """Entries with ids between ``min`` and ``max``, as ``(id, {field: value})`` tuples.
        https://redis.io/commands/xrange"""
        extra = () if count is None else ("COUNT", count)
        return self._execute("XRANGE", key, min, max, *extra, convert=_entries)

    def xrevrange(self, key: Any, max: Any = "+", min: Any = "-", count: Optional[int] = None) -> Any:
        """Entries from ``max`` down to ``min`` (newest first), as ``(id, {field: value})`` tuples.
        https://redis.io/commands/xrevrange"""
        extra = () if count is None else ("COUNT", count)
        return self._execute("XREVRANGE", key, max, min, *extra, convert=_entries)

    def xread(
        self, streams: Mapping[Any, Any], count: Optional[int] = None, block: Optional[int] = None
    ) -> Any:
        """Read entries after the given ids: ``{stream: [(id, fields)...]}``; ``{}`` if none/timed out.
        https://redis.io/commands/xread

        ``streams`` maps stream names to the last id seen (``"$"``: only new entries);
        ``block`` is in milliseconds (0: forever) and makes the call blocking.
        """
        args: list = ["XREAD"]
        if count is not None:
            args += ["COUNT", count]
        if block is not None:
            args += ["BLOCK", block]
        return self._execute(*args, *_streams_args(streams), convert=_streams)

    def xreadgroup(
        self,
        groupname: Any,
        consumername: Any,
        streams: Mapping[Any, Any],
        count: Optional[int] = None,
        block: Optional[int] = None,
        noack: bool = False,
    ) -> Any:
        """Read as a consumer of a group: ``{stream: [(id, fields)...]}``; ``">"`` asks for new entries.
        https://redis.io/commands/xreadgroup

        Ids other than ``">"`` re-read this consumer's pending entries (deleted ones come back
        as ``(id, None)``). ``block`` makes the call blocking.
        """
        args: list = ["XREADGROUP", "GROUP", groupname, consumername]
        if count is not None:
            args += ["COUNT", count]
        if block is not None:
            args += ["BLOCK", block]
        if noack:
            args.append("NOACK")
        return self._execute(*args, *_streams_args(streams), convert=_streams)

    def xdel(self, key: Any, *ids: Any) -> Any:
        """Delete entries by id; returns how many existed. https://redis.io/commands/xdel"""
        return self._execute("XDEL", key, *ids)

    def xdelex(self, key: Any, ids: Iterable[Any], *, ref: Optional[str] = None) -> Any:
        """Delete entries by id, one code per id (1 deleted, -1 no such id, 2 kept: still referenced).
        https://redis.io/docs/latest/commands/xdelex/

        ``ref`` says what happens to consumer groups' references to the entries: ``"KEEPREF"``
        (the default: they stay), ``"DELREF"`` (removed from every group's pending list) or
        ``"ACKED"`` (delete only entries every group has acknowledged; others give 2).
        Redis 8.2+.
        """
        self._require("XDELEX")
        return self._execute("XDELEX", key, *_ref_and_ids(ref, ids, "xdelex"))

    def xtrim(
        self,
        key: Any,
        maxlen: Optional[int] = None,
        minid: Any = None,
        approximate: bool = False,
        limit: Optional[int] = None,
    ) -> Any:
        """Trim a stream to ``maxlen`` entries or to ids ≥ ``minid``; returns how many were evicted.
        https://redis.io/commands/xtrim"""
        if maxlen is None and minid is None:
            raise InvalidData("xtrim needs ``maxlen`` or ``minid``")
        return self._execute("XTRIM", key, *_trim_args(maxlen, minid, approximate, limit))

    # -- consumer groups ---------------------------------------------------------------------------

    def xgroup_create(
        self,
        key: Any,
        groupname: Any,
        id: Any = "$",
        mkstream: bool = False,
        entriesread: Optional[int] = None,
    ) -> Any:
        """Create a consumer group starting after ``id`` (``"$"``: only new entries).
        https://redis.io/commands/xgroup-create"""
        args: list = ["XGROUP", "CREATE", key, groupname, id]
        if mkstream:
            args.append("MKSTREAM")
        if entriesread is not None:
            args += ["ENTRIESREAD", entriesread]
        return self._execute(*args)

    def xgroup_destroy(self, key: Any, groupname: Any) -> Any:
        """Destroy a consumer group; 1 if it existed. https://redis.io/commands/xgroup-destroy"""
        return self._execute("XGROUP", "DESTROY", key, groupname)

    def xgroup_createconsumer(self, key: Any, groupname: Any, consumername: Any) -> Any:
        """Create a consumer in a group; 1 if it was new. https://redis.io/commands/xgroup-createconsumer"""
        return self._execute("XGROUP", "CREATECONSUMER", key, groupname, consumername)

    def xgroup_delconsumer(self, key: Any, groupname: Any, consumername: Any) -> Any:
        """Delete a consumer; returns how many pending entries it had. https://redis.io/commands/xgroup-delconsumer"""
        return self._execute("XGROUP", "DELCONSUMER", key, groupname, consumername)

    def xgroup_setid(self, key: Any, groupname: Any, id: Any, entriesread: Optional[int] = None) -> Any:
        """Set a group's last delivered id. https://redis.io/commands/xgroup-setid"""
        extra = () if entriesread is None else ("ENTRIESREAD", entriesread)
        return self._execute("XGROUP", "SETID", key, groupname, id, *extra)

    def xack(self, key: Any, groupname: Any, *ids: Any) -> Any:
        """Acknowledge entries of a group; returns how many were pending. https://redis.io/commands/xack"""
        return self._execute("XACK", key, groupname, *ids)

    def xackdel(self, key: Any, group: Any, ids: Iterable[Any], *, ref: Optional[str] = None) -> Any:
        """Acknowledge and delete entries: per-id codes (1 done, 2 kept: still referenced, -1 not pending).
        https://redis.io/docs/latest/commands/xackdel/

        ``ref``: ``"KEEPREF"`` (the default: other groups' references stay), ``"DELREF"``
        (removed from every group's pending list) or ``"ACKED"`` (delete only entries every
        group has acknowledged). Redis 8.2+.
        """
        self._require("XACKDEL")
        return self._execute("XACKDEL", key, group, *_ref_and_ids(ref, ids, "xackdel"))

    def xpending(self, key: Any, groupname: Any) -> Any:
        """Summary of a group's pending entries. https://redis.io/commands/xpending

        A dict: ``pending`` (count), ``min``/``max`` (ids, None when empty) and ``consumers``
        (``{name: int count}``).
        """
        return self._execute("XPENDING", key, groupname, convert=_pending_summary)

    def xpending_range(
        self,
        key: Any,
        groupname: Any,
        min: Any = "-",
        max: Any = "+",
        count: int = 10,
        consumername: Any = None,
        idle: Optional[int] = None,
    ) -> Any:
        """Pending entries in detail (XPENDING's extended form), as a list of dicts.
        https://redis.io/commands/xpending

        Each dict: ``message_id``, ``consumer``, ``time_since_delivered`` (ms),
        ``times_delivered``.
        """
        args: list = ["XPENDING", key, groupname]
        if idle is not None:
            args += ["IDLE", idle]
        args += [min, max, count]
        if consumername is not None:
            args.append(consumername)
        return self._execute(*args, convert=_pending_range)

    def xclaim(
        self,
        key: Any,
        groupname: Any,
        consumername: Any,
        min_idle_time: int,
        ids: Iterable[Any],
        idle: Optional[int] = None,
        time: Optional[int] = None,
        retrycount: Optional[int] = None,
        force: bool = False,
        justid: bool = False,
        lastid: Any = None,
    ) -> Any:
        """Take over pending entries idle ≥ ``min_idle_time`` ms: entries, or ids with ``justid``.
        https://redis.io/commands/xclaim"""
        ids = list(ids)
        if not ids:
            raise InvalidData("xclaim needs at least one id")
        args: list = ["XCLAIM", key, groupname, consumername, min_idle_time, *ids]
        for name, value in (("IDLE", idle), ("TIME", time), ("RETRYCOUNT", retrycount)):
            if value is not None:
                args += [name, value]
        if force:
            args.append("FORCE")
        if justid:
            args.append("JUSTID")
        if lastid is not None:
            args += ["LASTID", lastid]
        return self._execute(*args, convert=_ids if justid else _entries)

    def xautoclaim(
        self,
        key: Any,
        groupname: Any,
        consumername: Any,
        min_idle_time: int,
        start: Any = "0-0",
        count: Optional[int] = None,
        justid: bool = False,
    ) -> Any:
        """Claim pending entries idle ≥ ``min_idle_time`` ms, scanning from ``start``.
        https://redis.io/commands/xautoclaim

        Returns ``(next_start_id, entries, deleted_ids)``; with ``justid`` entries are ids.
        """
        args: list = ["XAUTOCLAIM", key, groupname, consumername, min_idle_time, start]
        if count is not None:
            args += ["COUNT", count]
        if justid:
            args.append("JUSTID")
        return self._execute(*args, convert=_autoclaim_justid if justid else _autoclaim)

    # -- introspection -----------------------------------------------------------------------------

    def xinfo_stream(self, key: Any, full: bool = False, count: Optional[int] = None) -> Any:
        """Stream details as a dict (``length``, ``groups``, ``first-entry``...). https://redis.io/commands/xinfo-stream

        Labels are the server's (with dashes). ``first-entry``/``last-entry`` are entry
        tuples. With ``full``: ``entries`` (tuples) and ``groups`` (dicts whose ``pending`` is a
        list of tuples and ``consumers`` a list of dicts); ``count`` limits them.
        """
        args: list = ["XINFO", "STREAM", key]
        if full:
            args.append("FULL")
            if count is not None:
                args += ["COUNT", count]
        elif count is not None:
            raise InvalidData("``count`` needs ``full=True``")
        return self._execute(*args, convert=_info_stream_full if full else _info_stream)

    def xinfo_groups(self, key: Any) -> Any:
        """A stream's consumer groups, as a list of dicts. https://redis.io/commands/xinfo-groups"""
        return self._execute("XINFO", "GROUPS", key, convert=_info_list)

    def xinfo_consumers(self, key: Any, groupname: Any) -> Any:
        """A group's consumers, as a list of dicts (``name``, ``pending``, ``idle``).
        https://redis.io/commands/xinfo-consumers"""
        return self._execute("XINFO", "CONSUMERS", key, groupname, convert=_info_list)

    def xsetid(
        self, key: Any, last_id: Any, entries_added: Optional[int] = None, max_deleted_id: Any = None
    ) -> Any:
        """Set a stream's last id (internal; used by replication). https://redis.io/commands/xsetid"""
        args: list = ["XSETID", key, last_id]
        if entries_added is not None:
            args += ["ENTRIESADDED", entries_added]
        if max_deleted_id is not None:
            args += ["MAXDELETEDID", max_deleted_id]
        return self._execute(*args)

