"""Redis Cluster key slots: CRC16 (XMODEM) of the key, or of its ``{hashtag}``, modulo 16384.

Pure, no asyncio. Keys are hashed as the bytes that go on the wire: str in the connection's
charset, int as digits, float as the encoder writes it, bytes as is.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Optional

import hiredis

from .errors import InvalidArgumentType

__all__ = ["SLOTS", "crc16", "key_bytes", "key_slot", "slot_of"]

SLOTS = 16384


def _make_table() -> list[int]:
    table = []
    for i in range(256):
        crc = i << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return table


_TABLE = _make_table()


def crc16(data: bytes) -> int:
    """CRC16-CCITT (XMODEM: poly 0x1021, init 0), the checksum Redis Cluster uses."""
    crc = 0
    table = _TABLE
    for b in data:
        crc = ((crc << 8) & 0xFF00) ^ table[((crc >> 8) ^ b) & 0xFF]
    return crc


@lru_cache(maxsize=8192)
def key_slot(key: bytes) -> int:
    """The slot of an encoded key: only the part inside the first non-empty ``{...}`` counts.

    Redis' rule: find the first ``{``; find the first ``}`` after it; if there is one and
    something lies between them, hash only that; otherwise hash the whole key.
    """
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    return crc16(key) % SLOTS


def key_bytes(key: Any, charset: Optional[str] = "utf-8") -> bytes:
    """The bytes a key argument is sent as (what the server hashes)."""
    t = type(key)
    if t is bytes:
        return key
    if t is str:
        return key.encode(charset or "utf-8")
    if isinstance(key, bool):
        raise InvalidArgumentType(f"a key must be str, bytes, int or float, not {type(key).__name__}")
    if isinstance(key, int):
        return str(int(key)).encode()
    if isinstance(key, float):
        packed: bytes = hiredis.pack_command((key,))  # exactly as the encoder writes it
        return packed.split(b"\r\n")[-2]
    if isinstance(key, str):
        return str(key).encode(charset or "utf-8")
    if isinstance(key, (bytearray, memoryview)):
        return bytes(key)
    raise InvalidArgumentType(f"a key must be str, bytes, int or float, not {type(key).__name__}")


def slot_of(key: Any, charset: Optional[str] = "utf-8") -> int:
    """The cluster slot of a key argument."""
    return key_slot(key_bytes(key, charset))
