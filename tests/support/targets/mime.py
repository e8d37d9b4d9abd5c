"""MIME multipart bodies (codecs/mime.py) as a fuzz target.

A message is a ``Body`` (subtype, parts, the root of multipart/related); the
side data is the Content-Type header value. Strategies and MIME-aware
mutators: ``tests/support/strategies/mime.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from mmsconf.emulators.codecs import mime
from tests.support.codec_target import CodecTarget, Wire
from tests.support.strategies import mime as strategies


def check_mime_error(error: Exception) -> None:
    """Every MimeError names a field and says why."""
    assert isinstance(error, mime.MimeError)
    assert isinstance(error.field, str) and error.field.strip(), error
    assert isinstance(error.reason, str) and error.reason.strip(), error


def _encode(body: Any) -> Wire:
    built = strategies.build(body)
    return Wire(built.body, {"content_type": built.content_type})


def _decode(wire: Wire, mode: str) -> tuple[Any, Sequence[mime.FramingNote]]:
    return strategies.read(wire.body, str(wire.meta.get("content_type", "")))


TARGETS: list[CodecTarget] = [
    CodecTarget(
        name="mime",
        messages=strategies.bodies(),
        encode=_encode,
        decode=_decode,
        error=mime.MimeError,
        expected=strategies.expected,
        junk=strategies.junk_bodies(),
        junk_meta=st.fixed_dictionaries({"content_type": strategies.junk_content_types}),
        mutators=strategies.MUTATORS,
        check_error=check_mime_error,
    ),
]
