"""Stream commands."""

from __future__ import annotations

from ._base import CommandsBase

__all__ = ["StreamCommands"]


class StreamCommands(CommandsBase):
    """Stream commands."""
