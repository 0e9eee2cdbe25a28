"""Large values over a fake transport: top-level bulk strings of 128 KiB or more are read into a
buffer of their own (not through hiredis), requests with a large argument are written with one
copy into a kept frame buffer. Replies must be exactly what hiredis would have produced."""

from __future__ import annotations

import asyncio
import random
import re
from typing import Any

import hiredis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from txredis_aio._batch import ReplyBatch
from txredis_aio._protocol import RedisProtocol
from txredis_aio._resp import Raw, make_decoder, make_encoder, new_reader, unexpected_reply
from txredis_aio.errors import ConnectionError, InvalidResponse, ResponseError

BIG = 200_000  # above the direct-read threshold (128 KiB)


class Transport(asyncio.Transport):
    """Records writes as bytes; ``queue=True`` keeps the written object itself and reports it
    as buffered, as a loop that queues the caller's buffer (uvloop) may."""

    def __init__(self, proto: RedisProtocol, queue: bool = False) -> None:
        super().__init__()
        self.proto = proto
        self.queue = queue
        self.writes: list[bytes] = []
        self.queued: list[Any] = []
        self.aborted = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))
        if self.queue:
            self.queued.append(data)

    def get_write_buffer_size(self) -> int:
        return sum(len(d) for d in self.queued)

    def abort(self) -> None:
        self.aborted = True
        self.proto.connection_lost(None)

    def close(self) -> None:
        self.proto.connection_lost(None)


class CountingReader:
    """hiredis.Reader, counting the bytes fed to it."""

    def __init__(self, reader: hiredis.Reader) -> None:
        self._r = reader
        self.fed = 0
        self.gets, self.has_data, self.len = reader.gets, reader.has_data, reader.len

    def feed(self, data: Any) -> None:
        self.fed += len(data)
        self._r.feed(data)


def make(charset: str | None = "utf-8", queue: bool = False) -> tuple[RedisProtocol, Transport]:
    p = RedisProtocol(make_encoder(charset, parts=True), make_decoder(charset, True))
    t = Transport(p, queue)
    p.connection_made(t)
    p._reader = CountingReader(p._reader)  # type: ignore[assignment]
    return p, t


def read(p: RedisProtocol, data: bytes, sizes: random.Random | None = None) -> None:
    """What asyncio's transport does for a BufferedProtocol: recv_into get_buffer(), then tell;
    with ``sizes``, each read is cut short at a random length."""
    while data:
        buf = p.get_buffer(-1)
        n = min(len(buf), len(data))
        if sizes is not None:
            n = sizes.randint(1, n)
        buf[:n] = data[:n]
        p.buffer_updated(n)
        data = data[n:]


def bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


def ascii_value(n: int, seed: int) -> bytes:
    rnd = random.Random(seed)
    return bytes(rnd.choice(b"abcdefghij") for _ in range(64)) * (n // 64) + b"z" * (n % 64)


async def test_large_reply_is_read_directly_and_decoded_as_hiredis_would() -> None:
    """A 200 KiB value arrives whole in str, and not one of its bytes went through hiredis."""
    p, t = make()
    value = ascii_value(BIG, 1)
    f = p.execute(("GET", "k"))
    read(p, bulk(value) + b":7\r\n")
    assert await f == value.decode()
    assert p._reader.fed == 4  # type: ignore[attr-defined]  # only ":7\r\n" (no slot for it)


@pytest.mark.parametrize("seed", range(12))
async def test_mixed_stream_cut_anywhere_gives_every_caller_its_own_reply(seed: int) -> None:
    """Large and small bulk strings, nil, numbers, errors and arrays holding large strings, read
    in random pieces: each command gets exactly hiredis' reply, converted as usual."""
    rnd = random.Random(seed)
    undecodable = b"\xff\xfe" * (BIG // 2)
    items: list[tuple[bytes, Any]] = [
        (bulk(ascii_value(BIG, seed)), ascii_value(BIG, seed).decode()),
        (bulk(b"small"), "small"),
        (bulk(undecodable), undecodable),
        (b"$-1\r\n", None),
        (b":42\r\n", 42),
        (bulk(b"9" * BIG), None),  # digits: txredisapi's number conversion (too long: stays str)
        (b"*2\r\n$3\r\nfoo\r\n" + bulk(ascii_value(BIG, 2)), ["foo", ascii_value(BIG, 2).decode()]),
        (b"*1\r\n*1\r\n" + bulk(ascii_value(BIG, 3)), [[ascii_value(BIG, 3).decode()]]),
        (b"-ERR nope\r\n", "ERR nope"),
        (bulk(ascii_value(3 << 20, 4)), ascii_value(3 << 20, 4).decode()),  # above what is kept
        (bulk(ascii_value(BIG + 1, 5)), ascii_value(BIG + 1, 5).decode()),
    ]
    rnd.shuffle(items)
    p, t = make()
    futs = [p.execute(("GET", f"k{i}")) for i in range(len(items))]
    read(p, b"".join(raw for raw, _ in items), rnd)
    for fut, (raw, want) in zip(futs, items):
        if raw.startswith(b"-"):
            with pytest.raises(Exception, match=want):
                await fut
            continue
        got = await fut
        if raw == bulk(b"9" * BIG):
            want = "9" * BIG
        assert got == want and type(got) is type(want)
    assert p.pending == 0 and not t.aborted


async def test_array_header_then_a_large_element_in_the_next_read() -> None:
    """hiredis may have consumed an array's header with nothing left in its buffer: the large
    string that follows is that array's element, not a reply of its own."""
    p, t = make()
    f = p.execute(("LRANGE", "l", 0, -1))
    g = p.execute(("GET", "k"))
    value = ascii_value(BIG, 7)
    for piece in (b"*2\r\n$3\r\nfoo\r\n", bulk(value), bulk(value)):
        read(p, piece)
    assert await f == ["foo", value.decode()]
    assert await g == value.decode()


async def test_charset_none_gives_bytes_and_cancelled_caller_loses_nothing_else() -> None:
    p, t = make(charset=None)
    a, b, c = (p.execute(("GET", k)) for k in "abc")
    a.cancel()
    values = [ascii_value(BIG, i) for i in range(3)]
    read(p, b"".join(bulk(v) for v in values))
    assert await b == values[1] and type(await b) is bytes
    assert await c == values[2]


async def test_converters_and_pipelines_get_bytes() -> None:
    """Raw converters and pipeline batches see the bytes hiredis would give; converters see the
    decoded value."""
    p, t = make()
    value = ascii_value(BIG, 9)
    raw = p.execute(("GET", "a"), Raw(lambda r: (type(r), len(r))))
    conv = p.execute(("GET", "b"), lambda r: (type(r), len(r)))
    batch = ReplyBatch(asyncio.get_running_loop(), make_decoder("utf-8", True))
    batch.n = 2
    p.execute_batch(b"", batch)
    read(p, bulk(value) * 4)
    assert await raw == (bytes, BIG)
    assert await conv == (str, BIG)
    assert await batch.future == [value.decode()] * 2


async def test_bad_terminator_and_oversized_reply_abort() -> None:
    """A string is handed over once all its declared bytes are in (hiredis never checks the
    CRLF); a wrong terminator then fails what follows and closes the connection."""
    p, t = make()
    f, g = p.execute(("GET", "k")), p.execute(("GET", "j"))
    read(p, b"$%d\r\n%sXY" % (BIG, b"x" * BIG))
    assert await f == "x" * BIG
    with pytest.raises(InvalidResponse, match="CRLF"):
        await g
    assert t.aborted

    p, t = make()
    p.max_reply_bytes = BIG - 1
    f = p.execute(("GET", "k"))
    read(p, b"$%d\r\n%s" % (BIG, b"x" * 4096))
    with pytest.raises(InvalidResponse, match="max_reply_bytes"):
        await f
    assert t.aborted


async def test_connection_lost_in_the_middle_of_a_large_reply() -> None:
    p, t = make()
    f = p.execute(("GET", "k"))
    read(p, b"$%d\r\n%s" % (BIG, b"x" * 70_000))
    p.connection_lost(None)
    with pytest.raises(ConnectionError):
        await f


# -- requests with a large argument ------------------------------------------------------------


async def test_large_request_is_one_write_of_exactly_the_command() -> None:
    p, t = make()
    v1, v2 = b"a" * BIG, b"b" * (BIG + 5)
    p.execute(("SET", "k", v1))  # idle connection: written at once
    assert t.writes == [hiredis.pack_command(("SET", "k", v1))]
    p.execute(("SET", "k", v2))  # behind a pending command: coalesced with the next ones
    p.execute(("GET", "k"))
    p.execute(("SET", "j", v1, "EX", 5))
    await asyncio.sleep(0)
    assert t.writes[1:] == [
        hiredis.pack_command(("SET", "k", v2))
        + hiredis.pack_command(("GET", "k"))
        + hiredis.pack_command(("SET", "j", v1, "EX", 5))
    ]


async def test_a_queued_frame_is_never_overwritten() -> None:
    """A transport that keeps the written buffer (and reports it as buffered) gets a new frame
    buffer for the next large request."""
    p, t = make(queue=True)
    v1, v2 = b"a" * BIG, b"b" * BIG
    p.execute(("SET", "k", v1))
    p.data_received(b"+OK\r\n")
    p.execute(("SET", "k", v2))
    assert [bytes(q) for q in t.queued] == [hiredis.pack_command(("SET", "k", v)) for v in (v1, v2)]


# -- property: any reply stream, cut anywhere, parses exactly as hiredis alone would -----------

_SIZES = st.sampled_from([0, 3, 1500, BIG - 1, BIG, BIG + 7])


def _bulk_strategy() -> st.SearchStrategy[bytes]:
    return st.builds(lambda n, c: bulk(bytes([c]) * n), _SIZES, st.sampled_from(b"ab9\xff"))


_REPLY = st.recursive(
    st.one_of(_bulk_strategy(), st.just(b"$-1\r\n"), st.just(b":12\r\n"), st.just(b"+OK\r\n"),
              st.just(b"-ERR bad\r\n")),
    lambda inner: st.lists(inner, max_size=3).map(lambda xs: b"*%d\r\n" % len(xs) + b"".join(xs)),
    max_leaves=4,
)


def _plain(x: Any) -> Any:
    """Errors (raised or nested) as comparable tuples."""
    if isinstance(x, Exception):
        return (type(x).__name__, str(x))
    return [_plain(v) for v in x] if isinstance(x, list) else x


@settings(max_examples=80, deadline=None)
@given(replies=st.lists(_REPLY, min_size=1, max_size=6), cuts=st.randoms(use_true_random=False))
def test_any_stream_cut_anywhere_matches_hiredis(replies: list[bytes], cuts: random.Random) -> None:
    """Top-level and nested strings of every size around the threshold, in arrays or not, read
    in random pieces: every command gets what hiredis alone (plus the decoder) would give it."""
    reader = new_reader()
    reader.feed(b"".join(replies))
    decode = make_decoder("utf-8", True)
    want = [_plain(decode(reader.gets())) for _ in replies]

    async def run() -> list[Any]:
        p, t = make()
        futs = [p.execute(("GET", f"k{i}")) for i in range(len(replies))]
        stream = b"".join(replies)
        # Cut at item boundaries (payloads hold none of these bytes) and at random places: a
        # read that ends right after an array's header or element is the case to get right.
        points = {m.start() for m in re.finditer(rb"[$*:+\-]", stream) if cuts.random() < 0.5}
        points |= {cuts.randrange(len(stream)) for _ in range(3)}
        edges = sorted(points | {0, len(stream)})
        for a, b in zip(edges, edges[1:]):
            read(p, stream[a:b])
        got = []
        for f in futs:
            try:
                got.append(_plain(await f))
            except ResponseError as e:
                got.append(_plain(e))
        assert not t.aborted
        return got

    assert asyncio.run(run()) == want


async def test_stray_large_reply_closes_the_connection_with_a_short_error() -> None:
    """A large string that no command waits for closes the connection; the error names it in
    at most 200 characters of repr (not a message as large as the string)."""
    p, t = make()
    read(p, bulk(b"x" * BIG))
    assert t.aborted
    with pytest.raises(ConnectionError):
        await p.execute(("GET", "k"))
    err = unexpected_reply(bytearray(b"x" * BIG))
    assert isinstance(err, InvalidResponse) and len(str(err)) < 300 and "xxxx" in str(err)
