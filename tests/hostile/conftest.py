"""The ``hostile`` fixture: the battery's parts in one namespace.

The area batteries (MM1, MM4, bearer choice) take the parts as ``hostile.X``;
the parts themselves live in ``tests/support/hostile/``.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import tests.support.hostile as generic
from tests.support.hostile import http, mm7, wire


def _namespace() -> SimpleNamespace:
    parts: dict[str, object] = {}
    for module in (wire, http, mm7, generic):
        parts.update({k: v for k, v in vars(module).items() if not k.startswith("_")})
    parts["run"] = wire.run_battery
    return SimpleNamespace(**parts)


@pytest.fixture
def hostile() -> SimpleNamespace:
    return _namespace()
