"""``redis-benchmark`` (C, no client library above the socket) as the ceiling row."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from typing import Any, Optional

from .workloads import CONCURRENCY, PIPELINE, WORKLOADS

# workload -> (redis-benchmark arguments, tests whose rates combine into one figure)
_ARGS: dict[str, tuple[list[str], list[str]]] = {
    "W1": (["-c", "1", "-P", "1", "-d", "16", "-t", "set,get"], ["SET", "GET"]),
    "W2": (["-c", "1", "-P", str(CONCURRENCY), "-d", "16", "-t", "get"], ["GET"]),
    "W2p": (["-c", "10", "-P", str(CONCURRENCY // 10), "-d", "16", "-t", "get"], ["GET"]),
    "W3": (["-c", "1", "-P", str(PIPELINE), "-d", "16", "-t", "set"], ["SET"]),
    "W4": (["-c", "1", "-P", "1", "-d", str(1 << 20), "-t", "set,get"], ["SET", "GET"]),
}
_NA = {
    "W5": "redis-benchmark has no subscriber side",
    "W6": "redis-benchmark has no MULTI/EXEC workload",
}


def binary() -> Optional[str]:
    """The redis-benchmark on PATH, if any."""
    return shutil.which("redis-benchmark")


def run(workload: str, host: str, port: int, quick: bool, reps: int) -> dict[str, Any]:
    """Same result shape as a child process: per-repetition rates, or ``na``."""
    exe = binary()
    if exe is None:
        return {"na": "redis-benchmark not installed"}
    if workload in _NA:
        return {"na": _NA[workload]}
    args, tests = _ARGS[workload]
    n = WORKLOADS[workload].size(quick)
    if workload == "W4":
        n *= 5  # its timer counts whole milliseconds: give it enough work to measure
    cmd = [exe, "-h", host, "-p", str(port), "-n", str(n), "--csv", *args]
    rates = []
    for _ in range(reps):
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
        rps = {row["test"]: float(row["rps"]) for row in csv.DictReader(io.StringIO(out))}
        # Time-weighted: a SET+GET pair takes 1/r_set + 1/r_get seconds per op each.
        rates.append(len(tests) / sum(1.0 / rps[t] for t in tests))
    return {"rates": rates, "n": n, "info": {"command": " ".join(cmd[1:])}}
