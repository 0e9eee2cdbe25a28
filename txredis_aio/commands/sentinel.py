"""Sentinel commands, sent to a Sentinel process (``SENTINEL MASTERS``, ``SENTINEL SLAVES``...).

State replies (masters, replicas, sentinels) become dicts as in txredisapi: the flat key/value
list with values converted like any reply, plus booleans ``is_master``, ``is_slave``,
``is_sdown``, ``is_odown``, ``is_sentinel``, ``is_disconnected``, ``is_master_down`` derived
from ``flags``. Keys are always str (txredisapi left them bytes under ``charset=None``).
"""

from __future__ import annotations

from typing import Any

from ._base import CommandsBase
from ._replies import labelled_dict, text

__all__ = ["SentinelCommands", "parse_sentinel_state"]

_NODE_FLAGS = (
    ("is_master", "master"),
    ("is_slave", "slave"),
    ("is_sdown", "s_down"),
    ("is_odown", "o_down"),
    ("is_sentinel", "sentinel"),
    ("is_disconnected", "disconnected"),
    ("is_master_down", "master_down"),
)


def parse_sentinel_state(flat: Any) -> dict:
    """One SENTINEL MASTERS/SLAVES/SENTINELS entry as a dict with txredisapi's ``is_*`` booleans."""
    state = labelled_dict(flat)
    flags = set(str(text(state.get("flags", ""))).split(","))
    for name, flag in _NODE_FLAGS:
        state[name] = flag in flags
    return state


def _masters(raw: Any) -> dict:
    out = {}
    for flat in raw or ():
        state = parse_sentinel_state(flat)
        out[state["name"]] = state
    return out


def _states(raw: Any) -> list:
    return [parse_sentinel_state(flat) for flat in raw or ()]


class SentinelCommands(CommandsBase):
    """SENTINEL sub-commands (for a connection to a Sentinel, not to a data server)."""

    def sentinel_masters(self) -> Any:
        """Monitored masters: ``{name: state dict}``. https://redis.io/docs/management/sentinel/"""
        return self._execute("SENTINEL", "MASTERS", convert=_masters)

    def sentinel_master(self, service_name: Any) -> Any:
        """One monitored master's state dict. https://redis.io/docs/management/sentinel/"""
        return self._execute("SENTINEL", "MASTER", service_name, convert=parse_sentinel_state)

    def sentinel_slaves(self, service_name: Any) -> Any:
        """A master's replicas, as a list of state dicts. https://redis.io/docs/management/sentinel/"""
        return self._execute("SENTINEL", "SLAVES", service_name, convert=_states)

    def sentinel_replicas(self, service_name: Any) -> Any:
        """A master's replicas (SENTINEL REPLICAS), as a list of state dicts.
        https://redis.io/docs/management/sentinel/"""
        return self._execute("SENTINEL", "REPLICAS", service_name, convert=_states)

    def sentinel_sentinels(self, service_name: Any) -> Any:
        """The other Sentinels watching a master, as a list of state dicts.
        https://redis.io/docs/management/sentinel/"""
        return self._execute("SENTINEL", "SENTINELS", service_name, convert=_states)

    def sentinel_get_master_addr_by_name(self, service_name: Any) -> Any:
        """``[ip, port]`` of a master as the server sends it (None if unknown).
        https://redis.io/docs/management/sentinel/"""
        return self._execute("SENTINEL", "GET-MASTER-ADDR-BY-NAME", service_name)

    def sentinel_failover(self, service_name: Any) -> Any:
        """Force a failover of a master without asking the other Sentinels.
        https://redis.io/docs/management/sentinel/"""
        return self._execute("SENTINEL", "FAILOVER", service_name)

    def sentinel_ckquorum(self, service_name: Any) -> Any:
        """Check that the Sentinels can reach quorum for a master: a status text, or an error.
        https://redis.io/docs/management/sentinel/"""
        return self._execute("SENTINEL", "CKQUORUM", service_name)

    def sentinel_reset(self, pattern: Any) -> Any:
        """Reset the state of masters matching ``pattern``; returns how many.
        https://redis.io/docs/management/sentinel/"""
        return self._execute("SENTINEL", "RESET", pattern)

    def sentinel_monitor(self, service_name: Any, ip: str, port: int, quorum: int) -> Any:
        """Start monitoring a master. https://redis.io/docs/management/sentinel/"""
        return self._execute("SENTINEL", "MONITOR", service_name, ip, port, quorum)

    def sentinel_remove(self, service_name: Any) -> Any:
        """Stop monitoring a master. https://redis.io/docs/management/sentinel/"""
        return self._execute("SENTINEL", "REMOVE", service_name)

    def sentinel_set(self, service_name: Any, option: Any, value: Any) -> Any:
        """Change a monitoring option of a master (``down-after-milliseconds``...).
        https://redis.io/docs/management/sentinel/"""
        return self._execute("SENTINEL", "SET", service_name, option, value)

    def sentinel_flushconfig(self) -> Any:
        """Rewrite the Sentinel config file. https://redis.io/docs/management/sentinel/"""
        return self._execute("SENTINEL", "FLUSHCONFIG")

    def sentinel_myid(self) -> Any:
        """This Sentinel's id. https://redis.io/docs/management/sentinel/"""
        return self._execute("SENTINEL", "MYID")
