"""Server identity from HELLO, and the commands only some servers have."""

from __future__ import annotations

import pytest

from txredis_aio import UnsupportedCommandError
from txredis_aio.commands._dialects import FEATURES, ServerIdentity, require


def test_identity_from_resp2_and_resp3_hello() -> None:
    """A flat RESP2 HELLO reply and a RESP3 map (text or bytes) give the same identity."""
    flat = ["server", "valkey", "version", "8.1.8", "proto", 2, "modules", []]
    assert ServerIdentity.from_hello(flat) == ("valkey", (8, 1, 8))
    assert ServerIdentity.from_hello({b"server": b"redis", b"version": b"7.0.15"}) == ("redis", (7, 0, 15))
    assert str(ServerIdentity("redis", (8, 2, 3))) == "Redis 8.2.3"


def test_identity_tolerates_odd_replies() -> None:
    """A reply naming no server, or a version with a suffix, does not raise."""
    assert ServerIdentity.from_hello("OK") is None
    assert ServerIdentity.from_hello(["proto", 2]) is None
    assert ServerIdentity.from_hello(["server", "redis", "version", "8.4.0-rc1"]) == ("redis", (8, 4))


def test_require_refuses_a_known_server_without_the_command() -> None:
    """Valkey has no vector sets; Redis 8.2 has no SET IFEQ; the message names server and need."""
    with pytest.raises(UnsupportedCommandError, match=r"not supported by Valkey 8\.1\.8.*Redis 8\.0\+"):
        require("vector sets (VADD, VSIM, ...)", ServerIdentity("valkey", (8, 1, 8)))
    with pytest.raises(UnsupportedCommandError, match="Redis 8.2.3"):
        require("SET ... IFEQ", ServerIdentity("redis", (8, 2, 3)))
    with pytest.raises(UnsupportedCommandError, match="Redis 7.0.15"):
        require("HEXPIRE", ServerIdentity("redis", (7, 0, 15)))


def test_require_lets_capable_unknown_and_foreign_servers_through() -> None:
    """Capable servers, an unknown server and a product the table does not describe all pass."""
    require("HEXPIRE", ServerIdentity("redis", (7, 4, 0)))
    require("SET ... IFEQ", ServerIdentity("valkey", (8, 1, 0)))
    for feature in FEATURES:
        require(feature, None)
        require(feature, ServerIdentity("dragonfly", (1, 0)))
