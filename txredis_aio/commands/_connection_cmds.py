"""Connection commands: AUTH, ECHO, HELLO, QUIT, RESET and the CLIENT family.

On a pool these run on whichever connection is least loaded; commands that change connection
state (AUTH, CLIENT SETNAME, RESET, CLIENT TRACKING, CLIENT NO-TOUCH, CLIENT SETINFO...) affect
that one connection only, as SELECT did in txredisapi. CLIENT REPLY is left out on purpose:
OFF/SKIP would silence replies the reply queue is waiting for.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from ..errors import InvalidData
from ._base import CommandsBase, Raw
from ._replies import labelled_dict, text

__all__ = ["ConnectionCommands", "parse_client_info"]


def parse_client_info(line: str) -> dict[str, str]:
    """One CLIENT LIST/INFO line (``id=3 addr=... name=``) as a dict of str values."""
    out = {}
    for field in line.split(" "):
        if "=" in field:
            k, v = field.split("=", 1)
            out[k] = v
    return out


def _client_list(raw: Any) -> list:
    return [parse_client_info(line) for line in text(raw).splitlines() if line.strip()]


def _client_info(raw: Any) -> dict:
    return parse_client_info(text(raw).strip())


def _hello(raw: Any) -> dict:
    return labelled_dict(raw, {"modules": lambda v: [labelled_dict(m) for m in v or ()]})


def _yes_no(flag: bool) -> str:
    return "YES" if flag else "NO"


class ConnectionCommands(CommandsBase):
    """AUTH, ECHO, HELLO, QUIT, RESET and CLIENT *."""

    def auth(self, password: Any, username: Optional[Any] = None) -> Any:
        """Authenticate this connection (with an ACL ``username`` when given). https://redis.io/commands/auth"""
        if username:  # txredisapi's test: an empty username is no username
            return self._execute("AUTH", username, password)
        return self._execute("AUTH", password)

    def echo(self, message: Any) -> Any:
        """Return ``message``. https://redis.io/commands/echo"""
        return self._execute("ECHO", message)

    def quit(self) -> Any:
        """Ask the server to close the connection; ``"OK"``. https://redis.io/commands/quit"""
        return self._execute("QUIT")

    def hello(
        self,
        protover: Optional[int] = None,
        username: Optional[Any] = None,
        password: Optional[Any] = None,
        setname: Optional[Any] = None,
    ) -> Any:
        """Handshake: the server's properties as a dict (``server``, ``version``, ``proto``...).
        https://redis.io/commands/hello

        Only RESP2 is allowed here (``protover`` None or 2): switching a live connection to
        RESP3 would change every reply shape under its other users.
        """
        if protover not in (None, 2):
            raise InvalidData("hello(): only protocol 2 can be used on these connections")
        args: list = ["HELLO"]
        if protover is not None:
            args.append(protover)
        if password is not None:
            if protover is None:
                args.append(2)
            args += ["AUTH", "default" if username is None else username, password]
        if setname is not None:
            if protover is None and password is None:
                args.append(2)
            args += ["SETNAME", setname]
        return self._execute(*args, convert=_hello)

    def reset(self) -> Any:
        """Reset the connection's state (DB 0, default user, no name, no MULTI): ``"RESET"``.
        https://redis.io/commands/reset

        This undoes the handshake's SELECT/AUTH/SETNAME on the connection that runs it.
        """
        return self._execute("RESET")

    # -- CLIENT --------------------------------------------------------------------------------------

    def client_id(self) -> Any:
        """The id of the connection that runs it. https://redis.io/commands/client-id"""
        return self._execute("CLIENT", "ID")

    def client_info(self) -> Any:
        """This connection's CLIENT LIST line as a dict of str values. https://redis.io/commands/client-info"""
        return self._execute("CLIENT", "INFO", convert=Raw(_client_info))

    def client_list(self, type: Optional[str] = None, client_ids: Optional[Iterable[int]] = None) -> Any:
        """Connected clients, a list of dicts of str values (``id``, ``addr``, ``name``, ``cmd``...).
        https://redis.io/commands/client-list"""
        args: list = ["CLIENT", "LIST"]
        if type is not None:
            args += ["TYPE", type]
        if client_ids is not None:
            args += ["ID", *client_ids]
        return self._execute(*args, convert=Raw(_client_list))

    def client_kill(
        self,
        address: Optional[str] = None,
        id: Optional[int] = None,
        type: Optional[str] = None,
        user: Optional[str] = None,
        addr: Optional[str] = None,
        laddr: Optional[str] = None,
        skipme: Optional[bool] = None,
    ) -> Any:
        """Close client connections. https://redis.io/commands/client-kill

        ``address`` alone is the old form (``"OK"``); the filters (``id``, ``type``, ``user``,
        ``addr``, ``laddr``, ``skipme``) return how many clients were killed.
        """
        filters: list = []
        for name, value in (("ID", id), ("TYPE", type), ("USER", user), ("ADDR", addr), ("LADDR", laddr)):
            if value is not None:
                filters += [name, value]
        if skipme is not None:
            filters += ["SKIPME", "yes" if skipme else "no"]
        if address is not None:
            if filters:
                raise InvalidData("pass ``address`` alone, or filters only")
            return self._execute("CLIENT", "KILL", address)
        if not filters:
            raise InvalidData("client_kill needs ``address`` or a filter")
        return self._execute("CLIENT", "KILL", *filters)

    def client_setname(self, name: Any) -> Any:
        """Name the connection that runs it. https://redis.io/commands/client-setname"""
        return self._execute("CLIENT", "SETNAME", name)

    def client_getname(self) -> Any:
        """The name of the connection that runs it (None if unnamed). https://redis.io/commands/client-getname"""
        return self._execute("CLIENT", "GETNAME")

    def client_pause(self, timeout: int, mode: Optional[str] = None) -> Any:
        """Suspend clients for ``timeout`` ms (``mode``: ``"ALL"`` or ``"WRITE"``). https://redis.io/commands/client-pause"""
        return self._execute("CLIENT", "PAUSE", timeout, *(() if mode is None else (mode,)))

    def client_unpause(self) -> Any:
        """Resume clients paused by CLIENT PAUSE. https://redis.io/commands/client-unpause"""
        return self._execute("CLIENT", "UNPAUSE")

    def client_no_evict(self, on: bool = True) -> Any:
        """Exclude (or not) this connection from client eviction. https://redis.io/commands/client-no-evict"""
        return self._execute("CLIENT", "NO-EVICT", "ON" if on else "OFF")

    def client_no_touch(self, on: bool) -> Any:
        """Stop (or resume) this connection's commands updating keys' LRU/LFU; ``"OK"``.
        https://redis.io/docs/latest/commands/client-no-touch/

        A mode of the connection that runs it (TOUCH still touches): on a pool that is one
        member only, and a reconnect clears it, so use a ``Connection`` (or a lease) to rely
        on it. Allowed on pools: replies still match their commands. Redis 7.2+.
        """
        self._require("CLIENT NO-TOUCH")
        return self._execute("CLIENT", "NO-TOUCH", "ON" if on else "OFF")

    def client_setinfo(self, attr: str, value: Any) -> Any:
        """Set this connection's ``LIB-NAME`` or ``LIB-VER`` (shown by CLIENT LIST/INFO); ``"OK"``.
        https://redis.io/docs/latest/commands/client-setinfo/

        The handshake already sets both (``ConnectionConfig.client_setinfo``); this changes the
        connection that runs it until it reconnects. Redis 7.2+.
        """
        self._require("CLIENT SETINFO")
        return self._execute("CLIENT", "SETINFO", attr, value)

    def client_unblock(self, client_id: int, error: bool = False) -> Any:
        """Unblock a client stuck in a blocking command (as a timeout, or an error with ``error``); 1 if so.
        https://redis.io/commands/client-unblock"""
        return self._execute("CLIENT", "UNBLOCK", client_id, *(("ERROR",) if error else ()))

    def client_tracking(
        self,
        on: bool,
        redirect: Optional[int] = None,
        prefixes: Iterable[Any] = (),
        bcast: bool = False,
        optin: bool = False,
        optout: bool = False,
        noloop: bool = False,
    ) -> Any:
        """Switch client-side caching invalidation on/off for this connection (RESP2: needs ``redirect``).
        https://redis.io/commands/client-tracking"""
        args: list = ["CLIENT", "TRACKING", "ON" if on else "OFF"]
        if redirect is not None:
            args += ["REDIRECT", redirect]
        for p in prefixes:
            args += ["PREFIX", p]
        for flag, name in ((bcast, "BCAST"), (optin, "OPTIN"), (optout, "OPTOUT"), (noloop, "NOLOOP")):
            if flag:
                args.append(name)
        return self._execute(*args)

    def client_trackinginfo(self) -> Any:
        """This connection's tracking state as a dict (``flags``, ``redirect``, ``prefixes``).
        https://redis.io/commands/client-trackinginfo"""
        return self._execute("CLIENT", "TRACKINGINFO", convert=labelled_dict)

    def client_getredir(self) -> Any:
        """The client id tracking notifications are redirected to (-1 none, 0 off). https://redis.io/commands/client-getredir"""
        return self._execute("CLIENT", "GETREDIR")

    def client_caching(self, yes: bool) -> Any:
        """Whether the next read is tracked (OPTIN/OPTOUT tracking modes). https://redis.io/commands/client-caching"""
        return self._execute("CLIENT", "CACHING", _yes_no(yes))
