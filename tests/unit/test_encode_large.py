"""Large arguments are framed in Python (hiredis.pack_command copies large bytes slowly)."""

from __future__ import annotations

import hiredis
import pytest

from txredis_aio._resp import _BIG, make_encoder
from txredis_aio.errors import InvalidArgumentType

BIG = b"x" * _BIG


@pytest.mark.parametrize(
    "args, same_as",
    [
        (("SET", "k", BIG), ("SET", "k", BIG)),
        (("SET", "k", BIG, "EX", 10), ("SET", "k", BIG, "EX", 10)),
        (("SET", "k", "é" * _BIG), ("SET", "k", ("é" * _BIG).encode())),
        (("HSET", "h", "f", 1.5, "g", BIG, 7), ("HSET", "h", "f", 1.5, "g", BIG, 7)),
        (("SET", "k", bytearray(BIG)), ("SET", "k", BIG)),
        (("SET", "k", memoryview(BIG)), ("SET", "k", BIG)),
        (("SET", "k", BIG, 0.1, 12), ("SET", "k", BIG, 0.1, 12)),
    ],
)
def test_large_arguments_encode_exactly_as_hiredis(args: tuple, same_as: tuple) -> None:
    """A command carrying a value of 64 KiB or more is byte-for-byte what hiredis would send."""
    assert make_encoder("utf-8")(args) == hiredis.pack_command(same_as)


def test_large_arguments_in_another_charset() -> None:
    """With a non-UTF-8 charset a large str value is encoded in that charset."""
    value = "é" * _BIG
    got = make_encoder("latin-1")(("SET", "k", value))
    assert got == hiredis.pack_command(("SET", "k", value.encode("latin-1")))


def test_large_command_with_a_bad_argument_raises_before_sending() -> None:
    """A bad argument next to a large value still raises InvalidArgumentType naming it."""
    with pytest.raises(InvalidArgumentType, match="argument 3 is of type NoneType"):
        make_encoder("utf-8")(("SET", "k", BIG, None))
