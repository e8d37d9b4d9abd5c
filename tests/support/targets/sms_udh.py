"""The SMS user data header (codecs/sms_udh.py) as a fuzz target: the header of every SMS
the centre takes from Kannel (ports 2948/9200, the concatenation of a long push). No side
data, one mode (the codec has no lenient reading). Strategies and header-aware mutators:
``tests/support/strategies/sms.py``.

Named ``sms_udh`` after the codec module (``-k sms_udh`` selects it).
"""

from __future__ import annotations

import re

from mmsconf.emulators.codecs import sms_udh
from tests.support.codec_target import CodecTarget, Wire
from tests.support.strategies import sms as strategies

_FIELD = re.compile(r"UDHL|IE 0x[0-9A-F]{2}")


def check_udh_error(error: Exception) -> None:
    """A UdhError names the UDHL or the element (``IE 0x05``) and says why."""
    assert isinstance(error, sms_udh.UdhError)
    assert _FIELD.fullmatch(error.field), error
    assert error.reason.strip(), error


def _encode(udh: sms_udh.Udh) -> Wire:
    return Wire(sms_udh.encode(udh))


def _decode(wire: Wire, mode: str) -> tuple[sms_udh.Udh, tuple[str, ...]]:
    udh = sms_udh.decode(wire.body)
    # What the centre asks of every header it took: neither may raise.
    _ = (udh.ports, udh.concat)
    return udh, ()


TARGETS: list[CodecTarget] = [
    CodecTarget(
        name="sms_udh",
        messages=strategies.UDHS,
        encode=_encode,
        decode=_decode,
        error=sms_udh.UdhError,
        junk=strategies.UDH_JUNK,
        mutators=strategies.UDH_MUTATORS,
        check_error=check_udh_error,
    ),
]
