"""Bitmap commands against a real server: txredisapi's getbit/setbit/bitop/bitcount and BITFIELD/BITPOS."""

from __future__ import annotations

import operator

import pytest

import txredis_aio as redis
from tests.integration._cmd_helpers import VARIANT_IDS, VARIANTS, connect


async def test_setbit_getbit_bool_and_int(rc) -> None:
    """setbit returns the old bit and sends a bool as 0/1; getbit reads it back."""
    assert await rc.setbit("b", 7, True) == 0
    assert await rc.setbit("b", 7, 1) == 1
    assert await rc.getbit("b", 7) == 1
    assert await rc.setbit("b", 7, False) == 1
    assert await rc.getbit("b", 7) == 0 and await rc.getbit("b", 100) == 0
    assert await rc.execute_command("STRLEN", "b") == 1


async def test_bitop_names_and_operator_functions(rc, redis_server) -> None:
    """bitop accepts any-case names and operator.and_/or_/xor/not_; returns the result length."""
    async with connect(redis_server, charset=None) as c:
        await c.set("a", b"\x0f")
        await c.set("b", b"\xf1")
        assert await c.bitop("and", "d", "a", "b") == 1 and await c.get("d") == b"\x01"
        assert await c.bitop(operator.or_, "d", "a", "b") == 1 and await c.get("d") == b"\xff"
        assert await c.bitop(operator.xor, "d", "a", "b") == 1 and await c.get("d") == b"\xfe"
        assert await c.bitop(operator.not_, "d", "a") == 1 and await c.get("d") == b"\xf0"
        assert await c.bitop(operator.__and__, "d", "a", "b") == 1 and await c.get("d") == b"\x01"
        assert await c.bitop(b"Xor", "d", "a", "a") == 1 and await c.get("d") == b"\x00"


async def test_bitop_bad_input_raises_before_sending(rc) -> None:
    """txredisapi's bitop errors, raised synchronously: nothing is sent."""
    with pytest.raises(redis.InvalidData, match="Invalid operation: nand"):
        rc.bitop("nand", "d", "a")
    with pytest.raises(redis.InvalidData, match="Invalid operation"):
        rc.bitop(operator.add, "d", "a")
    with pytest.raises(redis.RedisError, match="no ``srckeys`` specified"):
        rc.bitop("and", "d")
    with pytest.raises(redis.RedisError, match="NOT takes only one"):
        rc.bitop("not", "d", "a", "b")
    assert await rc.exists("d") == 0


async def test_bitcount_ranges_and_modes(rc) -> None:
    """bitcount over all, a byte range, and (Redis 7) a BIT range; one bound alone is an error."""
    await rc.set("k", "foobar")
    assert await rc.bitcount("k") == 26
    assert await rc.bitcount("k", 0, 0) == 4
    assert await rc.bitcount("k", 1, 1) == 6
    assert await rc.bitcount("k", 5, 30, mode="bit") == 17
    assert await rc.bitcount("k", 1, 1, mode="BYTE") == 6
    with pytest.raises(redis.RedisError, match="must both be specified"):
        rc.bitcount("k", 1)
    with pytest.raises(redis.RedisError):
        rc.bitcount("k", end=3)
    with pytest.raises(redis.InvalidData):
        rc.bitcount("k", 0, 1, mode="word")


async def test_bitpos(rc) -> None:
    """BITPOS finds the first 0/1 bit, optionally from a start byte or within a BIT range."""
    await rc.set("k", b"\xff\xf0\x00")
    assert await rc.bitpos("k", 0) == 12
    assert await rc.bitpos("k", 1, 2) == -1
    assert await rc.bitpos("k", 1, 1) == 8
    assert await rc.bitpos("k", 1, 7, 15, mode="bit") == 7
    assert await rc.bitpos("missing", 0) == 0
    with pytest.raises(redis.RedisError):
        rc.bitpos("k", 1, end=3)


async def test_bitfield_builder_and_tuples(rc) -> None:
    """BITFIELD via the builder or tuples: SET returns the old value, INCRBY the new, FAIL → None."""
    ops = redis.BitFieldOperations().set("u8", 0, 255).get("u8", 0).incrby("u8", 0, 10)
    assert await rc.bitfield("bf", ops) == [0, 255, 9]
    ops = redis.BitFieldOperations().overflow("SAT").incrby("u8", 0, 300).overflow("fail").incrby("u8", 0, 1)
    assert await rc.bitfield("bf", ops) == [255, None]
    assert await rc.bitfield("bf", [("SET", "i8", "#1", -5), ("GET", "i8", "#1")]) == [0, -5]
    assert await rc.bitfield_ro("bf", [("u8", 0), ("i8", 8)]) == [255, -5]
    assert repr(ops).startswith("<BitFieldOperations")
    with pytest.raises(redis.InvalidData):
        redis.BitFieldOperations().overflow("explode")
    with pytest.raises(redis.InvalidData):
        rc.bitfield("bf", ["GET", "u8", 0])


@pytest.mark.parametrize("convert,charset", VARIANTS, ids=VARIANT_IDS)
async def test_bit_replies_are_ints_in_every_mode(redis_server, convert, charset) -> None:
    """Bit replies are integer replies: ints whatever convertNumbers/charset say."""
    async with connect(redis_server, convert, charset) as c:
        await c.delete("bits")
        assert await c.setbit("bits", 3, 1) == 0
        assert await c.getbit("bits", 3) == 1
        assert await c.bitcount("bits") == 1
        assert await c.bitfield("bits", [("GET", "u4", 0)]) == [1]


async def test_wrong_type_error_keeps_connection_usable(rc) -> None:
    """A bitmap command on a list raises WrongTypeError with the server's text; the next command works."""
    await rc.execute_command("RPUSH", "l", "x")
    with pytest.raises(redis.WrongTypeError, match="WRONGTYPE"):
        await rc.setbit("l", 1, 1)
    with pytest.raises(redis.ResponseError):
        await rc.bitfield("l", [("GET", "u8", 0)])
    assert await rc.ping() == "PONG"
