"""The shim exposes txredisapi 1.6.0's public surface with compatible signatures.

txredisapi itself is imported only here, for comparison (it is in the ``test`` extra).
"""

from __future__ import annotations

import importlib.util
import inspect
from typing import Any

import pytest
from tw_support import ROOT

import txredis_aio
import txredis_aio_twisted as shim

txredisapi = pytest.importorskip("txredisapi")

# txredisapi's protocol methods that are parser/lifecycle internals, not commands.
_PROTOCOL_INTERNALS = {
    "bulkDataReceived", "connectionLost", "connectionMade", "handleMultiBulkElement",
    "handleTransactionData", "lineReceived", "multiBulkDataReceived", "rawDataReceived",
    "replyReceived", "tryConvertData", "whenConnected", "whenDisconnected", "handle_reply",
}
# Internal helper classes of txredisapi that the shim does not provide (compatibility page).
_NOT_PROVIDED = {"MultiBulkStorage", "ReplyQueue", "PeekableQueue", "SentinelRedisProtocol"}
_PUBLIC_NAMES = [
    "RedisError", "ConnectionError", "ResponseError", "ScriptDoesNotExist", "NoScriptRunning",
    "InvalidResponse", "InvalidData", "WatchError", "TimeoutError", "MasterNotFoundError",
    "list_or_args", "makeConnection", "makeShardedConnection", "makeUnixConnection",
    "makeShardedUnixConnection", "LineReceiver", "HashRing", "BaseRedisProtocol",
    "HiredisProtocol", "MonitorProtocol", "SubscriberProtocol", "ConnectionHandler",
    "UnixConnectionHandler", "ShardedConnectionHandler", "ShardedUnixConnectionHandler",
    "RedisFactory", "SubscriberFactory", "MonitorFactory", "Sentinel", "RedisProtocol",
    "ShardedMethods", "version", "__version__",
]


def compatible(theirs: inspect.Signature, ours: inspect.Signature) -> list[str]:
    """Why a call valid for ``theirs`` might not bind on ``ours`` (empty list: compatible)."""
    problems = []
    tp = [p for p in theirs.parameters.values() if p.name != "self"]
    op = [p for p in ours.parameters.values() if p.name != "self"]
    o_pos = [p for p in op if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    o_names = {p.name: p for p in op}
    o_var = any(p.kind is p.VAR_POSITIONAL for p in op)
    o_kw = any(p.kind is p.VAR_KEYWORD for p in op)
    i = 0
    for p in tp:
        if p.kind is p.VAR_POSITIONAL:
            if not o_var:
                problems.append(f"*{p.name} not accepted")
            continue
        if p.kind is p.VAR_KEYWORD:
            if not o_kw:
                problems.append(f"**{p.name} not accepted")
            continue
        if p.kind is p.KEYWORD_ONLY:
            if p.name not in o_names and not o_kw:
                problems.append(f"keyword {p.name} missing")
            continue
        if i < len(o_pos):
            q = o_pos[i]
            if q.name != p.name:
                problems.append(f"position {i}: {p.name!r} is {q.name!r} here")
            if p.default is not p.empty and q.default is p.empty:
                problems.append(f"{p.name} has no default here")
            elif p.default is not p.empty and isinstance(p.default, type):  # a txredisapi class
                if getattr(q.default, "__name__", None) != p.default.__name__:
                    problems.append(f"{p.name} default {p.default!r} is {q.default!r} here")
            elif p.default is not p.empty and q.default != p.default:
                problems.append(f"{p.name} default {p.default!r} is {q.default!r} here")
        elif not o_var:
            problems.append(f"positional {p.name} not accepted")
        i += 1
    for q in op[:]:
        if q.kind in (q.POSITIONAL_OR_KEYWORD, q.KEYWORD_ONLY) and q.default is q.empty:
            if q.name not in {p.name for p in tp}:
                problems.append(f"extra required parameter {q.name}")
    return problems


def test_all_is_txredisapis() -> None:
    """``__all__`` lists the same 18 names as txredisapi's (16 functions, Sentinel, MasterNotFoundError)."""
    assert sorted(shim.__all__) == sorted(txredisapi.__all__)
    assert len(shim.__all__) == 18
    for name in shim.__all__:
        assert hasattr(shim, name), name


def test_public_names_exist() -> None:
    """Every public module-level name of txredisapi that user code touches exists in the shim."""
    theirs = {n for n, v in vars(txredisapi).items()
              if not n.startswith("_") and getattr(v, "__module__", None) == "txredisapi"}
    missing = sorted(n for n in theirs if not hasattr(shim, n) and n not in _NOT_PROVIDED)
    assert missing == []
    for name in _PUBLIC_NAMES:
        assert hasattr(shim, name), name
    assert shim.version == shim.__version__ == txredis_aio.__version__


def test_exceptions_are_the_cores_with_txredisapis_hierarchy() -> None:
    """The shim's exception classes are the core's objects, related as txredisapi's are."""
    names = ["RedisError", "ConnectionError", "ResponseError", "ScriptDoesNotExist",
             "NoScriptRunning", "InvalidResponse", "InvalidData", "WatchError", "TimeoutError",
             "MasterNotFoundError"]
    for n in names:
        assert getattr(shim, n) is getattr(txredis_aio, n), n
    for a in names:
        for b in names:
            assert issubclass(getattr(shim, a), getattr(shim, b)) == issubclass(
                getattr(txredisapi, a), getattr(txredisapi, b)), (a, b)


@pytest.mark.parametrize("fn", [f for f in txredisapi.__all__ if f[0] in "SlCU"])
def test_connection_function_signatures(fn: str) -> None:
    """Each connection function takes txredisapi's parameters in its order with its defaults."""
    assert compatible(inspect.signature(getattr(txredisapi, fn)),
                      inspect.signature(getattr(shim, fn))) == []


def _commands() -> list[str]:
    return sorted(n for n, v in vars(txredisapi.BaseRedisProtocol).items()
                  if not n.startswith("_") and callable(v) and n not in _PROTOCOL_INTERNALS)


@pytest.mark.parametrize("name", _commands())
def test_command_on_handler_and_protocol(name: str) -> None:
    """Every txredisapi command method exists on the shim's handler and protocol, compatibly."""
    theirs = inspect.signature(getattr(txredisapi.BaseRedisProtocol, name))
    if name == "execute_command":  # txredisapi: (*args, **kwargs) taking post_proc/apply_timeout
        theirs = inspect.signature(lambda *args, post_proc=None, apply_timeout=True: None)
    for cls in (shim.ConnectionHandler, shim.RedisProtocol):
        ours = getattr(cls, name, None)
        assert ours is not None, f"{cls.__name__}.{name} missing"
        assert compatible(theirs, inspect.signature(ours)) == [], f"{cls.__name__}.{name}"


@pytest.mark.parametrize("cls,names", [
    ("Sentinel", ["disconnect", "check_master_state", "discover_master", "filter_slaves",
                  "discover_slaves", "master_for", "slave_for"]),
    ("RedisFactory", ["startConnecting", "stopTrying", "disconnect", "retryDelay", "buildProtocol",
                      "addConnection", "delConnection", "waitForEmptyPool", "connectionError",
                      "getConnection"]),
    ("SubscriberProtocol", ["messageReceived", "subscribe", "unsubscribe", "psubscribe",
                            "punsubscribe"]),
    ("MonitorProtocol", ["messageReceived", "monitor", "stop"]),
])
def test_class_methods(cls: str, names: list[str]) -> None:
    """Sentinel, factory and pub/sub/monitor protocol methods exist with compatible signatures."""
    for name in names:
        theirs = inspect.signature(getattr(getattr(txredisapi, cls), name))
        ours = getattr(getattr(shim, cls), name, None)
        assert ours is not None, f"{cls}.{name} missing"
        assert compatible(theirs, inspect.signature(ours)) == [], f"{cls}.{name}"


def test_factory_attributes() -> None:
    """RedisFactory keeps txredisapi's class attributes and ReconnectingClientFactory's API."""
    for attr in ("initialDelay", "maxDelay", "factor", "jitter", "noisy", "reconnect"):
        assert getattr(shim.RedisFactory, attr) == getattr(txredisapi.RedisFactory, attr), attr
    for attr in ("continueTrying", "startedConnecting", "clientConnectionFailed",
                 "clientConnectionLost", "resetDelay", "retry", "delay"):
        assert hasattr(shim.RedisFactory, attr), attr
    assert shim.RedisFactory.protocol is shim.RedisProtocol


def test_generated_commands_up_to_date() -> None:
    """``_commands.py`` is what ``scripts/gen_twisted.py`` writes for the core as it is now.

    Fails after a core command was added or changed without rerunning the generator.
    """
    spec = importlib.util.spec_from_file_location("gen_twisted", ROOT / "scripts" / "gen_twisted.py")
    assert spec is not None and spec.loader is not None
    gen: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    current = (ROOT / "txredis_aio_twisted" / "_commands.py").read_text()
    assert gen.render() == current, "run: .venv/bin/python scripts/gen_twisted.py"
