"""Turning per-run results into the table, the target verdicts, the JSON file and the chart."""

from __future__ import annotations

import statistics
from typing import Any, Optional

from .workloads import CLIENTS, RSS_TARGET_FACTOR, TARGETS, WORKLOADS, pipeline_batch_bytes

Results = dict[str, dict[str, dict[str, Any]]]  # workload -> client -> result


def median(r: Optional[dict[str, Any]]) -> Optional[float]:
    """The median rate of a result, or None when it has none."""
    if not r or not r.get("rates"):
        return None
    return float(statistics.median(r["rates"]))


def best_peer(results: Results, workload: str) -> tuple[Optional[str], Optional[float]]:
    """The fastest peer on ``workload``: (client, ops/s)."""
    best: tuple[Optional[str], Optional[float]] = (None, None)
    for client, r in results.get(workload, {}).items():
        m = median(r)
        if CLIENTS[client].kind == "peer" and m is not None and (best[1] is None or m > best[1]):
            best = (client, m)
    return best


def fmt_rate(x: float) -> str:
    if x >= 100_000:
        return f"{x / 1000:,.0f}k"
    if x >= 10_000:
        return f"{x / 1000:,.1f}k"
    return f"{x:,.0f}"


def na_reason(r: Optional[dict[str, Any]]) -> str:
    if not r:
        return "not run"
    if "na" in r:
        return str(r["na"])
    if "error" in r:
        lines = [ln for ln in str(r["error"]).strip().splitlines() if ln.strip()]
        return "error: " + (lines[-1] if lines else "?")
    return "no result"


def table(results: Results, workloads: list[str], clients: list[str], markdown: bool = False) -> str:
    """Rows of clients, columns of workloads: median rate and ratio to the best peer."""
    head = ["client"] + [f"{w} ({WORKLOADS[w].unit})" for w in workloads]
    rows = [head]
    notes: dict[str, int] = {}
    for c in clients:
        row = [c]
        for w in workloads:
            r = results.get(w, {}).get(c)
            m = median(r)
            if m is None:
                reason = na_reason(r)
                k = notes.setdefault(reason, len(notes) + 1)
                row.append(f"n/a [{k}]")
                continue
            _, best = best_peer(results, w)
            ratio = f" {m / best:.2f}×" if best else ""
            row.append(fmt_rate(m) + ratio)
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    out = []
    for i, cells in enumerate(rows):
        if markdown:
            out.append("| " + " | ".join(cells) + " |")
            if i == 0:
                out.append("|" + "|".join(" --- " if j == 0 else " ---: " for j in range(len(cells))) + "|")
        else:
            out.append("  ".join(cells[0].ljust(widths[0]) if j == 0 else cells[j].rjust(widths[j])
                                 for j in range(len(cells))))
            if i == 0:
                out.append("-" * (sum(widths) + 2 * (len(widths) - 1)))
    if notes:
        out.append("")
        for reason, k in notes.items():
            out.append(f"[{k}] {reason}" + ("  " if markdown else ""))
    return "\n".join(out)


def cpu_table(results: Results, workloads: list[str], clients: list[str], markdown: bool = False) -> str:
    """The client process's CPU microseconds per operation (median): lower is better."""
    head = ["client"] + [f"{w} (µs)" for w in workloads]
    rows = [head]
    for c in clients:
        row = [c]
        for w in workloads:
            cpu = (results.get(w, {}).get(c) or {}).get("cpu_us_per_op")
            row.append(f"{statistics.median(cpu):,.1f}" if cpu else "–")
        rows.append(row)
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "|".join([" --- "] + [" ---: "] * len(workloads)) + "|"]
        return "\n".join(out + ["| " + " | ".join(r) + " |" for r in rows[1:]])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join("  ".join(r[0].ljust(widths[0]) if j == 0 else r[j].rjust(widths[j])
                               for j in range(len(r))) for r in rows)


def _figure(results: Results, workload: str, client: str) -> Optional[float]:
    if client == "best-peer":
        if workload == "W2":  # a peer may do better on its default pool than on one connection
            cands = [best_peer(results, w)[1] for w in ("W2", "W2p")]
            vals = [v for v in cands if v is not None]
            return max(vals) if vals else None
        return best_peer(results, workload)[1]
    if client == "bare" and workload == "W2p":
        return None
    return median(results.get(workload, {}).get(client))


def targets(results: Results) -> list[dict[str, Any]]:
    """Every target whose clients were run, with its measured ratio and verdict (met / MISSED / n/a)."""
    out = []
    ran = {c for per in results.values() for c in per}
    for w, ours, versus, minimum in TARGETS:
        if w not in results or ours not in ran:
            continue
        if versus == "best-peer" and not any(CLIENTS[c].kind == "peer" for c in ran):
            continue
        if versus != "best-peer" and versus not in ran:
            continue
        a, b = _figure(results, w, ours), _figure(results, w, versus)
        ratio = a / b if a is not None and b else None
        out.append({
            "workload": w, "client": ours, "versus": versus, "min": minimum, "ratio": ratio,
            "verdict": "n/a" if ratio is None else ("met" if ratio >= minimum else "MISSED"),
        })
    r = results.get("W3", {}).get("txredis_aio")
    if r is not None:
        batch = pipeline_batch_bytes()
        above = r["rss_peak"] - r["rss_idle"] if r.get("rss_peak") is not None else None
        out.append({
            "workload": "W3", "client": "txredis_aio", "versus": "RSS above idle / one batch",
            "min": RSS_TARGET_FACTOR, "batch_bytes": batch, "rss_above_idle": above,
            "ratio": above / batch if above is not None else None,
            "verdict": "n/a" if above is None else ("met" if above <= RSS_TARGET_FACTOR * batch
                                                    else "MISSED"),
        })
    return out


def fmt_ratio(t: dict[str, Any], width: int) -> str:
    """A target's ratio: two decimals, three where two would round onto the target itself
    (a 1.198 that missed 1.2 must not read 1.20)."""
    r = t["ratio"]
    if r is None:
        return "n/a".rjust(width)
    return f"{r:{width}.3f}" if round(r, 2) == t["min"] else f"{r:{width}.2f}"


def targets_text(ts: list[dict[str, Any]]) -> str:
    lines = []
    for t in ts:
        ratio = fmt_ratio(t, 6)
        if "batch_bytes" in t:
            what = (f"{t['workload']} peak RSS above idle ≤ {t['min']:g}× one batch "
                    f"({t['batch_bytes'] / 1e6:.2f} MB)")
            if t["rss_above_idle"] is not None:
                what += f": {t['rss_above_idle'] / 1e6:.2f} MB"
            lines.append(f"  {t['verdict']:>6}  {ratio}×  {what}")
            continue
        lines.append(f"  {t['verdict']:>6}  {ratio}×  {t['workload']:<3} {t['client']} vs {t['versus']}"
                     f" (target ≥ {t['min']:g}×)")
    return "\n".join(lines)


_COLOURS = {"ours": "#1f77b4", "reference": "#7f7f7f", "peer": "#ff7f0e", "ceiling": "#c7c7c7"}


def chart(
    results: Results, workloads: list[str], clients: list[str], path: str, title: str,
    ts: Optional[list[dict[str, Any]]] = None,
) -> None:
    """Small multiples: one panel per workload, one bar per client, values and ratios written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter

    cols = 4 if len(workloads) > 3 else len(workloads)
    nrows = (len(workloads) + cols) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(4.6 * cols, 0.32 * len(clients) * nrows + 1.8 * nrows),
                             squeeze=False)
    flat = [ax for row in axes for ax in row]
    for ax, w in zip(flat, workloads):
        _, best = best_peer(results, w)
        vals = [median(results.get(w, {}).get(c)) for c in clients]
        # The C ceiling can be 10x everything else: scale to the Python clients, clip it.
        top = max([v for c, v in zip(clients, vals) if v is not None and CLIENTS[c].kind != "ceiling"]
                  or [v for v in vals if v is not None] or [1.0])
        ys = list(range(len(clients)))[::-1]
        for y, c, v in zip(ys, clients, vals):
            if v is None:
                ax.text(0, y, "  n/a", va="center", ha="left", fontsize=8, color="#999999")
                continue
            label = fmt_rate(v) + (f"  {v / best:.1f}×" if best else "")
            shown = v
            if v > top * 2:
                shown = top * 1.3
                label = "→ " + label + " (off scale)"
            ax.barh(y, shown, color=_COLOURS[CLIENTS[c].kind], height=0.7,
                    hatch="//" if shown != v else None)
            ax.text(shown + top * 0.02, y, label, va="center", ha="left", fontsize=8)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: fmt_rate(x) if x else "0"))
        ax.set_yticks(ys)
        ax.set_yticklabels(clients, fontsize=8)
        ax.set_xlim(0, top * 1.75)
        ax.set_title(f"{w}: {WORKLOADS[w].title}", fontsize=9, loc="left")
        ax.tick_params(axis="x", labelsize=7)
        ax.set_xlabel(WORKLOADS[w].unit + " (higher is better; × = vs best peer)", fontsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in flat[len(workloads):]:
        ax.axis("off")
    legend_ax = flat[-1]
    legend_ax.legend(handles=[Patch(color=v, label=k) for k, v in _COLOURS.items()],
                     loc="lower right", fontsize=8, frameon=False, title="client kind")
    if ts and len(flat) > len(workloads):
        lines = ["Targets"]
        for t in ts:
            mark = {"met": "met   ", "MISSED": "MISSED", "n/a": "n/a   "}[t["verdict"]]
            ratio = fmt_ratio(t, 5)
            vs = t["versus"] if "batch_bytes" not in t else "RSS/batch"
            op = "≤" if "batch_bytes" in t else "≥"
            lines.append(f"{mark} {t['workload']:<3} {t['client'].replace('txredis_aio', 'tx_aio'):<15}"
                         f"vs {vs:<10} {ratio} ({op}{t['min']:g})")
        flat[len(workloads)].text(0, 1, "\n".join(lines), va="top", ha="left", fontsize=7.5,
                                  family="monospace", transform=flat[len(workloads)].transAxes)
    fig.suptitle(title, fontsize=11, x=0.01, ha="left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
