"""Test helpers live in the tests.support package; conftests hold fixtures and hooks only.

Every conftest.py under tests/ stays within ``LIMIT`` lines, except in the
folders of ``KNOWN_EXCEPTIONS``, whose helpers have not moved to
tests/support/ yet: take a folder off the list once its conftest is small.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
LIMIT = 80
KNOWN_EXCEPTIONS = ("tests/vendor", "tests/faults", "tests/emulators", "tests/suite")


def _excepted(relative: Path) -> bool:
    return any(relative.is_relative_to(folder) for folder in KNOWN_EXCEPTIONS)


def test_conftests_are_small() -> None:
    too_long = {}
    for path in sorted(TESTS.rglob("conftest.py")):
        relative = path.relative_to(ROOT)
        if "__pycache__" in relative.parts or _excepted(relative):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > LIMIT:
            too_long[relative.as_posix()] = lines
    assert not too_long, (
        f"conftest.py over {LIMIT} lines (helpers belong in tests/support/, "
        f"conftests hold fixtures and hooks): {too_long}"
    )


def test_tests_support_is_this_checkout() -> None:
    """``import tests.support`` finds this checkout, whatever else is installed."""
    import tests.support

    assert Path(tests.support.__file__).resolve() == TESTS / "support" / "__init__.py"
