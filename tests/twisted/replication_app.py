"""A worker-replication client written the way a Matrix homeserver writes one for txredisapi.

What such an application does with txredisapi's classes, and so what the shim must keep working:

* ``PingingFactory`` subclasses ``RedisFactory``: ``continueTrying`` is a class-level constant
  property (always reconnect, even after the protocol's ``stopTrying()`` on a failed AUTH), a
  ``LoopingCall`` pings every connection of ``factory.pool``, and the
  ``startedConnecting``/``clientConnectionFailed``/``clientConnectionLost`` hooks record what
  happened and call up to ``ReconnectingClientFactory``.
* ``SubscriberFactory`` overrides ``maxDelay`` and ``buildProtocol`` (attributes set on each
  protocol); its protocol, ``Subscriber``, subscribes from ``connectionMade`` in a coroutine
  that ``await``s the Deferred, receives in ``messageReceived(pattern, channel, message)`` and
  chains ``connectionLost``.
* ``lazy_connection`` builds a lazy ``PingingFactory`` with ``handler=ConnectionHandler`` and
  ``replyTimeout``, connects it with ``reactor.connectTCP(host.encode(), port, factory,
  timeout=30, bindAddress=None)`` (a **bytes** host) and returns ``factory.handler``.

``scenario`` runs all of it against a real server (any reactor; see test_tw_replication.py).
"""

from __future__ import annotations

import time
from typing import Any, Callable, Generic, Optional, TypeVar

from twisted.internet import defer, task

import txredis_aio_twisted as redis

T = TypeVar("T")


class ConstantProperty(Generic[T]):
    """A descriptor that always reads ``value`` and ignores assignments."""

    def __init__(self, value: T) -> None:
        self.value = value

    def __get__(self, obj: Any, objtype: Any = None) -> T:
        return self.value

    def __set__(self, obj: Any, value: Any) -> None:
        pass


class App:
    """What the application keeps: messages received, subscribers connected and lost."""

    def __init__(self) -> None:
        self.received: list[tuple[Any, Any, Any]] = []
        self.subscribed: list[Any] = []
        self.lost: list[Any] = []
        self.events: list[str] = []


class Subscriber(redis.SubscriberProtocol):
    """Subscribes from ``connectionMade``; hands messages and losses to the App."""

    app: App
    channels: list[str]

    def connectionMade(self) -> None:
        super().connectionMade()
        self.subscribing = defer.ensureDeferred(self._subscribe())

    async def _subscribe(self) -> None:
        await self.subscribe(self.channels)
        self.app.subscribed.append(self)

    def messageReceived(self, pattern: Any, channel: Any, message: Any) -> None:
        self.app.received.append((pattern, channel, message))

    def connectionLost(self, reason: Any = None) -> None:
        super().connectionLost(reason)
        self.app.lost.append(self)


class PingingFactory(redis.RedisFactory):
    """A RedisFactory that pings its connections and always reconnects."""

    continueTrying = ConstantProperty(True)  # type: ignore[assignment]

    def __init__(self, app: App, clock: Any, uuid: str, dbid: Optional[int], poolsize: int,
                 isLazy: bool = False, handler: Any = redis.ConnectionHandler,
                 charset: str = "utf-8", password: Optional[str] = None,
                 replyTimeout: Optional[float] = 30, convertNumbers: bool = True) -> None:
        super().__init__(uuid=uuid, dbid=dbid, poolsize=poolsize, isLazy=isLazy, handler=handler,
                         charset=charset, password=password, replyTimeout=replyTimeout,
                         convertNumbers=convertNumbers)
        self.app = app
        self.pongs: list[Any] = []
        self.pinger = task.LoopingCall(lambda: defer.ensureDeferred(self._ping_all()))
        self.pinger.clock = clock

    async def _ping_all(self) -> None:
        for connection in self.pool:
            try:
                self.pongs.append(await connection.ping())
            except Exception as e:
                self.pongs.append(e)

    def startedConnecting(self, connector: Any) -> None:
        self.app.events.append(f"connecting {self.uuid}")
        super().startedConnecting(connector)

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        self.app.events.append(f"failed {self.uuid}")
        super().clientConnectionFailed(connector, reason)

    def clientConnectionLost(self, connector: Any, reason: Any) -> None:
        self.app.events.append(f"lost {self.uuid}")
        super().clientConnectionLost(connector, reason)


class SubscriberFactory(PingingFactory):
    """One subscriber connection to ``channels``; reconnects and subscribes again."""

    maxDelay = 5
    protocol = Subscriber

    def __init__(self, app: App, clock: Any, channels: list[str],
                 password: Optional[str] = None) -> None:
        super().__init__(app, clock, uuid="subscriber", dbid=None, poolsize=1, replyTimeout=30,
                         password=password)
        self.channels = channels

    def buildProtocol(self, addr: Any) -> Subscriber:
        p = super().buildProtocol(addr)
        p.app = self.app
        p.channels = self.channels
        return p


def lazy_connection(app: App, reactor: Any, clock: Any, host: str = "localhost", port: int = 6379,
                    dbid: Optional[int] = None, password: Optional[str] = None,
                    replyTimeout: float = 30) -> Any:
    """A lazy, reconnecting handler (the application's outbound connection)."""
    factory = PingingFactory(app, clock, uuid=f"{host}:{port}", dbid=dbid, poolsize=1, isLazy=True,
                             handler=redis.ConnectionHandler, password=password,
                             replyTimeout=replyTimeout)
    reactor.connectTCP(host.encode(), port, factory, timeout=30, bindAddress=None)
    return factory.handler


def sleep(clock: Any, seconds: float) -> defer.Deferred:
    return task.deferLater(clock, seconds, lambda: None)


async def until(clock: Any, cond: Callable[[], Any], timeout: float = 10.0) -> None:
    """Wait (polling on ``clock``) until ``cond()`` holds; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        await sleep(clock, 0.01)


async def scenario(reactor: Any, host: str, port: int) -> dict[str, Any]:
    """Subscribe, publish from a second handler, lose the subscriber's connection, reconnect,
    subscribe again, receive again, then disconnect; returns what was observed."""
    app = App()
    out = lazy_connection(app, reactor, reactor, host, port)
    sub = SubscriberFactory(app, reactor, ["replication"])
    sub.initialDelay = 0.05  # reconnect within ~0.15 s instead of ~2.7 s
    reactor.connectTCP(host.encode(), port, sub, timeout=30, bindAddress=None)
    handler = await sub.deferred
    assert handler is sub.handler
    await until(reactor, lambda: len(app.subscribed) == 1)
    assert await out.publish("replication", "one") == 1
    await until(reactor, lambda: len(app.received) == 1)
    conn = await out._factory.getConnection(put_back=False)
    assert conn in out._factory.pool
    sub.pinger.start(0.05, now=True)
    await until(reactor, lambda: sub.pongs)
    sub.pinger.stop()
    pongs = list(sub.pongs)

    assert await out.execute_command("CLIENT", "KILL", "TYPE", "pubsub") == 1
    await until(reactor, lambda: len(app.lost) == 1 and len(app.subscribed) == 2)
    assert await out.publish("replication", "two") == 1
    await until(reactor, lambda: len(app.received) == 2)
    await out.disconnect()
    await sub.disconnect()
    return {"received": app.received, "events": app.events, "pongs": pongs,
            "subscribers": len(app.subscribed)}
