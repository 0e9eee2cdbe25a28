"""Host names of the core-backed connections resolved through Twisted's resolver.

How this works
--------------
* The core connects with asyncio (``loop.create_connection``), which resolves names with the
  system's ``getaddrinfo``. A Twisted program may install its own resolver
  (``reactor.installNameResolver``, ``installResolver``: ``twisted.names``, a test's fixed map);
  txredisapi connected through the reactor, so that resolver was the one asked.
* ``resolve_with_twisted(config)`` gives a TCP ``ConnectionConfig`` the core's ``resolve`` hook,
  which runs before every connect attempt: it asks the reactor's *current* ``nameResolver``
  (``IHostnameResolver``, IPv4 and IPv6 answers) and connects to one of the addresses. Which one:
  the first; each further attempt of the same pool member after one that did not end in a ready
  connection takes the next (an address that worked is kept for the reconnects after it).
* Left to asyncio: an IP literal (nothing to resolve); Twisted's default resolver (it *is* the
  system's ``getaddrinfo`` in a thread, and asyncio then tries every address in one attempt);
  TLS connections (the core hands the connected host to TLS as the name to verify and send as
  SNI, so it must stay the name: see compatibility W16).
* ``connectTimeout`` bounds the resolution too (the core's bound starts after the hook).
"""

from __future__ import annotations

import asyncio
import ipaddress
import weakref
from typing import Any, Optional

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IHostResolution, IResolutionReceiver
from zope.interface import implementer

from txredis_aio.connection import ConnectionConfig
from txredis_aio.errors import ConnectError

from . import _reactor

__all__ = ["TwistedResolve", "is_ip_literal", "resolve_with_twisted", "system_resolver"]


def is_ip_literal(host: str) -> bool:
    """Whether ``host`` is an IPv4 or IPv6 address (``fe80::1%eth0`` included)."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def system_resolver(resolver: Any) -> bool:
    """Whether ``resolver`` is Twisted's default, i.e. the system's ``getaddrinfo`` (or
    ``gethostbyname``): asking asyncio gives the same answers."""
    from twisted.internet import _resolver
    from twisted.internet.base import BlockingResolver

    if type(resolver) is _resolver.GAIResolver:
        return getattr(resolver, "_getaddrinfo", None) is _resolver.getaddrinfo
    if type(resolver) is _resolver.SimpleResolverComplexifier:
        return type(getattr(resolver, "_simpleResolver", None)) is BlockingResolver
    return False


@implementer(IResolutionReceiver)
class _Receiver:
    """Collects one resolution's IPv4/IPv6 addresses; ``done`` fires with them."""

    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.done: Deferred = Deferred()

    def resolutionBegan(self, resolution: IHostResolution) -> None:
        pass

    def addressResolved(self, address: Any) -> None:
        if isinstance(address, (IPv4Address, IPv6Address)) and address.host not in self.addresses:
            self.addresses.append(address.host)

    def resolutionComplete(self) -> None:
        if not self.done.called:  # not given up on (timed out) meanwhile
            self.done.callback(self.addresses)


class TwistedResolve:
    """The core's ``ConnectionConfig.resolve`` for one host name (see the module docstring).

    ``ready`` goes in the pool's ``on_ready``: the address a member connected to is the one it
    tries first after that connection is lost.
    """

    def __init__(self, host: str, port: int, timeout: Optional[float] = None) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        # pool member (the Task running its connect loop) -> [index of its last address, worked]
        self._members: weakref.WeakKeyDictionary[asyncio.Task[Any], list[Any]] = (
            weakref.WeakKeyDictionary())

    async def __call__(self) -> tuple[str, int]:
        resolver = _reactor.require_asyncio_reactor().nameResolver
        if system_resolver(resolver):
            return self.host, self.port  # asyncio asks getaddrinfo and tries every address
        addresses = await self.addresses(resolver)
        member = asyncio.current_task()
        state = self._members.get(member) if member is not None else None
        if state is None:
            state = [0, True]
            if member is not None:
                self._members[member] = state
        elif not state[1]:  # the last attempt did not connect: the next address
            state[0] += 1
        state[1] = False
        state[0] %= len(addresses)
        return addresses[state[0]], self.port

    async def addresses(self, resolver: Any) -> list[str]:
        """The host's addresses from ``resolver``, in its order; ``ConnectError`` if none."""
        receiver = _Receiver()
        try:
            resolver.resolveHostName(receiver, self.host, self.port, None, "TCP")
        except Exception as e:
            raise ConnectError(
                f"Redis error: could not connect: DNS lookup of {self.host!r} failed: {e!r}") from e
        fut = receiver.done.asFuture(asyncio.get_running_loop())
        try:
            found: list[str] = await asyncio.wait_for(fut, self.timeout)
        except (asyncio.TimeoutError, TimeoutError):
            raise ConnectError(
                f"Redis error: could not connect: DNS lookup of {self.host!r} timed out after "
                f"{self.timeout} s") from None
        if not found:
            raise ConnectError(
                f"Redis error: could not connect: DNS lookup failed: address {self.host!r} not found")
        return found

    def ready(self, proto: Any) -> None:
        """A pool member is connected (called in its Task): keep its address for reconnects."""
        member = asyncio.current_task()
        state = self._members.get(member) if member is not None else None
        if state is not None:
            state[1] = True


def resolve_with_twisted(config: ConnectionConfig) -> Optional[TwistedResolve]:
    """Give a TCP config the hook that resolves its host through the reactor (the module
    docstring says when it does not); the hook, for the pool's ``on_ready``, or None."""
    host = config.host or "localhost"
    if config.path is not None or config.resolve is not None or config.tls or is_ip_literal(host):
        return None
    hook = TwistedResolve(host, config.port, config.connect_timeout)
    config.resolve = hook
    return hook
