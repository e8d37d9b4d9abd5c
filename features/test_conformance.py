"""Binds the feature files to pytest: one test per scenario.

The shipped areas are the folders beside this file; a user's own folders
come from ``--features-dir`` (``mmsconf run --features DIR``).
"""

from pathlib import Path

from pytest_bdd import scenarios

from mmsconf.fixtures.plugin import EXTRA_FEATURE_DIRS

_HERE = Path(__file__).parent

for _area in sorted(p.name for p in _HERE.iterdir() if p.is_dir() and any(p.glob("*.feature"))):
    scenarios(_area)

for _folder in EXTRA_FEATURE_DIRS:
    scenarios(str(_folder))
