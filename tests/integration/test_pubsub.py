"""Pub/sub against real servers: confirmations, messages, conversions, reconnects, back-pressure."""

from __future__ import annotations

import asyncio
from typing import Any, Iterator

import pytest

import txredis_aio as redis
from tests.conftest import LIMITED_PASSWORD, LIMITED_USER
from txredis_aio.testing import RedisServer

Message = redis.Message


async def nxt(it: Any, timeout: float = 5.0) -> Any:
    """The iterator's next item, failing the test if none comes in time."""
    return await asyncio.wait_for(it.__anext__(), timeout)


async def wait_for(cond: Any, timeout: float = 10.0) -> None:
    """Poll ``cond()`` until true (never a fixed sleep standing in for a condition)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def no_item(it: Any, within: float = 0.2) -> bool:
    """True if the iterator yields nothing for ``within`` seconds (used only to check absence)."""
    try:
        item = await asyncio.wait_for(it.__anext__(), within)
    except asyncio.TimeoutError:
        return True
    raise AssertionError(f"unexpected item {item!r}")


@pytest.fixture
async def sub(redis_server: RedisServer) -> Any:
    s = await redis.SubscriberConnection(redis_server.host, redis_server.port)
    yield s
    await s.disconnect()


@pytest.fixture
def own_server() -> Iterator[RedisServer]:
    """A server of this test's own, which it may kill, restart or reconfigure."""
    with RedisServer() as srv:
        yield srv


async def test_multi_channel_subscribe_with_commands_in_between(sub: Any, rc: Any) -> None:
    """A multi-channel SUBSCRIBE resolves with all its confirmations; a PING sent right after it
    (pipelined, before any confirmation arrived) gets its own reply (txredisapi bug §11.7)."""
    f1 = sub.subscribe(["c1", "c2", "c3"])
    p1 = sub.ping()
    f2 = sub.psubscribe("c*")
    p2 = sub.ping("hello")
    assert await f1 == [["subscribe", "c1", 1], ["subscribe", "c2", 2], ["subscribe", "c3", 3]]
    assert await p1 == "PONG"
    assert await f2 == [["psubscribe", "c*", 4]]
    assert await p2 == "hello"
    assert await rc.publish("c2", "x") == 2
    got = {await nxt(sub), await nxt(sub)}
    assert got == {Message(None, "c2", "x"), Message("c*", "c2", "x")}
    assert await rc.pubsub_numsub("c1", "c2", "nope") == {"c1": 1, "c2": 1, "nope": 0}
    assert await rc.pubsub_numpat() >= 1
    assert "c3" in await rc.pubsub_channels("c*")
    assert sub.channels == [b"c1", b"c2", b"c3"] and sub.patterns == [b"c*"]


async def test_ping_outside_subscribed_mode(sub: Any) -> None:
    """PING answers "PONG" both before any subscription (+PONG) and while subscribed (["pong", ""])."""
    assert await sub.ping() == "PONG"
    await sub.subscribe("only")
    assert await sub.ping() == "PONG"


async def test_plain_and_pattern_messages_in_order(sub: Any, rc: Any) -> None:
    """Plain messages have pattern None, pattern messages carry their pattern; order is kept."""
    await sub.subscribe("news.tech")
    await sub.psubscribe(["sport.*"])
    for i in range(5):
        await rc.publish("news.tech", f"n{i}")
        await rc.publish("sport.ball", f"s{i}")
    got = [await nxt(sub) for _ in range(10)]
    expected = []
    for i in range(5):
        expected += [Message(None, "news.tech", f"n{i}"), Message("sport.*", "sport.ball", f"s{i}")]
    assert got == expected


async def test_conversions_follow_connection_options(redis_server: RedisServer, rc: Any) -> None:
    """Channel, pattern and payload obey convertNumbers and charset like every other reply."""
    async with redis.SubscriberConnection(redis_server.host, redis_server.port) as s:
        await s.subscribe(42)
        await rc.publish(42, "7")
        assert await nxt(s) == Message(None, 42, 7)
    async with redis.SubscriberConnection(redis_server.host, redis_server.port, convertNumbers=False) as s:
        await s.psubscribe("4*")
        await rc.publish(42, "7.5")
        assert await nxt(s) == Message("4*", "42", "7.5")


async def test_binary_payloads_with_charset_none(redis_server: RedisServer, rc: Any) -> None:
    """With charset=None channels and payloads are bytes, every byte value intact."""
    payload = bytes(range(256)) * 4
    async with redis.SubscriberConnection(redis_server.host, redis_server.port, charset=None) as s:
        await s.subscribe(bytearray(b"bin\xff"))  # one channel, not a list of ints
        await s.psubscribe(b"bi*")
        await rc.publish(b"bin\xff", payload)
        got = {await nxt(s), await nxt(s)}
        assert got == {Message(None, b"bin\xff", payload), Message(b"bi*", b"bin\xff", payload)}


async def test_unsubscribe_all_then_subscribe_again(sub: Any, rc: Any) -> None:
    """Unsubscribe-all resolves once every channel is confirmed gone (patterns stay); after it a
    publish reaches nobody, and subscribing again works."""
    await sub.subscribe(["a", "b"])
    await sub.psubscribe("p*")
    res = await sub.unsubscribe()
    assert sorted(r[1] for r in res) == ["a", "b"] and [r[0] for r in res] == ["unsubscribe"] * 2
    assert res[-1][2] == 1  # the pattern still counts
    assert sub.channels == []
    assert await rc.publish("a", "lost") == 0
    assert await sub.punsubscribe() == [["punsubscribe", "p*", 0]]
    assert await sub.unsubscribe() == [["unsubscribe", None, 0]]  # nothing left: one confirmation
    assert await sub.ping() == "PONG"
    assert await sub.subscribe("a") == [["subscribe", "a", 1]]
    assert await rc.publish("a", "found") == 1
    assert await nxt(sub) == Message(None, "a", "found")
    await sub.unsubscribe(["a", "never"])
    assert await rc.pubsub_numsub("a") == {"a": 0}


async def test_sharded_pubsub(sub: Any, rc: Any) -> None:
    """SSUBSCRIBE/SPUBLISH/SUNSUBSCRIBE and PUBSUB SHARDCHANNELS/SHARDNUMSUB (Redis 7)."""
    assert await sub.ssubscribe(["s1", "s2"]) == [["ssubscribe", "s1", 1], ["ssubscribe", "s2", 2]]
    assert sorted(await rc.pubsub_shardchannels()) == ["s1", "s2"]
    assert await rc.pubsub_shardchannels("s1") == ["s1"]
    assert await rc.pubsub_shardnumsub("s1", "zz") == {"s1": 1, "zz": 0}
    assert await rc.spublish("s2", "hey") == 1
    assert await nxt(sub) == Message(None, "s2", "hey")
    assert len(await sub.sunsubscribe()) == 2
    assert await rc.spublish("s2", "hey") == 0


async def test_other_commands_refused_synchronously(sub: Any) -> None:
    """Ordinary commands raise RedisError when called, before anything is sent; the connection
    stays usable. Unknown attributes are still AttributeError."""
    with pytest.raises(redis.RedisError, match=r"get\(\) cannot run on a subscriber"):
        sub.get("k")
    with pytest.raises(redis.RedisError, match="cannot run on a subscriber"):
        sub.publish("c", "m")
    with pytest.raises(AttributeError):
        sub.no_such_thing  # noqa: B018
    with pytest.raises(ValueError):
        sub.subscribe([])
    with pytest.raises(TypeError, match="channel/pattern is of type dict"):
        sub.subscribe([{"a": 1}])
    assert sub.channels == []
    assert await sub.ping() == "PONG"


async def test_cancelled_subscribe_does_not_shift_replies(sub: Any, rc: Any) -> None:
    """A cancelled subscribe's confirmations are consumed, never handed to the next command."""
    f = sub.subscribe(["x", "y", "z"])
    f.cancel()
    assert await sub.ping() == "PONG"
    assert await rc.publish("y", "still") == 1
    assert await nxt(sub) == Message(None, "y", "still")


async def test_refused_subscription_fails_that_call(auth_server: RedisServer) -> None:
    """An error reply to SUBSCRIBE (ACL: no permission) fails that call only; the channel is
    not kept for resubscription and the next command gets its own reply."""
    async with redis.SubscriberConnection(auth_server.host, auth_server.port, username=LIMITED_USER,
                                          password=LIMITED_PASSWORD) as s:
        with pytest.raises(redis.ResponseError, match="NOPERM"):
            await s.subscribe(["c1", "c2"])
        assert s.channels == []
        assert await s.ping() == "PONG"


async def test_message_received_override(redis_server: RedisServer, rc: Any) -> None:
    """A subclass overriding messageReceived (txredisapi style) gets every message instead of
    the iterator."""

    class Collector(redis.Subscriber):
        got: list = []

        def messageReceived(self, pattern: Any, channel: Any, message: Any) -> None:
            self.got.append((pattern, channel, message))

    async with redis.SubscriberConnection(redis_server.host, redis_server.port,
                                          subscriber_class=Collector) as s:
        assert isinstance(s, Collector)
        await s.subscribe("cc")
        await rc.publish("cc", "m1")
        await wait_for(lambda: Collector.got == [(None, "cc", "m1")])
        assert s.statistics()["queued"] == 0


async def test_lazy_subscriber_subscribes_once_connected(redis_server: RedisServer, rc: Any) -> None:
    """A lazy subscriber accepts subscribe() before it is connected and delivers messages after."""
    s = redis.lazySubscriberConnection(redis_server.host, redis_server.port)
    try:
        res = await s.subscribe("lazy")
        assert res[0][:2] == ["subscribe", "lazy"]
        assert await rc.publish("lazy", "m") == 1
        assert await nxt(s) == Message(None, "lazy", "m")
    finally:
        await s.disconnect()


def calls(info: dict, command: str) -> int:
    """How many times the server ran ``command`` (from INFO commandstats)."""
    stat = info.get(f"cmdstat_{command}")
    return 0 if stat is None else int(dict(kv.split("=") for kv in stat.split(","))["calls"])


async def test_calls_before_connected_are_sent_once_in_order(own_server: RedisServer) -> None:
    """(Un)subscriptions made before a lazy subscriber is connected are not sent twice (the
    resubscription on connect carries what is wanted then; those calls resolve with its
    confirmations), and their net effect follows call order: an unsubscribe later undone by a
    subscribe leaves the channel subscribed."""
    srv = own_server
    s = redis.lazySubscriberConnection(srv.host, srv.port)
    try:
        f1 = s.subscribe(["a", "b"])
        f2 = s.psubscribe("p*")
        f3 = s.unsubscribe("b")
        f4 = s.subscribe(["b", "c"])
        f5 = s.ping()
        # On connect: SUBSCRIBE a b c and PSUBSCRIBE p* (what is wanted then); then UNSUBSCRIBE b
        # and SUBSCRIBE b for the calls that need it.
        assert await f1 == [["subscribe", "a", 1], ["subscribe", "b", 2]]
        assert await f2 == [["psubscribe", "p*", 4]]
        assert await f3 == [["unsubscribe", "b", 3]]
        assert await f4 == [["subscribe", "b", 4], ["subscribe", "c", 3]]
        assert await f5 == "PONG"
        async with redis.Connection(srv.host, srv.port) as c:
            assert await c.pubsub_numsub("a", "b", "c") == {"a": 1, "b": 1, "c": 1}
            info = await c.info("commandstats")
            assert [calls(info, c) for c in ("subscribe", "psubscribe", "unsubscribe")] == [2, 1, 1]
            assert await c.publish("b", "m") == 1
        assert await nxt(s) == Message(None, "b", "m")
        assert s.channels == [b"a", b"b", b"c"]
    finally:
        await s.disconnect()


async def test_refused_subscription_made_while_connecting_fails_that_call(auth_server: RedisServer) -> None:
    """A subscribe() made before a lazy subscriber is connected, which the server refuses when
    the connection subscribes (ACL), fails with the server's error and is not kept; the
    subscriber then closes (a refused resubscription ends the stream): the iterator raises it."""
    s = redis.lazySubscriberConnection(auth_server.host, auth_server.port, username=LIMITED_USER,
                                       password=LIMITED_PASSWORD)
    try:
        with pytest.raises(redis.NoPermissionError):
            await s.subscribe("forbidden")
        assert s.channels == []
        with pytest.raises(redis.NoPermissionError):
            await nxt(s)
    finally:
        await s.disconnect()


async def test_unix_subscriber(unix_server: RedisServer) -> None:
    """The Unix-socket variants work like the TCP ones."""
    assert unix_server.unixsocket is not None
    async with redis.UnixSubscriberConnection(unix_server.unixsocket) as s, \
            redis.UnixConnection(unix_server.unixsocket) as c:
        await s.subscribe("u")
        await c.publish("u", "hi")
        assert await nxt(s) == Message(None, "u", "hi")
    s2 = redis.lazyUnixSubscriberConnection(unix_server.unixsocket)
    assert await s2.ping() == "PONG"
    await s2.disconnect()


async def test_disconnect_ends_iteration(sub: Any, rc: Any) -> None:
    """disconnect() ends ``async for`` cleanly after the messages already received."""
    await sub.subscribe("end")
    await rc.publish("end", "last")
    await wait_for(lambda: sub.statistics()["queued"] == 1)
    got = []

    async def consume() -> None:
        async for m in sub:
            got.append(m)

    task = asyncio.ensure_future(consume())
    await sub.disconnect()
    await asyncio.wait_for(task, 5)
    assert got == [Message(None, "end", "last")]


async def test_resubscribes_after_server_restart(own_server: RedisServer) -> None:
    """After the server is killed and restarted on the same port, channels, patterns and shard
    channels are subscribed again before new messages are yielded; with events=True the gap is
    reported as Disconnected then Reconnected; without, nothing but messages is yielded."""
    srv = own_server
    s = await redis.SubscriberConnection(srv.host, srv.port, events=True)
    quiet = await redis.SubscriberConnection(srv.host, srv.port)
    for x in (s, quiet):
        x._pool.initialDelay, x._pool.maxDelay = 0.02, 0.2
        await x.subscribe(["r1", "r2"])
        await x.psubscribe("rp*")
        await x.ssubscribe("rs")
    srv.kill()
    ev = await nxt(s)
    assert isinstance(ev, redis.Disconnected) and isinstance(ev.reason, redis.ConnectionError)
    srv.start()
    assert await nxt(s, 15) == redis.Reconnected()
    async with redis.Connection(srv.host, srv.port) as pub:
        await wait_for(lambda: quiet.statistics()["connected"], 15)
        await quiet.ping()  # its resubscription is confirmed before this reply
        assert await pub.pubsub_numsub("r1", "r2") == {"r1": 2, "r2": 2}
        assert await pub.publish("r2", "after") == 2
        assert await pub.publish("rpx", "pat") == 2
        assert await pub.spublish("rs", "shard") == 2
    for x in (s, quiet):
        got = [await nxt(x) for _ in range(3)]
        assert got == [
            Message(None, "r2", "after"), Message("rp*", "rpx", "pat"), Message(None, "rs", "shard"),
        ]
    await s.disconnect()
    await quiet.disconnect()


async def test_lost_connection_without_reconnect_ends_iteration(own_server: RedisServer) -> None:
    """With reconnect=False a lost connection makes the iterator raise ConnectionError."""
    s = await redis.SubscriberConnection(own_server.host, own_server.port, reconnect=False)
    await s.subscribe("x")
    own_server.kill()
    with pytest.raises(redis.ConnectionError, match="Lost connection"):
        await nxt(s)
    await s.disconnect()


async def test_slow_consumer_bounds_the_queue(redis_server: RedisServer) -> None:
    """A consumer slower than the publisher pauses socket reading at max_queue and resumes
    below the low-water mark: the queue never exceeds max_queue, nothing is lost or reordered."""
    total, mark = 3000, 100
    async with redis.SubscriberConnection(redis_server.host, redis_server.port, max_queue=mark) as s, \
            redis.Connection(redis_server.host, redis_server.port) as rc:  # one socket: ordered
        await s.subscribe("flood")
        payload = "x" * 200
        for start in range(0, total, 500):
            await asyncio.gather(*(rc.publish("flood", f"{i}:{payload}") for i in range(start, start + 500)))
        await wait_for(lambda: s.statistics()["paused"])
        proto = s._proto
        assert proto is not None and not proto.transport.is_reading()
        assert s.statistics()["queued"] == mark
        got = 0
        async for m in s:
            assert m.data == f"{got}:{payload}"
            got += 1
            if got % 50 == 0:
                await asyncio.sleep(0)  # a slow consumer lets others run
            if got == total:
                break
        stats = s.statistics()
        assert stats["peak_queued"] <= mark
        assert stats["pauses"] >= 2
        assert not stats["paused"] and proto.transport.is_reading()


async def test_commands_get_their_replies_while_paused(redis_server: RedisServer) -> None:
    """PING and SUBSCRIBE awaited by the consumer while the subscriber is paused resolve (they
    used to wait for a drain only that consumer could do): reading resumes until their replies,
    so exactly the messages sent before them are queued beyond the mark; then reading stops
    again, and nothing is lost or reordered."""
    async with redis.SubscriberConnection(redis_server.host, redis_server.port, max_queue=10) as s, \
            redis.Connection(redis_server.host, redis_server.port) as pub:
        await s.subscribe("a")
        for i in range(30):
            await pub.publish("a", i)
        await wait_for(lambda: s.statistics()["paused"])
        assert await nxt(s) == Message(None, "a", 0)
        assert s.statistics()["queued"] == 9 and s.statistics()["paused"]
        assert await asyncio.wait_for(s.ping(), 5) == "PONG"
        assert s.statistics()["queued"] == 29  # the 20 the server sent before the PONG
        assert await asyncio.wait_for(s.subscribe("b"), 5) == [["subscribe", "b", 2]]
        proto = s._proto
        assert proto is not None and not proto.transport.is_reading()  # paused again
        await pub.publish("b", "after")
        got = [await nxt(s) for _ in range(30)]
        assert [m.data for m in got[:29]] == list(range(1, 30)) and got[29] == Message(None, "b", "after")
        assert s.statistics()["peak_queued"] == 29 and not s.statistics()["paused"]


async def test_reply_timeout_applies_to_subscriber_commands(own_server: RedisServer) -> None:
    """replyTimeout applies to a subscriber's commands (it used to be ignored): a PING the
    server does not answer in time fails with TimeoutError; the subscriber reconnects and
    resubscribes."""
    srv = own_server
    async with redis.SubscriberConnection(srv.host, srv.port, replyTimeout=0.3, events=True) as s, \
            redis.Connection(srv.host, srv.port) as admin:
        s._pool.initialDelay = 0.02
        await s.subscribe("t")
        await admin.execute_command("CLIENT", "PAUSE", 1500, "ALL")
        with pytest.raises(redis.TimeoutError):
            await asyncio.wait_for(s.ping(), 5)
        await admin.execute_command("CLIENT", "UNPAUSE")
        events = [await nxt(s)]
        while events[-1] != redis.Reconnected():  # a reconnect made while paused times out too
            events.append(await nxt(s, 10))
        assert isinstance(events[0], redis.Disconnected)
        assert await pub_count(admin, "t") == 1


async def pub_count(c: Any, channel: str) -> int:
    """How many subscribers the server counts for ``channel``."""
    return (await c.pubsub_numsub(channel))[channel]


async def test_keyspace_notifications(own_server: RedisServer) -> None:
    """Keyspace notifications arrive through psubscribe once notify-keyspace-events is set."""
    async with redis.Connection(own_server.host, own_server.port) as c, \
            redis.SubscriberConnection(own_server.host, own_server.port) as s:
        await c.execute_command("CONFIG", "SET", "notify-keyspace-events", "KEA")
        await s.psubscribe("__keyspace@0__:*")
        await c.set("foo", "bar")
        await c.delete("foo")
        assert await nxt(s) == Message("__keyspace@0__:*", "__keyspace@0__:foo", "set")
        assert await nxt(s) == Message("__keyspace@0__:*", "__keyspace@0__:foo", "del")
        assert await no_item(s)


async def test_subscribe_while_down_is_kept_for_reconnect(own_server: RedisServer) -> None:
    """A subscribe() made while the server is down fails with ConnectionError, but the channel
    stays in the subscriber's set and is subscribed when the connection comes back; an
    unsubscribe() made while down is honoured the same way. The errors say so."""
    srv = own_server
    s = await redis.SubscriberConnection(srv.host, srv.port, events=True)
    s._pool.initialDelay, s._pool.maxDelay = 0.5, 0.5
    await s.subscribe(["old", "gone"])
    srv.kill()
    assert isinstance(await nxt(s), redis.Disconnected)
    await wait_for(lambda: s._pool._slots[0].state == "down")
    with pytest.raises(redis.ConnectionError, match="Not connected; SUBSCRIBE late stays wanted"):
        await s.subscribe("late")
    with pytest.raises(redis.ConnectionError, match="Not connected; UNSUBSCRIBE stays in effect"):
        await s.unsubscribe("gone")
    assert s.channels == [b"old", b"late"]
    srv.start()
    assert await nxt(s, 15) == redis.Reconnected()
    async with redis.Connection(srv.host, srv.port) as pub:
        assert await pub.pubsub_numsub("old", "late", "gone") == {"old": 1, "late": 1, "gone": 0}
        await pub.publish("late", "m")
        assert await nxt(s) == Message(None, "late", "m")
    await s.disconnect()


async def test_resubscription_refused_after_acl_change_raises() -> None:
    """If the server refuses the resubscription after a reconnect (here an ACL change that also
    made the server drop the client), the iterator raises that error instead of going quiet."""
    with RedisServer(conf=["user sub on >pw ~* &ok* +@all"]) as srv:
        s = await redis.SubscriberConnection(srv.host, srv.port, username="sub", password="pw",
                                             events=True)
        s._pool.initialDelay = 0.02
        await s.subscribe("ok1")
        async with redis.Connection(srv.host, srv.port) as admin:
            await admin.execute_command("ACL", "SETUSER", "sub", "resetchannels", "&other*")
        first = await nxt(s)
        assert isinstance(first, redis.Disconnected) and isinstance(first.reason, redis.ConnectionError)
        second = await nxt(s)
        assert isinstance(second, redis.Disconnected)
        assert isinstance(second.reason, redis.NoPermissionError)
        with pytest.raises(redis.NoPermissionError):
            await nxt(s)
        await s.disconnect()


async def test_server_dropping_a_paused_subscriber_is_a_reported_gap() -> None:
    """When a paused (slow) subscriber overflows the server's pub/sub output buffer, the server
    drops it: the consumer gets an unbroken prefix of the messages, then Disconnected and
    Reconnected, then new messages; the queue stays bounded throughout."""
    with RedisServer(conf=["client-output-buffer-limit pubsub 256kb 0 0"]) as srv:
        s = await redis.SubscriberConnection(srv.host, srv.port, events=True, max_queue=50)
        await s.subscribe("f")
        async with redis.Connection(srv.host, srv.port) as pub:
            payload = "y" * 1000
            dropped = False
            for start in range(0, 20000, 500):
                counts = await asyncio.gather(*(pub.publish("f", f"{i}:{payload}")
                                                for i in range(start, start + 500)))
                if counts[-1] == 0:
                    dropped = True
                    break
            assert dropped, "the server never dropped the paused subscriber"
            n = 0
            item = await nxt(s)
            while isinstance(item, redis.Message):
                assert item.data == f"{n}:{payload}"
                n += 1
                item = await nxt(s)
            assert n >= 50 and isinstance(item, redis.Disconnected)
            assert await nxt(s, 15) == redis.Reconnected()
            await s.ping()
            assert await pub.publish("f", "after") == 1
            assert await nxt(s) == Message(None, "f", "after")
        assert s.statistics()["peak_queued"] <= 52
        await s.disconnect()


async def test_subscriber_to_dead_server_raises_connect_error() -> None:
    """Awaiting SubscriberConnection to a port nobody listens on raises ConnectError (as
    Connection does), and the subscriber is closed."""
    from txredis_aio.testing import free_port

    opening = redis.SubscriberConnection("127.0.0.1", free_port())
    with pytest.raises(redis.ConnectError):
        await opening
    assert "closed" in repr(opening.handler)
    with pytest.raises(StopAsyncIteration):
        await nxt(opening.handler)


async def test_failed_async_with_on_lazy_subscriber_stops_reconnecting() -> None:
    """``async with lazySubscriberConnection(...)`` (and a lazy monitor) whose start fails
    raises the connect error and leaves nothing running: the connection is closed and its
    reconnect task has ended."""
    from txredis_aio.testing import free_port

    for feed in (redis.lazySubscriberConnection("127.0.0.1", free_port()),
                 redis.lazyMonitorConnection("127.0.0.1", free_port())):
        with pytest.raises(redis.ConnectError):
            async with feed:
                raise AssertionError("not reached")
        assert feed._pool.closed and "closed" in repr(feed)
        await wait_for(lambda f=feed: all(s._task is None or s._task.done() for s in f._pool._slots))
