"""Lua scripting and Redis 7 functions: EVAL/EVALSHA with a sha cache, SCRIPT *, FUNCTION *, FCALL.

The sha cache: txredisapi kept one set of known script hashes per *connection*. A handler here
runs each command on whichever pooled connection is least loaded, so the set lives on the
*handler* (``_script_shas``). That is safe because the script cache is server-wide, and because a
stale entry (SCRIPT FLUSH from elsewhere, a restarted server) costs one NOSCRIPT reply: ``eval``
then sends EVAL, which cannot have run the script twice since EVALSHA did not run it at all.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any, Iterable, Optional, Union

from ..errors import NoScriptRunning, ResponseError, ScriptDoesNotExist
from ._base import RAW, CommandsBase
from ._replies import label, labelled_dict, map_error

__all__ = ["Script", "ScriptingCommands"]


def _sha(script: Union[str, bytes]) -> str:
    body = script.encode() if isinstance(script, str) else script
    return hashlib.sha1(body).hexdigest()


def _is_noscript(exc: BaseException) -> bool:
    return isinstance(exc, ResponseError) and str(exc).startswith("NOSCRIPT")


def _on_success(fut: Any, fn: Any) -> asyncio.Future:
    fut = asyncio.ensure_future(fut)
    fut.add_done_callback(lambda f: fn() if not f.cancelled() and f.exception() is None else None)
    return fut


def _script_exists_reply(reply: Any) -> Any:
    out = [bool(x) for x in reply]
    return out[0] if len(out) == 1 else out


def _function_list_reply(reply: Any) -> Any:
    def functions(v: Any) -> Any:
        return [labelled_dict(f) for f in v or ()]

    return [labelled_dict(lib, {"functions": functions}) for lib in reply or ()]


def _function_stats_reply(reply: Any) -> Any:
    def engines(v: Any) -> Any:
        return {label(v[i]): labelled_dict(v[i + 1]) for i in range(0, len(v), 2)}

    def running(v: Any) -> Any:
        return None if v is None else labelled_dict(v)

    return labelled_dict(reply, {"engines": engines, "running_script": running})


class Script:
    """A Lua script bound to a handler: ``await script(keys=[...], args=[...])``.

    Calls run EVALSHA and, on NOSCRIPT, EVAL (which also loads the script). ``__call__`` is an
    ``async def`` because it may need two round trips; use ``client=`` to run it elsewhere.
    """

    def __init__(self, client: ScriptingCommands, script: Union[str, bytes]) -> None:
        self.client = client
        self.script = script
        self.sha = _sha(script)

    async def __call__(
        self, keys: Iterable[Any] = (), args: Iterable[Any] = (), client: Optional[ScriptingCommands] = None
    ) -> Any:
        """Run the script; load it first if the server does not know it."""
        c = client if client is not None else self.client
        keys, args = tuple(keys), tuple(args)
        try:
            return await c.evalsha(self.sha, keys, args)
        except ScriptDoesNotExist:
            pass
        return await c.eval(self.script, keys, args)

    def __repr__(self) -> str:
        return f"<Script sha={self.sha}>"


class ScriptingCommands(CommandsBase):
    """EVAL/EVALSHA (with the handler's sha cache), SCRIPT *, FUNCTION *, FCALL."""

    #: False makes ``eval`` always send EVAL. Transaction and pipeline objects get their own,
    #: initially empty sha set, so they send EVAL anyway (a NOSCRIPT would only show at EXEC).
    _eval_uses_sha_cache = True

    def _script_shas(self) -> set[str]:
        shas = self.__dict__.get("_known_script_shas")
        if shas is None:
            shas = self.__dict__["_known_script_shas"] = set()
        return shas

    def _send_eval(self, command: str, script: bytes, sha: str, keys: tuple, args: tuple) -> Any:
        shas = self._script_shas()
        return _on_success(self._execute(command, script, len(keys), *keys, *args), lambda: shas.add(sha))

    async def _eval_via_sha(self, first: Any, script: bytes, sha: str, keys: tuple, args: tuple) -> Any:
        try:
            return await first
        except ScriptDoesNotExist:
            self._script_shas().discard(sha)
        return await self._send_eval("EVAL", script, sha, keys, args)

    def eval(self, script: Union[str, bytes], keys: Iterable[Any] = [], args: Iterable[Any] = []) -> Any:  # noqa: B006
        """Run a Lua script; EVALSHA first when this handler has run it before. https://redis.io/commands/eval

        A known sha is sent as EVALSHA; on NOSCRIPT the script is sent again with EVAL (the
        result then arrives after one more round trip).
        """
        body = script.encode() if isinstance(script, str) else script
        sha = hashlib.sha1(body).hexdigest()
        keys, args = tuple(keys), tuple(args)
        if self._eval_uses_sha_cache and sha in self._script_shas():
            first = self._execute("EVALSHA", sha, len(keys), *keys, *args)
            return asyncio.ensure_future(self._eval_via_sha(first, body, sha, keys, args))
        return self._send_eval("EVAL", body, sha, keys, args)

    def _evalsha(self, command: str, sha1_hash: str, keys: Iterable[Any], args: Iterable[Any]) -> Any:
        keys, args = tuple(keys), tuple(args)
        shas = self._script_shas()

        def noscript(exc: BaseException) -> Optional[BaseException]:
            if _is_noscript(exc):
                shas.discard(sha1_hash)
                return ScriptDoesNotExist(f"No script matching hash: {sha1_hash} found")
            return None

        fut = map_error(self._execute(command, sha1_hash, len(keys), *keys, *args), noscript)
        return _on_success(fut, lambda: shas.add(sha1_hash))

    def evalsha(self, sha1_hash: str, keys: Iterable[Any] = [], args: Iterable[Any] = []) -> Any:  # noqa: B006
        """Run a cached script by sha1. https://redis.io/commands/evalsha

        NOSCRIPT raises ``ScriptDoesNotExist("No script matching hash: <sha> found")``.
        """
        return self._evalsha("EVALSHA", sha1_hash, keys, args)

    def eval_ro(self, script: Union[str, bytes], keys: Iterable[Any] = (), args: Iterable[Any] = ()) -> Any:
        """Run a read-only Lua script (no sha cache). https://redis.io/commands/eval_ro"""
        keys, args = tuple(keys), tuple(args)
        return self._execute("EVAL_RO", script, len(keys), *keys, *args)

    def evalsha_ro(self, sha1_hash: str, keys: Iterable[Any] = (), args: Iterable[Any] = ()) -> Any:
        """Run a cached read-only script by sha1; NOSCRIPT → ``ScriptDoesNotExist``. https://redis.io/commands/evalsha_ro"""
        return self._evalsha("EVALSHA_RO", sha1_hash, keys, args)

    def script_exists(self, *hashes: str) -> Any:
        """Whether scripts are cached: a bool for one hash, a list of bools otherwise. https://redis.io/commands/script-exists"""
        return self._execute("SCRIPT", "EXISTS", *hashes, convert=_script_exists_reply)

    def script_flush(self, mode: Optional[str] = None) -> Any:
        """Empty the server's script cache (``mode``: ``"ASYNC"``/``"SYNC"``) and this handler's.
        https://redis.io/commands/script-flush"""
        self._script_shas().clear()
        return self._execute("SCRIPT", "FLUSH", *(() if mode is None else (mode,)))

    def script_kill(self) -> Any:
        """Kill the running script; NOTBUSY raises ``NoScriptRunning("No script running")``.
        https://redis.io/commands/script-kill"""

        def notbusy(exc: BaseException) -> Optional[BaseException]:
            if isinstance(exc, ResponseError) and str(exc).startswith("NOTBUSY"):
                return NoScriptRunning("No script running")
            return None

        return map_error(self._execute("SCRIPT", "KILL"), notbusy)

    def script_load(self, script: Union[str, bytes]) -> Any:
        """Load a script into the server's cache without running it; returns its sha1.
        https://redis.io/commands/script-load"""
        sha = _sha(script)
        shas = self._script_shas()
        return _on_success(self._execute("SCRIPT", "LOAD", script), lambda: shas.add(sha))

    def script_show(self, sha1: str) -> Any:
        """The source of a cached script; NOSCRIPT raises ``ScriptDoesNotExist``.
        https://valkey.io/commands/script-show/

        Decoded with the handler's ``charset`` (bytes when it is None). Valkey 8.0+.
        """
        self._require("SCRIPT SHOW")
        return self._execute("SCRIPT", "SHOW", sha1)

    def register_script(self, script: Union[str, bytes]) -> Script:
        """A ``Script`` bound to this handler: ``await s(keys=[...], args=[...])``.

        Calls use EVALSHA and fall back to EVAL (which loads the script) on NOSCRIPT.
        """
        return Script(self, script)

    # -- Redis 7 functions ------------------------------------------------------------------------

    def function_load(self, code: Union[str, bytes], replace: bool = False) -> Any:
        """Create a function library from ``code`` (``#!lua name=...``); returns the library name.
        https://redis.io/commands/function-load"""
        return self._execute("FUNCTION", "LOAD", *(("REPLACE",) if replace else ()), code)

    def function_delete(self, library_name: Any) -> Any:
        """Delete a library and its functions. https://redis.io/commands/function-delete"""
        return self._execute("FUNCTION", "DELETE", library_name)

    def function_flush(self, mode: Optional[str] = None) -> Any:
        """Delete every library (``mode``: ``"ASYNC"``/``"SYNC"``). https://redis.io/commands/function-flush"""
        return self._execute("FUNCTION", "FLUSH", *(() if mode is None else (mode,)))

    def function_list(self, library_name_pattern: Optional[str] = None, withcode: bool = False) -> Any:
        """Libraries and their functions, as a list of dicts. https://redis.io/commands/function-list

        Each dict has ``library_name``, ``engine``, ``functions`` (dicts with ``name``,
        ``description``, ``flags``) and, with ``withcode``, ``library_code``.
        """
        args: list = ["FUNCTION", "LIST"]
        if library_name_pattern is not None:
            args += ["LIBRARYNAME", library_name_pattern]
        if withcode:
            args.append("WITHCODE")
        return self._execute(*args, convert=_function_list_reply)

    def function_dump(self) -> Any:
        """A serialized payload of every library (raw bytes, never decoded). https://redis.io/commands/function-dump"""
        return self._execute("FUNCTION", "DUMP", convert=RAW)

    def function_restore(self, payload: bytes, policy: Optional[str] = None) -> Any:
        """Restore libraries from ``function_dump`` output (``policy``: APPEND/FLUSH/REPLACE).
        https://redis.io/commands/function-restore"""
        return self._execute("FUNCTION", "RESTORE", payload, *(() if policy is None else (policy,)))

    def function_stats(self) -> Any:
        """The running function (or None) and per-engine counts, as a dict. https://redis.io/commands/function-stats"""
        return self._execute("FUNCTION", "STATS", convert=_function_stats_reply)

    def function_kill(self) -> Any:
        """Kill the running read-only function (NOTBUSY → ``NoScriptRunning``).
        https://redis.io/commands/function-kill"""
        return self._execute("FUNCTION", "KILL")

    def fcall(self, function: Any, keys: Iterable[Any] = (), args: Iterable[Any] = ()) -> Any:
        """Call a function. https://redis.io/commands/fcall"""
        keys, args = tuple(keys), tuple(args)
        return self._execute("FCALL", function, len(keys), *keys, *args)

    def fcall_ro(self, function: Any, keys: Iterable[Any] = (), args: Iterable[Any] = ()) -> Any:
        """Call a read-only function. https://redis.io/commands/fcall_ro"""
        keys, args = tuple(keys), tuple(args)
        return self._execute("FCALL_RO", function, len(keys), *keys, *args)
