"""MONITOR against real servers: lines of other clients' commands, never the OK; stop; reconnect."""

from __future__ import annotations

import asyncio
from typing import Any, Iterator

import pytest

import txredis_aio as redis
from txredis_aio.testing import RedisServer


async def nxt(it: Any, timeout: float = 5.0) -> Any:
    """The iterator's next item, failing the test if none comes in time."""
    return await asyncio.wait_for(it.__anext__(), timeout)


async def next_command(mon: Any, name: str) -> redis.MonitoredCommand:
    """The next monitored command named ``name`` (other clients' commands are skipped)."""
    while True:
        item = await nxt(mon)
        assert isinstance(item, str), item
        cmd = redis.parse_monitor_line(item)
        if cmd.args and str(cmd.args[0]).upper() == name:
            return cmd


@pytest.fixture
def own_server() -> Iterator[RedisServer]:
    """A server of this test's own, which it may kill and restart."""
    with RedisServer() as srv:
        yield srv


async def test_monitor_sees_other_clients(own_server: RedisServer) -> None:
    """Once MonitorConnection resolves, every command of another client is yielded as a line;
    MONITOR's own OK is not (txredisapi bug §11.8)."""
    srv = own_server
    async with redis.MonitorConnection(srv.host, srv.port) as mon, \
            redis.Connection(srv.host, srv.port, dbid=3) as c:
        await c.set("k", "v \"q\"\n\xe9")
        await c.get("k")
        cmds = []
        while not cmds or str(cmds[-1].args[0]).upper() != "GET":
            line = await nxt(mon)
            assert isinstance(line, str) and line != "OK"
            cmds.append(redis.parse_monitor_line(line))
        names = [str(x.args[0]).upper() for x in cmds]
        # The handshake: SELECT, then HELLO and CLIENT SETINFO (each server shows what it ran).
        assert names[0] == "SELECT" and names[-2:] == ["SET", "GET"]
        assert set(names[1:-2]) <= {"HELLO", "CLIENT"}
        set_cmd = cmds[-2]
        assert [str(set_cmd.args[0]).upper()] + set_cmd.args[1:] == ["SET", "k", "v \"q\"\n\xe9"]
        assert set_cmd.db == 3 and set_cmd.client.startswith("127.0.0.1:") and set_cmd.time > 1e9
        assert cmds[0].args[1:] == ["3"]


async def test_stop_ends_iteration(own_server: RedisServer) -> None:
    """stop() closes the connection and ends ``async for`` cleanly."""
    mon = await redis.MonitorConnection(own_server.host, own_server.port)
    lines: list[str] = []

    async def consume() -> None:
        async for line in mon:
            lines.append(line)

    task = asyncio.ensure_future(consume())
    await mon.stop()
    await asyncio.wait_for(task, 5)
    assert lines == []
    assert "closed" in repr(mon)


async def test_monitor_resumes_after_restart(own_server: RedisServer) -> None:
    """After the server restarts, MONITOR is sent again: later commands are seen; with
    events=True the gap is reported."""
    srv = own_server
    mon = await redis.MonitorConnection(srv.host, srv.port, events=True)
    mon._pool.initialDelay, mon._pool.maxDelay = 0.02, 0.2
    srv.kill()
    assert isinstance(await nxt(mon), redis.Disconnected)
    srv.start()
    assert await nxt(mon, 15) == redis.Reconnected()
    async with redis.Connection(srv.host, srv.port) as c:
        await c.execute_command("ECHO", "after-restart")
        cmd = await next_command(mon, "ECHO")
        assert cmd.args[1] == "after-restart"
    await mon.disconnect()


async def test_unix_and_lazy_monitor(unix_server: RedisServer) -> None:
    """The Unix-socket and lazy variants monitor too."""
    assert unix_server.unixsocket is not None
    mon = redis.lazyUnixMonitorConnection(unix_server.unixsocket)
    await mon.wait_started()
    async with redis.UnixConnection(unix_server.unixsocket) as c:
        await c.execute_command("ECHO", "via-unix")
        cmd = await next_command(mon, "ECHO")
        assert cmd.client.startswith("unix:") and cmd.args[1] == "via-unix"
    await mon.disconnect()


async def test_refused_monitor_raises(auth_server: RedisServer) -> None:
    """A user the server does not allow MONITOR gets the error from MonitorConnection, and a
    lazy monitor's iterator raises it (never an iterator that silently yields nothing)."""
    from tests.conftest import LIMITED_PASSWORD, LIMITED_USER

    kw = {"username": LIMITED_USER, "password": LIMITED_PASSWORD}
    with pytest.raises(redis.NoPermissionError, match="NOPERM"):
        await redis.MonitorConnection(auth_server.host, auth_server.port, **kw)
    mon = redis.lazyMonitorConnection(auth_server.host, auth_server.port, events=True, **kw)
    ev = await nxt(mon)
    assert isinstance(ev, redis.Disconnected) and isinstance(ev.reason, redis.NoPermissionError)
    with pytest.raises(redis.NoPermissionError):
        await nxt(mon)
    await mon.disconnect()
