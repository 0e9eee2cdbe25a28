"""Scripting and functions against a real server: EVAL's sha cache, SCRIPT *, Script, FUNCTION *, FCALL."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

import txredis_aio as redis
from tests.integration import _cmd_helpers
from tests.integration._cmd_helpers import VARIANT_IDS, VARIANTS, assert_unsupported, connect, is_valkey, s

own_server, r = _cmd_helpers.own_server, _cmd_helpers.r  # fixtures: a private server, a pool on it

ECHO = "return {KEYS[1], ARGV[1], 7}"
ECHO_SHA = hashlib.sha1(ECHO.encode()).hexdigest()
LIB = """#!lua name=mylib
redis.register_function('myset', function(keys, args) return redis.call('SET', keys[1], args[1]) end)
redis.register_function{function_name='myget', callback=function(keys, args)
  return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='read one'}
"""


async def commands_seen(r, name: str) -> int:
    """How many times the server ran ``name`` (INFO commandstats)."""
    info = await r.info("commandstats")
    entry = info.get(f"cmdstat_{name}")
    return 0 if entry is None else int(entry.split(",")[0].split("=")[1])


async def test_eval_caches_sha_and_uses_evalsha(r) -> None:
    """The first eval sends EVAL; later ones EVALSHA (the handler remembers the sha)."""
    await r.execute_command("CONFIG", "RESETSTAT")
    assert await r.eval(ECHO, ["k"], ["v"]) == ["k", "v", 7]
    assert await commands_seen(r, "eval") == 1 and await commands_seen(r, "evalsha") == 0
    assert await r.eval(ECHO, ["k2"], [5]) == ["k2", 5, 7]
    assert await commands_seen(r, "eval") == 1 and await commands_seen(r, "evalsha") == 1
    assert await r.script_exists(ECHO_SHA) is True


async def test_eval_falls_back_to_eval_after_a_server_side_flush(r) -> None:
    """A cached sha the server forgot (SCRIPT FLUSH sent raw) costs one NOSCRIPT, then EVAL runs it once."""
    await r.execute_command("CONFIG", "RESETSTAT")
    await r.set("n", 0)
    incr = "return redis.call('INCR', KEYS[1])"
    assert await r.eval(incr, ["n"]) == 1
    await r.execute_command("SCRIPT", "FLUSH")
    assert await r.eval(incr, ["n"]) == 2
    assert await r.get("n") == 2
    assert await commands_seen(r, "eval") == 2


async def test_evalsha_noscript_and_success(r) -> None:
    """evalsha of an unknown sha raises ScriptDoesNotExist with txredisapi's message; a loaded one runs."""
    with pytest.raises(redis.ScriptDoesNotExist, match=f"No script matching hash: {ECHO_SHA} found"):
        await r.evalsha(ECHO_SHA, ["a"], ["b"])
    assert await r.script_load(ECHO) == ECHO_SHA
    assert await r.evalsha(ECHO_SHA, ["a"], ["b"]) == ["a", "b", 7]
    assert await r.ping() == "PONG"


async def test_script_exists_flush_and_kill(r) -> None:
    """script_exists: bool for one hash, else a list; flush empties; SCRIPT KILL idle → NoScriptRunning."""
    await r.script_load(ECHO)
    assert await r.script_exists(ECHO_SHA) is True
    assert await r.script_exists(ECHO_SHA, "0" * 40) == [True, False]
    assert await r.script_flush() == "OK"
    assert await r.script_exists(ECHO_SHA) is False
    assert await r.script_flush("ASYNC") == "OK"
    with pytest.raises(redis.NoScriptRunning, match="^No script running$"):
        await r.script_kill()


async def test_script_kill_stops_a_busy_script(own_server) -> None:
    """SCRIPT KILL from a second connection stops a long read-only script; its caller gets the error."""
    async with connect(own_server) as busy, connect(own_server) as killer:
        await killer.execute_command("CONFIG", "SET", "busy-reply-threshold", 50)
        loop = "local i = 0 while true do i = i + 1 end"
        running = busy.eval(loop)
        async def killed() -> None:
            while True:
                try:
                    assert await killer.script_kill() == "OK"
                    return
                except redis.NoScriptRunning:
                    await asyncio.sleep(0.02)
        await asyncio.wait_for(killed(), 10)
        with pytest.raises(redis.ResponseError, match="killed"):
            await running
        assert await busy.ping() == "PONG"


async def test_eval_ro_and_evalsha_ro(r) -> None:
    """EVAL_RO runs read-only scripts and refuses writes; EVALSHA_RO maps NOSCRIPT like evalsha."""
    await r.set("x", "1")
    assert await r.eval_ro("return redis.call('GET', KEYS[1])", ["x"]) == 1
    with pytest.raises(redis.ResponseError, match="Write commands are not allowed"):
        await r.eval_ro("return redis.call('SET', KEYS[1], 2)", ["x"])
    sha = await r.script_load("return ARGV[1]")
    assert await r.evalsha_ro(sha, [], ["hi"]) == "hi"
    with pytest.raises(redis.ScriptDoesNotExist):
        await r.evalsha_ro("f" * 40)


async def test_registered_script_loads_itself(r) -> None:
    """A Script runs via EVALSHA and loads itself on NOSCRIPT, also after a flush."""
    script = r.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    assert isinstance(script, redis.Script) and script.sha in repr(script)
    assert await script(keys=["c"], args=[2]) == 2
    assert await r.script_exists(script.sha) is True
    await r.script_flush()
    assert await script(keys=["c"], args=[3]) == 5
    assert await script(["c"], [1]) == 6
    assert await r.get("c") == 6


@pytest.mark.parametrize("convert,charset", VARIANTS, ids=VARIANT_IDS)
async def test_lua_results_follow_conversion_settings(own_server, convert, charset) -> None:
    """Lua bulk results go through number/charset conversion; Lua integers stay ints."""
    async with connect(own_server, convert, charset) as c:
        got = await c.eval("return {ARGV[1], ARGV[2], 3}", [], ["12", "x"])
        assert got == [12 if convert else s("12", charset), s("x", charset), 3]


async def test_functions_load_list_call_delete(r) -> None:
    """FUNCTION LOAD/LIST/STATS/DUMP/RESTORE/DELETE/FLUSH and FCALL/FCALL_RO with dict-shaped listings."""
    assert await r.function_load(LIB) == "mylib"
    with pytest.raises(redis.ResponseError, match="already exists"):
        await r.function_load(LIB)
    assert await r.function_load(LIB, replace=True) == "mylib"
    assert await r.fcall("myset", ["fk"], ["fv"]) == "OK"
    assert await r.fcall_ro("myget", ["fk"]) == "fv"
    with pytest.raises(redis.ResponseError):
        await r.fcall_ro("myset", ["fk"], ["x"])
    libs = await r.function_list()
    assert len(libs) == 1 and libs[0]["library_name"] == "mylib" and libs[0]["engine"] == "LUA"
    funcs = {f["name"]: f for f in libs[0]["functions"]}
    assert funcs["myget"]["flags"] == ["no-writes"] and funcs["myget"]["description"] == "read one"
    assert funcs["myset"]["description"] is None
    with_code = await r.function_list("my*", withcode=True)
    assert with_code[0]["library_code"].startswith("#!lua name=mylib")
    assert await r.function_list("nomatch*") == []
    stats = await r.function_stats()
    assert stats["running_script"] is None
    assert stats["engines"]["LUA"] == {"libraries_count": 1, "functions_count": 2}
    dump = await r.function_dump()
    assert isinstance(dump, bytes)
    assert await r.function_flush() == "OK" and await r.function_list() == []
    assert await r.function_restore(dump) == "OK"
    assert await r.function_restore(dump, "REPLACE") == "OK"
    assert await r.function_delete("mylib") == "OK"
    with pytest.raises(redis.ResponseError, match="not found"):
        await r.function_delete("mylib")
    with pytest.raises(redis.NoScriptRunning):
        await r.function_kill()
    assert await r.function_flush("SYNC") == "OK"


async def test_function_list_shape_with_bytes_replies(own_server) -> None:
    """With charset=None the labels are still str; names and code stay bytes."""
    async with connect(own_server, charset=None) as c:
        await c.function_load(LIB, replace=True)
        libs = await c.function_list(withcode=True)
        assert libs[0]["library_name"] == b"mylib" and libs[0]["library_code"].startswith(b"#!lua")
        assert {f["name"] for f in libs[0]["functions"]} == {b"myset", b"myget"}
        await c.function_flush()


async def test_script_error_keeps_connection_usable(r) -> None:
    """A failing script raises ResponseError with the server's text; the connection still answers."""
    with pytest.raises(redis.ResponseError, match="ERR"):
        await r.eval("return redis.call('NOPE')")
    with pytest.raises(redis.ResponseError):
        await r.eval("this is not lua")
    assert await r.ping() == "PONG"


async def test_script_show(r, own_server) -> None:
    """SCRIPT SHOW (Valkey 8.0+): a cached script's source (str, or bytes with charset=None);
    NOSCRIPT raises ScriptDoesNotExist. Elsewhere: UnsupportedCommandError naming the server,
    nothing sent."""
    sha = await r.script_load(ECHO)
    if not is_valkey(r, (8, 0)):
        await assert_unsupported(r, lambda: r.script_show(sha))
        return
    assert await r.script_show(sha) == ECHO
    async with connect(own_server, charset=None) as c:
        assert await c.script_show(sha) == ECHO.encode()
    with pytest.raises(redis.ScriptDoesNotExist):
        await r.script_show("0" * 40)
    assert await r.ping() == "PONG"
