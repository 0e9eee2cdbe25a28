"""Cluster key slots (CRC16 + hash tags) and slot-map parsing, without sockets."""

from __future__ import annotations

import pytest

from txredis_aio._crc16 import crc16, key_bytes, key_slot, slot_of
from txredis_aio.cluster_topology import ShardInfo, parse_address, parse_shards, parse_slots, slot_table
from txredis_aio.errors import InvalidArgumentType, InvalidResponse


def test_crc16_xmodem_check_value() -> None:
    """CRC16 is the XMODEM variant: the standard check value of b"123456789" is 0x31C3."""
    assert crc16(b"123456789") == 0x31C3
    assert crc16(b"") == 0


@pytest.mark.parametrize(
    "key, slot",
    [("foo", 12182), ("bar", 5061), ("123456789", 12739), ("", 0), ("user:1000", 1649)],
)
def test_golden_slots(key: str, slot: int) -> None:
    """Slots of known keys are those CLUSTER KEYSLOT gives on a real server."""
    assert slot_of(key) == slot


@pytest.mark.parametrize(
    "key, hashed",
    [
        (b"{user1000}.following", b"user1000"),
        (b"foo{}{bar}", b"foo{}{bar}"),          # empty first tag: the whole key
        (b"foo{{bar}}zap", b"{bar"),             # first '{', then first '}' after it
        (b"foo{bar}{zap}", b"bar"),              # only the first tag counts
        (b"{}", b"{}"),
        (b"{a", b"{a"),                          # no closing brace: the whole key
        (b"a}b{c}", b"c"),                       # a '}' before the first '{' is ignored
    ],
)
def test_hashtag_rules(key: bytes, hashed: bytes) -> None:
    """Only the part between the first '{' and the first '}' after it counts, if non-empty."""
    assert key_slot(key) == crc16(hashed) % 16384


def test_key_types_hash_as_sent() -> None:
    """str keys hash as their charset bytes, ints as digits, floats as the encoder writes them."""
    assert slot_of("é") == key_slot("é".encode())
    assert slot_of("é", "latin-1") == key_slot("é".encode("latin-1"))
    assert slot_of(12) == key_slot(b"12")
    assert key_bytes(1e100) == b"1e+100" and key_bytes(0.1) == b"0.1"
    assert slot_of(b"foo") == slot_of("foo")
    with pytest.raises(InvalidArgumentType):
        slot_of(True)
    with pytest.raises(InvalidArgumentType):
        slot_of(None)


def test_parse_address() -> None:
    """Startup nodes are "host:port" strings, [v6]:port strings or (host, port) pairs."""
    assert parse_address("127.0.0.1:7000") == ("127.0.0.1", 7000)
    assert parse_address(("localhost", "7001")) == ("localhost", 7001)
    assert parse_address("[::1]:7002") == ("::1", 7002)
    for bad in ("localhost", "host:port", ":7000", ("a", 1, 2)):
        with pytest.raises(ValueError):
            parse_address(bad)


def _node(port: int, role: bytes, health: bytes = b"online", endpoint: bytes = b"127.0.0.1") -> list:
    return [b"id", b"0123e456" * 5, b"port", port, b"ip", b"127.0.0.1", b"endpoint", endpoint,
            b"role", role, b"replication-offset", 10, b"health", health]


def test_parse_shards() -> None:
    """CLUSTER SHARDS: slot pairs, the primary, non-failed replicas; "" endpoint = asked host."""
    reply = [
        [b"slots", [0, 5460, 10923, 10923], b"nodes",
         [_node(7000, b"master"), _node(7003, b"replica"), _node(7006, b"replica", b"fail")]],
        [b"slots", [5461, 10922], b"nodes", [_node(7001, b"master", endpoint=b"")]],
        [b"slots", [], b"nodes", [_node(7009, b"master", b"fail")]],  # failed, slotless: dropped
    ]
    shards = parse_shards(reply, "10.0.0.1")
    assert shards == [
        ShardInfo([(0, 5460), (10923, 10923)], "127.0.0.1:7000", ["127.0.0.1:7003"]),
        ShardInfo([(5461, 10922)], "10.0.0.1:7001", []),
    ]
    table = slot_table(shards)
    assert table.owner[0] == table.owner[5460] == table.owner[10923] == 0
    assert table.owner[5461] == 1 and table.owner[10924] == -1
    with pytest.raises(InvalidResponse):
        parse_shards([[b"slots", [b"x", 1], b"nodes", []]], "h")


def test_parse_slots() -> None:
    """CLUSTER SLOTS: ranges of one primary merge; replicas follow the primary."""
    reply = [
        [0, 100, [b"127.0.0.1", 7000, b"id0"], [b"127.0.0.1", 7003, b"id3"]],
        [200, 300, [b"127.0.0.1", 7000, b"id0"], [b"127.0.0.1", 7003, b"id3"]],
        [101, 199, [b"", 7001, b"id1"]],
    ]
    assert parse_slots(reply, "h") == [
        ShardInfo([(0, 100), (200, 300)], "127.0.0.1:7000", ["127.0.0.1:7003"]),
        ShardInfo([(101, 199)], "h:7001", []),
    ]


def test_parse_redirect() -> None:
    """MOVED/ASK replies name the slot and the node (IPv6 in brackets)."""
    from txredis_aio.cluster_topology import parse_redirect

    assert parse_redirect("MOVED 3999 127.0.0.1:6381") == (3999, "127.0.0.1:6381")
    assert parse_redirect("ASK 12 ::1:7000") == (12, "[::1]:7000")
