"""Publishing and pub/sub introspection (PUBLISH, PUBSUB ...)."""

from __future__ import annotations

from ._base import CommandsBase

__all__ = ["PubSubCommands"]


class PubSubCommands(CommandsBase):
    """Publishing and pub/sub introspection (PUBLISH, PUBSUB ...)."""
