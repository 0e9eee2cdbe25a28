"""Command mixins, one module per data type, over the single ``_execute`` seam."""

from __future__ import annotations

from ._base import CommandsBase
from .keys import KeyCommands
from .server import ServerCommands
from .strings import StringCommands

__all__ = ["Commands", "CommandsBase"]


class Commands(StringCommands, KeyCommands, ServerCommands):
    """Every command method; handlers inherit this and implement ``_execute``."""
