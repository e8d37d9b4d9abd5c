"""The MM7 codec (SOAP over HTTP, with or without MIME attachments) as a fuzz target.

Strict and lenient modes; the side data is the Content-Type, the SOAPAction
and the configured namespace. Strategies and MM7-aware mutators:
``tests/support/strategies/mm7.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from mmsconf.emulators.codecs import mm7
from tests.support.codec_target import CodecTarget, Wire
from tests.support.strategies import mm7 as strategies


def check_mm7_error(error: Exception) -> None:
    """Every MM7Error names an element and carries a status of the MM7 table."""
    assert isinstance(error, mm7.MM7Error)
    assert isinstance(error.element, str) and error.element.strip(), error
    assert isinstance(error.reason, str) and error.reason.strip(), error
    assert error.status in mm7.STATUS_TEXT, error


def _encode(message: mm7.MM7Message) -> Wire:
    encoded = mm7.encode(message)
    return Wire(
        encoded.body,
        {
            "content_type": encoded.content_type,
            "soap_action": encoded.soap_action,
            "namespace": message.namespace,
        },
    )


def _decode(wire: Wire, mode: str) -> tuple[mm7.MM7Message, Sequence[mm7.Deviation]]:
    meta = wire.meta
    config = mm7.CodecConfig(
        namespace=meta.get("namespace", mm7.DEFAULT_NAMESPACE), mode=mm7.Mode(mode)
    )
    decoded = mm7.decode(
        wire.body, meta.get("content_type", ""), soap_action=meta.get("soap_action"), config=config
    )
    return decoded.message, decoded.deviations


def _target(name: str, messages: st.SearchStrategy[mm7.MM7Message]) -> CodecTarget:
    return CodecTarget(
        name=name,
        messages=messages,
        encode=_encode,
        decode=_decode,
        error=mm7.MM7Error,
        modes=("strict", "lenient"),
        expected=strategies.expected,
        junk=strategies.junk_bodies(),
        junk_meta=st.fixed_dictionaries(
            {
                "content_type": strategies.content_types(),
                "soap_action": strategies.soap_actions(),
                "namespace": strategies.NAMESPACES,
            }
        ),
        mutators=strategies.MUTATORS,
        check_error=check_mm7_error,
    )


#: "mm7": submit, delivery reports, errors and faults; "mm7-ops": the operations
#: issue 16 added (deliver, cancel, replace, read reply, the REL-6 extended
#: cancel and replace), each in every namespace that defines it.
TARGETS: list[CodecTarget] = [
    _target("mm7", strategies.messages()),
    _target("mm7-ops", strategies.messages(strategies.MORE_OPERATIONS)),
]
