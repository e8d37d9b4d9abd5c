"""MM1 (the OMA MMS encapsulation: m-send-req, m-send-conf, m-notification-ind, on the WSP
primitives) as a fuzz target.

Strict and lenient modes; no side data (the PDU is the whole HTTP body). Strategies, junk
that looks like MM1 and MM1-aware mutators: ``tests/support/strategies/mm1.py``. The
MM1-only properties (strict and lenient agree) are in ``tests/property/test_mm1_fuzz.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from mmsconf.emulators.codecs import mm1
from tests.support.codec_target import CodecTarget, Wire
from tests.support.strategies import mm1 as strategies


def check_mm1_error(error: Exception) -> None:
    """Every MM1Error names a header field, says why, and carries a Response-Status."""
    assert isinstance(error, mm1.MM1Error)
    assert isinstance(error.field, str) and error.field.strip(), error
    assert isinstance(error.reason, str) and error.reason.strip(), error
    assert error.status in {int(s) for s in mm1.Status}, error


def decode(wire: Wire, mode: str) -> tuple[mm1.Mm1Message, Sequence[mm1.Deviation]]:
    """Decode an MM1 PDU in ``mode`` ("strict" or "lenient")."""
    got = mm1.decode(wire.body, lenient=mode == "lenient")
    return got.message, got.deviations


TARGETS: list[CodecTarget] = [
    CodecTarget(
        name="mm1",
        messages=strategies.messages,
        encode=lambda message: Wire(mm1.encode(message)),
        decode=decode,
        error=mm1.MM1Error,
        modes=("strict", "lenient"),
        junk=strategies.junk,
        mutators=strategies.MUTATORS,
        check_error=check_mm1_error,
    ),
]
