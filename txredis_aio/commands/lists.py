"""List commands (LPUSH, LRANGE, BLPOP...)."""

from __future__ import annotations

from ._base import CommandsBase

__all__ = ["ListCommands"]


class ListCommands(CommandsBase):
    """List commands (LPUSH, LRANGE, BLPOP...)."""
