"""Reply-shaping helpers of the command mixins: labels, pairs, numbers, error mapping."""

from __future__ import annotations

import asyncio

import pytest

from txredis_aio.commands._replies import label, labelled_dict, map_error, pairs, text, to_float, to_int
from txredis_aio.errors import ResponseError, ScriptDoesNotExist


def test_labels_are_str_whatever_the_decoding() -> None:
    """Server-chosen labels come out as str from bytes, str or number-converted values."""
    assert label(b"length") == "length" and label("length") == "length" and label(12) == "12"
    assert labelled_dict([b"a", 1, b"b", [b"x"]]) == {"a": 1, "b": [b"x"]}
    assert labelled_dict([b"n", [1, 2]], {"n": sum}) == {"n": 3}
    assert labelled_dict(None) == {}


def test_pairs_numbers_and_text() -> None:
    """Flat pairs keep their values; to_int/to_float accept numbers, digits and None."""
    assert pairs([b"f", b"v", 1, 2]) == {b"f": b"v", 1: 2} and pairs(None) == {}
    assert to_int(b"12") == 12 and to_int("7") == 7 and to_int(3) == 3 and to_int(None) is None
    assert to_float(b"1.5") == 1.5 and to_float(2) == 2.0 and to_float(None) is None
    assert text(b"\xffa") == "\ufffda" and text(5) == 5


async def test_map_error_replaces_and_keeps_errors() -> None:
    """map_error swaps an exception when the mapping returns one, keeps it when it returns None."""
    loop = asyncio.get_running_loop()

    def mapping(e: BaseException):
        return ScriptDoesNotExist("mapped") if "NOSCRIPT" in str(e) else None

    inner = loop.create_future()
    outer = map_error(inner, mapping)
    inner.set_exception(ResponseError("NOSCRIPT No matching script"))
    with pytest.raises(ScriptDoesNotExist, match="^mapped$"):
        await outer
    inner = loop.create_future()
    outer = map_error(inner, mapping)
    inner.set_exception(ResponseError("ERR other"))
    with pytest.raises(ResponseError, match="ERR other"):
        await outer
    inner = loop.create_future()
    outer = map_error(inner, mapping)
    inner.set_result(5)
    assert await outer == 5


async def test_map_error_cancellation_flows_both_ways() -> None:
    """Cancelling the outer future cancels the inner one, and an inner cancel cancels the outer."""
    loop = asyncio.get_running_loop()
    inner = loop.create_future()
    outer = map_error(inner, lambda e: None)
    outer.cancel()
    await asyncio.sleep(0)
    assert inner.cancelled()
    inner = loop.create_future()
    outer = map_error(inner, lambda e: None)
    inner.cancel()
    await asyncio.sleep(0)
    assert outer.cancelled()
