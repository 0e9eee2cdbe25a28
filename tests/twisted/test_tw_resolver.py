"""The connection functions resolve TCP host names through the reactor's ``nameResolver``.

A resolver installed with ``reactor.installNameResolver`` maps made-up names (``*.test``, which
the system cannot resolve) to addresses; the server listens on 127.0.0.1 and ::1, and ``CLIENT
INFO`` says which one a connection reached. Every test restores the reactor's resolver.
"""

from __future__ import annotations

import socket
from typing import Any, Iterator, Optional, Sequence

import pytest
import pytest_twisted
from twisted.internet import reactor, task
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IHostResolution, IResolutionReceiver
from zope.interface import implementer

import txredis_aio_twisted as redis
from txredis_aio.testing import RedisServer

V6_ONLY = "redis-only-v6.test"
V4_ONLY = "redis-only-v4.test"


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:
        pass


@implementer(IHostnameResolver)
class MapResolver:
    """Resolves names from a fixed map (no answer: not found; ``hang``: never answers)."""

    def __init__(self, names: dict[str, Sequence[str]], hang: Sequence[str] = ()) -> None:
        self.names = names
        self.hang = set(hang)
        self.asked: list[str] = []

    def resolveHostName(self, resolutionReceiver: IResolutionReceiver, hostName: str,
                        portNumber: int = 0, addressTypes: Optional[Sequence[type]] = None,
                        transportSemantics: str = "TCP") -> IHostResolution:
        self.asked.append(hostName)
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        if hostName in self.hang:
            return resolution
        for ip in self.names.get(hostName, ()):
            cls = IPv6Address if ":" in ip else IPv4Address
            resolutionReceiver.addressResolved(cls("TCP", ip, portNumber))
        resolutionReceiver.resolutionComplete()
        return resolution


@pytest.fixture(scope="module")
def dual_server() -> Iterator[RedisServer]:
    """A server on 127.0.0.1 and ::1 (RedisServer binds 127.0.0.1; a later --bind replaces it)."""
    if not _ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    with RedisServer(args=["--bind", "127.0.0.1", "::1"]) as srv:
        yield srv


@pytest.fixture
def resolver() -> Iterator[MapResolver]:
    """``MapResolver`` installed on the reactor for the test; the previous one back after."""
    r = MapResolver({V6_ONLY: ["::1"], V4_ONLY: ["127.0.0.1"]})
    previous = reactor.installNameResolver(r)  # type: ignore[attr-defined]
    try:
        yield r
    finally:
        reactor.installNameResolver(previous)  # type: ignore[attr-defined]


def _laddr(info: str) -> str:
    """The server-side address of a connection, from CLIENT INFO (``[::1]:6379``)."""
    return next(f[6:] for f in info.split() if f.startswith("laddr="))


@pytest_twisted.inlineCallbacks
def test_ipv6_only_name_from_twisted_resolver(dual_server: RedisServer,
                                              resolver: MapResolver) -> Any:
    """A name with only an AAAA answer from the reactor's resolver: ``Connection`` and
    ``ConnectionPool`` connect to ::1 (asyncio's getaddrinfo cannot resolve the name at all);
    the resolver is asked before each connect attempt; repr keeps the name."""
    port = dual_server.port
    rc = yield redis.Connection(V6_ONLY, port)
    info = yield rc.execute_command("CLIENT", "INFO")
    assert _laddr(info).startswith("[::1]:")
    assert repr(rc) == f"<Redis Connection: {V6_ONLY}:{port} - 1 connection(s)>"
    assert resolver.asked == [V6_ONLY]
    yield rc.disconnect()

    pool = yield redis.ConnectionPool(V6_ONLY, port, poolsize=3)
    assert resolver.asked.count(V6_ONLY) == 4
    yield pool.set("resolver:k", "v")
    assert (yield pool.get("resolver:k")) == "v"
    yield pool.disconnect()


@pytest_twisted.inlineCallbacks
def test_ipv4_name_lazy_and_sharded(dual_server: RedisServer, resolver: MapResolver) -> Any:
    """An A-only name on a lazy connection and on sharded handlers (placement by the name as
    given, ``"name:port"``): both connect to 127.0.0.1 through the reactor's resolver."""
    port = dual_server.port
    lazy = redis.lazyConnection(V4_ONLY, port)
    yield lazy._connected.addTimeout(10, reactor)
    info = yield lazy.execute_command("CLIENT", "INFO")
    assert _laddr(info).startswith("127.0.0.1:")
    yield lazy.disconnect()

    sharded = yield redis.ShardedConnection([f"{V4_ONLY}:{port}", f"{V6_ONLY}:{port}"])
    assert [n._core._pool.config.address for n in sharded.nodes] == [
        f"{V4_ONLY}:{port}", f"{V6_ONLY}:{port}"]
    yield sharded.set("resolver:a", 1)
    assert (yield sharded.get("resolver:a")) == 1
    laddrs = []
    for node in sharded.nodes:
        laddrs.append(_laddr((yield node.execute_command("CLIENT", "INFO"))))
    assert laddrs[0].startswith("127.0.0.1:") and laddrs[1].startswith("[::1]:")
    yield sharded.disconnect()


@pytest_twisted.inlineCallbacks
def test_ip_literal_is_not_resolved(dual_server: RedisServer, resolver: MapResolver) -> Any:
    """An IP literal (IPv4, or IPv6 as a sharded ``[::1]:port``) connects without asking the
    resolver."""
    rc = yield redis.Connection("127.0.0.1", dual_server.port)
    sharded = yield redis.ShardedConnection([f"[::1]:{dual_server.port}"])
    assert resolver.asked == []
    yield rc.disconnect()
    yield sharded.disconnect()


@pytest_twisted.inlineCallbacks
def test_name_not_found_and_hanging_resolver(dual_server: RedisServer,
                                             resolver: MapResolver) -> Any:
    """No address from the resolver: the Deferred errbacks ``ConnectError`` (a ``ValueError``, as
    txredisapi's connect errors) saying so; a resolver that never answers is bounded by
    ``connectTimeout``."""
    with pytest.raises(redis.ConnectError, match="'nowhere.test' not found") as e:
        yield redis.Connection("nowhere.test", dual_server.port, reconnect=False)
    assert isinstance(e.value, ValueError)
    resolver.hang.add("slow.test")
    started = reactor.seconds()  # type: ignore[attr-defined]
    with pytest.raises(redis.ConnectError, match="timed out after 0.3 s"):
        yield redis.Connection("slow.test", dual_server.port, reconnect=False, connectTimeout=0.3)
    assert reactor.seconds() - started < 3  # type: ignore[attr-defined]


@pytest_twisted.inlineCallbacks
def test_next_address_after_a_failed_attempt(dual_server: RedisServer,
                                             resolver: MapResolver) -> Any:
    """A name with two addresses, the first refusing (127.0.0.2: nothing listens there): the
    first attempt fails, the next one takes the second address; after the connection is lost
    the reconnect asks the resolver again and goes to the address that worked."""
    resolver.names["two.test"] = ["127.0.0.2", "::1"]
    rc = redis.lazyConnection("two.test", dual_server.port)
    pool = rc._core._pool
    pool.initialDelay = 0.05  # a short backoff after the refused attempt
    yield rc._connected.addTimeout(10, reactor)
    assert resolver.asked == ["two.test", "two.test"]
    assert _laddr((yield rc.execute_command("CLIENT", "INFO"))).startswith("[::1]:")
    yield task.deferLater(reactor, 0.1, lambda: None)  # up for longer than initialDelay
    victim = yield rc.execute_command("CLIENT", "ID")
    killer = yield redis.Connection("127.0.0.1", dual_server.port)
    assert (yield killer.client_kill(id=victim)) == 1
    yield killer.disconnect()
    for _ in range(100):
        if pool.connected:
            break
        yield task.deferLater(reactor, 0.02, lambda: None)
    assert pool.connected and resolver.asked == ["two.test"] * 3
    assert _laddr((yield rc.execute_command("CLIENT", "INFO"))).startswith("[::1]:")
    yield rc.disconnect()


@pytest_twisted.inlineCallbacks
def test_default_resolver_leaves_names_to_asyncio(dual_server: RedisServer) -> Any:
    """With Twisted's default resolver (the system's getaddrinfo) the name goes to asyncio as
    before, which tries every address: ``localhost`` connects whichever family comes first."""
    from txredis_aio_twisted._resolve import system_resolver

    assert system_resolver(reactor.nameResolver)  # type: ignore[attr-defined]
    rc = yield redis.Connection("localhost", dual_server.port)
    assert (yield rc.ping()) == "PONG"
    yield rc.disconnect()
