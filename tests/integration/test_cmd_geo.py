"""Geo commands against a real server: GEOADD options, float distances/positions, GEOSEARCH shapes."""

from __future__ import annotations

import pytest

import txredis_aio as redis
from tests.integration._cmd_helpers import VARIANT_IDS, VARIANTS, connect, s

PALERMO = (13.361389, 38.115556, "Palermo")
CATANIA = (15.087269, 37.502669, "Catania")


async def sicily(rc) -> None:
    """The redis.io example set."""
    assert await rc.geoadd("Sicily", [PALERMO, CATANIA]) == 2


async def test_geoadd_options(rc) -> None:
    """GEOADD takes one tuple or a list; NX/XX/CH change what is added and counted."""
    assert await rc.geoadd("g", PALERMO) == 1
    assert await rc.geoadd("g", [PALERMO, CATANIA]) == 1
    assert await rc.geoadd("g", [(13.0, 38.0, "Palermo")], nx=True) == 0
    assert await rc.geoadd("g", [(13.0, 38.0, "Palermo")], xx=True, ch=True) == 1
    assert await rc.geoadd("g", [(1.0, 1.0, "New")], xx=True) == 0
    assert await rc.execute_command("ZCARD", "g") == 2
    with pytest.raises(redis.InvalidData):
        rc.geoadd("g", PALERMO, nx=True, xx=True)
    with pytest.raises(redis.InvalidData):
        rc.geoadd("g", [])
    with pytest.raises(redis.ResponseError, match="invalid longitude"):
        await rc.geoadd("g", (200.0, 1.0, "bad"))


async def test_geodist_geopos_geohash(rc) -> None:
    """GEODIST is a float (None when a member is missing); GEOPOS (lon, lat) tuples; GEOHASH strings."""
    await sicily(rc)
    assert await rc.geodist("Sicily", "Palermo", "Catania") == pytest.approx(166274.1516)
    assert await rc.geodist("Sicily", "Palermo", "Catania", "km") == pytest.approx(166.2742)
    assert await rc.geodist("Sicily", "Palermo", "Nowhere") is None
    pos = await rc.geopos("Sicily", ["Palermo", "Nowhere"])
    assert pos[0] == (pytest.approx(13.361389, abs=1e-5), pytest.approx(38.115556, abs=1e-5))
    assert pos[1] is None
    assert await rc.geohash("Sicily", ["Palermo", "Catania"]) == ["sqc8b49rny0", "sqdtr74hyu0"]
    assert await rc.geohash("Sicily", "Palermo") == ["sqc8b49rny0"]
    with pytest.raises(redis.InvalidData):
        rc.geodist("Sicily", "Palermo", "Catania", "parsec")


async def test_geosearch_shapes(rc) -> None:
    """GEOSEARCH: plain members, or tuples holding exactly the WITH* parts asked for."""
    await sicily(rc)
    await rc.geoadd("Sicily", [(12.758489, 38.788135, "edge1"), (17.241510, 38.788135, "edge2")])
    found = await rc.geosearch("Sicily", longitude=15, latitude=37, radius=200, unit="km", sort="asc")
    assert found == ["Catania", "Palermo"]
    box = await rc.geosearch("Sicily", longitude=15, latitude=37, width=400, height=400, unit="km",
                             sort="ASC", withdist=True, withcoord=True)
    assert [m for m, _d, _c in box] == ["Catania", "Palermo", "edge2", "edge1"]
    assert box[0][1] == pytest.approx(56.4413) and box[0][2][0] == pytest.approx(15.087269, abs=1e-5)
    one = await rc.geosearch("Sicily", member="Palermo", radius=1, unit="m", withhash=True)
    assert one == [("Palermo", 3479099956230698)]
    assert await rc.geosearch("Sicily", member="Palermo", radius=500, unit="km", count=1, any=True) != []
    assert await rc.geosearch("Sicily", member="Palermo", radius=500, unit="km", sort="desc", count=1) == [
        "edge2"]
    with pytest.raises(redis.InvalidData):
        rc.geosearch("Sicily", radius=1)
    with pytest.raises(redis.InvalidData):
        rc.geosearch("Sicily", member="Palermo", longitude=1, latitude=1, radius=1)
    with pytest.raises(redis.InvalidData):
        rc.geosearch("Sicily", member="Palermo", radius=1, width=1, height=1)
    with pytest.raises(redis.InvalidData):
        rc.geosearch("Sicily", member="Palermo", radius=1, any=True)
    with pytest.raises(redis.InvalidData):
        rc.geosearch("Sicily", member="Palermo", radius=1, sort="sideways")


async def test_geosearchstore(rc) -> None:
    """GEOSEARCHSTORE stores the hits (geohash scores, or distances with storedist) and returns the count."""
    await sicily(rc)
    assert await rc.geosearchstore("near", "Sicily", longitude=15, latitude=37, radius=200, unit="km") == 2
    assert await rc.execute_command("ZRANGE", "near", 0, -1) == ["Palermo", "Catania"]
    n = await rc.geosearchstore("dist", "Sicily", member="Catania", radius=100, unit="km", storedist=True,
                                count=5, sort="ASC")
    assert n == 1 and await rc.execute_command("ZSCORE", "dist", "Catania") == 0


async def test_georadius_family(rc) -> None:
    """The deprecated GEORADIUS* commands still work, with the same reply shapes as geosearch."""
    await sicily(rc)
    assert await rc.georadius("Sicily", 15, 37, 200, "km", sort="ASC") == ["Catania", "Palermo"]
    got = await rc.georadius_ro("Sicily", 15, 37, 200, "km", withdist=True, sort="ASC", count=1)
    assert got[0][0] == "Catania" and got[0][1] == pytest.approx(56.4413)
    assert await rc.georadiusbymember("Sicily", "Palermo", 1, "km") == ["Palermo"]
    assert await rc.georadiusbymember_ro("Sicily", "Palermo", 200, "km", sort="ASC") == ["Palermo", "Catania"]
    assert await rc.georadius("Sicily", 15, 37, 200, "km", store="stored") == 2
    assert await rc.georadiusbymember("Sicily", "Palermo", 200, "km", storedist="sd") == 2


@pytest.mark.parametrize("convert,charset", VARIANTS, ids=VARIANT_IDS)
async def test_numbers_are_floats_in_every_mode(redis_server, convert, charset) -> None:
    """Distances and coordinates are floats whatever convertNumbers says; members follow charset."""
    async with connect(redis_server, convert, charset) as c:
        await c.delete("geo:cv")
        await c.geoadd("geo:cv", [PALERMO, CATANIA])
        assert isinstance(await c.geodist("geo:cv", "Palermo", "Catania"), float)
        lon, lat = (await c.geopos("geo:cv", "Palermo"))[0]
        assert isinstance(lon, float) and isinstance(lat, float)
        hits = await c.geosearch("geo:cv", member="Palermo", radius=1, withdist=True, withcoord=True)
        assert hits[0][0] == s("Palermo", charset) and isinstance(hits[0][1], float)
        assert await c.geohash("geo:cv", "Palermo") == [s("sqc8b49rny0", charset)]


async def test_wrong_type_keeps_connection_usable(rc) -> None:
    """A geo command on a string raises WrongTypeError; the connection still answers."""
    await rc.set("str", "x")
    with pytest.raises(redis.WrongTypeError):
        await rc.geoadd("str", PALERMO)
    assert await rc.ping() == "PONG"
