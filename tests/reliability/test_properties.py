"""Property-based tests: binary-safe round trips, chunking-independent parsing, typed arg errors."""

from __future__ import annotations

import asyncio
import math
from typing import Any, Iterator

import hiredis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import txredis_aio as redis
from txredis_aio._resp import make_encoder, new_reader
from txredis_aio.errors import InvalidData
from txredis_aio.testing import RedisServer

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


class Runner:
    """One event loop and two connections reused across hypothesis examples."""

    def __init__(self, port: int) -> None:
        self.loop = asyncio.new_event_loop()
        self.raw = self.run(self._connect(port, charset=None, convertNumbers=False))
        self.conv = self.run(self._connect(port))

    @staticmethod
    async def _connect(port: int, **kw: Any) -> redis.ConnectionHandler:
        return await redis.Connection("127.0.0.1", port, **kw)

    def run(self, aw: Any) -> Any:
        return self.loop.run_until_complete(asyncio.ensure_future(aw, loop=self.loop))

    def close(self) -> None:
        self.run(self.raw.disconnect())
        self.run(self.conv.disconnect())
        self.loop.close()


@pytest.fixture(scope="module")
def runner(redis_server: RedisServer) -> Iterator[Runner]:
    r = Runner(redis_server.port)
    yield r
    r.close()


@SETTINGS
@given(value=st.binary(max_size=2000) | st.sampled_from([b"\r\n", b"\x00", b"$-1\r\n", b"*1\r\n"]))
def test_bytes_round_trip(runner: Runner, value: bytes) -> None:
    """Any bytes, CRLF and NUL included, come back identical (charset=None)."""
    runner.run(runner.raw.set("prop:b", value))
    assert runner.run(runner.raw.get("prop:b")) == value


@SETTINGS
@given(value=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=500))
def test_str_round_trip(runner: Runner, value: str) -> None:
    """Any str comes back equal as UTF-8 bytes, and decoded when it isn't number-like."""
    runner.run(runner.raw.set("prop:s", value))
    assert runner.run(runner.raw.get("prop:s")) == value.encode()


@SETTINGS
@given(value=st.integers(min_value=-(2**200), max_value=2**200))
def test_int_round_trip(runner: Runner, value: int) -> None:
    """ints come back as equal ints with convertNumbers."""
    runner.run(runner.conv.set("prop:i", value))
    assert runner.run(runner.conv.get("prop:i")) == value


@SETTINGS
@given(value=st.floats(allow_nan=False))
def test_float_round_trip(runner: Runner, value: float) -> None:
    """floats are sent exactly: the stored text parses back to the same float."""
    runner.run(runner.raw.set("prop:f", value))
    stored = runner.run(runner.raw.get("prop:f"))
    assert float(stored) == value or (math.isinf(value) and math.isinf(float(stored)))


def resp(obj: Any) -> bytes:
    """Serialise a reply the way a server would (RESP2)."""
    if obj is None:
        return b"$-1\r\n"
    if isinstance(obj, int):
        return b":%d\r\n" % obj
    if isinstance(obj, bytes):
        return b"$%d\r\n%s\r\n" % (len(obj), obj)
    if isinstance(obj, list):
        return b"*%d\r\n" % len(obj) + b"".join(resp(x) for x in obj)
    raise TypeError(obj)


replies = st.recursive(
    st.none() | st.integers(-(2**63), 2**63 - 1) | st.binary(max_size=50),
    lambda children: st.lists(children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(objs=st.lists(replies, min_size=1, max_size=10), cuts=st.lists(st.integers(0, 10_000)))
def test_reader_is_chunking_independent(objs: list, cuts: list[int]) -> None:
    """The reader yields the same replies however the byte stream is split."""
    stream = b"".join(resp(o) for o in objs)
    points = sorted({c % (len(stream) + 1) for c in cuts})
    parts = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)])]
    reader = new_reader()
    got = []
    for p in parts:
        reader.feed(p)
        while (x := reader.gets()) is not False:
            got.append(x)
    assert got == objs


anything = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20), st.binary(max_size=20),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.tuples(st.integers()), st.builds(object), st.sets(st.integers(), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(args=st.lists(anything, min_size=1, max_size=5))
def test_random_argument_types_encode_or_raise(args: list) -> None:
    """Each argument list either encodes exactly as its normalised form or raises a typed error."""
    encode = make_encoder("utf-8")
    try:
        out = encode(("SET", *args))
    except (TypeError, InvalidData):
        assert any(type(a) not in (str, bytes, int, float) for a in args) or any(
            isinstance(a, str) and not _utf8(a) for a in args
        )
        return
    assert out == hiredis.pack_command(("SET", *args))


def _utf8(s: str) -> bool:
    try:
        s.encode()
        return True
    except UnicodeEncodeError:
        return False


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad=anything.filter(lambda a: type(a) not in (str, bytes, int, float)))
def test_bad_argument_sends_nothing(runner: Runner, bad: Any) -> None:
    """A bad argument raises before anything is queued; the connection stays in sync."""
    proto = runner.raw._pool._slots[0].protocol
    with pytest.raises((TypeError, InvalidData)):
        runner.raw.set("prop:bad", bad)
    assert proto.pending == 0
    assert runner.run(runner.raw.ping()) == b"PONG"
