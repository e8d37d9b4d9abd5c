"""A codec as the generic fuzz properties see it, and the generic byte mutators.

Every codec is described once by a ``CodecTarget``: how to draw valid
messages, encode them to a ``Wire`` (bytes plus what travels beside them),
decode a ``Wire`` in a mode, and what its errors must carry. The generic
properties (``tests/property/test_codec_properties.py``: round trip, junk and
mutated encodings never crash, errors well formed) run once per target; the
targets live in ``tests/support/targets/``, one module per codec.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

# --------------------------------------------------------------------------- the target


@dataclass(frozen=True)
class Wire:
    """An encoding: the bytes, and what travels beside them (headers, configuration)."""

    body: bytes
    meta: Mapping[str, Any] = field(default_factory=dict)


#: A mutator damages a body; randomness comes from a Hypothesis-drawn Random.
Mutator = Callable[[random.Random, bytes], bytes]


def _same(message: Any) -> Any:
    return message


def _no_check(error: Exception) -> None:
    return None


@dataclass(frozen=True)
class CodecTarget:
    """One codec as the generic properties see it.

    ``decode(wire, mode)`` returns ``(message, deviations)`` or raises ``error``;
    ``modes[0]`` is the mode in which ``decode(encode(m))`` is exact and clean.
    ``expected(m)`` is what decoding ``encode(m)`` gives back (identity unless
    the wire form normalises something). ``junk`` / ``junk_meta`` generate
    arbitrary inputs; ``mutators`` are codec-aware damage on top of the
    generic byte mutators; ``check_error`` asserts what every error must carry.
    """

    name: str
    messages: st.SearchStrategy[Any]
    encode: Callable[[Any], Wire]
    decode: Callable[[Wire, str], tuple[Any, Sequence[Any]]]
    error: type[Exception]
    modes: tuple[str, ...] = ("strict",)
    expected: Callable[[Any], Any] = _same
    junk: st.SearchStrategy[bytes] = field(default_factory=lambda: st.binary(max_size=512))
    junk_meta: st.SearchStrategy[Mapping[str, Any]] = field(default_factory=lambda: st.just({}))
    mutators: tuple[Mutator, ...] = ()
    check_error: Callable[[Exception], None] = _no_check

    @property
    def all_mutators(self) -> tuple[Mutator, ...]:
        return BYTE_MUTATORS + self.mutators

    @staticmethod
    def wire(body: bytes, meta: Mapping[str, Any] | None = None) -> Wire:
        return Wire(body, dict(meta or {}))

    def __str__(self) -> str:
        return self.name


# --------------------------------------------------------------------------- byte mutators


def _span(rnd: random.Random, body: bytes) -> tuple[int, int]:
    a = rnd.randrange(len(body) + 1)
    return a, min(len(body), a + rnd.choice((1, 2, 8, 64, 4096)))


def flip_bit(rnd: random.Random, body: bytes) -> bytes:
    if not body:
        return body
    i = rnd.randrange(len(body))
    return body[:i] + bytes([body[i] ^ (1 << rnd.randrange(8))]) + body[i + 1 :]


def truncate(rnd: random.Random, body: bytes) -> bytes:
    return body[: rnd.randrange(len(body) + 1)]


_INSERTS = (
    b"<",
    b">",
    b"&",
    b"]]>",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\r\n",
    b"--",
    b'"',
    b"=",
    b"<!DOCTYPE x>",
    b"<!--",
    b"&#0;",
    b"\xef\xbb\xbf",
)


def insert_bytes(rnd: random.Random, body: bytes) -> bytes:
    i = rnd.randrange(len(body) + 1)
    junk = rnd.choice(_INSERTS) if rnd.random() < 0.6 else rnd.randbytes(rnd.randint(1, 16))
    return body[:i] + junk + body[i:]


def delete_span(rnd: random.Random, body: bytes) -> bytes:
    a, b = _span(rnd, body)
    return body[:a] + body[b:]


def duplicate_span(rnd: random.Random, body: bytes) -> bytes:
    a, b = _span(rnd, body)
    return body[:b] + body[a:b] + body[b:]


def overwrite_span(rnd: random.Random, body: bytes) -> bytes:
    """Copy one stretch of the body over another (moves tags and boundaries around)."""
    a, b = _span(rnd, body)
    at = rnd.randrange(len(body) + 1)
    piece = body[a:b]
    return body[:at] + piece + body[at + len(piece) :]


BYTE_MUTATORS: tuple[Mutator, ...] = (
    flip_bit,
    truncate,
    insert_bytes,
    delete_span,
    duplicate_span,
    overwrite_span,
)
