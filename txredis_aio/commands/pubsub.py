"""Publishing and pub/sub introspection (PUBLISH, SPUBLISH, PUBSUB ...).

Subscribing needs a connection of its own: see ``txredis_aio.pubsub.SubscriberConnection``.
"""

from __future__ import annotations

from typing import Any, Optional

from ._base import CommandsBase

__all__ = ["PubSubCommands"]


def _pairs_to_dict(reply: Any) -> Any:
    """PUBSUB NUMSUB's flat ``[channel, count, ...]`` reply as ``{channel: count}``."""
    if not isinstance(reply, list):
        return reply
    return dict(zip(reply[::2], reply[1::2]))


class PubSubCommands(CommandsBase):
    """Publishing and pub/sub introspection (PUBLISH, SPUBLISH, PUBSUB ...)."""

    def publish(self, channel: Any, message: Any) -> Any:
        """Post a message to a channel; the number of clients that received it. https://redis.io/commands/publish"""
        return self._execute("PUBLISH", channel, message)

    def spublish(self, channel: Any, message: Any) -> Any:
        """Post a message to a shard channel (Redis 7); receivers count. https://redis.io/commands/spublish"""
        return self._execute("SPUBLISH", channel, message)

    def pubsub_channels(self, pattern: Optional[Any] = None) -> Any:
        """Channels with at least one subscriber, optionally matching ``pattern``. https://redis.io/commands/pubsub-channels"""
        args = ("PUBSUB", "CHANNELS") if pattern is None else ("PUBSUB", "CHANNELS", pattern)
        return self._execute(*args)

    def pubsub_numsub(self, *channels: Any) -> Any:
        """Subscriber counts of these channels as ``{channel: count}``. https://redis.io/commands/pubsub-numsub"""
        return self._execute("PUBSUB", "NUMSUB", *channels, convert=_pairs_to_dict)

    def pubsub_numpat(self) -> Any:
        """The number of patterns subscribed to (by all clients). https://redis.io/commands/pubsub-numpat"""
        return self._execute("PUBSUB", "NUMPAT")

    def pubsub_shardchannels(self, pattern: Optional[Any] = None) -> Any:
        """Shard channels with subscribers, optionally matching ``pattern``. https://redis.io/commands/pubsub-shardchannels"""
        args = ("PUBSUB", "SHARDCHANNELS") if pattern is None else ("PUBSUB", "SHARDCHANNELS", pattern)
        return self._execute(*args)

    def pubsub_shardnumsub(self, *channels: Any) -> Any:
        """Subscriber counts of these shard channels as ``{channel: count}``. https://redis.io/commands/pubsub-shardnumsub"""
        return self._execute("PUBSUB", "SHARDNUMSUB", *channels, convert=_pairs_to_dict)
