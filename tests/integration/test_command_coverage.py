"""Command coverage, measured against the live server's COMMAND DOCS (not a hand-kept list).

It runs against whichever server the session uses (Redis 7.0/8.x or Valkey 8.x): each server is
checked for the commands it has. Rule mapping a command to its method on
``txredis_aio.ConnectionHandler``: the lowercase command name, with a sub-command's ``|`` and any
``-`` or space turned into ``_`` (``CONFIG GET`` → ``config_get``, ``CLIENT NO-EVICT`` →
``client_no_evict``), except the txredisapi names in ``TXREDISAPI_NAMES``. Containers with
sub-commands count through their sub-commands; ``HELP`` sub-commands are skipped. Everything left
out is in ``EXCLUDED``, each with its reason.
"""

from __future__ import annotations

import pytest

import txredis_aio as redis
from tests.integration._cmd_helpers import connect
from txredis_aio.commands import _table

# Commands whose method keeps txredisapi's name instead of the rule's.
TXREDISAPI_NAMES = {
    "del": "delete",
    "exec": "commit",
}

# Groups left out entirely: Redis Cluster administration (a cluster client is separate work).
EXCLUDED_GROUPS = {"cluster"}

EXCLUDED = {
    # Subscriber-only commands: they switch a connection into pub/sub mode, so they live on the
    # subscriber handler/protocol, not on ordinary command handlers.
    "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe",
    # MONITOR turns the connection into a stream of events: the monitor protocol handles it.
    "monitor",
    # Replication and cluster-migration internals, spoken between servers.
    "psync", "sync", "replconf", "restore-asking",
    # HyperLogLog internals for Redis' own test suite.
    "pfdebug", "pfselftest",
    # Module administration (loading native code into the server) is out of scope.
    "module|list", "module|load", "module|loadex", "module|unload",
    # CLIENT REPLY OFF/SKIP silences replies the reply queue waits for: unsafe on shared connections.
    "client|reply",
    # The Lua debugger is an interactive session with its own reply stream.
    "script|debug",
    # Valkey: CLIENT CAPA REDIRECT makes a replica answer -REDIRECT, which these handlers do not
    # follow; CLIENT IMPORT-SOURCE is for data-import tools (import mode). Both change how the
    # server treats the connection's later commands, unsafe on shared connections.
    "client|capa", "client|import-source",
}

# Names above that some known servers lack ({server name: names it has in no version}), so that
# ``test_exclusions_are_real_commands`` can tell a server-specific exclusion from a typo. Every
# name must exist on at least one known server (checked where that server is the one under test).
ABSENT_ON: dict[str, set[str]] = {
    "redis": {"client|capa", "client|import-source"},  # Valkey-only
    "valkey": set(),
}

# TODO(issue 3): commands whose methods another helper is still adding in parallel. Must be empty
# at the end; the test fails if a name here is in fact covered (so the set cannot go stale).
PENDING: set[str] = set()

# TODO(issue 3, transactions owner): these methods (txredis_aio/client.py) have docstrings but no
# redis.io link yet. The test fails if one gains its link while still listed here.
DOC_LINK_PENDING = {"multi", "commit", "discard", "watch", "unwatch"}


def method_name(command: str) -> str:
    """The method a command maps to under the documented rule."""
    if command in TXREDISAPI_NAMES:
        return TXREDISAPI_NAMES[command]
    return command.lower().replace("|", "_").replace("-", "_").replace(" ", "_")


def server_commands(docs: dict) -> dict[str, str]:
    """``{command: group}`` for every command and sub-command of COMMAND DOCS, HELP skipped."""
    out = {}
    for name, doc in docs.items():
        subs = doc.get("subcommands")
        if subs:
            for sub, sub_doc in subs.items():
                if not sub.endswith("|help"):
                    out[sub] = sub_doc.get("group", doc.get("group"))
        else:
            out[name] = doc["group"]
    return out


@pytest.fixture
async def docs(redis_server) -> dict:
    """COMMAND DOCS of the session's server, through our own command_docs()."""
    async with connect(redis_server) as c:
        return await c.command_docs()


@pytest.fixture
async def server_name(redis_server) -> str:
    """The product of the session's server (``"redis"``, ``"valkey"``), from the handshake's HELLO."""
    async with connect(redis_server) as c:
        assert c._pool.server is not None, "HELLO did not name the server"
        return c._pool.server.name


async def test_every_data_command_has_a_method(docs) -> None:
    """Each command of the server (minus documented exclusions) has a method on ConnectionHandler."""
    commands = server_commands(docs)
    assert len(commands) > 300, "COMMAND DOCS looks truncated"
    in_scope = {c for c, g in commands.items() if g not in EXCLUDED_GROUPS and c not in EXCLUDED}
    covered = {c for c in in_scope if callable(getattr(redis.ConnectionHandler, method_name(c), None))}
    missing = in_scope - covered - PENDING
    stale_pending = PENDING & covered
    print(f"\ncommand coverage: covered {len(covered)}/{len(in_scope)} commands "
          f"({len(commands)} on the server; {len(commands) - len(in_scope)} excluded; "
          f"{len(PENDING - covered)} pending)")
    assert not missing, f"commands without a method: {sorted(missing)}"
    assert not stale_pending, f"remove from PENDING, now covered: {sorted(stale_pending)}"


async def test_exclusions_are_real_commands(docs, server_name) -> None:
    """Every excluded/renamed/pending name is a command of this server, or one ABSENT_ON says it
    lacks (no typos hiding gaps); ABSENT_ON names only listed names and nothing this server has."""
    commands = set(server_commands(docs))
    names = EXCLUDED | set(TXREDISAPI_NAMES) | PENDING
    absent = ABSENT_ON.get(server_name, set())
    unknown = names - commands - absent
    assert not unknown, f"not commands of this server ({server_name}): {sorted(unknown)}"
    stale = absent & commands
    assert not stale, f"ABSENT_ON[{server_name!r}] lists commands this server has: {sorted(stale)}"
    assert set().union(*ABSENT_ON.values()) <= names
    assert not set.intersection(*ABSENT_ON.values()), "a name absent from every known server"
    assert not EXCLUDED & PENDING


async def test_every_command_method_has_a_docstring_with_a_link(docs) -> None:
    """Each covered command's method has a docstring pointing at redis.io or valkey.io."""
    commands = server_commands(docs)
    undocumented = []
    for c, g in commands.items():
        fn = getattr(redis.ConnectionHandler, method_name(c), None)
        if g in EXCLUDED_GROUPS or c in EXCLUDED or fn is None:
            continue
        doc = fn.__doc__ or ""
        if "https://redis.io/" not in doc and "https://valkey.io/" not in doc:
            undocumented.append(method_name(c))
    missing = set(undocumented) - DOC_LINK_PENDING
    assert not missing, f"methods without a redis.io/valkey.io link: {sorted(missing)}"
    stale = DOC_LINK_PENDING - set(undocumented)
    assert not stale, f"remove from DOC_LINK_PENDING, now linked: {sorted(stale)}"


async def test_generated_table_matches_the_server(docs) -> None:
    """The checked-in command table knows every command of the server (regenerate it if not)."""
    commands = server_commands(docs)
    unknown = [c for c in commands if _table.command_info(tuple(c.split("|"))) is None]
    assert not unknown, f"missing from _table_data.py: {unknown}"


SAMPLES = [
    ("GET", "k"),
    ("MSET", "a", "1", "b", "2"),
    ("DEL", "a", "b", "c"),
    ("BLPOP", "l1", "l2", "0"),
    ("BITOP", "AND", "dst", "s1", "s2"),
    ("XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"),
    ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s1", ">"),
    ("EVAL", "return 1", "2", "k1", "k2", "arg"),
    ("ZUNIONSTORE", "dst", "2", "z1", "z2", "WEIGHTS", "1", "2"),
    ("LMPOP", "2", "l1", "l2", "LEFT"),
    ("LMOVE", "src", "dst", "LEFT", "RIGHT"),
    ("GEOSEARCHSTORE", "dst", "src", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m"),
    ("SORT", "k", "STORE", "dst"),
    ("SORT", "k", "BY", "store", "LIMIT", "0", "5", "GET", "#", "STORE", "dst"),
    ("SORT", "k", "BY", "w_*", "ALPHA"),
    ("OBJECT", "ENCODING", "k"),
    ("XINFO", "STREAM", "s"),
    ("MEMORY", "USAGE", "k"),
    ("PFCOUNT", "h1", "h2"),
    ("SINTERCARD", "2", "a", "b", "LIMIT", "1"),
    ("ZINTER", "2", "a", "b", "WITHSCORES"),
    ("FCALL", "f", "1", "k", "x"),
    ("MIGRATE", "h", "6379", "", "0", "5000", "KEYS", "a", "b"),
    ("MIGRATE", "h", "6379", "k", "0", "5000"),
    ("SORT_RO", "k", "BY", "w_*"),
]


@pytest.mark.parametrize("args", SAMPLES, ids=lambda a: " ".join(a[:2]))
async def test_table_key_positions_agree_with_command_getkeys(redis_server, args) -> None:
    """_table.keys_of() finds the same keys as the server's COMMAND GETKEYS."""
    async with connect(redis_server) as c:
        expected = await c.command_getkeys(*args)
    assert _table.keys_of(args) == expected
