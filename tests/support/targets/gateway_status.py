"""The gateway status document (codecs/gateway_status.py) as a fuzz target: what the
selector reads from every gateway's status resource each heartbeat. The side data is
the answer's Content-Type. Strategies and JSON-aware mutators:
``tests/support/strategies/gateway_status.py``.

Named ``gateway_status`` after the codec module (``-k gateway_status`` selects it).
"""

from __future__ import annotations

from hypothesis import strategies as st

from mmsconf.emulators.codecs import gateway_status as gs
from tests.support.codec_target import CodecTarget, Wire
from tests.support.strategies import gateway_status as strategies


def check_status_error(error: Exception) -> None:
    """A StatusError names the member (or "body") and says why."""
    assert isinstance(error, gs.StatusError)
    assert error.field.strip() and error.reason.strip(), error


def _encode(status: gs.GatewayStatus) -> Wire:
    return Wire(gs.encode_status(status), {"content_type": gs.CONTENT_TYPE})


def _decode(wire: Wire, mode: str) -> tuple[gs.GatewayStatus, tuple[gs.Deviation, ...]]:
    status = gs.parse_status(wire.body, wire.meta.get("content_type"), gs.Mode(mode))
    return status, status.deviations


TARGETS: list[CodecTarget] = [
    CodecTarget(
        name="gateway_status",
        messages=strategies.STATUS,
        encode=_encode,
        decode=_decode,
        error=gs.StatusError,
        modes=("strict", "lenient"),
        junk=strategies.JUNK,
        junk_meta=st.fixed_dictionaries({"content_type": strategies.JUNK_CONTENT_TYPES}),
        mutators=strategies.MUTATORS,
        check_error=check_status_error,
    ),
]
