"""Detection: for each mp_* clause, deliberately broken relays the suite must catch.

Each mutant (mp_mutants.py) is the reference relay with one hook overridden.
The suite runs embedded against it, only the scenarios its tags select, and
a scenario must fail naming the clause it breaks: a FAIL, not an ERROR.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

#: The scenario that catches each mutant (the first to fail naming its clause), for the record.
CAUGHT_BY = {
    "mutant-pool-max-ignored": "A burst is carried on a bounded number of reused connections",
    "mutant-broken-not-replaced": "A connection cut during DATA is replaced",
    "mutant-one-message-pool": "The relay keeps one message pool per destination",
    "mutant-one-dispatch-line": "A slow destination does not hold the others back",
    "mutant-connects-on-demand": "The sub-pools' connections are open before the first message",
    "mutant-connection-per-message": "A burst is carried on a bounded number of reused connections",
    "mutant-no-retry-after-cut": "A connection cut during DATA is replaced",
    "mutant-swallows-forward-res": "300 messages to three destinations all arrive",
    "mutant-dead-letters-unreported": "A destination down past the expiry",
    "baseline-per-message": "A slow destination does not hold the others back",
}


TIMERS = {"arrival_timeout_ms": 10_000}
#: A mutant that is slow but loses nothing gets the time to show its real fault (a
#: connection per message is slow on a loaded machine: its messages must not expire).
SLOW = {"mutant-connection-per-message": {"arrival_timeout_ms": 40_000, "expiry_ms": 40_000}}


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
    mp_mutant: tuple[str, str, str], mp_mutants_dir: Path, tmp_path: Path
) -> None:
    name, clause, tags = mp_mutant
    profile = tmp_path / "p.toml"
    # Failing waits are the slow part of a failing run: shorter harness timers keep the
    # test quick and change no verdict (the reference meets them easily). The embedded
    # relay is thrown away with the run: no need to listen long after the last scenario.
    profile.write_text(
        f'[profile]\nname = "{name}"\n[mm4_pool]\nrelay = "{name}"\n'
        "[mm4_pool.pixit]\npreestablish_timeout_ms = 3000\nretry_horizon_ms = 300\n"
        + "".join(f"{k} = {v}\n" for k, v in {**TIMERS, **SLOW.get(name, {})}.items()),
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(mp_mutants_dir), *sys.path])}
    run = subprocess.run(
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
            # The first failure is the verdict that matters: stop there (quick), and
            # require that very failure to name the clause.
            "-x",
            "-p",
            "mp_mutants",
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
