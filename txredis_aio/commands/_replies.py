"""Reply-shaping helpers shared by the command mixins (pure functions, no I/O).

They run on replies that already went through the handler's charset/number conversion, so a
value may be str, bytes, int or float depending on ``charset``/``convertNumbers``. Field
*labels* chosen by the server (``"length"``, ``"name"``...) are always turned into str so a
dict built from them reads the same under every setting.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Optional

__all__ = [
    "label",
    "labelled_dict",
    "map_error",
    "pairs",
    "text",
    "to_float",
    "to_int",
]


def text(x: Any) -> Any:
    """bytes → str (UTF-8, undecodable bytes replaced); other values unchanged."""
    return x.decode("utf-8", "replace") if isinstance(x, (bytes, bytearray)) else x


def label(x: Any) -> Any:
    """A server-chosen field name as str (bytes decoded, numbers turned back into digits)."""
    if isinstance(x, (bytes, bytearray)):
        return x.decode("utf-8", "replace")
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return str(x)
    return x


def to_int(x: Any) -> Any:
    """An int from a reply that may be int, digits as str/bytes, or None (kept)."""
    if x is None or isinstance(x, int):
        return x
    return int(text(x))


def to_float(x: Any) -> Any:
    """A float from a reply that may be a number, a numeric str/bytes, or None (kept)."""
    if x is None or isinstance(x, float):
        return x
    return float(text(x))


def pairs(flat: Any) -> dict:
    """A flat ``[k1, v1, k2, v2...]`` reply as a dict (keys and values as they came)."""
    if flat is None:
        return {}
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


def labelled_dict(flat: Any, nested: Optional[dict[str, Callable[[Any], Any]]] = None) -> dict:
    """A flat key/value reply as a dict with str labels; ``nested[label]`` reshapes a value."""
    out: dict = {}
    if flat is None:
        return out
    for i in range(0, len(flat), 2):
        k = label(flat[i])
        v = flat[i + 1]
        if nested and k in nested:
            v = nested[k](v)
        out[k] = v
    return out


def map_error(
    awaitable: Any, mapping: Callable[[BaseException], Optional[BaseException]]
) -> asyncio.Future:
    """A Future of ``awaitable``'s result whose exception goes through ``mapping`` first.

    ``mapping`` returns the exception to raise instead, or None to keep the original.
    Cancelling the returned Future cancels the inner one (whose reply slot is kept).
    """
    inner = asyncio.ensure_future(awaitable)
    outer: asyncio.Future = inner.get_loop().create_future()

    def done(f: asyncio.Future) -> None:
        if outer.done():
            return
        if f.cancelled():
            outer.cancel()
            return
        exc = f.exception()
        if exc is None:
            outer.set_result(f.result())
        else:
            new = mapping(exc)
            outer.set_exception(new if new is not None else exc)

    def cancel_inner(f: asyncio.Future) -> None:
        if f.cancelled() and not inner.done():
            inner.cancel()

    inner.add_done_callback(done)
    outer.add_done_callback(cancel_inner)
    return outer
