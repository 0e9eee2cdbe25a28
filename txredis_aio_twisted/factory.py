"""txredisapi's factories, usable both the 1.6 way and the ≤1.5 way.

How this works
--------------
* ``RedisFactory`` is a ``ReconnectingClientFactory``: ``reactor.connectTCP(host, port,
  factory)`` and ``internet.TCPClient(...)`` work as in txredisapi ≤1.5 (``continueTrying``,
  ``maxDelay``, ``resetDelay``... are Twisted's own).
* ``factory.startConnecting(endpoint)`` (txredisapi 1.6) starts ``poolsize``
  ``ClientService``s on the endpoint, with txredisapi's backoff (``retryDelay``).
* Either way, a protocol that finished AUTH/SELECT calls ``addConnection``; when ``poolsize``
  are in, ``factory.deferred`` fires with ``factory.handler``. The handler runs every command on
  a connection of ``factory.pool`` and waits for one while none is up (txredisapi's behaviour),
  unless reconnecting was stopped: then it fails with ``ConnectionError("Not connected")``.
* ``reconnect = False`` (or ``continueTrying = 0``): the first failed attempt is final: it
  errbacks ``factory.deferred`` (a non-lazy pool also closes the connections it made, since
  nobody will ever get the handler to close them) and a lost connection is not replaced.
  ``stopTrying()`` keeps live connections; ``disconnect()`` closes everything, cancels a pending
  reconnection and fires when the pool is empty.
* No asyncio here: Deferreds fire from the transport's callbacks and every timer is on
  ``self.clock`` (``ReconnectingClientFactory``'s attribute; the global reactor when None), so a
  factory runs on any reactor, ``MemoryReactorClock`` included. With a clock set, the protocols
  it builds schedule their reply timeouts on it too.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Optional, cast

from twisted.application.internet import ClientService
from twisted.internet import error, protocol
from twisted.internet.defer import CancelledError, Deferred, fail, gatherResults, succeed
from twisted.python import log
from twisted.python.failure import Failure

from txredis_aio.commands import Commands
from txredis_aio.connection import check_dbid, retry_delay
from txredis_aio.errors import ConnectError, ConnectionError
from txredis_aio.pool import BLOCKING_NAMES, check_poolsize, is_blocking_request

from ._scripting import DeferredScripting
from .handlers import ConnectionHandler, Sentinel
from .protocol import RedisProtocol, _AwaitableDeferred
from .pubsub import MonitorProtocol, SubscriberProtocol

__all__ = ["MonitorFactory", "RedisFactory", "SentinelConnectionFactory", "SubscriberFactory"]


class RedisFactory(protocol.ReconnectingClientFactory):
    """Connections of one pool (see module docstring); ``handler`` is what applications use."""

    protocol = RedisProtocol
    noisy = False
    initialDelay = 1.0
    maxDelay = 10
    factor = math.e
    jitter = 0.119626565582
    reconnect = True

    def __init__(self, uuid: Any, dbid: Optional[int], poolsize: int, isLazy: bool = False,
                 handler: Any = ConnectionHandler, charset: Optional[str] = "utf-8",
                 password: Optional[str] = None, replyTimeout: Optional[float] = None,
                 convertNumbers: bool = True, username: Optional[str] = None) -> None:
        check_poolsize(poolsize)
        check_dbid(dbid)
        self.uuid = uuid
        self.dbid = dbid
        self.poolsize = poolsize
        self.isLazy = isLazy
        self.charset = charset
        self.password = password
        self.username = username
        self.replyTimeout = replyTimeout
        self.convertNumbers = convertNumbers
        self.idx = 0
        self.size = 0
        self.pool: list[Any] = []
        self.stopped = False
        self.disconnectCalled = False
        self.deferred: Optional[Deferred] = Deferred()
        self._services: list[ClientService] = []
        self._waiting: list[Deferred] = []
        self._empty_waiters: list[Deferred] = []
        self.handler = handler(self)

    # -- connections -------------------------------------------------------------------------

    def buildProtocol(self, addr: Any) -> Any:
        p = self.protocol(self.charset, replyTimeout=self.replyTimeout, password=self.password,
                          dbid=self.dbid, convertNumbers=self.convertNumbers, username=self.username)
        p.factory = self
        if self.clock is not None and self.clock is not _global_reactor():
            p.callLater = self.clock.callLater  # else the class's (patchable) callLater
        # resetDelay() without its ``continueTrying = 1``: a factory told not to reconnect
        # (``continueTrying = False`` before connectTCP, as ≤1.5 code does) stays so.
        self.delay = self.initialDelay
        self.retries = 0
        self._callID = None
        return p

    def _reactor(self) -> Any:
        """Where this factory's timers go: ``self.clock``, else the global reactor."""
        return self.clock if self.clock is not None else _global_reactor()

    def _soon(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` on the next reactor turn (ClientService may not be stopped from its own
        callbacks)."""
        self._reactor().callLater(0, fn)

    def addConnection(self, conn: Any) -> None:
        """A protocol finished its handshake: into the pool (closed at once after disconnect())."""
        if self.disconnectCalled:
            conn.transport.loseConnection()
            return
        if not conn.connected:
            return
        self.pool.append(conn)
        self.size = len(self.pool)
        waiting, self._waiting = self._waiting, []
        for d in waiting:
            d.callback(conn)
        if self.deferred is not None and self.size >= self.poolsize:
            d, self.deferred = self.deferred, None
            d.callback(self.handler)

    def delConnection(self, conn: Any) -> None:
        """A protocol lost its connection: out of the pool; not replaced if reconnecting stopped."""
        if conn in self.pool:
            self.pool.remove(conn)
            self.size = len(self.pool)
        svc = getattr(conn, "_service", None)
        if svc is not None and not self._may_reconnect():
            self._soon(svc.stopService)
        if not self.pool:
            waiters, self._empty_waiters = self._empty_waiters, []
            for d in waiters:
                d.callback(None)
            if not self._may_reconnect():
                self._fail_waiting()

    def _may_reconnect(self) -> bool:
        """Whether a failed or lost connection will be tried again.

        ``stopTrying()`` sets ``continueTrying = 0`` (``ReconnectingClientFactory``) and
        ``stopped`` (1.6). A subclass may make ``continueTrying`` a constant (a descriptor that
        ignores the assignment) to keep ``connectTCP`` reconnecting even after a failed AUTH;
        so ``stopped`` only rules the ``startConnecting`` services, as in txredisapi 1.6.
        """
        if not (self.reconnect and self.continueTrying) or self.disconnectCalled:
            return False
        return not (self.stopped and self._services)

    def _fail_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        for d in waiting:
            d.errback(Failure(ConnectionError("Not connected")))

    def connectionError(self, why: str) -> None:
        """Connecting or the handshake failed: errback ``deferred`` (a ValueError, as txredisapi)."""
        if self.deferred is not None:
            d, self.deferred = self.deferred, None
            d.errback(Failure(ConnectError(why)))
        elif self.isLazy:
            log.msg(why)
        if not self._may_reconnect():
            self._fail_waiting()

    def getConnection(self, peek: bool = False, put_back: bool = False) -> Deferred:
        """A Deferred of a ready connection (the least busy); waits while none is up.

        ``put_back`` is txredisapi ≤1.5's name for ``peek``; neither leases (compatibility W9).
        """
        if self.pool:
            return succeed(min(self.pool, key=lambda p: len(p._slots)))
        if self.disconnectCalled or (self.size == 0 and not self._may_reconnect()):
            return fail(ConnectionError("Not connected"))
        d: Deferred = Deferred()
        self._waiting.append(d)
        return d

    def waitForEmptyPool(self) -> Deferred:
        """Fires when no connection is left."""
        if not self.pool:
            return succeed(None)
        d: Deferred = Deferred()
        self._empty_waiters.append(d)
        return d

    # -- ReconnectingClientFactory (≤1.5 use) --------------------------------------------------

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        if self.disconnectCalled or reason.check(error.UserError):
            # stopped by disconnect()/stopTrying() (connector.stopConnecting): not a failure
            if not self.pool and not self._may_reconnect():
                self._fail_waiting()
            return
        why = f"Redis error: could not connect: {reason.getErrorMessage()}"
        if self._may_reconnect():
            if not self.isLazy and self.deferred is not None:
                self.connectionError(why)  # compatibility W8; the retry goes on
            protocol.ReconnectingClientFactory.clientConnectionFailed(self, connector, reason)
        else:
            self._gave_up(why)

    def _gave_up(self, why: str) -> None:
        """An attempt failed and none follows: report it; a non-lazy pool that can never be
        complete closes what it made (nobody will get the handler to close it)."""
        if not self.isLazy and self.deferred is not None:
            self.disconnect()
        self.connectionError(why)

    def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
        if self._may_reconnect():
            protocol.ReconnectingClientFactory.clientConnectionLost(self, connector, reason)

    # -- txredisapi 1.6 ------------------------------------------------------------------------

    def retryDelay(self, attempt: int) -> float:
        """Backoff before attempt ``attempt`` (txredisapi's formula and constants)."""
        return retry_delay(attempt, self.initialDelay, self.factor, self.maxDelay, self.jitter)

    def startConnecting(self, endpoint: Any) -> None:
        """Keep ``poolsize`` connections to ``endpoint`` (txredisapi 1.6's way to connect)."""
        for _ in range(self.poolsize):
            svc = ClientService(endpoint, cast(Any, self), retryPolicy=self.retryDelay,
                                clock=self.clock)

            def bind(p: Any, svc: ClientService = svc) -> None:
                p._service = svc

            svc._prepareConnection = bind  # type: ignore[attr-defined]
            self._services.append(svc)
            svc.startService()
            svc.whenConnected(failAfterFailures=1).addErrback(self._attempt_failed_later, svc)

    def _attempt_failed_later(self, f: Failure, svc: ClientService) -> None:
        if f.check(CancelledError):  # the service was stopped: not a connection problem
            return
        self._soon(lambda: self._attempt_failed(f, svc))

    def _attempt_failed(self, f: Failure, svc: ClientService) -> None:
        # Runs on a later reactor turn: user callbacks it fires may stop the services.
        if self.disconnectCalled:
            return
        why = f"Redis error: could not connect: {f.getErrorMessage()}"
        if self._may_reconnect():
            if self.deferred is not None and not self.isLazy:
                self.connectionError(why)  # compatibility W8; the service goes on retrying
            return
        svc.stopService()
        self._gave_up(why)

    def stopTrying(self) -> Deferred:
        """Do not reconnect any more (a scheduled reconnection is cancelled); live connections
        stay up."""
        self.stopped = True
        try:
            protocol.ReconnectingClientFactory.stopTrying(self)
        except AttributeError:  # ``continueTrying`` is a read-only property of a subclass
            self._stop_reconnecting()
        if not self.pool and not self._may_reconnect():
            self._fail_waiting()
        return succeed(None)

    def _stop_reconnecting(self) -> None:
        """``ReconnectingClientFactory.stopTrying`` without assigning ``continueTrying``."""
        if self._callID is not None:
            self._callID.cancel()
            self._callID = None
        if self.connector is not None:
            try:
                self.connector.stopConnecting()
            except error.NotConnectingError:
                pass

    def disconnect(self) -> Deferred:
        """Stop reconnecting and close every connection; fires when the pool is empty."""
        self.disconnectCalled = True
        self.stopTrying()
        stops = [svc.stopService() for svc in self._services]
        for p in list(self.pool):
            p.transport.loseConnection()
        empty = self.waitForEmptyPool()
        return gatherResults([*(d for d in stops if isinstance(d, Deferred)), empty]).addCallback(
            lambda _: None)


class SubscriberFactory(RedisFactory):
    """One ``SubscriberProtocol`` connection (utf-8, no password, no dbid, as txredisapi)."""

    protocol = SubscriberProtocol

    def __init__(self, isLazy: bool = False, handler: Any = ConnectionHandler) -> None:
        super().__init__(None, None, 1, isLazy=isLazy, handler=handler)


class MonitorFactory(RedisFactory):
    """One ``MonitorProtocol`` connection."""

    protocol = MonitorProtocol

    def __init__(self, isLazy: bool = False, handler: Any = ConnectionHandler) -> None:
        super().__init__(None, None, 1, isLazy=isLazy, handler=handler)


class SentinelConnectionFactory(RedisFactory):
    """txredisapi's default ``factory_class`` of ``Sentinel.master_for``; accepted there, unused.

    Sentinel handlers are the core's (discovery before every connect, failover following).
    """


# txredisapi's signature shows this class as master_for/slave_for's default (handlers.py cannot
# import this module: it is imported by it).
Sentinel.master_for.__defaults__ = (SentinelConnectionFactory, None, 1)
Sentinel.slave_for.__defaults__ = (SentinelConnectionFactory, None, 1)


class FactoryCore(DeferredScripting, Commands):
    """The core of a handler made by ``RedisFactory``: runs commands on the factory's pool."""

    def __init__(self, factory: RedisFactory) -> None:
        self._factory = factory

    def _on_connection(self, fn: Callable[[Any], Any]) -> Any:
        d = self._factory.getConnection(peek=True)
        if d.called:
            conn: list[Any] = []
            d.addBoth(conn.append)
            got = conn[0]
            if isinstance(got, Failure):
                return _failed(got)
            return fn(got)
        out = _AwaitableDeferred()
        d.addCallback(fn).chainDeferred(out)
        return out

    def _execute(self, *args: Any, convert: Any = None) -> Any:
        timed = not (args and args[0] in BLOCKING_NAMES and is_blocking_request(args))
        return self._on_connection(lambda p: p._send(args, convert, timed))

    def execute_command(self, *args: Any, post_proc: Optional[Callable[[Any], Any]] = None,
                        apply_timeout: bool = True) -> Any:
        return self._on_connection(lambda p: p._send(args, post_proc, apply_timeout))

    def proxy(self, name: str) -> Callable[..., Deferred]:
        """A function running the protocol method ``name`` on a pool connection."""

        def run(*args: Any, **kwargs: Any) -> Deferred:
            try:
                return self._on_connection(lambda p: getattr(p, name)(*args, **kwargs))
            except Exception:
                return fail()

        run.__name__ = name
        return run

    def disconnect(self) -> Deferred:
        return self._factory.disconnect()

    # The protocol's own transactions/pipelines (not exclusive: see the compatibility page).
    def multi(self, keys: Any = None) -> Any:
        return self._on_connection(lambda p: p.multi(keys))

    def watch(self, keys: Any) -> Any:
        return self._on_connection(lambda p: p.watch(keys))

    def pipeline(self) -> Any:
        return self._on_connection(lambda p: p.pipeline())

    def connected_deferred(self, handler: Any) -> Deferred:
        """Fires with the handler once the pool is full (txredisapi's ``handler._connected``)."""
        pending = self._factory.deferred
        return pending if pending is not None else succeed(handler)


def _global_reactor() -> Any:
    from twisted.internet import reactor

    return reactor


def _failed(f: Failure) -> Deferred:
    d = _AwaitableDeferred()
    d.errback(f)
    return d

