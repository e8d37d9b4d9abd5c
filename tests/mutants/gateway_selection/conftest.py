"""The gateway-selection mutants' folder is put on the path of the suite runs these tests
start, so ``-p gs_mutants`` registers the broken roles there; here it is read as a file
(importlib mode: test modules cannot import it by name)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).parent


def _load() -> ModuleType:
    if "gs_mutants" in sys.modules:
        return sys.modules["gs_mutants"]
    spec = importlib.util.spec_from_file_location("gs_mutants", HERE / "gs_mutants.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gs_mutants"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def gs_mutants_dir() -> Path:
    return HERE


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``gs_mutant`` -> (name, the clause it breaks), one test per mutant."""
    if "gs_mutant" in metafunc.fixturenames:
        table = _load().MUTANTS
        metafunc.parametrize(
            "gs_mutant", [(n, clause) for n, (_c, clause) in table.items()], ids=list(table)
        )
