"""A real Sentinel set-up for tests: masters, replicas and sentinels (the server binary run
with ``--sentinel``, so no ``redis-sentinel`` binary is needed).

Each sentinel gets its own writable config file (sentinels rewrite it). Failover timings are
small (``down-after-milliseconds`` 1000, ``failover-timeout`` 3000) so failover tests stay fast.
"""

from __future__ import annotations

import socket
import time
from typing import Any, Optional, Sequence

import hiredis

from txredis_aio.testing import RedisServer, find_server_binary, free_port

DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 3000


def call(port: int, *args: Any, password: Optional[str] = None, timeout: float = 2.0) -> Any:
    """One command on 127.0.0.1:port over a fresh socket (AUTH first when a password is given)."""
    cmds: list[tuple[Any, ...]] = ([("AUTH", password)] if password else []) + [args]
    with socket.create_connection(("127.0.0.1", port), timeout) as s:
        s.sendall(b"".join(hiredis.pack_command(c) for c in cmds))
        reader = hiredis.Reader(encoding="utf-8")
        replies: list[Any] = []
        while len(replies) < len(cmds):
            data = s.recv(65536)
            if not data:
                raise ConnectionError("closed")
            reader.feed(data)
            reply = reader.gets()
            while reply is not False:
                replies.append(reply)
                reply = reader.gets()
    return replies[-1]


def pairs(flat: Sequence[Any]) -> dict[str, Any]:
    return dict(zip(flat[::2], flat[1::2]))


class SentinelSetup:
    """Service ``name``: one master and ``replicas`` replicas; optional extra replica-less services."""

    def __init__(self, name: str = "mymaster", replicas: int = 1, sentinels: int = 3,
                 master_password: Optional[str] = None, sentinel_password: Optional[str] = None,
                 solo_services: Sequence[str] = (), sentinel_tls: Optional[dict[str, str]] = None) -> None:
        self.name = name
        self.n_replicas = replicas
        self.n_sentinels = sentinels
        self.master_password = master_password
        self.sentinel_password = sentinel_password
        self.solo_names = list(solo_services)
        self.sentinel_tls = sentinel_tls  # tls-* lines: sentinels also listen on a TLS port
        self.tls_ports: list[int] = []
        self.master: Optional[RedisServer] = None
        self.replicas: list[RedisServer] = []
        self.solos: list[RedisServer] = []
        self.sentinels: list[RedisServer] = []

    def _data_conf(self) -> list[str]:
        pw = self.master_password
        return [f"requirepass {pw}", f"masterauth {pw}"] if pw else []

    def start(self) -> SentinelSetup:
        """Start the data servers, then the sentinels; on failure stop whatever did start."""
        try:
            self._start()
        except BaseException:
            self.cleanup()
            raise
        return self

    def _start(self) -> None:
        fast = ["--repl-diskless-sync-delay", "0"]
        self.master = RedisServer(args=fast, conf=self._data_conf())
        self.master.start()
        for _ in range(self.n_replicas):
            args = [*fast, "--replicaof", "127.0.0.1", str(self.master.port)]
            self._add(self.replicas, RedisServer(args=args, conf=self._data_conf()))
        for _ in self.solo_names:
            self._add(self.solos, RedisServer())
        conf = self._sentinel_conf(self.name, self.master.port, self.master_password)
        for solo_name, solo in zip(self.solo_names, self.solos):
            conf += self._sentinel_conf(solo_name, solo.port, None)
        if self.sentinel_password:
            conf += [f"requirepass {self.sentinel_password}",
                     f"sentinel sentinel-pass {self.sentinel_password}"]
        binary = find_server_binary()  # the data servers' binary, in sentinel mode
        for _ in range(self.n_sentinels):
            tls_conf: list[str] = []
            if self.sentinel_tls is not None:
                self.tls_ports.append(free_port())
                tls_conf = [f"tls-port {self.tls_ports[-1]}",
                            *(f"{k} {v}" for k, v in self.sentinel_tls.items())]
            self._add(self.sentinels, RedisServer(args=["--sentinel"], binary=binary, conf=conf + tls_conf))

    @staticmethod
    def _add(group: list[RedisServer], server: RedisServer) -> None:
        """Record ``server`` in ``group`` (so cleanup() sees it even if it fails), then start it."""
        group.append(server)
        server.start()

    @staticmethod
    def _sentinel_conf(name: str, port: int, password: Optional[str]) -> list[str]:
        lines = [
            f"sentinel monitor {name} 127.0.0.1 {port} 2",
            f"sentinel down-after-milliseconds {name} {DOWN_AFTER_MS}",
            f"sentinel failover-timeout {name} {FAILOVER_TIMEOUT_MS}",
            f"sentinel parallel-syncs {name} 1",
        ]
        if password:
            lines.append(f"sentinel auth-pass {name} {password}")
        return lines

    @property
    def sentinel_addresses(self) -> list[tuple[str, int]]:
        return [("127.0.0.1", s.port) for s in self.sentinels]

    def sentinel_call(self, index: int, *args: Any) -> Any:
        return call(self.sentinels[index].port, *args, password=self.sentinel_password)

    def data_call(self, server: RedisServer, *args: Any) -> Any:
        return call(server.port, *args, password=self.master_password)

    def _ready(self) -> bool:
        want_others = self.n_sentinels - 1
        for i in range(self.n_sentinels):
            try:
                master = pairs(self.sentinel_call(i, "SENTINEL", "MASTER", self.name))
                replicas = [pairs(r) for r in self.sentinel_call(i, "SENTINEL", "REPLICAS", self.name)]
            except (OSError, ConnectionError):
                return False
            if int(master["num-other-sentinels"]) < want_others:
                return False
            if len(replicas) < self.n_replicas:
                return False
            if any(r.get("master-link-status") != "ok" or "s_down" in r["flags"] for r in replicas):
                return False
        return True

    def wait_ready(self, timeout: float = 30.0) -> SentinelSetup:
        """Poll until every sentinel sees the others and every replica is linked."""
        deadline = time.monotonic() + timeout
        while not self._ready():
            if time.monotonic() > deadline:
                raise RuntimeError("the sentinel set-up did not become ready in time")
            time.sleep(0.05)
        return self

    def cleanup(self) -> None:
        for s in [*self.sentinels, *self.replicas, *self.solos]:
            s.cleanup()
        if self.master is not None:
            self.master.cleanup()
