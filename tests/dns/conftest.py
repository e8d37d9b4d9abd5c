"""Shared by the DNS base tests: fresh loopback addresses per xdist worker.

Test files are imported with --import-mode=importlib and cannot import this
file: what they share is handed out by fixtures.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable

import pytest

# 127.0.60.0/24 .. 127.0.69.0/24: one block per xdist worker, so workers never meet.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0) % 10
_hosts = itertools.count(1)


@pytest.fixture
def host() -> Callable[[], str]:
    """``host()``: a loopback address no other DNS test in this run has used."""
    return lambda: f"127.0.{60 + _WORKER}.{next(_hosts) % 250 + 1}"
