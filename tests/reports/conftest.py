"""Report-writer tests: fixtures only; the sample run is built in tests/support/reports.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mmsconf.reports.model import RunResult, ScenarioResult
from mmsconf.reports.write import write_report
from tests.support.reports import make_big_failure, make_outline_run, make_run


@pytest.fixture
def run() -> RunResult:
    return make_run()


@pytest.fixture
def outline_run() -> RunResult:
    return make_outline_run()


@pytest.fixture
def big_failure() -> Callable[..., ScenarioResult]:
    """``make_big_failure`` (tests/support/reports.py), for tests that take it as a fixture."""
    return make_big_failure


@pytest.fixture
def report(run: RunResult, tmp_path: Path) -> dict[str, Path]:
    return write_report(run, tmp_path / "mmsconf-report")
