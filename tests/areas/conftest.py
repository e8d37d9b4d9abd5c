"""Helpers for the area tests, handed out as fixtures (importlib mode: no
imports from conftest)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

#: The toy area's modules (toy_area, toy_steps) and its feature folder.
TOY = Path(__file__).with_name("toy")


@pytest.fixture
def toy_dir() -> Path:
    return TOY


@pytest.fixture
def mmsconf_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``mmsconf_cli(*args)``: ``mmsconf ARGS`` in a subprocess that can import the toy area."""

    def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        path = os.pathsep.join(p for p in (str(TOY), os.environ.get("PYTHONPATH", "")) if p)
        return subprocess.run(
            [sys.executable, "-m", "mmsconf.fixtures.cli", *args],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": path},
        )

    return run
