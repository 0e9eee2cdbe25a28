"""Blocking commands lease a connection of their own, are exempt from replyTimeout, and keep
their lease until their reply arrives even when the caller gave up."""

from __future__ import annotations

import asyncio

import pytest

import txredis_aio as redis
from txredis_aio.pool import is_blocking_request
from txredis_aio.testing import RedisServer


async def wait_for(cond, timeout: float = 10.0) -> None:
    """Poll ``cond()`` until true, failing after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


def test_which_requests_block() -> None:
    """The table decides, in any usual spelling; XREAD only with BLOCK; WAIT too."""
    assert is_blocking_request(("BLPOP", "l", 0))
    assert is_blocking_request(("blpop", "l", 0))
    assert is_blocking_request((b"BRPOPLPUSH", "a", "b", 0))
    assert is_blocking_request(("BZPOPMIN", "z", 0))
    assert is_blocking_request(("BLMOVE", "a", "b", "LEFT", "RIGHT", 0))
    assert is_blocking_request(("XREAD", "BLOCK", 0, "STREAMS", "s", "$"))
    assert is_blocking_request(("XREADGROUP", "GROUP", "g", "c", "block", 10, "STREAMS", "s", ">"))
    assert is_blocking_request(("WAIT", 0, 100))
    assert not is_blocking_request(("XREAD", "STREAMS", "s", "0"))
    assert not is_blocking_request(("GET", "k"))
    assert not is_blocking_request((["not", "hashable"],))
    assert not is_blocking_request(())


async def test_blpop_does_not_stall_the_pool(rc) -> None:
    """A BLPOP on a pool of 2 leases one connection; 1000 other commands complete meanwhile,
    then the BLPOP gets its element and the lease ends."""
    blpop = asyncio.ensure_future(rc.blpop(["queue"], 0))
    await wait_for(lambda: len(rc._pool._leased) == 1)
    results = await asyncio.wait_for(
        asyncio.gather(*(rc.incr("counter") for _ in range(1000))), 10
    )
    assert sorted(results) == list(range(1, 1001))
    assert not blpop.done()
    assert await rc.rpush("queue", "job") == 1
    assert await asyncio.wait_for(blpop, 5) == ["queue", "job"]
    await wait_for(lambda: not rc._pool._leased)


async def test_blocking_commands_through_execute_command_lease_too(rc) -> None:
    """execute_command("BRPOP"/"XREAD BLOCK"/"WAIT") leases like the methods do."""
    xread = asyncio.ensure_future(
        rc.execute_command("XREAD", "BLOCK", 0, "STREAMS", "stream", "$")
    )
    brpop = asyncio.ensure_future(rc.execute_command("brpop", "q2", 0))
    await wait_for(lambda: len(rc._pool._leased) == 2)
    other = await redis.Connection(rc._pool.config.host, rc._pool.config.port)
    try:
        await other.execute_command("XADD", "stream", "*", "f", "v")
        await other.execute_command("LPUSH", "q2", "x")
    finally:
        await other.disconnect()
    assert (await asyncio.wait_for(xread, 5))[0][0] == "stream"
    assert await asyncio.wait_for(brpop, 5) == ["q2", "x"]
    assert await rc.execute_command("WAIT", 0, 10) == 0
    await wait_for(lambda: not rc._pool._leased)


async def test_cancelled_blpop_keeps_lease_until_reply(rc) -> None:
    """A cancelled BLPOP keeps its connection leased (nothing may queue behind it) until its
    reply arrives; then the connection returns and serves correct replies again."""
    blpop = asyncio.ensure_future(rc.blpop("cq", 0))
    await wait_for(lambda: len(rc._pool._leased) == 1)
    blocked = next(iter(rc._pool._leased))
    blpop.cancel()
    with pytest.raises(asyncio.CancelledError):
        await blpop
    assert await asyncio.gather(*(rc.set(f"k{i}", i) for i in range(50))) == ["OK"] * 50
    assert blocked.leased and blocked.pending == 1  # still waiting for its reply
    await rc.rpush("cq", "lost-to-the-cancelled-pop")
    await wait_for(lambda: not rc._pool._leased)
    assert blocked in rc._pool._shared and blocked.pending == 0
    # Both connections (the formerly blocked one included) answer correctly, in step.
    got = await asyncio.gather(*(rc.get(f"k{i}") for i in range(50)))
    assert got == list(range(50))
    assert await blocked.execute(("GET", "k7")) == 7
    assert await rc.llen("cq") == 0  # the cancelled pop took the element (its reply was dropped)


async def test_reply_timeout_does_not_apply_to_blocking(redis_server: RedisServer) -> None:
    """With replyTimeout=0.3, a BLPOP waiting 1 s returns None (no TimeoutError) and the
    connection is kept; an ordinary slow command still times out."""
    rc = await redis.ConnectionPool(redis_server.host, redis_server.port, poolsize=2,
                                    replyTimeout=0.3)
    try:
        t0 = asyncio.get_running_loop().time()
        assert await rc.blpop("never-filled", 1) is None
        assert asyncio.get_running_loop().time() - t0 >= 0.9
        assert rc._pool.connected == 2
        with pytest.raises(redis.TimeoutError):
            await rc.execute_command("DEBUG", "SLEEP", 1)
    finally:
        await rc.disconnect()


async def test_single_connection_commands_wait_for_blocking(redis_server: RedisServer) -> None:
    """On one connection, commands issued during a BLPOP wait for it (they are not sent behind
    it) and then run; without replyTimeout that wait is unbounded."""
    rc = await redis.Connection(redis_server.host, redis_server.port)
    try:
        blpop = asyncio.ensure_future(rc.blpop("never", 1))
        await wait_for(lambda: rc._pool._leased)
        ping = asyncio.ensure_future(rc.ping())
        assert await blpop is None
        assert await asyncio.wait_for(ping, 5) == "PONG"
    finally:
        await rc.disconnect()


async def test_blocking_waits_when_all_connections_leased(redis_server: RedisServer) -> None:
    """A second blocking command on a pool of 1 waits for the first one's lease."""
    rc = await redis.Connection(redis_server.host, redis_server.port)
    try:
        await rc.delete("b1")
        first = asyncio.ensure_future(rc.blpop("b1", 0))
        await wait_for(lambda: rc._pool._leased)
        second = asyncio.ensure_future(rc.blpop("b1", 0))
        pusher = await redis.Connection(redis_server.host, redis_server.port)
        try:
            await pusher.rpush("b1", "one")
            assert await asyncio.wait_for(first, 5) == ["b1", "one"]
            await pusher.rpush("b1", "two")
            assert await asyncio.wait_for(second, 5) == ["b1", "two"]
        finally:
            await pusher.disconnect()
    finally:
        await rc.disconnect()


async def test_lost_connection_during_blpop(redis_server: RedisServer) -> None:
    """A connection killed under a BLPOP fails it with ConnectionError and is dropped from the
    pool (not handed on); the pool reconnects."""
    rc = await redis.Connection(redis_server.host, redis_server.port)
    try:
        blpop = asyncio.ensure_future(rc.blpop("killq", 0))
        await wait_for(lambda: rc._pool._leased)
        admin = await redis.Connection(redis_server.host, redis_server.port)
        try:
            clients = await admin.execute_command("CLIENT", "LIST")
            ids = [ln.split()[0].split("=")[1] for ln in clients.splitlines() if "cmd=blpop" in ln]
            assert len(ids) == 1
            await admin.execute_command("CLIENT", "KILL", "ID", ids[0])
        finally:
            await admin.disconnect()
        with pytest.raises(redis.ConnectionError):
            await asyncio.wait_for(blpop, 5)
        assert not rc._pool._leased
        # The pool reconnects (after a backoff, as the connection was young): poll until it has.
        await wait_for(lambda: rc._pool.connected == 1, 10)
        assert await asyncio.wait_for(rc.ping(), 10) == "PONG"
    finally:
        await rc.disconnect()


async def test_waiting_for_a_connect_attempt_is_bounded(monkeypatch) -> None:
    """With nothing leased, commands and leases wait for an in-flight connect attempt only up to
    the bound (connectTimeout, or a default), then fail "Not connected" and are never sent."""
    import txredis_aio.pool as pool_module

    monkeypatch.setattr(pool_module, "DEFAULT_WAIT_FOR_CONNECT", 0.3)
    received: list[bytes] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):  # accept, read, never answer: AUTH hangs
            received.append(data)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    rc = redis.lazyConnection("127.0.0.1", port, password="pw")
    try:
        t0 = asyncio.get_running_loop().time()
        get = rc.get("k")
        with pytest.raises(redis.ConnectionError, match="Not connected"):
            await asyncio.wait_for(get, 5)
        with pytest.raises(redis.ConnectionError, match="Not connected"):
            await asyncio.wait_for(rc.multi(), 5)
        assert asyncio.get_running_loop().time() - t0 < 3
        assert b"GET" not in b"".join(received) and b"MULTI" not in b"".join(received)
    finally:
        await rc.disconnect()
        server.close()
