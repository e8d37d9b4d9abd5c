"""``mutant`` -> each broken push gateway of bc_mutants.py (tests/support/mutants.py)."""

from pathlib import Path

from tests.support.mutants import parametrize_mutants

pytest_generate_tests = parametrize_mutants(Path(__file__).parent, "bc_mutants")
