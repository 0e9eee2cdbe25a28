"""Helpers shared by the reliability suite."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any, Callable, Sequence


async def wait_for(cond: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> float:
    """Poll ``cond()`` until true; return the seconds it took (fail after ``timeout``)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not cond():
        if loop.time() - start > timeout:
            raise AssertionError(f"{what} not met within {timeout} s")
        await asyncio.sleep(0.005)
    return loop.time() - start


def figure(name: str, **values: object) -> None:
    """Print one line of figures for docs/reliability.md (run pytest with -s to see them)."""
    print(f"\nRELIABILITY {name}: " + ", ".join(f"{k}={v}" for k, v in values.items()))


# -- deadline tests (tests/reliability/test_deadlines.py, tests/twisted/test_tw_deadlines.py) --

#: Slack over a bound: scheduling, a loaded 2-core machine, the abort and wake-ups behind a timer.
MARGIN = 1.0
#: The timeouts the clients under test are configured with.
CONNECT_TIMEOUT = 1.0
REPLY_TIMEOUT = 1.0
#: How much longer than bound + MARGIN we watch a call before calling it hung.
HANG_WATCH = 1.0


class Hung:
    """Stands for the outcome of a call still pending when we stopped watching it."""

    def __repr__(self) -> str:
        return "<still pending>"


HUNG = Hung()


def check(name: str, results: Sequence[tuple[float, Any]], bound: float,
          error: type[BaseException], fired: bool = True, **extra: Any) -> None:
    """Every call ended with ``error`` within ``bound + MARGIN`` (and, with ``fired``, not before
    most of ``bound`` passed: the deadline is what ended it). Print the figures."""
    times = [t for t, _ in results]
    kinds = Counter(type(r).__name__ for _, r in results)
    figure(name, calls=len(results), bound_s=bound, min_s=round(min(times), 3),
           max_s=round(max(times), 3), errors=dict(kinds), **extra)
    for took, r in results:
        assert r is not HUNG, f"{name}: still pending after {took:.3f} s (bound {bound} s)"
        assert isinstance(r, error), f"{name}: expected {error.__name__}, got {r!r} after {took:.3f} s"
        assert took <= bound + MARGIN, f"{name}: ended after {took:.3f} s, bound {bound} s: {r!r}"
        if fired:
            assert took >= 0.9 * bound, f"{name}: ended after {took:.3f} s, before its bound {bound} s: {r!r}"
