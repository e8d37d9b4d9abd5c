"""The MM4 mutants' folder is put on the path of the suite runs these tests start, so
``-p mp_mutants`` registers the broken relays there; here it is read as a file
(importlib mode: test modules cannot import it by name)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).parent


def _load() -> ModuleType:
    if "mp_mutants" in sys.modules:
        return sys.modules["mp_mutants"]
    spec = importlib.util.spec_from_file_location("mp_mutants", HERE / "mp_mutants.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mp_mutants"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def mp_mutants_dir() -> Path:
    return HERE


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``mp_mutant`` -> (relay name, the clause it breaks, its scenarios' tags)."""
    if "mp_mutant" in metafunc.fixturenames:
        table = _load().MUTANTS
        metafunc.parametrize(
            "mp_mutant",
            [(name, clause, tags) for name, (_cls, clause, tags) in table.items()],
            ids=list(table),
        )
