"""Property-based tests: Hypothesis profiles and the generic codec fuzz harness.

Profiles (pick with HYPOTHESIS_PROFILE, default "default"):

* ``default`` - 200 examples a property, derandomized (the same cases every
  run, so CI is reproducible), no deadline. ``tox -e tests`` runs this.
* ``fuzz`` - 10 000 examples a property, random; the seed (MMSCONF_FUZZ_SEED,
  else drawn) is printed in the header and the summary (rerun with
  ``--hypothesis-seed=N``). ``tox -e fuzz``.

The harness: every codec is described once by a ``CodecTarget`` in ``TARGETS``;
the generic properties in ``test_codec_properties.py`` (round trip, junk
never crashes, mutated encodings never crash, errors well formed) are
parametrized over that list. A new codec plugs in with a strategy module next
to this file and one ``CodecTarget(...)`` entry in ``_targets()``.

Test modules are imported with --import-mode=importlib and cannot import this
file or each other: they get what they need from the ``target`` parameter and
the fixtures below.
"""

from __future__ import annotations

import importlib.util
import os
import random
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import hypothesis.core
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from mmsconf.emulators.codecs import mime, mm7

# --------------------------------------------------------------------------- profiles

_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "default",
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=_HEALTH,
)
settings.register_profile(
    "fuzz",
    max_examples=10_000,
    deadline=None,
    derandomize=False,
    database=None,
    print_blob=True,
    suppress_health_check=_HEALTH,
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
settings.load_profile(PROFILE)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Random profiles get a seed chosen here, so the run can be repeated exactly."""
    seed = config.getoption("hypothesis_seed", default=None)
    if seed is None and not settings.default.derandomize:
        seed = os.environ.get("MMSCONF_FUZZ_SEED") or str(random.SystemRandom().randrange(2**32))
        # Read by Hypothesis' own pytest_configure, which runs after this one
        # when this conftest is an initial one (``pytest tests/property``).
        config.option.hypothesis_seed = seed


def _profile_line() -> str:
    s = settings.default
    # The seed Hypothesis really uses: ours is too late when this conftest is
    # only found during collection (``pytest tests``).
    seed = getattr(hypothesis.core, "global_force_seed", None)
    how = (
        "derandomized"
        if s.derandomize
        else f"seed {seed} (rerun: --hypothesis-seed={seed})"
        if seed is not None
        else "random seed"
    )
    return (
        f"hypothesis profile {settings.get_current_profile_name()!r}: "
        f"max_examples={s.max_examples}, deadline={s.deadline}, {how}; "
        f"codec targets: {', '.join(t.name for t in TARGETS)}"
    )


def pytest_report_header(config: pytest.Config) -> str:
    return _profile_line()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    # The header is only printed when this conftest is loaded before the session
    # starts (``pytest tests/property``); the summary line always is.
    terminalreporter.write_line(_profile_line())


# --------------------------------------------------------------------------- harness


@dataclass(frozen=True)
class Wire:
    """An encoding: the bytes, and what travels beside them (headers, configuration)."""

    body: bytes
    meta: Mapping[str, Any] = field(default_factory=dict)


#: A mutator damages a body; randomness comes from a Hypothesis-drawn Random.
Mutator = Callable[[random.Random, bytes], bytes]


def _same(message: Any) -> Any:
    return message


def _no_check(error: Exception) -> None:
    return None


@dataclass(frozen=True)
class CodecTarget:
    """One codec as the generic properties see it.

    ``decode(wire, mode)`` returns ``(message, deviations)`` or raises ``error``;
    ``modes[0]`` is the mode in which ``decode(encode(m))`` is exact and clean.
    ``expected(m)`` is what decoding ``encode(m)`` gives back (identity unless
    the wire form normalises something). ``junk`` / ``junk_meta`` generate
    arbitrary inputs; ``mutators`` are codec-aware damage on top of the
    generic byte mutators; ``check_error`` asserts what every error must carry.
    """

    name: str
    messages: st.SearchStrategy[Any]
    encode: Callable[[Any], Wire]
    decode: Callable[[Wire, str], tuple[Any, Sequence[Any]]]
    error: type[Exception]
    modes: tuple[str, ...] = ("strict",)
    expected: Callable[[Any], Any] = _same
    junk: st.SearchStrategy[bytes] = field(default_factory=lambda: st.binary(max_size=512))
    junk_meta: st.SearchStrategy[Mapping[str, Any]] = field(default_factory=lambda: st.just({}))
    mutators: tuple[Mutator, ...] = ()
    check_error: Callable[[Exception], None] = _no_check

    @property
    def all_mutators(self) -> tuple[Mutator, ...]:
        return BYTE_MUTATORS + self.mutators

    @staticmethod
    def wire(body: bytes, meta: Mapping[str, Any] | None = None) -> Wire:
        return Wire(body, dict(meta or {}))

    def __str__(self) -> str:
        return self.name


def _span(rnd: random.Random, body: bytes) -> tuple[int, int]:
    a = rnd.randrange(len(body) + 1)
    return a, min(len(body), a + rnd.choice((1, 2, 8, 64, 4096)))


def flip_bit(rnd: random.Random, body: bytes) -> bytes:
    if not body:
        return body
    i = rnd.randrange(len(body))
    return body[:i] + bytes([body[i] ^ (1 << rnd.randrange(8))]) + body[i + 1 :]


def truncate(rnd: random.Random, body: bytes) -> bytes:
    return body[: rnd.randrange(len(body) + 1)]


_INSERTS = (
    b"<",
    b">",
    b"&",
    b"]]>",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\r\n",
    b"--",
    b'"',
    b"=",
    b"<!DOCTYPE x>",
    b"<!--",
    b"&#0;",
    b"\xef\xbb\xbf",
)


def insert_bytes(rnd: random.Random, body: bytes) -> bytes:
    i = rnd.randrange(len(body) + 1)
    junk = rnd.choice(_INSERTS) if rnd.random() < 0.6 else rnd.randbytes(rnd.randint(1, 16))
    return body[:i] + junk + body[i:]


def delete_span(rnd: random.Random, body: bytes) -> bytes:
    a, b = _span(rnd, body)
    return body[:a] + body[b:]


def duplicate_span(rnd: random.Random, body: bytes) -> bytes:
    a, b = _span(rnd, body)
    return body[:b] + body[a:b] + body[b:]


def overwrite_span(rnd: random.Random, body: bytes) -> bytes:
    """Copy one stretch of the body over another (moves tags and boundaries around)."""
    a, b = _span(rnd, body)
    at = rnd.randrange(len(body) + 1)
    piece = body[a:b]
    return body[:at] + piece + body[at + len(piece) :]


BYTE_MUTATORS: tuple[Mutator, ...] = (
    flip_bit,
    truncate,
    insert_bytes,
    delete_span,
    duplicate_span,
    overwrite_span,
)


# --------------------------------------------------------------------------- targets


def _load(name: str) -> ModuleType:
    """Import a strategy module that sits next to this file."""
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"mmsconf_property_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


MM7S = _load("mm7_strategies")
MIMES = _load("mime_strategies")


def check_mm7_error(error: Exception) -> None:
    """Every MM7Error names an element and carries a status of the MM7 table."""
    assert isinstance(error, mm7.MM7Error)
    assert isinstance(error.element, str) and error.element.strip(), error
    assert isinstance(error.reason, str) and error.reason.strip(), error
    assert error.status in mm7.STATUS_TEXT, error


def _mm7_encode(message: mm7.MM7Message) -> Wire:
    encoded = mm7.encode(message)
    return Wire(
        encoded.body,
        {
            "content_type": encoded.content_type,
            "soap_action": encoded.soap_action,
            "namespace": message.namespace,
        },
    )


def _mm7_decode(wire: Wire, mode: str) -> tuple[mm7.MM7Message, Sequence[mm7.Deviation]]:
    meta = wire.meta
    config = mm7.CodecConfig(
        namespace=meta.get("namespace", mm7.DEFAULT_NAMESPACE), mode=mm7.Mode(mode)
    )
    decoded = mm7.decode(
        wire.body, meta.get("content_type", ""), soap_action=meta.get("soap_action"), config=config
    )
    return decoded.message, decoded.deviations


def check_mime_error(error: Exception) -> None:
    """Every MimeError names a field and says why."""
    assert isinstance(error, mime.MimeError)
    assert isinstance(error.field, str) and error.field.strip(), error
    assert isinstance(error.reason, str) and error.reason.strip(), error


def _mime_encode(body: Any) -> Wire:
    built = MIMES.build(body)
    return Wire(built.body, {"content_type": built.content_type})


def _mime_decode(wire: Wire, mode: str) -> tuple[Any, Sequence[mime.FramingNote]]:
    return MIMES.read(wire.body, str(wire.meta.get("content_type", "")))


def _targets() -> list[CodecTarget]:
    return [
        CodecTarget(
            name="mm7",
            messages=MM7S.messages(),
            encode=_mm7_encode,
            decode=_mm7_decode,
            error=mm7.MM7Error,
            modes=("strict", "lenient"),
            expected=MM7S.expected,
            junk=MM7S.junk_bodies(),
            junk_meta=st.fixed_dictionaries(
                {
                    "content_type": MM7S.content_types(),
                    "soap_action": MM7S.soap_actions(),
                    "namespace": MM7S.NAMESPACES,
                }
            ),
            mutators=MM7S.MUTATORS,
            check_error=check_mm7_error,
        ),
        CodecTarget(
            name="mime",
            messages=MIMES.bodies(),
            encode=_mime_encode,
            decode=_mime_decode,
            error=mime.MimeError,
            expected=MIMES.expected,
            junk=MIMES.junk_bodies(),
            junk_meta=st.fixed_dictionaries({"content_type": MIMES.junk_content_types}),
            mutators=MIMES.MUTATORS,
            check_error=check_mime_error,
        ),
        # Later codecs (MM4, DNS, PAP, SIP, WSP): one CodecTarget each, here.
        *_load("bc_strategies").targets(CodecTarget, Wire),
    ]


TARGETS: list[CodecTarget] = _targets()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Any test taking ``target`` runs once per registered codec."""
    if "target" in metafunc.fixturenames:
        metafunc.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])


@pytest.fixture(scope="session")
def mm7s() -> ModuleType:
    """The MM7 strategies and mutators (mm7_strategies.py)."""
    return MM7S


@pytest.fixture(scope="session")
def mimes() -> ModuleType:
    """The MIME strategies and mutators (mime_strategies.py)."""
    return MIMES


@pytest.fixture(scope="session")
def mm7_target() -> CodecTarget:
    return next(t for t in TARGETS if t.name == "mm7")


@pytest.fixture(scope="session")
def mm7_error_check() -> Callable[[Exception], None]:
    return check_mm7_error
