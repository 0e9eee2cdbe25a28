"""One workload's row of clients, their repetitions interleaved.

Every client runs in its own process (``benchmarks.child --serve``): started and warmed up one
after another, then the suite asks each for one timed repetition in turn, forward in even
rounds and backward in odd ones. The machine's drift (a shared VM speeds up and slows down by
the minute) then falls on every client alike instead of on whoever ran first; a fixed order
made the same txredis_aio code measure 1.00x redis-py on W4 as the first client of a row and
1.31-1.36x when the two ran back to back.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Optional

from . import ceiling
from .workloads import CLIENTS

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Child:
    """A ``benchmarks.child --serve`` process: warm-up at start, one repetition per ``rep()``."""

    def __init__(self, client: str, workload: str, port: int, quick: bool, timeout: float) -> None:
        cmd = [sys.executable, "-m", "benchmarks.child", client, workload, "--port", str(port),
               "--serve"] + (["--quick"] if quick else [])
        self.timeout = timeout
        self._stderr = tempfile.TemporaryFile()  # a file, not a pipe: it can never fill up
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr, cwd=_ROOT)
        self._buf = b""
        self.result: dict[str, Any] = {}  # set once the child is done (its last line)
        first = self._line()
        if first is None or "ready" not in first:
            self.result = first or self._failed()

    @property
    def ready(self) -> bool:
        return not self.result

    def rep(self) -> Optional[dict[str, Any]]:
        """One timed repetition: ``{"rate", "cpu_us_per_op"}``; None if the child failed."""
        self._send(b"rep\n")
        line = self._line()
        if line is None or "rate" not in line:
            self.result = line or self._failed()
            return None
        return line

    def finish(self) -> dict[str, Any]:
        """End the child; its final result (facts, RSS), or why there is none."""
        if self.ready:
            self._send(b"done\n")
            self.result = self._line() or self._failed()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.result

    def _send(self, data: bytes) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the child is gone: _line() reports it

    def _line(self) -> Optional[dict[str, Any]]:
        """The child's next JSON line (other output is skipped); None on EOF or timeout."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\n" in self._buf:
                line, _, self._buf = self._buf.partition(b"\n")
                if line.startswith(b"{"):
                    return dict(json.loads(line))
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.proc.kill()
                self._timed_out = True
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._buf += chunk

    def _failed(self) -> dict[str, Any]:
        if getattr(self, "_timed_out", False):
            return {"na": f"timed out after {self.timeout:.0f} s"}
        self.proc.wait()
        self._stderr.seek(0)
        err = self._stderr.read().decode(errors="replace")
        return {"error": (err or f"exit {self.proc.returncode}")[-2000:]}


def run_row(
    workload: str, clients: list[str], port: int, quick: bool, reps: int, timeout: float,
    skip: Callable[[str], Optional[str]],
) -> dict[str, dict[str, Any]]:
    """Every client's result on ``workload`` (its repetitions interleaved with the others');
    ``skip(client)`` gives a reason not to run one."""
    results: dict[str, dict[str, Any]] = {}
    children: dict[str, Child] = {}
    try:
        for c in clients:
            reason = skip(c)
            if reason:
                results[c] = {"na": reason}
            elif CLIENTS[c].runner != "external":
                children[c] = Child(c, workload, port, quick, timeout)  # its warm-up runs now
        live = [c for c in clients if c not in results]
        for r in range(reps):
            for c in live if r % 2 == 0 else live[::-1]:
                if c in children:
                    if children[c].ready:
                        children[c].rep()
                elif c not in results or "rates" in results[c]:  # the C ceiling, until it fails
                    results[c] = _ceiling_rep(workload, port, quick, results.get(c))
        for c, child in children.items():
            results[c] = child.finish()  # the child's own record of every repetition it timed
    finally:
        for child in children.values():
            if child.proc.poll() is None:
                child.proc.kill()
    return {c: results[c] for c in clients}


def _ceiling_rep(
    workload: str, port: int, quick: bool, so_far: Optional[dict[str, Any]],
) -> dict[str, Any]:
    """One more repetition of the C ceiling added to ``so_far``; a failure replaces it."""
    try:
        one = ceiling.run(workload, "127.0.0.1", port, quick, 1)
    except Exception as e:  # noqa: BLE001 - reported as the row's reason
        return {"error": repr(e)}
    if so_far is None or "rates" not in one:
        return one
    return dict(so_far, rates=so_far["rates"] + one["rates"])
