"""One pool member: connects, runs the handshake, reconnects with backoff.

How this works
--------------
A ``ConnectionSlot`` owns at most one live ``RedisProtocol`` and one supervisor Task that loops:
connect (bounded by ``connect_timeout``) → handshake (AUTH, SELECT, CLIENT SETNAME, pipelined)
→ report ready to the pool → wait until the connection is lost → back off → again.
"Lost" is the protocol's ``on_close`` (not the end of a graceful close, which a peer that stopped
reading can hold forever); a closed connection that cannot finish closing is aborted (``_reap``).

States, visible as ``slot.state``: ``connecting`` (an attempt is in flight: commands may wait
for it), ``ready``, ``down`` (waiting out the backoff: commands fail at once with "Not
connected"), ``closed`` (``close()`` was called, or reconnecting is off, or the handshake was
refused for good: a wrong password, an ACL refusal or a bad database number is not retried; a
passing server state such as BUSY, LOADING or "max number of clients reached" is).

The first reconnect after a working connection drops is immediate; after ``n`` failed attempts
in a row the wait is ``min(initialDelay * factor**(n-1), maxDelay)``, jittered, as txredisapi.
A connection counts as working once it stayed up for ``initialDelay``: one dropped sooner (a
server that accepts and then hangs up, e.g. at ``maxclients``) is a failed attempt, so such a
server is not redialled in a tight loop. ``wake()`` cuts the current or next backoff short, and a
young connection closed by an owner that then calls ``wake()`` (Sentinel following a failover)
is not counted as a failure.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional, Union

from ._compat import timeout as _timeout
from ._future import retrieved
from ._protocol import RedisProtocol
from ._resp import PartsEncoder, make_decoder, make_encoder
from ._version import __version__
from .commands._dialects import ServerIdentity
from .errors import (
    AuthenticationError,
    ConnectError,
    HandshakeError,
    NoPermissionError,
    RedisError,
    ResponseError,
)

if TYPE_CHECKING:
    from .pool import Pool

__all__ = ["ConnectionConfig", "ConnectionSlot", "check_dbid", "retry_delay"]

logger = logging.getLogger("txredis_aio")

SSLOption = Union[bool, ssl.SSLContext, Any]

# How long a command waits for an in-flight connect attempt when connectTimeout is None.
DEFAULT_WAIT_FOR_CONNECT = 5.0

# How long a graceful close may take to flush before the connection is aborted.
CLOSE_GRACE = 1.0


def check_dbid(dbid: Any) -> None:
    """Raise ``ValueError`` unless ``dbid`` is None or an int (txredisapi's message)."""
    if dbid is not None and (not isinstance(dbid, int) or isinstance(dbid, bool)):
        raise ValueError(f"Redis dbid must be an integer, not {dbid!r}")


@dataclass
class ConnectionConfig:
    """Everything needed to open and set up one connection."""

    host: Optional[str] = "localhost"
    port: int = 6379
    path: Optional[str] = None
    dbid: Optional[int] = None
    reconnect: bool = True
    charset: Optional[str] = "utf-8"
    password: Optional[str] = field(default=None, repr=False)
    username: Optional[str] = None
    tls: SSLOption = False
    connect_timeout: Optional[float] = None
    reply_timeout: Optional[float] = None
    convert_numbers: bool = True
    client_name: Optional[str] = None
    #: Send CLIENT SETINFO LIB-NAME/LIB-VER at connect (Redis 7.2+ and Valkey show it in CLIENT LIST).
    client_setinfo: bool = True
    lib_name: str = "txredis_aio"
    # The asyncio.Protocol class each connection uses (pub/sub and monitor use subclasses).
    protocol_class: type[RedisProtocol] = field(default=RedisProtocol, repr=False)
    # Topology hooks (Sentinel): ``resolve()`` names the (host, port) of each connect attempt;
    # ``verify(proto)`` runs after the handshake and raises to refuse the node (e.g. not master).
    resolve: Optional[Callable[[], Awaitable[tuple[str, int]]]] = field(default=None, repr=False)
    verify: Optional[Callable[[RedisProtocol], Awaitable[None]]] = field(default=None, repr=False)

    def __post_init__(self) -> None:
        check_dbid(self.dbid)
        self.encode = make_encoder(self.charset)
        self.encode_parts: PartsEncoder = make_encoder(self.charset, parts=True)
        self.decode = make_decoder(self.charset, self.convert_numbers)

    @property
    def address(self) -> str:
        """``host:port`` or the socket path: the node's identity (txredisapi's ``uuid``)."""
        return self.path if self.path is not None else f"{self.host}:{self.port}"

    def ssl_context(self) -> Optional[ssl.SSLContext]:
        """The SSLContext to use, or None for plain TCP."""
        opt = self.tls
        if not opt:
            return None
        if opt is True:
            return ssl.create_default_context()
        if isinstance(opt, ssl.SSLContext):
            return opt
        # Twisted context factories and other providers of getContext() are the shim's business.
        raise TypeError(
            "ssl_context_factory must be True, False or an ssl.SSLContext, "
            f"not {type(opt).__name__}"
        )


# Handshake refusals that retrying cannot cure: credentials, ACL rules, a bad database number.
_FINAL_TEXT = (
    "invalid password",
    "called without any password configured",
    "no password is set",
    "db index is out of range",
    "invalid db index",
    "select is not allowed in cluster mode",
)


def _final_refusal(err: ResponseError) -> bool:
    """Whether a handshake error reply is a configuration refusal (final) or may pass (retry).

    Authentication and ACL refusals and a bad database are final; anything else (BUSY, LOADING,
    "max number of clients reached", ...) is a passing server state and goes through the backoff.
    """
    if isinstance(err, (AuthenticationError, NoPermissionError)):
        return True
    text = str(err).lower()
    return any(t in text for t in _FINAL_TEXT)


def retry_delay(failures: int, initial: float, factor: float, maximum: float, jitter: float) -> float:
    """Backoff before the next attempt after ``failures`` failed attempts in a row."""
    if failures <= 0:
        return 0.0
    delay = min(initial * factor ** min(100, failures - 1), maximum)
    return max(0.0, random.normalvariate(delay, delay * jitter))


def _reap(proto: RedisProtocol) -> None:
    """Make sure a closed connection finishes closing, even if its peer stopped reading.

    A graceful close waits until buffered output is written, forever if the peer reads nothing:
    abort at once when output is buffered or replies are owed (reading has stopped, they can
    only fail), else give the close ``CLOSE_GRACE`` seconds. Aborting a closed one is a no-op.
    """
    transport = proto.transport
    if transport is None:
        return
    if proto.pending or transport.get_write_buffer_size():
        transport.abort()
    else:
        asyncio.get_running_loop().call_later(CLOSE_GRACE, transport.abort)


class ConnectionSlot:
    """A pool member that keeps one connection alive (see module docstring)."""

    def __init__(self, pool: Pool, config: ConnectionConfig) -> None:
        self._pool = pool
        self._config = config
        self.protocol: Optional[RedisProtocol] = None
        self.state = "down"
        self.last_error: Optional[BaseException] = None
        self._wake: Optional[asyncio.Future[None]] = None
        self._gone: Optional[asyncio.Future[None]] = None  # resolved by _lost
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._hurry = False  # wake() came before the backoff started: skip that backoff
        self._task: Optional[asyncio.Task[None]] = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the supervisor task on ``loop``: connect now, and keep reconnecting."""
        self._loop = loop
        self.state = "connecting"
        self._task = loop.create_task(self._run())

    async def _run(self) -> None:
        failures = 0
        pool = self._pool
        while self.state != "closed":
            self.state = "connecting"
            try:
                proto = await self._connect()
            except HandshakeError as e:
                logger.error("txredis_aio: %s: %s (not retrying)", self._config.address, e)
                self.state = "closed"
                pool._slot_failed(self, e, final=True)
                return
            except Exception as e:
                err = e if isinstance(e, ConnectError) else ConnectError(
                    f"Redis error: could not connect: {str(e) or type(e).__name__}"
                )
                failures += 1
                if not self._config.reconnect:
                    self.state = "closed"
                    pool._slot_failed(self, err, final=True)
                    return
                await self._back_off(failures, err)
                continue
            lived = await self._serve(proto)
            if self.state == "closed":
                return
            if lived >= pool.initialDelay:  # it proved itself: reconnect at once
                failures = 0
                continue
            if self._hurry:  # closed by an owner that wants a new connection now (wake())
                self._hurry = False
                continue
            # Dropped right after set-up (e.g. accepted, then refused for maxclients): a failure.
            failures += 1
            await self._back_off(
                failures, ConnectError(f"Redis error: connection lost {lived:.3f} s after it was set up")
            )

    async def _serve(self, proto: RedisProtocol) -> float:
        """Hand ``proto`` to the pool and wait until it is lost; return how long it was up."""
        loop = asyncio.get_running_loop()
        gone = self._gone = loop.create_future()
        self.protocol = proto
        self.state = "ready"
        self._hurry = False
        up_since = loop.time()
        proto.on_close = self._lost
        self._pool._slot_ready(self, proto)
        if proto.closed:  # closed during the ready callbacks
            self._lost(proto)
        # Not wait_closed(): a graceful close can take as long as the peer refuses to read.
        await gone
        return loop.time() - up_since

    async def _back_off(self, failures: int, err: ConnectError) -> None:
        """Report a failed attempt and wait out its backoff ("down": commands fail at once)."""
        pool = self._pool
        self.state = "down"
        pool._slot_failed(self, err, final=False)
        delay = retry_delay(failures, pool.initialDelay, pool.factor, pool.maxDelay, pool.jitter)
        logger.warning("txredis_aio: %s: %s; retrying in %.1f s", self._config.address, err, delay)
        await self._sleep(delay)

    def _lost(self, proto: RedisProtocol) -> None:
        """The live connection closed: leave the pool now; reconnect at once unless stopped."""
        if self.protocol is not proto:
            return
        self.protocol = None
        if self.state != "closed":
            logger.info("txredis_aio: %s: connection lost", self._config.address)
            self.state = "connecting" if self._config.reconnect else "closed"
        self._pool._slot_lost(self, proto)
        gone, self._gone = self._gone, None
        if gone is not None and not gone.done():
            gone.set_result(None)
        if self._loop is not None:
            self._loop.call_soon(_reap, proto)

    async def _sleep(self, delay: float) -> None:
        if delay <= 0 or self._hurry:
            self._hurry = False
            return
        self._wake = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(self._wake), delay)
        except asyncio.TimeoutError:
            pass
        finally:
            self._wake = None

    async def _connect(self) -> RedisProtocol:
        cfg = self._config
        loop = asyncio.get_running_loop()

        def factory() -> RedisProtocol:
            return cfg.protocol_class(cfg.encode_parts, cfg.decode, cfg.reply_timeout)

        host, port = cfg.host, cfg.port
        if cfg.resolve is not None and cfg.path is None:
            host, port = await cfg.resolve()
        try:
            async with _timeout(cfg.connect_timeout):
                if cfg.path is not None:
                    _, proto = await loop.create_unix_connection(factory, cfg.path)
                else:
                    sslctx = cfg.ssl_context()
                    _, proto = await loop.create_connection(
                        factory,
                        host or "localhost",
                        port,
                        ssl=sslctx,
                        server_hostname=host if sslctx is not None else None,
                    )
        except (asyncio.TimeoutError, TimeoutError):
            raise ConnectError(
                f"Redis error: could not connect: timed out after {cfg.connect_timeout} s"
            ) from None
        except (OSError, ssl.SSLError) as e:
            raise ConnectError(f"Redis error: could not connect: {e}") from e
        sock = proto.transport.get_extra_info("socket") if proto.transport else None
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            async with _timeout(cfg.connect_timeout or DEFAULT_WAIT_FOR_CONNECT * 2):
                await self._handshake(proto)
                if cfg.verify is not None:
                    await cfg.verify(proto)
        except BaseException:
            proto.close()
            _reap(proto)
            raise
        return proto

    async def _handshake(self, proto: RedisProtocol) -> None:
        cfg = self._config
        steps: list[tuple[str, asyncio.Future[Any]]] = []
        if cfg.password is not None:
            auth = ("AUTH", cfg.username, cfg.password) if cfg.username else ("AUTH", cfg.password)
            steps.append(("auth", proto.execute(auth, None, False)))
        if cfg.dbid is not None:
            steps.append((f"set dbid={cfg.dbid}", proto.execute(("SELECT", cfg.dbid), None, False)))
        if cfg.client_name is not None:
            steps.append(
                ("set client name", proto.execute(("CLIENT", "SETNAME", cfg.client_name), None, False))
            )
        # Who is calling and who we talk to, in the same write; a server without CLIENT SETINFO
        # (< 7.2) or HELLO (Redis < 6), or an ACL that denies them, is tolerated silently. HELLO
        # goes last: once its reply is in, every handshake reply is (none is left pending).
        if cfg.client_setinfo:
            for attr, value in (("LIB-NAME", cfg.lib_name), ("LIB-VER", __version__)):
                proto.execute(("CLIENT", "SETINFO", attr, value), None, False).add_done_callback(retrieved)
        hello = proto.execute(("HELLO",), None, False)
        hello.add_done_callback(retrieved)
        for what, fut in steps:
            try:
                await fut
            except ResponseError as e:
                cls = HandshakeError if _final_refusal(e) else ConnectError
                raise cls(f"Redis error: could not {what}: {e}") from e
            except RedisError as e:
                raise ConnectError(f"Redis error: could not {what}: {e}") from e
        try:
            proto.server = ServerIdentity.from_hello(await hello)
        except ResponseError:
            proto.server = None  # refused (no HELLO before Redis 6, or denied by ACL): unknown
        except RedisError as e:  # not a Redis server (garbage), or the connection dropped
            raise ConnectError(f"Redis error: could not connect: {type(e).__name__}: {e}") from e

    def wake(self) -> None:
        """Cut the current or next backoff short (the owner needs a connection now)."""
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)
        elif self.state != "ready":
            self._hurry = True

    async def close(self) -> None:
        """Stop reconnecting and close the live connection, if any.

        Returns within about ``CLOSE_GRACE`` seconds even if the peer stopped reading: a connection
        with replies owed or output buffered is aborted at once, any other after that grace.
        """
        self.state = "closed"
        task = self._task
        proto = self.protocol
        if proto is not None:
            proto.close()
            _reap(proto)
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        if proto is not None:
            try:
                async with _timeout(CLOSE_GRACE * 2):
                    await proto.wait_closed()
            except (asyncio.TimeoutError, TimeoutError):  # pragma: no cover - the abort above
                logger.warning("txredis_aio: %s: connection did not close", self._config.address)
