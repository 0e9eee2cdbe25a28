"""Sentinel: find a service's master (or a replica) and follow failovers as they happen.

How this works
--------------
* ``Sentinel`` keeps one lazy connection per sentinel for queries (txredisapi: the constructor's
  keyword arguments, ``password`` included, are for these connections) and, once a data handler
  exists, one watcher per sentinel subscribed to ``+switch-master``: a pub/sub ``Subscriber``
  with the same options (TLS, password), whose ``messageReceived`` acts on the event at once.
* ``master_for``/``slave_for`` return a ``SentinelConnectionHandler`` at once: an ordinary
  ``Pool`` whose ``ConnectionConfig`` carries two hooks. ``resolve`` runs before every connect
  attempt and names the address; for masters, ``verify`` asks ROLE after the handshake and drops
  the connection unless the node says ``master`` (the attempt is retried with backoff).
* Resolving a master: the address of the latest ``+switch-master`` event while it is fresh
  (``switch_trust`` seconds: sentinels that did not run the failover learn of it seconds later),
  else every sentinel is asked at once and the first healthy answer wins; a switch event that
  arrives during the asking wins too.
* On ``+switch-master`` the master pools of that service close every connection not to the new
  address and cut their backoff short, so they reconnect to the new master at once; replica
  pools drop connections to the promoted node and to the old master. A READONLY reply on a master
  pool (the node was demoted) closes its connections the same way; the pool's protocol notices it
  while building the error, so successful replies pay nothing for the check. Commands caught on a
  closed connection fail with ``ConnectionError``; nothing is ever retried behind the caller's back.
* When a watcher reconnects (events may have been missed meanwhile), master pools ask ROLE on
  their idle connections and drop them all if the node is no longer master.
"""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
from functools import partial
from typing import Any, Callable, Optional, Sequence, TypeVar

import hiredis

from ._compat import timeout as _timeout
from ._protocol import RedisProtocol
from .client import ConnectionHandler
from .commands._base import RAW
from .connection import ConnectionConfig, SSLOption
from .errors import (
    ConnectError,
    InvalidResponse,
    MasterNotFoundError,
    ReadOnlyError,
    ResponseError,
    response_error,
)
from .factories import lazyConnection
from .pool import Pool
from .pubsub import Subscriber, lazySubscriberConnection

__all__ = ["Sentinel", "SentinelConnectionHandler", "parse_sentinel_state"]

log = logging.getLogger("txredis_aio")

R = TypeVar("R")
Address = tuple[str, int]


_FLAGS = (("master", "is_master"), ("slave", "is_slave"), ("s_down", "is_sdown"),
          ("o_down", "is_odown"), ("sentinel", "is_sentinel"), ("disconnected", "is_disconnected"),
          ("master_down", "is_master_down"))
_INT = re.compile(r"-?\d+\Z")
_FLOAT = re.compile(r"-?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?\Z")
_DATA_KWARGS = frozenset({
    "reconnect", "charset", "password", "ssl_context_factory", "connectTimeout", "replyTimeout",
    "convertNumbers", "username", "use_ssl", "client_name",
})


def _text(x: Any) -> str:
    return x.decode("utf-8", "replace") if isinstance(x, (bytes, bytearray)) else str(x)


def _value(x: Any) -> Any:
    s = _text(x)
    if _INT.match(s):
        return int(s)
    if _FLOAT.match(s):
        return float(s)
    return s


def parse_sentinel_state(flat: Sequence[Any]) -> dict[str, Any]:
    """A SENTINEL MASTERS/SLAVES entry as txredisapi gave it: numbers converted, plus ``is_*`` flags."""
    state: dict[str, Any] = {_text(k): _value(v) for k, v in zip(flat[::2], flat[1::2])}
    flags = set(str(state.get("flags", "")).split(","))
    for flag, key in _FLAGS:
        state[key] = flag in flags
    return state


def _peer(proto: RedisProtocol) -> Optional[Address]:
    transport = proto.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    return (peer[0], int(peer[1])) if isinstance(peer, tuple) and len(peer) >= 2 else None


class _MasterProtocol(RedisProtocol):
    """A master pool's protocol: its reply reader notices READONLY error replies.

    The check lives in hiredis' ``replyError`` constructor, which only runs for error replies,
    so successful replies cost nothing extra. ``readonly`` is set per pool (a subclass each).
    """

    readonly: Callable[[], None]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reader = hiredis.Reader(protocolError=InvalidResponse, replyError=self._error_reply)
        self._readonly_seen = False

    def _error_reply(self, message: str) -> ResponseError:
        err = response_error(message)
        if type(err) is ReadOnlyError and not self._readonly_seen:
            self._readonly_seen = True  # once per connection, however many replies say it
            self._loop.call_soon(self.readonly)  # after this reply is delivered, not mid-parse
        return err


class SentinelConnectionHandler(ConnectionHandler):
    """Commands on the current master (or a replica) of a Sentinel-managed service."""

    def __init__(self, pool: Pool, sentinel: Sentinel, service_name: str, is_master: bool) -> None:
        super().__init__(pool)
        self.sentinel = sentinel
        self.service_name = service_name
        self.is_master = is_master
        self._next_replica = 0

    def _readonly_reply(self) -> None:
        """A master connection answered READONLY (the node was demoted): look for the master again."""
        if self._pool.closed:
            return
        log.warning("txredis_aio: %s answered READONLY: looking for the master again", self.service_name)
        self.sentinel._forget_switch(self.service_name)
        self._drop(lambda peer: True)

    def _drop(self, unwanted: Callable[[Optional[Address]], bool], wake: bool = True) -> None:
        """Close live connections whose peer is ``unwanted``; ``wake``: cut every backoff short."""
        for slot in self._pool._slots:
            proto = slot.protocol
            if proto is not None and not proto.closed and unwanted(_peer(proto)):
                proto.close()
            if wake:
                slot.wake()

    def _check_roles(self) -> None:
        """Ask ROLE on every idle shared connection; drop those whose node is no longer master."""
        for slot in self._pool._slots:
            proto = slot.protocol
            if proto is not None and not proto.closed and not proto.leased:
                fut = proto.execute(("ROLE",), RAW, False)
                fut.add_done_callback(partial(self._role_answer, proto))

    def _role_answer(self, proto: RedisProtocol, fut: asyncio.Future[Any]) -> None:
        if fut.cancelled() or fut.exception() is not None:
            return
        role = fut.result()
        if not (isinstance(role, list) and role and _text(role[0]) == "master"):
            log.warning("txredis_aio: %s: %s is no longer master", self.service_name, _peer(proto))
            self._drop(lambda peer: True)

    def _switched(self, old: Address, new: Address) -> None:
        if self.is_master:
            self._drop(lambda peer: peer != new)
        else:
            self._drop(lambda peer: peer in (old, new))

    async def disconnect(self) -> None:
        """Close every connection and stop following the service."""
        self.sentinel._handlers.discard(self)
        await super().disconnect()

    def __repr__(self) -> str:
        pool = self._pool
        role = "master" if self.is_master else "slave"
        peers = sorted({f"{p[0]}:{p[1]}" for s in pool._slots if s.protocol is not None
                        for p in [_peer(s.protocol)] if p is not None})
        return (f"<Sentinel {role} of {self.service_name!r} at {', '.join(peers) or '-'} "
                f"size={pool.poolsize} connected={pool.connected} pending={pool.pending}>")


_SWITCH = "+switch-master"


class _Watcher(Subscriber):
    """A sentinel's ``+switch-master`` subscription: events go straight to the Sentinel, unqueued.

    The pub/sub module reconnects it (with backoff), re-subscribes, and calls ``reconnected``
    once the subscription is back: events may have been missed meanwhile, so roles are re-checked.
    """

    sentinel: Sentinel

    def messageReceived(self, pattern: Any, channel: Any, message: Any) -> None:
        if _text(channel) == _SWITCH:
            self.sentinel._on_switch_event(message)

    def reconnected(self) -> None:
        self.sentinel._recheck_roles()


def _subscribed(watcher: _Watcher, fut: asyncio.Future[Any]) -> None:
    err = None if fut.cancelled() else fut.exception()
    if isinstance(err, ResponseError):
        log.warning("txredis_aio: %r: the sentinel refused the subscription: %s", watcher, err)
    elif err is not None:  # not connected yet: the subscription is made once it is
        log.debug("txredis_aio: %r: %s", watcher, err)


class Sentinel:
    """Sentinel discovery with txredisapi's API, plus failover following (see module docstring).

    ``sentinel_addresses`` is a list of ``(host, port)``; keyword arguments (``password``,
    ``username``, TLS, timeouts...) are for the sentinel connections, as in txredisapi. The data
    connections get theirs from ``master_for``/``slave_for``.
    """

    discovery_timeout: float = 10
    # How long the address named by a +switch-master event is preferred to asking the sentinels.
    switch_trust: float = 10.0
    # Backoff of data connections (txredisapi's SentinelConnectionFactory started at 0.1 s).
    initialDelay: float = 0.1
    maxDelay: float = 2.0

    def __init__(self, sentinel_addresses: Sequence[Sequence[Any]], min_other_sentinels: int = 0,
                 **connection_kwargs: Any) -> None:
        self.sentinels = [lazyConnection(host, port, **connection_kwargs)
                          for host, port in sentinel_addresses]
        self._addresses = [(host, port) for host, port in sentinel_addresses]
        self._connection_kwargs = connection_kwargs
        self.min_other_sentinels = min_other_sentinels
        self._handlers: weakref.WeakSet[SentinelConnectionHandler] = weakref.WeakSet()
        self._switch: dict[str, tuple[Address, float]] = {}
        self._switch_waiters: dict[str, list[asyncio.Future[Address]]] = {}
        self._watchers: list[tuple[_Watcher, asyncio.Future[Any]]] = []
        self._closed = False

    # -- discovery (txredisapi's API) ------------------------------------------------------------

    def check_master_state(self, state: dict[str, Any]) -> bool:
        """True when a SENTINEL MASTERS entry is a master, not down, seen by enough sentinels."""
        if not state["is_master"] or state["is_sdown"] or state["is_odown"]:
            return False
        return int(state["num-other-sentinels"]) >= self.min_other_sentinels

    @staticmethod
    def filter_slaves(slaves: Sequence[dict[str, Any]]) -> list[Address]:
        """``(ip, port)`` of the replicas not flagged s_down or o_down."""
        return [(s["ip"], int(s["port"])) for s in slaves if not s["is_odown"] and not s["is_sdown"]]

    async def _first(self, args: tuple, accept: Callable[[Any], Optional[R]]) -> Optional[R]:
        """Ask every sentinel at once; the first answer ``accept`` turns into a value wins.

        Errors are ignored; None once every sentinel answered without one, or on timeout.
        """
        futs = [asyncio.ensure_future(s._execute(*args, convert=RAW)) for s in self.sentinels]
        try:
            async with _timeout(self.discovery_timeout):
                for next_done in asyncio.as_completed(futs):
                    try:
                        value = accept(await next_done)
                    except Exception:
                        continue
                    if value is not None:
                        return value
        except (asyncio.TimeoutError, TimeoutError):
            pass
        finally:
            for f in futs:
                if not f.done():
                    f.cancel()
                elif not f.cancelled():
                    f.exception()
        return None

    async def discover_master(self, service_name: str) -> Address:
        """``(ip, port)`` of the service's master, from the first sentinel with a healthy one."""

        def accept(reply: Any) -> Optional[Address]:
            for entry in reply:
                state = parse_sentinel_state(entry)
                if state.get("name") == service_name and self.check_master_state(state):
                    return (str(state["ip"]), int(state["port"]))
            return None

        addr = await self._first(("SENTINEL", "MASTERS"), accept)
        if addr is None:
            raise MasterNotFoundError(f"No master found for {service_name}")
        return addr

    async def discover_slaves(self, service_name: str) -> list[Address]:
        """Healthy replicas of the service from the first sentinel that knows one; else ``[]``."""

        def accept(reply: Any) -> Optional[list[Address]]:
            return self.filter_slaves([parse_sentinel_state(e) for e in reply]) or None

        return await self._first(("SENTINEL", "SLAVES", service_name), accept) or []

    # -- data handlers --------------------------------------------------------------------------

    def master_for(self, service_name: str, dbid: Optional[int] = None, poolsize: int = 1,
                   **connection_kwargs: Any) -> SentinelConnectionHandler:
        """A handler on the service's current master, returned at once; it follows failovers."""
        return self._handler(service_name, True, dbid, poolsize, connection_kwargs)

    def slave_for(self, service_name: str, dbid: Optional[int] = None, poolsize: int = 1,
                  **connection_kwargs: Any) -> SentinelConnectionHandler:
        """A handler on the service's replicas (round-robin per connect), else on its master."""
        return self._handler(service_name, False, dbid, poolsize, connection_kwargs)

    def _handler(self, name: str, is_master: bool, dbid: Optional[int], poolsize: int,
                 kwargs: dict[str, Any]) -> SentinelConnectionHandler:
        unknown = set(kwargs) - _DATA_KWARGS
        if unknown:
            raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
        tls: SSLOption = kwargs.get("ssl_context_factory") or kwargs.get("use_ssl", False)
        cfg = ConnectionConfig(
            host=None, port=0, dbid=dbid, reconnect=kwargs.get("reconnect", True),
            charset=kwargs.get("charset", "utf-8"), password=kwargs.get("password"),
            username=kwargs.get("username"), tls=tls, connect_timeout=kwargs.get("connectTimeout"),
            reply_timeout=kwargs.get("replyTimeout"),
            convert_numbers=kwargs.get("convertNumbers", True), client_name=kwargs.get("client_name"),
        )
        holder: list[SentinelConnectionHandler] = []

        async def resolve() -> Address:
            self._start_watchers()
            if is_master:
                before = (cfg.host, cfg.port) if cfg.host is not None else None
                addr = await self._resolve_master(name)
                if before is not None and addr != before:
                    # A new master found by asking (its +switch-master missed): every live
                    # connection of the pool was made to the old one, maybe a replica now.
                    holder[0]._drop(lambda peer: True, wake=False)
            else:
                addr = await self._resolve_replica(holder[0])
            cfg.host, cfg.port = addr  # shown by repr(pool)
            return addr

        async def verify(proto: RedisProtocol) -> None:
            role = await proto.execute(("ROLE",), RAW, False)
            kind = _text(role[0]) if isinstance(role, list) and role else repr(role)
            if kind != "master":
                self._forget_switch(name, _peer(proto))
                raise ConnectError(f"Redis error: {_peer(proto)} is a {kind}, not the master of {name}")

        cfg.resolve = resolve
        if is_master:
            cfg.verify = verify
            cfg.protocol_class = type("SentinelMasterProtocol", (_MasterProtocol,),
                                      {"readonly": staticmethod(lambda: holder[0]._readonly_reply())})
        pool = Pool(cfg, poolsize)
        pool.initialDelay, pool.maxDelay = self.initialDelay, self.maxDelay
        handler = SentinelConnectionHandler(pool, self, name, is_master)
        holder.append(handler)
        self._handlers.add(handler)
        return handler

    async def _resolve_master(self, name: str) -> Address:
        recent = self._switch.get(name)
        loop = asyncio.get_running_loop()
        if recent is not None and loop.time() - recent[1] < self.switch_trust:
            return recent[0]
        switch: asyncio.Future[Address] = loop.create_future()
        self._switch_waiters.setdefault(name, []).append(switch)
        asking = asyncio.ensure_future(self.discover_master(name))
        try:
            await asyncio.wait((asking, switch), return_when=asyncio.FIRST_COMPLETED)
            if switch.done():
                return switch.result()
            return asking.result()
        finally:
            waiters = self._switch_waiters.get(name, [])
            if switch in waiters:
                waiters.remove(switch)
            if not asking.done():
                asking.cancel()
            elif not asking.cancelled():
                asking.exception()

    async def _resolve_replica(self, handler: SentinelConnectionHandler) -> Address:
        name = handler.service_name
        replicas = await self.discover_slaves(name)
        recent = self._switch.get(name)
        if recent is not None:
            replicas = [r for r in replicas if r != recent[0]]
        if replicas:
            handler._next_replica += 1
            return replicas[handler._next_replica % len(replicas)]
        log.info("txredis_aio: no slaves discovered for %s, falling back to master", name)
        return await self._resolve_master(name)

    # -- following failovers ---------------------------------------------------------------------

    def _forget_switch(self, name: str, addr: Optional[Address] = None) -> None:
        recent = self._switch.get(name)
        if recent is not None and (addr is None or recent[0] == addr):
            del self._switch[name]

    def _switched(self, name: str, old: Address, new: Address) -> None:
        recent = self._switch.get(name)
        if recent is not None and recent[0] == new:
            return  # the other sentinels repeating the news
        log.warning("txredis_aio: %s switched master %s:%d -> %s:%d", name, *old, *new)
        self._switch[name] = (new, asyncio.get_running_loop().time())
        for w in self._switch_waiters.pop(name, []):
            if not w.done():
                w.set_result(new)
        for h in list(self._handlers):
            if h.service_name == name:
                h._switched(old, new)

    def _on_switch_event(self, message: Any) -> None:
        try:
            name, old_ip, old_port, new_ip, new_port = _text(message).split()
            old, new = (old_ip, int(old_port)), (new_ip, int(new_port))
        except ValueError:
            log.warning("txredis_aio: unreadable +switch-master event %r", message)
            return
        self._switched(name, old, new)

    def _recheck_roles(self) -> None:
        for h in list(self._handlers):
            if h.is_master:
                h._check_roles()

    def _start_watchers(self) -> None:
        """One ``+switch-master`` subscriber per sentinel, with the sentinel connections' options."""
        if self._watchers or self._closed:
            return
        kwargs = {**self._connection_kwargs, "reconnect": True}
        for host, port in self._addresses:
            watcher = lazySubscriberConnection(host, port, subscriber_class=_Watcher, **kwargs)
            assert isinstance(watcher, _Watcher)
            watcher.sentinel = self
            subscribed = watcher.subscribe(_SWITCH)
            subscribed.add_done_callback(partial(_subscribed, watcher))
            self._watchers.append((watcher, subscribed))

    # -- lifecycle -------------------------------------------------------------------------------

    async def disconnect(self) -> None:
        """Close the sentinel connections and watchers (data handlers are closed by their owners)."""
        self._closed = True
        watchers, self._watchers = self._watchers, []
        await asyncio.gather(*(w.disconnect() for w, _ in watchers),
                             *(s.disconnect() for s in self.sentinels))
        for _, subscribed in watchers:
            subscribed.cancel()
        await asyncio.gather(*(f for _, f in watchers), return_exceptions=True)

    async def __aenter__(self) -> Sentinel:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.disconnect()

    def __repr__(self) -> str:
        addrs = ", ".join(s._pool.config.address for s in self.sentinels)
        return f"<Sentinel [{addrs}] following={len(self._handlers)}>"
