"""RESP encoding/decoding without sockets: txredisapi's argument and conversion rules."""

from __future__ import annotations

import random

import hiredis
import pytest

from txredis_aio._resp import list_or_args, make_decoder, make_encoder, new_reader
from txredis_aio.errors import (
    InvalidArgumentType,
    InvalidData,
    InvalidResponse,
    ResponseError,
    WrongTypeError,
)

STREAM = (
    b"+OK\r\n$3\r\nbar\r\n:42\r\n$-1\r\n*-1\r\n*0\r\n"
    b"*3\r\n$1\r\n1\r\n*2\r\n$2\r\nab\r\n:-7\r\n-WRONGTYPE Operation against a key\r\n"
    b"-ERR unknown command\r\n$5\r\n12.50\r\n$4\r\n\xff\xfe\r\n\r\n"
)
EXPECTED_RAW = [
    b"OK", b"bar", 42, None, None, [], [b"1", [b"ab", -7], "err"], "err", b"12.50",
    b"\xff\xfe\r\n",
]


def _read_all(chunks: list[bytes]) -> list:
    r = new_reader()
    out = []
    for c in chunks:
        r.feed(c)
        while (x := r.gets()) is not False:
            out.append(x)
    return out


def _check(replies: list) -> None:
    assert len(replies) == len(EXPECTED_RAW)
    for i, (got, want) in enumerate(zip(replies, EXPECTED_RAW)):
        if i == 6:
            assert got[:2] == want[:2]
        elif want != "err":
            assert got == want
    assert isinstance(replies[6][2], WrongTypeError)
    assert isinstance(replies[7], ResponseError)
    assert str(replies[7]) == "ERR unknown command"


def test_stream_whole() -> None:
    """A stream fed at once yields every reply, errors as values with their ERR prefix."""
    _check(_read_all([STREAM]))


def test_stream_byte_by_byte() -> None:
    """Feeding one byte at a time gives the same replies."""
    _check(_read_all([STREAM[i : i + 1] for i in range(len(STREAM))]))


@pytest.mark.parametrize("seed", range(20))
def test_stream_random_splits(seed: int) -> None:
    """Any random chunking of the stream gives the same replies."""
    rnd = random.Random(seed)
    cuts = sorted(rnd.sample(range(1, len(STREAM)), rnd.randint(1, 30)))
    parts = [STREAM[a:b] for a, b in zip([0, *cuts], [*cuts, len(STREAM)])]
    _check(_read_all(parts))


def test_garbage_is_invalid_response() -> None:
    """A bad type byte raises InvalidResponse from the reader."""
    r = new_reader()
    r.feed(b"?what\r\n")
    with pytest.raises(InvalidResponse):
        r.gets()


def test_encode_types() -> None:
    """str/bytes/int/float encode; float keeps full precision; bytearray is accepted."""
    enc = make_encoder("utf-8")
    assert enc(("SET", "k", b"v")) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
    assert enc(("X", 12, 1.5)) == b"*3\r\n$1\r\nX\r\n$2\r\n12\r\n$3\r\n1.5\r\n"
    assert enc(("X", 1e-7)) == hiredis.pack_command(("X", "1e-07"))
    assert enc(("X", bytearray(b"ab"))) == hiredis.pack_command(("X", b"ab"))
    assert enc(("PING",)) == b"*1\r\n$4\r\nPING\r\n"


@pytest.mark.parametrize("bad", [None, True, False, {}, {"a": 1}, object(), [1], (1,)])
def test_encode_rejects_other_types(bad: object) -> None:
    """bool, None and arbitrary objects raise a TypeError naming the argument; no str()."""
    enc = make_encoder("utf-8")
    with pytest.raises(InvalidArgumentType, match="SET: argument 2 is of type"):
        enc(("SET", "k", bad))
    with pytest.raises(TypeError):
        enc(("SET", "k", bad))


def test_encode_charset() -> None:
    """str arguments use the connection charset; unencodable ones raise InvalidData."""
    assert make_encoder("latin-1")(("SET", "é")) == hiredis.pack_command(("SET", b"\xe9"))
    assert make_encoder(None)(("SET", "☭")) == hiredis.pack_command(("SET", "☭".encode()))
    with pytest.raises(InvalidData):
        make_encoder("ascii")(("SET", "☭"))
    with pytest.raises(InvalidData):
        make_encoder("utf-8")(("SET", "\ud800"))


@pytest.mark.parametrize(
    "raw,want",
    [
        (b"00123", 123), (b"1_000", 1000), (b"12 ", 12), (b"-0", 0), (b"+5", 5), (b"1.", 1.0),
        (b"-.5", -0.5), (b"1.5e3", 1500.0), (b"9" * 30, int("9" * 30)), (b"1e5", "1e5"),
        (b" 12", " 12"), (b"+inf", "+inf"), (b"inf", "inf"), (b"0x10", "0x10"), (b".", "."),
        (b"-", "-"), (b"1.2.3", "1.2.3"), (b"", ""), (b"abc", "abc"), (b"\xff\xfe", b"\xff\xfe"),
    ],
)
def test_number_and_charset_conversion(raw: bytes, want: object) -> None:
    """convertNumbers + utf-8 follow txredisapi's tryConvertData exactly."""
    got = make_decoder("utf-8", True)(raw)
    assert got == want and type(got) is type(want)


def test_conversion_variants() -> None:
    """charset=None keeps bytes but converts numbers; convertNumbers=False keeps strings."""
    assert make_decoder(None, True)([b"12", b"x"]) == [12, b"x"]
    assert make_decoder("utf-8", False)([b"12", [b"3.5"]]) == ["12", ["3.5"]]
    assert make_decoder(None, False)(b"12") == b"12"
    assert make_decoder("utf-8", True)([1, None, [b"2"]]) == [1, None, [2]]


def test_list_or_args() -> None:
    """A str key is one key; iterables are used as is; extras warn but are appended."""
    assert list_or_args("delete", "k", ()) == ["k"]
    assert list_or_args("delete", b"k", ()) == [b"k"]
    assert list_or_args("delete", ("a", "b"), ()) == ["a", "b"]
    with pytest.warns(DeprecationWarning):
        assert list_or_args("delete", "a", ("b",)) == ["a", "b"]
    with pytest.warns(DeprecationWarning):
        assert list_or_args("srem", 5, ()) == [5]
