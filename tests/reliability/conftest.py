"""Helpers shared by the reliability suite."""

from __future__ import annotations

import asyncio
from typing import Callable


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
