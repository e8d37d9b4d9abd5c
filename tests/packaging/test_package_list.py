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


def test_every_file_a_module_reads_beside_itself_ships() -> None:
    """Data beside the code (a TOML, the Kannel shim's C source) must be in package-data: under
    tox the package is a wheel, and a file left out is only missed there."""
    data = _config()["package-data"]
    for area in (ROOT / "fixtures" / "areas").iterdir():
        if not (area / "__init__.py").is_file():
            continue
        package = "mmsconf.fixtures.areas." + area.name
        for extra in area.iterdir():
            if extra.is_file() and extra.suffix not in (".py", ".pyc"):
                assert extra.name in data.get(package, []), f"{package}: {extra.name} not shipped"
