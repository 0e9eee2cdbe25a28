"""txredis_aio_twisted: txredisapi's API as Deferreds over the txredis_aio core (in progress)."""

from __future__ import annotations

from txredis_aio._version import __version__

version = __version__

__all__: list[str] = []
