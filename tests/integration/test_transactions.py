"""MULTI/EXEC/WATCH with txredisapi's API, on real servers: replies, conversions, lease return."""

from __future__ import annotations

import asyncio
import gc

import pytest

import txredis_aio as redis
from txredis_aio.testing import RedisServer


def as_dict(r: list) -> dict:
    return dict(zip(r[::2], r[1::2]))


def pairs(r: list) -> list:
    return list(zip(r[::2], (float(x) for x in r[1::2])))


async def wait_for(cond, timeout: float = 10.0) -> None:
    """Poll ``cond()`` until true, failing after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


@pytest.fixture
async def rc1(redis_server: RedisServer):
    """A single connection (pool of 1), database flushed: a leaked lease would hang it."""
    client = await redis.Connection(redis_server.host, redis_server.port)
    await client.execute_command("FLUSHDB")
    yield client
    await client.disconnect()


async def test_readme_transaction_example(rc) -> None:
    """txredisapi README: commands in MULTI return QUEUED, rc.get works meanwhile on a pool,
    and commit returns every command's reply."""
    await rc.delete(["a1", "a2", "a3"])
    t = await rc.multi()
    assert await t.set("a1", "1") == "QUEUED"
    assert await t.set("a2", "2") == "QUEUED"
    assert await t.set("a3", "3") == "QUEUED"
    assert await t.get("a1") == "QUEUED"
    assert await rc.get("foo") is None  # the other pool connection serves it
    assert t.inMulti and t.inTransaction
    r = await t.commit()
    assert r == ["OK", "OK", "OK", 1]
    assert not t.inTransaction
    assert repr(rc).endswith("leased=0 pending=0>")


async def test_readme_watch_counter_example(rc) -> None:
    """txredisapi README counter: a watched key changed by another client fails the commit
    with WatchError("Transaction failed"), and the connection goes back to the pool."""
    await rc.set("a1", 0)
    t = await rc.watch("a1")
    a1 = await t.get("a1")
    assert a1 == 0
    assert await t.multi() is t
    assert await t.set("a1", a1 + 1) == "QUEUED"
    assert await t.get("a1") == "QUEUED"
    await rc.set("a1", 2)  # simulating concurrency, this aborts the transaction
    with pytest.raises(redis.WatchError, match="^Transaction failed$"):
        await t.commit()
    assert await rc.get("a1") == 2
    assert "leased=0" in repr(rc)


async def test_watch_counter_succeeds_without_interference(rc) -> None:
    """Without a concurrent change the WATCHed transaction commits."""
    await rc.set("a1", 5)
    t = await rc.watch(["a1"])
    a1 = await t.get("a1")
    await t.multi()
    t.set("a1", a1 + 1)
    t.get("a1")
    assert await t.commit() == ["OK", 6]


async def test_multi_with_keys_watches_first(rc) -> None:
    """multi(keys) WATCHes before MULTI and keeps conversions aligned (txredisapi misaligned
    them by one slot, §11.3)."""
    await rc.execute_command("HSET", "h", "f", "v")
    await rc.set("x", "x")
    t = await rc.multi("x")
    t.execute_command("HGETALL", "h", post_proc=as_dict)
    t.get("x")
    assert await t.commit() == [{"f": "v"}, "x"]
    t = await rc.multi(["x"])
    t.get("x")
    await rc.set("x", "changed")
    with pytest.raises(redis.WatchError):
        await t.commit()
    assert "leased=0" in repr(rc)


async def test_conversions_inside_exec(rc) -> None:
    """Each command's own reply conversion is applied to its EXEC element (dict, bool, set,
    withscores pairs, Raw bytes) — txredisapi left these raw or broke them (§11.3, §11.5)."""
    await rc.execute_command("HSET", "h", "a", "1", "b", "x")
    await rc.execute_command("SADD", "s", "m1", "m2")
    await rc.execute_command("ZADD", "z", 1, "one", 2.5, "two")
    await rc.set("raw", "12")
    t = await rc.multi()
    t.execute_command("HGETALL", "h", post_proc=as_dict)
    t.execute_command("SISMEMBER", "s", "m1", post_proc=bool)
    t.execute_command("SISMEMBER", "s", "nope", post_proc=bool)
    t.execute_command("SMEMBERS", "s", post_proc=set)
    t.execute_command("ZRANGE", "z", 0, -1, "WITHSCORES", post_proc=pairs)
    t._execute("GET", "raw", convert=redis_raw(lambda b: b))
    t.get("raw")
    res = await t.commit()
    assert res == [
        {"a": 1, "b": "x"}, True, False, {"m1", "m2"}, [("one", 1.0), ("two", 2.5)], b"12", 12,
    ]


async def test_command_methods_convert_inside_exec(rc) -> None:
    """The data-type methods' own conversions apply inside EXEC exactly as outside it."""
    await rc.hset("h", "a", 1)
    await rc.sadd("s", "m1")
    await rc.zadd("z", 1.5, "one")
    outside = await asyncio.gather(
        rc.hgetall("h"), rc.sismember("s", "m1"), rc.smembers("s"),
        rc.zrange("z", 0, -1, withscores=True), rc.zscore("z", "one"),
    )
    t = await rc.multi()
    assert await t.hgetall("h") == "QUEUED"
    assert await t.sismember("s", "m1") == "QUEUED"
    assert await t.smembers("s") == "QUEUED"
    assert await t.zrange("z", 0, -1, withscores=True) == "QUEUED"
    assert await t.zscore("z", "one") == "QUEUED"  # txredisapi raised ValueError here (§11.5)
    inside = await t.commit()
    assert inside == outside
    assert inside == [{"a": 1}, True, {"m1"}, [("one", 1.5)], 1.5]


def redis_raw(fn):
    from txredis_aio._resp import Raw

    return Raw(fn)


async def test_error_inside_exec_is_returned_in_place(rc) -> None:
    """A command failing at EXEC time gives a ResponseError element; the others still run
    (txredisapi's hiredis parser dropped the connection here, §11.2)."""
    await rc.set("s", "text")
    t = await rc.multi()
    t.set("a", 1)
    t.incr("s")
    t.execute_command("LPUSH", "s", "x")
    t.get("a")
    res = await t.commit()
    assert res[0] == "OK" and res[3] == 1
    assert isinstance(res[1], redis.ResponseError) and "not an integer" in str(res[1])
    assert isinstance(res[2], redis.WrongTypeError)
    assert await rc.get("s") == "text"


async def test_execabort_returns_connection(rc1) -> None:
    """A queue-time error makes commit raise ExecAbortError (a ResponseError); on a single
    connection later commands still run (txredisapi leaked it and hung, §11.4)."""
    t = await rc1.multi()
    t.set("k", 1)
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        await t.execute_command("SET", "only-key")
    with pytest.raises(redis.ExecAbortError, match="^EXECABORT"):
        await t.commit()
    assert not t.inTransaction
    assert await rc1.get("k") is None
    assert await asyncio.wait_for(rc1.ping(), 5) == "PONG"
    t = await asyncio.wait_for(rc1.multi(), 5)  # the lease is free again
    t.set("k", 2)
    assert await t.commit() == ["OK"]


async def test_watch_failure_on_single_connection_then_more_commands(rc1, redis_server) -> None:
    """WatchError on a pool of 1 returns the connection: the next commands and transactions run."""
    other = await redis.Connection(redis_server.host, redis_server.port)
    try:
        await rc1.set("w", 1)
        t = await rc1.watch("w")
        await t.multi()
        t.incr("w")
        await other.set("w", 10)
        with pytest.raises(redis.WatchError):
            await t.commit()
        assert await asyncio.wait_for(rc1.incr("w"), 5) == 11
        t = await asyncio.wait_for(rc1.watch("w"), 5)
        assert await t.unwatch() == "OK"
        assert await asyncio.wait_for(rc1.get("w"), 5) == 11
    finally:
        await other.disconnect()


async def test_discard_and_unwatch_return_the_connection(rc1) -> None:
    """discard() answers OK and frees the lease; unwatch() ends a watch-only transaction."""
    t = await rc1.multi()
    t.set("d", 1)
    assert await t.discard() == "OK"
    assert await rc1.get("d") is None
    t = await rc1.watch("d")
    assert await t.get("d") is None
    assert await t.unwatch() == "OK"
    assert await asyncio.wait_for(rc1.ping(), 5) == "PONG"
    assert "leased=0" in repr(rc1)


async def test_commit_or_discard_outside_multi(rc) -> None:
    """commit()/discard() outside MULTI raise RedisError("Not in transaction"), on a watching
    transaction (synchronously) and on the handler."""
    t = await rc.watch("k")
    with pytest.raises(redis.RedisError, match="^Not in transaction$"):
        t.commit()
    with pytest.raises(redis.RedisError, match="^Not in transaction$"):
        t.discard()
    await t.unwatch()
    with pytest.raises(redis.RedisError, match="^Not in transaction$"):
        await rc.commit()
    with pytest.raises(redis.RedisError, match="^Not in transaction$"):
        await rc.discard()


async def test_watch_edge_cases(rc) -> None:
    """txredisapi's edge cases: after multi(k), unwatch() is queued and discard() ends it;
    t.watch() inside MULTI is refused by the server without shifting EXEC's results (Valkey then
    aborts the EXEC); watching
    again on a transaction returns the same object, while two handler watches are different."""
    t = await rc.multi("k")
    assert await t.unwatch() == "QUEUED"
    assert t.inTransaction
    assert await t.discard() == "OK"
    assert not t.inTransaction
    t = await rc.multi()
    t.set("k", "v")
    # Redis: "WATCH inside MULTI is not allowed", and EXEC runs the rest; Valkey refuses it as a
    # queueing error ("Command not allowed inside a transaction"), so EXEC aborts. Either way the
    # replies stay in place and the connection is usable.
    with pytest.raises(redis.ResponseError, match="WATCH inside MULTI|not allowed inside a transaction"):
        await t.watch("k")
    t.execute_command("HGETALL", "nope", post_proc=as_dict)
    if rc._pool.server.name == "valkey":
        with pytest.raises(redis.ExecAbortError):
            await t.commit()
        assert await rc.get("k") is None
    else:
        assert await t.commit() == ["OK", {}]
    t1 = await rc.watch("a")
    assert await t1.watch("b") is t1
    t2 = await rc.watch("a")
    assert t1 is not t2
    await t1.unwatch()
    await t2.unwatch()


async def test_single_connection_handler_waits_during_transaction(rc1) -> None:
    """With one connection, a handler command issued inside a transaction waits until the
    transaction ends and is not part of its results."""
    t = await rc1.multi()
    t.set("x", 1)
    ping = asyncio.ensure_future(rc1.get("x"))
    assert await t.set("y", 2) == "QUEUED"  # a round trip: the waiting GET had every chance
    assert not ping.done()
    assert await t.commit() == ["OK", "OK"]
    assert await asyncio.wait_for(ping, 5) == 1


async def test_commands_after_commit_run_on_the_pool(rc) -> None:
    """After commit, commands on the old transaction object run as ordinary pool commands."""
    t = await rc.multi()
    t.set("z", 3)
    await t.commit()
    assert await t.get("z") == 3
    with pytest.raises(redis.RedisError, match="already finished"):
        t.multi()
    with pytest.raises(redis.RedisError, match="already finished"):
        t.watch("z")


async def test_cancelled_multi_setup_frees_lease(rc1, rc) -> None:
    """Cancelling multi()/watch() while it starts resets the server state and frees the lease."""
    for begin in (lambda: rc1.multi("k"), lambda: rc1.watch("k")):
        task = asyncio.ensure_future(begin())
        while not rc1._pool._leased:  # step the loop until the lease is taken, replies pending
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await asyncio.wait_for(rc1.set("k", 1), 5) == "OK"  # not QUEUED
        t = await asyncio.wait_for(rc1.multi(), 5)
        t.get("k")
        await rc.set("k", 2)  # another client: a leftover WATCH would fail the EXEC
        assert await t.commit() == [2]  # no leftover WATCH on k either


async def test_cancelled_commit_keeps_everyone_in_step(rc1) -> None:
    """Cancelling commit() drops only its result: the transaction still runs, the connection
    stays in step and later callers get their own replies."""
    t = await rc1.multi()
    t.set("c", 1)
    t.incr("c")
    fut = t.commit()
    after = rc1.get("c")
    fut.cancel()
    assert await after == 2
    assert await rc1.incr("c") == 3
    assert "leased=0" in repr(rc1)


async def test_connection_lost_inside_transaction(redis_server) -> None:
    """A connection killed during a transaction fails it with ConnectionError and is dropped;
    the pool reconnects and serves later commands."""
    rc = await redis.Connection(redis_server.host, redis_server.port)
    try:
        t = await rc.multi()
        t.set("lost", 1)
        cid = None
        other = await redis.Connection(redis_server.host, redis_server.port)
        try:
            clients = await other.execute_command("CLIENT", "LIST")
            ids = [line.split()[0].split("=")[1] for line in clients.splitlines()
                   if "cmd=multi" in line or "cmd=set" in line]
            assert ids
            cid = ids[0]
            await other.execute_command("CLIENT", "KILL", "ID", cid)
        finally:
            await other.disconnect()
        with pytest.raises(redis.ConnectionError):
            await t.commit()
        await wait_for(lambda: rc._pool._shared)
        assert await rc.ping() == "PONG"
        assert "leased=0" in repr(rc)
    finally:
        await rc.disconnect()


async def test_forgotten_or_exited_transactions_free_the_lease(rc1) -> None:
    """A transaction left by `async with` without commit is discarded, and one dropped without
    commit is discarded when collected: a single connection keeps working either way."""
    async with await rc1.multi() as t:
        t.set("gone", 1)
    assert not t.inTransaction
    assert await asyncio.wait_for(rc1.get("gone"), 5) is None
    t = await rc1.watch("gone")
    t.get("gone")
    del t
    gc.collect()
    assert await asyncio.wait_for(rc1.set("gone", 2), 5) == "OK"
    t = await asyncio.wait_for(rc1.multi(), 5)
    t.get("gone")
    assert await t.commit() == [2]


async def test_waiting_commands_and_next_transaction_on_one_connection(rc1) -> None:
    """On one connection, commands and a second multi() waiting for a transaction both get it
    afterwards: the commands run (never QUEUED in the next transaction), then the transaction."""
    t = await rc1.multi()
    t.set("n", 1)
    gets = [asyncio.ensure_future(rc1.get("n")) for _ in range(20)]
    nxt = asyncio.ensure_future(rc1.multi())
    more = [asyncio.ensure_future(rc1.incr("m")) for _ in range(5)]
    await wait_for(lambda: rc1._pool._lease_waiters)
    assert await t.commit() == ["OK"]
    assert await asyncio.wait_for(asyncio.gather(*gets), 5) == [1] * 20
    assert sorted(await asyncio.wait_for(asyncio.gather(*more), 5)) == [1, 2, 3, 4, 5]
    t2 = await asyncio.wait_for(nxt, 5)
    assert await t2.get("m") == "QUEUED"
    assert await t2.commit() == [5]


async def test_lazy_handler_transaction_waits_for_connect(redis_server) -> None:
    """On a lazy handler, multi()/pipeline()/blocking commands issued before the connection is
    up wait for it and then work."""
    rc = redis.lazyConnection(redis_server.host, redis_server.port)
    try:
        t_task = asyncio.ensure_future(rc.multi())
        pop = asyncio.ensure_future(rc.blpop("lazy-empty", 0.01))
        t = await asyncio.wait_for(t_task, 5)
        t.set("lazy", 1)
        assert await t.commit() == ["OK"]
        assert await asyncio.wait_for(pop, 5) is None
        p = await rc.pipeline()
        p.get("lazy")
        assert await p.execute_pipeline() == [1]
    finally:
        await rc.disconnect()


async def test_after_disconnect_leases_fail_clearly(redis_server) -> None:
    """After disconnect(), multi(), watch(), pipeline() and blocking commands fail with
    ConnectionError("Not connected") instead of waiting."""
    rc = await redis.Connection(redis_server.host, redis_server.port)
    await rc.disconnect()
    for call in (rc.multi, lambda: rc.watch("k"), rc.pipeline, lambda: rc.blpop("k", 0)):
        with pytest.raises(redis.ConnectionError, match="Not connected"):
            await asyncio.wait_for(call(), 5)


async def test_waiting_commands_keep_their_order(rc1) -> None:
    """Commands issued while a single connection is leased run in the order they were issued,
    before any command issued after the lease ended (as txredisapi's queue did)."""
    t = await rc1.multi()
    first = rc1.set("order", "first")
    t.set("other", 1)
    commit = t.commit()  # not awaited: the lease ends now
    second = rc1.get("order")  # issued after the waiting SET: must see it
    third = rc1.set("order", "third")
    assert await asyncio.wait_for(second, 5) == "first"
    assert await first == "OK" and await third == "OK" and await commit == ["OK"]
    assert await rc1.get("order") == "third"


async def test_reply_timeout_in_exec_and_pipeline(redis_server) -> None:
    """A reply timeout hitting EXEC or a pipeline fails it with TimeoutError (a ConnectionError);
    the connection is replaced and the pool keeps serving."""
    rc = await redis.Connection(redis_server.host, redis_server.port, replyTimeout=0.2)
    patient = await redis.Connection(redis_server.host, redis_server.port)
    try:
        t = await rc.multi()
        t.execute_command("DEBUG", "SLEEP", 0.4)
        with pytest.raises(redis.TimeoutError):
            await t.commit()
        assert await patient.ping() == "PONG"  # the server has woken up
        await wait_for(lambda: rc._pool._shared)
        assert await rc.ping() == "PONG"
        p = await rc.pipeline()
        p.ping()
        p.execute_command("DEBUG", "SLEEP", 0.4)
        p.ping()
        with pytest.raises(redis.TimeoutError):
            await p.execute_pipeline(raise_on_error=False)
        assert await patient.ping() == "PONG"
        await wait_for(lambda: rc._pool._shared)
        assert await rc.ping() == "PONG"
        assert "leased=0" in repr(rc)
    finally:
        await patient.disconnect()
        await rc.disconnect()


async def test_confirmed_connection_sends_the_whole_transaction_in_one_write(rc1) -> None:
    """Once a connection's server accepted MULTI, multi() returns without waiting for it:
    MULTI, the commands and EXEC leave in one write (one round trip)."""
    t = await rc1.multi()
    (proto,) = rc1._pool.live_protocols()
    assert proto.pending == 0  # the first transaction waited for MULTI's OK
    t.incr("n")
    assert await t.commit() == [1]
    assert proto.multi_confirmed
    writes: list[bytes] = []
    real_write = proto.transport.write
    proto.transport.write = lambda data: (writes.append(bytes(data)), real_write(data))[1]
    try:
        t = await rc1.multi()
        assert proto.pending == 1  # MULTI queued, not answered: nothing was awaited
        assert t.incr("n") is not None and t.incr("n") is not None
        assert await t.commit() == [2, 3]
    finally:
        proto.transport.write = real_write
    assert len(writes) == 1 and writes[0].count(b"MULTI") == 1 and writes[0].count(b"EXEC") == 1
    assert await rc1.get("n") == 3 and "leased=0" in repr(rc1)


async def test_multi_refused_after_it_was_confirmed_is_reported(redis_server, rc) -> None:
    """MULTI refused on a connection that had accepted it (ACL changed meanwhile): commit says
    the commands ran outside a transaction, and the next multi() waits for MULTI again."""
    await rc.execute_command("ACL", "SETUSER", "txuser", "reset", "on", ">txpw", "~*", "+@all")
    c = await redis.Connection(redis_server.host, redis_server.port, password="txpw", username="txuser")
    try:
        t = await c.multi()
        t.set("acl:k", "a")
        assert await t.commit() == ["OK"]
        await rc.execute_command("ACL", "SETUSER", "txuser", "-multi")
        t = await c.multi()
        queued = t.set("acl:k", "b")
        with pytest.raises(redis.ResponseError, match="MULTI was refused .*NOPERM.*outside a transaction"):
            await t.commit()
        assert await queued == "OK"  # it ran at once: its real reply, not QUEUED
        assert await rc.get("acl:k") == "b"
        with pytest.raises(redis.ResponseError, match="NOPERM"):
            await c.multi()  # waits for MULTI again, so nothing runs outside a transaction
        assert await c.get("acl:k") == "b" and "leased=0" in repr(c)
    finally:
        await c.disconnect()
        await rc.execute_command("ACL", "DELUSER", "txuser")
