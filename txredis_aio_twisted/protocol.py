"""Twisted-native protocols for code that uses txredisapi's protocol classes directly.

How this works
--------------
* ``BaseRedisProtocol`` is a ``twisted.internet.protocol.Protocol``, so it runs over any Twisted
  transport (TCP, UNIX, TLS, in-memory ``StringTransport``/``iosim``). It reuses the core's
  sans-IO parts: the encoder (``make_encoder``), the hiredis reader (``new_reader``) and the
  reply conversion (``make_decoder``); every command method is the core's, reached through
  ``_ProtocolCore._execute`` which sends on this protocol and returns a Deferred.
* Replies are matched to a FIFO of slots ``(deferred, convert, timer)``. A cancelled Deferred
  keeps its slot and its late reply is dropped, so replies never shift.
* ``replyTimeout``: each command (except blocking ones, SUBSCRIBE/PSUBSCRIBE and MONITOR) gets a
  timer from ``self.callLater`` (patchable with a test ``Clock``, as txredisapi's tests do).
  When one fires, that command and every other pending one fail with ``TimeoutError`` and the
  connection is aborted. An idle connection has no timers, so it never times out.
* A subclass that overrides ``replyReceived`` gets every parsed message (decoded as replies are)
  instead: txredisapi's tests build fake *servers* that way.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Optional, Union

import hiredis
from twisted.internet import reactor
from twisted.internet.defer import Deferred, FirstError, fail, gatherResults, succeed
from twisted.internet.protocol import Protocol
from twisted.python.failure import Failure

from txredis_aio._resp import (
    Raw,
    convert_reply,
    identity,
    make_decoder,
    make_encoder,
    new_reader,
    unexpected_reply,
)
from txredis_aio.commands import Commands
from txredis_aio.errors import (
    ConnectionError,
    InvalidResponse,
    RedisError,
    ResponseError,
    TimeoutError,
    WatchError,
)
from txredis_aio.pool import BLOCKING_NAMES, is_blocking_request
from txredis_aio.transaction import _convert_all

from ._commands import DeferredCommands
from ._defer import AwaitableDeferred
from ._scripting import DeferredScripting

__all__ = ["BaseRedisProtocol", "HiredisProtocol", "LineReceiver", "RedisProtocol"]


_TX_CONTROL = frozenset({"EXEC", "DISCARD", "MULTI", "WATCH", "exec", "discard", "multi", "watch"})


# A Deferred that Twisted-driven coroutines and asyncio Tasks (core helpers) can both await.
_AwaitableDeferred = AwaitableDeferred


class _ProtocolCore(DeferredScripting, Commands):
    """The core's command methods, sending on one Twisted protocol."""

    def __init__(self, proto: BaseRedisProtocol) -> None:
        self._proto = proto

    def _script_shas(self) -> set[str]:
        return self._proto.script_hashes  # per connection, emptied when it is lost (txredisapi)

    def _execute(self, *args: Any, convert: Any = None) -> Any:
        timed = not (args and args[0] in BLOCKING_NAMES and is_blocking_request(args))
        return self._proto._send(args, convert, timed)

    def execute_command(self, *args: Any, post_proc: Optional[Callable[[Any], Any]] = None,
                        apply_timeout: bool = True) -> Any:
        return self._proto._send(args, post_proc, apply_timeout)


# Twin classes (transactions, pipelines) that txredisapi code expects to be protocol instances:
# in txredisapi ``multi()``/``watch()``/``pipeline()`` fire with the connection's protocol itself.
PROTOCOL_LIKE: list[type] = []


class _ProtocolMeta(type):
    """``isinstance(t, RedisProtocol)`` holds for a transaction or pipeline twin, as in txredisapi."""

    def __instancecheck__(cls, obj: Any) -> bool:
        if super().__instancecheck__(obj):
            return True
        return cls in _GENERIC_PROTOCOLS and isinstance(obj, tuple(PROTOCOL_LIKE))


class LineReceiver(Protocol, metaclass=_ProtocolMeta):
    """txredisapi's line receiver: ``callLater`` (tests replace it with a Clock's), line and raw
    modes for protocols that subclass it directly.

    In line mode each ``delimiter``-terminated line goes to ``lineReceived`` decoded as UTF-8; a
    line (or unterminated buffer) longer than ``MAX_LENGTH`` goes to ``lineLengthExceeded``,
    which closes the connection. In raw mode bytes go to ``rawDataReceived``. The Redis protocols
    below parse with hiredis in their own ``dataReceived``: modes and ``MAX_LENGTH`` do not apply
    to them (compatibility W10).
    """

    callLater: Any = reactor.callLater
    line_mode = 1
    delimiter = b"\r\n"
    MAX_LENGTH = 16384
    _line_buffer = b""

    def clearLineBuffer(self) -> bytes:
        """Drop the received bytes not handled yet, and return them."""
        buffered, self._line_buffer = self._line_buffer, b""
        return buffered

    def dataReceived(self, data: bytes) -> Any:
        self._line_buffer += data
        while self.line_mode:
            buffered = self._line_buffer
            line, sep, rest = buffered.partition(self.delimiter)
            if len(line) > self.MAX_LENGTH:
                self._line_buffer = b""
                return self.lineLengthExceeded(buffered)
            if not sep:
                return None
            self._line_buffer = rest  # what lineReceived sees through clearLineBuffer()
            why = self.lineReceived(line.decode())
            transport: Any = self.transport
            if why or (transport is not None and transport.disconnecting):
                return why
        raw, self._line_buffer = self._line_buffer, b""
        return self.rawDataReceived(raw) if raw else None

    def setLineMode(self, extra: bytes = b"") -> Any:
        """Back to line mode; ``extra`` (bytes that came after the raw part) is parsed at once."""
        self.line_mode = 1
        if extra:
            self._line_buffer = extra + self._line_buffer
            return self.dataReceived(b"")
        return None

    def setRawMode(self) -> None:
        """Hand what follows to ``rawDataReceived`` until ``setLineMode()``."""
        self.line_mode = 0

    def lineReceived(self, line: str) -> Any:
        """Override: one line, without its delimiter."""
        raise NotImplementedError

    def rawDataReceived(self, data: bytes) -> Any:
        """Override: bytes received in raw mode."""
        raise NotImplementedError

    def sendLine(self, line: Union[str, bytes]) -> None:
        """Write ``line`` (a str is UTF-8 encoded) and the delimiter."""
        transport: Any = self.transport
        transport.write((line.encode() if isinstance(line, str) else line) + self.delimiter)

    def lineLengthExceeded(self, line: bytes) -> Any:
        """A line longer than ``MAX_LENGTH``: close the connection."""
        transport: Any = self.transport
        return transport.loseConnection()


class BaseRedisProtocol(LineReceiver, DeferredCommands):
    """A Redis client connection over any Twisted transport; every command returns a Deferred."""

    def __init__(self, charset: Optional[str] = "utf-8", errors: str = "strict",
                 replyTimeout: Optional[float] = None, password: Optional[str] = None,
                 dbid: Optional[int] = None, convertNumbers: bool = True,
                 username: Optional[str] = None) -> None:
        self.charset = charset
        self.errors = errors
        self.replyTimeout = replyTimeout
        self.password = password
        self.username = username
        self.dbid = dbid
        self.convertNumbers = convertNumbers
        self._encode = make_encoder(charset)
        self._decode = make_decoder(charset, convertNumbers)
        self._reader = new_reader()
        self._core = _ProtocolCore(self)
        self._slots: deque[tuple[Deferred, Any, Any]] = deque()
        self._lost = False
        self._ready = False
        self._connected_waiters: list[Deferred] = []
        self._disconnected_waiters: list[Deferred] = []
        self.script_hashes: set[str] = set()
        self.inTransaction = False
        self.inMulti = False
        self._tx_converts: list[Any] = []
        self.pipelining = False
        self._pipelined: list[tuple[bytes, Deferred]] = []
        # Set by a factory's handler that leased this connection for a transaction or pipeline:
        # called (once) with this protocol when it ends.
        self._lease_end: Optional[Callable[[Any], None]] = None
        self._raw_requests = type(self).replyReceived is not BaseRedisProtocol.replyReceived

    # -- lifecycle ---------------------------------------------------------------------------

    def connectionMade(self) -> None:
        steps: list[tuple[str, Deferred]] = []
        if self.password is not None:
            auth = ("AUTH", self.username, self.password) if self.username else ("AUTH", self.password)
            steps.append(("auth", self._send(auth, None, False)))
        if self.dbid is not None:
            steps.append((f"set dbid={self.dbid}", self._send(("SELECT", self.dbid), None, False)))
        if not steps:
            self._became_ready()
            return
        self._handshake(steps)

    def _handshake(self, steps: list[tuple[str, Deferred]]) -> None:
        remaining = [len(steps)]

        def ok(_: Any) -> None:
            remaining[0] -= 1
            if remaining[0] == 0:
                self._became_ready()

        def failed(f: Failure, what: str) -> None:
            if remaining[0] < 0:
                return
            remaining[0] = -1
            msg = f"Redis error: could not {what}: {f.getErrorMessage()}"
            factory = getattr(self, "factory", None)
            if factory is not None and hasattr(factory, "stopTrying"):
                factory.stopTrying()
            transport: Any = self.transport
            if transport is not None:
                transport.loseConnection()
            if factory is not None and hasattr(factory, "connectionError"):
                factory.connectionError(msg)

        for what, d in steps:
            d.addCallbacks(ok, failed, errbackArgs=(what,))

    def _became_ready(self) -> None:
        self._ready = True
        self.connected = 1
        waiters, self._connected_waiters = self._connected_waiters, []
        for d in waiters:
            d.callback(self)
        factory = getattr(self, "factory", None)
        if factory is not None and hasattr(factory, "addConnection"):
            factory.addConnection(self)

    def whenConnected(self) -> Deferred:
        """Fires with this protocol once AUTH/SELECT are done (at once if they are)."""
        if self._ready:
            return succeed(self)
        d: Deferred = Deferred()
        self._connected_waiters.append(d)
        return d

    def whenDisconnected(self) -> Deferred:
        """Fires when the connection is lost."""
        if self._lost:
            return succeed(None)
        d: Deferred = Deferred()
        self._disconnected_waiters.append(d)
        return d

    def connectionLost(self, reason: Optional[Failure] = None) -> None:
        self._lost = True
        self._ready = False
        self.connected = 0
        self._lease_end = None
        self.script_hashes.clear()
        self._fail_all(ConnectionError("Lost connection"))
        waiters, self._disconnected_waiters = self._disconnected_waiters, []
        for d in waiters:
            d.callback(None)
        factory = getattr(self, "factory", None)
        if factory is not None and hasattr(factory, "delConnection"):
            factory.delConnection(self)

    # -- sending -------------------------------------------------------------------------------

    # -- transactions and explicit pipelines on this one connection ----------------------------

    def watch(self, keys: Any) -> Deferred:
        """WATCH ``keys``; fires with this protocol (the transaction object), as txredisapi."""
        try:
            d = self._send(("WATCH", *_names(keys)), None, True)
        except Exception:
            return fail()
        self.inTransaction = True
        return d.addCallback(lambda _: self)

    def multi(self, keys: Any = None) -> Deferred:
        """[WATCH keys] MULTI; fires with this protocol. Commands then return "QUEUED"."""
        try:
            if keys is not None:
                self._send(("WATCH", *_names(keys)), None, True)
            d = self._send(("MULTI",), None, True)
        except Exception:
            return fail()
        self.inTransaction = True
        self.inMulti = True
        self._tx_converts = []
        return d.addCallback(lambda _: self)

    def commit(self) -> Deferred:
        """EXEC: the list of results, each converted as its command; ``WatchError`` if aborted."""
        if not self.inMulti:
            return fail(RedisError("Not in transaction"))
        converts, self._tx_converts = self._tx_converts, []
        self.inMulti = self.inTransaction = False

        def results(reply: Any) -> Any:
            if reply is None:
                raise WatchError("Transaction failed")
            return _convert_all(reply, converts, self._decode)

        try:
            return self._send(("EXEC",), Raw(results), True)
        finally:
            self._end_lease()

    def discard(self) -> Deferred:
        """DISCARD the queued commands."""
        if not self.inMulti:
            return fail(RedisError("Not in transaction"))
        self._tx_converts = []
        self.inMulti = self.inTransaction = False
        try:
            return self._send(("DISCARD",), None, True)
        finally:
            self._end_lease()

    def unwatch(self) -> Deferred:
        """UNWATCH; outside MULTI this ends the transaction state."""
        if self.inMulti:
            return self._send(("UNWATCH",), None, True)
        self.inTransaction = False
        try:
            return self._send(("UNWATCH",), None, True)
        finally:
            self._end_lease()

    def _end_lease(self) -> None:
        """The transaction or pipeline ended: give the connection back to the factory's handler
        that leased it for one (a no-op otherwise)."""
        release, self._lease_end = self._lease_end, None
        if release is not None:
            release(self)

    def _abandon_lease(self) -> None:
        """``multi()``/``watch()`` of a factory's handler failed or was cancelled: nobody will
        end the transaction, so end it here (DISCARD, UNWATCH; their replies are dropped) and
        give the connection back."""
        in_multi, in_tx = self.inMulti, self.inTransaction
        self.inMulti = self.inTransaction = False
        self._tx_converts = []
        if self.transport is not None and not self._lost:
            if in_multi:
                self._send(("DISCARD",), None, True).addErrback(lambda _: None)
            if in_multi or in_tx:
                self._send(("UNWATCH",), None, True).addErrback(lambda _: None)
        self._end_lease()

    def pipeline(self) -> Deferred:
        """Buffer the following commands until ``execute_pipeline()``; fires with this protocol."""
        self.pipelining = True
        self._pipelined = []
        return succeed(self)

    def execute_pipeline(self) -> Deferred:
        """Write every buffered command at once; fires with their replies in order.

        A failed command fails the whole call with its own error (txredisapi: ``FirstError``).
        """
        if not self.pipelining:
            return fail(RedisError("Not currently pipelining commands, please use pipeline() first"))
        self.pipelining = False
        buffered, self._pipelined = self._pipelined, []
        if not buffered:
            self._end_lease()
            return succeed([])
        transport: Any = self.transport
        if transport is not None and not self._lost:
            transport.write(b"".join(data for data, _ in buffered))
        self._end_lease()
        return gatherResults([d for _, d in buffered], consumeErrors=True).addErrback(
            lambda f: f.value.subFailure if isinstance(f.value, FirstError) else f)

    def _build_command(self, *args: Any) -> bytes:
        """The RESP bytes of one request (txredisapi's name)."""
        return self._encode(args)

    def _send(self, args: tuple, convert: Any = None, timed: bool = True) -> Deferred:
        data = self._encode(args)
        if self.transport is None or self._lost:
            return fail(ConnectionError("Not connected"))
        d = _AwaitableDeferred()
        if self.inMulti and args[0] not in _TX_CONTROL:
            self._tx_converts.append(convert)  # applied to this command's EXEC result element
            convert = None
        timer = None
        if timed and self.replyTimeout is not None:
            timer = self.callLater(self.replyTimeout, self._timed_out, d)
        self._slots.append((d, convert, timer))
        if self.pipelining:
            self._pipelined.append((data, d))
            return d
        transport: Any = self.transport
        transport.write(data)
        return d

    def _timed_out(self, d: Deferred) -> None:
        if d.called:
            return
        self._abort(TimeoutError(f"Not received Redis response in {self.replyTimeout} seconds"))

    def _abort(self, exc: RedisError) -> None:
        self._fail_all(exc)
        transport: Any = self.transport
        if transport is not None:
            abort = getattr(transport, "abortConnection", None)
            (abort or transport.loseConnection)()

    def _fail_all(self, exc: RedisError) -> None:
        slots = self._slots
        while slots:
            d, _, timer = slots.popleft()
            if timer is not None and timer.active():
                timer.cancel()
            if not d.called:
                d.errback(Failure(exc))

    # -- receiving -----------------------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        reader = self._reader
        reader.feed(data)
        while True:
            try:
                reply = reader.gets()
            except (InvalidResponse, hiredis.ProtocolError) as e:
                self._abort(e if isinstance(e, InvalidResponse) else InvalidResponse(str(e)))
                return
            if reply is False:
                return
            if self._raw_requests:
                self.replyReceived(self._decode(reply))
            else:
                self._reply(reply)

    def replyReceived(self, reply: Any) -> None:
        """A parsed, decoded message arrived; the default hands it to the oldest command.

        Override it to receive parsed requests instead (a fake server in tests).
        """
        self._deliver(reply, decoded=True)

    def _reply(self, reply: Any) -> None:
        self._deliver(reply, decoded=False)

    def _deliver(self, reply: Any, decoded: bool) -> None:
        if not self._slots:
            self._abort(unexpected_reply(reply))
            return
        d, convert, timer = self._slots.popleft()
        if timer is not None and timer.active():
            timer.cancel()
        if d.called:  # cancelled: the reply is read and dropped
            return
        if isinstance(reply, ResponseError):
            d.errback(Failure(reply))
            return
        try:
            value = convert_reply(reply, convert, identity if decoded else self._decode)
        except Exception:
            d.errback()
            return
        d.callback(value)

    @staticmethod
    def handle_reply(r: Any) -> Any:
        """Raise ``r`` if it is an exception, else return it (txredisapi's helper)."""
        if isinstance(r, Exception):
            raise r
        return r


class HiredisProtocol(BaseRedisProtocol):
    """txredisapi's hiredis-parser class; every protocol here parses with hiredis."""


RedisProtocol = HiredisProtocol
_GENERIC_PROTOCOLS = (LineReceiver, BaseRedisProtocol, HiredisProtocol)


def _names(names: Any) -> list[Any]:
    if names is None:
        return []
    if isinstance(names, (str, bytes)):
        return [names]
    return list(names)
