"""One client × one workload in its own process: ``python -m benchmarks.child CLIENT WORKLOAD``.

Prints one JSON line: per-repetition rates (ops/s) after a warm-up, the client's facts, and
for W3 the process's RSS at idle and its peak during the workload. Or ``{"na": reason}``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import traceback
from typing import Any, Optional

from txredis_aio.testing import peak_rss, reset_peak_rss

from .aio_clients import ADAPTERS, Adapter, NotAvailable
from .workloads import CLIENTS, WORKLOADS

WARMUP_SECONDS = 0.5


def rss_now() -> int:
    """Resident set size of this process, bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def _say(obj: dict) -> None:
    """One JSON line to the suite."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def harness(
    adapter: Adapter, workload: str, n: int, reps: int, host: str, port: int, rep_seconds: float,
    serve: bool = False,
) -> dict:
    """Open, warm up, time ``reps`` repetitions, close. Awaits only the adapter's awaitables.

    ``serve``: after the warm-up say ``{"ready": ...}``, then time one repetition per ``rep``
    line read from stdin (answering each), until another line or EOF: the suite interleaves the
    clients' repetitions this way, so the machine's drift is shared out evenly. Blocking on
    stdin between repetitions is harmless: nothing is measured or in flight then.

    A client too slow to do ``n`` operations in about ``rep_seconds`` does fewer per repetition
    (its rate is what is compared; the count used is in the result), so the suite stays short.
    """
    wl = WORKLOADS[workload]
    result: dict[str, Any] = {}
    try:
        await adapter.open(host, port, workload)
    except NotAvailable as e:
        await adapter.close()
        return {"na": str(e)}
    try:
        result["info"] = adapter.info()
        idle = rss_now()
        peak_reset = reset_peak_rss()
        # Warm-up: a tenth of the work, repeated until WARMUP_SECONDS have passed, so every
        # client is measured in its steady state (e.g. glibc's heap thresholds settle only
        # after a few hundred 1 MiB allocations in W4).
        t0 = time.perf_counter()
        done = 0
        while True:
            done += await adapter.run(workload, max(n // 10 // wl.step * wl.step, wl.step))
            elapsed = time.perf_counter() - t0
            if elapsed >= min(WARMUP_SECONDS, rep_seconds / 3) or done >= n:
                break
        per_rep = wl.fit(done / elapsed, rep_seconds, n)
        rates: list[float] = []
        cpu: list[float] = []
        if serve:  # the suite says when: one "rep" line per repetition, anything else ends
            _say({"ready": True, "n": per_rep})
        while (sys.stdin.readline().strip() == "rep") if serve else len(rates) < reps:
            t0, c0 = time.perf_counter(), time.process_time()
            done = await adapter.run(workload, per_rep)
            rates.append(done / (time.perf_counter() - t0))
            cpu.append((time.process_time() - c0) / done * 1e6)
            if serve:
                _say({"rate": rates[-1], "cpu_us_per_op": cpu[-1]})
        result["rates"] = rates
        result["cpu_us_per_op"] = cpu  # this process's CPU per operation: steadier on a busy machine
        result["n"] = per_rep
        if peak_reset:
            result["rss_idle"] = idle
            result["rss_peak"] = peak_rss()
    except NotAvailable as e:
        result = {"na": str(e)}
    finally:
        await adapter.close()
    return result


def run(
    client: str, workload: str, n: int, reps: int, host: str, port: int, rep_seconds: float,
    serve: bool = False,
) -> dict:
    """Run the harness on the event loop / reactor that ``client`` names."""
    spec = CLIENTS[client]
    if spec.runner == "asyncio":
        import asyncio

        adapter = ADAPTERS[client]()
        coro = harness(adapter, workload, n, reps, host, port, rep_seconds, serve)
        if spec.loop == "uvloop":
            try:
                import uvloop
            except ImportError:
                return {"na": "uvloop not installed"}
            return uvloop.run(coro)
        return asyncio.run(coro)
    from .twisted_clients import make_adapter

    try:
        tadapter = make_adapter(client)
    except ImportError as e:
        return {"na": f"not installed ({e})"}
    from twisted.internet import reactor as _reactor
    from twisted.internet.defer import Deferred

    reactor: Any = _reactor

    out: dict = {}

    def done(r: Any) -> Any:
        out.update(r)
        reactor.stop()

    def failed(f: Any) -> None:
        out["error"] = f.getTraceback()[-2000:]
        reactor.stop()

    def start() -> None:
        d = Deferred.fromCoroutine(harness(tadapter, workload, n, reps, host, port, rep_seconds, serve))
        d.addCallbacks(done, failed)

    reactor.callWhenRunning(start)
    reactor.run()
    return out


def main(argv: Optional[list[str]] = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("client", choices=sorted(c for c, s in CLIENTS.items() if s.runner != "external"))
    ap.add_argument("workload", choices=sorted(WORKLOADS))
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("-n", type=int, default=0, help="operations per repetition (default: the workload's)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--serve", action="store_true",
                    help="after the warm-up, time one repetition per 'rep' line on stdin")
    ap.add_argument("--rep-seconds", type=float, default=0.0,
                    help="longest repetition wanted (default 1.5 s, 0.4 s with --quick)")
    a = ap.parse_args(argv)
    n = a.n or WORKLOADS[a.workload].size(a.quick)
    rep_seconds = a.rep_seconds or (0.4 if a.quick else 1.5)
    try:
        out = run(a.client, a.workload, n, a.reps, a.host, a.port, rep_seconds, a.serve)
    except ImportError as e:
        out = {"na": f"not installed ({e.name})"}
    except Exception:
        out = {"error": traceback.format_exc()[-2000:]}
    out.setdefault("n", n)
    _say(out)
    os._exit(0)  # skip interpreter teardown (and any reactor's shutdown chatter)


if __name__ == "__main__":
    main()
