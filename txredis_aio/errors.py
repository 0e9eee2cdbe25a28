"""The error hierarchy: txredisapi's names and messages, plus finer reply-prefix subclasses.

None of these derive from the builtin ``ConnectionError``/``TimeoutError``: code written for
txredisapi catches ``txredis_aio.ConnectionError`` and must keep doing so.
"""

from __future__ import annotations

__all__ = [
    "AskError",
    "AuthenticationError",
    "BusyError",
    "BusyLoadingError",
    "ClusterDownError",
    "ConnectError",
    "ConnectionError",
    "ConnectionModeError",
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
    "ScriptDoesNotExist",
    "TimeoutError",
    "TryAgainError",
    "UnsupportedCommandError",
    "WatchError",
    "WrongTypeError",
    "response_error",
]


class RedisError(Exception):
    """Base of every error this package raises."""


class ConnectionError(RedisError):  # noqa: A001 - txredisapi's name, shadowing is the contract
    """No usable connection: not connected, connection lost, or connection set-up failed."""


class TimeoutError(ConnectionError):  # noqa: A001
    """A reply did not arrive within ``replyTimeout`` (or a connect attempt timed out)."""


class MasterNotFoundError(ConnectionError):
    """No Sentinel could name a healthy master for the service."""


class ConnectError(ConnectionError, ValueError):
    """Connecting failed. Also a ``ValueError``, which is what txredisapi raised here."""


class UnsupportedCommandError(RedisError):
    """The server this handler talks to lacks the command (raised before anything is sent)."""


class HandshakeError(ConnectError):
    """AUTH, SELECT or CLIENT SETNAME was refused; the connection will not retry by itself."""


class ResponseError(RedisError):
    """The server answered with an error reply; the text keeps its prefix (``ERR ...``)."""


class ScriptDoesNotExist(ResponseError):
    """EVALSHA named a script the server does not have (NOSCRIPT)."""


class NoScriptRunning(ResponseError):
    """SCRIPT KILL found no script running (NOTBUSY)."""


class WrongTypeError(ResponseError):
    """The key holds a value of another type (WRONGTYPE)."""


class AuthenticationError(ResponseError):
    """Authentication is required or was refused (NOAUTH, WRONGPASS)."""


class NoPermissionError(ResponseError):
    """The ACL user may not run this command or touch this key (NOPERM)."""


class ReadOnlyError(ResponseError):
    """A write was sent to a read-only replica (READONLY)."""


class BusyLoadingError(ResponseError):
    """The server is still loading its dataset (LOADING)."""


class BusyError(ResponseError):
    """A script or function is running and blocks the server (BUSY)."""


class ExecAbortError(ResponseError):
    """EXEC was refused because a queued command was invalid (EXECABORT)."""


class MovedError(ResponseError):
    """Cluster: the key's slot lives on another node (MOVED)."""


class AskError(ResponseError):
    """Cluster: the key's slot is migrating; ask the target node once (ASK)."""


class TryAgainError(ResponseError):
    """Cluster: a multi-key command hit a slot that is being migrated (TRYAGAIN)."""


class ClusterDownError(ResponseError):
    """Cluster: the cluster cannot serve the slot right now (CLUSTERDOWN)."""


class InvalidResponse(RedisError):
    """The server sent bytes that are not valid RESP; the connection is closed."""


class InvalidData(RedisError):
    """An argument cannot be sent to Redis."""


class InvalidArgumentType(InvalidData, TypeError):
    """An argument is not str, bytes, int or float. Also a ``TypeError``."""


class ConnectionModeError(RedisError):
    """A command that would change how a shared connection replies (SUBSCRIBE, MONITOR, CLIENT
    REPLY OFF, HELLO 3...) or switch only one pooled connection (SELECT): refused, nothing sent."""


class WatchError(RedisError):
    """EXEC returned nil: a WATCHed key changed, the transaction did not run."""


_BY_PREFIX: dict[str, type[ResponseError]] = {
    "WRONGTYPE": WrongTypeError,
    "NOAUTH": AuthenticationError,
    "WRONGPASS": AuthenticationError,
    "NOPERM": NoPermissionError,
    "READONLY": ReadOnlyError,
    "LOADING": BusyLoadingError,
    "BUSY": BusyError,
    "EXECABORT": ExecAbortError,
    "NOSCRIPT": ScriptDoesNotExist,
    "NOTBUSY": NoScriptRunning,
    "MOVED": MovedError,
    "ASK": AskError,
    "TRYAGAIN": TryAgainError,
    "CLUSTERDOWN": ClusterDownError,
}


def response_error(message: str) -> ResponseError:
    """Build the ResponseError subclass for an error reply, chosen by its first word."""
    cls = _BY_PREFIX.get(message.split(" ", 1)[0], ResponseError)
    return cls(message)
