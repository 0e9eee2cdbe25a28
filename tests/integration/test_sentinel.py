"""Sentinel against real masters, replicas and sentinels (``--sentinel`` mode): discovery and failover."""

from __future__ import annotations

import asyncio
import ssl
import time
from typing import Any, Iterator

import hiredis
import pytest

import txredis_aio as redis
from tests.integration.sentinel_fixtures import SentinelSetup
from txredis_aio.sentinel import Sentinel, parse_sentinel_state
from txredis_aio.testing import RedisServer, free_port

DATA_PW = "data-pw"
SENTINEL_PW = "sentinel-pw"


async def wait_for(cond, timeout: float = 15.0) -> None:
    """Poll an async ``cond()`` until true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def set_ok(handler: Any, key: str, value: Any) -> bool:
    """SET through the handler: True once it succeeds, False while it fails to connect."""
    try:
        return await handler.set(key, value) == "OK"
    except redis.ConnectionError:
        return False


@pytest.fixture(scope="module")
def stable() -> Iterator[SentinelSetup]:
    """Passwords everywhere (data and sentinels differ), one replica, and a replica-less "solo"."""
    setup = SentinelSetup(master_password=DATA_PW, sentinel_password=SENTINEL_PW,
                          solo_services=["solo"]).start()
    try:
        setup.wait_ready()
        yield setup
    finally:
        setup.cleanup()


@pytest.fixture
def fresh() -> Iterator[SentinelSetup]:
    """A new set-up for a test that fails the master over."""
    setup = SentinelSetup().start()
    try:
        setup.wait_ready()
        yield setup
    finally:
        setup.cleanup()


@pytest.fixture
async def sentinel(stable: SentinelSetup):
    s = Sentinel(stable.sentinel_addresses, password=SENTINEL_PW)
    yield s
    await s.disconnect()


async def test_discover_master_and_slaves(sentinel: Sentinel, stable: SentinelSetup) -> None:
    """discover_master names the master, discover_slaves the replica; unknown services fail fast."""
    assert await sentinel.discover_master("mymaster") == ("127.0.0.1", stable.master.port)
    assert await sentinel.discover_slaves("mymaster") == [("127.0.0.1", stable.replicas[0].port)]
    assert await sentinel.discover_slaves("solo") == []
    t0 = time.monotonic()
    with pytest.raises(redis.MasterNotFoundError, match="No master found for nosuch"):
        await sentinel.discover_master("nosuch")
    assert time.monotonic() - t0 < 1.0  # every sentinel answered: no need to wait 10 s
    assert Sentinel.discovery_timeout == 10


async def test_min_other_sentinels_and_dead_sentinels(stable: SentinelSetup) -> None:
    """A master seen by too few sentinels is refused; unreachable sentinels are skipped."""
    picky = Sentinel(stable.sentinel_addresses, min_other_sentinels=3, password=SENTINEL_PW)
    try:
        with pytest.raises(redis.MasterNotFoundError):
            await picky.discover_master("mymaster")
    finally:
        await picky.disconnect()
    some_dead = Sentinel([("127.0.0.1", free_port()), *stable.sentinel_addresses[:1]],
                         min_other_sentinels=2, password=SENTINEL_PW)
    try:
        assert await some_dead.discover_master("mymaster") == ("127.0.0.1", stable.master.port)
    finally:
        await some_dead.disconnect()


async def test_master_for_gets_the_data_connection_options(sentinel: Sentinel, stable) -> None:
    """master_for returns at once; password, dbid, client name and convertNumbers reach the master."""
    m = sentinel.master_for("mymaster", dbid=3, poolsize=2, password=DATA_PW, client_name="app",
                            convertNumbers=False)
    try:
        assert isinstance(m, redis.SentinelConnectionHandler)
        assert await m.set("sk", 12) == "OK"
        assert await m.get("sk") == "12"  # convertNumbers=False reached the connection
        assert await m.execute_command("CLIENT", "GETNAME") == "app"
        assert call_db(stable, stable.master, 3, "GET", "sk") == "12"
        assert f"127.0.0.1:{stable.master.port}" in repr(m) and "master of 'mymaster'" in repr(m)

        async def watched_everywhere() -> bool:  # the +switch-master watchers AUTHed with their password
            return all("cmd=subscribe" in stable.sentinel_call(i, "CLIENT", "LIST") for i in range(3))

        await wait_for(watched_everywhere)
        with pytest.raises(TypeError):
            sentinel.master_for("mymaster", bogus=1)
    finally:
        await m.disconnect()
    nopw = sentinel.master_for("mymaster")
    try:
        with pytest.raises(redis.ConnectionError):
            await nopw.get("sk")  # AUTH is required by the data node
    finally:
        await nopw.disconnect()


def call_db(setup: SentinelSetup, server, db: int, *args: Any) -> Any:
    """A command in database ``db`` of one data server."""
    import socket

    with socket.create_connection(("127.0.0.1", server.port), 2) as s:
        cmds = [("AUTH", setup.master_password), ("SELECT", db), args]
        s.sendall(b"".join(hiredis.pack_command(c) for c in cmds))
        reader, out = hiredis.Reader(encoding="utf-8"), []
        while len(out) < 3:
            reader.feed(s.recv(65536))
            r = reader.gets()
            while r is not False:
                out.append(r)
                r = reader.gets()
    return out[-1]


async def test_slave_for_reads_replicas_and_falls_back_to_master(sentinel: Sentinel, stable) -> None:
    """slave_for connects to a replica (writes refused); with no replica it uses the master."""
    s = sentinel.slave_for("mymaster", password=DATA_PW)
    solo = sentinel.slave_for("solo")
    try:
        role = await s.execute_command("ROLE")
        assert role[0] == "slave" and f"127.0.0.1:{stable.replicas[0].port}" in repr(s)
        with pytest.raises(redis.ReadOnlyError):
            await s.set("x", 1)
        assert (await solo.execute_command("ROLE"))[0] == "master"
        assert f"127.0.0.1:{stable.solos[0].port}" in repr(solo)
    finally:
        await s.disconnect()
        await solo.disconnect()


async def test_a_master_whose_role_is_not_master_is_dropped(sentinel: Sentinel, stable) -> None:
    """While the node Sentinel names says ROLE slave, master_for keeps no connection to it."""
    solo = stable.solos[0]
    stable.data_call(solo, "REPLICAOF", "127.0.0.1", str(free_port()))
    m = sentinel.master_for("solo")
    try:
        with pytest.raises(redis.ConnectionError):
            await m.set("k", 1)
        assert m._pool.connected == 0
        stable.data_call(solo, "REPLICAOF", "NO", "ONE")

        await wait_for(lambda: set_ok(m, "k", 1))
    finally:
        stable.data_call(solo, "REPLICAOF", "NO", "ONE")
        await m.disconnect()


async def test_readonly_reply_makes_the_master_pool_look_again(sentinel: Sentinel, stable, caplog) -> None:
    """A READONLY reply (the node was demoted behind our back) drops the pool's connections (one
    warning per connection, not per reply); it refuses the node while ROLE says slave and comes
    back once the node is master again."""
    solo = stable.solos[0]
    m = sentinel.master_for("solo", poolsize=2)
    try:
        assert await asyncio.gather(m.set("k", 1), m.set("k", 1)) == ["OK", "OK"]  # both connected
        stable.data_call(solo, "REPLICAOF", "127.0.0.1", str(free_port()))
        results = await asyncio.gather(*(m.set("k", 2) for _ in range(20)), return_exceptions=True)
        assert any(isinstance(r, redis.ReadOnlyError) for r in results)
        assert all(isinstance(r, (redis.ReadOnlyError, redis.ConnectionError)) for r in results)

        async def dropped() -> bool:
            return m._pool.connected == 0

        await wait_for(dropped)
        assert 1 <= sum("answered READONLY" in r.getMessage() for r in caplog.records) <= 2
        with pytest.raises(redis.ConnectionError):
            await m.set("k", 3)
        stable.data_call(solo, "REPLICAOF", "NO", "ONE")

        await wait_for(lambda: set_ok(m, "k", 4))
        assert stable.data_call(solo, "GET", "k") == "4"
    finally:
        stable.data_call(solo, "REPLICAOF", "NO", "ONE")
        await m.disconnect()


async def test_roles_rechecked_when_a_watcher_reconnects(sentinel: Sentinel, stable) -> None:
    """Events may be lost while the watchers are cut off: once they are back, a master pool whose
    node was demoted meanwhile (no write told it) drops its connections."""
    solo = stable.solos[0]
    m = sentinel.master_for("solo", poolsize=2)
    try:
        assert await m.set("k", 1) == "OK"

        async def both_up() -> bool:  # the first SET may ride on the first connection alone
            return m._pool.connected == 2

        await wait_for(both_up)

        async def watched() -> bool:
            return all("cmd=subscribe" in stable.sentinel_call(i, "CLIENT", "LIST") for i in range(3))

        await wait_for(watched)
        stable.data_call(solo, "REPLICAOF", "127.0.0.1", str(free_port()))
        assert m._pool.connected == 2  # nothing noticed yet: no write, no event
        for i in range(3):
            stable.sentinel_call(i, "CLIENT", "KILL", "TYPE", "pubsub")

        async def dropped() -> bool:
            return m._pool.connected == 0

        await wait_for(dropped)
        stable.data_call(solo, "REPLICAOF", "NO", "ONE")

        await wait_for(lambda: set_ok(m, "k", 2))
    finally:
        stable.data_call(solo, "REPLICAOF", "NO", "ONE")
        await m.disconnect()


async def test_no_task_left_once_sentinel_and_handlers_are_disconnected(stable) -> None:
    """Sentinel.disconnect() leaves the data handlers open (txredisapi); once they are disconnected
    too, in either order, no task is left running: watchers, connection slots, discoveries."""
    here = asyncio.current_task()
    baseline = set(asyncio.all_tasks())

    async def settled() -> bool:
        return not {t for t in asyncio.all_tasks() - baseline if t is not here and not t.done()}

    for sentinel_first in (True, False):
        s = Sentinel(stable.sentinel_addresses, password=SENTINEL_PW)
        m = s.master_for("mymaster", poolsize=2, password=DATA_PW)
        r = s.slave_for("mymaster", password=DATA_PW)
        lost = s.master_for("nosuch")  # still asking the sentinels when everything closes
        assert await m.set("t", 1) == "OK"
        assert (await r.execute_command("ROLE"))[0] == "slave"
        assert len(asyncio.all_tasks() - baseline) > 3  # slots and watchers are running
        if sentinel_first:
            await s.disconnect()
            assert await m.get("t") == 1  # the data handlers are not closed by the Sentinel
            await asyncio.gather(m.disconnect(), r.disconnect(), lost.disconnect())
        else:
            await asyncio.gather(m.disconnect(), r.disconnect(), lost.disconnect())
            await s.disconnect()
        await wait_for(settled, timeout=5)


async def test_sentinels_over_tls(tls_certs: dict[str, str]) -> None:
    """With an SSLContext (client certificate required), discovery and the +switch-master
    watchers both reach the sentinels over TLS."""
    from tests.conftest import server_supports_tls

    if not server_supports_tls():
        pytest.skip("this redis-server binary was built without TLS")
    tls = {"tls-cert-file": tls_certs["cert"], "tls-key-file": tls_certs["key"],
           "tls-ca-cert-file": tls_certs["ca"], "tls-auth-clients": "yes"}
    setup = SentinelSetup(replicas=0, sentinels=1, sentinel_tls=tls).start()
    try:
        setup.wait_ready()
        ctx = ssl.create_default_context(cafile=tls_certs["ca"])
        ctx.load_cert_chain(tls_certs["client_cert"], tls_certs["client_key"])
        tls_port = setup.tls_ports[0]
        async with Sentinel([("localhost", tls_port)], ssl_context_factory=ctx) as s:
            assert await s.discover_master("mymaster") == ("127.0.0.1", setup.master.port)
            m = s.master_for("mymaster")
            try:
                assert await m.set("k", 1) == "OK"

                async def watching_over_tls() -> bool:
                    return any("cmd=subscribe" in line and f"laddr=127.0.0.1:{tls_port}" in line
                               for line in setup.sentinel_call(0, "CLIENT", "LIST").splitlines())

                await wait_for(watching_over_tls)
            finally:
                await m.disconnect()
    finally:
        setup.cleanup()


def test_parse_sentinel_state() -> None:
    """SENTINEL MASTERS entries: numbers converted, is_* flags derived from ``flags``."""
    state = parse_sentinel_state([b"name", b"m", b"ip", b"127.0.0.1", b"port", b"6379",
                                  b"flags", b"master,s_down", b"num-other-sentinels", b"2"])
    assert state["port"] == 6379 and state["ip"] == "127.0.0.1" and state["num-other-sentinels"] == 2
    assert state["is_master"] and state["is_sdown"] and not state["is_odown"] and not state["is_slave"]
    s = Sentinel([])
    assert not s.check_master_state(state)
    assert Sentinel.filter_slaves([
        {"ip": "a", "port": "1", "is_odown": False, "is_sdown": False},
        {"ip": "b", "port": 2, "is_odown": False, "is_sdown": True},
    ]) == [("a", 1)]


async def switch_times(setup: SentinelSetup, events: list[tuple[float, str]]) -> asyncio.Future[Any]:
    """An independent subscriber on every sentinel timestamping ``+switch-master`` (earliest first)."""

    async def one(port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(hiredis.pack_command(("SUBSCRIBE", "+switch-master")))
        parser = hiredis.Reader(encoding="utf-8")
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    return
                parser.feed(data)
                msg = parser.gets()
                while msg is not False:
                    if msg[0] == "message":
                        events.append((time.monotonic(), msg[2]))
                    msg = parser.gets()
        finally:
            writer.close()

    return asyncio.gather(*(one(s.port) for s in setup.sentinels))


async def test_master_killed_while_writing(fresh: SentinelSetup, capsys) -> None:
    """SIGKILL the master under a writer: writes resume on the promoted replica as soon as the
    sentinels switch (outage under their failover time + 1 s); replica reads fall back too."""
    events: list[tuple[float, str]] = []
    watcher = await switch_times(fresh, events)
    sentinel = Sentinel(fresh.sentinel_addresses)
    m = sentinel.master_for("mymaster")
    reader = sentinel.slave_for("mymaster")
    replica = fresh.replicas[0]
    try:
        assert await m.set("w", 0) == "OK"
        assert (await reader.execute_command("ROLE"))[0] == "slave"
        acked: list[tuple[float, float, int]] = []  # (issued at, acknowledged at, value)
        failed: list[float] = []
        stop = False

        async def writer() -> None:
            i = 0
            while not stop:
                i += 1
                issued = time.monotonic()
                try:
                    await m.set("w", i)
                    acked.append((issued, time.monotonic(), i))
                except redis.ConnectionError:
                    failed.append(time.monotonic())
                await asyncio.sleep(0.005)

        task = asyncio.ensure_future(writer())
        await wait_for(lambda: _true(len(acked) > 20))
        killed_at = time.monotonic()
        fresh.master.kill()
        await wait_for(lambda: _true(bool(events)), timeout=30)
        switched_at = events[0][0]
        await wait_for(lambda: _true(bool(acked) and acked[-1][1] > switched_at))
        stop = True
        await task
        # A write issued before the kill may be acknowledged just after it (the old master had
        # answered it): only writes issued after the kill show when writing resumed. That
        # mix-up once printed "first write after the switch -2.274 s".
        last_before = max(t for _, t, _ in acked if t < killed_at)
        resumed = min(t for issued, t, _ in acked if issued > killed_at)
        outage = resumed - last_before
        failover = switched_at - killed_at
        with capsys.disabled():  # shown in every run, not only with -s
            print(f"\n[sentinel] failover (kill -> +switch-master seen): {failover:.3f} s; "
                  f"writes failed for {outage:.3f} s ({len(failed)} failed attempts); first write "
                  f"issued after the kill acknowledged {resumed - switched_at:+.3f} s from the switch")
        assert resumed > killed_at
        assert outage < failover + 1.0
        assert events[0][1].endswith(f"127.0.0.1 {replica.port}")
        assert fresh.data_call(replica, "ROLE")[0] == "master"
        assert int(fresh.data_call(replica, "GET", "w")) == acked[-1][2]
        assert await m.set("after", 1) == "OK" and fresh.data_call(replica, "GET", "after") == "1"
        assert f"127.0.0.1:{replica.port}" in repr(m)

        async def reader_on_new_master() -> bool:
            try:
                return (await reader.execute_command("ROLE"))[0] == "master"
            except redis.ConnectionError:
                return False

        await wait_for(reader_on_new_master)  # no replica left: slave_for uses the master
    finally:
        watcher.cancel()
        await m.disconnect()
        await reader.disconnect()
        await sentinel.disconnect()


async def _true(value: bool) -> bool:
    return value


async def test_planned_failover_moves_the_pool(fresh: SentinelSetup, capsys) -> None:
    """SENTINEL FAILOVER: the pool moves to the promoted replica without the application acting,
    and no command is reported successful that the new master did not answer after the switch."""
    events: list[tuple[float, str]] = []
    watcher = await switch_times(fresh, events)
    sentinel = Sentinel(fresh.sentinel_addresses)
    m = sentinel.master_for("mymaster", poolsize=3)
    replica = fresh.replicas[0]
    try:
        assert await m.set("p", 0) == "OK"
        assert fresh.sentinel_call(0, "SENTINEL", "FAILOVER", "mymaster") == "OK"
        await wait_for(lambda: _true(bool(events)), timeout=30)
        switched_at = events[0][0]

        async def on_replica() -> bool:
            try:
                await m.set("p", "moved")
            except redis.ConnectionError:
                return False
            return fresh.data_call(replica, "GET", "p") == "moved"

        await wait_for(on_replica)
        moved_after = time.monotonic() - switched_at
        with capsys.disabled():
            print(f"\n[sentinel] planned failover: pool on the new master "
                  f"{moved_after:.3f} s after +switch-master")
        # Without following the event the pool would stay on the old master until the sentinels
        # demote it (8 s or more later).
        assert moved_after < 2.0
        assert fresh.data_call(replica, "ROLE")[0] == "master"
        for slot in m._pool._slots:
            proto = slot.protocol
            assert proto is None or proto.transport.get_extra_info("peername")[1] == replica.port
        results = await asyncio.gather(*(m.incr("n") for _ in range(50)))
        assert sorted(results) == list(range(1, 51))
        assert int(fresh.data_call(replica, "GET", "n")) == 50
    finally:
        watcher.cancel()
        await m.disconnect()
        await sentinel.disconnect()


async def test_master_changed_without_an_event_moves_the_whole_pool() -> None:
    """The sentinels name another master and no +switch-master says so (the service was
    re-pointed): the first reconnect that asks finds the new master and closes the pool's other
    connections to the old one, so every connection ends up on the new master (txredisapi's
    test_drop_all_when_master_changes)."""
    setup = SentinelSetup(solo_services=["moved"]).start()
    other = RedisServer().start()
    try:
        setup.wait_ready()
        old = setup.solos[0]
        sentinel = Sentinel(setup.sentinel_addresses)
        m = sentinel.master_for("moved", poolsize=2, client_name="moving")
        try:
            assert await m.set("k", 1) == "OK"

            async def both_up() -> bool:
                return m._pool.connected == 2

            await wait_for(both_up)
            for i in range(len(setup.sentinels)):  # re-point the service: no +switch-master
                setup.sentinel_call(i, "SENTINEL", "REMOVE", "moved")
                setup.sentinel_call(i, "SENTINEL", "MONITOR", "moved", "127.0.0.1", str(other.port), "2")
            clients = setup.data_call(old, "CLIENT", "LIST").splitlines()
            ids = [line.split()[0].split("=")[1] for line in clients if " name=moving " in line]
            assert len(ids) == 2
            setup.data_call(old, "CLIENT", "KILL", "ID", ids[0])  # one connection reconnects and asks

            async def all_moved() -> bool:
                peers = {p.transport.get_extra_info("peername")[1] for p in m._pool.live_protocols()}
                return m._pool.connected == 2 and peers == {other.port}

            await wait_for(all_moved)
            assert await m.set("k", 2) == "OK" and setup.data_call(other, "GET", "k") == "2"
        finally:
            await m.disconnect()
            await sentinel.disconnect()
    finally:
        other.cleanup()
        setup.cleanup()
