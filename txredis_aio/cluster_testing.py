"""Throwaway Redis Clusters for tests and benchmarks: N primaries with replicas on loopback.

``RedisCluster().start()`` starts ``redis-server --cluster-enabled yes`` processes on free ports
(cluster bus port +10000 free too) and creates the cluster with plain commands, as
``redis-cli --cluster create`` would (so only the server binary is needed): ADDSLOTSRANGE on
the primaries, MEET, REPLICATE. It then polls until every node reports ``cluster_state:ok``
and replicas are in sync. ``stop()`` ends them by PID. The helpers here are synchronous
(plain sockets), for use outside an event loop.
"""

from __future__ import annotations

import math
import random
import socket
import ssl
import time
from typing import Any, Optional

import hiredis

from .testing import RedisServer

__all__ = ["RedisCluster", "cluster_port", "command", "info_fields", "wait_for"]

NODE_TIMEOUT_MS = 2000
N_SLOTS = 16384


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


def slot_ranges(n: int) -> list[tuple[int, int]]:
    """0..16383 split in ``n`` contiguous ``(first, last)`` ranges, the way redis-cli splits them."""
    per_node = N_SLOTS / n
    ranges: list[tuple[int, int]] = []
    first, cursor = 0, 0.0
    for i in range(n):
        last = math.floor(cursor + per_node - 1 + 0.5)  # C lround(), not banker's rounding
        if last > N_SLOTS or i == n - 1:
            last = N_SLOTS - 1
        last = max(last, first)
        ranges.append((first, last))
        first, cursor = last + 1, cursor + per_node
    return ranges


def cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free too and below 65536."""
    while True:
        port = random.randint(20000, 45000)
        if _bindable(port) and _bindable(port + 10000):
            return port


class RedisCluster:
    """``n_primaries`` primaries with ``replicas`` replicas each; the primaries are the first
    ``n_primaries`` servers, then each primary's replicas in turn (redis-cli's layout)."""

    def __init__(
        self, n_primaries: int = 3, replicas: int = 1, tls: Optional[dict[str, str]] = None,
        client_tls: Optional[ssl.SSLContext] = None,
    ) -> None:
        """``tls``: server TLS options (``RedisServer``'s); the cluster bus and replication use
        TLS too. ``client_tls`` is the context the helpers here connect with."""
        self.n_primaries = n_primaries
        self.replicas = replicas
        self.client_tls = client_tls
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
                "--repl-diskless-sync-delay", "0",  # replicas sync at once, not after 5 s
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
        """Start every node, create the cluster, wait until it is healthy. On failure every
        node started so far is stopped again."""
        try:
            for srv in self.servers:
                srv.start()
            self.create()
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def create(self, timeout: float = 30.0) -> None:
        """Join the started nodes into a cluster, as ``redis-cli --cluster create`` does."""
        primaries = self.servers[:self.n_primaries]
        for i, srv in enumerate(self.servers):  # distinct epochs: no collision to resolve later
            self._ok(srv.port, "CLUSTER", "SET-CONFIG-EPOCH", i + 1)
        for srv, (first, last) in zip(primaries, slot_ranges(self.n_primaries)):
            self._ok(srv.port, "CLUSTER", "ADDSLOTSRANGE", first, last)
        first_port = self.servers[0].port
        for srv in self.servers[1:]:
            self._ok(srv.port, "CLUSTER", "MEET", "127.0.0.1", first_port, first_port + 10000)
        n = len(self.servers)

        def all_known() -> bool:
            for srv in self.servers:
                lines = str(self.command(srv.port, "CLUSTER", "NODES")).splitlines()
                if len(lines) < n or any("handshake" in line or "noaddr" in line for line in lines):
                    return False
            return True

        wait_for(all_known, timeout, "every node to know every other")
        ids = [self.node_id(p.port) for p in primaries]
        for j, primary_id in enumerate(ids):
            for i in range(self.replicas):
                replica = self.servers[self.n_primaries + j * self.replicas + i]
                self._ok(replica.port, "CLUSTER", "REPLICATE", primary_id)

    def _ok(self, port: int, *args: Any) -> None:
        """Run a command that must reply OK; raise with the reply otherwise."""
        reply = self.command(port, *args)
        if reply != "OK":
            raise RuntimeError(f"{' '.join(map(str, args))} on port {port} failed: {reply!r}")

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
        return self.start()  # start() stops what it started when it fails

    def __exit__(self, *exc: object) -> None:
        self.stop()


