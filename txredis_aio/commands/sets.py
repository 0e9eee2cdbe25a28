"""Set commands."""

from __future__ import annotations

from ._base import CommandsBase

__all__ = ["SetCommands"]


class SetCommands(CommandsBase):
    """Set commands."""
