"""Pub/sub on asyncio: a subscriber connection, iterated with ``async for``.

How this works
--------------
* ``SubscriberProtocol`` tells pushed messages (``message``, ``pmessage``, ``smessage``) from
  replies. A (P|S)(UN)SUBSCRIBE command's slot holds an ``_Expect``: it takes the subscription
  confirmations of its kind until it has one per argument (for an unsubscribe-all: until the
  protocol's record of the server's subscriptions of that kind is empty), then resolves with
  all of them. Confirmations therefore never reach another command (txredisapi bug §11.7).
* ``Subscriber`` keeps the set of channels, patterns and shard channels the application asked
  for (updated when a call is made) and sends it first on every new connection (``Feed``).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Callable, Iterable, NamedTuple, Optional, Union

from ._crc16 import key_slot
from ._feed import (
    MAX_QUEUE_BYTES,
    Disconnected,
    Feed,
    Reconnected,
    StreamProtocol,
    item_size,
    opening,
    tcp_config,
    unix_config,
)
from ._protocol import RedisProtocol
from ._resp import Raw
from .client import Connecting
from .connection import ConnectionConfig, SSLOption
from .errors import InvalidArgumentType, InvalidData, InvalidResponse, RedisError, ResponseError

__all__ = [
    "Message",
    "Subscriber",
    "SubscriberConnection",
    "SubscriberProtocol",
    "UnixSubscriberConnection",
    "lazySubscriberConnection",
    "lazyUnixSubscriberConnection",
]


class Message(NamedTuple):
    """One published message; ``pattern`` is None unless it matched a PSUBSCRIBE pattern."""

    pattern: Any
    channel: Any
    data: Any


SubscriberItem = Union[Message, Disconnected, Reconnected]
Names = Union[str, bytes, Iterable[Any]]

# confirmation kind -> (family index, adds a subscription)
_CONFIRM = {
    b"subscribe": (0, True), b"unsubscribe": (0, False),
    b"psubscribe": (1, True), b"punsubscribe": (1, False),
    b"ssubscribe": (2, True), b"sunsubscribe": (2, False),
}


class _Expect:
    """A subscription command's slot: which confirmations it takes, and how many."""

    __slots__ = ("kind", "remaining", "replies")

    def __init__(self, kind: bytes, remaining: Optional[int]) -> None:
        self.kind = kind
        self.remaining = remaining  # None: until nothing of this kind is subscribed
        self.replies: list[list[Any]] = []


class SubscriberProtocol(StreamProtocol):
    """Routes pushed messages to the subscriber and confirmations to their commands."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What the server has confirmed on this connection: channels, patterns, shard channels.
        self.server_subs: tuple[set[bytes], set[bytes], set[bytes]] = (set(), set(), set())

    def _route(self, reply: Any) -> bool:
        if type(reply) is not list or not reply:
            return False
        kind = reply[0]
        n = len(reply)
        if (kind == b"message" or kind == b"smessage") and n == 3:
            if self.sink is not None:
                decode = self._decode
                self.sink(None, decode(reply[1]), decode(reply[2]))
            return True
        if kind == b"pmessage" and n == 4:
            if self.sink is not None:
                decode = self._decode
                self.sink(decode(reply[1]), decode(reply[2]), decode(reply[3]))
            return True
        if n == 3 and type(kind) is bytes and kind in _CONFIRM:
            self._confirm(kind, reply)
            return True
        return False

    def _confirm(self, kind: bytes, reply: list[Any]) -> None:
        family, adds = _CONFIRM[kind]
        name = reply[1]
        subs = self.server_subs[family]
        if name is not None:
            if adds:
                subs.add(name)
            else:
                subs.discard(name)
        pending = self._pending
        if not pending:
            return  # unsolicited (a cluster moving a shard channel's slot sends SUNSUBSCRIBE)
        fut, expect, _ = pending[0]
        if type(expect) is not _Expect or expect.kind != kind:
            return
        expect.replies.append(reply)
        if expect.remaining is None:
            done = name is None or not subs
        else:
            expect.remaining -= 1
            done = expect.remaining == 0
        if done:
            pending.popleft()
            if not fut.done():
                fut.set_result(self._decode(expect.replies))

    def _reply(self, reply: Any) -> None:
        pending = self._pending
        if pending and type(pending[0][1]) is _Expect and not isinstance(reply, ResponseError):
            self._abort(InvalidResponse(f"Unexpected reply to a subscription command: {reply!r}"))
            return
        super()._reply(reply)


def _wire(command: str, name: Any, charset: Optional[str]) -> bytes:
    """A channel or pattern as the bytes sent (the key of the subscription sets)."""
    t = type(name)
    if t is bytes:
        return name
    if isinstance(name, str):
        try:
            return name.encode(charset or "utf-8")
        except UnicodeEncodeError as e:
            raise InvalidData(f"Error encoding unicode value {name!r}: {e}") from None
    if isinstance(name, int) and not isinstance(name, bool):
        return str(int(name)).encode()
    if isinstance(name, float):
        return repr(float(name)).encode()
    if isinstance(name, (bytearray, memoryview)):
        return bytes(name)
    raise InvalidArgumentType(
        f"{command}: channel/pattern is of type {t.__name__}; expected str, bytes, int or float"
    )


def _names(command: str, names: Any, charset: Optional[str]) -> list[bytes]:
    if isinstance(names, (str, bytes, bytearray, memoryview)):
        names = [names]
    try:
        items = list(names)
    except TypeError:
        items = [names]
    return [_wire(command, n, charset) for n in items]


_COMMANDS = (("SUBSCRIBE", "UNSUBSCRIBE"), ("PSUBSCRIBE", "PUNSUBSCRIBE"), ("SSUBSCRIBE", "SUNSUBSCRIBE"))


class Subscriber(Feed):
    """A pub/sub connection: subscribe, then ``async for msg in sub`` (or override ``messageReceived``).

    Only subscription commands and PING run on it; every other command method raises
    ``RedisError`` when called. Subscriptions are re-established after each reconnect.
    """

    def __init__(self, config: ConnectionConfig, max_queue: int = 10000, events: bool = False,
                 max_queue_bytes: int = MAX_QUEUE_BYTES) -> None:
        # Ordered sets (dict keys) of wire names: channels, patterns, shard channels.
        self._wanted: tuple[dict[bytes, None], ...] = ({}, {}, {})
        self._covered: tuple[Optional[RedisProtocol], tuple[set[bytes], ...]] = (None, ())
        super().__init__(config, max_queue, events, max_queue_bytes)
        decode = config.decode

        def pong(reply: Any) -> Any:
            if type(reply) is list:  # ["pong", message] while subscribed (RESP2)
                return decode(reply[1] or b"PONG")
            return decode(reply)

        self._pong = Raw(pong)

    # -- subscriptions -------------------------------------------------------------------------

    def subscribe(self, channels: Names) -> asyncio.Future[list[Any]]:
        """SUBSCRIBE; resolves with every confirmation (``[["subscribe", ch, count], ...]``)."""
        return self._subscribe(0, channels)

    def psubscribe(self, patterns: Names) -> asyncio.Future[list[Any]]:
        """PSUBSCRIBE; resolves with every confirmation."""
        return self._subscribe(1, patterns)

    def ssubscribe(self, channels: Names) -> asyncio.Future[list[Any]]:
        """SSUBSCRIBE (sharded pub/sub, Redis 7); resolves with every confirmation."""
        return self._subscribe(2, channels)

    def unsubscribe(self, channels: Optional[Names] = None) -> asyncio.Future[list[Any]]:
        """UNSUBSCRIBE these channels, or all when None/empty; resolves with every confirmation."""
        return self._unsubscribe(0, channels)

    def punsubscribe(self, patterns: Optional[Names] = None) -> asyncio.Future[list[Any]]:
        """PUNSUBSCRIBE these patterns, or all when None/empty."""
        return self._unsubscribe(1, patterns)

    def sunsubscribe(self, channels: Optional[Names] = None) -> asyncio.Future[list[Any]]:
        """SUNSUBSCRIBE these shard channels, or all when None/empty."""
        return self._unsubscribe(2, channels)

    def _subscribe(self, family: int, names: Any) -> Any:
        self._check_here()
        command = _COMMANDS[family][0]
        wire = _names(command, names, self.config.charset)
        if not wire:
            raise ValueError(f"{command} needs at least one channel or pattern")
        wanted = self._wanted[family]
        for k in wire:
            wanted[k] = None
        proto = self._proto
        if proto is not None and not proto.closed and not self._deferred:
            fut = proto.execute((command, *wire), _Expect(command.lower().encode(), len(wire)))
        else:
            fut = self._defer(self._change_later(family, True, wire))

        def refused(f: asyncio.Future[Any]) -> None:  # a refused subscription is not retried
            if not f.cancelled() and isinstance(f.exception(), ResponseError):
                for k in wire:
                    wanted.pop(k, None)

        fut.add_done_callback(refused)
        return fut

    def _unsubscribe(self, family: int, names: Any) -> Any:
        self._check_here()
        command = _COMMANDS[family][1]
        wire = [] if names is None else _names(command, names, self.config.charset)
        wanted = self._wanted[family]
        if wire:
            for k in wire:
                wanted.pop(k, None)
        else:
            wanted.clear()
        proto = self._proto
        if proto is not None and not proto.closed and not self._deferred:
            return proto.execute((command, *wire), _Expect(command.lower().encode(), len(wire) or None))
        return self._defer(self._change_later(family, False, wire))

    def _ready(self, proto: RedisProtocol) -> None:
        # What the resume step is about to subscribe: calls made before now ride on it.
        self._covered = (proto, tuple(set(w) for w in self._wanted))
        super()._ready(proto)

    async def _change_later(self, family: int, adds: bool, wire: list[bytes]) -> list[Any]:
        """A (un)subscription asked for before the connection was ready, run in call order.

        The resume step has already subscribed every name wanted when the connection became
        ready, so a subscription to such a name is not sent again: it resolves with the resume
        step's confirmation. Everything else is sent (an unsubscription, or a name unsubscribed
        since the call); a name an unsubscription sends is no longer covered for later calls.
        """
        command = _COMMANDS[family][0 if adds else 1]
        kind = command.lower().encode()
        if adds:
            names = " ".join(w.decode("utf-8", "backslashreplace") for w in wire)
            kept = f"{command} {names} stays wanted: it is made when the connection is back"
        else:
            kept = f"{command} stays in effect: nothing of it is resubscribed when the connection is back"
        proto = await self._wait_proto(kept)
        covered_on, covered = self._covered
        done = covered[family] if covered_on is proto else set()
        if not adds:
            if wire:
                done.difference_update(wire)
            else:
                done.clear()
            return await proto.execute((command, *wire), _Expect(kind, len(wire) or None))
        carried = [w in done for w in wire]
        rest = [w for w, c in zip(wire, carried) if not c]
        resume = self._resume_futs
        sent = proto.execute((command, *rest), _Expect(kind, len(rest))) if rest else None
        decode = self.config.decode
        confirmed: dict[Any, Any] = {}
        failed: list[RedisError] = []
        if len(rest) < len(wire):
            key = decode(kind)
            for f in resume:
                try:
                    replies = await asyncio.shield(f)
                except RedisError as e:  # another command's failure is not this call's
                    failed.append(e)
                    continue
                for r in replies:
                    if r[0] == key:
                        confirmed[r[1]] = r
        rest_replies = iter(await sent if sent is not None else ())
        out = []
        for w, c in zip(wire, carried):
            if c:
                r = confirmed.get(decode(w))
                if r is None:
                    raise failed[0] if failed else RedisError(f"{command}: not confirmed on connect: {w!r}")
                out.append(r)
            else:
                out.append(next(rest_replies))
        return out

    @property
    def channels(self) -> list[bytes]:
        """The channels this subscriber keeps subscribed (wire bytes)."""
        return list(self._wanted[0])

    @property
    def patterns(self) -> list[bytes]:
        """The patterns this subscriber keeps subscribed (wire bytes)."""
        return list(self._wanted[1])

    @property
    def shard_channels(self) -> list[bytes]:
        """The shard channels this subscriber keeps subscribed (wire bytes)."""
        return list(self._wanted[2])

    def ping(self, message: Any = None) -> asyncio.Future[Any]:
        """PING, also while subscribed: resolves with "PONG" (or ``message``), as outside pub/sub."""
        args = ("PING",) if message is None else ("PING", message)
        return self._send(args, self._pong)

    # -- receiving -------------------------------------------------------------------------------

    def messageReceived(self, pattern: Any, channel: Any, message: Any) -> None:
        """Called for each message (txredisapi's hook); the default queues it for ``async for``."""
        self._put(Message(pattern, channel, message), item_size(pattern, channel, message))

    def _receiver(self) -> Callable[..., None]:
        return self.messageReceived

    def _resume(self, proto: StreamProtocol) -> list[asyncio.Future[Any]]:
        futs = []
        for family, wanted in enumerate(self._wanted):
            if not wanted:
                continue
            command = _COMMANDS[family][0]
            groups: Iterable[list[bytes]] = [list(wanted)]
            if family == 2:  # a cluster node refuses one SSUBSCRIBE spanning slots (CROSSSLOT)
                by_slot: dict[int, list[bytes]] = {}
                for name in wanted:
                    by_slot.setdefault(key_slot(name), []).append(name)
                groups = by_slot.values()
            for group in groups:
                expect: Any = _Expect(command.lower().encode(), len(group))
                futs.append(proto.execute((command, *group), expect))
        return futs

    def __aiter__(self) -> Subscriber:
        """Iterate with ``async for``: ``Message`` items (and, with ``events=True``, notices)."""
        return self

    if TYPE_CHECKING:  # the type only: at run time Feed.__anext__ is called directly (no extra frame)

        async def __anext__(self) -> SubscriberItem: ...

    def __getattr__(self, name: str) -> Any:
        """A command method other than the subscriber's own: a function that raises RedisError."""
        from .commands import Commands

        if hasattr(Commands, name) and not name.startswith("_"):
            def refuse(*args: Any, **kwargs: Any) -> Any:
                raise RedisError(
                    f"{name}() cannot run on a subscriber connection: only (p|s)subscribe, "
                    "(p|s)unsubscribe and ping can; use another connection for other commands"
                )
            return refuse
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def SubscriberConnection(
    host: str = "localhost", port: int = 6379, dbid: Optional[int] = None,
    reconnect: bool = True, charset: Optional[str] = "utf-8", password: Optional[str] = None,
    ssl_context_factory: SSLOption = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, use_ssl: bool = False, client_name: Optional[str] = None,
    max_queue: int = 10000, events: bool = False, max_queue_bytes: int = MAX_QUEUE_BYTES,
    subscriber_class: type[Subscriber] = Subscriber,
) -> Connecting[Subscriber]:
    """A pub/sub connection; await it for the ``Subscriber`` (``Connection``'s arguments)."""
    return opening(lazySubscriberConnection(
        host, port, dbid, reconnect, charset, password, ssl_context_factory, connectTimeout,
        replyTimeout, convertNumbers, username, use_ssl=use_ssl, client_name=client_name,
        max_queue=max_queue, events=events, max_queue_bytes=max_queue_bytes,
        subscriber_class=subscriber_class))


def lazySubscriberConnection(
    host: str = "localhost", port: int = 6379, dbid: Optional[int] = None,
    reconnect: bool = True, charset: Optional[str] = "utf-8", password: Optional[str] = None,
    ssl_context_factory: SSLOption = False, connectTimeout: Optional[float] = None,
    replyTimeout: Optional[float] = None, convertNumbers: bool = True,
    username: Optional[str] = None, *, use_ssl: bool = False, client_name: Optional[str] = None,
    max_queue: int = 10000, events: bool = False, max_queue_bytes: int = MAX_QUEUE_BYTES,
    subscriber_class: type[Subscriber] = Subscriber,
) -> Subscriber:
    """A pub/sub connection returned at once; it connects in the background."""
    cfg = tcp_config(host, port, dbid, reconnect, charset, password, ssl_context_factory,
                     connectTimeout, replyTimeout, convertNumbers, username, use_ssl, client_name,
                     SubscriberProtocol)
    return subscriber_class(cfg, max_queue, events, max_queue_bytes=max_queue_bytes)


def UnixSubscriberConnection(
    path: str = "/tmp/redis.sock", dbid: Optional[int] = None, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *,
    client_name: Optional[str] = None, max_queue: int = 10000, events: bool = False,
    max_queue_bytes: int = MAX_QUEUE_BYTES,
    subscriber_class: type[Subscriber] = Subscriber,
) -> Connecting[Subscriber]:
    """A pub/sub connection over a Unix socket; await it for the ``Subscriber``."""
    return opening(lazyUnixSubscriberConnection(
        path, dbid, reconnect, charset, password, connectTimeout, replyTimeout, convertNumbers,
        username, client_name=client_name, max_queue=max_queue, events=events,
        max_queue_bytes=max_queue_bytes, subscriber_class=subscriber_class))


def lazyUnixSubscriberConnection(
    path: str = "/tmp/redis.sock", dbid: Optional[int] = None, reconnect: bool = True,
    charset: Optional[str] = "utf-8", password: Optional[str] = None,
    connectTimeout: Optional[float] = None, replyTimeout: Optional[float] = None,
    convertNumbers: bool = True, username: Optional[str] = None, *,
    client_name: Optional[str] = None, max_queue: int = 10000, events: bool = False,
    max_queue_bytes: int = MAX_QUEUE_BYTES,
    subscriber_class: type[Subscriber] = Subscriber,
) -> Subscriber:
    """A pub/sub connection over a Unix socket, returned at once."""
    cfg = unix_config(path, dbid, reconnect, charset, password, connectTimeout, replyTimeout,
                      convertNumbers, username, client_name, SubscriberProtocol)
    return subscriber_class(cfg, max_queue, events, max_queue_bytes=max_queue_bytes)
