"""Bitmap commands (SETBIT, BITCOUNT, BITFIELD...)."""

from __future__ import annotations

from ._base import CommandsBase

__all__ = ["BitmapCommands"]


class BitmapCommands(CommandsBase):
    """Bitmap commands (SETBIT, BITCOUNT, BITFIELD...)."""
