"""HyperLogLog commands (PFADD, PFCOUNT, PFMERGE)."""

from __future__ import annotations

from typing import Any

from ._base import CommandsBase, list_or_args

__all__ = ["HyperLogLogCommands"]


class HyperLogLogCommands(CommandsBase):
    """HyperLogLog commands; element and key lists follow txredisapi's ``list_or_args`` rule."""

    def pfadd(self, key: Any, elements: Any, *args: Any) -> Any:
        """Add elements to a HyperLogLog; 1 if its estimate changed. https://redis.io/commands/pfadd

        ``elements`` is one element (str/bytes) or an iterable; extra positionals are
        deprecated (DeprecationWarning), as in txredisapi.
        """
        return self._execute("PFADD", key, *list_or_args("pfadd", elements, args))

    def pfcount(self, keys: Any, *args: Any) -> Any:
        """Approximate cardinality of the union of the HyperLogLogs at ``keys``. https://redis.io/commands/pfcount"""
        return self._execute("PFCOUNT", *list_or_args("pfcount", keys, args))

    def pfmerge(self, destKey: Any, sourceKeys: Any, *args: Any) -> Any:
        """Merge HyperLogLogs into ``destKey``; ``"OK"``. https://redis.io/commands/pfmerge"""
        return self._execute("PFMERGE", destKey, *list_or_args("pfmerge", sourceKeys, args))
