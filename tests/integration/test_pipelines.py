"""Explicit pipelines (pipeline()/execute_pipeline()) and implicit pipelining, on real servers."""

from __future__ import annotations

import asyncio
import gc

import pytest

import txredis_aio as redis
from txredis_aio._protocol import RedisProtocol
from txredis_aio.testing import RedisServer


class CountingTransport:
    """Wraps a connection's real transport and records every write (nothing else changes)."""

    def __init__(self, proto: RedisProtocol) -> None:
        self.proto = proto
        self.inner = proto.transport
        self.writes: list[bytes] = []
        proto.transport = self  # type: ignore[assignment]

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        assert self.inner is not None
        self.inner.write(data)

    def restore(self) -> None:
        self.proto.transport = self.inner

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


def all_protocols(rc) -> list[RedisProtocol]:
    return [s.protocol for s in rc._pool._slots if s.protocol is not None]


async def test_readme_pipeline_example(rc) -> None:
    """txredisapi README: commands gathered without awaiting, results in order."""
    pipeline = await rc.pipeline()
    pipeline.set("foo", 123)
    pipeline.set("bar", 987)
    pipeline.get("foo")
    pipeline.get("bar")
    results = await pipeline.execute_pipeline()
    assert results == ["OK", "OK", 123, 987]
    assert results[2] == 123 and results[3] == 987
    assert "leased=0" in repr(rc)


async def test_pipeline_is_sent_in_one_write(redis_server: RedisServer, rc) -> None:
    """Nothing is written before execute_pipeline(); then every command goes in one write."""
    c1 = await redis.Connection(redis_server.host, redis_server.port)
    try:
        spy = CountingTransport(all_protocols(c1)[0])
        try:
            p = await c1.pipeline()
            futs = [p.set(f"k{i}", i) for i in range(3)] + [p.get("k1")]
            assert await rc.ping() == "PONG"  # a round trip elsewhere: the loop ran on
            assert spy.writes == []
            assert not futs[0].done()
            assert await p.execute_pipeline() == ["OK", "OK", "OK", 1]
            assert len(spy.writes) == 1
            assert spy.writes[0].count(b"SET") == 3 and spy.writes[0].count(b"GET") == 1
            assert [f.result() for f in futs] == ["OK", "OK", "OK", 1]
        finally:
            spy.restore()
    finally:
        await c1.disconnect()


async def test_pipeline_conversions(rc) -> None:
    """Each pipelined command's reply conversion applies (post_proc, number conversion)."""
    await rc.execute_command("HSET", "h", "a", "1")
    p = await rc.pipeline()
    p.execute_command("HGETALL", "h", post_proc=lambda r: dict(zip(r[::2], r[1::2])))
    p.execute_command("SISMEMBER", "s", "x", post_proc=bool)
    p.execute_command("ECHO", "1.5")
    assert await p.execute_pipeline() == [{"a": 1}, False, 1.5]


async def test_failing_command_keeps_other_results(rc) -> None:
    """By default (as txredisapi, which failed the whole call) the first error is raised, carrying
    every result in place; raise_on_error=False returns the list with the error in place."""
    await rc.set("s", "text")
    p = await rc.pipeline()
    p.set("a", 1)
    bad = p.incr("s")
    p.get("a")
    with pytest.raises(redis.ResponseError, match="not an integer") as info:
        await p.execute_pipeline()
    assert info.value.index == 1  # type: ignore[attr-defined]
    res = info.value.results  # type: ignore[attr-defined]
    assert res[0] == "OK" and res[2] == 1 and res[1] is info.value
    with pytest.raises(redis.ResponseError):
        await bad
    p = await rc.pipeline()
    p.get("a")
    p.incr("s")
    p.incr("a")
    res = await p.execute_pipeline(raise_on_error=False)
    assert res[0] == 1 and isinstance(res[1], redis.ResponseError) and res[2] == 2


async def test_execute_pipeline_outside_pipeline(rc) -> None:
    """execute_pipeline() without pipeline() fails with txredisapi's message; empty gives []."""
    with pytest.raises(redis.RedisError, match=r"^Not currently pipelining commands, please use "):
        await rc.execute_pipeline()
    p = await rc.pipeline()
    assert await p.execute_pipeline() == []
    with pytest.raises(redis.RedisError, match="Not currently pipelining"):
        p.execute_pipeline()
    assert await p.get("after") is None  # after execute, commands run on the pool
    assert "leased=0" in repr(rc)


async def test_single_connection_command_waits_for_pipeline(redis_server: RedisServer, rc) -> None:
    """With poolsize=1 a handler command issued while a pipeline is open waits for
    execute_pipeline() and is not part of its results."""
    rc1 = await redis.Connection(redis_server.host, redis_server.port)
    try:
        p = await rc1.pipeline()
        p.set("x", 1)
        other = asyncio.ensure_future(rc1.set("y", 2))
        p.get("x")
        assert await rc.ping() == "PONG"  # a round trip elsewhere: the loop ran on
        assert not other.done()
        assert await p.execute_pipeline() == ["OK", 1]
        assert await other == "OK"
        assert await rc1.get("y") == 2
    finally:
        await rc1.disconnect()


async def test_bad_argument_raises_at_call_time(rc) -> None:
    """A bad argument raises synchronously when the command is added; nothing is buffered."""
    p = await rc.pipeline()
    p.set("ok", 1)
    with pytest.raises(TypeError, match="argument 2 is of type dict"):
        p.set("k", {"a": 1})
    assert len(p) == 1
    assert await p.execute_pipeline() == ["OK"]


async def test_cancelled_execute_pipeline_keeps_connection_in_step(redis_server) -> None:
    """Cancelling execute_pipeline() drops only its wait: later commands on the same
    connection get their own replies and the per-command Futures still resolve."""
    rc = await redis.Connection(redis_server.host, redis_server.port)
    try:
        p = await rc.pipeline()
        futs = [p.set(f"c{i}", i) for i in range(100)] + [p.get("c7")]
        res = p.execute_pipeline()
        after = rc.get("c42")
        res.cancel()
        assert await after == 42
        assert await futs[-1] == 7
        with pytest.raises(asyncio.CancelledError):
            await res
    finally:
        await rc.disconnect()


async def test_hundred_thousand_command_pipeline(rc) -> None:
    """A 100k-command pipeline completes with every reply in order."""
    n = 100_000
    p = await rc.pipeline()
    for i in range(n):
        p.set(f"p{i}", i)
    r = await asyncio.wait_for(p.execute_pipeline(), 60)
    assert len(r) == n and all(x == "OK" for x in r)
    p = await rc.pipeline()
    for i in range(n):
        p.get(f"p{i}")
    r = await asyncio.wait_for(p.execute_pipeline(), 60)
    assert r == list(range(n))


async def test_implicit_pipelining_coalesces_writes(redis_server: RedisServer) -> None:
    """Concurrent commands on one connection go out without waiting for replies: the first at
    once (the connection was idle), the other 49 together in one write."""
    rc = await redis.Connection(redis_server.host, redis_server.port)
    try:
        spy = CountingTransport(all_protocols(rc)[0])
        try:
            futs = [rc.incr("implicit") for _ in range(50)]
            assert all_protocols(rc)[0].pending == 50  # all queued before any reply
            assert await asyncio.gather(*futs) == list(range(1, 51))
            assert [w.count(b"INCRBY") for w in spy.writes] == [1, 49]
        finally:
            spy.restore()
        await rc.delete("implicit")
    finally:
        await rc.disconnect()


async def test_forgotten_or_exited_pipelines_free_the_lease(redis_server: RedisServer) -> None:
    """A pipeline left by `async with` without execute_pipeline() is dropped unsent, and one
    dropped unexecuted frees its lease when collected."""
    rc1 = await redis.Connection(redis_server.host, redis_server.port)
    try:
        async with await rc1.pipeline() as p:
            fut = p.set("never", 1)
        assert fut.cancelled()
        assert await asyncio.wait_for(rc1.get("never"), 5) is None
        p = await rc1.pipeline()
        p.set("never", 1)
        del p
        gc.collect()
        assert await asyncio.wait_for(rc1.get("never"), 5) is None
        assert "leased=0" in repr(rc1)
    finally:
        await rc1.disconnect()


class InspectableTransport:
    """txredisapi's test helper: forwards everything, records writes."""

    def __init__(self, transport) -> None:
        self.original_transport = transport
        self.write_history: list[bytes] = []

    def __getattr__(self, method: str):
        if method == "write":
            def write(data, *args, **kwargs):
                self.write_history.append(data)
                return self.original_transport.write(data, *args, **kwargs)
            return write
        return getattr(self.original_transport, method)


async def test_txredisapi_style_transport_inspection(redis_server: RedisServer) -> None:
    """txredisapi's pipelining test replaces ``pipeline.transport`` to check that the three SETs
    go out in the first write; that works here too, and ``pipelining`` flips as there."""
    db = await redis.ConnectionPool(redis_server.host, redis_server.port, poolsize=2)
    try:
        pipeline = await db.pipeline()
        assert pipeline.pipelining
        proto = pipeline._proto
        original = pipeline.transport
        pipeline.transport = InspectableTransport(pipeline.transport)
        spy = pipeline.transport
        pipeline.set("txredisapi:test_pipeline", "foo")
        pipeline.set("txredisapi:test_pipeline", "bar")
        pipeline.set("txredisapi:test_pipeline2", "zip")
        await pipeline.execute_pipeline()
        assert not pipeline.pipelining
        assert await db.get("txredisapi:test_pipeline") == "bar"
        assert await db.get("txredisapi:test_pipeline2") == "zip"
        first = spy.write_history[0].split(b"\n")
        assert sum(1 for w in first if b"SET" in w) == 3
        proto.transport = original
    finally:
        await db.disconnect()


async def test_pipeline_in_flight_is_one_fifo_entry_and_replies_are_small_handles(redis_server) -> None:
    """A 2,000-command pipeline occupies one FIFO entry while in flight; each command returns a
    PipelineReply (two references into the batch, not a Future) that reads its own reply."""
    c1 = await redis.Connection(redis_server.host, redis_server.port)
    try:
        (proto,) = all_protocols(c1)
        p = await c1.pipeline()
        handles = [p.set(f"h{i}", i) for i in range(1000)] + [p.get(f"h{i}") for i in range(1000)]
        assert type(handles[0]).__name__ == "PipelineReply" and not hasattr(handles[0], "__dict__")
        out = p.execute_pipeline()
        assert proto.pending == 1  # one entry for 2,000 replies
        assert not handles[-1].done()
        res = await out
        assert res[:1000] == ["OK"] * 1000 and res[1000:] == list(range(1000))
        assert res[0] is res[999]  # the common "OK" is one shared object
        assert [h.result() for h in handles[995:1005]] == ["OK"] * 5 + [0, 1, 2, 3, 4]
        assert await handles[1500] == 500 and proto.pending == 0
    finally:
        await c1.disconnect()


async def test_pipeline_reply_future_api(rc) -> None:
    """PipelineReply: await, done/result/exception, add_done_callback, cancel before sending;
    a Task awaiting one handle can be cancelled without disturbing the pipeline."""
    await rc.set("s", "str")
    p = await rc.pipeline()
    a, bad, c, gone = p.incr("n"), p.lpush("s", "x"), p.incr("n"), p.get("n")
    seen: list = []
    a.add_done_callback(lambda h: seen.append(h.result()))
    with pytest.raises(asyncio.InvalidStateError):
        a.result()
    assert gone.cancel() and gone.cancelled()
    waiter = asyncio.ensure_future(asyncio.wait_for(c, 5))
    impatient = asyncio.ensure_future(_await(c))
    await asyncio.sleep(0)
    impatient.cancel()
    res = await p.execute_pipeline(raise_on_error=False)
    assert res[0] == 1 and res[2] == 2 and isinstance(res[1], redis.ResponseError)
    assert isinstance(res[3], asyncio.CancelledError)
    assert await waiter == 2 and await a == 1 and impatient.cancelled()
    assert isinstance(bad.exception(), redis.ResponseError)
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        await bad
    with pytest.raises(asyncio.CancelledError):
        await gone
    await asyncio.sleep(0)
    assert seen == [1]
    assert await rc.get("n") == 2


async def _await(h):
    return await h
