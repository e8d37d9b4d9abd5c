"""Generic codec properties, run for every CodecTarget in tests/support/targets/.

* round trip: ``decode(encode(m)) == expected(m)``, exact and without
  deviations in every mode, and ``encode`` is deterministic;
* junk: arbitrary bytes with arbitrary side data decode or raise the codec's
  error, in every mode - never any other exception;
* mutations: valid encodings damaged one to three times (generic byte
  mutators plus the codec's own) decode or raise the codec's error;
* every error the codec raises passes the target's ``check_error``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, note
from hypothesis import strategies as st


def _decode_or_error(target: Any, wire: Any, mode: str) -> tuple[Any, Any] | None:
    """Decode; on the codec's own error, check the error and return None."""
    try:
        return target.decode(wire, mode)
    except target.error as err:
        target.check_error(err)
        return None


@given(data=st.data())
def test_round_trip(target: Any, data: st.DataObject) -> None:
    message = data.draw(target.messages, label="message")
    wire = target.encode(message)
    assert target.encode(message) == wire, "encode is not deterministic"
    want = target.expected(message)
    for mode in target.modes:
        got, deviations = target.decode(wire, mode)
        assert got == want, mode
        assert list(deviations) == [], mode


@given(data=st.data())
def test_junk_never_crashes(target: Any, data: st.DataObject) -> None:
    body = data.draw(target.junk, label="body")
    wire = target.wire(body, data.draw(target.junk_meta, label="meta"))
    for mode in target.modes:
        _decode_or_error(target, wire, mode)


@given(data=st.data())
def test_mutated_encodings_never_crash(target: Any, data: st.DataObject) -> None:
    wire = target.encode(data.draw(target.messages, label="message"))
    rnd = data.draw(st.randoms(use_true_random=False), label="rnd")
    body = wire.body
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        mutator = data.draw(st.sampled_from(target.all_mutators), label="mutator")
        note(f"mutator: {mutator.__name__}")
        body = mutator(rnd, body)
    meta = dict(wire.meta)
    if data.draw(st.booleans(), label="damage side data"):
        junk = data.draw(target.junk_meta, label="junk meta")
        keys = data.draw(st.lists(st.sampled_from(sorted(junk) or [""]), unique=True))
        meta.update({k: junk[k] for k in keys if k in junk})
    for mode in target.modes:
        _decode_or_error(target, target.wire(body, meta), mode)
