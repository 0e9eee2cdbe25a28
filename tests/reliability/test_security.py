"""Security: secrets stay secret, protocol bytes in data cannot inject commands.

TLS verification by default, client certificates and NOPERM are pinned in
tests/integration/test_connection.py (test_tls_*, test_missing_auth_and_noperm).
"""

from __future__ import annotations

import logging

import pytest

import txredis_aio as redis
from tests.conftest import ACL_USER
from txredis_aio.testing import RedisServer, free_port

SECRET = "hunter2-very-secret"


async def test_password_never_in_repr_logs_or_errors(
    auth_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A wrong password, a refused connection and a lost one never show the password."""
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    with pytest.raises(redis.HandshakeError) as ei:
        await redis.Connection(auth_server.host, auth_server.port, password=SECRET)
    texts += [str(ei.value), repr(ei.value), str(ei.value.__cause__)]
    with pytest.raises(redis.ConnectError) as ei2:
        await redis.Connection("127.0.0.1", free_port(), password=SECRET, username=ACL_USER)
    texts += [str(ei2.value), repr(ei2.value)]
    lazy = redis.lazyConnectionPool(auth_server.host, auth_server.port, password=SECRET, poolsize=2)
    texts += [repr(lazy), repr(lazy._pool), repr(lazy._pool.config)]
    with pytest.raises(redis.ConnectionError) as ei3:
        await lazy.get("x")
    texts.append(str(ei3.value))
    await lazy.disconnect()
    texts += [r.getMessage() for r in caplog.records]
    assert caplog.records, "connection failures are logged"
    leaked = [t for t in texts if SECRET in t]
    assert not leaked


@pytest.mark.parametrize(
    "evil",
    [
        "a\r\n*1\r\n$8\r\nFLUSHALL\r\n",
        b"\r\n*3\r\n$3\r\nSET\r\n$6\r\nvictim\r\n$5\r\npwned\r\n",
        "$-1\r\n",
        "\x00\r\n\r\n",
    ],
)
async def test_protocol_bytes_in_keys_and_values_cannot_inject(rc, evil: object) -> None:
    """Keys and values holding RESP framing are stored verbatim; no extra command runs."""
    await rc.set("victim", "safe")
    await rc.set("canary", 1)
    assert await rc.set(evil, evil) == "OK"
    assert await rc.get(evil) == (evil.decode() if isinstance(evil, bytes) else evil)
    assert await rc.get("victim") == "safe"
    assert await rc.get("canary") == 1
    assert await rc.execute_command("DBSIZE") == 3
