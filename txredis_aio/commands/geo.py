"""Geospatial commands."""

from __future__ import annotations

from ._base import CommandsBase

__all__ = ["GeoCommands"]


class GeoCommands(CommandsBase):
    """Geospatial commands."""
