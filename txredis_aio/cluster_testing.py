"""Throwaway Redis Clusters for tests and benchmarks: N primaries with replicas on loopback.

``RedisCluster().start()`` starts ``redis-server --cluster-enabled yes`` processes on free ports
(cluster bus port +10000 free too), joins them with ``redis-cli --cluster create`` and polls
until every node reports ``cluster_state:ok`` and replicas are in sync. ``stop()`` ends them by
PID. The helpers here are synchronous (plain sockets), for use outside an event loop.
"""

from __future__ import annotations

import random
import socket
import ssl
import subprocess
import time
from typing import Any, Optional, Sequence

import hiredis

from .testing import RedisServer, find_server_binary

__all__ = ["RedisCluster", "cluster_port", "command", "info_fields", "wait_for"]

NODE_TIMEOUT_MS = 2000


def command(port: int, *args: Any, timeout: float = 5.0, tls: Optional[ssl.SSLContext] = None) -> Any:
    """Run one command on 127.0.0.1:port synchronously; error replies are returned, not raised."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        s = tls.wrap_socket(raw, server_hostname="127.0.0.1") if tls is not None else raw
        s.sendall(hiredis.pack_command(args))
        reader = hiredis.Reader(encoding="utf-8", errors="replace")
        while True:
            data = s.recv(65536)
            if not data:
                raise ConnectionError(f"127.0.0.1:{port} closed the connection")
            reader.feed(data)
            reply = reader.gets()
            if reply is not False:
                return reply


def info_fields(text: str) -> dict[str, str]:
    """``key:value`` lines of CLUSTER INFO / INFO as a dict."""
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith("#"))


def wait_for(cond: Any, timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll ``cond()`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last_exc: Optional[BaseException] = None
    while time.monotonic() < deadline:
        try:
            value = cond()
            if value:
                return value
        except (OSError, ConnectionError) as e:
            last_exc = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last error: {last_exc})")


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free too and below 65536."""
    while True:
        port = random.randint(20000, 45000)
        if _bindable(port) and _bindable(port + 10000):
            return port


class RedisCluster:
    """``n_primaries`` primaries with ``replicas`` replicas each, created with redis-cli."""

    def __init__(
        self, n_primaries: int = 3, replicas: int = 1, tls: Optional[dict[str, str]] = None,
        client_tls: Optional[ssl.SSLContext] = None, cli_tls_args: Sequence[str] = (),
    ) -> None:
        """``tls``: server TLS options (``RedisServer``'s); the cluster bus and replication use
        TLS too. ``client_tls`` is the context the helpers here connect with, ``cli_tls_args``
        what ``redis-cli --cluster create`` gets (``--tls --cacert ...``)."""
        self.n_primaries = n_primaries
        self.replicas = replicas
        self.client_tls = client_tls
        self.cli_tls_args = list(cli_tls_args)
        self.servers: list[RedisServer] = []
        used: set[int] = set()  # client and bus ports: one node's port must not be another's bus port
        for _ in range(n_primaries * (1 + replicas)):
            port = cluster_port()
            while port in used or port + 10000 in used:
                port = cluster_port()
            used.update((port, port + 10000))
            srv = RedisServer(port=port, tls=tls)
            if tls is not None:
                srv.args += ["--tls-cluster", "yes", "--tls-replication", "yes"]
            srv.args += [
                "--cluster-enabled", "yes",
                "--cluster-config-file", f"{srv.dir}/nodes.conf",
                "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
                "--loglevel", "warning",
            ]
            self.servers.append(srv)

    @property
    def ports(self) -> list[int]:
        """Every node's port, live or not."""
        return [s.port for s in self.servers]

    @property
    def startup_nodes(self) -> list[str]:
        """Two ``host:port`` strings to hand a client (any subset works)."""
        return [f"127.0.0.1:{p}" for p in self.ports[:2]]

    def alive(self) -> list[RedisServer]:
        """The servers whose process runs."""
        return [s for s in self.servers if s.proc is not None]

    def start(self) -> RedisCluster:
        """Start every node, create the cluster, wait until it is healthy."""
        for srv in self.servers:
            srv.start()
        cli = find_server_binary("redis-cli")
        out = subprocess.run(
            [cli, *self.cli_tls_args, "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
             "--cluster-replicas", str(self.replicas), "--cluster-yes"],
            capture_output=True, text=True, timeout=60,
        )
        if out.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed:\n{out.stdout}\n{out.stderr}")
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = 30.0) -> None:
        """Every live node says cluster_state:ok, knows every live node, and replicas are in sync."""
        n = len(self.alive())

        def healthy() -> bool:
            for srv in self.alive():
                ci = info_fields(self.command(srv.port, "CLUSTER", "INFO"))
                if ci.get("cluster_state") != "ok" or int(ci.get("cluster_known_nodes", 0)) < n:
                    return False
                rep = info_fields(self.command(srv.port, "INFO", "replication"))
                if rep.get("role") == "slave" and rep.get("master_link_status") != "up":
                    return False
            primaries = [s for s in self.alive() if self.role(s.port) == "master"]
            return len(primaries) == self.n_primaries and all(
                int(info_fields(self.command(s.port, "INFO", "replication")).get("connected_slaves", 0))
                >= self.replicas for s in primaries
            )

        wait_for(healthy, timeout, "a healthy cluster")

    def command(self, port: int, *args: Any) -> Any:
        """``command()`` on one node, over TLS when the cluster uses it."""
        return command(port, *args, tls=self.client_tls)

    def role(self, port: int) -> str:
        """``master`` or ``slave``, from INFO replication."""
        return str(info_fields(self.command(port, "INFO", "replication")).get("role"))

    def node_id(self, port: int) -> str:
        """The node's cluster id (CLUSTER MYID)."""
        return str(self.command(port, "CLUSTER", "MYID"))

    def owner_port(self, slot: int) -> int:
        """The port of the primary serving ``slot``, per the first live node's CLUSTER SLOTS."""
        for entry in self.command(self.alive()[0].port, "CLUSTER", "SLOTS"):
            if entry[0] <= slot <= entry[1]:
                return int(entry[2][1])
        raise LookupError(f"slot {slot} is not served")

    def primaries(self) -> list[int]:
        """Ports of the live primaries."""
        return [s.port for s in self.alive() if self.role(s.port) == "master"]

    def replicas_of(self, port: int) -> list[int]:
        """Ports of the replicas connected to the primary on ``port``."""
        rep = info_fields(self.command(port, "INFO", "replication"))
        out = []
        for k, v in rep.items():
            if k.startswith("slave") and k[5:].isdigit():
                fields = dict(x.split("=", 1) for x in v.split(","))
                out.append(int(fields["port"]))
        return out

    def server(self, port: int) -> RedisServer:
        """The ``RedisServer`` listening on ``port``."""
        return next(s for s in self.servers if s.port == port)

    def flushall(self) -> None:
        """FLUSHALL on every live primary."""
        for port in self.primaries():
            self.command(port, "FLUSHALL")

    def stop(self) -> None:
        """Stop every node by PID and remove their directories."""
        for srv in self.servers:
            srv.cleanup()

    def __enter__(self) -> RedisCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


