"""String commands."""

from __future__ import annotations

from typing import Any, Optional

from ..errors import RedisError
from ._base import CommandsBase

__all__ = ["StringCommands"]


class StringCommands(CommandsBase):
    """GET, SET and friends."""

    def get(self, key: Any) -> Any:
        """Get the value of a key. https://redis.io/commands/get"""
        return self._execute("GET", key)

    def set(
        self,
        key: Any,
        value: Any,
        expire: Optional[int] = None,
        pexpire: Optional[int] = None,
        only_if_not_exists: bool = False,
        only_if_exists: bool = False,
    ) -> Any:
        """Set a key's value; ``"OK"``, or None when NX/XX did not apply. https://redis.io/commands/set"""
        args: list[Any] = ["SET", key, value]
        if expire is not None:
            args += ["EX", expire]
        if pexpire is not None:
            args += ["PX", pexpire]
        if only_if_not_exists and only_if_exists:
            raise RedisError("only_if_not_exists and only_if_exists cannot be true simultaneously")
        if only_if_not_exists:
            args.append("NX")
        elif only_if_exists:
            args.append("XX")
        return self._execute(*args)

    def incr(self, key: Any, amount: int = 1) -> Any:
        """Increment the integer value of a key (INCRBY). https://redis.io/commands/incrby"""
        return self._execute("INCRBY", key, amount)

    def incrby(self, key: Any, amount: int) -> Any:
        """Increment the integer value of a key by ``amount``. https://redis.io/commands/incrby"""
        return self._execute("INCRBY", key, amount)

    def decr(self, key: Any, amount: int = 1) -> Any:
        """Decrement the integer value of a key (DECRBY). https://redis.io/commands/decrby"""
        return self._execute("DECRBY", key, amount)

    def decrby(self, key: Any, amount: int) -> Any:
        """Decrement the integer value of a key by ``amount``. https://redis.io/commands/decrby"""
        return self._execute("DECRBY", key, amount)
