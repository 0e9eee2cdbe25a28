"""Introspection and administration: ACL, COMMAND, MEMORY, SLOWLOG, COMMANDLOG, LATENCY, DEBUG.

Dict replies use the server's labels as str keys whatever ``charset`` is; values follow the
handler's conversion settings.
"""

from __future__ import annotations

from typing import Any, Optional

from ._base import CommandsBase, Raw
from ._replies import label, labelled_dict, text

__all__ = ["AdminCommands"]


def _acl_getuser(raw: Any) -> Any:
    if raw is None:
        return None
    return labelled_dict(raw, {"selectors": lambda v: [labelled_dict(s) for s in v or ()]})


def _acl_log(raw: Any) -> list:
    return [labelled_dict(e) for e in raw or ()]


def _doc(raw: Any) -> dict:
    return labelled_dict(raw, {
        "arguments": lambda v: [_doc(a) for a in v or ()],
        "subcommands": _docs,
        "history": lambda v: [tuple(h) for h in v or ()],
    })


def _docs(raw: Any) -> dict:
    return {label(raw[i]): _doc(raw[i + 1]) for i in range(0, len(raw or ()), 2)}


def _keys_and_flags(raw: Any) -> list:
    return [(k, list(flags)) for k, flags in raw or ()]


def _slowlog(raw: Any) -> list:
    out = []
    for e in raw or ():
        entry = {"id": e[0], "start_time": e[1], "duration": e[2], "command": list(e[3])}
        if len(e) > 5:
            entry["client_address"], entry["client_name"] = e[4], e[5]
        out.append(entry)
    return out


def _latency_latest(raw: Any) -> list:
    return [tuple(e) for e in raw or ()]


def _latency_histogram(raw: Any) -> dict:
    def hist(v: Any) -> dict:
        return {v[i]: v[i + 1] for i in range(0, len(v or ()), 2)}

    out = {}
    for i in range(0, len(raw or ()), 2):
        out[label(raw[i])] = labelled_dict(raw[i + 1], {"histogram_usec": hist})
    return out


def _memory_stats(raw: Any) -> dict:
    out = labelled_dict(raw)
    for k, v in out.items():
        if isinstance(v, list):
            out[k] = labelled_dict(v)
    return out


def _debug_object(raw: Any) -> dict:
    out: dict = {}
    for field in text(raw).split(" "):
        if ":" in field:
            k, v = field.split(":", 1)
            out[k] = v
    return out


class AdminCommands(CommandsBase):
    """ACL *, COMMAND *, MEMORY *, SLOWLOG *, COMMANDLOG *, LATENCY *, DEBUG."""

    # -- ACL -----------------------------------------------------------------------------------------

    def acl_whoami(self) -> Any:
        """The user the connection that runs it is authenticated as. https://redis.io/commands/acl-whoami"""
        return self._execute("ACL", "WHOAMI")

    def acl_users(self) -> Any:
        """The names of every ACL user. https://redis.io/commands/acl-users"""
        return self._execute("ACL", "USERS")

    def acl_list(self) -> Any:
        """Every ACL user's rules, one str per user. https://redis.io/commands/acl-list"""
        return self._execute("ACL", "LIST")

    def acl_setuser(self, username: Any, *rules: Any) -> Any:
        """Create or modify a user with ACL ``rules`` (``"on"``, ``">pw"``, ``"~keys*"``, ``"+@read"``...).
        https://redis.io/commands/acl-setuser"""
        return self._execute("ACL", "SETUSER", username, *rules)

    def acl_deluser(self, *usernames: Any) -> Any:
        """Delete users; returns how many existed. https://redis.io/commands/acl-deluser"""
        return self._execute("ACL", "DELUSER", *usernames)

    def acl_getuser(self, username: Any) -> Any:
        """A user's rules as a dict (``flags``, ``passwords``, ``commands``, ``keys``...), None if unknown.
        https://redis.io/commands/acl-getuser"""
        return self._execute("ACL", "GETUSER", username, convert=_acl_getuser)

    def acl_cat(self, category: Optional[str] = None) -> Any:
        """ACL categories, or the commands in one. https://redis.io/commands/acl-cat"""
        return self._execute("ACL", "CAT", *(() if category is None else (category,)))

    def acl_log(self, count: Optional[int] = None) -> Any:
        """Recent ACL denials, newest first, as a list of dicts. https://redis.io/commands/acl-log"""
        return self._execute("ACL", "LOG", *(() if count is None else (count,)), convert=_acl_log)

    def acl_log_reset(self) -> Any:
        """Clear the ACL log. https://redis.io/commands/acl-log"""
        return self._execute("ACL", "LOG", "RESET")

    def acl_genpass(self, bits: Optional[int] = None) -> Any:
        """A random password (hex; 256 bits unless ``bits``). https://redis.io/commands/acl-genpass"""
        return self._execute("ACL", "GENPASS", *(() if bits is None else (bits,)), convert=Raw(text))

    def acl_dryrun(self, username: Any, command: Any, *args: Any) -> Any:
        """Whether ``username`` may run a command: ``"OK"`` or the reason it may not. https://redis.io/commands/acl-dryrun"""
        return self._execute("ACL", "DRYRUN", username, command, *args)

    def acl_load(self) -> Any:
        """Reload users from the ACL file. https://redis.io/commands/acl-load"""
        return self._execute("ACL", "LOAD")

    def acl_save(self) -> Any:
        """Save users to the ACL file. https://redis.io/commands/acl-save"""
        return self._execute("ACL", "SAVE")

    # -- COMMAND -------------------------------------------------------------------------------------

    def command(self) -> Any:
        """Details of every command (COMMAND INFO of all), as the server's nested lists. https://redis.io/commands/command"""
        return self._execute("COMMAND")

    def command_count(self) -> Any:
        """How many commands the server has. https://redis.io/commands/command-count"""
        return self._execute("COMMAND", "COUNT")

    def command_info(self, *names: Any) -> Any:
        """Details of commands, as the server's nested lists (None for unknown names).
        https://redis.io/commands/command-info"""
        return self._execute("COMMAND", "INFO", *names)

    def command_docs(self, *names: Any) -> Any:
        """Documentation of commands (all when none given): ``{name: {"summary": ..., "group": ...}}``.
        https://redis.io/commands/command-docs

        ``arguments`` are lists of dicts, ``subcommands`` a dict like the result, ``history``
        a list of ``(version, change)`` tuples.
        """
        return self._execute("COMMAND", "DOCS", *names, convert=_docs)

    def command_list(
        self, module: Optional[str] = None, aclcat: Optional[str] = None, pattern: Optional[str] = None
    ) -> Any:
        """Command names, optionally filtered by module, ACL category or pattern (one filter).
        https://redis.io/commands/command-list"""
        args: list = ["COMMAND", "LIST"]
        for name, value in (("MODULE", module), ("ACLCAT", aclcat), ("PATTERN", pattern)):
            if value is not None:
                args += ["FILTERBY", name, value]
        return self._execute(*args)

    def command_getkeys(self, *args: Any) -> Any:
        """The key names in a full command (``command_getkeys("SET", "k", "v")``). https://redis.io/commands/command-getkeys"""
        return self._execute("COMMAND", "GETKEYS", *args)

    def command_getkeysandflags(self, *args: Any) -> Any:
        """``(key, [flags])`` for each key of a full command. https://redis.io/commands/command-getkeysandflags"""
        return self._execute("COMMAND", "GETKEYSANDFLAGS", *args, convert=_keys_and_flags)

    # -- MEMORY --------------------------------------------------------------------------------------

    def memory_usage(self, key: Any, samples: Optional[int] = None) -> Any:
        """Bytes a key and its value use (None if missing). https://redis.io/commands/memory-usage"""
        return self._execute("MEMORY", "USAGE", key, *(() if samples is None else ("SAMPLES", samples)))

    def memory_stats(self) -> Any:
        """Memory usage details as a dict (per-db entries as nested dicts). https://redis.io/commands/memory-stats"""
        return self._execute("MEMORY", "STATS", convert=_memory_stats)

    def memory_doctor(self) -> Any:
        """A human-readable memory report (str). https://redis.io/commands/memory-doctor"""
        return self._execute("MEMORY", "DOCTOR", convert=Raw(text))

    def memory_malloc_stats(self) -> Any:
        """The allocator's statistics (str). https://redis.io/commands/memory-malloc-stats"""
        return self._execute("MEMORY", "MALLOC-STATS", convert=Raw(text))

    def memory_purge(self) -> Any:
        """Ask the allocator to release memory. https://redis.io/commands/memory-purge"""
        return self._execute("MEMORY", "PURGE")

    # -- SLOWLOG / COMMANDLOG / LATENCY --------------------------------------------------------------

    def slowlog_get(self, count: Optional[int] = None) -> Any:
        """Slow log entries, newest first: dicts (``id``, ``start_time``, ``duration`` µs, ``command``...).
        https://redis.io/commands/slowlog-get"""
        return self._execute("SLOWLOG", "GET", *(() if count is None else (count,)), convert=_slowlog)

    def slowlog_len(self) -> Any:
        """Number of slow log entries. https://redis.io/commands/slowlog-len"""
        return self._execute("SLOWLOG", "LEN")

    def slowlog_reset(self) -> Any:
        """Clear the slow log. https://redis.io/commands/slowlog-reset"""
        return self._execute("SLOWLOG", "RESET")

    def commandlog_get(self, count: int, type: str) -> Any:
        """Command log entries of ``type``, newest first, shaped as ``slowlog_get``'s dicts.
        https://valkey.io/commands/commandlog-get/

        ``type``: ``"slow"``, ``"large-request"`` or ``"large-reply"``; ``count`` -1 means all.
        ``duration`` holds the logged measure: µs for ``slow``, bytes for the large types.
        Valkey 8.1+.
        """
        self._require("COMMANDLOG")
        return self._execute("COMMANDLOG", "GET", count, type, convert=_slowlog)

    def commandlog_len(self, type: str) -> Any:
        """Number of entries in the command log of ``type``. https://valkey.io/commands/commandlog-len/"""
        self._require("COMMANDLOG")
        return self._execute("COMMANDLOG", "LEN", type)

    def commandlog_reset(self, type: str) -> Any:
        """Clear the command log of ``type``; ``"OK"``. https://valkey.io/commands/commandlog-reset/"""
        self._require("COMMANDLOG")
        return self._execute("COMMANDLOG", "RESET", type)

    def latency_latest(self) -> Any:
        """Latest latency spikes: ``(event, timestamp, latest_ms, max_ms)`` tuples. https://redis.io/commands/latency-latest

        Valkey 8.1+ adds two fields: the sum of the recorded spikes (ms) and their number.
        """
        return self._execute("LATENCY", "LATEST", convert=_latency_latest)

    def latency_history(self, event: Any) -> Any:
        """An event's latency spikes: ``(timestamp, latency_ms)`` tuples. https://redis.io/commands/latency-history"""
        return self._execute("LATENCY", "HISTORY", event, convert=_latency_latest)

    def latency_reset(self, *events: Any) -> Any:
        """Reset latency data of ``events`` (all when none); returns how many were reset.
        https://redis.io/commands/latency-reset"""
        return self._execute("LATENCY", "RESET", *events)

    def latency_doctor(self) -> Any:
        """A human-readable latency report (str). https://redis.io/commands/latency-doctor"""
        return self._execute("LATENCY", "DOCTOR", convert=Raw(text))

    def latency_graph(self, event: Any) -> Any:
        """An ASCII graph of an event's latency (str). https://redis.io/commands/latency-graph"""
        return self._execute("LATENCY", "GRAPH", event, convert=Raw(text))

    def latency_histogram(self, *commands: Any) -> Any:
        """Per-command latency histograms: ``{command: {"calls": n, "histogram_usec": {µs: count}}}``.
        https://redis.io/commands/latency-histogram"""
        return self._execute("LATENCY", "HISTOGRAM", *commands, convert=_latency_histogram)

    # -- DEBUG (needs ``enable-debug-command``) --------------------------------------------------------

    def debug(self, subcommand: Any, *args: Any) -> Any:
        """Any DEBUG sub-command, reply as sent. https://redis.io/commands/debug"""
        return self._execute("DEBUG", subcommand, *args)

    def debug_object(self, key: Any) -> Any:
        """Low-level details of a key as a dict of str (``encoding``, ``refcount``, ``serializedlength``...).
        https://redis.io/commands/debug"""
        return self._execute("DEBUG", "OBJECT", key, convert=Raw(_debug_object))

    def debug_sleep(self, seconds: float) -> Any:
        """Block the whole server for ``seconds`` (tests of timeouts). https://redis.io/commands/debug"""
        return self._execute("DEBUG", "SLEEP", seconds)

    def lolwut(self, version: Optional[int] = None) -> Any:
        """Computer art and the Redis version (str). https://redis.io/commands/lolwut"""
        return self._execute("LOLWUT", *(() if version is None else ("VERSION", version)), convert=Raw(text))

