"""Property tests: hooks and fixtures only; what they hand out lives in tests/support/.

* Hypothesis profiles (``default``, ``fuzz``) and the printed seed:
  ``tests/support/hypothesis_profiles.py``.
* The codec targets: ``tests/support/targets/``, one module per codec, found
  by ``all_targets()``. Every test taking ``target`` runs once per target.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from tests.support import hypothesis_profiles
from tests.support.codec_target import CodecTarget
from tests.support.strategies import mime as mime_strategies
from tests.support.strategies import mm7 as mm7_strategies
from tests.support.targets import all_targets
from tests.support.targets.mm7 import check_mm7_error

TARGETS = all_targets()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    hypothesis_profiles.choose_seed(config)


def pytest_report_header(config: pytest.Config) -> str:
    return hypothesis_profiles.profile_line(TARGETS)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    # The header is only printed when this conftest is loaded before the session
    # starts (``pytest tests/property``); the summary line always is.
    terminalreporter.write_line(hypothesis_profiles.profile_line(TARGETS))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        metafunc.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])


@pytest.fixture(scope="session")
def mm7s() -> ModuleType:
    return mm7_strategies


@pytest.fixture(scope="session")
def mimes() -> ModuleType:
    return mime_strategies


@pytest.fixture(scope="session")
def mm7_target() -> CodecTarget:
    return next(t for t in TARGETS if t.name == "mm7")


@pytest.fixture(scope="session")
def mm7_error_check() -> Callable[[Exception], None]:
    return check_mm7_error
