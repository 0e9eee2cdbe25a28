"""Server commands (INFO, CONFIG, persistence, replication...) plus the connection/admin mixins."""

from __future__ import annotations

import warnings
from typing import Any, Mapping, Optional, Union

from ..errors import InvalidData
from ._base import CommandsBase, Raw
from ._connection_cmds import ConnectionCommands
from ._replies import label, labelled_dict, to_int
from ._server_admin import AdminCommands

__all__ = ["ServerCommands", "parse_info"]


def parse_info(text: str) -> dict[str, str]:
    """INFO text as a dict: ``key:value`` lines, comments skipped, values left as str."""
    out = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def _info_text(reply: Any) -> Any:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _config_dict(raw: Any) -> dict:
    return {label(raw[i]): raw[i + 1] for i in range(0, len(raw or ()), 2)}


def _slot_stats(raw: Any) -> dict:
    return {to_int(slot): labelled_dict(stats) for slot, stats in raw or ()}


def _time(raw: Any) -> list:
    return [to_int(raw[0]), to_int(raw[1])]


class ServerCommands(ConnectionCommands, AdminCommands, CommandsBase):
    """PING, SELECT, INFO, CONFIG, persistence and replication; CLIENT/ACL/COMMAND... via the mixins."""

    def ping(self, message: Optional[Any] = None) -> Any:
        """Ping the server: ``"PONG"`` (or ``message`` back). https://redis.io/commands/ping"""
        return self._execute("PING", *(() if message is None else (message,)))

    def select(self, index: int) -> Any:
        """Switch the database of the connection that runs it. https://redis.io/commands/select"""
        return self._execute("SELECT", index)

    def info(self, type: Optional[str] = None) -> Any:
        """Server information: the raw str, or a dict for one section. https://redis.io/commands/info"""
        if type is None:
            return self._execute("INFO", convert=Raw(_info_text))
        return self._execute("INFO", type, convert=Raw(lambda r: parse_info(_info_text(r))))

    def dbsize(self) -> Any:
        """Number of keys in the selected database. https://redis.io/commands/dbsize"""
        return self._execute("DBSIZE")

    def flush(self, all_dbs: bool = False) -> Any:
        """FLUSHALL if ``all_dbs`` else FLUSHDB (deprecated: use ``flushdb``/``flushall``).
        https://redis.io/commands/flushdb"""
        warnings.warn(
            DeprecationWarning(
                "redis.flush() has been deprecated, use redis.flushdb() or redis.flushall() instead"
            ),
            stacklevel=2,
        )
        return self._execute("FLUSHALL" if all_dbs else "FLUSHDB")

    def flushdb(self, mode: Optional[str] = None) -> Any:
        """Remove every key of the selected database (``mode``: ``"ASYNC"``/``"SYNC"``).
        https://redis.io/commands/flushdb"""
        return self._execute("FLUSHDB", *(() if mode is None else (mode,)))

    def flushall(self, mode: Optional[str] = None) -> Any:
        """Remove every key of every database (``mode``: ``"ASYNC"``/``"SYNC"``). https://redis.io/commands/flushall"""
        return self._execute("FLUSHALL", *(() if mode is None else (mode,)))

    def time(self) -> Any:
        """The server clock as ``[unix_seconds, microseconds]`` ints. https://redis.io/commands/time"""
        return self._execute("TIME", convert=_time)

    def save(self) -> Any:
        """Save the dataset to disk synchronously. https://redis.io/commands/save"""
        return self._execute("SAVE")

    def bgsave(self, schedule: bool = False) -> Any:
        """Save the dataset to disk in the background. https://redis.io/commands/bgsave"""
        return self._execute("BGSAVE", *(("SCHEDULE",) if schedule else ()))

    def lastsave(self) -> Any:
        """Unix time of the last successful save. https://redis.io/commands/lastsave"""
        return self._execute("LASTSAVE")

    def bgrewriteaof(self) -> Any:
        """Rewrite the append-only file in the background. https://redis.io/commands/bgrewriteaof"""
        return self._execute("BGREWRITEAOF")

    def shutdown(
        self, save: Optional[bool] = None, now: bool = False, force: bool = False, abort: bool = False
    ) -> Any:
        """Stop the server (``save``: True SAVE, False NOSAVE, None default). https://redis.io/commands/shutdown

        On success the connection just closes, so the awaitable fails with ``ConnectionError``.
        """
        args: list = ["SHUTDOWN"]
        if save is not None:
            args.append("SAVE" if save else "NOSAVE")
        for flag, name in ((now, "NOW"), (force, "FORCE"), (abort, "ABORT")):
            if flag:
                args.append(name)
        return self._execute(*args)

    def role(self) -> Any:
        """Replication role, e.g. ``["master", 0, []]``. https://redis.io/commands/role"""
        return self._execute("ROLE")

    def swapdb(self, index1: int, index2: int) -> Any:
        """Swap two databases. https://redis.io/commands/swapdb"""
        return self._execute("SWAPDB", index1, index2)

    def wait(self, numreplicas: int, timeout: int) -> Any:
        """Block until ``numreplicas`` acknowledged earlier writes or ``timeout`` ms; the count reached.
        https://redis.io/commands/wait

        Blocking: a pool leases a connection for it. It waits for the writes made on the
        connection that runs it, so issue it on a ``Connection`` or within a lease.
        """
        return self._execute("WAIT", numreplicas, timeout)

    def waitaof(self, numlocal: int, numreplicas: int, timeout: int) -> Any:
        """``[local, replicas]``: how many AOFs (local 0/1, replicas) fsynced the earlier writes.
        https://redis.io/docs/latest/commands/waitaof/

        Waits until ``numlocal``/``numreplicas`` are reached or ``timeout`` ms (0: forever).
        Blocking: a pool leases a connection for it. Like WAIT it waits for the writes made on
        the connection that runs it, so issue it on a ``Connection`` or within a lease.
        ``numlocal`` 1 needs ``appendonly yes`` (the server refuses it otherwise). Redis 7.2+.
        """
        self._require("WAITAOF")
        return self._execute("WAITAOF", numlocal, numreplicas, timeout)

    def replicaof(self, host: Optional[str] = None, port: Optional[int] = None) -> Any:
        """Replicate ``host:port``, or stop replicating (``REPLICAOF NO ONE``) when both are None.
        https://redis.io/commands/replicaof"""
        return self._execute("REPLICAOF", *self._replica_target(host, port))

    def slaveof(self, host: Optional[str] = None, port: Optional[int] = None) -> Any:
        """Old name of REPLICAOF. https://redis.io/commands/slaveof"""
        return self._execute("SLAVEOF", *self._replica_target(host, port))

    @staticmethod
    def _replica_target(host: Optional[str], port: Optional[int]) -> tuple:
        if host is None and port is None:
            return ("NO", "ONE")
        if host is None or port is None:
            raise InvalidData("pass both ``host`` and ``port``, or neither for NO ONE")
        return (host, port)

    def failover(
        self,
        host: Optional[str] = None,
        port: Optional[int] = None,
        force: bool = False,
        abort: bool = False,
        timeout: Optional[int] = None,
    ) -> Any:
        """Hand the master role to a replica (``host``/``port``: which one). https://redis.io/commands/failover"""
        args: list = ["FAILOVER"]
        if host is not None:
            args += ["TO", host, port]
            if force:
                args.append("FORCE")
        if abort:
            args.append("ABORT")
        if timeout is not None:
            args += ["TIMEOUT", timeout]
        return self._execute(*args)

    # -- CLUSTER -------------------------------------------------------------------------------------

    def cluster_slot_stats(
        self,
        *,
        slotsrange: Optional[tuple[int, int]] = None,
        orderby: Optional[str] = None,
        limit: Optional[int] = None,
        desc: bool = False,
    ) -> Any:
        """Per-slot usage of the node's slots: ``{slot: {"key-count": n, ...}}``.
        https://redis.io/docs/latest/commands/cluster-slot-stats/

        Pass ``slotsrange=(start, end)`` (inclusive), or ``orderby`` a metric (``"key-count"``,
        and with ``cluster-slot-stats-enabled`` also ``"cpu-usec"``, ``"network-bytes-in"``,
        ``"network-bytes-out"``) with an optional ``limit`` (the server's default: every slot)
        and ``desc``; ascending is sent explicitly, the server's own default being descending.
        The dict keeps the server's order. Needs cluster mode; on a cluster handler it runs on
        one node (``rc.node(addr).cluster_slot_stats(...)`` picks which). Valkey 8.0+, Redis 8.2+.
        """
        self._require("CLUSTER SLOT-STATS")
        if (slotsrange is None) == (orderby is None):
            raise InvalidData("cluster_slot_stats: pass one of ``slotsrange`` and ``orderby``")
        args: list = ["CLUSTER", "SLOT-STATS"]
        if slotsrange is not None:
            if limit is not None or desc:
                raise InvalidData("cluster_slot_stats: ``limit`` and ``desc`` go with ``orderby``")
            start, end = slotsrange
            args += ["SLOTSRANGE", start, end]
        else:
            args += ["ORDERBY", orderby]
            if limit is not None:
                args += ["LIMIT", limit]
            args.append("DESC" if desc else "ASC")
        return self._execute(*args, convert=_slot_stats)

    # -- CONFIG --------------------------------------------------------------------------------------

    def config_get(self, *parameters: Any) -> Any:
        """Configuration parameters matching the patterns (all when none): ``{name: value}``.
        https://redis.io/commands/config-get"""
        return self._execute("CONFIG", "GET", *(parameters or ("*",)), convert=_config_dict)

    def config_set(self, parameter: Union[Any, Mapping[Any, Any]], value: Any = None) -> Any:
        """Set one parameter, or several at once from a mapping. https://redis.io/commands/config-set"""
        if isinstance(parameter, Mapping):
            if value is not None or not parameter:
                raise InvalidData("config_set: pass a non-empty mapping alone, or a name and a value")
            flat: list = []
            for k, v in parameter.items():
                flat += [k, v]
            return self._execute("CONFIG", "SET", *flat)
        if value is None:
            raise InvalidData("config_set: missing ``value``")
        return self._execute("CONFIG", "SET", parameter, value)

    def config_rewrite(self) -> Any:
        """Rewrite the config file with the running configuration. https://redis.io/commands/config-rewrite"""
        return self._execute("CONFIG", "REWRITE")

    def config_resetstat(self) -> Any:
        """Reset the statistics INFO reports. https://redis.io/commands/config-resetstat"""
        return self._execute("CONFIG", "RESETSTAT")
