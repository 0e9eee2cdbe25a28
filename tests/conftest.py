"""Session fixtures: real redis-server processes on free loopback ports, stopped by PID."""

from __future__ import annotations

import subprocess
from typing import Iterator

import pytest

import txredis_aio as redis
from txredis_aio.testing import RedisServer, find_server_binary


def server_supports_tls() -> bool:
    """Whether the server binary was built with TLS (Debian's is; some wheels' are not)."""
    out = subprocess.run(
        [find_server_binary(), "--port", "0", "--tls-port", "1", "--loglevel", "warning"],
        capture_output=True, text=True, timeout=10,
    )
    return "TLS support" not in out.stdout + out.stderr


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A standalone server shared by the session; tests flush what they use."""
    with RedisServer() as srv:
        yield srv


@pytest.fixture(scope="session")
def unix_server() -> Iterator[RedisServer]:
    with RedisServer(unixsocket=True) as srv:
        yield srv


AUTH_PASSWORD = "s3cret-pw"
ACL_USER, ACL_PASSWORD = "alice", "alice-pw"
LIMITED_USER, LIMITED_PASSWORD = "limited", "limited-pw"


@pytest.fixture(scope="session")
def auth_server() -> Iterator[RedisServer]:
    """requirepass for the default user, a full ACL user and one allowed only GET/SET on ``allowed:*``."""
    conf = [
        f"requirepass {AUTH_PASSWORD}",
        f"user {ACL_USER} on >{ACL_PASSWORD} ~* &* +@all",
        f"user {LIMITED_USER} on >{LIMITED_PASSWORD} ~allowed:* +get +set +ping",
    ]
    with RedisServer(conf=conf) as srv:
        yield srv


@pytest.fixture(scope="session")
def tls_certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    trustme = pytest.importorskip("trustme")
    d = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    server = ca.issue_cert("localhost", "127.0.0.1")
    client = ca.issue_cert("client@example.com")
    paths = {
        "ca": str(d / "ca.pem"), "cert": str(d / "server.pem"), "key": str(d / "server.key"),
        "client_cert": str(d / "client.pem"), "client_key": str(d / "client.key"),
    }
    ca.cert_pem.write_to_path(paths["ca"])
    server.cert_chain_pems[0].write_to_path(paths["cert"])
    server.private_key_pem.write_to_path(paths["key"])
    client.cert_chain_pems[0].write_to_path(paths["client_cert"])
    client.private_key_pem.write_to_path(paths["client_key"])
    return paths


@pytest.fixture(scope="session")
def tls_server(tls_certs: dict[str, str]) -> Iterator[RedisServer]:
    """A TLS-only server that requires client certificates signed by the test CA."""
    if not server_supports_tls():
        pytest.skip("this redis-server binary was built without TLS")
    tls = {
        "tls-cert-file": tls_certs["cert"], "tls-key-file": tls_certs["key"],
        "tls-ca-cert-file": tls_certs["ca"], "tls-auth-clients": "yes",
    }
    with RedisServer(tls=tls) as srv:
        yield srv


@pytest.fixture
async def rc(redis_server: RedisServer):
    """A pool of 2 on the shared server, database flushed before the test."""
    client = await redis.ConnectionPool(redis_server.host, redis_server.port, poolsize=2)
    await client.execute_command("FLUSHDB")
    yield client
    await client.disconnect()
