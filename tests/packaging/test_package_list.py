"""Every Python package in the source folders ships in the wheel.

The distribution maps the top-level folders into one import root through an
explicit package list; a new subpackage left out of it imports fine from a
checkout and is missing from every installed copy (tox, CI, a vendor's pip
install). This test compares the list with the folders.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _config() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["tool"]["setuptools"]


def test_every_package_folder_is_in_the_package_list() -> None:
    config = _config()
    listed = set(config["packages"])
    found = set()
    for name, folder in config["package-dir"].items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            rel = init.parent.relative_to(base).parts
            found.add(".".join([name, *rel]))
    missing = sorted(found - listed)
    assert not missing, f"packages missing from pyproject.toml: {missing}"
    assert listed - found == set(), f"listed but not on disk: {sorted(listed - found)}"


def test_every_area_defaults_file_ships() -> None:
    config = _config()
    data = config["package-data"]
    for defaults in (ROOT / "fixtures" / "areas").rglob("defaults.toml"):
        package = "mmsconf.fixtures.areas." + defaults.parent.name
        assert "defaults.toml" in data.get(package, []), f"{package}: defaults.toml not shipped"
