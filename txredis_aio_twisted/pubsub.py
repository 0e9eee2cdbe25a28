"""Twisted-native pub/sub and MONITOR protocols (txredisapi's ``SubscriberProtocol``/``MonitorProtocol``).

A (p)(un)subscribe command's reply slot holds an ``_Expect``: it takes the confirmations of its
kind until it has one per name (for an unsubscribe-all: until the server's subscriptions of that
family, tracked from the confirmations, are empty) and then fires with the first one, so
confirmations never reach another command (txredisapi §11.7).
"""

from __future__ import annotations

from typing import Any, Optional

from twisted.internet.defer import Deferred, fail

from txredis_aio.errors import ResponseError

from .protocol import RedisProtocol, _names

__all__ = ["MonitorProtocol", "SubscriberProtocol"]


# confirmation kind -> (family, whether it adds a subscription)
_FAMILY = {
    b"subscribe": (b"s", True), b"unsubscribe": (b"s", False),
    b"psubscribe": (b"p", True), b"punsubscribe": (b"p", False),
    b"ssubscribe": (b"S", True), b"sunsubscribe": (b"S", False),
}
_CONFIRMATIONS = frozenset(_FAMILY)


class _Expect:
    """A (un)subscribe command's slot: the confirmations of one kind it waits for."""

    __slots__ = ("first", "kind", "remaining")

    def __init__(self, kind: bytes, remaining: Optional[int]) -> None:
        self.kind = kind
        self.remaining = remaining
        self.first: Any = None

    def __call__(self, reply: Any) -> Any:
        return reply  # used as the slot's converter: the first confirmation, decoded


class SubscriberProtocol(RedisProtocol):
    """Pub/sub connection: override ``messageReceived(pattern, channel, message)``.

    ``subscribe``/``psubscribe`` fire with the first confirmation once the server confirmed
    every name (so confirmations never reach another command); published messages go to
    ``messageReceived`` (``pattern`` is None for plain SUBSCRIBE messages).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._subs: dict[bytes, set] = {}  # what the server has us subscribed to, per family

    def messageReceived(self, pattern: Any, channel: Any, message: Any) -> None:
        """Override to handle published messages."""

    def _reply(self, reply: Any) -> None:
        if type(reply) is list and reply and type(reply[0]) is bytes:
            kind = reply[0]
            n = len(reply)
            if (kind == b"message" or kind == b"smessage") and n == 3:
                self.messageReceived(None, self._decode(reply[1]), self._decode(reply[2]))
                return
            if kind == b"pmessage" and n == 4:
                dec = self._decode
                self.messageReceived(dec(reply[1]), dec(reply[2]), dec(reply[3]))
                return
            if kind in _CONFIRMATIONS and n == 3:
                self._confirmation(kind, reply)
                return
        self._deliver(reply, decoded=False)

    def _confirmation(self, kind: bytes, reply: list) -> None:
        family, adds = _FAMILY[kind]
        subs = self._subs.setdefault(family, set())
        if reply[1] is not None:
            (subs.add if adds else subs.discard)(reply[1])
        head = self._slots[0] if self._slots else None
        exp = head[1] if head is not None else None
        if not isinstance(exp, _Expect) or exp.kind != kind:
            return  # nobody asked for it (txredisapi dropped these too)
        if exp.first is None:
            exp.first = reply
        if exp.remaining is not None:
            exp.remaining -= 1
            done = exp.remaining <= 0
        else:  # unsubscribe from everything of this family: until nothing of it is left
            done = not subs
        if done:
            self._deliver(exp.first, decoded=False)

    def _subscription(self, command: str, names: Any, timed: bool) -> Deferred:
        try:
            args = _names(names)
            exp = _Expect(command.lower().encode(), len(args) or None)
            d = self._send((command, *args), exp, timed)
        except Exception:
            return fail()
        return d

    def subscribe(self, channels: Any) -> Deferred:
        """SUBSCRIBE to channels (a str or an iterable); no reply timeout applies."""
        return self._subscription("SUBSCRIBE", channels, False)

    def unsubscribe(self, channels: Any = None) -> Deferred:
        """UNSUBSCRIBE from channels (all when None)."""
        return self._subscription("UNSUBSCRIBE", channels, True)

    def psubscribe(self, patterns: Any) -> Deferred:
        """PSUBSCRIBE to patterns (a str or an iterable); no reply timeout applies."""
        return self._subscription("PSUBSCRIBE", patterns, False)

    def punsubscribe(self, patterns: Any = None) -> Deferred:
        """PUNSUBSCRIBE from patterns (all when None)."""
        return self._subscription("PUNSUBSCRIBE", patterns, True)


class MonitorProtocol(RedisProtocol):
    """MONITOR connection: override ``messageReceived(message)`` for each monitored line.

    ``monitor()`` fires with ``"OK"`` once the server started monitoring (txredisapi's never
    fired and passed the "OK" to ``messageReceived``).
    """

    def messageReceived(self, message: Any) -> None:
        """Override to handle each monitored command line."""

    def _reply(self, reply: Any) -> None:
        if self._slots:
            self._deliver(reply, decoded=False)
        elif not isinstance(reply, ResponseError):
            self.messageReceived(self._decode(reply))

    def monitor(self) -> Deferred:
        """Start monitoring; no reply timeout applies."""
        try:
            return self._send(("MONITOR",), None, False)
        except Exception:
            return fail()

    def stop(self) -> None:
        """Close the connection (and so stop monitoring)."""
        transport: Any = self.transport
        if transport is not None:
            transport.loseConnection()
