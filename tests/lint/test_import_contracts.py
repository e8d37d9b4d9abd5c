"""The import contracts hold, and they catch an uphill import.

import-linter reads real package folders; the editable install maps the
top-level folders into ``mmsconf`` in a way its graph builder cannot walk.
So the test lays the folders out as ``mmsconf/<folder>`` in a temporary
directory (copies, so one can be broken on purpose) and runs
``lint-imports`` there with the project's own contracts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("emulators", "fixtures", "reports", "steps", "features")


def _tree(tmp: Path) -> Path:
    top = tmp / "src" / "mmsconf"
    top.mkdir(parents=True)
    # A regular package on PYTHONPATH wins over the installed namespace
    # portions, so grimp walks these copies and not site-packages (tox
    # installs mmsconf as a wheel).
    (top / "__init__.py").write_text("", encoding="utf-8")
    for name in PACKAGES:
        shutil.copytree(
            ROOT / name, top / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp / "pyproject.toml")
    return top


def _lint(tmp: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(exe).exists():
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    env = {**os.environ, "PYTHONPATH": str(tmp / "src")}
    return subprocess.run(
        [exe, "--config", str(tmp / "pyproject.toml"), "--no-cache"],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_contracts_hold(tmp_path: Path) -> None:
    _tree(tmp_path)
    done = _lint(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "broken" in done.stdout and "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "uphill"),
    [
        ("emulators/sp.py", "from mmsconf.fixtures import verdicts as _uphill"),
        ("reports/html.py", "from mmsconf.fixtures import loop as _uphill"),
        ("emulators/codecs/mm7/types.py", "from mmsconf.emulators import service as _uphill"),
    ],
)
def test_an_uphill_import_breaks_lint(tmp_path: Path, module: str, uphill: str) -> None:
    top = _tree(tmp_path)
    target = top / module
    text = target.read_text(encoding="utf-8")
    # After the module docstring and the __future__ import, where an import belongs.
    head, sep, tail = text.partition("from __future__ import annotations\n")
    assert sep, f"{module} has no __future__ import to anchor on"
    target.write_text(head + sep + uphill + "\n" + tail, encoding="utf-8")
    done = _lint(tmp_path)
    assert done.returncode != 0, done.stdout
    assert "BROKEN" in done.stdout
