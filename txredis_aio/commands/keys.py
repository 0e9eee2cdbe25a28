"""Generic key commands."""

from __future__ import annotations

from typing import Any

from ._base import CommandsBase, list_or_args

__all__ = ["KeyCommands"]


class KeyCommands(CommandsBase):
    """DEL, EXPIRE, TTL and friends."""

    def delete(self, keys: Any, *args: Any) -> Any:
        """Delete keys; returns how many existed. https://redis.io/commands/del"""
        return self._execute("DEL", *list_or_args("delete", keys, args))

    def exists(self, key: Any) -> Any:
        """1 if the key exists, else 0 (an int, as txredisapi). https://redis.io/commands/exists"""
        return self._execute("EXISTS", key)

    def expire(self, key: Any, time: int) -> Any:
        """Set a key's time to live in seconds. https://redis.io/commands/expire"""
        return self._execute("EXPIRE", key, time)

    def ttl(self, key: Any) -> Any:
        """Time to live of a key in seconds. https://redis.io/commands/ttl"""
        return self._execute("TTL", key)
