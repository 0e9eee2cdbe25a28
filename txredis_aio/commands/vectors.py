"""Vector set commands (Redis 8.0+): VADD, VSIM, VEMB, VINFO, VLINKS and friends.

A vector goes out as ``VALUES n f1 ... fn`` from a sequence of numbers, or as ``FP32 <blob>``
from ``bytes`` (little-endian float32, as the server expects) or an ``array.array('f')``
(byte-swapped on big-endian hosts). Scores and embeddings come back as floats whatever
``convertNumbers`` says; element names follow ``charset``/``convertNumbers`` like members of a
sorted set. Every method refuses before sending on a server known to lack vector sets (Valkey).
"""

from __future__ import annotations

import array
import json
import sys
from typing import Any, Mapping, Optional, Union

from ..errors import InvalidData
from ._base import CommandsBase, Raw
from ._replies import labelled_dict, text, to_float
from .lists import side
from .sorted_sets import with_scores

__all__ = ["VectorSetCommands", "vector_args"]

FEATURE = "vector sets (VADD, VSIM, ...)"
QUANTIZATIONS = ("Q8", "BIN", "NOQUANT")


def vector_args(vector: Any) -> list[Any]:
    """``FP32 <blob>`` for bytes / ``array('f')``, else ``VALUES n f1 ...`` from a sequence of numbers."""
    if isinstance(vector, (bytes, bytearray, memoryview)):
        return ["FP32", bytes(vector)]
    if isinstance(vector, array.array) and vector.typecode == "f":
        if sys.byteorder != "little":
            vector = array.array("f", vector)
            vector.byteswap()
        return ["FP32", vector.tobytes()]
    if isinstance(vector, str):
        raise InvalidData("a vector is numbers or an FP32 blob, not a str (ele=True names a member)")
    try:
        values = [float(x) for x in vector]
    except (TypeError, ValueError) as e:
        raise InvalidData(f"a vector is a sequence of numbers or an FP32 blob: {e}") from None
    if not values:
        raise InvalidData("a vector needs at least one value")
    return ["VALUES", len(values), *values]


def _attrs(attrs: Union[Mapping[str, Any], str, bytes]) -> Any:
    """A dict as JSON text; str/bytes as given (the server does not check it is JSON).

    Non-ASCII stays as is (``ensure_ascii=False``): FILTER does not decode ``\\uXXXX`` escapes,
    so ``"\\u00e9"`` would never equal ``"é"`` in an expression.
    """
    return json.dumps(attrs, ensure_ascii=False) if isinstance(attrs, Mapping) else attrs


def _floats(reply: Any) -> Any:
    return [to_float(x) for x in reply] if isinstance(reply, list) else reply


def _raw_embedding(reply: Any) -> Any:
    """VEMB RAW: ``[quantization, blob, l2 norm(, q8 range)]``; the blob stays bytes."""
    if not isinstance(reply, list):
        return reply
    blob = reply[1]
    return [text(reply[0]), bytes(blob) if isinstance(blob, bytearray) else blob,
            *(to_float(x) for x in reply[2:])]


def _scored_links(reply: Any) -> Any:
    return [with_scores(level) for level in reply] if isinstance(reply, list) else reply


def _info(reply: Any) -> Any:
    return labelled_dict(reply) if isinstance(reply, list) else reply


class VectorSetCommands(CommandsBase):
    """VADD, VSIM and friends."""

    def vadd(
        self, key: Any, vector: Any, element: Any, *, reduce: Optional[int] = None, cas: bool = False,
        quantization: Optional[str] = None, ef: Optional[int] = None,
        setattr: Union[Mapping[str, Any], str, bytes, None] = None, m: Optional[int] = None,
    ) -> Any:
        """1 if the element was added, 0 if it existed (its vector updated). https://redis.io/docs/latest/commands/vadd/

        ``vector``: numbers (VALUES) or an FP32 blob / ``array('f')``. ``quantization`` is
        ``"Q8"`` (the default), ``"BIN"`` or ``"NOQUANT"``; ``setattr`` a dict (sent as JSON) or text.
        """
        self._require(FEATURE)
        args: list[Any] = ["VADD", key]
        if reduce is not None:
            args += ["REDUCE", reduce]
        args += [*vector_args(vector), element]
        if cas:
            args.append("CAS")
        if quantization is not None:
            args.append(side("quantization", quantization, QUANTIZATIONS))
        if ef is not None:
            args += ["EF", ef]
        if setattr is not None:
            args += ["SETATTR", _attrs(setattr)]
        if m is not None:
            args += ["M", m]
        return self._execute(*args)

    def vsim(
        self, key: Any, vector_or_element: Any, *, ele: bool = False, withscores: bool = False,
        count: Optional[int] = None, ef: Optional[int] = None, filter: Any = None,
        filter_ef: Optional[int] = None, truth: bool = False, nothread: bool = False,
    ) -> Any:
        """Most similar members first; ``(member, float score)`` tuples with ``withscores``.

        https://redis.io/docs/latest/commands/vsim/ -- ``ele=True``: ``vector_or_element`` is a
        member (ELE), else a vector as for ``vadd``. ``filter`` is an expression over attributes.
        """
        self._require(FEATURE)
        args: list[Any] = ["VSIM", key]
        args += ["ELE", vector_or_element] if ele else vector_args(vector_or_element)
        if withscores:
            args.append("WITHSCORES")
        if count is not None:
            args += ["COUNT", count]
        if ef is not None:
            args += ["EF", ef]
        if filter is not None:
            args += ["FILTER", filter]
        if filter_ef is not None:
            args += ["FILTER-EF", filter_ef]
        if truth:
            args.append("TRUTH")
        if nothread:
            args.append("NOTHREAD")
        return self._execute(*args, convert=with_scores if withscores else None)

    def vcard(self, key: Any) -> Any:
        """Number of elements (0 for a missing key). https://redis.io/docs/latest/commands/vcard/"""
        self._require(FEATURE)
        return self._execute("VCARD", key)

    def vdim(self, key: Any) -> Any:
        """Dimension of the vectors (the reduced one after REDUCE). https://redis.io/docs/latest/commands/vdim/"""
        self._require(FEATURE)
        return self._execute("VDIM", key)

    def vemb(self, key: Any, element: Any, raw: bool = False) -> Any:
        """An element's vector as floats, or None if missing. https://redis.io/docs/latest/commands/vemb/

        ``raw``: ``[quantization (str), blob (bytes), l2 norm (float)]``, plus the Q8 range (float).
        """
        self._require(FEATURE)
        if raw:
            return self._execute("VEMB", key, element, "RAW", convert=Raw(_raw_embedding))
        return self._execute("VEMB", key, element, convert=_floats)

    def vrem(self, key: Any, element: Any) -> Any:
        """1 if the element was removed, 0 if missing. https://redis.io/docs/latest/commands/vrem/"""
        self._require(FEATURE)
        return self._execute("VREM", key, element)

    def vinfo(self, key: Any) -> Any:
        """The set's details as a dict with str labels, or None if missing. https://redis.io/docs/latest/commands/vinfo/"""
        self._require(FEATURE)
        return self._execute("VINFO", key, convert=_info)

    def vgetattr(self, key: Any, element: Any) -> Any:
        """An element's attributes as JSON text, or None. https://redis.io/docs/latest/commands/vgetattr/"""
        self._require(FEATURE)
        return self._execute("VGETATTR", key, element)

    def vsetattr(self, key: Any, element: Any, attrs: Union[Mapping[str, Any], str, bytes]) -> Any:
        """1 if set, 0 if the element is missing (a dict goes as JSON, "" clears).

        https://redis.io/docs/latest/commands/vsetattr/
        """
        self._require(FEATURE)
        return self._execute("VSETATTR", key, element, _attrs(attrs))

    def vrandmember(self, key: Any, count: Optional[int] = None) -> Any:
        """A random member (None if empty), or a list with ``count`` (negative: may repeat).

        https://redis.io/docs/latest/commands/vrandmember/
        """
        self._require(FEATURE)
        if count is None:
            return self._execute("VRANDMEMBER", key)
        return self._execute("VRANDMEMBER", key, count)

    def vismember(self, key: Any, element: Any) -> Any:
        """1 if the element is in the set, else 0 (an int, as RESP2 gives it).

        https://redis.io/docs/latest/commands/vismember/
        """
        self._require(FEATURE)
        return self._execute("VISMEMBER", key, element)

    def vlinks(self, key: Any, element: Any, withscores: bool = False) -> Any:
        """An element's HNSW neighbours, one list per level (None if missing).

        https://redis.io/docs/latest/commands/vlinks/ -- ``withscores``: each level a list of
        ``(member, float score)``.
        """
        self._require(FEATURE)
        if withscores:
            return self._execute("VLINKS", key, element, "WITHSCORES", convert=_scored_links)
        return self._execute("VLINKS", key, element)
