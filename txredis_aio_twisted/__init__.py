"""txredis_aio_twisted: txredisapi's API, returning Deferreds, over the asyncio core.

Replace ``import txredisapi as redis`` with ``import txredis_aio_twisted as redis``. Importing
this package installs Twisted's asyncio reactor when no reactor is installed yet (see
``_reactor``); the exception classes are the core's own, so ``except redis.ConnectionError``
catches what the core raises.
"""

from __future__ import annotations

from ._reactor import install_if_absent

install_if_absent()

# The names below are re-exported for ``redis.<Name>`` access; __all__ is txredisapi's (18 names).
from txredis_aio._resp import list_or_args  # noqa: E402,F401
from txredis_aio._version import __version__  # noqa: E402
from txredis_aio.errors import *  # noqa: E402,F401,F403
from txredis_aio.errors import (  # noqa: E402,F401
    ConnectionError,
    InvalidData,
    InvalidResponse,
    MasterNotFoundError,
    NoScriptRunning,
    RedisError,
    ResponseError,
    ScriptDoesNotExist,
    TimeoutError,
    WatchError,
)
from txredis_aio.hashring import HashRing  # noqa: E402,F401
from txredis_aio.sharding import ShardedMethods  # noqa: E402,F401

from .connections import (  # noqa: E402,F401
    ClusterConnection,
    Connection,
    ConnectionPool,
    ShardedConnection,
    ShardedConnectionPool,
    ShardedUnixConnection,
    ShardedUnixConnectionPool,
    UnixConnection,
    UnixConnectionPool,
    lazyClusterConnection,
    lazyConnection,
    lazyConnectionPool,
    lazyShardedConnection,
    lazyShardedConnectionPool,
    lazyShardedUnixConnection,
    lazyShardedUnixConnectionPool,
    lazyUnixConnection,
    lazyUnixConnectionPool,
    makeConnection,
    makeShardedConnection,
    makeShardedUnixConnection,
    makeUnixConnection,
)
from .factory import (  # noqa: E402,F401
    MonitorFactory,
    RedisFactory,
    SentinelConnectionFactory,
    SubscriberFactory,
)
from .handlers import (  # noqa: E402,F401
    ClusterHandler,
    ConnectionHandler,
    Pipeline,
    Sentinel,
    ShardedConnectionHandler,
    ShardedUnixConnectionHandler,
    Transaction,
    UnixConnectionHandler,
)
from .protocol import (  # noqa: E402,F401
    BaseRedisProtocol,
    HiredisProtocol,
    LineReceiver,
    RedisProtocol,
)
from .pubsub import MonitorProtocol, SubscriberProtocol  # noqa: E402,F401

version = __version__
__author__ = "txredis_aio contributors"

# txredisapi's exact list (its order); everything else is reachable as an attribute.
__all__ = [
    "Connection",
    "lazyConnection",
    "ConnectionPool",
    "lazyConnectionPool",
    "ShardedConnection",
    "lazyShardedConnection",
    "ShardedConnectionPool",
    "lazyShardedConnectionPool",
    "UnixConnection",
    "lazyUnixConnection",
    "UnixConnectionPool",
    "lazyUnixConnectionPool",
    "ShardedUnixConnection",
    "lazyShardedUnixConnection",
    "ShardedUnixConnectionPool",
    "lazyShardedUnixConnectionPool",
    "Sentinel",
    "MasterNotFoundError",
]
