"""Fixtures of the MM4 pool's emulator tests; the network builder is
``tests/support/mm4_net.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mmsconf.emulators.retry import RetryPolicy
from tests.support.mm4_net import SHORT_EXPIRY, build


@pytest.fixture
def mm4net() -> Callable[..., Any]:
    return build


@pytest.fixture
def short_expiry() -> RetryPolicy:
    return SHORT_EXPIRY
