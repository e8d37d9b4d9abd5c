"""Interop tests talk to real third-party tools. Where a tool is missing they
skip with the reason, except in CI (``CI`` set), where they fail: CI installs
every tool they need."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

import pytest


@pytest.fixture
def require_tool() -> Callable[[str, str], str]:
    def require(name: str, package: str) -> str:
        path = shutil.which(name)
        if path is None:
            message = f"{name} not found (Debian package {package})"
            if os.environ.get("CI"):
                pytest.fail(f"{message}; CI must install it", pytrace=False)
            pytest.skip(message)
        return path

    return require
