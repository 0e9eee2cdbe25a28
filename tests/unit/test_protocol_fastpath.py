"""RedisProtocol's hot-path shortcuts: writing at once when idle, and caller-supplied futures."""

from __future__ import annotations

import asyncio
from typing import Any

from txredis_aio._protocol import RedisProtocol
from txredis_aio._resp import make_decoder, make_encoder
from txredis_aio.errors import ConnectionError, ResponseError


class Transport(asyncio.Transport):
    def __init__(self, proto: RedisProtocol) -> None:
        super().__init__()
        self.proto = proto
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.proto.connection_lost(None)

    def abort(self) -> None:
        self.proto.connection_lost(None)


def make() -> tuple[RedisProtocol, Transport]:
    p = RedisProtocol(make_encoder("utf-8"), make_decoder("utf-8", True))
    t = Transport(p)
    p.connection_made(t)
    return p, t


class Slot:
    """A Future stand-in recording what the protocol does to it (as the Twisted shim's does)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def done(self) -> bool:
        return bool(self.calls)

    def set_result(self, r: Any) -> None:
        self.calls.append(("result", r))

    def set_exception(self, e: BaseException) -> None:
        self.calls.append(("exception", e))


async def test_sequential_commands_are_written_without_waiting_for_the_loop() -> None:
    """A command on a connection with nothing pending is written at once, before any tick."""
    p, t = make()
    f = p.execute(("GET", "a"))
    assert t.writes == [b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n"]
    p.data_received(b"$1\r\nx\r\n")
    assert f.result() == "x"
    p.execute(("GET", "b"))
    assert len(t.writes) == 2  # idle again: the next one goes at once too


async def test_commands_behind_a_pending_one_are_coalesced() -> None:
    """While a reply is awaited, new commands wait for the loop and share one write."""
    p, t = make()
    p.execute(("GET", "a"))
    futs = [p.execute(("INCR", "n")) for _ in range(10)]
    assert len(t.writes) == 1
    await asyncio.sleep(0)
    assert len(t.writes) == 2 and t.writes[1].count(b"INCR") == 10
    p.data_received(b"$1\r\nx\r\n" + b"".join(b":%d\r\n" % i for i in range(10)))
    assert [f.result() for f in futs] == list(range(10))


async def test_leased_connection_keeps_a_burst_in_one_write() -> None:
    """On a leased connection (transaction, pipeline) even the first command waits for the loop,
    so MULTI ... EXEC issued together leave in one write."""
    p, t = make()
    p.leased = True
    for args in (("MULTI",), ("INCR", "n"), ("INCR", "n"), ("EXEC",)):
        p.execute(args)
    assert t.writes == []
    await asyncio.sleep(0)
    assert len(t.writes) == 1 and t.writes[0].count(b"*") == 4


async def test_caller_supplied_future_receives_reply_error_and_loss() -> None:
    """A ``fut=`` object gets the converted reply, a reply error, or the lost-connection error."""
    p, t = make()
    ok, err, lost = Slot(), Slot(), Slot()
    assert p.execute(("GET", "a"), fut=ok) is ok
    p.execute(("INCR", "s"), fut=err)
    p.execute(("GET", "c"), fut=lost)
    p.data_received(b"$2\r\n42\r\n-ERR not an integer\r\n")
    assert ok.calls == [("result", 42)]
    assert err.calls[0][0] == "exception" and isinstance(err.calls[0][1], ResponseError)
    t.close()
    assert lost.calls[0][0] == "exception" and isinstance(lost.calls[0][1], ConnectionError)


async def test_caller_supplied_future_on_a_closed_connection_fails_at_once() -> None:
    """On a closed connection the supplied object fails with "Not connected" and nothing is sent."""
    p, t = make()
    t.close()
    s = Slot()
    p.execute(("GET", "a"), fut=s)
    assert s.calls[0][0] == "exception" and "Not connected" in str(s.calls[0][1])
    assert t.writes == []
