"""String commands against a real server: txredisapi's shapes and the Redis 7 additions."""

from __future__ import annotations

import time

import pytest

import txredis_aio as redis
from tests.integration._cmd_helpers import assert_unsupported, is_valkey
from tests.integration.cmd_clients import Recorder, k, noconv_client, raw_client, rawstr_client  # noqa: F401


async def test_set_get_and_options(rc) -> None:
    """SET's txredisapi options and its keyword-only Redis 7 ones (KEEPTTL, GET, EXAT, PXAT)."""
    a = k("s")
    assert await rc.set(a, "v1", expire=100) == "OK"
    assert 0 < await rc.ttl(a) <= 100
    assert await rc.set(a, "v2", keepttl=True) == "OK"
    assert 0 < await rc.ttl(a) <= 100 and await rc.get(a) == "v2"
    assert await rc.set(a, "v3", get=True) == "v2"
    assert await rc.ttl(a) == -1
    assert await rc.set(a, "v4", only_if_exists=True, get=True) == "v3"
    assert await rc.set(k("none"), "x", only_if_exists=True) is None
    at = int(time.time()) + 1000
    assert await rc.set(a, "v5", exat=at) == "OK"
    assert 990 < await rc.ttl(a) <= 1000
    assert await rc.set(a, "v6", pxat=at * 1000, get=True) == "v5"
    assert 990_000 < await rc.execute_command("PTTL", a) <= 1_000_000
    assert await rc.set(a, "v7", pexpire=5000) == "OK"
    assert 0 < await rc.execute_command("PTTL", a) <= 5000


async def test_set_both_conditions_is_sync_error(rc) -> None:
    """NX and XX together raise RedisError before anything is sent (as txredisapi)."""
    a = k("both")
    with pytest.raises(redis.RedisError, match="cannot be true simultaneously"):
        rc.set(a, 1, only_if_not_exists=True, only_if_exists=True)
    assert await rc.exists(a) == 0


async def test_number_conversion_shapes(rc, noconv, raw, rawstr) -> None:
    """Replies follow convertNumbers/charset: int, str, bytes; floats stay floats."""
    a = k("n")
    await rc.set(a, 12)
    assert await rc.get(a) == 12
    assert await noconv.get(a) == "12"
    assert await raw.get(a) == 12
    assert await rawstr.get(a) == b"12"
    await rc.set(a, 1.5)
    assert await rc.get(a) == 1.5 and await noconv.get(a) == "1.5"
    await rc.set(a, "é")
    assert await rc.get(a) == "é" and await raw.get(a) == "é".encode()


async def test_incr_decr_family(rc, noconv) -> None:
    """INCR/DECR go out as INCRBY/DECRBY; INCRBYFLOAT always yields a float."""
    a = k("c")
    assert await rc.incr(a) == 1
    assert await rc.incr(a, 10) == 11
    assert await rc.incrby(a, 4) == 15
    assert await rc.decr(a) == 14
    assert await rc.decr(a, 4) == 10
    assert await rc.decrby(a, 5) == 5
    f = await rc.incrbyfloat(a, 1.5)
    assert f == 6.5 and isinstance(f, float)
    f = await noconv.incrbyfloat(a, 0.5)
    assert f == 7.0 and isinstance(f, float)
    f = await rc.incrbyfloat(a, 1)
    assert f == 8.0 and isinstance(f, float)
    await rc.set(a, "text")
    with pytest.raises(redis.ResponseError, match="^ERR value is not an integer"):
        await rc.incr(a)
    assert await rc.get(a) == "text"


async def test_getset_getdel_getex(rc) -> None:
    """GETSET returns the old value, GETDEL deletes, GETEX sets or clears the TTL."""
    a = k("g")
    assert await rc.getset(a, "one") is None
    assert await rc.getset(a, "two") == "one"
    assert await rc.getex(a, expire=100) == "two"
    assert 0 < await rc.ttl(a) <= 100
    assert await rc.getex(a, persist=True) == "two" and await rc.ttl(a) == -1
    assert await rc.getex(a, pexpire=50_000) == "two" and 0 < await rc.ttl(a) <= 50
    at = int(time.time()) + 500
    assert await rc.getex(a, exat=at) == "two" and 490 < await rc.ttl(a) <= 500
    assert await rc.getex(a, pxat=at * 1000) == "two"
    assert await rc.getex(a) == "two"
    with pytest.raises(redis.RedisError, match="at most one"):
        rc.getex(a, expire=1, persist=True)
    assert await rc.getdel(a) == "two"
    assert await rc.getdel(a) is None and await rc.exists(a) == 0


async def test_multi_key_set_get(rc) -> None:
    """MSET/MSETNX take a dict; MGET takes an iterable (or deprecated *args)."""
    a, b, c = k("a"), k("b"), k("c")
    assert await rc.mset({a: 1, b: "x"}) == "OK"
    assert await rc.mget([a, b, c]) == [1, "x", None]
    assert await rc.mget(a) == [1]
    with pytest.warns(DeprecationWarning):
        assert await rc.mget(a, b) == [1, "x"]
    assert await rc.msetnx({a: 2, c: 3}) == 0
    assert await rc.msetnx({c: 3, k("d"): 4}) == 1
    assert await rc.get(c) == 3


async def test_setnx_setex_psetex(rc) -> None:
    """SETNX returns 1/0; SETEX takes (key, time, value); PSETEX milliseconds."""
    a, b = k("nx"), k("ex")
    assert await rc.setnx(a, "v") == 1 and await rc.setnx(a, "w") == 0
    assert await rc.get(a) == "v"
    assert await rc.setex(b, 100, "v") == "OK" and 0 < await rc.ttl(b) <= 100
    assert await rc.psetex(b, 20_000, "w") == "OK" and 0 < await rc.ttl(b) <= 20
    assert await rc.get(b) == "w"


async def test_ranges_and_lengths(rc) -> None:
    """APPEND, SUBSTR, GETRANGE, SETRANGE and STRLEN on the same value."""
    a = k("r")
    assert await rc.append(a, "Hello") == 5
    assert await rc.append(a, " World") == 11
    assert await rc.strlen(a) == 11
    assert await rc.substr(a, 0, 4) == "Hello"
    assert await rc.substr(a, 6) == "World"
    assert await rc.getrange(a, -5, -1) == "World"
    assert await rc.setrange(a, 6, "Redis") == 11
    assert await rc.get(a) == "Hello Redis"
    assert await rc.strlen(k("missing")) == 0


async def test_lcs(rc, raw) -> None:
    """LCS: the substring, its length, or the IDX matches as a dict with str names."""
    a, b = k("l1"), k("l2")
    await rc.mset({a: "ohmytext", b: "mynewtext"})
    assert await rc.lcs(a, b) == "mytext"
    assert await rc.lcs(a, b, len=True) == 6
    m = await rc.lcs(a, b, idx=True, minmatchlen=4, withmatchlen=True)
    assert m == {"matches": [[[4, 7], [5, 8], 4]], "len": 6}
    m = await raw.lcs(a, b, idx=True)
    assert m == {"matches": [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], "len": 6}


async def test_wrong_type_keeps_connection(rc) -> None:
    """A string command on a list raises WrongTypeError with the server text; next command works."""
    a = k("lst")
    await rc.execute_command("RPUSH", a, "x")
    with pytest.raises(redis.WrongTypeError, match="^WRONGTYPE Operation against a key"):
        await rc.append(a, "y")
    with pytest.raises(redis.ResponseError):
        await rc.getrange(a, 0, 1)
    assert await rc.ping() == "PONG"


async def test_set_ifeq(rc) -> None:
    """SET ... IFEQ (Valkey 8.1+): sets only when the current value matches ("OK", else None; a
    missing key stays missing), works with GET and expiry, refuses NX/XX before sending. Elsewhere:
    UnsupportedCommandError naming the server, nothing sent; plain SET is unaffected."""
    a = k("ifeq")
    assert await rc.set(a, "v1") == "OK"
    if not is_valkey(rc, (8, 1)):
        await assert_unsupported(rc, lambda: rc.set(a, "v2", ifeq="v1"))
        assert await rc.get(a) == "v1"
        return
    assert await rc.set(a, "v2", ifeq="nope") is None and await rc.get(a) == "v1"
    assert await rc.set(a, "v2", ifeq="v1") == "OK" and await rc.get(a) == "v2"
    assert await rc.set(a, "v3", expire=100, ifeq="v2", get=True) == "v2"
    assert await rc.get(a) == "v3" and 0 < await rc.ttl(a) <= 100
    missing = k("ifeq-missing")
    assert await rc.set(missing, "x", ifeq="x") is None and await rc.exists(missing) == 0
    with pytest.raises(redis.RedisError, match="ifeq cannot be combined"):
        rc.set(a, "v4", only_if_exists=True, ifeq="v3")
    assert await rc.get(a) == "v3"


def test_wire_forms() -> None:
    """incr/decr go out as INCRBY/DECRBY (txredisapi); SET options keep txredisapi's order."""
    r = Recorder()
    assert r.last(r.incr("k")) == ("INCRBY", "k", 1)
    assert r.last(r.decr("k", 3)) == ("DECRBY", "k", 3)
    assert r.last(r.set("k", "v", 10, only_if_not_exists=True)) == ("SET", "k", "v", "EX", 10, "NX")
    assert r.last(r.substr("k", 1)) == ("SUBSTR", "k", 1, -1)
    assert r.last(r.set("k", "v", 10, ifeq="old", get=True)) == (
        "SET", "k", "v", "EX", 10, "IFEQ", "old", "GET")
