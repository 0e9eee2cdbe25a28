"""RedisFactory / SubscriberFactory / MonitorFactory against real servers, both generations of use.

txredisapi 1.6 connects factories with ``factory.startConnecting(endpoint)``; ≤1.5 code used
``reactor.connectTCP(host, port, factory)`` or ``internet.TCPClient``. Both must work, over TCP,
UNIX sockets, IPv6 names and Twisted's own TLS.
"""

from __future__ import annotations

import time
from typing import Any, Iterator

import pytest
import pytest_twisted
from twisted.application import internet
from twisted.internet import defer, endpoints, reactor, ssl

import txredis_aio_twisted as redis
from txredis_aio.testing import RedisServer


def sleep(seconds: float) -> defer.Deferred:
    d: defer.Deferred = defer.Deferred()
    reactor.callLater(seconds, d.callback, None)
    return d


@defer.inlineCallbacks
def wait_for(cond: Any, timeout: float = 5.0) -> Any:
    """Poll ``cond()`` until true or the deadline passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        yield sleep(0.01)
    return cond()


class Sub(redis.SubscriberProtocol):
    """Records messages; subscribes from connectionMade when ``channels`` is set (README style)."""

    channels: list[str] = []
    received: list[Any] = []

    def connectionMade(self) -> None:
        super().connectionMade()
        if self.channels:
            self.subscribe(self.channels)

    def messageReceived(self, pattern: Any, channel: Any, message: Any) -> None:
        type(self).received.append((pattern, channel, message))


class Mon(redis.MonitorProtocol):
    """Records monitored lines."""

    lines: list[Any] = []

    def messageReceived(self, message: Any) -> None:
        type(self).lines.append(message)


@pytest.fixture
def server(tw_server: RedisServer) -> Iterator[RedisServer]:
    yield tw_server


@pytest_twisted.inlineCallbacks
def test_subscriber_factory_start_connecting(server: RedisServer) -> Any:
    """1.6 way: startConnecting(HostnameEndpoint); subscribe/psubscribe; messages arrive; disconnect."""
    Sub.received = []
    factory = redis.SubscriberFactory()
    factory.protocol = Sub
    factory.reconnect = False
    factory.startConnecting(endpoints.HostnameEndpoint(reactor, server.host, server.port))
    handler = yield factory.deferred
    assert (yield handler.subscribe(["c1", "c2"])) == ["subscribe", "c1", 1]
    assert (yield handler.psubscribe("p*")) == ["psubscribe", "p*", 3]
    pub = yield redis.Connection(server.host, server.port)
    assert (yield pub.publish("c1", "hello")) == 1
    assert (yield pub.publish("px", "42")) == 1
    assert (yield wait_for(lambda: len(Sub.received) == 2))
    assert Sub.received == [(None, "c1", "hello"), ("p*", "px", 42)]
    kind, channel, count = yield handler.unsubscribe()  # from all channels (the pattern stays)
    assert (kind, count) == ("unsubscribe", 2) and channel in ("c1", "c2")
    assert (yield handler.punsubscribe()) == ["punsubscribe", "p*", 0]
    yield pub.disconnect()
    yield factory.disconnect()
    assert factory.size == 0


@pytest_twisted.inlineCallbacks
def test_subscriber_factory_connect_tcp_old_style(server: RedisServer) -> Any:
    """≤1.5 way: reactor.connectTCP(host, port, SubscriberFactory()) with subscribe in connectionMade."""
    Sub.received = []
    Sub.channels = ["old"]
    try:
        factory = redis.SubscriberFactory()
        factory.protocol = Sub
        connector = reactor.connectTCP(server.host, server.port, factory)
        yield factory.deferred
        pub = yield redis.Connection(server.host, server.port)
        assert (yield wait_for(lambda: len(Sub.received) > 0 or False, 0.01)) is False
        for _ in range(200):  # the SUBSCRIBE from connectionMade may still be in flight
            if (yield pub.publish("old", "x")) == 1:
                break
            yield sleep(0.01)
        assert (yield wait_for(lambda: Sub.received == [(None, "old", "x")]))
        factory.stopTrying()
        connector.disconnect()
        yield pub.disconnect()
        assert (yield wait_for(lambda: factory.size == 0))
    finally:
        Sub.channels = []


@pytest_twisted.inlineCallbacks
def test_factory_internet_tcpclient_service(server: RedisServer) -> Any:
    """≤1.5 way: internet.TCPClient(host, port, RedisFactory(...)) as a service; commands via handler."""
    factory = redis.RedisFactory(None, 0, 1)
    svc = internet.TCPClient(server.host, server.port, factory)
    svc.startService()
    handler = yield factory.deferred
    yield handler.set("tcpclient", "v")
    assert (yield handler.get("tcpclient")) == "v"
    assert repr(handler).startswith("<Redis Connection: None - 1 connection(s)")
    factory.stopTrying()
    yield svc.stopService()
    assert (yield wait_for(lambda: factory.size == 0))


@pytest_twisted.inlineCallbacks
def test_monitor_factory(server: RedisServer) -> Any:
    """MonitorProtocol: monitor() fires with OK; monitored commands reach messageReceived."""
    Mon.lines = []
    factory = redis.MonitorFactory()
    factory.protocol = Mon
    factory.reconnect = False
    factory.startConnecting(endpoints.HostnameEndpoint(reactor, server.host, server.port))
    handler = yield factory.deferred
    assert (yield handler.monitor()) == "OK"
    rc = yield redis.Connection(server.host, server.port)
    yield rc.set("monitored", "1")
    assert (yield wait_for(lambda: any('"monitored"' in str(x) for x in Mon.lines)))
    yield rc.disconnect()
    yield factory.disconnect()


@pytest_twisted.inlineCallbacks
def test_factory_reconnect_false_fails_fast() -> Any:
    """reconnect=False and nothing listening: factory.deferred errbacks a ValueError/ConnectionError."""
    from txredis_aio.testing import free_port

    factory = redis.RedisFactory(None, None, 1)
    factory.reconnect = False
    factory.startConnecting(endpoints.HostnameEndpoint(reactor, "127.0.0.1", free_port()))
    with pytest.raises(ValueError) as info:
        yield factory.deferred
    assert "could not connect" in str(info.value)
    assert isinstance(info.value, redis.ConnectionError)
    with pytest.raises(redis.ConnectionError, match="Not connected"):
        yield factory.handler.get("x")
    yield factory.disconnect()


@pytest_twisted.inlineCallbacks
def test_authenticated_subscriber_via_redis_factory() -> Any:
    """txredisapi's recipe: RedisFactory(None, dbid=0, poolsize=1, password=...) + SubscriberProtocol."""
    with RedisServer(args=["--requirepass", "pw"]) as srv:
        factory = redis.RedisFactory(None, dbid=0, poolsize=1, password="pw")
        factory.protocol = redis.SubscriberProtocol
        factory.startConnecting(endpoints.HostnameEndpoint(reactor, srv.host, srv.port))
        handler = yield factory.deferred
        assert (yield handler.subscribe("chan")) == ["subscribe", "chan", 1]
        yield factory.disconnect()

        bad = redis.RedisFactory(None, dbid=0, poolsize=1, password="wrong")
        bad.startConnecting(endpoints.HostnameEndpoint(reactor, srv.host, srv.port))
        with pytest.raises(ValueError, match="could not auth"):
            yield bad.deferred
        yield bad.disconnect()


@pytest_twisted.inlineCallbacks
def test_factory_over_unix_socket(unix_server: RedisServer) -> Any:
    """A RedisFactory connected over a UNIX endpoint runs commands like a TCP one."""
    factory = redis.RedisFactory(unix_server.unixsocket, None, 2)
    factory.startConnecting(endpoints.UNIXClientEndpoint(reactor, unix_server.unixsocket))
    handler = yield factory.deferred
    assert factory.size == 2
    yield handler.set("unix-key", 5)
    assert (yield handler.get("unix-key")) == 5
    yield factory.disconnect()


@pytest_twisted.inlineCallbacks
def test_ipv6_names_through_factory_and_functions() -> Any:
    """A server on ::1 is reached by HostnameEndpoint and by Connection with an IPv6 address.

    (This machine has no IPv6 name for loopback; txredisapi's own IPv6 test uses ``::1`` too.)
    """
    srv = RedisServer(args=["--bind", "::1"])
    srv.host = "::1"
    with srv:
        factory = redis.RedisFactory(None, None, 1)
        factory.reconnect = False
        factory.startConnecting(endpoints.HostnameEndpoint(reactor, b"::1", srv.port))
        handler = yield factory.deferred
        assert (yield handler.ping()) == "PONG"
        yield factory.disconnect()
        rc = yield redis.Connection("::1", srv.port, reconnect=False)
        assert (yield rc.ping()) == "PONG"
        yield rc.disconnect()


@pytest_twisted.inlineCallbacks
def test_twisted_tls_context_factories(tls_server: RedisServer, tls_certs: dict[str, str]) -> Any:
    """Twisted TLS: RedisFactory over wrapClientTLS(optionsForClientTLS(...)), and the core path
    given ``ssl_context_factory=CertificateOptions(...)`` or the ``optionsForClientTLS(...)``
    object (client certificate, CA and host name verification)."""
    ca = ssl.Certificate.loadPEM(open(tls_certs["ca"], "rb").read())
    client = ssl.PrivateCertificate.loadPEM(
        open(tls_certs["client_key"], "rb").read() + open(tls_certs["client_cert"], "rb").read())
    opts = ssl.optionsForClientTLS("localhost", trustRoot=ca, clientCertificate=client)
    endpoint = endpoints.wrapClientTLS(
        opts, endpoints.HostnameEndpoint(reactor, tls_server.host, tls_server.port))
    factory = redis.RedisFactory(None, None, 1)
    factory.reconnect = False
    factory.startConnecting(endpoint)
    handler = yield factory.deferred
    assert (yield handler.ping()) == "PONG"
    yield factory.disconnect()

    certopts = ssl.CertificateOptions(privateKey=client.privateKey.original,
                                      certificate=client.original, verify=True,
                                      caCerts=[ca.original])
    rc = yield redis.Connection(tls_server.host, tls_server.port, ssl_context_factory=certopts,
                                reconnect=False)
    assert (yield rc.ping()) == "PONG"
    yield rc.disconnect()

    # optionsForClientTLS(...) itself as ssl_context_factory: its trust root and client certificate.
    rc = yield redis.Connection(tls_server.host, tls_server.port, ssl_context_factory=opts,
                                reconnect=False)
    assert (yield rc.ping()) == "PONG"
    yield rc.disconnect()
