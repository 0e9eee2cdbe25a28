"""RESP without I/O: request encoding, the reply reader, and txredisapi's reply conversion.

Nothing here imports asyncio, so it is tested with bytes alone.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Iterable, Optional

import hiredis

from .errors import InvalidArgumentType, InvalidData, InvalidResponse, response_error

__all__ = [
    "Decoder",
    "Encoder",
    "Raw",
    "convert_reply",
    "identity",
    "list_or_args",
    "make_decoder",
    "make_encoder",
    "new_reader",
    "unexpected_reply",
]

Encoder = Callable[[tuple], bytes]
#: ``make_encoder(charset, parts=True)``: a request with a large argument comes as a list of
#: pieces (the protocol copies them once into its kept frame buffer: no fresh joined frame),
#: any other as bytes.
PartsEncoder = Callable[[tuple], "bytes | list[bytes]"]
Decoder = Callable[[Any], Any]

_UTF8_NAMES = frozenset({"utf-8", "utf8", "UTF-8", "UTF8"})
# First bytes that make txredisapi try number conversion: 0-9 + - .
_NUM_FIRST = frozenset(b"0123456789+-.")


class Raw:
    """A reply converter that wants the reply before charset/number conversion (e.g. DUMP)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn


def convert_reply(reply: Any, convert: Any, decode: Decoder) -> Any:
    """One command's reply conversion: ``decode`` (charset/numbers) then ``convert``; a ``Raw``
    converter gets the reply undecoded. (``RedisProtocol.data_received`` inlines this.)"""
    if convert is None:
        return decode(reply)
    if type(convert) is Raw:
        return convert.fn(reply)
    return convert(decode(reply))


def identity(reply: Any) -> Any:
    """A decoder that leaves the reply as it is (for replies already decoded)."""
    return reply


def unexpected_reply(reply: Any) -> InvalidResponse:
    """The error for a reply that arrived with no command waiting (its repr cut to 200
    characters: a stray 1 MiB string must not become a 1 MiB message)."""
    return InvalidResponse(f"Unexpected reply with no command waiting: {reply!r:.200}")


def new_reader() -> hiredis.Reader:
    """A hiredis reader whose error replies are ResponseError values, never raised."""
    return hiredis.Reader(protocolError=InvalidResponse, replyError=response_error)


def _normalise(args: tuple, charset: Optional[str]) -> tuple:
    """Slow path: coerce what hiredis rejects, or raise a typed error naming the argument."""
    out = []
    for i, a in enumerate(args):
        t = type(a)
        if t is bytes or t is int or t is float:
            out.append(a)
        elif isinstance(a, str):
            try:
                out.append(str(a).encode(charset or "utf-8"))
            except UnicodeEncodeError as e:
                raise InvalidData(f"Error encoding unicode value {a!r}: {e}") from None
        elif isinstance(a, bool):
            raise InvalidArgumentType(_bad_arg(args, i, a))
        elif isinstance(a, int):
            out.append(int(a))
        elif isinstance(a, float):
            out.append(float(a))
        elif isinstance(a, (bytes, bytearray, memoryview)):
            out.append(bytes(a))
        else:
            raise InvalidArgumentType(_bad_arg(args, i, a))
    return tuple(out)


def _bad_arg(args: tuple, i: int, a: object) -> str:
    cmd = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
    what = "command name" if i == 0 else f"argument {i}"
    return (
        f"{cmd}: {what} is of type {type(a).__name__}; "
        "expected str, bytes, int or float (convert it first)"
    )


# Arguments at least this long are framed here: hiredis.pack_command copies a large ``bytes``
# argument slowly (about 1.3 ms per MiB, against 25 us for a join).
_BIG = 1 << 16
_SIZED = frozenset((bytes, str, bytearray, memoryview))


def _frame(args: tuple, join: bool) -> Any:
    """RESP-frame normalised arguments (bytes, int, float): one bytes (one copy of each large
    value) or, when not ``join``, the list of pieces (no copy)."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if type(a) is not bytes:
            a = (repr(a) if type(a) is float else str(a)).encode()
        out += (b"$%d\r\n" % len(a), a, b"\r\n")
    return b"".join(out) if join else out


def make_encoder(charset: Optional[str], parts: bool = False) -> Encoder:
    """Return ``encode(args) -> bytes`` for one connection's charset.

    Strings go out in ``charset`` (UTF-8 when None, as txredisapi did); ints as digits, floats as
    ``repr`` (exact); bytes as is. bool, None and other objects raise ``InvalidArgumentType``
    before anything is written. ``parts=True``: see ``PartsEncoder``.
    """
    pack = hiredis.pack_command
    big, sized, join = _BIG, _SIZED, not parts
    if charset is None or charset in _UTF8_NAMES:

        def encode(args: tuple) -> bytes:
            if len(args) > 2:  # only commands with a value can carry a large one
                for a in args:
                    if type(a) in sized and len(a) >= big:
                        return _frame(_normalise(args, None), join)
            try:
                return pack(args)
            except (TypeError, UnicodeEncodeError):
                return pack(_normalise(args, None))

        return encode

    def encode_charset(args: tuple) -> bytes:
        norm = _normalise(args, charset)
        for a in norm:
            if type(a) is bytes and len(a) >= big:
                return _frame(norm, join)
        return pack(norm)

    return encode_charset


def make_decoder(charset: Optional[str], convert_numbers: bool) -> Decoder:
    """Return txredisapi's reply conversion for one connection's settings.

    Every bulk/status string (nested ones included) is first tried as a number when
    ``convert_numbers`` (first char in ``0-9+-.``: ``float`` if it holds a dot, else ``int``),
    then decoded with ``charset``; bytes that do not decode stay bytes.
    """
    num_first = _NUM_FIRST

    def to_number(r: bytes) -> Any:
        try:
            s = r.decode()
            return float(s) if "." in s else int(s)
        except (ValueError, UnicodeDecodeError):
            return None

    if charset is not None:

        def decode(r: Any) -> Any:
            t = type(r)
            if t is bytes or t is bytearray:  # bytearray: a large bulk string read directly
                if convert_numbers and r and r[0] in num_first:
                    n = to_number(r)
                    if n is not None:
                        return n
                try:
                    return r.decode(charset)
                except UnicodeDecodeError:
                    return r if t is bytes else bytes(r)
            if t is list:
                return [decode(x) for x in r]
            return r

    else:

        def decode(r: Any) -> Any:
            t = type(r)
            if t is bytes or t is bytearray:
                if convert_numbers and r and r[0] in num_first:
                    n = to_number(r)
                    if n is not None:
                        return n
                return r if t is bytes else bytes(r)
            if t is list:
                return [decode(x) for x in r]
            return r

    return decode


def list_or_args(command: str, keys: Any, args: Iterable[Any]) -> list:
    """txredisapi's key-list rule: str/bytes is one key, an iterable many; extras deprecated."""
    if isinstance(keys, (str, bytes)):
        keys = [keys]
    else:
        try:
            keys = list(keys)
        except TypeError:
            warnings.warn(
                DeprecationWarning(
                    f"Passing a non-iterable to redis.{command} is deprecated. "
                    "Pass an iterable to ``keys`` instead"
                ),
                stacklevel=3,
            )
            keys = [keys]
    if args:
        warnings.warn(
            DeprecationWarning(
                f"Passing *args to redis.{command} is deprecated. "
                "Pass an iterable to ``keys`` instead"
            ),
            stacklevel=3,
        )
        keys.extend(args)
    return keys
