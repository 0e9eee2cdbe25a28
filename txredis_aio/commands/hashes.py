"""Hash commands."""

from __future__ import annotations

from ._base import CommandsBase

__all__ = ["HashCommands"]


class HashCommands(CommandsBase):
    """Hash commands."""
