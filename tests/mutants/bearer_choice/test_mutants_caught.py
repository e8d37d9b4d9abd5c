"""Detection: for each bc_* clause, deliberately broken push gateways the suite must catch.

Each mutant (bc_mutants.py) is the reference with one hook overridden. The
suite runs embedded against it, only the scenarios tagged with the clause it
breaks (``--tags``), and the first scenario to fail must name that clause: a
FAIL, not an ERROR, and for the right reason. The prior art is checked the
same way: it must fail the send-once scenarios.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType


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


def run(gateway: str, tags: str, folder: Path, tmp_path: Path, *extra: str) -> tuple[int, dict]:
    profile = tmp_path / "p.toml"
    # Failing waits are the slow part of a failing run: shorter harness timers keep the
    # test quick and change no verdict (the reference meets them easily).
    profile.write_text(
        f'[profile]\nname = "{gateway}"\n[bearer_choice]\ngateway = "{gateway}"\n'
        "[bearer_choice.pixit]\noutcome_timeout_ms = 2500\nsip_timeout_ms = 1500\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), *sys.path])}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmsconf.fixtures.cli",
            "run",
            "--profile",
            str(profile),
            "--tags",
            tags,
            "--report-dir",
            str(tmp_path / "r"),
            "--seed",
            "3",
            "--",
            "-q",
            "-p",
            "bc_mutants",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    return done.returncode, failures(tmp_path / "r")


def test_the_suite_catches_the_mutant(
    bc_mutant: tuple[str, str], bc_mutants: ModuleType, bc_mutants_dir: Path, tmp_path: Path
) -> None:
    name, clause = bc_mutant
    # The first failure is the verdict that matters: stop there, and require that very
    # failure to name the clause.
    code, failed = run(name, clause, bc_mutants_dir, tmp_path, "-x")
    assert code == 1, (code, failed)
    assert "ERROR" not in failed.values(), failed
    assert len(failed) == 1, failed
    [(scenario, named)] = failed.items()
    assert named == clause, f"{name} breaks {clause}; the suite named {named} in {scenario}"
    assert scenario.startswith(bc_mutants.CAUGHT_BY[name]), failed


def test_the_prior_art_fails_every_send_once_scenario(bc_mutants_dir: Path, tmp_path: Path):
    code, failed = run(
        "baseline-fixed-bearer",
        "bearer_choice and not bc_via_server or bc_no_retry",
        bc_mutants_dir,
        tmp_path,
    )
    assert code == 1 and "ERROR" not in failed.values(), failed
    for must in (
        "A client registered for SIP push gets one SIP MESSAGE",
        "A client not registered for SIP push gets one WAP push",
        "The initiator prefers SIP and the client cannot take it",
        "A client that went offline while registered for SIP push",
        "200 pushes to clients in mixed states",
    ):
        assert any(s.startswith(must) for s in failed), (must, failed)
