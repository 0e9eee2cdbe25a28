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
* Leases (txredisapi's ``getConnection(peek=False)``): ``multi``/``watch``/``pipeline`` and
  blocking requests (BLPOP, XREAD BLOCK, WAIT... as the core's ``is_blocking_request``) take a
  connection of the pool for themselves; a blocking command gives it back when its reply has
  arrived (not when its caller cancels), a transaction when the protocol sends EXEC or DISCARD,
  or UNWATCH outside MULTI, a pipeline when ``execute_pipeline()`` writes it. Ordinary commands
  pick the least busy connection that is not leased. With every connection leased, both wait
  (FIFO for leases; a connection given back first takes the waiting commands, then goes to the
  next lease): bounded by ``replyTimeout`` when set (``TimeoutError``, nothing sent), as the
  core's pools. A ``multi()``/``watch()`` that failed or was cancelled sends DISCARD/UNWATCH
  and gives the connection back.
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
from collections import deque
from typing import Any, Callable, Optional, cast

from twisted.application.internet import ClientService
from twisted.internet import error, protocol
from twisted.internet.defer import CancelledError, Deferred, fail, gatherResults, succeed
from twisted.python import log
from twisted.python.failure import Failure

from txredis_aio.commands import Commands
from txredis_aio.connection import check_dbid, retry_delay
from txredis_aio.errors import ConnectError, ConnectionError, TimeoutError
from txredis_aio.pool import check_poolsize, is_blocking_request

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
        self._service_conns: dict[ClientService, Any] = {}  # the connection each service made
        self._waiting: list[Deferred] = []  # commands waiting for a connection that is not leased
        self._leased: set[Any] = set()  # connections of ``pool`` taken exclusively
        self._lease_waiters: deque[Deferred] = deque()
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
        self._serve(conn)
        if self.deferred is not None and self.size >= self.poolsize:
            d, self.deferred = self.deferred, None
            d.callback(self.handler)

    def delConnection(self, conn: Any) -> None:
        """A protocol lost its connection: out of the pool; not replaced if reconnecting stopped."""
        if conn in self.pool:
            self.pool.remove(conn)
            self.size = len(self.pool)
        self._leased.discard(conn)
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
        waiting += self._lease_waiters
        self._lease_waiters.clear()
        for d in waiting:
            if not d.called:
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
        """A Deferred of a ready connection that is not leased (the least busy); waits while
        there is none.

        ``put_back`` is txredisapi ≤1.5's name for ``peek``. Neither takes the connection
        exclusively (compatibility W9): the handler's leases are its own, given back by the
        protocol when the transaction, pipeline or blocking command ends.
        """
        return self._shared()

    def _free(self) -> list[Any]:
        return [p for p in self.pool if p not in self._leased] if self._leased else self.pool

    def _hopeless(self) -> bool:
        """No connection, and none coming: waiting would be forever."""
        return not self.pool and (self.disconnectCalled or not self._may_reconnect())

    def _shared(self) -> Deferred:
        """A Deferred of the least busy connection that is not leased (see getConnection)."""
        free = self._free()
        if free:
            return succeed(free[0] if len(free) == 1 else min(free, key=lambda p: len(p._slots)))
        if self._hopeless():
            return fail(ConnectionError("Not connected"))
        return self._wait(self._waiting)

    def _lease(self) -> Deferred:
        """A Deferred of a connection taken exclusively (FIFO behind earlier lease requests);
        ``_release`` gives it back."""
        waiters = self._lease_waiters
        while waiters and waiters[0].called:  # cancelled or timed out
            waiters.popleft()
        if not waiters:
            free = self._free()
            if free:
                conn = free[0] if len(free) == 1 else min(free, key=lambda p: len(p._slots))
                self._leased.add(conn)
                return succeed(conn)
        if self._hopeless():
            return fail(ConnectionError("Not connected"))
        return self._wait(waiters)

    def _wait(self, queue: Any) -> Deferred:
        """Queue a waiter; while it waits for a lease to end, bounded by ``replyTimeout``."""
        d: Deferred = Deferred()
        queue.append(d)
        if self.pool and self.replyTimeout is not None:
            timer = self._reactor().callLater(self.replyTimeout, self._wait_expired, d)

            def stop(result: Any) -> Any:
                if timer.active():
                    timer.cancel()
                return result

            d.addBoth(stop)
        return d

    def _wait_expired(self, d: Deferred) -> None:
        if not d.called:
            d.errback(Failure(TimeoutError(
                f"No connection free within replyTimeout ({self.replyTimeout} s): every one is "
                "leased (transaction, pipeline, blocking command); nothing was sent")))

    def _release(self, conn: Any) -> None:
        """A lease ended: the connection serves the waiting commands, then the next lease."""
        if conn not in self._leased:
            return
        self._leased.discard(conn)
        if conn in self.pool and conn.connected:
            self._serve(conn)

    def _serve(self, conn: Any) -> None:
        """``conn`` is free (new, or given back): every waiting command runs on it, then the
        first waiting lease takes it (txredisapi's ``PeekableQueue.put`` order)."""
        waiting, self._waiting = self._waiting, []
        for d in waiting:
            if not d.called:
                d.callback(conn)
        waiters = self._lease_waiters
        while waiters:
            d = waiters.popleft()
            if not d.called:
                self._leased.add(conn)
                d.callback(conn)
                return

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
        """Keep ``poolsize`` connections to ``endpoint`` (txredisapi 1.6's way to connect).

        One ``ClientService`` per connection. Its first failed attempt is reported (the waiter
        is registered before the service starts: an endpoint may fail synchronously). Once the
        factory will not reconnect (``reconnect = False``, ``stopTrying()``), a service whose
        connection is lost or whose attempt failed is stopped instead of retrying, even when the
        protocol's ``connectionLost`` does not chain up (it then never reaches
        ``delConnection``).
        """
        for _ in range(self.poolsize):
            holder: list[ClientService] = []

            def policy(attempt: int, holder: list[ClientService] = holder) -> float:
                return self._service_retry(holder[0], attempt)

            def bind(p: Any, holder: list[ClientService] = holder) -> None:
                p._service = holder[0]
                self._service_conns[holder[0]] = p

            svc = ClientService(endpoint, cast(Any, self), retryPolicy=policy, clock=self.clock,
                                prepareConnection=bind)
            holder.append(svc)
            self._services.append(svc)
            svc.whenConnected(failAfterFailures=1).addErrback(self._attempt_failed_later, svc)
            svc.startService()

    def _service_retry(self, svc: ClientService, attempt: int) -> float:
        """A service is about to schedule attempt ``attempt`` (after a failure or a loss)."""
        if not self._may_reconnect():
            self._soon(svc.stopService)
        return self.retryDelay(attempt)

    def _stop_idle_services(self) -> None:
        """Stop the services without a live connection (``stopTrying()``: live ones stay)."""
        for svc in self._services:
            if not svc.running:
                continue
            conn = self._service_conns.get(svc)
            transport = getattr(conn, "transport", None)
            if transport is None or getattr(transport, "disconnected", False) or not getattr(
                    transport, "connected", True):
                svc.stopService()

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
        if self._services:
            # Not from inside connectionMade: the endpoint is still finishing that connection.
            self._soon(self._stop_idle_services)
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
        """``fn(conn)`` on a connection that is not leased (at once when there is one)."""
        return _run_on(self._factory._shared(), fn)

    def _on_lease(self, fn: Callable[[Any], Any]) -> Any:
        """``fn(conn)`` on a connection taken exclusively; ``fn`` sees to its release."""
        factory = self._factory

        def leased(conn: Any) -> Any:
            try:
                return fn(conn)
            except BaseException:
                factory._release(conn)
                raise

        return _run_on(factory._lease(), leased)

    def _blocking(self, args: tuple, convert: Any) -> Any:
        """A blocking request on a leased connection, given back when its reply has arrived
        (a caller that cancels does not end the lease: the server is still blocked on it)."""
        factory = self._factory

        def send(conn: Any) -> Deferred:
            inner = conn._send(args, convert, False)
            out = _AwaitableDeferred()

            def done(result: Any) -> None:
                factory._release(conn)
                if not out.called:
                    (out.errback if isinstance(result, Failure) else out.callback)(result)

            inner.addBoth(done)
            return out

        return self._on_lease(send)

    def _transaction(self, start: Callable[[Any], Deferred]) -> Any:
        """MULTI/WATCH/pipeline on a leased connection; the protocol gives it back when the
        transaction or pipeline ends, or at once when this start fails or is cancelled."""
        factory = self._factory

        def begin(conn: Any) -> Deferred:
            conn._lease_end = factory._release
            d = start(conn)

            def failed(f: Failure) -> Failure:
                conn._abandon_lease()
                return f

            return d.addErrback(failed)

        return self._on_lease(begin)

    def _execute(self, *args: Any, convert: Any = None) -> Any:
        if is_blocking_request(args):
            return self._blocking(args, convert)
        return self._on_connection(lambda p: p._send(args, convert, True))

    def execute_command(self, *args: Any, post_proc: Optional[Callable[[Any], Any]] = None,
                        apply_timeout: bool = True) -> Any:
        if is_blocking_request(args):
            return self._blocking(args, post_proc)
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

    # Transactions and pipelines lease a connection, as txredisapi's (compatibility W9); they
    # fire with the protocol itself, as txredisapi's.
    def multi(self, keys: Any = None) -> Any:
        return self._transaction(lambda p: p.multi(keys))

    def watch(self, keys: Any) -> Any:
        return self._transaction(lambda p: p.watch(keys))

    def pipeline(self) -> Any:
        return self._transaction(lambda p: p.pipeline())

    def connected_deferred(self, handler: Any) -> Deferred:
        """Fires with the handler once the pool is full (txredisapi's ``handler._connected``)."""
        pending = self._factory.deferred
        return pending if pending is not None else succeed(handler)


def _global_reactor() -> Any:
    from twisted.internet import reactor

    return reactor


def _run_on(got: Deferred, fn: Callable[[Any], Any]) -> Any:
    """``fn(conn)`` once ``got`` fires with a connection: directly when it has fired (``fn``'s
    own Deferred is returned), else a Deferred whose cancellation cancels the wait (nothing is
    sent) or, once sent, ``fn``'s Deferred."""
    if got.called:
        box: list[Any] = []
        got.addBoth(box.append)
        if isinstance(box[0], Failure):
            return _failed(box[0])
        return fn(box[0])
    current = [got]

    def cancel(_: Deferred) -> None:
        current[0].cancel()

    def run(conn: Any) -> Any:
        r = fn(conn)
        if isinstance(r, Deferred):
            current[0] = r
        return r

    out = _AwaitableDeferred(cancel)
    got.addCallback(run).chainDeferred(out)
    return out


def _failed(f: Failure) -> Deferred:
    d = _AwaitableDeferred()
    d.errback(f)
    return d

