"""RedisProtocol's hot-path shortcuts: writing at once when idle, ReplyFuture resuming its
awaiter in place, and caller-supplied futures."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest

from txredis_aio._future import ReplyFuture
from txredis_aio._protocol import RedisProtocol
from txredis_aio._resp import make_decoder, make_encoder
from txredis_aio.errors import ConnectionError, ResponseError


class Transport(asyncio.Transport):
    def __init__(self, proto: RedisProtocol) -> None:
        super().__init__()
        self.proto = proto
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.proto.connection_lost(None)

    def abort(self) -> None:
        self.proto.connection_lost(None)


def make() -> tuple[RedisProtocol, Transport]:
    p = RedisProtocol(make_encoder("utf-8"), make_decoder("utf-8", True))
    t = Transport(p)
    p.connection_made(t)
    return p, t


class Slot:
    """A Future stand-in recording what the protocol does to it (as the Twisted shim's does)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def done(self) -> bool:
        return bool(self.calls)

    def set_result(self, r: Any) -> None:
        self.calls.append(("result", r))

    def set_exception(self, e: BaseException) -> None:
        self.calls.append(("exception", e))


async def test_sequential_commands_are_written_without_waiting_for_the_loop() -> None:
    """A command on a connection with nothing pending is written at once, before any tick."""
    p, t = make()
    f = p.execute(("GET", "a"))
    assert t.writes == [b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n"]
    p.data_received(b"$1\r\nx\r\n")
    assert f.result() == "x"
    p.execute(("GET", "b"))
    assert len(t.writes) == 2  # idle again: the next one goes at once too


async def test_commands_behind_a_pending_one_are_coalesced() -> None:
    """While a reply is awaited, new commands wait for the loop and share one write."""
    p, t = make()
    p.execute(("GET", "a"))
    futs = [p.execute(("INCR", "n")) for _ in range(10)]
    assert len(t.writes) == 1
    await asyncio.sleep(0)
    assert len(t.writes) == 2 and t.writes[1].count(b"INCR") == 10
    p.data_received(b"$1\r\nx\r\n" + b"".join(b":%d\r\n" % i for i in range(10)))
    assert [f.result() for f in futs] == list(range(10))


async def test_leased_connection_keeps_a_burst_in_one_write() -> None:
    """On a leased connection (transaction, pipeline) even the first command waits for the loop,
    so MULTI ... EXEC issued together leave in one write."""
    p, t = make()
    p.leased = True
    for args in (("MULTI",), ("INCR", "n"), ("INCR", "n"), ("EXEC",)):
        p.execute(args)
    assert t.writes == []
    await asyncio.sleep(0)
    assert len(t.writes) == 1 and t.writes[0].count(b"*") == 4


async def test_caller_supplied_future_receives_reply_error_and_loss() -> None:
    """A ``fut=`` object gets the converted reply, a reply error, or the lost-connection error."""
    p, t = make()
    ok, err, lost = Slot(), Slot(), Slot()
    assert p.execute(("GET", "a"), fut=ok) is ok
    p.execute(("INCR", "s"), fut=err)
    p.execute(("GET", "c"), fut=lost)
    p.data_received(b"$2\r\n42\r\n-ERR not an integer\r\n")
    assert ok.calls == [("result", 42)]
    assert err.calls[0][0] == "exception" and isinstance(err.calls[0][1], ResponseError)
    t.close()
    assert lost.calls[0][0] == "exception" and isinstance(lost.calls[0][1], ConnectionError)


async def test_caller_supplied_future_on_a_closed_connection_fails_at_once() -> None:
    """On a closed connection the supplied object fails with "Not connected" and nothing is sent."""
    p, t = make()
    t.close()
    s = Slot()
    p.execute(("GET", "a"), fut=s)
    assert s.calls[0][0] == "exception" and "Not connected" in str(s.calls[0][1])
    assert t.writes == []


# -- ReplyFuture ------------------------------------------------------------------------------

var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")


async def test_awaiting_task_resumes_inside_data_received() -> None:
    """The reply's parse resumes the awaiting Task before data_received returns, so the
    caller's next command is written in the same step (no loop iteration in between)."""
    p, t = make()
    order: list[str] = []

    async def caller() -> None:
        order.append(await p.execute(("GET", "a")))
        p.execute(("GET", "b"))
        order.append("next written")

    def receive() -> None:  # as the loop calls it: outside any Task
        p.data_received(b"$1\r\nx\r\n")
        order.append(f"returned after {len(t.writes)} writes")

    task = asyncio.ensure_future(caller())
    await asyncio.sleep(0)
    assert len(t.writes) == 1
    asyncio.get_running_loop().call_soon(receive)
    await asyncio.sleep(0)
    assert order == ["x", "next written", "returned after 2 writes"]
    p.data_received(b"$1\r\ny\r\n")
    await task


async def test_settled_inside_a_task_keeps_call_soon() -> None:
    """From inside a Task (here: this test) callbacks are scheduled, as asyncio does."""
    loop = asyncio.get_running_loop()
    f = ReplyFuture(loop=loop)
    seen: list[Any] = []
    f.add_done_callback(lambda fut: seen.append(fut.result()))
    f.set_result(1)
    assert seen == []
    await asyncio.sleep(0)
    assert seen == [1]


async def test_callbacks_keep_their_context_and_order() -> None:
    loop = asyncio.get_running_loop()
    f = ReplyFuture(loop=loop)
    seen: list[tuple[int, str]] = []
    var.set("registered")
    f.add_done_callback(lambda fut: seen.append((1, var.get())))
    f.add_done_callback(lambda fut: seen.append((2, var.get())))
    var.set("changed")
    loop.call_soon(f.set_result, None)  # settled by the loop, outside any Task
    await asyncio.sleep(0)
    assert seen == [(1, "registered"), (2, "registered")]


async def test_failing_callback_is_reported_and_the_rest_still_run() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, ctx: reported.append(ctx))
    try:
        f = ReplyFuture(loop=loop)
        seen: list[int] = []
        f.add_done_callback(lambda fut: 1 / 0)
        f.add_done_callback(lambda fut: seen.append(1))
        loop.call_soon(f.set_exception, ValueError("boom"))
        with pytest.raises(ValueError):
            await f
        assert seen == [1]
        assert isinstance(reported[0]["exception"], ZeroDivisionError)
    finally:
        loop.set_exception_handler(None)


async def test_remove_done_callback_and_late_callbacks() -> None:
    loop = asyncio.get_running_loop()
    f = ReplyFuture(loop=loop)
    seen: list[str] = []

    def cb(fut: Any) -> None:
        seen.append("removed one ran")

    f.add_done_callback(cb)
    f.add_done_callback(cb)
    assert f.remove_done_callback(cb) == 2
    assert f.remove_done_callback(cb) == 0
    loop.call_soon(f.set_result, 5)
    assert await f == 5
    f.add_done_callback(lambda fut: seen.append("late"))  # already done: scheduled
    assert seen == []
    await asyncio.sleep(0)
    assert seen == ["late"]


async def test_cancelling_the_awaiting_task_and_wait_for() -> None:
    """A caller's cancel() (from a Task) and wait_for timeouts behave as with any Future; the
    cancelled slot still consumes its reply, so the next caller gets its own."""
    p, t = make()
    task = asyncio.ensure_future(p.execute(("GET", "a")))  # type: ignore[arg-type]
    waiter = asyncio.ensure_future(asyncio.wait_for(p.execute(("GET", "b")), 0.01))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(asyncio.TimeoutError):
        await waiter
    f = p.execute(("GET", "c"))
    p.data_received(b"$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n")
    assert await f == "c"


async def test_gather_of_eager_futures() -> None:
    p, t = make()
    futs = [p.execute(("INCR", "n")) for _ in range(3)]
    assert isinstance(futs[0], ReplyFuture)  # the first, on an idle connection
    g = asyncio.gather(*futs)
    await asyncio.sleep(0)
    p.data_received(b":1\r\n:2\r\n:3\r\n")
    assert await g == [1, 2, 3]


# -- ReplyBatch: an explicit pipeline's one FIFO entry ------------------------------------------


def _batch(p: RedisProtocol, n: int, converts: dict[int, Any] | None = None) -> Any:
    from txredis_aio._batch import ReplyBatch

    b = ReplyBatch(asyncio.get_running_loop(), p._decode)
    b.n = n
    b.converts = converts or {}
    return b


async def test_batch_takes_its_replies_split_anywhere_then_the_next_slot_its_own() -> None:
    p, t = make()
    b = _batch(p, 4, {3: lambda r: r * 2})
    p.execute_batch(bytearray(b"(4 requests)"), b)
    after = p.execute(("GET", "x"))
    assert p.pending == 2 and t.writes[0] == b"(4 requests)"
    wire = b"+OK\r\n-ERR boom\r\n$2\r\nab\r\n:21\r\n$5\r\nafter\r\n"
    for i in range(len(wire)):  # byte by byte
        p.data_received(wire[i : i + 1])
    res = await b.future
    assert res[0] == "OK" and isinstance(res[1], ResponseError) and res[2] == "ab" and res[3] == 42
    assert await after == "after" and p.pending == 0


async def test_connection_lost_mid_batch_fails_the_batch_and_what_follows() -> None:
    p, t = make()
    b = _batch(p, 3)
    p.execute_batch(bytearray(b"x"), b)
    after = p.execute(("GET", "x"))
    p.data_received(b"+OK\r\n")
    assert not b.future.done()
    p.connection_lost(None)
    with pytest.raises(ConnectionError):
        await b.future
    with pytest.raises(ConnectionError):
        await after
    assert b.results == ["OK"]


async def test_batch_on_a_closed_connection_fails_at_once() -> None:
    p, t = make()
    p.connection_lost(None)
    b = _batch(p, 1)
    p.execute_batch(bytearray(b"x"), b)
    with pytest.raises(ConnectionError, match="Not connected"):
        await b.future


# -- BufferedProtocol reads ---------------------------------------------------------------------


def _read_into(p: RedisProtocol, data: bytes) -> None:
    """What asyncio's transport does for a BufferedProtocol: recv_into get_buffer(), then tell."""
    while data:
        buf = p.get_buffer(-1)
        n = min(len(buf), len(data))
        buf[:n] = data[:n]
        p.buffer_updated(n)
        data = data[n:]


async def test_buffered_reads_reuse_one_buffer_and_grow_for_big_replies() -> None:
    p, t = make()
    first = p.get_buffer(-1)
    f = p.execute(("GET", "a"))
    _read_into(p, b"$2\r\nhi\r\n")
    assert await f == "hi" and p.get_buffer(-1) is first  # small replies: the same buffer
    big = b"x" * 300_000
    f = p.execute(("GET", "b"))
    _read_into(p, b"$%d\r\n%s\r\n" % (len(big), big))
    assert await f == big.decode()
    assert len(p.get_buffer(-1)) == 4 * len(first)  # a full read grew it once (to 256 KiB)
    f = p.execute(("GET", "c"))
    _read_into(p, b"$1\r\nz\r\n")
    assert await f == "z"
