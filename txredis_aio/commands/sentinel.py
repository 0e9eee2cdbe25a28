"""Commands a client sends to a Sentinel (SENTINEL ...)."""

from __future__ import annotations

from ._base import CommandsBase

__all__ = ["SentinelCommands"]


class SentinelCommands(CommandsBase):
    """Commands a client sends to a Sentinel (SENTINEL ...)."""
