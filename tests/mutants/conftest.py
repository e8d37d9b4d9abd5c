"""The mutants' folder is put on the path of the suite runs these tests start, so
``-p rr_mutants`` registers the broken gateways there; here it is read as a file
(importlib mode: test modules cannot import it by name)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).parent


def _load() -> ModuleType:
    if "rr_mutants" in sys.modules:
        return sys.modules["rr_mutants"]
    spec = importlib.util.spec_from_file_location("rr_mutants", HERE / "rr_mutants.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["rr_mutants"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def mutants() -> ModuleType:
    return _load()


@pytest.fixture(scope="session")
def mutants_dir() -> Path:
    return HERE


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``mutant`` -> (gateway name, the clause it breaks), one test per broken gateway."""
    if "mutant" in metafunc.fixturenames:
        table = _load().MUTANTS
        metafunc.parametrize(
            "mutant", [(name, clause) for name, (_cls, clause) in table.items()], ids=list(table)
        )
