"""txredis_aio: a fast, correct asyncio Redis client with txredisapi's API."""

from __future__ import annotations

from ._batch import PipelineReply
from ._feed import Disconnected, Reconnected
from ._resp import list_or_args
from ._version import __version__
from .client import Connecting, ConnectionHandler
from .cluster import (
    ClusterConnecting,
    ClusterConnection,
    ClusterError,
    ClusterHandler,
    CrossSlotError,
    lazyClusterConnection,
)
from .commands.bitmaps import BitFieldOperations
from .commands.scripting import Script
from .errors import (
    AskError,
    AuthenticationError,
    BusyError,
    BusyLoadingError,
    ClusterDownError,
    ConnectError,
    ConnectionError,
    ConnectionModeError,
    ExecAbortError,
    HandshakeError,
    InvalidArgumentType,
    InvalidData,
    InvalidResponse,
    MasterNotFoundError,
    MovedError,
    NoPermissionError,
    NoScriptRunning,
    ReadOnlyError,
    RedisError,
    ResponseError,
    ScriptDoesNotExist,
    TimeoutError,
    TryAgainError,
    UnsupportedCommandError,
    WatchError,
    WrongTypeError,
)
from .factories import (
    Connection,
    ConnectionPool,
    UnixConnection,
    UnixConnectionPool,
    lazyConnection,
    lazyConnectionPool,
    lazyUnixConnection,
    lazyUnixConnectionPool,
)
from .hashring import HashRing
from .monitor import (
    Monitor,
    MonitorConnection,
    MonitoredCommand,
    UnixMonitorConnection,
    lazyMonitorConnection,
    lazyUnixMonitorConnection,
    parse_monitor_line,
)
from .pipeline import Pipeline
from .pubsub import (
    Message,
    Subscriber,
    SubscriberConnection,
    UnixSubscriberConnection,
    lazySubscriberConnection,
    lazyUnixSubscriberConnection,
)
from .sentinel import Sentinel, SentinelConnectionHandler
from .sharding import (
    CrossShardError,
    ShardedConnection,
    ShardedConnectionHandler,
    ShardedConnectionPool,
    ShardedMethods,
    ShardedUnixConnection,
    ShardedUnixConnectionHandler,
    ShardedUnixConnectionPool,
    lazyShardedConnection,
    lazyShardedConnectionPool,
    lazyShardedUnixConnection,
    lazyShardedUnixConnectionPool,
)
from .transaction import Transaction

version = __version__

__all__ = [
    "AskError",
    "AuthenticationError",
    "BitFieldOperations",
    "BusyError",
    "BusyLoadingError",
    "ClusterDownError",
    "ConnectError",
    "Connecting",
    "Connection",
    "ConnectionError",
    "ConnectionModeError",
    "ConnectionHandler",
    "ConnectionPool",
    "ExecAbortError",
    "HandshakeError",
    "InvalidArgumentType",
    "InvalidData",
    "InvalidResponse",
    "MasterNotFoundError",
    "MovedError",
    "NoPermissionError",
    "NoScriptRunning",
    "ReadOnlyError",
    "RedisError",
    "ResponseError",
    "Script",
    "ScriptDoesNotExist",
    "TimeoutError",
    "TryAgainError",
    "UnsupportedCommandError",
    "UnixConnection",
    "UnixConnectionPool",
    "WatchError",
    "WrongTypeError",
    "__version__",
    "lazyConnection",
    "lazyConnectionPool",
    "lazyUnixConnection",
    "lazyUnixConnectionPool",
    "list_or_args",
    "version",
]

__all__ += [  # pub/sub and MONITOR
    "Disconnected",
    "Message",
    "Monitor",
    "MonitorConnection",
    "MonitoredCommand",
    "Reconnected",
    "Subscriber",
    "SubscriberConnection",
    "UnixMonitorConnection",
    "UnixSubscriberConnection",
    "lazyMonitorConnection",
    "lazySubscriberConnection",
    "lazyUnixMonitorConnection",
    "lazyUnixSubscriberConnection",
    "parse_monitor_line",
]

__all__ += [  # client-side sharding
    "CrossShardError",
    "HashRing",
    "ShardedConnection",
    "ShardedConnectionHandler",
    "ShardedConnectionPool",
    "ShardedMethods",
    "ShardedUnixConnection",
    "ShardedUnixConnectionHandler",
    "ShardedUnixConnectionPool",
    "lazyShardedConnection",
    "lazyShardedConnectionPool",
    "lazyShardedUnixConnection",
    "lazyShardedUnixConnectionPool",
]

__all__ += [  # Redis Cluster
    "ClusterConnecting",
    "ClusterConnection",
    "ClusterError",
    "ClusterHandler",
    "CrossSlotError",
    "lazyClusterConnection",
]

__all__ += [  # Sentinel
    "Sentinel",
    "SentinelConnectionHandler",
]

__all__ += [  # transactions and explicit pipelines
    "Pipeline",
    "PipelineReply",
    "Transaction",
]
