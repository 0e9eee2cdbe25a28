"""Pipelines and transactions on a cluster.

How this works
--------------
* ``ClusterPipeline``: each command is checked and encoded at once (bad arguments, keys of
  several slots raise there) and buffered. ``execute_pipeline()`` groups the commands by node
  and hands each group to one shared connection of its node in one step
  (``execute_encoded``: one write, run in call order). Commands whose node has no connection
  right now, keyless and blocking ones take the handler's ordinary path. When all replies are
  in, commands refused with MOVED/ASK/TRYAGAIN/CLUSTERDOWN/LOADING (never run) are retried one
  by one in call order; the replies come back in call order, like ``Pipeline``'s.
* ``ClusterTransaction``: WATCH/MULTI/EXEC need one connection, so one slot. ``multi(keys)``
  and ``watch(keys)`` lease a connection of the keys' primary at once (``begin_transaction``,
  retried after MOVED or an unreachable node: nothing ran yet). ``multi()`` without keys waits
  for the first command with keys; until then commands are buffered and their Futures resolve
  once MULTI is in place. A command whose keys are in another slot raises ``CrossSlotError``
  before anything is sent. Queued commands are never retried: a redirect inside MULTI makes
  EXEC fail with EXECABORT, and nothing ran.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, Any, Optional

from ._resp import list_or_args
from .cluster_nodes import ClusterNode, request_keys, retryable, settle
from .cluster_topology import parse_redirect
from .commands import Commands
from .commands._base import Convert
from .commands._table import is_readonly
from .errors import ClusterDownError, ConnectionError, MovedError, RedisError, ResponseError
from .pipeline import _collect
from .pool import is_blocking_request
from .transaction import Transaction, begin_transaction

if TYPE_CHECKING:
    from .cluster import ClusterHandler

__all__ = ["ClusterPipeline", "ClusterTransaction"]


def _copy(src: Any, dst: asyncio.Future[Any]) -> None:
    """Settle ``dst`` like ``src`` when it is done (errors marked as seen on ``dst``)."""
    asyncio.ensure_future(src).add_done_callback(partial(settle, dst, seen=True))


class ClusterPipeline(Commands):
    """Commands buffered until ``execute_pipeline()`` (see module docstring)."""

    def __init__(self, handler: ClusterHandler) -> None:
        self._handler = handler
        # (args, convert, caller's future, slot or None, encoded request)
        self._queued: list[tuple[tuple, Convert, asyncio.Future[Any], Optional[int], bytes]] = []
        self.pipelining = True

    def __repr__(self) -> str:
        state = "open" if self.pipelining else "sent"
        return f"<ClusterPipeline {state} commands={len(self._queued)}>"

    def __len__(self) -> int:
        return len(self._queued)

    def _execute(self, *args: Any, convert: Convert = None) -> Any:
        h = self._handler
        if not self.pipelining:
            return h._execute(*args, convert=convert)
        keys = request_keys(args)
        slot = h.slot_of_keys(args, keys) if keys else None
        data = h._encode(args)
        fut = h._loop.create_future()
        self._queued.append((args, convert, fut, slot, data))
        return fut

    def execute_pipeline(self, raise_on_error: bool = True) -> asyncio.Future[list[Any]]:
        """Send every buffered command; a Future of their replies in call order.

        Errors as ``Pipeline.execute_pipeline``: the first failed command's error is raised
        (with ``.results`` and ``.index``) unless ``raise_on_error=False``.
        """
        if not self.pipelining:
            raise RedisError("Not currently pipelining commands, please use pipeline() first")
        self.pipelining = False
        queued, self._queued = self._queued, []
        h = self._handler
        loop = h._loop
        if not queued:
            done: asyncio.Future[list[Any]] = loop.create_future()
            done.set_result([])
            return done
        groups: dict[ClusterNode, list[int]] = {}
        alone: list[int] = []
        slots = h._slots
        replicas = h.read_from_replicas
        for i, (args, _, _, slot, _) in enumerate(queued):
            shard = slots[slot] if slot is not None else None
            if shard is None or is_blocking_request(args):
                alone.append(i)
                continue
            node = shard.reader() if replicas and is_readonly(args) else shard.primary
            groups.setdefault(node, []).append(i)
        sent: list[Any] = [None] * len(queued)
        lasts: list[Any] = []  # replies come in order per connection: the last one means all
        for node, idx in groups.items():
            proto = node.pool.pick()
            if proto is None:
                alone.extend(idx)
                continue
            entries = []
            for i in idx:
                f = sent[i] = loop.create_future()
                entries.append((f, queued[i][1], True))
            proto.execute_encoded(b"".join([queued[i][4] for i in idx]), entries)
            lasts.append(entries[-1][0])
        for i in sorted(alone):
            args, convert = queued[i][0], queued[i][1]
            sent[i] = h._execute(*args, convert=convert)
            lasts.append(sent[i])
        return loop.create_task(self._finish(queued, sent, lasts, raise_on_error))

    async def _finish(self, queued: list[Any], sent: list[Any], lasts: list[Any],
                      raise_on_error: bool) -> list[Any]:
        h = self._handler
        try:
            await asyncio.wait(lasts)
            rest = [f for f in sent if not f.done()]
            if rest:  # a connection was lost part-way: its other Futures fail as well, soon
                await asyncio.wait(rest)
            for i, f in enumerate(sent):
                fut = queued[i][2]
                exc = None if f.cancelled() else f.exception()
                if exc is not None and retryable(exc):
                    # Redirected or refused, so never run: retry alone, in call order.
                    args, convert, _, slot, _ = queued[i]
                    f = asyncio.ensure_future(h._run(args, convert, slot, None, exc))
                    await asyncio.wait((f,))
                settle(fut, f, seen=True)
        except asyncio.CancelledError:  # the caller gave up: so do the commands' own Futures
            for q in queued:
                q[2].cancel()
            raise
        return await _collect([q[2] for q in queued], raise_on_error)

    def abandon(self) -> None:
        """Drop the buffered commands unsent (their Futures are cancelled)."""
        self.pipelining = False
        for q in self._queued:
            q[2].cancel()
        self._queued = []


class ClusterTransaction(Commands):
    """WATCH/MULTI/EXEC on the primary of one slot (see module docstring)."""

    def __init__(self, handler: ClusterHandler) -> None:
        self._handler = handler
        self._t: Optional[Transaction] = None
        self._slot: Optional[int] = None
        self._pending: list[tuple[tuple, Convert, asyncio.Future[Any]]] = []
        self._binding: Optional[asyncio.Future[None]] = None
        self._finished = False

    @property
    def inTransaction(self) -> bool:
        """txredisapi's flag: WATCH or MULTI is in effect (or MULTI awaits its first key)."""
        return self._t.inTransaction if self._t is not None else not self._finished

    @property
    def inMulti(self) -> bool:
        """txredisapi's flag: commands are being queued for EXEC."""
        return self._t.inMulti if self._t is not None else not self._finished

    def __repr__(self) -> str:
        return f"<ClusterTransaction slot={self._slot} {self._t!r}>"

    async def begin(self, keys: Any, multi: bool) -> ClusterTransaction:
        """Start: lease and WATCH/MULTI now if ``keys`` are given, else MULTI at the first key."""
        if keys is None:
            if not multi:
                raise RedisError("watch() needs keys")
            return self
        keys = list_or_args("multi" if multi else "watch", keys, ())
        self._slot = self._handler.slot_of_keys(("WATCH", *keys), keys)
        await self._bind(keys, multi)
        return self

    async def _bind(self, watch: Optional[list[Any]], multi: bool) -> None:
        h = self._handler
        tries = redirects = 0
        while True:
            await h._wait_topology()
            node = h._route(self._slot, ("MULTI",), True)
            try:
                if node is None:
                    raise ClusterDownError(f"CLUSTERDOWN Hash slot {self._slot} is not served")
                t = await begin_transaction(node.pool, h._execute, watch, multi=multi)
            except MovedError as e:
                redirects += 1
                if redirects > h.max_redirects:
                    raise
                h._moved(*parse_redirect(str(e)))
                continue
            except (ClusterDownError, ConnectionError) as e:
                tries += 1
                if tries > h.retry_attempts or not (
                    isinstance(e, ClusterDownError) or e.args == ("Not connected",)
                ):
                    raise
                h.refresh()
                await asyncio.sleep(min(h.retry_max, h.retry_base * 2 ** (tries - 1)))
                continue
            break
        self._t = t
        pending, self._pending = self._pending, []
        for args, convert, fut in pending:
            _copy(t._execute(*args, convert=convert), fut)

    def _start_binding(self) -> asyncio.Future[None]:
        if self._binding is None:
            self._binding = self._handler._loop.create_task(self._bind(None, True))
            self._binding.add_done_callback(self._bind_failed)
        return self._binding

    def _bind_failed(self, task: asyncio.Future[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        self._finished = True
        pending, self._pending = self._pending, []
        for _, _, fut in pending:
            if not fut.done():
                fut.set_exception(exc)  # type: ignore[arg-type]
                fut.exception()

    def _execute(self, *args: Any, convert: Convert = None) -> Any:
        h = self._handler
        t = self._t
        active = (t._proto is not None) if t is not None else not self._finished
        if not active:
            return h._execute(*args, convert=convert)
        keys = request_keys(args)
        if keys:
            slot = h.slot_of_keys(args, keys)
            if self._slot is None:
                self._slot = slot
            elif slot != self._slot:
                raise ResponseError(
                    f"CROSSSLOT {keys!r} hash to slot {slot}; this transaction is on slot {self._slot}"
                )
        if t is not None:
            return t._execute(*args, convert=convert)
        h._encode(args)
        fut = h._loop.create_future()
        self._pending.append((args, convert, fut))
        if self._slot is not None:
            self._start_binding()
        return fut

    # -- transaction control, as ``Transaction`` -------------------------------------------------

    def _self_after(self, fut: Any) -> asyncio.Future[ClusterTransaction]:
        out: asyncio.Future[ClusterTransaction] = self._handler._loop.create_future()
        asyncio.ensure_future(fut).add_done_callback(partial(settle, out, transform=lambda _: self))
        return out

    def watch(self, keys: Any) -> Any:
        """WATCH more keys (same slot); resolves with this transaction."""
        if self._t is None:
            raise RedisError("WATCH inside MULTI is not allowed")
        keys = list_or_args("watch", keys, ())
        if self._handler.slot_of_keys(("WATCH", *keys), keys) != self._slot:
            raise ResponseError(f"CROSSSLOT {keys!r}: this transaction is on slot {self._slot}")
        return self._self_after(self._t.watch(keys))

    def multi(self, keys: Any = None) -> Any:
        """MULTI on the watched connection (after WATCHing ``keys``); resolves with this object."""
        if self._t is None:
            return self._self_after(asyncio.sleep(0))
        if keys is not None:
            keys = list_or_args("multi", keys, ())
            if self._handler.slot_of_keys(("WATCH", *keys), keys) != self._slot:
                raise ResponseError(f"CROSSSLOT {keys!r}: this transaction is on slot {self._slot}")
        return self._self_after(self._t.multi(keys))

    def commit(self) -> Any:
        """EXEC (see ``Transaction.commit``); MULTI goes to a random primary if no key was used."""
        if self._t is not None:
            return self._t.commit()
        if self._finished:
            raise RedisError("Not in transaction")
        return self._handler._loop.create_task(self._later("commit"))

    def discard(self) -> Any:
        """DISCARD the queued commands and return the connection."""
        if self._t is not None:
            return self._t.discard()
        if self._finished:
            raise RedisError("Not in transaction")
        if self._binding is None:  # nothing was sent
            self._finished = True
            for _, _, fut in self._pending:
                fut.cancel()
            self._pending = []
            done: asyncio.Future[Any] = self._handler._loop.create_future()
            done.set_result("OK")
            return done
        return self._handler._loop.create_task(self._later("discard"))

    def unwatch(self) -> Any:
        """UNWATCH (ends a watch-only transaction and returns the connection)."""
        if self._t is not None:
            return self._t.unwatch()
        return self._handler._execute("UNWATCH")

    async def _later(self, what: str) -> Any:
        await self._start_binding()
        assert self._t is not None
        return await (self._t.commit() if what == "commit" else self._t.discard())
