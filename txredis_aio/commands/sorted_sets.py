"""Sorted-set commands."""

from __future__ import annotations

from ._base import CommandsBase

__all__ = ["SortedSetCommands"]


class SortedSetCommands(CommandsBase):
    """Sorted-set commands."""
