"""Binds the shipped feature files to pytest: one test per scenario."""

from pathlib import Path

from pytest_bdd import scenarios

_HERE = Path(__file__).parent

for _area in sorted(p.name for p in _HERE.iterdir() if p.is_dir() and any(p.glob("*.feature"))):
    scenarios(_area)
