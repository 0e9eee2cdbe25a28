"""Fixtures for the Twisted shim tests (run under pytest-twisted with --reactor=asyncio).

``scripts/test`` runs this directory in its own pytest process (``-p no:asyncio
--reactor=asyncio``): pytest-asyncio's per-test loops and Twisted's one reactor loop cannot
share a process. Run by hand:  .venv/bin/python -m pytest -p no:asyncio --reactor=asyncio tests/twisted
"""

from __future__ import annotations

from typing import Iterator

import pytest
from tw_support import port_free

from txredis_aio.testing import RedisServer


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse to run without Twisted's asyncio reactor: the shim's Deferreds need it."""
    if config.getoption("reactor", None) != "asyncio":
        skip = pytest.mark.skip(reason="run with -p no:asyncio --reactor=asyncio (see scripts/test)")
        for item in items:
            if "tests/twisted" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture
def default_server() -> Iterator[RedisServer]:
    """A server on the default port 6379, as txredisapi's README examples expect."""
    if not port_free(6379):
        pytest.skip("port 6379 is in use: the README examples need the default port")
    with RedisServer(port=6379) as srv:
        yield srv


@pytest.fixture
def second_server() -> Iterator[RedisServer]:
    """A server on 6380, the README's second shard."""
    if not port_free(6380):
        pytest.skip("port 6380 is in use")
    with RedisServer(port=6380) as srv:
        yield srv


@pytest.fixture(scope="session")
def tw_server() -> Iterator[RedisServer]:
    """A server on a free port for the in-process tests."""
    with RedisServer() as srv:
        yield srv
