"""An application's worker replication over the shim (``replication_app``: a ``RedisFactory``
subclass with a constant ``continueTrying``, a ping loop and hooks, a ``SubscriberProtocol``
subclass subscribing from ``connectionMade``, a lazy outbound handler, ``connectTCP`` with a
bytes host): on MemoryReactorClock against the in-memory server, on the asyncio reactor against
a real server, and on Twisted's default reactor in a process of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest_twisted
from fake_redis import ConnectingReactor, FakeRedisServer
from replication_app import App, SubscriberFactory, lazy_connection, scenario
from tw_support import ROOT, fired, without_asyncio_loop
from twisted.internet import defer, reactor

from txredis_aio.testing import RedisServer


@without_asyncio_loop
def test_replication_on_memory_reactor() -> None:
    """On MemoryReactorClock with in-memory transports: the subscriber subscribes from
    connectionMade, a message published from the lazy handler (issued before its connection was
    up) reaches ``messageReceived``, the ping loop pings ``factory.pool``; the lost connection is
    re-made by the factory's clock within ``maxDelay``, subscribes again and receives again;
    ``disconnect()`` leaves nothing on the clock. No asyncio loop runs."""
    clock = ConnectingReactor()
    server = FakeRedisServer()
    app = App()
    out = lazy_connection(app, clock, clock, "localhost", 6379)
    out._factory.clock = clock
    sub = SubscriberFactory(app, clock, ["replication"])
    sub.clock = clock
    started = sub.deferred
    clock.connectTCP(b"localhost", 6379, sub, timeout=30, bindAddress=None)
    assert [c[0] for c in clock.tcpClients] == [b"localhost", b"localhost"]
    assert [c[3:] for c in clock.tcpClients] == [(30, None), (30, None)]
    out_connector, sub_connector = clock.pending()

    published = out.publish("replication", "one")  # lazy: waits for the connection
    sub_pump = clock.complete(sub_connector, server)
    sub_pump.flush()
    assert fired(started) is sub.handler
    assert app.subscribed and server.commands() == [b"SUBSCRIBE"]
    out_pump = clock.complete(out_connector, server)
    out_pump.flush()
    assert fired(published) == 1
    sub_pump.flush()
    assert app.received == [(None, "replication", "one")]

    sub.pinger.start(30, now=False)
    clock.advance(30)
    sub_pump.flush()
    assert sub.pongs == [["pong", ""]]

    (conn,) = [c for c in server.connections if c.channels]
    conn.transport.loseConnection()  # type: ignore[union-attr]
    sub_pump.flush()
    assert len(app.lost) == 1 and sub.size == 0
    assert app.events[-1] == "lost subscriber"
    clock.advance(sub.maxDelay * 1.5)
    assert sub_connector.connecting and sub_connector.attempts == 2
    sub_pump = clock.complete(sub_connector, server)
    sub_pump.flush()
    assert len(app.subscribed) == 2 and server.commands().count(b"SUBSCRIBE") == 2
    published = out.publish("replication", "two")
    out_pump.flush()
    sub_pump.flush()
    assert fired(published) == 1
    assert app.received[-1] == (None, "replication", "two")

    sub.pinger.stop()
    done = [sub.disconnect(), out.disconnect()]
    sub_pump.flush()
    out_pump.flush()
    assert [fired(d) for d in done] == [None, None]
    assert clock.getDelayedCalls() == []
    assert server.connections == []


@pytest_twisted.inlineCallbacks
def test_replication_on_asyncio_reactor(tw_server: RedisServer) -> Any:
    """The same application on the asyncio reactor against a real server: subscribe, publish,
    ``CLIENT KILL TYPE pubsub``, reconnect, subscribe again, receive again, disconnect."""
    res = yield defer.ensureDeferred(scenario(reactor, tw_server.host, tw_server.port))
    assert res["received"] == [(None, "replication", "one"), (None, "replication", "two")]
    assert res["subscribers"] == 2
    assert res["pongs"][0] == ["pong", ""]
    assert "lost subscriber" in res["events"]


_DEFAULT_REACTOR_SCRIPT = """
import json, sys
from twisted.internet import defer, reactor  # the default reactor, before the shim
import txredis_aio_twisted
from replication_app import scenario

result = {"reactor": type(reactor).__name__}
def run():
    d = defer.ensureDeferred(scenario(reactor, sys.argv[1], int(sys.argv[2])))
    d.addCallbacks(lambda r: result.update(r), lambda f: result.update(error=f.getTraceback()))
    d.addBoth(lambda _: reactor.stop())
reactor.callWhenRunning(run)
reactor.callLater(30, reactor.stop)
reactor.run()
print(json.dumps(result))
"""


def test_replication_on_default_reactor(tw_server: RedisServer) -> None:
    """The same application on Twisted's default reactor (installed before the shim, no asyncio
    loop anywhere), in a process of its own."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests" / "twisted")]))
    proc = subprocess.run([sys.executable, "-c", _DEFAULT_REACTOR_SCRIPT, tw_server.host,
                           str(tw_server.port)], capture_output=True, text=True, env=env,
                          timeout=60, cwd=str(ROOT))
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "error" not in res, res["error"]
    assert "Asyncio" not in res["reactor"]
    assert res["received"] == [[None, "replication", "one"], [None, "replication", "two"]]
    assert res["subscribers"] == 2
