"""The generic codec properties on MM1 (tests/property/mm1_target.py): round trip exact and
clean in both modes; junk and mutated encodings decode or raise MM1Error naming a field,
never anything else. ``tox -e fuzz`` runs them at 10,000 cases each."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

from hypothesis import given, note
from hypothesis import strategies as st

from mmsconf.emulators.codecs import mm1


def _target() -> ModuleType:
    # Test folders are not packages here: load the target module by path.
    name = "mmsconf_mm1_target"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).with_name("mm1_target.py")
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


T = _target()


def _generic_mutators() -> tuple:
    def flip(rnd: random.Random, body: bytes) -> bytes:
        if not body:
            return body
        i = rnd.randrange(len(body))
        return body[:i] + bytes([body[i] ^ (1 << rnd.randrange(8))]) + body[i + 1 :]

    def truncate(rnd: random.Random, body: bytes) -> bytes:
        return body[: rnd.randrange(len(body) + 1)]

    def insert(rnd: random.Random, body: bytes) -> bytes:
        i = rnd.randrange(len(body) + 1)
        return body[:i] + rnd.randbytes(rnd.randint(1, 8)) + body[i:]

    def delete(rnd: random.Random, body: bytes) -> bytes:
        a = rnd.randrange(len(body) + 1)
        return body[:a] + body[a + rnd.choice((1, 2, 8, 64)) :]

    return (flip, truncate, insert, delete)


MUTATORS = _generic_mutators() + T.MUTATORS


def _decode_or_error(body: bytes, mode: str) -> None:
    try:
        T.decode(body, mode)
    except mm1.MM1Error as err:
        T.check_error(err)


@given(T.messages)
def test_round_trip(message: mm1.Mm1Message) -> None:
    wire = T.encode(message)
    assert T.encode(message) == wire, "encode is not deterministic"
    for mode in T.MODES:
        got, deviations = T.decode(wire, mode)
        assert got == message, mode
        assert list(deviations) == [], mode


@given(T.junk)
def test_junk_never_crashes(body: bytes) -> None:
    for mode in T.MODES:
        _decode_or_error(body, mode)


@given(data=st.data())
def test_mutated_encodings_never_crash(data: st.DataObject) -> None:
    body = T.encode(data.draw(T.messages, label="message"))
    rnd = data.draw(st.randoms(use_true_random=False), label="rnd")
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        mutator = data.draw(st.sampled_from(MUTATORS), label="mutator")
        note(f"mutator: {mutator.__name__}")
        body = mutator(rnd, body)
    for mode in T.MODES:
        _decode_or_error(body, mode)
