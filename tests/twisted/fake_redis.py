"""In-memory stand-ins for a Redis server and for a reactor's TCP connectors (no sockets).

``FakeRedisServer`` is a protocol factory speaking just enough RESP2 (parsed with
``hiredis.Reader``) for pub/sub applications: PING, AUTH, SELECT, SET/GET, PUBLISH,
SUBSCRIBE, MONITOR, EVAL/EVALSHA/SCRIPT LOAD (the script's text is its result), CLIENT KILL
TYPE pubsub. ``ConnectingReactor`` is a ``MemoryReactorClock`` whose ``connectTCP`` returns a
connector that behaves as a real one towards a ``ReconnectingClientFactory``: ``connect()``
starts a new attempt, the loss of a connection it made is reported to
``factory.clientConnectionLost``. The test decides how each attempt ends
(``complete``/``fail``) and moves bytes with the returned ``IOPump``.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any, Optional

import hiredis
from twisted.internet import error
from twisted.internet.address import IPv4Address
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure
from twisted.test import iosim


class Status(str):
    """A RESP simple string reply (``+OK``)."""


class Error(str):
    """A RESP error reply (``-ERR ...``)."""


def encode(obj: Any) -> bytes:
    """One RESP2 reply."""
    if isinstance(obj, Status):
        return b"+" + obj.encode() + b"\r\n"
    if isinstance(obj, Error):
        return b"-" + obj.encode() + b"\r\n"
    if obj is None:
        return b"$-1\r\n"
    if isinstance(obj, int):
        return b":%d\r\n" % obj
    if isinstance(obj, str):
        obj = obj.encode()
    if isinstance(obj, bytes):
        return b"$%d\r\n%s\r\n" % (len(obj), obj)
    return b"*%d\r\n" % len(obj) + b"".join(encode(x) for x in obj)


class FakeRedisConnection(Protocol):
    """The server side of one client connection."""

    def __init__(self, server: FakeRedisServer) -> None:
        self.server = server
        self.reader = hiredis.Reader()
        self.channels: set[bytes] = set()
        self.authenticated = server.password is None

    def connectionMade(self) -> None:
        self.server.connections.append(self)

    def connectionLost(self, reason: Optional[Failure] = None) -> None:
        self.server.connections.remove(self)
        if self in self.server.monitors:
            self.server.monitors.remove(self)
        for ch in self.channels:
            self.server.subscribers[ch].discard(self)

    def dataReceived(self, data: bytes) -> None:
        self.reader.feed(data)
        while True:
            request = self.reader.gets()
            if request is False:
                return
            self.server.requests.append(request)
            for monitor in self.server.monitors:
                if monitor is not self:
                    line = " ".join(f'"{a.decode()}"' for a in request)
                    monitor.send(Status(f"1700000000.000000 [0 127.0.0.1:1] {line}"))
            if not self.server.silent:
                self.send(self.answer(request[0].upper(), request[1:]))

    def send(self, reply: Any) -> None:
        assert self.transport is not None
        self.transport.write(encode(reply))

    def answer(self, cmd: bytes, args: list[bytes]) -> Any:
        srv = self.server
        if cmd == b"AUTH":
            if args[-1].decode() != srv.password:
                return Error("WRONGPASS invalid username-password pair or user is disabled.")
            self.authenticated = True
            return Status("OK")
        if not self.authenticated:
            return Error("NOAUTH Authentication required.")
        if cmd == b"SUBSCRIBE":
            for ch in args:  # one confirmation per channel; the last one is the reply
                self.channels.add(ch)
                srv.subscribers[ch].add(self)
                if ch != args[-1]:
                    self.send([b"subscribe", ch, len(self.channels)])
            return [b"subscribe", args[-1], len(self.channels)]
        if cmd == b"MONITOR":
            srv.monitors.append(self)
            return Status("OK")
        if cmd == b"PING":
            return [b"pong", b""] if self.channels else Status("PONG")
        if cmd == b"PUBLISH":
            receivers = list(srv.subscribers[args[0]])
            for conn in receivers:
                conn.send([b"message", args[0], args[1]])
            return len(receivers)
        if cmd == b"SELECT":
            return Status("OK")
        if cmd == b"SET":
            srv.data[args[0]] = args[1]
            return Status("OK")
        if cmd == b"GET":
            return srv.data.get(args[0])
        if cmd == b"SCRIPT" and args[0].upper() == b"LOAD":
            sha = hashlib.sha1(args[1]).hexdigest()
            srv.scripts[sha] = args[1]
            return sha
        if cmd == b"EVAL":
            srv.scripts[hashlib.sha1(args[0]).hexdigest()] = args[0]
            return args[0]
        if cmd == b"EVALSHA":
            script = srv.scripts.get(args[0].decode())
            return Error("NOSCRIPT No matching script.") if script is None else script
        if cmd == b"CLIENT" and args[0].upper() == b"KILL":
            victims = [c for c in srv.connections if c.channels]
            for c in victims:
                assert c.transport is not None
                c.transport.loseConnection()
            return len(victims)
        return Error(f"ERR unknown command '{cmd.decode()}'")


class FakeRedisServer(Factory):
    """Shared state of the fake server: data, channels, the requests seen, the connections."""

    def __init__(self, password: Optional[str] = None) -> None:
        self.password = password
        self.silent = False  # True: read requests, never answer (a frozen server)
        self.data: dict[bytes, bytes] = {}
        self.scripts: dict[str, bytes] = {}
        self.subscribers: defaultdict[bytes, set[FakeRedisConnection]] = defaultdict(set)
        self.connections: list[FakeRedisConnection] = []
        self.monitors: list[FakeRedisConnection] = []
        self.requests: list[list[bytes]] = []

    def buildProtocol(self, addr: Any) -> FakeRedisConnection:
        return FakeRedisConnection(self)

    def commands(self) -> list[bytes]:
        """The command names received so far, in order."""
        return [r[0].upper() for r in self.requests]


class _ClientTransport(iosim.FakeTransport):
    """Reports the end of the connection to the connector's factory, as a reactor does."""

    connector: Connector

    def reportDisconnect(self) -> None:
        super().reportDisconnect()
        self.connector.factory.clientConnectionLost(self.connector, Failure(self.disconnectReason))


class Connector:
    """What ``connectTCP`` returns: each ``connect()`` is one attempt the test ends."""

    def __init__(self, reactor: ConnectingReactor, host: Any, port: int, factory: Any) -> None:
        self.reactor = reactor
        self.host = host
        self.port = port
        self.factory = factory
        self.connecting = False
        self.attempts = 0

    def connect(self) -> None:
        self.connecting = True
        self.attempts += 1
        self.factory.startedConnecting(self)

    def stopConnecting(self) -> None:
        if not self.connecting:
            raise error.NotConnectingError()
        self.connecting = False
        self.factory.clientConnectionFailed(self, Failure(error.UserError()))

    def disconnect(self) -> None:
        if self.connecting:
            self.stopConnecting()

    def getDestination(self) -> IPv4Address:
        return IPv4Address("TCP", "127.0.0.1", self.port)


class ConnectingReactor(MemoryReactorClock):
    """``MemoryReactorClock`` with connectors that reconnect (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.tcp_connectors: list[Connector] = []

    def connectTCP(self, host: Any, port: int, factory: Any, timeout: float = 30,  # type: ignore[override]
                   bindAddress: Any = None) -> Connector:
        self.tcpClients.append((host, port, factory, timeout, bindAddress))
        c = Connector(self, host, port, factory)
        self.tcp_connectors.append(c)
        c.connect()
        return c

    def pending(self) -> list[Connector]:
        """The connectors with an attempt in progress."""
        return [c for c in self.tcp_connectors if c.connecting]

    def complete(self, connector: Connector, server: FakeRedisServer) -> iosim.IOPump:
        """The connector's attempt succeeds: a connection to ``server``, bytes not yet moved."""
        assert connector.connecting, "no attempt in progress"
        connector.connecting = False
        addr = connector.getDestination()
        client = connector.factory.buildProtocol(addr)
        srv = server.buildProtocol(addr)
        client_transport = _ClientTransport(client, isServer=False, peerAddress=addr)
        client_transport.connector = connector
        return iosim.connect(srv, iosim.makeFakeServer(srv), client, client_transport, clock=self)

    def fail(self, connector: Connector, reason: Optional[Failure] = None) -> None:
        """The connector's attempt fails (connection refused unless ``reason``)."""
        assert connector.connecting, "no attempt in progress"
        connector.connecting = False
        connector.factory.clientConnectionFailed(connector, reason or Failure(error.ConnectionRefusedError()))
