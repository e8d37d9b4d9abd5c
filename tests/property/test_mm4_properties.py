"""MM4-only properties, beside the generic ones every codec target gets.

The round trip, junk and damaged encodings, and well-formed errors run for
the ``mm4`` target in test_codec_properties.py (``-k mm4``;
tests/support/targets/mm4.py). What they do not look at, and MM4 needs:

* what strict mode accepts, lenient mode accepts as the same message (a
  destination in strict mode never refuses what a lenient relay would read
  differently);
* a deviation lenient mode records is one of DEVIATION_CODES (the report
  names it from that table).

``tox -e fuzz`` runs it at 10,000 cases a property (HYPOTHESIS_PROFILE=fuzz).
"""

from __future__ import annotations

from hypothesis import given, note
from hypothesis import strategies as st

from mmsconf.emulators.codecs import mm4
from tests.support.codec_target import BYTE_MUTATORS
from tests.support.strategies import mm4 as strategies
from tests.support.targets.mm4 import check_mm4_error

STRICT = mm4.CodecConfig()
LENIENT = mm4.CodecConfig(mode=mm4.Mode.LENIENT)
MUTATORS = BYTE_MUTATORS + strategies.MUTATORS


def _decode_or_none(raw: bytes, config: mm4.CodecConfig) -> mm4.Decoded | None:
    try:
        decoded = mm4.decode(raw, config=config)
    except mm4.MM4Error as err:
        check_mm4_error(err)
        return None
    assert all(d.code in mm4.DEVIATION_CODES for d in decoded.deviations), decoded.deviations
    return decoded


@given(st.binary(max_size=1024))
def test_deviations_of_junk_are_named(body: bytes) -> None:
    _decode_or_none(body, LENIENT)


@given(st.data())
def test_lenient_reads_what_strict_takes_as_the_same_message(data: st.DataObject) -> None:
    raw = mm4.encode(data.draw(strategies.messages(), label="message"))
    rnd = data.draw(st.randoms(use_true_random=False), label="rnd")
    for _ in range(data.draw(st.integers(1, 3), label="damages")):
        mutator = data.draw(st.sampled_from(MUTATORS), label="mutator")
        note(f"mutator: {mutator.__name__}")
        raw = mutator(rnd, raw)
    note(repr(raw[:300]))
    strict = _decode_or_none(raw, STRICT)
    lenient = _decode_or_none(raw, LENIENT)
    if strict is not None:
        assert lenient is not None and lenient.message == strict.message
