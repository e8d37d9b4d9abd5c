"""The MM4 codec (23.140 §8.4 on RFC 5322 and MIME) as a fuzz target.

Strict and lenient modes, no side data (an MM4 message is its bytes: SMTP's
envelope is not the codec's). Every error names a header and a reason, and
its SMTP reply is one printable 554 5.6.0 line. Strategies and MM4-aware
mutators: ``tests/support/strategies/mm4.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from mmsconf.emulators.codecs import mm4
from tests.support.codec_target import CodecTarget, Wire
from tests.support.strategies import mm4 as strategies


def check_mm4_error(error: Exception) -> None:
    """An MM4Error names the header at fault and why; a destination answers it as is."""
    assert isinstance(error, mm4.MM4Error)
    assert error.field.strip() and error.reason.strip(), error
    reply = error.smtp_reply
    assert reply.startswith("554 5.6.0 ") and reply.isascii() and reply.isprintable(), reply


def _encode(message: mm4.Mm4Message) -> Wire:
    return Wire(mm4.encode(message))


def _decode(wire: Wire, mode: str) -> tuple[mm4.Mm4Message, Sequence[mm4.Deviation]]:
    decoded = mm4.decode(wire.body, config=mm4.CodecConfig(mode=mm4.Mode(mode)))
    return decoded.message, decoded.deviations


TARGETS: list[CodecTarget] = [
    CodecTarget(
        name="mm4",
        messages=strategies.messages(),
        encode=_encode,
        decode=_decode,
        error=mm4.MM4Error,
        modes=("strict", "lenient"),
        junk=st.binary(max_size=1024),
        mutators=strategies.MUTATORS,
        check_error=check_mm4_error,
    ),
]
