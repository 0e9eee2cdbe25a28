"""String commands: GET, SET, INCR*, MSET, GETEX, LCS and friends."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from ..errors import RedisError
from ._base import CommandsBase, list_or_args

__all__ = ["StringCommands", "to_float"]


def to_float(reply: Any) -> Any:
    """A float reply (INCRBYFLOAT, ZINCRBY...) as ``float`` whatever convertNumbers did; None stays."""
    return None if reply is None else float(reply)


def _flat_pairs(mapping: Mapping[Any, Any]) -> list[Any]:
    items: list[Any] = []
    for pair in mapping.items():
        items.extend(pair)
    return items


def _text_key(k: Any) -> Any:
    return k.decode() if isinstance(k, bytes) else k


def _lcs_dict(reply: Any) -> Any:
    """LCS IDX's flat ``[name, value, ...]`` reply as a dict with str names."""
    if not isinstance(reply, list):
        return reply
    return {_text_key(k): v for k, v in zip(reply[::2], reply[1::2])}


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
        *,
        keepttl: bool = False,
        get: bool = False,
        exat: Optional[int] = None,
        pxat: Optional[int] = None,
        ifeq: Any = None,
    ) -> Any:
        """Set a key's value; ``"OK"``, or None when NX/XX/IFEQ did not apply. https://redis.io/commands/set

        Keyword-only extras: ``keepttl`` (KEEPTTL), ``exat``/``pxat`` (absolute Unix time in
        s/ms), ``get`` (GET: the reply is the old value, or None) and ``ifeq`` (IFEQ, Valkey
        8.1+: set only if the current value equals ``ifeq``; a missing key is not set; not
        with NX/XX).
        """
        if ifeq is not None:
            self._require("SET ... IFEQ")
            if only_if_not_exists or only_if_exists:
                raise RedisError("ifeq cannot be combined with only_if_not_exists or only_if_exists")
        args: list[Any] = ["SET", key, value]
        if expire is not None:
            args += ["EX", expire]
        if pexpire is not None:
            args += ["PX", pexpire]
        if exat is not None:
            args += ["EXAT", exat]
        if pxat is not None:
            args += ["PXAT", pxat]
        if keepttl:
            args.append("KEEPTTL")
        if only_if_not_exists and only_if_exists:
            raise RedisError("only_if_not_exists and only_if_exists cannot be true simultaneously")
        if only_if_not_exists:
            args.append("NX")
        elif only_if_exists:
            args.append("XX")
        elif ifeq is not None:
            args += ["IFEQ", ifeq]
        if get:
            args.append("GET")
        return self._execute(*args)

    def getset(self, key: Any, value: Any) -> Any:
        """Set a key's value and return its old value. https://redis.io/commands/getset"""
        return self._execute("GETSET", key, value)

    def getdel(self, key: Any) -> Any:
        """Get the value of a key and delete the key. https://redis.io/commands/getdel"""
        return self._execute("GETDEL", key)

    def getex(
        self,
        key: Any,
        expire: Optional[int] = None,
        pexpire: Optional[int] = None,
        exat: Optional[int] = None,
        pxat: Optional[int] = None,
        persist: bool = False,
    ) -> Any:
        """Get the value of a key and set or clear its expiration. https://redis.io/commands/getex

        At most one of ``expire`` (EX), ``pexpire`` (PX), ``exat``, ``pxat``, ``persist``;
        more raise ``RedisError`` before anything is sent.
        """
        opts = [
            (name, v) for name, v in (("EX", expire), ("PX", pexpire), ("EXAT", exat), ("PXAT", pxat))
            if v is not None
        ]
        if len(opts) + bool(persist) > 1:
            raise RedisError("getex takes at most one of expire, pexpire, exat, pxat, persist")
        args: list[Any] = ["GETEX", key]
        for name, v in opts:
            args += [name, v]
        if persist:
            args.append("PERSIST")
        return self._execute(*args)

    def mget(self, keys: Any, *args: Any) -> Any:
        """Get the values of several keys (None where missing). https://redis.io/commands/mget"""
        return self._execute("MGET", *list_or_args("mget", keys, args))

    def setnx(self, key: Any, value: Any) -> Any:
        """Set a key's value only if the key does not exist; 1 or 0. https://redis.io/commands/setnx"""
        return self._execute("SETNX", key, value)

    def setex(self, key: Any, time: int, value: Any) -> Any:
        """Set a key's value and its time to live in seconds. https://redis.io/commands/setex"""
        return self._execute("SETEX", key, time, value)

    def psetex(self, key: Any, milliseconds: int, value: Any) -> Any:
        """Set a key's value and its time to live in milliseconds. https://redis.io/commands/psetex"""
        return self._execute("PSETEX", key, milliseconds, value)

    def mset(self, mapping: Mapping[Any, Any]) -> Any:
        """Set several keys from a dict. https://redis.io/commands/mset"""
        return self._execute("MSET", *_flat_pairs(mapping))

    def msetnx(self, mapping: Mapping[Any, Any]) -> Any:
        """Set several keys from a dict only if none exists; 1 or 0. https://redis.io/commands/msetnx"""
        return self._execute("MSETNX", *_flat_pairs(mapping))

    def incr(self, key: Any, amount: int = 1) -> Any:
        """Increment the integer value of a key (INCRBY). https://redis.io/commands/incrby"""
        return self._execute("INCRBY", key, amount)

    def incrby(self, key: Any, amount: int) -> Any:
        """Increment the integer value of a key by ``amount``. https://redis.io/commands/incrby"""
        return self._execute("INCRBY", key, amount)

    def incrbyfloat(self, key: Any, amount: float) -> Any:
        """Increment the float value of a key; the new value as a float. https://redis.io/commands/incrbyfloat"""
        return self._execute("INCRBYFLOAT", key, amount, convert=to_float)

    def decr(self, key: Any, amount: int = 1) -> Any:
        """Decrement the integer value of a key (DECRBY). https://redis.io/commands/decrby"""
        return self._execute("DECRBY", key, amount)

    def decrby(self, key: Any, amount: int) -> Any:
        """Decrement the integer value of a key by ``amount``. https://redis.io/commands/decrby"""
        return self._execute("DECRBY", key, amount)

    def append(self, key: Any, value: Any) -> Any:
        """Append to a key's value; the new length. https://redis.io/commands/append"""
        return self._execute("APPEND", key, value)

    def substr(self, key: Any, start: int, end: int = -1) -> Any:
        """A substring of a key's value (deprecated SUBSTR, kept for txredisapi). https://redis.io/commands/substr"""
        return self._execute("SUBSTR", key, start, end)

    def getrange(self, key: Any, start: int, end: int) -> Any:
        """A substring of a key's value, both ends inclusive. https://redis.io/commands/getrange"""
        return self._execute("GETRANGE", key, start, end)

    def setrange(self, key: Any, offset: int, value: Any) -> Any:
        """Overwrite part of a key's value at ``offset``; the new length. https://redis.io/commands/setrange"""
        return self._execute("SETRANGE", key, offset, value)

    def strlen(self, key: Any) -> Any:
        """Length of a key's value. https://redis.io/commands/strlen"""
        return self._execute("STRLEN", key)

    def lcs(
        self,
        key1: Any,
        key2: Any,
        *,
        len: bool = False,
        idx: bool = False,
        minmatchlen: Optional[int] = None,
        withmatchlen: bool = False,
    ) -> Any:
        """Longest common substring of two keys' values. https://redis.io/commands/lcs

        Plain: the substring. ``len=True``: its length. ``idx=True``: a dict
        ``{"matches": [...], "len": n}`` with the server's match ranges.
        """
        args: list[Any] = ["LCS", key1, key2]
        if len:
            args.append("LEN")
        if idx:
            args.append("IDX")
        if minmatchlen is not None:
            args += ["MINMATCHLEN", minmatchlen]
        if withmatchlen:
            args.append("WITHMATCHLEN")
        return self._execute(*args, convert=_lcs_dict if idx else None)
