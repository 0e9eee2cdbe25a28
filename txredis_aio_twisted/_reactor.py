"""Twisted's asyncio reactor: installed on import when no reactor exists yet, checked before use.

The core runs on asyncio; Deferreds and asyncio Futures can only meet when Twisted's reactor *is*
the asyncio loop (``twisted.internet.asyncioreactor``). If some other reactor was installed
first, nothing this package returns could ever fire, so the first connection attempt raises
instead of handing out a Deferred that silently hangs.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

__all__ = ["install_if_absent", "loop", "require_asyncio_reactor"]

_HOW_TO_FIX = (
    "txredis_aio_twisted runs on Twisted's asyncio reactor, but {name} was installed first "
    "(something imported twisted.internet.reactor, or installed another reactor, before "
    "txredis_aio_twisted was imported). Fix it by importing txredis_aio_twisted before anything "
    "imports twisted.internet.reactor (make it the first import of your program), or by calling "
    "twisted.internet.asyncioreactor.install() at start-up; with twistd or trial pass "
    "--reactor=asyncio, with pytest-twisted pass --reactor=asyncio."
)


def install_if_absent() -> None:
    """Install ``asyncioreactor`` unless some reactor is already installed."""
    if "twisted.internet.reactor" in sys.modules:
        return
    from twisted.internet import asyncioreactor

    asyncioreactor.install()


def require_asyncio_reactor() -> Any:
    """The installed reactor, which must be the asyncio one; else a RuntimeError saying what to do."""
    from twisted.internet import reactor
    from twisted.internet.asyncioreactor import AsyncioSelectorReactor

    if not isinstance(reactor, AsyncioSelectorReactor):
        raise RuntimeError(_HOW_TO_FIX.format(name=type(reactor).__name__))
    return reactor


def loop() -> asyncio.AbstractEventLoop:
    """The reactor's asyncio loop, made the current loop when none is running.

    The core creates its pools on the current loop; code that builds clients before
    ``reactor.run()`` must get the loop the reactor will run.
    """
    ev: asyncio.AbstractEventLoop = require_asyncio_reactor()._asyncioEventloop
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is None:
        asyncio.set_event_loop(ev)
    elif running is not ev:
        raise RuntimeError(
            "txredis_aio_twisted: the running asyncio loop is not the one Twisted's reactor runs; "
            "use the reactor's loop (twisted.internet.asyncioreactor.install(loop) with that loop)."
        )
    return ev
