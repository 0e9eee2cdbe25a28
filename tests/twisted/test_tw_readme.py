"""Every example of txredisapi's README, converted to Python 3, run as a script against the shim.

The scripts in ``readme/`` are the README's, with ``print()``, ``except X as e`` and the import
line changed (the transaction example's broken indentation fixed, the Sentinel example's missing
``defer`` import added and its host names pointed at local sentinels). Each runs in its own
process, with its own reactor, against servers on the default ports.
"""

from __future__ import annotations

import pytest
from tw_support import port_free, run_example

from txredis_aio.testing import RedisServer


def test_basic_connection(default_server: RedisServer) -> None:
    """The first example prints the handler and ``foo: 'bar'``."""
    out = run_example("basic.py")
    assert out.splitlines() == ["<Redis Connection: localhost:6379 - 1 connection(s)>", "foo: 'bar'"]


def test_pool_redis_killed_while_sleeping(default_server: RedisServer) -> None:
    """Killing Redis during the 5 s sleep: the get fails with ConnectionError, printed as text."""

    def on_line(line: str) -> None:
        if line.startswith("sleeping"):
            default_server.kill()

    out = run_example("pool_kill.py", on_line).splitlines()
    assert out[0] == "<Redis Connection: localhost:6379 - 10 connection(s)>"
    assert out[1] == "sleeping for 5s, kill redis now..."
    assert out[2] in ("Not connected", "Lost connection"), out


def test_pool_redis_restarted_while_sleeping(default_server: RedisServer) -> None:
    """Killing and restarting Redis during the sleep: the pool reconnects and the get works.

    (The restarted server is empty, so the value is None.)
    """

    def on_line(line: str) -> None:
        if line.startswith("sleeping"):
            default_server.kill()
            default_server.start()

    out = run_example("pool_kill.py", on_line).splitlines()
    assert out[1] == "sleeping for 5s, kill redis now..."
    assert out[2] == "foo: None", out


def test_transaction(default_server: RedisServer) -> None:
    """MULTI on a pool: queued commands, a concurrent rc.get on another connection, EXEC results."""
    pytest.importorskip("txredis_aio.transaction")
    out = run_example("transaction.py").splitlines()
    assert out == ["foo= None", "commit= ['OK', 'OK', 'OK', 1]"]


def test_watch_counter(default_server: RedisServer) -> None:
    """WATCH then a concurrent write: commit raises WatchError and the current value is 2."""
    pytest.importorskip("txredis_aio.transaction")
    out = run_example("counter.py").splitlines()
    assert out == [
        "simulating concurrency, this will abort the transaction",
        "transaction has failed.",
        "current a1 value:  2",
    ]


def test_pipeline(default_server: RedisServer) -> None:
    """An explicit pipeline of 2 SETs and 2 GETs returns the values, numbers converted."""
    pytest.importorskip("txredis_aio.pipeline")
    out = run_example("pipeline.py").splitlines()
    assert out == ["foo: 123", "bar: 987"]


def test_authentication() -> None:
    """Connection(password=...) authenticates, then set/get work."""
    if not port_free(6379):
        pytest.skip("port 6379 is in use")
    with RedisServer(port=6379, args=["--requirepass", "foobared"]):
        out = run_example("auth.py").splitlines()
    assert out == ["bar"]


def test_sharding(default_server: RedisServer, second_server: RedisServer) -> None:
    """ShardedConnection over two servers: 100 keys spread, mget returns them in key order."""
    pytest.importorskip("txredis_aio.sharding")
    out = run_example("sharding.py").splitlines()
    assert out[0].startswith("<")
    assert out[1].startswith("Supported methods on sharded connections:")
    assert out[2:] == [f"bar{x:02d}" for x in range(100)]


def test_sentinel() -> None:
    """Sentinel discovery: master_for("service_name") writes and reads through the discovered master.

    The README's sentinel host names do not exist here: its address list is replaced by three
    local sentinels watching a master named ``service_name``.
    """
    from tests.integration.sentinel_fixtures import SentinelSetup

    setup = SentinelSetup(name="service_name", replicas=0).start()
    try:
        setup.wait_ready()
        addrs = repr(setup.sentinel_addresses)
        out = run_example("sentinel.py", replace={
            '[("sentinel-a", 26379), ("sentinel-b", 26379), ("sentinel-c", 26379)]': addrs,
        })
    finally:
        setup.cleanup()
    assert out.splitlines() == ["bar"]
