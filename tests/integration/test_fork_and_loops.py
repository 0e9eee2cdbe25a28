"""Handlers after os.fork() and on a second event loop: they reconnect there, or fail at once.

Never a hang, and never a byte from the child on a socket the parent still uses (that socket's
replies would then go to the wrong caller).
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any, Iterator

import pytest

import txredis_aio as redis
from txredis_aio.testing import RedisServer

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork() on this platform")


@pytest.fixture
def loop_thread() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running in a thread of its own (the parent's loop in the fork tests)."""
    loop = asyncio.new_event_loop()
    t = threading.Thread(target=loop.run_forever, daemon=True)
    t.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    t.join(5)
    loop.close()


def _on(loop: asyncio.AbstractEventLoop, call: Any, timeout: float = 10) -> Any:
    """Await ``call()`` on ``loop`` (called there: commands are made on their loop's thread)."""
    async def run() -> Any:
        return await call()

    return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout)


async def _pool(server: RedisServer) -> Any:
    return await redis.ConnectionPool(server.host, server.port, poolsize=1)


def test_second_asyncio_run_reconnects(redis_server: RedisServer) -> None:
    """A pool made under one asyncio.run() works under the next: it reconnects on the new loop."""
    async def first() -> Any:
        rc = await redis.ConnectionPool(redis_server.host, redis_server.port, poolsize=2)
        await rc.set("fork:k", "one")
        return rc

    rc = asyncio.run(first())

    async def second() -> list[Any]:
        got = [await rc.get("fork:k"), await asyncio.gather(*(rc.incr("fork:n") for _ in range(5)))]
        t = await rc.multi()
        t.get("fork:k")
        got.append(await t.commit())
        await rc.disconnect()
        return got

    value, incrs, tx = asyncio.run(second())
    assert value == "one" and sorted(incrs) == [1, 2, 3, 4, 5] and tx == ["one"]


def test_use_from_another_running_loop_fails_at_once(redis_server: RedisServer, loop_thread) -> None:
    """While the pool's own loop runs in another thread, another loop's call fails at once, clearly;
    the pool keeps working on its own loop."""
    rc = _on(loop_thread, lambda: _pool(redis_server))

    async def elsewhere() -> None:
        with pytest.raises(redis.RedisError, match="still running"):
            rc.get("fork:x")
        with pytest.raises(redis.RedisError, match="still running"):
            await rc.multi()

    asyncio.run(asyncio.wait_for(elsewhere(), 5))
    assert _on(loop_thread, lambda: rc.ping()) == "PONG"
    _on(loop_thread, lambda: rc.disconnect())


def test_forked_child_reconnects_and_parent_replies_stay_matched(redis_server: RedisServer,
                                                                 loop_thread) -> None:
    """A child uses the parent's pool from its own loop: it gets its own connection and replies;
    meanwhile the parent's 300 commands on the shared connection each get their own reply."""
    rc = _on(loop_thread, lambda: _pool(redis_server))
    _on(loop_thread, lambda: rc.mset({f"fork:p{i}": f"v{i}" for i in range(300)}))
    _on(loop_thread, lambda: rc.set("fork:child", "child-value"))
    clients_before = _on(loop_thread, lambda: rc.execute_command("CLIENT", "LIST")).count("\n")

    pid = os.fork()
    if pid == 0:  # the child: only this thread exists; the parent's loop does not run here
        code = 1
        try:
            async def child() -> bool:
                got = [await rc.get("fork:child") for _ in range(50)]
                return got == ["child-value"] * 50

            code = 0 if asyncio.run(asyncio.wait_for(child(), 10)) else 2
        finally:
            os._exit(code)

    async def parent() -> list[Any]:
        out = []
        for i in range(300):
            out.append(await rc.get(f"fork:p{i}"))
            await asyncio.sleep(0)
        return out

    replies = _on(loop_thread, parent, timeout=30)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the child did not get its own replies"
    assert replies == [f"v{i}" for i in range(300)]
    assert _on(loop_thread, lambda: rc.get("fork:child")) == "child-value"
    assert _on(loop_thread, lambda: rc.execute_command("CLIENT", "LIST")).count("\n") >= clients_before
    _on(loop_thread, lambda: rc.disconnect())


def test_forked_child_without_a_loop_fails_at_once(redis_server: RedisServer, loop_thread) -> None:
    """In a child with no running loop, a call fails at once with a clear error (nothing sent)."""
    rc = _on(loop_thread, lambda: _pool(redis_server))
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            try:
                rc.get("fork:k")
            except redis.RedisError as e:
                code = 0 if "os.fork()" in str(e) else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert _on(loop_thread, lambda: rc.ping()) == "PONG"
    _on(loop_thread, lambda: rc.disconnect())


def test_subscriber_on_another_loop_fails_at_once(redis_server: RedisServer) -> None:
    """A subscriber is bound to its loop: used under a second asyncio.run it says so at once."""
    async def first() -> Any:
        sub = await redis.SubscriberConnection(redis_server.host, redis_server.port)
        await sub.subscribe("fork:ch")
        return sub

    sub = asyncio.run(first())

    async def second() -> None:
        with pytest.raises(redis.RedisError, match="another process or event loop"):
            sub.subscribe("fork:other")
        with pytest.raises(redis.RedisError, match="another process or event loop"):
            await sub.__anext__()

    asyncio.run(asyncio.wait_for(second(), 5))
