"""SubscriberProtocol/MonitorProtocol fed bytes over a fake transport: routing, pausing, parsing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from txredis_aio.errors import InvalidResponse, ResponseError
from txredis_aio.monitor import MonitorProtocol, parse_monitor_line
from txredis_aio.pubsub import SubscriberProtocol, _Expect


class FakeTransport(asyncio.Transport):
    def __init__(self, proto: Any) -> None:
        super().__init__()
        self.proto = proto
        self.writes: list[bytes] = []
        self.reading = True
        self.aborted = False

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self.writes.append(bytes(data))

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def abort(self) -> None:
        self.aborted = True
        self.proto.connection_lost(None)

    def is_closing(self) -> bool:
        return self.aborted


def make(cls: Any = SubscriberProtocol, charset: Any = "utf-8") -> tuple[Any, FakeTransport, list[tuple]]:
    from txredis_aio._resp import make_decoder, make_encoder

    p = cls(make_encoder(charset), make_decoder(charset, True))
    t = FakeTransport(p)
    p.connection_made(t)
    got: list[tuple] = []
    p.sink = lambda *item: got.append(item)
    return p, t, got


def confirm(kind: str, name: str, count: int) -> bytes:
    return f"*3\r\n${len(kind)}\r\n{kind}\r\n${len(name)}\r\n{name}\r\n:{count}\r\n".encode()


def push(*parts: str) -> bytes:
    return f"*{len(parts)}\r\n".encode() + b"".join(f"${len(x)}\r\n{x}\r\n".encode() for x in parts)


async def test_confirmations_go_to_their_command_even_split_byte_by_byte() -> None:
    """Each subscription command takes exactly its own confirmations; a message pushed between
    them goes to the sink; a following PING gets the pong — whatever the read boundaries."""
    p, t, got = make()
    sub = p.execute(("SUBSCRIBE", "a", "b"), _Expect(b"subscribe", 2), False)
    ping = p.execute(("PING",), None, False)
    stream = confirm("subscribe", "a", 1) + push("message", "a", "m1") + confirm("subscribe", "b", 2)
    stream += push("pong", "") + push("pmessage", "p*", "pc", "7")
    for i in range(len(stream)):
        p.data_received(stream[i:i + 1])
    assert sub.result() == [["subscribe", "a", 1], ["subscribe", "b", 2]]
    assert ping.result() == ["pong", ""]
    assert got == [(None, "a", "m1"), ("p*", "pc", 7)]
    assert p.server_subs[0] == {b"a", b"b"}


async def test_unsubscribe_all_ends_when_nothing_of_its_kind_is_left() -> None:
    """An unsubscribe-all takes confirmations until no channel is left (patterns don't count),
    or the single nil-channel confirmation when there was none."""
    p, t, _ = make()
    p.data_received(b"")
    s = p.execute(("SUBSCRIBE", "a", "b"), _Expect(b"subscribe", 2), False)
    u = p.execute(("UNSUBSCRIBE",), _Expect(b"unsubscribe", None), False)
    u2 = p.execute(("UNSUBSCRIBE",), _Expect(b"unsubscribe", None), False)
    p.data_received(confirm("subscribe", "a", 1) + confirm("subscribe", "b", 3))
    p.data_received(confirm("unsubscribe", "b", 2) + confirm("unsubscribe", "a", 1))
    assert s.done() and u.result() == [["unsubscribe", "b", 2], ["unsubscribe", "a", 1]]
    assert not u2.done()
    p.data_received(b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:1\r\n")
    assert u2.result() == [["unsubscribe", None, 1]]


async def test_unsolicited_confirmation_is_dropped_and_errors_fail_their_command() -> None:
    """A confirmation no command waits for (cluster SUNSUBSCRIBE) is dropped; an error reply
    fails the subscription command; any other reply to it is a protocol error."""
    p, t, _ = make()
    p.data_received(confirm("sunsubscribe", "x", 0))
    f = p.execute(("SUBSCRIBE", "a"), _Expect(b"subscribe", 1), False)
    p.data_received(b"-NOPERM no\r\n")
    with pytest.raises(ResponseError, match="NOPERM"):
        f.result()
    g = p.execute(("SUBSCRIBE", "a"), _Expect(b"subscribe", 1), False)
    p.data_received(b"+OK\r\n")
    with pytest.raises(InvalidResponse):
        g.result()
    assert t.aborted


async def test_pause_stops_parsing_until_resume() -> None:
    """After pause() no more replies are parsed and the transport stops reading; resume()
    parses what was buffered, then reads again."""
    p, t, got = make()
    seen: list[tuple] = []

    def sink(*item: Any) -> None:
        seen.append(item)
        if len(seen) == 2:
            p.pause()

    p.sink = sink
    p.data_received(b"".join(push("message", "c", str(i)) for i in range(5)))
    assert [x[2] for x in seen] == [0, 1] and not t.reading
    p.resume()  # the sink pauses only at its 2nd item, so the rest is parsed at once
    assert [x[2] for x in seen] == [0, 1, 2, 3, 4] and t.reading


async def test_paused_protocol_reads_until_awaited_replies_arrive() -> None:
    """A command sent while paused makes the protocol parse and read again until its reply has
    arrived (the pushed items before it reach the sink), then stop again with the rest still
    buffered; pause() while a reply is awaited stops only after that reply."""
    p, t, got = make()
    p.pause()
    assert not t.reading
    p.data_received(push("message", "c", "0") + push("message", "c", "1"))
    assert got == []
    ping = p.execute(("PING",), None, False)
    assert t.reading and [x[2] for x in got] == [0, 1] and not ping.done()
    p.data_received(push("message", "c", "2") + push("pong", "") + push("message", "c", "3"))
    assert ping.result() == ["pong", ""]
    assert [x[2] for x in got] == [0, 1, 2] and not t.reading
    p.resume()
    assert [x[2] for x in got] == [0, 1, 2, 3] and t.reading
    ping2 = p.execute(("PING",), None, False)
    p.pause()
    assert t.reading  # a reply is awaited
    p.data_received(push("pong", "") + push("message", "c", "4"))
    assert ping2.done() and not t.reading and [x[2] for x in got] == [0, 1, 2, 3]


async def test_monitor_protocol_ok_is_a_reply_lines_go_to_sink() -> None:
    """MONITOR's +OK resolves the command; every later status line goes to the sink as str."""
    p, t, got = make(MonitorProtocol, charset=None)
    f = p.execute(("MONITOR",), None, False)
    p.data_received(b'+OK\r\n+1.5 [0 127.0.0.1:1] "PING"\r\n')
    assert f.result() == b"OK"
    assert got == [('1.5 [0 127.0.0.1:1] "PING"',)]


def test_parse_monitor_line_unescapes() -> None:
    """Arguments are unescaped (quotes, backslashes, \\n, \\xHH); non-UTF-8 stays bytes."""
    line = r'1700000000.123456 [2 unix:/tmp/r.sock] "SET" "a \"b\" \\ c\n" "\xc3\xa9" "\xff\x00"'
    cmd = parse_monitor_line(line)
    assert cmd.time == 1700000000.123456 and cmd.db == 2 and cmd.client == "unix:/tmp/r.sock"
    assert cmd.args == ["SET", 'a "b" \\ c\n', "é", b"\xff\x00"]
    assert parse_monitor_line('1.0 [0 lua] "get" "k"').client == "lua"
    with pytest.raises(ValueError):
        parse_monitor_line("OK")


async def test_messages_are_held_until_every_resubscription_is_confirmed() -> None:
    """On a new connection the subscriber sends its subscriptions first; a message that arrives
    before all are confirmed is held back and delivered after the Reconnected notice."""
    from txredis_aio import Message, Reconnected
    from txredis_aio.connection import ConnectionConfig
    from txredis_aio.pubsub import Subscriber
    from txredis_aio.testing import free_port

    # The pool's own connect attempts go to a closed port and fail; the test drives a protocol.
    cfg = ConnectionConfig(host="127.0.0.1", port=free_port(), reconnect=False,
                           protocol_class=SubscriberProtocol)
    s = Subscriber(cfg, events=True)
    try:
        s._wanted[0][b"a"] = None
        s._wanted[1][b"p*"] = None
        s._had_connection = True
        p, t, _ = make()
        s._ready(p)
        await asyncio.sleep(0)
        assert b"".join(t.writes) == (
            b"*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n*2\r\n$10\r\nPSUBSCRIBE\r\n$2\r\np*\r\n"
        )
        p.data_received(confirm("subscribe", "a", 1) + push("message", "a", "early"))
        await asyncio.sleep(0)
        assert s.statistics()["queued"] == 0
        p.data_received(confirm("psubscribe", "p*", 2) + push("message", "a", "later"))
        await asyncio.sleep(0)
        items = [s._queue.popleft() for _ in range(len(s._queue))]
        assert items == [Reconnected(), Message(None, "a", "early"), Message(None, "a", "later")]
    finally:
        await s.disconnect()


async def test_shard_channels_are_resubscribed_one_command_per_slot() -> None:
    """Shard channels are re-established with one SSUBSCRIBE per cluster slot (a cluster node
    refuses one spanning slots with CROSSSLOT); channels of one slot share a command."""
    from txredis_aio.connection import ConnectionConfig
    from txredis_aio.pubsub import Subscriber
    from txredis_aio.testing import free_port

    cfg = ConnectionConfig(host="127.0.0.1", port=free_port(), reconnect=False,
                           protocol_class=SubscriberProtocol)
    s = Subscriber(cfg)
    try:
        for name in (b"a", b"b", b"{a}x"):
            s._wanted[2][name] = None
        p, t, _ = make()
        futs = s._resume(p)
        await asyncio.sleep(0)
        assert len(futs) == 2
        assert b"".join(t.writes) == (
            b"*3\r\n$10\r\nSSUBSCRIBE\r\n$1\r\na\r\n$4\r\n{a}x\r\n*2\r\n$10\r\nSSUBSCRIBE\r\n$1\r\nb\r\n"
        )
    finally:
        await s.disconnect()
