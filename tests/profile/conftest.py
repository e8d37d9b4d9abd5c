"""Helpers for the profile tests, handed out as fixtures (importlib mode: no
imports from conftest)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """``write(text, name="sut.toml")``: a profile file in this test's folder."""

    def make(text: str, name: str = "sut.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return make


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli(*args, cwd=None)``: ``mmsconf ARGS`` in a subprocess, as a user runs it."""

    def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mmsconf.fixtures.cli", *args],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=cwd,
        )

    return run
