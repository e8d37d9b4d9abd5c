"""MM1-only properties, beyond the generic ones every codec target gets
(``test_codec_properties.py`` runs those on ``tests/support/targets/mm1.py``).

* strict and lenient agree: what strict accepts, lenient accepts as the same PDU with
  nothing recorded; what lenient accepts only with deviations, strict refuses, naming the
  header field of one of them; every recorded deviation is a named one
  (``DEVIATION_CODES``) on a named field;
* an MM1Error is an answer: the m-send-conf an MMSC or the router sends back for it (its
  Response-Status, the transaction id of the submission) encodes and decodes exactly.

Inputs are valid PDUs damaged one to three times by the generic and the MM1-aware
mutators. ``tox -e fuzz`` runs them at 10,000 cases each.
"""

from __future__ import annotations

from hypothesis import event, given, note
from hypothesis import strategies as st

from mmsconf.emulators.codecs import mm1
from tests.support.codec_target import BYTE_MUTATORS
from tests.support.strategies import mm1 as strategies
from tests.support.targets.mm1 import check_mm1_error

MUTATORS = BYTE_MUTATORS + strategies.MUTATORS


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A valid PDU damaged one to three times."""
    body = mm1.encode(draw(strategies.messages, label="message"))
    rnd = draw(st.randoms(use_true_random=False), label="rnd")
    for _ in range(draw(st.integers(1, 3), label="mutations")):
        mutator = draw(st.sampled_from(MUTATORS), label="mutator")
        note(f"mutator: {mutator.__name__}")
        body = mutator(rnd, body)
    return body


def _decode(body: bytes, *, lenient: bool) -> mm1.Decoded | mm1.MM1Error:
    try:
        return mm1.decode(body, lenient=lenient)
    except mm1.MM1Error as err:
        check_mm1_error(err)
        return err


@given(damaged())
def test_strict_and_lenient_agree(body: bytes) -> None:
    strict = _decode(body, lenient=False)
    lenient = _decode(body, lenient=True)
    if isinstance(strict, mm1.Decoded):
        event("strict accepts")
        assert strict.deviations == ()
        assert isinstance(lenient, mm1.Decoded), lenient
        assert lenient.message == strict.message
        assert lenient.deviations == ()
        return
    event("both refuse" if isinstance(lenient, mm1.MM1Error) else "lenient only")
    if isinstance(lenient, mm1.Decoded):
        assert lenient.deviations, f"lenient accepts silently what strict refuses: {strict}"
        for deviation in lenient.deviations:
            assert deviation.code in mm1.DEVIATION_CODES, deviation
            assert deviation.field.strip(), deviation
        fields = {d.field for d in lenient.deviations}
        assert strict.field in fields, (strict, lenient.deviations)


@given(damaged())
def test_every_error_has_an_answer(body: bytes) -> None:
    for lenient in (False, True):
        got = _decode(body, lenient=lenient)
        if isinstance(got, mm1.MM1Error):
            answer = mm1.SendConf("t1", response_status=got.status, response_text=got.reason)
            back = mm1.decode(mm1.encode(answer)).message
            assert back == answer
            assert not back.ok
