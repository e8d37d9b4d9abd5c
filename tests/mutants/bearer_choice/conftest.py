"""The mutants' folder goes on the path of the suite runs these tests start, so
``-p bc_mutants`` registers the broken gateways there; here it is read as a file
(importlib mode: test modules cannot import it by name)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).parent


def _load() -> ModuleType:
    if "bc_mutants" in sys.modules:
        return sys.modules["bc_mutants"]
    spec = importlib.util.spec_from_file_location("bc_mutants", HERE / "bc_mutants.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bc_mutants"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def bc_mutants() -> ModuleType:
    return _load()


@pytest.fixture(scope="session")
def bc_mutants_dir() -> Path:
    return HERE


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``bc_mutant`` -> (gateway name, the clause it breaks), one test per broken gateway."""
    if "bc_mutant" in metafunc.fixturenames:
        table = _load().MUTANTS
        metafunc.parametrize(
            "bc_mutant",
            [(name, clause) for name, (_cls, clause) in table.items()],
            ids=list(table),
        )
