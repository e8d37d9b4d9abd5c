"""Detection: for each dr_* clause, a deliberately broken router the suite must catch.

Each mutant (dr_mutants.py) is the reference with one hook overridden. The
suite runs embedded against it, only the scenarios tagged with the clause it
breaks (``--tags``), stopping at the first failure, and that failure must be
a FAIL naming the clause (not an ERROR), in the scenario that is meant to
catch it. The prior art is held to the same.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).parent

#: Which scenario catches each mutant (the first to fail naming the clause).
CAUGHT_BY = {
    "mutant-probes-once": "MMSC A fails while the resolver and the WAP gateway hold",
    "mutant-new-transaction-id": "MMSC A fails while the resolver and the WAP gateway hold",
    "mutant-drops-when-none-healthy": "With every MMSC down each submission gets an MM1 error",
    "mutant-no-retry": "MMSC A fails while the resolver and the WAP gateway hold",
    "mutant-never-rejoins": "MMSC A recovers and takes submissions again",
    "mutant-late-detection": "MMSC A fails while the resolver and the WAP gateway hold",
    "mutant-domain-to-mmsc-b": "A submission goes from the handset through the WAP gateway",
    "baseline-direct": "MMSC A fails while the resolver and the WAP gateway hold",
}


def _mutants() -> ModuleType:
    # Loaded by path: test folders are not packages here. The suite's own run imports it
    # by name through -p, with this folder on PYTHONPATH.
    if "dr_mutants" in sys.modules:
        return sys.modules["dr_mutants"]
    spec = importlib.util.spec_from_file_location("dr_mutants", HERE / "dr_mutants.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["dr_mutants"] = module
    spec.loader.exec_module(module)
    return module


MUTANTS: dict[str, str] = _mutants().MUTANTS


def failures(report: Path) -> dict[str, str]:
    """Failed scenario -> the clause its failure names (errors come back as 'ERROR')."""
    out = {}
    for case in ET.parse(report / "junit.xml").getroot().iter("testcase"):
        for child in case:
            if child.tag == "error":
                out[case.get("name", "")] = "ERROR"
            if child.tag == "failure":
                clause = next(
                    (
                        line.split(":", 1)[1].strip()
                        for line in (child.text or "").splitlines()
                        if line.startswith("clause:")
                    ),
                    "",
                )
                out[case.get("name", "")] = clause
    return out


def test_every_clause_has_a_mutant() -> None:
    from mmsconf.fixtures.areas.disaster_recovery.clauses import CLAUSES

    assert {c.id for c in CLAUSES} <= set(MUTANTS.values())
    assert set(CAUGHT_BY) == set(MUTANTS)


@pytest.mark.parametrize("name", list(MUTANTS))
def test_the_suite_catches_the_mutant(name: str, tmp_path: Path) -> None:
    clause = MUTANTS[name]
    profile = tmp_path / "p.toml"
    # Failing waits are the slow part of a failing run: a shorter detection timer keeps the
    # test quick and changes no verdict (the reference detects in a few probe periods).
    profile.write_text(
        f'[profile]\nname = "{name}"\n[disaster_recovery]\nrouter = "{name}"\n'
        "[disaster_recovery.pixit]\ndetection_timeout_ms = 2500\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmsconf.fixtures.cli",
            "run",
            "--profile",
            str(profile),
            "--area",
            "disaster_recovery",
            "--tags",
            clause,
            "--report-dir",
            str(tmp_path / "r"),
            "--seed",
            "3",
            "--",
            "-q",
            "-x",
            "-p",
            "dr_mutants",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    failed = failures(tmp_path / "r")
    caught = [scenario for scenario, named in failed.items() if named == clause]
    assert run.returncode == 1, (run.returncode, failed, run.stdout[-2000:], run.stderr[-2000:])
    assert "ERROR" not in failed.values(), failed
    assert caught, f"{name} breaks {clause}, but no scenario failed naming it: {failed}"
    assert len(failed) == 1 and caught[0].startswith(CAUGHT_BY[name]), failed
