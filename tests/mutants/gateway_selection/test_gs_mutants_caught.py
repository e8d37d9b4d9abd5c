"""Detection: for each gs_* clause, a deliberately broken role the suite must catch.

Each mutant (gs_mutants.py) is the reference with one hook overridden. The
suite runs embedded against it, only the gateway-selection scenarios tagged
with the clause it breaks (``--tags``), and some scenario must fail naming that
clause: a FAIL, not an ERROR, and for the right reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

#: Which scenario catches each mutant (the first to fail naming the clause), for the record.
CAUGHT_BY = {
    "mutant-sp-reuses-answer": "By delay, the gateway with the shortest service delay",
    "mutant-names-status-url": "By delay, the gateway with the shortest service delay",
    "mutant-stops-probing-out": "A gateway that stops answering heartbeats gets no more messages",
    "mutant-longest-delay": "By delay, the gateway with the shortest service delay",
    "mutant-lowest-traffic": "By residual traffic, the gateway with the most room",
    "mutant-lowest-throughput": "By residual throughput, the gateway with the most spare",
    "mutant-first-criterion-only": "A tie on delay, within its tolerance, is broken by residual",
    "mutant-answers-every-name": "A query outside the zone gets REFUSED",
    "mutant-ignores-registrations": "A gateway that joins takes traffic within one heartbeat",
    "mutant-ignores-missed": "A gateway that stops answering heartbeats gets no more messages",
    "mutant-keeps-the-mmsc": "Each forward to the MMSC follows a DNS answer",
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


def test_the_suite_catches_the_mutant(
    gs_mutant: tuple[str, str], gs_mutants_dir: Path, tmp_path: Path
) -> None:
    name, clause = gs_mutant
    profile = tmp_path / "p.toml"
    # A failing wait is the slow part of a failing run: a shorter one changes no verdict
    # (the reference is heard from within a few heartbeat periods).
    profile.write_text(
        f'[profile]\nname = "{name}"\n[gateway_selection]\nselector = "{name}"\n'
        "[gateway_selection.pixit]\nwait_ms = 3000\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(gs_mutants_dir), *sys.path])}
    run = subprocess.run(
        [
            sys.executable, "-m", "mmsconf.fixtures.cli", "run", "--profile", str(profile),
            "--area", "gateway_selection", "--tags", clause,
            "--report-dir", str(tmp_path / "r"), "--seed", "3",
            # The first failure is the verdict that matters: stop there and require it to
            # name the clause.
            "--", "-q", "-x", "-p", "gs_mutants",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )  # fmt: skip
    failed = failures(tmp_path / "r")
    caught = [scenario for scenario, named in failed.items() if named == clause]
    assert run.returncode == 1, (run.returncode, failed, run.stdout[-2000:], run.stderr[-2000:])
    assert "ERROR" not in failed.values(), failed
    assert caught, f"{name} breaks {clause}, but no scenario failed naming it: {failed}"
    assert len(failed) == 1 and caught[0].startswith(CAUGHT_BY[name]), failed
