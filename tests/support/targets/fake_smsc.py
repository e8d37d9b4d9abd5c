"""Kannel's fake SMSC line (codecs/fake_smsc.py) as a fuzz target: what bearerbox writes to
the SMS centre, one line per SMS. No side data. Strategies and line-aware mutators:
``tests/support/strategies/sms.py``.

Named ``fake_smsc`` after the codec module (``-k fake_smsc`` selects it).
"""

from __future__ import annotations

from mmsconf.emulators.codecs import fake_smsc as fs
from tests.support.codec_target import CodecTarget, Wire
from tests.support.strategies import sms as strategies

#: The fields an error may name: the line's parts, and the line itself.
FIELDS = frozenset({"sender", "receiver", "kind", "data", "udh", "route", "dlr-mask", "line"})


def check_line_error(error: Exception) -> None:
    """A FakeSmscError names one of the line's fields and says why."""
    assert isinstance(error, fs.FakeSmscError)
    assert error.field in FIELDS, error
    assert error.reason.strip(), error


def _encode(sms: fs.FakeSms) -> Wire:
    return Wire(fs.encode_line(sms))


def _decode(wire: Wire, mode: str) -> tuple[fs.FakeSms, tuple[str, ...]]:
    sms, deviations = fs.decode_line(wire.body, fs.Mode(mode))
    assert set(deviations) <= set(fs.DEVIATION_CODES), deviations
    return sms, deviations


TARGETS: list[CodecTarget] = [
    CodecTarget(
        name="fake_smsc",
        messages=strategies.LINES,
        encode=_encode,
        decode=_decode,
        error=fs.FakeSmscError,
        modes=("strict", "lenient"),
        junk=strategies.LINE_JUNK,
        mutators=strategies.LINE_MUTATORS,
        check_error=check_line_error,
    ),
]
