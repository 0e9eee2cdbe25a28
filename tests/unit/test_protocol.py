"""RedisProtocol over a fake transport: FIFO, coalesced writes, cancellation, failure paths."""

from __future__ import annotations

import asyncio

import pytest

from txredis_aio._protocol import RedisProtocol
from txredis_aio._resp import make_decoder, make_encoder
from txredis_aio.errors import ConnectionError, InvalidResponse, ResponseError, TimeoutError


class FakeTransport(asyncio.Transport):
    def __init__(self, proto: RedisProtocol) -> None:
        super().__init__()
        self.proto = proto
        self.writes: list[bytes] = []
        self.aborted = False
        self.closing = False

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self.writes.append(bytes(data))

    def abort(self) -> None:
        self.aborted = True
        self.proto.connection_lost(None)

    def close(self) -> None:
        self.closing = True
        self.proto.connection_lost(None)

    def is_closing(self) -> bool:
        return self.aborted or self.closing


def make(reply_timeout: float | None = None) -> tuple[RedisProtocol, FakeTransport]:
    p = RedisProtocol(make_encoder("utf-8"), make_decoder("utf-8", True), reply_timeout)
    t = FakeTransport(p)
    p.connection_made(t)
    return p, t


async def tick() -> None:
    await asyncio.sleep(0)


async def test_writes_coalesced_and_fifo() -> None:
    """On an idle connection the first command goes out at once; the others issued in the same
    step follow in one write; replies resolve in order."""
    p, t = make()
    f1, f2, f3 = p.execute(("SET", "a", "1")), p.execute(("GET", "a")), p.execute(("INCR", "n"))
    assert len(t.writes) == 1 and t.writes[0].count(b"*") == 1
    await tick()
    assert len(t.writes) == 2 and t.writes[1].count(b"*") == 2
    p.data_received(b"+OK\r\n$1\r\n1\r\n:5\r\n")
    assert [f1.result(), f2.result(), f3.result()] == ["OK", 1, 5]


async def test_cancelled_command_keeps_its_slot() -> None:
    """A reply that arrives for a cancelled command is discarded; the next gets its own."""
    p, t = make()
    f1, f2 = p.execute(("GET", "a")), p.execute(("GET", "b"))
    f1.cancel()
    await tick()
    p.data_received(b"$1\r\nA\r\n$1\r\nB\r\n")
    assert f2.result() == "B" and p.pending == 0


async def test_half_cancelled_under_random_split() -> None:
    """1000 commands, half cancelled, replies fed in odd chunks: survivors get their own value."""
    p, t = make()
    futs = [p.execute(("GET", f"k{i}")) for i in range(1000)]
    for f in futs[::2]:
        f.cancel()
    await tick()
    stream = b"".join(b"$%d\r\nv%d\r\n" % (len(str(i)) + 1, i) for i in range(1000))
    for i in range(0, len(stream), 7):
        p.data_received(stream[i : i + 7])
    for i, f in enumerate(futs):
        if i % 2:
            assert f.result() == f"v{i}"


async def test_error_reply_is_raised_and_connection_stays_usable() -> None:
    """An error reply fails only its command."""
    p, t = make()
    f1, f2 = p.execute(("INCR", "s")), p.execute(("PING",))
    p.data_received(b"-ERR value is not an integer\r\n+PONG\r\n")
    with pytest.raises(ResponseError, match="^ERR value"):
        f1.result()
    assert f2.result() == "PONG"


async def test_connection_lost_fails_pending() -> None:
    """Pending commands fail with ConnectionError('Lost connection'); new ones 'Not connected'."""
    p, t = make()
    f = p.execute(("GET", "a"))
    p.connection_lost(None)
    with pytest.raises(ConnectionError, match="Lost connection"):
        f.result()
    with pytest.raises(ConnectionError, match="Not connected"):
        p.execute(("GET", "a")).result()


async def test_garbage_fails_everything_and_aborts() -> None:
    """A malformed reply fails all pending with InvalidResponse and aborts the transport."""
    p, t = make()
    f1, f2 = p.execute(("GET", "a")), p.execute(("GET", "b"))
    p.data_received(b"!!garbage\r\n")
    for f in (f1, f2):
        with pytest.raises(InvalidResponse):
            f.result()
    assert t.aborted


async def test_unsolicited_reply_is_invalid() -> None:
    """A reply with no command waiting is a protocol violation: abort, never mis-deliver."""
    p, t = make()
    p.data_received(b"+OK\r\n")
    assert t.aborted


async def test_converter_error_fails_only_its_command() -> None:
    """A failing reply converter fails that command; the next still gets its reply."""
    p, t = make()
    f1 = p.execute(("GET", "a"), lambda r: 1 / 0)
    f2 = p.execute(("GET", "b"))
    p.data_received(b"$1\r\nx\r\n$1\r\ny\r\n")
    with pytest.raises(ZeroDivisionError):
        f1.result()
    assert f2.result() == "y"


async def test_bad_argument_queues_nothing() -> None:
    """A bad argument raises before a slot is queued or a byte is buffered."""
    p, t = make()
    with pytest.raises(TypeError):
        p.execute(("SET", "k", None))
    assert p.pending == 0
    await tick()
    assert t.writes == []


async def test_reply_timeout_fails_all_and_aborts() -> None:
    """Past replyTimeout every pending command fails with TimeoutError and the link drops."""
    p, t = make(reply_timeout=0.05)
    f1, f2 = p.execute(("GET", "a")), p.execute(("GET", "b"))
    await asyncio.sleep(0.15)
    for f in (f1, f2):
        with pytest.raises(TimeoutError, match=r"Not received Redis response in 0.05 seconds"):
            f.result()
    assert t.aborted


async def test_idle_connection_never_times_out() -> None:
    """Answered commands disarm the timeout; an idle connection stays up."""
    p, t = make(reply_timeout=0.05)
    f = p.execute(("PING",))
    p.data_received(b"+PONG\r\n")
    assert f.result() == "PONG"
    await asyncio.sleep(0.12)
    assert not t.aborted


async def test_exempt_command_does_not_time_out() -> None:
    """timeout=False (blocking commands) is exempt from replyTimeout."""
    p, t = make(reply_timeout=0.05)
    f = p.execute(("BLPOP", "q", 0), None, False)
    await asyncio.sleep(0.12)
    assert not t.aborted and not f.done()
