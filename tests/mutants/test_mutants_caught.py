"""Detection: for each clause, a deliberately broken gateway the suite must catch.

Each mutant (rr_mutants.py) is the reference with one hook overridden. The
suite runs embedded against it, only the scenarios tagged with the clause it
breaks (``--tags``), and some scenario must fail naming that clause: a FAIL,
not an ERROR, and for the right reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

#: Which scenario catches each mutant (the first to fail naming the clause), for the record.
CAUGHT_BY = {
    "mutant-drops-priority": "Every server of the farm takes the SP's submission",
    "mutant-no-auth-check": "An SP that fails authentication gets a failure response",
    "mutant-msgid2-not-unique": "A group message is split per destination MMSC",
    "mutant-group-not-split": "A group message is split per destination MMSC",
    "mutant-control-per-msgid2": "Each destination of one message comes back with its own state",
    "mutant-reports-at-even-servers-only": "A report landing on a server that did not issue",
    "mutant-msgid2-without-module": "A report landing on a server that did not issue",
    "mutant-no-report-forwarding": "A report landing on a server that did not issue",
    "mutant-reports-with-msgid2": "A report landing on a server that did not issue",
    "mutant-no-duplicate-suppression": "A report sent again because its answer was lost",
    "baseline-last-two-digits": "A group message whose numbers share their last two digits",
}


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


def test_the_suite_catches_the_mutant(mutant: tuple[str, str], mutants_dir: Path, tmp_path: Path):
    name, clause = mutant
    profile = tmp_path / "p.toml"
    # Failing waits are the slow part of a failing run: a shorter report timeout keeps
    # the test quick and changes no verdict (the reference meets it easily).
    profile.write_text(
        f'[profile]\nname = "{name}"\n[report_routing]\ngateway = "{name}"\n'
        "[report_routing.pixit]\nreport_timeout_ms = 3000\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(mutants_dir), *sys.path])}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmsconf.fixtures.cli",
            "run",
            "--profile",
            str(profile),
            "--tags",
            clause,
            "--report-dir",
            str(tmp_path / "r"),
            "--seed",
            "3",
            "--",
            "-q",
            # The first failure is the verdict that matters: stop there (quick), and
            # require that very failure to name the clause.
            "-x",
            "-p",
            "rr_mutants",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    failed = failures(tmp_path / "r")
    caught = [scenario for scenario, named in failed.items() if named == clause]
    assert run.returncode == 1, (run.returncode, failed, run.stderr[-2000:])
    assert "ERROR" not in failed.values(), failed
    assert caught, f"{name} breaks {clause}, but no scenario failed naming it: {failed}"
    assert len(failed) == 1 and caught[0].startswith(CAUGHT_BY[name]), failed
