"""Geospatial commands (GEOADD, GEODIST, GEOPOS, GEOHASH, GEOSEARCH, GEOSEARCHSTORE, GEORADIUS*).

Shapes: distances and coordinates are floats whatever ``convertNumbers`` says; positions are
``(longitude, latitude)`` tuples (None for a missing member); members follow the handler's
``charset``/``convertNumbers``. Searches return a list of members, or, when any of
``withdist``/``withhash``/``withcoord`` is set, tuples ``(member[, dist][, hash][, (lon, lat)])``
in that order, holding only what was asked for.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..errors import InvalidData
from ._base import CommandsBase
from ._replies import to_float, to_int

__all__ = ["GeoCommands"]

_UNITS = frozenset({"M", "KM", "FT", "MI"})


def _unit(unit: str) -> str:
    u = unit.upper()
    if u not in _UNITS:
        raise InvalidData(f"Invalid unit: {unit} (m, km, ft or mi)")
    return u


def _members(members: Any) -> list:
    if isinstance(members, (str, bytes)):
        return [members]
    return list(members)


def _position(p: Any) -> Any:
    return None if p is None else (to_float(p[0]), to_float(p[1]))


def _positions(raw: Any) -> list:
    return [_position(p) for p in raw or ()]


def _distance(raw: Any) -> Any:
    return to_float(raw)


def _search_reply(withdist: bool, withhash: bool, withcoord: bool) -> Optional[Callable[[Any], Any]]:
    if not (withdist or withhash or withcoord):
        return None

    def convert(raw: Any) -> list:
        out = []
        for item in raw or ():
            member, rest = item[0], list(item[1:])
            t: list = [member]
            if withdist:
                t.append(to_float(rest.pop(0)))
            if withhash:
                t.append(to_int(rest.pop(0)))
            if withcoord:
                t.append(_position(rest.pop(0)))
            out.append(tuple(t))
        return out

    return convert


def _options(
    sort: Optional[str], count: Optional[int], any: bool, withcoord: bool, withdist: bool, withhash: bool
) -> list:
    out: list = []
    if withcoord:
        out.append("WITHCOORD")
    if withdist:
        out.append("WITHDIST")
    if withhash:
        out.append("WITHHASH")
    if count is not None:
        out += ["COUNT", count]
        if any:
            out.append("ANY")
    elif any:
        raise InvalidData("``any`` needs ``count``")
    if sort is not None:
        order = sort.upper()
        if order not in ("ASC", "DESC"):
            raise InvalidData(f"Invalid sort order: {sort} (ASC or DESC)")
        out.append(order)
    return out


def _search_area(
    member: Any, longitude: Any, latitude: Any, radius: Any, width: Any, height: Any, unit: str
) -> list:
    out: list = []
    if member is not None and (longitude is not None or latitude is not None):
        raise InvalidData("pass ``member`` or ``longitude``/``latitude``, not both")
    if member is not None:
        out += ["FROMMEMBER", member]
    elif longitude is not None and latitude is not None:
        out += ["FROMLONLAT", longitude, latitude]
    else:
        raise InvalidData("pass ``member`` or both ``longitude`` and ``latitude``")
    if radius is not None and (width is not None or height is not None):
        raise InvalidData("pass ``radius`` or ``width``/``height``, not both")
    if radius is not None:
        out += ["BYRADIUS", radius, _unit(unit)]
    elif width is not None and height is not None:
        out += ["BYBOX", width, height, _unit(unit)]
    else:
        raise InvalidData("pass ``radius`` or both ``width`` and ``height``")
    return out


class GeoCommands(CommandsBase):
    """Geospatial commands over sorted sets of geohashed members."""

    def geoadd(self, key: Any, values: Any, nx: bool = False, xx: bool = False, ch: bool = False) -> Any:
        """Add members at ``(longitude, latitude, member)`` (one tuple or a list); returns the count added.
        https://redis.io/commands/geoadd

        ``nx``: only add new members; ``xx``: only update existing; ``ch``: count changes too.
        """
        if nx and xx:
            raise InvalidData("``nx`` and ``xx`` cannot both be set")
        if isinstance(values, tuple) and len(values) == 3 and not isinstance(values[0], (tuple, list)):
            values = [values]
        args: list = ["GEOADD", key]
        if nx:
            args.append("NX")
        if xx:
            args.append("XX")
        if ch:
            args.append("CH")
        n = len(args)
        for v in values:
            lon, lat, member = v
            args += [lon, lat, member]
        if len(args) == n:
            raise InvalidData("geoadd needs at least one (longitude, latitude, member)")
        return self._execute(*args)

    def geodist(self, key: Any, member1: Any, member2: Any, unit: Optional[str] = None) -> Any:
        """Distance between two members as a float (None if one is missing). https://redis.io/commands/geodist"""
        extra = () if unit is None else (_unit(unit),)
        return self._execute("GEODIST", key, member1, member2, *extra, convert=_distance)

    def geohash(self, key: Any, members: Any) -> Any:
        """Geohash strings of members (None for missing ones). https://redis.io/commands/geohash"""
        return self._execute("GEOHASH", key, *_members(members))

    def geopos(self, key: Any, members: Any) -> Any:
        """``(longitude, latitude)`` float tuples of members (None for missing ones). https://redis.io/commands/geopos"""
        return self._execute("GEOPOS", key, *_members(members), convert=_positions)

    def geosearch(
        self,
        key: Any,
        member: Any = None,
        longitude: Any = None,
        latitude: Any = None,
        radius: Any = None,
        width: Any = None,
        height: Any = None,
        unit: str = "m",
        sort: Optional[str] = None,
        count: Optional[int] = None,
        any: bool = False,
        withcoord: bool = False,
        withdist: bool = False,
        withhash: bool = False,
    ) -> Any:
        """Members inside a circle (``radius``) or box (``width``/``height``) around a member or point.
        https://redis.io/commands/geosearch"""
        args = ["GEOSEARCH", key, *_search_area(member, longitude, latitude, radius, width, height, unit)]
        args += _options(sort, count, any, withcoord, withdist, withhash)
        return self._execute(*args, convert=_search_reply(withdist, withhash, withcoord))

    def geosearchstore(
        self,
        destination: Any,
        source: Any,
        member: Any = None,
        longitude: Any = None,
        latitude: Any = None,
        radius: Any = None,
        width: Any = None,
        height: Any = None,
        unit: str = "m",
        sort: Optional[str] = None,
        count: Optional[int] = None,
        any: bool = False,
        storedist: bool = False,
    ) -> Any:
        """GEOSEARCH into ``destination`` (scores: geohashes, or distances with ``storedist``); the count.
        https://redis.io/commands/geosearchstore"""
        args = ["GEOSEARCHSTORE", destination, source]
        args += _search_area(member, longitude, latitude, radius, width, height, unit)
        args += _options(sort, count, any, False, False, False)
        if storedist:
            args.append("STOREDIST")
        return self._execute(*args)

    def _georadius(
        self, command: str, head: list, unit: str, withcoord: bool, withdist: bool, withhash: bool,
        count: Optional[int], any: bool, sort: Optional[str], store: Any = None, storedist: Any = None,
    ) -> Any:
        args = [command, *head, _unit(unit), *_options(sort, count, any, withcoord, withdist, withhash)]
        if store is not None:
            args += ["STORE", store]
        if storedist is not None:
            args += ["STOREDIST", storedist]
        stored = store is not None or storedist is not None
        return self._execute(*args, convert=None if stored else _search_reply(withdist, withhash, withcoord))

    def georadius(
        self, key: Any, longitude: Any, latitude: Any, radius: Any, unit: str = "m",
        withcoord: bool = False, withdist: bool = False, withhash: bool = False,
        count: Optional[int] = None, any: bool = False, sort: Optional[str] = None,
        store: Any = None, storedist: Any = None,
    ) -> Any:
        """Members within ``radius`` of a point (deprecated by Redis: prefer ``geosearch``).
        https://redis.io/commands/georadius"""
        return self._georadius("GEORADIUS", [key, longitude, latitude, radius], unit, withcoord, withdist,
                               withhash, count, any, sort, store, storedist)

    def georadius_ro(
        self, key: Any, longitude: Any, latitude: Any, radius: Any, unit: str = "m",
        withcoord: bool = False, withdist: bool = False, withhash: bool = False,
        count: Optional[int] = None, any: bool = False, sort: Optional[str] = None,
    ) -> Any:
        """Read-only GEORADIUS (deprecated by Redis: prefer ``geosearch``). https://redis.io/commands/georadius_ro"""
        return self._georadius("GEORADIUS_RO", [key, longitude, latitude, radius], unit, withcoord,
                               withdist, withhash, count, any, sort)

    def georadiusbymember(
        self, key: Any, member: Any, radius: Any, unit: str = "m",
        withcoord: bool = False, withdist: bool = False, withhash: bool = False,
        count: Optional[int] = None, any: bool = False, sort: Optional[str] = None,
        store: Any = None, storedist: Any = None,
    ) -> Any:
        """Members within ``radius`` of a member (deprecated by Redis: prefer ``geosearch``).
        https://redis.io/commands/georadiusbymember"""
        return self._georadius("GEORADIUSBYMEMBER", [key, member, radius], unit, withcoord, withdist,
                               withhash, count, any, sort, store, storedist)

    def georadiusbymember_ro(
        self, key: Any, member: Any, radius: Any, unit: str = "m",
        withcoord: bool = False, withdist: bool = False, withhash: bool = False,
        count: Optional[int] = None, any: bool = False, sort: Optional[str] = None,
    ) -> Any:
        """Read-only GEORADIUSBYMEMBER (deprecated by Redis: prefer ``geosearch``).
        https://redis.io/commands/georadiusbymember_ro"""
        return self._georadius("GEORADIUSBYMEMBER_RO", [key, member, radius], unit, withcoord, withdist,
                               withhash, count, any, sort)
