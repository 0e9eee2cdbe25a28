"""The generated command table: key positions, blocking and read-only facts, sub-command lookup."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from txredis_aio.commands import _table
from txredis_aio.commands._table_data import COMMANDS, SERVER_VERSIONS


def _id(x: object) -> str:
    return " ".join(map(str, x)) if isinstance(x, tuple) else ""


KEYS = [
    (("GET", "k"), [1]),
    (("SET", "k", "v", "EX", 10), [1]),
    (("MGET", "a", "b", "c"), [1, 2, 3]),
    (("MSET", "a", 1, "b", 2), [1, 3]),
    (("MSETNX", "a", 1), [1]),
    (("DEL", "a", "b"), [1, 2]),
    (("RENAME", "a", "b"), [1, 2]),
    (("BLPOP", "a", "b", 0), [1, 2]),
    (("BRPOPLPUSH", "src", "dst", 0), [1, 2]),
    (("BLMPOP", 0, 2, "a", "b", "LEFT"), [3, 4]),
    (("LMPOP", 2, "a", "b", "RIGHT", "COUNT", 2), [2, 3]),
    (("BITOP", "AND", "d", "a", "b"), [2, 3, 4]),
    (("BITCOUNT", "k", 0, 1), [1]),
    (("XADD", "s", "*", "f", "v"), [1]),
    (("XREAD", "STREAMS", "s1", "s2", "0", "0"), [2, 3]),
    (("XREAD", "COUNT", 5, "BLOCK", 0, "STREAMS", "s1", "$"), [6]),
    (("XREADGROUP", "GROUP", "g", "c", "COUNT", 1, "STREAMS", "s", ">"), [7]),
    (("XGROUP", "CREATE", "s", "g", "$"), [2]),
    (("XINFO", "STREAM", "s", "FULL"), [2]),
    (("EVAL", "return 1", 2, "k1", "k2", "a1"), [3, 4]),
    (("EVALSHA", "abc", 0, "a1"), []),
    (("FCALL", "f", 1, "k", "x"), [3]),
    (("ZUNIONSTORE", "d", 2, "a", "b", "WEIGHTS", 1, 2), [1, 3, 4]),
    (("ZINTER", 2, "a", "b"), [2, 3]),
    (("ZRANGESTORE", "d", "s", 0, -1), [1, 2]),
    (("SINTERCARD", 3, "a", "b", "c", "LIMIT", 1), [2, 3, 4]),
    (("SMOVE", "a", "b", "m"), [1, 2]),
    (("GEOSEARCHSTORE", "d", "s", "FROMMEMBER", "m", "BYRADIUS", 1, "km"), [1, 2]),
    (("PFMERGE", "d", "a", "b"), [1, 2, 3]),
    (("OBJECT", "ENCODING", "k"), [2]),
    (("MEMORY", "USAGE", "k"), [2]),
    (("SORT", "k", "STORE", "d"), [1, 3]),
    (("SORT", "k", "BY", "store", "LIMIT", 0, 1, "GET", "#", "STORE", "d"), [1, 10]),
    (("SORT", "k", "ALPHA"), [1]),
    (("MIGRATE", "h", 6379, "", 0, 5000, "KEYS", "a", "b"), [7, 8]),
    (("MIGRATE", "h", 6379, "k", 0, 5000), [3]),
    (("HGETEX", "h", "EX", 10, "FIELDS", 2, "a", "b"), [1]),
    (("HEXPIRE", "h", 10, "NX", "FIELDS", 1, "a"), [1]),
    (("HSETEX", "h", "FNX", "FIELDS", 1, "a", "1"), [1]),
    (("VADD", "vs", "VALUES", 2, "0.1", "0.2", "e1"), [1]),
    (("VSIM", "vs", "ELE", "e1", "WITHSCORES"), [1]),
    (("XACKDEL", "s", "g", "IDS", 1, "1-0"), [1]),
    (("XDELEX", "s", "IDS", 1, "1-0"), [1]),
    (("SET", "k", "v", "IFEQ", "old"), [1]),
    (("PING",), []),
    (("CONFIG", "GET", "maxmemory"), []),
    ((b"get", b"k"), [1]),
    ((b"xread", b"streams", b"s", b"0"), [2]),
]


@pytest.mark.parametrize("args,expected", KEYS, ids=_id)
def test_key_indexes(args, expected) -> None:
    """key_indexes finds the positions Redis' COMMAND GETKEYS reports for these requests."""
    assert _table.key_indexes(args) == expected
    assert _table.keys_of(args) == [args[i] for i in expected]


def test_unknown_command_has_no_keys_and_no_facts() -> None:
    """An unknown command: no table entry, no keys, neither blocking nor read-only."""
    args = ("NOSUCHCOMMAND", "k")
    assert _table.command_info(args) is None
    assert _table.key_indexes(args) == []
    assert not _table.is_blocking(args) and not _table.is_readonly(args)


BLOCKING = [
    (("BLPOP", "l", 0), True),
    (("BRPOP", "l", 1), True),
    (("BRPOPLPUSH", "a", "b", 0), True),
    (("BLMOVE", "a", "b", "LEFT", "LEFT", 0), True),
    (("BLMPOP", 0, 1, "l", "LEFT"), True),
    (("BZPOPMIN", "z", 0), True),
    (("BZPOPMAX", "z", 0), True),
    (("BZMPOP", 0, 1, "z", "MIN"), True),
    (("XREAD", "BLOCK", 0, "STREAMS", "s", "$"), True),
    ((b"xread", b"block", b"0", b"streams", b"s", b"$"), True),
    (("XREAD", "STREAMS", "s", "0"), False),
    (("XREADGROUP", "GROUP", "g", "c", "BLOCK", 10, "STREAMS", "s", ">"), True),
    (("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"), False),
    (("WAIT", 1, 0), True),
    (("GET", "k"), False),
    (("LPOP", "l"), False),
    (("CLIENT", "PAUSE", 100), False),
    (("EVAL", "return 1", 0), False),
]


@pytest.mark.parametrize("args,expected", BLOCKING, ids=_id)
def test_is_blocking(args, expected) -> None:
    """Blocking requests (leased by pools) are the B* commands, XREAD*/BLOCK and WAIT; nothing else."""
    assert _table.is_blocking(args) is expected


READONLY = [
    (("GET", "k"), True),
    (("XRANGE", "s", "-", "+"), True),
    (("ZRANGE", "z", 0, -1), True),
    (("EVAL_RO", "return 1", 0), True),
    (("FCALL_RO", "f", 0), True),
    (("SORT_RO", "k"), True),
    (("GEOSEARCH", "k", "FROMMEMBER", "m", "BYRADIUS", 1, "m"), True),
    (("BITFIELD_RO", "k", "GET", "u8", 0), True),
    (("OBJECT", "ENCODING", "k"), True),
    (("SET", "k", "v"), False),
    (("EVAL", "return 1", 0), False),
    (("SORT", "k"), False),
    (("BITFIELD", "k", "GET", "u8", 0), False),
    (("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"), False),
    (("CONFIG", "GET", "x"), False),
]


@pytest.mark.parametrize("args,expected", READONLY, ids=_id)
def test_is_readonly(args, expected) -> None:
    """Read-only requests (safe for replicas) are those COMMAND INFO flags ``readonly``."""
    assert _table.is_readonly(args) is expected


def test_subcommand_lookup() -> None:
    """Containers resolve to their sub-command entry in any case; unknown sub-commands fall back."""
    assert _table.command_info(("CONFIG", "GET", "x")).name == "config|get"  # type: ignore[union-attr]
    assert _table.command_info((b"client", b"no-evict", b"on")).name == "client|no-evict"  # type: ignore[union-attr]
    assert _table.command_info(("xinfo", "Stream", "s")).name == "xinfo|stream"  # type: ignore[union-attr]
    assert _table.command_info(("CONFIG", "NOPE")).name == "config"  # type: ignore[union-attr]
    assert _table.command_info(("CONFIG",)).name == "config"  # type: ignore[union-attr]


def test_table_shape() -> None:
    """The generated table merges Redis 7.0, Redis 8 and Valkey 8, entries of the documented shape."""
    assert set(SERVER_VERSIONS) == {"redis7", "redis8", "valkey8"}
    assert len(COMMANDS) > 300 and all(_table.servers_of(name) for name in COMMANDS)
    assert _table.servers_of("get") == ("redis8", "valkey8", "redis7")
    assert _table.servers_of("vadd") == ("redis8",) and _table.servers_of("hgetex") == ("redis8",)
    assert _table.servers_of("commandlog|get") == ("valkey8",) and _table.servers_of("script|show")
    assert _table.servers_of("nosuchcommand") == ()
    for name, (arity, flags, acl, specs) in COMMANDS.items():
        assert name == name.lower() and isinstance(arity, int)
        assert all(isinstance(f, str) for f in flags) and all(isinstance(a, str) for a in acl)
        for _spec_flags, begin, find in specs:
            assert begin[0] in ("index", "keyword", "unknown") and find[0] in ("range", "keynum", "unknown")
    info = _table.command_info(("SET", "k", "v"))
    assert info is not None and info.arity == -3 and "write" in info.flags and "string" in info.categories


def test_short_or_malformed_requests() -> None:
    """Too few arguments give only the keys present; a non-numeric key count raises ValueError."""
    assert _table.key_indexes(("EVAL", "return 1")) == []
    assert _table.key_indexes(("EVAL", "return 1", 2, "k")) == [3]
    with pytest.raises(ValueError):
        _table.key_indexes(("EVAL", "return 1", "two", "k"))


def test_table_is_what_the_committed_dumps_give() -> None:
    """_table_data.py is regenerated from scripts/command_dumps/ (no server needed to check)."""
    scripts = Path(__file__).resolve().parents[2] / "scripts"
    sys.path.insert(0, str(scripts))
    try:
        import gen_command_table
    finally:
        sys.path.remove(str(scripts))
    assert gen_command_table.OUT.read_text() == gen_command_table.render(gen_command_table.load_dumps())


@pytest.mark.parametrize("args,expected", [
    (("BLPOP", "a", "b", 2), 2.0),
    (("BRPOPLPUSH", "a", "b", "0.5"), 0.5),
    (("BLMOVE", "a", "b", "LEFT", "RIGHT", 3), 3.0),
    (("BLMPOP", 1.5, 2, "a", "b", "LEFT"), 1.5),
    (("BZMPOP", 4, 1, "z", "MIN"), 4.0),
    (("XREAD", "COUNT", 1, "BLOCK", 2500, "STREAMS", "s", "$"), 2.5),
    ((b"xreadgroup", b"GROUP", b"g", b"c", b"block", b"100", b"STREAMS", b"s", b">"), 0.1),
    (("WAIT", 1, 300), 0.3),
    (("WAITAOF", 1, 0, 2000), 2.0),
    (("BLPOP", "a", 0), None),
    (("XREAD", "BLOCK", 0, "STREAMS", "s", "$"), None),
    (("BLPOP", "a", "soon"), None),
    (("GET", "k"), None),
], ids=_id)
def test_blocking_seconds(args, expected) -> None:
    """How long the server may block a request before answering by itself (None: forever, or
    not said): what bounds a blocking command together with replyTimeout."""
    assert _table.blocking_seconds(args) == expected

