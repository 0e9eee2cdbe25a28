"""The Twisted-native protocol classes over in-memory transports (no server needed).

These pin txredisapi's protocol-level behaviour: reply timeouts scheduled through
``callLater`` (so a test ``Clock`` drives them), cancellation that keeps replies in step, and
the fake-server pattern of txredisapi's tests (override ``replyReceived`` to get requests).
"""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.defer import CancelledError
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.test import iosim

import txredis_aio_twisted as redis


def _client(reply_timeout: Any = None) -> tuple[Any, StringTransport, Clock]:
    clock = Clock()
    p = redis.RedisProtocol(replyTimeout=reply_timeout)
    p.callLater = clock.callLater
    t = StringTransport()
    p.makeConnection(t)
    return p, t, clock


def _failure(d: Any) -> Any:
    out: list[Any] = []
    d.addErrback(out.append)
    assert out, "the Deferred has not failed"
    return out[0]


def _result(d: Any) -> Any:
    out: list[Any] = []
    d.addBoth(out.append)
    assert out, "the Deferred has not fired"
    return out[0]


def test_build_command_and_sync_reply() -> None:
    """Requests are RESP arrays; a reply fed in fires the Deferred synchronously, converted."""
    p, t, _ = _client()
    assert p._build_command("PING") == b"*1\r\n$4\r\nPING\r\n"
    d = p.get("foo")
    assert t.value() == b"*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n"
    p.dataReceived(b"$2\r\n12\r\n")
    assert _result(d) == 12


def test_reply_timeout_fails_command_and_all_pending() -> None:
    """After replyTimeout the timed-out command and every other pending one fail with TimeoutError."""
    p, t, clock = _client(reply_timeout=2)
    d1, d2 = p.get("a"), p.get("b")
    clock.advance(1.9)
    assert not d1.called and not d2.called
    clock.advance(0.2)
    f1, f2 = _failure(d1), _failure(d2)
    assert f1.check(redis.TimeoutError) and f2.check(redis.TimeoutError)
    assert str(f1.value) == "Not received Redis response in 2 seconds"
    assert isinstance(f1.value, redis.ConnectionError)
    assert t.disconnecting


def test_idle_connection_never_times_out() -> None:
    """No command pending: no timer exists, however long the clock runs."""
    p, t, clock = _client(reply_timeout=1)
    d = p.get("a")
    p.dataReceived(b"$1\r\nx\r\n")
    assert _result(d) == "x"
    assert clock.getDelayedCalls() == []
    clock.advance(100)
    assert not t.disconnecting


def test_blocking_commands_are_not_timed() -> None:
    """BLPOP waits past replyTimeout (txredisapi exempted blpop/brpop/brpoplpush)."""
    p, t, clock = _client(reply_timeout=1)
    d = p.blpop(["q"], timeout=0)
    clock.advance(10)
    assert not d.called and not t.disconnecting


def test_cancelled_command_keeps_replies_in_step() -> None:
    """Cancelling a Deferred fails it with CancelledError; its late reply is dropped, not shifted."""
    p, _, _ = _client()
    d1, d2 = p.get("a"), p.get("b")
    d1.cancel()
    assert _failure(d1).check(CancelledError)
    p.dataReceived(b"$1\r\nA\r\n$1\r\nB\r\n")
    assert _result(d2) == "B"


def test_error_reply_and_lost_connection() -> None:
    """An error reply fails that command with ResponseError (ERR prefix kept); a lost connection
    fails the rest with ConnectionError("Lost connection") and later calls with "Not connected"."""
    p, t, _ = _client()
    d1, d2 = p.incr("k"), p.get("x")
    p.dataReceived(b"-ERR value is not an integer or out of range\r\n")
    f = _failure(d1)
    assert f.check(redis.ResponseError)
    assert str(f.value) == "ERR value is not an integer or out of range"
    p.connectionLost()
    assert str(_failure(d2).value) == "Lost connection"
    assert str(_failure(p.get("y")).value) == "Not connected"


def test_bad_argument_is_a_failed_deferred() -> None:
    """A bad argument gives a failed Deferred with a typed error; nothing is written."""
    p, t, _ = _client()
    f = _failure(p.set("k", None))
    assert f.check(redis.InvalidData) and f.check(TypeError)
    assert t.value() == b""


def test_transaction_on_a_protocol() -> None:
    """multi() fires with the protocol; queued commands give QUEUED; commit converts each result."""
    p, t, _ = _client()
    d = p.multi()
    p.dataReceived(b"+OK\r\n")
    assert _result(d) is p and p.inTransaction
    q1, q2 = p.hgetall("h"), p.sismember("s", "m")
    p.dataReceived(b"+QUEUED\r\n+QUEUED\r\n")
    assert _result(q1) == "QUEUED" and _result(q2) == "QUEUED"
    c = p.commit()
    p.dataReceived(b"*2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n:1\r\n")
    assert _result(c) == [{"f": "v"}, True]
    assert not p.inTransaction
    assert _failure(p.commit()).check(redis.RedisError)


def test_pipeline_on_a_protocol_writes_once() -> None:
    """pipeline() buffers; execute_pipeline() writes all requests in one write and fires with the replies."""
    p, t, _ = _client()
    assert _result(p.pipeline()) is p
    p.set("a", 1)
    p.get("a")
    assert t.value() == b""
    d = p.execute_pipeline()
    assert t.value().count(b"*") == 2
    p.dataReceived(b"+OK\r\n$1\r\n1\r\n")
    assert _result(d) == ["OK", 1]


class FakeServer(redis.BaseRedisProtocol):
    """txredisapi's test pattern: a server made by overriding replyReceived."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Any] = []

    def replyReceived(self, request: Any) -> None:
        self.requests.append(request)
        if request[0] == "GET":
            self.transport.write(b"$5\r\nvalue\r\n")
        else:
            self.transport.write(b"+OK\r\n")


def test_fake_server_over_iosim() -> None:
    """A BaseRedisProtocol subclass overriding replyReceived receives parsed, decoded requests."""
    client, server, pump = iosim.connectedServerAndClient(FakeServer, redis.RedisProtocol)
    d1 = client.set("k", 42)
    d2 = client.get("k")
    pump.flush()
    assert server.requests == [["SET", "k", 42], ["GET", "k"]]
    assert _result(d1) == "OK" and _result(d2) == "value"


class Recorder(redis.SubscriberProtocol):
    """Collects published messages."""

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.messages: list[Any] = []

    def messageReceived(self, pattern: Any, channel: Any, message: Any) -> None:
        self.messages.append((pattern, channel, message))


def test_subscriber_confirmations_never_reach_other_commands() -> None:
    """subscribe([a, b]) fires with the first confirmation after both arrived; messages go to
    messageReceived (numbers converted, as txredisapi); the next command gets its own reply."""
    p = Recorder()
    t = StringTransport()
    p.makeConnection(t)
    d = p.subscribe(["a", "b"])
    p.dataReceived(b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n")
    assert not d.called
    ping = p.ping()
    p.dataReceived(b"*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n")
    assert _result(d) == ["subscribe", "a", 1]
    p.dataReceived(b"*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\n42\r\n")
    p.dataReceived(b"*4\r\n$8\r\npmessage\r\n$2\r\nb*\r\n$2\r\nbc\r\n$2\r\nhi\r\n")
    assert p.messages == [(None, "a", 42), ("b*", "bc", "hi")]
    p.dataReceived(b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")
    assert _result(ping) == ["pong", ""]


def test_other_reactor_gives_clear_runtime_error() -> None:
    """With another reactor installed first, the first connection attempt raises a RuntimeError
    that says what to do (never a Deferred that cannot fire)."""
    import subprocess
    import sys

    from tw_support import ROOT

    code = (
        "from twisted.internet import selectreactor; selectreactor.install()\n"
        "import txredis_aio_twisted as redis\n"
        "for fn in (redis.Connection, redis.lazyConnectionPool):\n"
        "    try:\n"
        "        fn()\n"
        "    except RuntimeError as e:\n"
        "        print('RuntimeError:', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=str(ROOT), env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    lines = [x for x in out.stdout.splitlines() if x.startswith("RuntimeError:")]
    assert len(lines) == 2, out.stdout + out.stderr
    assert "asyncio reactor" in lines[0] and "SelectReactor" in lines[0]
    assert "importing txredis_aio_twisted before" in lines[0] and "--reactor=asyncio" in lines[0]


def test_patching_linereceiver_calllater_drives_timeouts() -> None:
    """txredisapi's tests patch ``redis.LineReceiver.callLater = clock.callLater``; that still works."""
    clock = Clock()
    saved = redis.LineReceiver.callLater
    redis.LineReceiver.callLater = clock.callLater
    try:
        p = redis.RedisProtocol(replyTimeout=3)
        p.makeConnection(StringTransport())
        d = p.ping()
        clock.advance(3)
        assert _failure(d).check(redis.TimeoutError)
    finally:
        redis.LineReceiver.callLater = saved


def test_ssl_context_factory_conversions() -> None:
    """What ``ssl_context_factory`` accepts: False/None plain, True and SSLContext as is,
    ClientContextFactory as no verification (txredisapi's old True), CertificateOptions(verify)
    as CA verification, and a verifying factory it cannot read back is refused with TypeError."""
    import ssl as pyssl

    from OpenSSL import SSL
    from twisted.internet import ssl as tssl

    from txredis_aio_twisted._tls import to_ssl_option

    assert to_ssl_option(False) is False and to_ssl_option(None) is False
    assert to_ssl_option(True) is True
    ctx = pyssl.create_default_context()
    assert to_ssl_option(ctx) is ctx
    nv = to_ssl_option(tssl.ClientContextFactory())
    assert nv.verify_mode == pyssl.CERT_NONE and not nv.check_hostname
    assert to_ssl_option(tssl.CertificateOptions()).verify_mode == pyssl.CERT_NONE
    assert to_ssl_option(tssl.optionsForClientTLS("localhost")).verify_mode == pyssl.CERT_REQUIRED

    class Verifying:
        def getContext(self) -> Any:
            c = SSL.Context(SSL.TLS_CLIENT_METHOD)
            c.set_verify(SSL.VERIFY_PEER, lambda *a: True)
            return c

    with pytest.raises(TypeError, match="ssl_context_factory"):
        to_ssl_option(Verifying())


def test_import_installs_the_asyncio_reactor() -> None:
    """Importing the shim first installs Twisted's asyncio reactor (no --reactor option needed)."""
    import subprocess
    import sys

    from tw_support import ROOT

    code = ("import txredis_aio_twisted\n"
            "from twisted.internet import reactor\n"
            "print(type(reactor).__name__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=str(ROOT), env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "AsyncioSelectorReactor", out.stderr


class _Lines(redis.LineReceiver):
    """Records lines and raw chunks; ``RAW n`` switches to raw mode for the next n bytes."""

    def __init__(self) -> None:
        self.got: list[Any] = []
        self.raw_left = 0

    def lineReceived(self, line: str) -> None:
        self.got.append(("line", line))
        if line.startswith("RAW "):
            self.raw_left = int(line[4:])
            self.setRawMode()

    def rawDataReceived(self, data: bytes) -> None:
        self.got.append(("raw", data[:self.raw_left]))
        self.setLineMode(data[self.raw_left:])


def test_line_receiver_line_and_raw_modes() -> None:
    """txredisapi's LineReceiver: lines arrive UTF-8 decoded; after ``setRawMode()`` bytes go to
    ``rawDataReceived``; ``setLineMode(extra)`` parses the rest at once; ``clearLineBuffer()``
    returns (and drops) the unparsed bytes; ``sendLine`` appends ``delimiter``. The Redis
    protocols carry the same attributes."""
    p = _Lines()
    t = StringTransport()
    p.makeConnection(t)
    p.dataReceived("héllo\r\nRAW 3\r\nabcnext\r\npart".encode())
    assert p.got == [("line", "héllo"), ("line", "RAW 3"), ("raw", b"abc"), ("line", "next")]
    assert p.clearLineBuffer() == b"part" and p.clearLineBuffer() == b""
    p.sendLine("ok")
    p.sendLine(b"x")
    assert t.value() == b"ok\r\nx\r\n"
    rp = redis.RedisProtocol()
    assert isinstance(rp, redis.LineReceiver)
    assert (rp.delimiter, rp.MAX_LENGTH, rp.line_mode) == (b"\r\n", 16384, 1)
    for name in ("setRawMode", "setLineMode", "clearLineBuffer", "sendLine", "lineLengthExceeded"):
        assert callable(getattr(rp, name))


def test_line_receiver_max_length_closes_the_connection() -> None:
    """A line, or an unterminated buffer, longer than ``MAX_LENGTH`` goes to
    ``lineLengthExceeded``, which closes the connection."""
    p = _Lines()
    p.MAX_LENGTH = 4
    t = StringTransport()
    p.makeConnection(t)
    p.dataReceived(b"abcd\r\nab")
    assert p.got == [("line", "abcd")] and not t.disconnecting
    p.dataReceived(b"cde")
    assert t.disconnecting and p.clearLineBuffer() == b""
