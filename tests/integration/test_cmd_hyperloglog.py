"""HyperLogLog commands against a real server, with txredisapi's list_or_args rule."""

from __future__ import annotations

import pytest

import txredis_aio as redis
from tests.integration._cmd_helpers import VARIANT_IDS, VARIANTS, connect, s


async def test_pfadd_pfcount_pfmerge(rc) -> None:
    """pfadd takes one element or an iterable; pfcount one key or several; pfmerge unions."""
    assert await rc.pfadd("h1", ["a", "b", "c"]) == 1
    assert await rc.pfadd("h1", ["a"]) == 0
    assert await rc.pfadd("h1", "d") == 1
    assert await rc.pfadd("h2", ("c", "d", "e", "f")) == 1
    assert await rc.pfcount("h1") == 4
    assert await rc.pfcount(["h1", "h2"]) == 6
    assert await rc.pfmerge("h3", ["h1", "h2"]) == "OK"
    assert await rc.pfcount("h3") == 6
    assert await rc.pfcount("missing") == 0


async def test_deprecated_extra_positionals_warn(rc) -> None:
    """txredisapi's deprecated ``pfadd(key, 'a', 'b')`` form still works, with a DeprecationWarning."""
    with pytest.warns(DeprecationWarning):
        fut = rc.pfadd("h", "a", "b", "c")
    assert await fut == 1
    with pytest.warns(DeprecationWarning):
        fut = rc.pfcount("h", "other")
    assert await fut == 3
    with pytest.warns(DeprecationWarning):
        fut = rc.pfmerge("dst", "h", "other")
    assert await fut == "OK" and await rc.pfcount("dst") == 3


@pytest.mark.parametrize("convert,charset", VARIANTS, ids=VARIANT_IDS)
async def test_counts_are_ints_in_every_mode(redis_server, convert, charset) -> None:
    """PFADD/PFCOUNT are integer replies whatever the conversion settings; PFMERGE's OK is a status."""
    async with connect(redis_server, convert, charset) as c:
        await c.delete(["hv", "hv2"])
        assert await c.pfadd("hv", [1, 2, 3]) == 1
        assert await c.pfcount("hv") == 3
        assert await c.pfmerge("hv2", "hv") == s("OK", charset)


async def test_wrong_type_keeps_connection_usable(rc) -> None:
    """PFADD on a non-HLL string raises a ResponseError naming the problem; the connection still works."""
    await rc.set("s", "not an hll")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        await rc.pfadd("s", ["a"])
    assert await rc.get("s") == "not an hll"
