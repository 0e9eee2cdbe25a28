"""Scripting and functions (EVAL, EVALSHA, FUNCTION, FCALL)."""

from __future__ import annotations

from ._base import CommandsBase

__all__ = ["ScriptingCommands"]


class ScriptingCommands(CommandsBase):
    """Scripting and functions (EVAL, EVALSHA, FUNCTION, FCALL)."""
