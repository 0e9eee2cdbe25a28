"""Connections and pools against real servers: handshake, TLS, timeouts, faults, reconnects."""

from __future__ import annotations

import asyncio
import random
import ssl

import pytest

import txredis_aio as redis
from tests.conftest import (
    ACL_PASSWORD,
    ACL_USER,
    AUTH_PASSWORD,
    LIMITED_PASSWORD,
    LIMITED_USER,
)
from txredis_aio.testing import RedisServer, free_port


async def wait_for(cond, timeout: float = 10.0) -> None:
    """Poll ``cond()`` until true (never a fixed sleep standing in for a condition)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def test_basic_commands(rc) -> None:
    """The end-to-end path: SET/GET/INCR/EXPIRE/TTL/DEL/PING/INFO/execute_command."""
    assert await rc.set("foo", "bar") == "OK"
    assert await rc.get("foo") == "bar"
    assert await rc.get("missing") is None
    assert await rc.incr("n") == 1 and await rc.incr("n", 5) == 6 and await rc.decr("n") == 5
    assert await rc.expire("foo", 100) == 1 and 0 < await rc.ttl("foo") <= 100
    assert await rc.exists("foo") == 1
    assert await rc.delete("foo", ) == 1 and await rc.exists("foo") == 0
    assert await rc.ping() == "PONG"
    assert isinstance(await rc.info(), str)
    assert "redis_version" in await rc.info("server")
    assert await rc.execute_command("ECHO", "12") == 12
    assert await rc.set("nx", 1, only_if_not_exists=True) == "OK"
    assert await rc.set("nx", 2, only_if_not_exists=True) is None
    with pytest.raises(redis.RedisError):
        rc.set("k", 1, only_if_not_exists=True, only_if_exists=True)


async def test_number_and_charset_options(redis_server: RedisServer) -> None:
    """convertNumbers and charset shape replies as in txredisapi."""
    async with redis.Connection(redis_server.host, redis_server.port, charset=None) as c:
        await c.set("k", "12")
        await c.set("b", b"\xff\x00")
        assert await c.get("k") == 12 and await c.get("b") == b"\xff\x00"
    async with redis.Connection(redis_server.host, redis_server.port, convertNumbers=False) as c:
        assert await c.get("k") == "12"


async def test_error_reply_keeps_connection_usable(rc) -> None:
    """A server error carries its text (ERR prefix kept) and the next command works."""
    await rc.set("s", "x")
    with pytest.raises(redis.ResponseError, match="^ERR value is not an integer"):
        await rc.incr("s")
    await rc.execute_command("LPUSH", "l", "a")
    with pytest.raises(redis.WrongTypeError, match="^WRONGTYPE"):
        await rc.get("l")
    assert await rc.get("s") == "x"


async def test_bad_argument_type(rc) -> None:
    """Unsupported argument types raise TypeError naming the argument; nothing is sent."""
    with pytest.raises(TypeError, match="argument 2 is of type dict"):
        rc.set("k", {"a": 1})
    assert await rc.ping() == "PONG"


async def test_pool_spreads_and_repr(redis_server: RedisServer) -> None:
    """Concurrent commands spread over the pool; repr shows address, size, state."""
    rc = await redis.ConnectionPool(redis_server.host, redis_server.port, poolsize=3)
    try:
        futs = [rc.ping() for _ in range(300)]
        loads = [s.protocol.pending for s in rc._pool._slots]
        assert sorted(loads) == [100, 100, 100]
        assert "pending=300" in repr(rc)
        await asyncio.gather(*futs)
        assert repr(rc) == (
            f"<ConnectionPool 127.0.0.1:{redis_server.port} size=3 connected=3 leased=0 pending=0>"
        )
    finally:
        await rc.disconnect()
    assert "closed" in repr(rc)
    with pytest.raises(redis.ConnectionError, match="Not connected"):
        await rc.get("x")


async def test_lazy_connection_waits_for_first_connect(redis_server: RedisServer) -> None:
    """A lazy handler is returned at once; its first command waits for the connect."""
    rc = redis.lazyConnectionPool(redis_server.host, redis_server.port, poolsize=2)
    try:
        assert await rc.ping() == "PONG"
        await rc._connected
    finally:
        await rc.disconnect()


async def test_dbid_selects_database(redis_server: RedisServer) -> None:
    """dbid sends SELECT on every connection of the pool."""
    async with redis.ConnectionPool(redis_server.host, redis_server.port, dbid=5, poolsize=2) as c:
        await c.set("in5", "yes")
        assert await c.execute_command("CLIENT", "INFO") is not None
    async with redis.Connection(redis_server.host, redis_server.port, dbid=5) as c:
        assert await c.get("in5") == "yes"
    async with redis.Connection(redis_server.host, redis_server.port, dbid=0) as c:
        assert await c.get("in5") is None


async def test_bad_dbid_is_a_clear_error(redis_server: RedisServer) -> None:
    """An out-of-range dbid fails the handshake with a clear, final error."""
    with pytest.raises(redis.HandshakeError, match="could not set dbid=999"):
        await redis.Connection(redis_server.host, redis_server.port, dbid=999)
    with pytest.raises(ValueError, match="dbid must be an integer"):
        redis.lazyConnection(redis_server.host, redis_server.port, dbid="1")  # type: ignore


async def test_unix_socket(unix_server: RedisServer) -> None:
    """Unix-socket connections and pools work; repr shows the path."""
    async with redis.UnixConnectionPool(unix_server.unixsocket, poolsize=2) as c:
        assert await c.set("u", 1) == "OK" and await c.get("u") == 1
        assert unix_server.unixsocket in repr(c)
    c2 = redis.lazyUnixConnection(unix_server.unixsocket)
    assert await c2.ping() == "PONG"
    await c2.disconnect()


async def test_password_auth(auth_server: RedisServer) -> None:
    """AUTH with the default user's password, and with an ACL user."""
    async with redis.Connection(auth_server.host, auth_server.port, password=AUTH_PASSWORD) as c:
        assert await c.ping() == "PONG"
    async with redis.Connection(
        auth_server.host, auth_server.port, password=ACL_PASSWORD, username=ACL_USER
    ) as c:
        assert await c.execute_command("ACL", "WHOAMI") == ACL_USER


async def test_wrong_password_is_clear_and_not_retried(auth_server: RedisServer) -> None:
    """A wrong password fails with a HandshakeError naming AUTH; it is not retried."""
    with pytest.raises(redis.HandshakeError, match="could not auth: WRONGPASS") as ei:
        await redis.Connection(auth_server.host, auth_server.port, password="nope")
    assert isinstance(ei.value, ValueError)  # txredisapi raised ValueError here
    assert "nope" not in str(ei.value)
    lazy = redis.lazyConnection(auth_server.host, auth_server.port, password="nope")
    with pytest.raises(redis.ConnectionError):
        await lazy.ping()
    await wait_for(lambda: lazy._pool._slots[0].state == "closed")
    await lazy.disconnect()


async def test_missing_auth_and_noperm(auth_server: RedisServer) -> None:
    """No password → NOAUTH error; a limited ACL user gets a NoPermissionError."""
    async with redis.Connection(auth_server.host, auth_server.port) as c:
        with pytest.raises(redis.AuthenticationError, match="^NOAUTH"):
            await c.get("x")
    async with redis.Connection(
        auth_server.host, auth_server.port, password=LIMITED_PASSWORD, username=LIMITED_USER
    ) as c:
        assert await c.set("allowed:1", "v") == "OK"
        with pytest.raises(redis.NoPermissionError, match="^NOPERM"):
            await c.incr("allowed:1")
        assert await c.get("allowed:1") == "v"


async def test_password_not_in_repr(auth_server: RedisServer) -> None:
    """The password never shows in repr of the handler or its config."""
    c = redis.lazyConnection(auth_server.host, auth_server.port, password=AUTH_PASSWORD)
    try:
        assert AUTH_PASSWORD not in repr(c) and AUTH_PASSWORD not in repr(c._pool.config)
    finally:
        await c.disconnect()


def _client_ctx(tls_certs: dict[str, str], with_cert: bool = True) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=tls_certs["ca"])
    if with_cert:
        ctx.load_cert_chain(tls_certs["client_cert"], tls_certs["client_key"])
    return ctx


async def test_tls_with_client_certificate(tls_server: RedisServer, tls_certs) -> None:
    """An SSLContext is used as given: private CA, client certificate, host name checked."""
    ctx = _client_ctx(tls_certs)
    async with redis.Connection("localhost", tls_server.port, ssl_context_factory=ctx) as c:
        assert await c.set("t", "tls") == "OK" and await c.get("t") == "tls"


async def test_tls_verifies_by_default(tls_server: RedisServer) -> None:
    """use_ssl=True verifies certificates: a server signed by an unknown CA is refused."""
    with pytest.raises(redis.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        await redis.Connection("localhost", tls_server.port, use_ssl=True, reconnect=False)
    with pytest.raises(redis.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        await redis.Connection("localhost", tls_server.port, ssl_context_factory=True)


async def test_tls_requires_client_certificate(tls_server: RedisServer, tls_certs) -> None:
    """Without the client certificate the server refuses the connection."""
    ctx = _client_ctx(tls_certs, with_cert=False)
    with pytest.raises(redis.ConnectionError):
        c = await redis.Connection("localhost", tls_server.port, ssl_context_factory=ctx,
                                   reconnect=False)
        try:
            await c.ping()
        finally:
            await c.disconnect()


async def test_connect_refused_fails_fast() -> None:
    """Nothing listening: awaiting a connection raises ConnectError (also a ValueError)."""
    with pytest.raises(redis.ConnectError, match="could not connect"):
        await redis.ConnectionPool("127.0.0.1", free_port(), poolsize=2)


async def test_reply_timeout_replaces_connection(redis_server: RedisServer) -> None:
    """A reply slower than replyTimeout fails with TimeoutError; the pool reconnects."""
    c = await redis.Connection(redis_server.host, redis_server.port, replyTimeout=0.2)
    try:
        with pytest.raises(redis.TimeoutError, match="Not received Redis response in 0.2 seconds"):
            await c.execute_command("DEBUG", "SLEEP", 0.6)
        async with redis.Connection(redis_server.host, redis_server.port) as other:
            assert await other.ping() == "PONG"  # the server is done sleeping
        await wait_for(lambda: c._pool.connected == 1)
        assert await c.ping() == "PONG"
    finally:
        await c.disconnect()


async def test_half_cancelled_concurrent_commands(rc) -> None:
    """1000 concurrent GETs of distinct keys, half cancelled: survivors get their own values."""
    await rc.execute_command("MSET", *[x for i in range(1000) for x in (f"k{i}", f"v{i}")])
    futs = [rc.get(f"k{i}") for i in range(1000)]
    rnd = random.Random(7)
    cancelled = set(rnd.sample(range(1000), 500))
    for i in cancelled:
        futs[i].cancel()
    results = await asyncio.gather(*futs, return_exceptions=True)
    for i, r in enumerate(results):
        if i in cancelled:
            assert isinstance(r, asyncio.CancelledError)
        else:
            assert r == f"v{i}"
    assert await rc.get("k3") == "v3"


async def test_server_killed_and_restarted() -> None:
    """Kill the server mid-command: pending fail, commands fail fast while down, then recover."""
    srv = RedisServer().start()
    try:
        rc = await redis.ConnectionPool(srv.host, srv.port, poolsize=2)
        rc._pool.initialDelay = 0.05
        blocked = rc.execute_command("DEBUG", "SLEEP", 2)
        await asyncio.sleep(0.05)
        srv.kill()
        with pytest.raises(redis.ConnectionError, match="Lost connection"):
            await blocked
        await wait_for(lambda: rc._pool.connected == 0)
        await wait_for(lambda: all(s.state == "down" for s in rc._pool._slots))
        t0 = asyncio.get_running_loop().time()
        with pytest.raises(redis.ConnectionError, match="Not connected"):
            await rc.get("x")
        assert asyncio.get_running_loop().time() - t0 < 0.5
        srv.start()
        await wait_for(lambda: rc._pool.connected == 2)
        assert await rc.set("back", 1) == "OK"
        await rc.disconnect()
    finally:
        srv.cleanup()


async def _garbage_server(payload: bytes) -> tuple[asyncio.AbstractServer, int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(payload)
        await writer.drain()
        await asyncio.sleep(1)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def test_garbage_peer_gives_invalid_response() -> None:
    """A peer that sends garbage: the handshake's HELLO fails, and the waiting command with it, with
    a ConnectError naming InvalidResponse; the connection is closed, nothing hangs."""
    server, port = await _garbage_server(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    try:
        c = redis.lazyConnection("127.0.0.1", port, reconnect=False)
        with pytest.raises(redis.ConnectError, match="InvalidResponse"):
            await asyncio.wait_for(c.ping(), 5)
        await c.disconnect()
    finally:
        server.close()
