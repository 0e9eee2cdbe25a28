"""HyperLogLog commands."""

from __future__ import annotations

from ._base import CommandsBase

__all__ = ["HyperLogLogCommands"]


class HyperLogLogCommands(CommandsBase):
    """HyperLogLog commands."""
