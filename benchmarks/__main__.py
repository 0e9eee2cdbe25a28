"""The benchmark suite: ``python -m benchmarks`` (``scripts/bench``). ``--help`` for options.

Starts its own redis-server, runs every workload for every client (each pair in a fresh
process, the clients' repetitions interleaved: ``rows.py``), prints ops/s with ratios to the
best peer and the target verdicts, and writes ``results.json``, ``results.md`` and
``chart.png`` to ``--out``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from typing import Any, Optional

from . import report, rows
from .workloads import CLIENTS, WORKLOADS

# Modules a client needs; missing ones make it "n/a: not installed" without spawning anything.
_NEEDS = {
    "txredis_aio+uvloop": "uvloop", "bare+uvloop": "uvloop", "redis-py": "redis",
    "coredis": "coredis", "txredisapi": "txredisapi",
}


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    from txredis_aio.testing import find_server_binary

    try:
        server = subprocess.run([find_server_binary(), "--version"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except Exception as e:  # noqa: BLE001 - informational only
        server = f"? ({e})"
    return {
        "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
        "implementation": platform.python_implementation(), "platform": platform.platform(),
        "redis_server": server, "loadavg_start": os.getloadavg(),
    }


class Progress:
    """One line per finished job on stderr, with elapsed time and an estimate of what is left."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.t0 = time.monotonic()

    def start(self, workload: str, client: str) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r[{self.done + 1:>2}/{self.total}] {workload:<3} {client:<20} running…")
            sys.stderr.flush()

    def finish(self, workload: str, client: str, r: dict[str, Any]) -> None:
        self.done += 1
        el = time.monotonic() - self.t0
        m = report.median(r)
        what = f"{report.fmt_rate(m):>8} {WORKLOADS[workload].unit}" if m else "n/a: " + report.na_reason(r)
        eta = el / self.done * (self.total - self.done)
        line = (f"[{self.done:>2}/{self.total}] {int(el) // 60}:{int(el) % 60:02d} "
                f"(~{int(eta)} s left)  {workload:<3} {client:<20} {what[:90]}")
        sys.stderr.write(("\r\033[K" if sys.stderr.isatty() else "") + line + "\n")
        sys.stderr.flush()


def run_cluster(quick: bool, timeout: float) -> dict[str, str]:
    """W2/W3 over a throwaway 3-primary cluster, in its own process (benchmarks.cluster_workloads)."""
    cmd = [sys.executable, "-m", "benchmarks.cluster_workloads"] + (["--quick"] if quick else [])
    print("cluster: starting 3 primaries for W2/W3 over Redis Cluster", file=sys.stderr)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 60,
                           cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    except subprocess.TimeoutExpired:
        return {"n/a": f"timed out after {timeout + 60:.0f} s"}
    out = {}
    for line in p.stdout.splitlines():
        if line.startswith("cluster W"):  # "cluster W2: 123,456 cmd/s"
            name, rate = line[len("cluster "):].split(":", 1)
            out[name] = rate.strip()
    return out or {"n/a": (p.stderr or p.stdout or f"exit {p.returncode}").strip()[-300:]}


def parse_list(value: Optional[str], known: dict[str, Any], what: str) -> list[str]:
    if not value:
        return list(known)
    items = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in known]
    if bad:
        raise SystemExit(f"unknown {what}: {', '.join(bad)} (known: {', '.join(known)})")
    return [k for k in known if k in items]


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller workloads (about a fifth)")
    ap.add_argument("--workloads", help=f"comma-separated subset of {','.join(WORKLOADS)}")
    ap.add_argument("--clients", help=f"comma-separated subset of {','.join(CLIENTS)}")
    ap.add_argument("--reps", type=int, default=4,
                    help="timed repetitions per client after its warm-up, interleaved with the "
                         "other clients' (default 4)")
    ap.add_argument("--out", default="benchmarks/results", help="directory for results.json/.md, chart.png")
    ap.add_argument("--no-chart", action="store_true", help="skip the PNG")
    ap.add_argument("--timeout", type=float, default=90.0,
                    help="seconds a client may take for its warm-up or one repetition")
    ap.add_argument("--no-cluster", action="store_true", help="skip W2/W3 over a 3-primary Redis Cluster")
    a = ap.parse_args(argv)
    workloads = parse_list(a.workloads, WORKLOADS, "workloads")
    clients = parse_list(a.clients, CLIENTS, "clients")

    from txredis_aio.testing import RedisServer

    info = machine()
    started = datetime.datetime.now(datetime.timezone.utc)
    command = "scripts/bench" + "".join(f" {x}" for x in (argv if argv is not None else sys.argv[1:]))
    print(f"txredis_aio benchmarks — {info['cpu']}, {info['cores']} cores, Python {info['python']}, "
          f"{info['redis_server'].split(' sha=')[0]}", file=sys.stderr)
    results: report.Results = {w: {} for w in workloads}
    progress = Progress(len(workloads) * len(clients))

    def skip(c: str) -> Optional[str]:
        need = _NEEDS.get(c)
        return f"not installed ({need})" if need and importlib.util.find_spec(need) is None else None

    server = RedisServer(args=["--save", "", "--appendonly", "no"])
    server.start()
    print(f"redis-server pid {server.pid} on {server.host}:{server.port}", file=sys.stderr)
    try:
        for w in workloads:
            progress.start(w, f"{len(clients)} clients")
            results[w] = rows.run_row(w, clients, server.port, a.quick, a.reps, a.timeout, skip)
            for c in clients:
                progress.finish(w, c, results[w][c])
    finally:
        server.cleanup()  # stops it by PID
    cluster = None
    if not a.no_cluster and "txredis_aio" in clients and {"W2", "W3"} & set(workloads):
        cluster = run_cluster(a.quick, a.timeout)
    info["loadavg_end"] = os.getloadavg()
    elapsed = time.monotonic() - progress.t0

    ts = report.targets(results)
    print()
    print(report.table(results, workloads, clients))
    print("\nClient CPU per operation, µs (steadier than wall time on a busy machine; lower is better):")
    print(report.cpu_table(results, [w for w in workloads], [c for c in clients if c != "redis-benchmark"]))
    if cluster is not None:
        print("\nRedis Cluster, 3 primaries, txredis_aio ClusterConnection (poolsize 1 per node): "
              + ", ".join(f"{k} {v}" for k, v in cluster.items()))
    print("\nTargets (txredis_aio on the default asyncio loop):")
    print(report.targets_text(ts))
    print(f"\n{elapsed:.0f} s; load average {info['loadavg_start'][0]:.1f} → {info['loadavg_end'][0]:.1f} "
          "(ratios within one run are what count on a busy machine)")

    os.makedirs(a.out, exist_ok=True)
    doc = {
        "command": command, "started": started.isoformat(timespec="seconds"), "elapsed_s": elapsed,
        "quick": a.quick, "reps": a.reps, "machine": info,
        "workloads": {w: {"title": WORKLOADS[w].title, "unit": WORKLOADS[w].unit,
                          "n": WORKLOADS[w].size(a.quick)} for w in workloads},
        "results": {w: {c: dict(r, median=report.median(r)) for c, r in results[w].items()}
                    for w in workloads},
        "targets": ts,
        "cluster": cluster,
    }
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write(report.table(results, workloads, clients, markdown=True) + "\n\n")
        f.write("Client CPU per operation, µs (lower is better):\n\n")
        f.write(report.cpu_table(results, workloads, [c for c in clients if c != "redis-benchmark"],
                                 markdown=True) + "\n\n")
        f.write("Targets:\n\n```\n" + report.targets_text(ts) + "\n```\n")
    if not a.no_chart:
        title = (f"txredis_aio benchmarks, {started:%Y-%m-%d %H:%M} UTC — {info['cpu']}, "
                 f"{info['cores']} cores, Python {info['python']}" + (" (quick)" if a.quick else ""))
        try:
            report.chart(results, workloads, clients, os.path.join(a.out, "chart.png"), title, ts)
        except ImportError:
            print("matplotlib not installed: no chart", file=sys.stderr)
    print(f"results in {a.out}/ (results.json, results.md" + ("" if a.no_chart else ", chart.png") + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
