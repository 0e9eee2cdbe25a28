"""EVAL/EVALSHA and SCRIPT LOAD/KILL for the cores that answer with Deferreds.

The core's scripting commands chain their replies through asyncio helpers (``ensure_future``,
a Future per call), which need a running asyncio loop. The cores of the Twisted-native protocols
and of factory handlers answer with Deferreds on any reactor, so here the same steps (the sha
cache, EVALSHA then EVAL on NOSCRIPT, txredisapi's error texts) are chained as callbacks.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Iterable, Union

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from txredis_aio.errors import NoScriptRunning, ScriptDoesNotExist

__all__ = ["DeferredScripting"]


def _sha(script: Union[str, bytes]) -> str:
    return hashlib.sha1(script.encode() if isinstance(script, str) else script).hexdigest()


class DeferredScripting:
    """Mixin placed before the core's ``Commands``: ``_execute`` must return a Deferred."""

    __slots__ = ()

    if TYPE_CHECKING:  # provided by the core class this is mixed into
        def _execute(self, *args: Any, convert: Any = None) -> Any: ...

        def _script_shas(self) -> set[str]: ...

    def _remember(self, d: Deferred, sha: str) -> Deferred:
        shas = self._script_shas()

        def ok(result: Any) -> Any:
            shas.add(sha)
            return result

        return d.addCallback(ok)

    def eval(self, script: Union[str, bytes], keys: Iterable[Any] = (),
             args: Iterable[Any] = ()) -> Deferred:
        """EVAL; EVALSHA first when this connection ran the script before (EVAL on NOSCRIPT)."""
        body = script.encode() if isinstance(script, str) else script
        sha = _sha(body)
        keys, args = tuple(keys), tuple(args)
        shas = self._script_shas()
        if sha not in shas:
            return self._remember(self._execute("EVAL", body, len(keys), *keys, *args), sha)

        def noscript(f: Failure) -> Any:
            f.trap(ScriptDoesNotExist)
            shas.discard(sha)
            return self._remember(self._execute("EVAL", body, len(keys), *keys, *args), sha)

        d: Deferred = self._execute("EVALSHA", sha, len(keys), *keys, *args)
        return d.addErrback(noscript)

    def _evalsha(self, command: str, sha1_hash: str, keys: Iterable[Any],
                 args: Iterable[Any]) -> Deferred:
        keys, args = tuple(keys), tuple(args)
        shas = self._script_shas()

        def noscript(f: Failure) -> Any:
            f.trap(ScriptDoesNotExist)
            shas.discard(sha1_hash)
            raise ScriptDoesNotExist(f"No script matching hash: {sha1_hash} found")

        d: Deferred = self._execute(command, sha1_hash, len(keys), *keys, *args)
        return self._remember(d.addErrback(noscript), sha1_hash)

    def evalsha(self, sha1_hash: str, keys: Iterable[Any] = (), args: Iterable[Any] = ()) -> Deferred:
        """EVALSHA; NOSCRIPT fails with ``ScriptDoesNotExist("No script matching hash: ...")``."""
        return self._evalsha("EVALSHA", sha1_hash, keys, args)

    def evalsha_ro(self, sha1_hash: str, keys: Iterable[Any] = (), args: Iterable[Any] = ()) -> Deferred:
        """EVALSHA_RO; NOSCRIPT fails with ``ScriptDoesNotExist``."""
        return self._evalsha("EVALSHA_RO", sha1_hash, keys, args)

    def script_load(self, script: Union[str, bytes]) -> Deferred:
        """SCRIPT LOAD: fires with the sha1, which ``eval`` then sends as EVALSHA."""
        return self._remember(self._execute("SCRIPT", "LOAD", script), _sha(script))

    def script_kill(self) -> Deferred:
        """SCRIPT KILL; NOTBUSY fails with ``NoScriptRunning("No script running")``."""

        def notbusy(f: Failure) -> Any:
            f.trap(NoScriptRunning)
            raise NoScriptRunning("No script running")

        d: Deferred = self._execute("SCRIPT", "KILL")
        return d.addErrback(notbusy)
