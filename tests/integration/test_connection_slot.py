"""The connection slot's supervisor against real servers: which handshake errors are final,
backoff after a connection that drops as soon as it is set up, and never hanging on a peer that
stopped reading (a SIGSTOPped server)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import Iterator

import pytest

import txredis_aio as redis
from tests.conftest import LIMITED_PASSWORD, LIMITED_USER
from txredis_aio.testing import RedisServer


async def wait_for(cond, timeout: float = 10.0) -> None:
    """Poll ``cond()`` until true (never a fixed sleep standing in for a condition)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def _resp(*args: str) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def raw_command(srv: RedisServer, *args: str, sock: socket.socket | None = None) -> bytes:
    """Send one command on a plain socket (blocking, 5 s timeout) and return the raw reply."""
    s = sock or socket.create_connection((srv.host, srv.port), timeout=5)
    try:
        s.sendall(_resp(*args))
        data = s.recv(65536)
        if data.startswith(b"$"):  # a bulk string: read until complete
            size = int(data[1:data.index(b"\r\n")])
            while len(data) < data.index(b"\r\n") + 2 + size + 2:
                data += s.recv(65536)
        return data
    finally:
        if sock is None:
            s.close()


@contextlib.contextmanager
def busy_script(srv: RedisServer) -> Iterator[None]:
    """Keep the server BUSY in an endless Lua loop until the block ends (then SCRIPT KILL)."""
    runner = socket.create_connection((srv.host, srv.port), timeout=5)
    try:
        runner.sendall(_resp("EVAL", "while 1 do end", "0"))
        deadline = time.monotonic() + 10
        while not raw_command(srv, "PING").startswith(b"-BUSY"):
            assert time.monotonic() < deadline, "the server never became BUSY"
            time.sleep(0.02)
        yield
    finally:
        deadline = time.monotonic() + 10
        while raw_command(srv, "SCRIPT", "KILL").startswith(b"-BUSY"):  # pragma: no cover
            assert time.monotonic() < deadline
            time.sleep(0.05)
        runner.close()


def hold_all_clients(srv: RedisServer, n: int) -> list[socket.socket]:
    """Open ``n`` raw clients that the server really accepted (each answered PING)."""
    held: list[socket.socket] = []
    deadline = time.monotonic() + 10
    while len(held) < n:
        assert time.monotonic() < deadline, "the server kept refusing clients"
        s = socket.create_connection((srv.host, srv.port), timeout=5)
        if raw_command(srv, "PING", sock=s) == b"+PONG\r\n":
            held.append(s)
        else:  # the start-up probe was still counted: try again
            s.close()
            time.sleep(0.02)
    return held


# -- (3) which handshake errors are final -------------------------------------------------------


async def test_busy_during_reconnect_handshake_is_retried() -> None:
    """Connections that drop while a script keeps the server BUSY get -BUSY to SELECT: that is a
    temporary ConnectError (backoff and retry), not a final HandshakeError; after SCRIPT KILL the
    pool is back and commands run in the selected database."""
    with RedisServer(["--busy-reply-threshold", "100"]) as srv:
        rc = await redis.ConnectionPool(srv.host, srv.port, dbid=1, poolsize=2)
        try:
            pool = rc._pool
            pool.initialDelay = 0.05
            await rc.set("k", "v")
            with busy_script(srv):
                for s in pool._slots:  # the network drops both connections
                    s.protocol.transport.abort()
                await wait_for(lambda: all(
                    s.last_error is not None and "BUSY" in str(s.last_error) for s in pool._slots))
                for s in pool._slots:
                    assert s.state in ("down", "connecting"), s.state
                    assert isinstance(s.last_error, redis.ConnectError)
                    assert not isinstance(s.last_error, redis.HandshakeError)
                    assert isinstance(s.last_error.__cause__, redis.BusyError)
            await wait_for(lambda: pool.connected == 2)
            assert await rc.get("k") == "v"
        finally:
            await rc.disconnect()


async def test_busy_first_connect_raises_at_once_then_lazy_recovers() -> None:
    """Non-lazy Connection() during BUSY raises the first error (a ConnectError naming BUSY) at
    once; a lazy pool keeps retrying and works once the script is killed."""
    with RedisServer(["--busy-reply-threshold", "100"]) as srv:
        with busy_script(srv):
            t0 = time.monotonic()
            with pytest.raises(redis.ConnectError, match="could not set dbid=2: BUSY") as ei:
                await redis.Connection(srv.host, srv.port, dbid=2)
            assert time.monotonic() - t0 < 3
            assert not isinstance(ei.value, redis.HandshakeError)
            lazy = redis.lazyConnection(srv.host, srv.port, dbid=2)
            lazy._pool.initialDelay = 0.05
            slot = lazy._pool._slots[0]
            await wait_for(lambda: slot.last_error is not None)
            assert slot.state != "closed"
        try:
            await wait_for(lambda: lazy._pool.connected == 1)
            assert await lazy.set("in2", 1) == "OK"
            assert raw_command(srv, "SELECT", "2") == b"+OK\r\n"
        finally:
            await lazy.disconnect()


async def test_maxclients_on_accept_is_retried() -> None:
    """'-ERR max number of clients reached', sent unprompted on accept and read as the answer to
    SELECT, is temporary: the slot backs off and connects once a client leaves."""
    with RedisServer(["--maxclients", "2"]) as srv:
        hold = hold_all_clients(srv, 2)
        rc = redis.lazyConnection(srv.host, srv.port, dbid=1)
        try:
            rc._pool.initialDelay = 0.05
            slot = rc._pool._slots[0]
            await wait_for(lambda: "max number of clients" in str(slot.last_error))
            assert slot.state != "closed"
            assert not isinstance(slot.last_error, redis.HandshakeError)
            hold.pop().close()
            await wait_for(lambda: rc._pool.connected == 1)
            assert await rc.ping() == "PONG"
        finally:
            for h in hold:
                h.close()
            await rc.disconnect()


async def test_auth_and_acl_refusals_stay_final(auth_server: RedisServer) -> None:
    """NOAUTH (no password given) and NOPERM (ACL user may not SELECT) in the handshake, and an
    out-of-range dbid, are final HandshakeErrors: the slot closes and does not retry."""
    host, port = auth_server.host, auth_server.port
    with pytest.raises(redis.HandshakeError, match="could not set dbid=1: NOAUTH"):
        await redis.Connection(host, port, dbid=1)
    with pytest.raises(redis.HandshakeError, match="could not set dbid=1: NOPERM"):
        await redis.Connection(host, port, dbid=1, password=LIMITED_PASSWORD, username=LIMITED_USER)
    lazy = redis.lazyConnection(host, port, dbid=1)
    try:
        await wait_for(lambda: lazy._pool._slots[0].state == "closed")
        assert isinstance(lazy._pool._slots[0].last_error, redis.HandshakeError)
    finally:
        await lazy.disconnect()


# -- (4) backoff after a connection that did not hold ----------------------------------------


def _rejected(sock: socket.socket, srv: RedisServer) -> int:
    info = raw_command(srv, "INFO", "stats", sock=sock).decode()
    return int(info.split("rejected_connections:")[1].split("\r\n")[0])


async def test_accept_then_drop_backs_off() -> None:
    """A server that accepts and at once drops the connection (maxclients reached, no handshake
    to fail) is retried with backoff, not in a tight loop; the slot recovers when a client leaves."""
    with RedisServer(["--maxclients", "2"]) as srv:
        hold = hold_all_clients(srv, 2)
        before = _rejected(hold[0], srv)
        rc = redis.lazyConnection(srv.host, srv.port)
        try:
            rc._pool.initialDelay = 0.2
            slot = rc._pool._slots[0]
            await wait_for(lambda: _rejected(hold[0], srv) > before)
            t0 = time.monotonic()
            await asyncio.sleep(1.0)  # the observation window itself: count attempts in it
            rejected = _rejected(hold[0], srv) - before
            # 0.2 s, then x e: at most ~4 attempts in 1 s, plus the first (thousands before).
            assert rejected <= 6, f"{rejected} connections in {time.monotonic() - t0:.1f} s"
            assert isinstance(slot.last_error, redis.ConnectError)
            hold.pop().close()
            await wait_for(lambda: rc._pool.connected == 1)
            assert await rc.ping() == "PONG"
        finally:
            for h in hold:
                h.close()
            await rc.disconnect()


async def test_long_lived_connection_reconnects_at_once(redis_server: RedisServer) -> None:
    """A connection that was up for longer than initialDelay and drops is replaced without
    waiting: the slot never enters the 'down' (backoff) state."""
    rc = await redis.Connection(redis_server.host, redis_server.port, client_name="slot-long")
    try:
        pool = rc._pool
        pool.initialDelay = 0.2
        slot = pool._slots[0]
        old = slot.protocol
        await asyncio.sleep(0.25)  # the connection's age is the condition under test
        assert raw_command(redis_server, "CLIENT", "KILL", "SKIPME", "yes", "ID",
                           str(await rc.execute_command("CLIENT", "ID"))) == b":1\r\n"
        states = set()
        deadline = asyncio.get_running_loop().time() + 5
        while slot.protocol is None or slot.protocol is old:
            states.add(slot.state)
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0)
        assert "down" not in states
        assert await rc.ping() == "PONG"
    finally:
        await rc.disconnect()


# -- (5) a peer that stops reading ----------------------------------------------------------


async def _fill_write_buffer(rc, proto) -> asyncio.Future:
    fut = rc.set("big", b"x" * (32 << 20))
    fut.add_done_callback(lambda f: f.cancelled() or f.exception())
    await wait_for(lambda: proto.transport.get_write_buffer_size() > 0)
    return fut


async def test_disconnect_does_not_hang_on_stuck_peer() -> None:
    """disconnect() returns promptly while the server reads nothing and output is buffered; the
    command in flight fails with ConnectionError."""
    with RedisServer() as srv:
        rc = await redis.Connection(srv.host, srv.port)
        with srv.stopped():
            big = await _fill_write_buffer(rc, rc._pool._slots[0].protocol)
            t0 = time.monotonic()
            await asyncio.wait_for(rc.disconnect(), 10)
            assert time.monotonic() - t0 < 2.5
            assert isinstance(big.exception(), redis.ConnectionError)


async def test_dropped_stuck_connection_is_replaced_at_once() -> None:
    """When the owner closes a connection whose peer reads nothing and calls wake() (what Sentinel
    does on a failover), the slot starts its next attempt at once, without a backoff, instead of
    waiting for the graceful close; the stuck transport is aborted soon after."""
    with RedisServer() as srv:
        rc = await redis.Connection(srv.host, srv.port, connectTimeout=5)  # outlasts the freeze
        try:
            slot = rc._pool._slots[0]
            old = slot.protocol
            with srv.stopped():
                big = await _fill_write_buffer(rc, old)
                old.close()
                slot.wake()  # as Sentinel does: a connection is needed now
                waiting = rc.get("k")  # waits for the attempt in flight
                # The next attempt is under way at once (the kernel accepts for a stopped server;
                # its handshake's HELLO is answered once the server runs again).
                await wait_for(lambda: slot.protocol is not old and slot.state == "connecting", 3)
                await asyncio.wait_for(old.wait_closed(), 3)
                assert isinstance(big.exception(), redis.ConnectionError)
            await wait_for(lambda: slot.protocol is not None and slot.protocol is not old, 3)
            assert slot.last_error is None  # not counted as a failed attempt
            assert await asyncio.wait_for(waiting, 5) is None
            assert await rc.ping() == "PONG"
        finally:
            await rc.disconnect()
