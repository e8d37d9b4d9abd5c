"""A third party's area, registered from the test tree (tests/areas/toy), runs
through the generic harness: ``mmsconf run --features DIR -- -p toy_area``. Its
network fixture, steps, PICS, typed profile section, clause and emulate role
all plug in; no generic file of mmsconf names it."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mmsconf.emulators.ports import listen_port
from mmsconf.fixtures.loop import LOOP_ENV

GREETS = "The toy echo greets what it hears"
SHOUTS = "The toy echo shouts when the SUT claims it"


def junit(report: Path) -> dict[str, tuple[str, str]]:
    """Scenario name -> (verdict, message) from junit.xml."""
    out = {}
    for case in ET.parse(report / "junit.xml").getroot().iter("testcase"):
        found = [c for c in case if c.tag in ("failure", "error", "skipped")]
        verdict = found[0].tag if found else "passed"
        out[case.get("name", "")] = (verdict, found[0].get("message", "") if found else "")
    return out


def matrix_row(report: Path, clause: str) -> tuple[str | None, str]:
    """The clause's row in the report's area x clause matrix: (its verdict, its HTML)."""
    html = (report / "index.html").read_text(encoding="utf-8")
    row = re.search(rf'<tr [^>]*data-clause="{clause}"[^>]*>.*?</tr>', html, re.S)
    if row is None:
        return None, ""
    verdict = re.search(r'data-verdict="([^"]+)"', row.group(0))
    return (verdict.group(1) if verdict else None), row.group(0)


def test_a_toy_area_runs_through_mmsconf_run(tmp_path: Path, toy_dir: Path, mmsconf_cli) -> None:
    report = tmp_path / "report"
    done = mmsconf_cli(
        "run",
        "--features",
        str(toy_dir / "features"),
        "--tags",
        "toy",
        "--report-dir",
        str(report),
        "--seed",
        "3",
        "--",
        "-q",
        "-p",
        "toy_area",
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    cases = junit(report)
    assert cases[GREETS] == ("passed", "")
    verdict, reason = cases[SHOUTS]
    assert verdict == "skipped" and "does not claim toy.pics.shout" in reason, cases
    assert set(cases) == {GREETS, SHOUTS}  # the shipped scenarios were deselected
    # The toy's clause is in the matrix with its verdict; the shipped areas' clauses
    # are there too, as holes, since none of their scenarios ran.
    verdict, row = matrix_row(report, "toy_echo")
    assert verdict not in (None, "hole") and GREETS in row and SHOUTS in row, row
    assert matrix_row(report, "rr_msgid2")[0] == "hole"
    assert matrix_row(report, "gs_heartbeat")[0] == "hole"


def test_the_toy_profile_section_is_typed_and_claims_its_pics(
    tmp_path: Path, toy_dir: Path, mmsconf_cli
) -> None:
    features = str(toy_dir / "features")
    typo = tmp_path / "typo.toml"
    typo.write_text('[toy]\ngreting = "hi"\n')
    done = mmsconf_cli(
        "-p",
        "toy_area",
        "run",
        "--profile",
        str(typo),
        "--features",
        features,
        "--area",
        "toy",
        "--report-dir",
        str(tmp_path / "r0"),
    )
    assert done.returncode == 3, done.stdout[-2000:]
    assert f'{typo}: unknown key toy.greting; did you mean "greeting"?' in done.stderr
    assert not (tmp_path / "r0").exists()

    shouting = tmp_path / "shouting.toml"
    shouting.write_text("[toy.pics]\nshout = true\n")
    report = tmp_path / "r1"
    done = mmsconf_cli(
        "-p",
        "toy_area",
        "run",
        "--profile",
        str(shouting),
        "--features",
        features,
        "--area",
        "toy",
        "--report-dir",
        str(report),
    )
    cases = junit(report)
    # Claiming the PICS runs the shouting scenario, and the greeting one now fails its clause.
    assert cases[SHOUTS] == ("passed", "")
    assert cases[GREETS][0] == "failure" and "toy_echo" in cases[GREETS][1], cases
    assert done.returncode == 1
    assert matrix_row(report, "toy_echo")[0] == "failed"


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_mmsconf_emulate_runs_the_toy_role(tmp_path: Path, toy_dir: Path, loop: str) -> None:
    """On uvloop where asked for (MMSCONF_LOOP=uvloop, mmsconf[fast]), else the standard loop."""
    import os

    if loop == "uvloop":
        pytest.importorskip("uvloop")
    port = listen_port("127.0.40.1")
    profile = tmp_path / "toy.toml"
    profile.write_text(f'[toy]\nport = {port}\ngreeting = "hi"\n')
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(toy_dir), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop(LOOP_ENV, None)
    if loop == "uvloop":
        env[LOOP_ENV] = "uvloop"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mmsconf.fixtures.cli",
            "-p",
            "toy_area",
            "emulate",
            "toy-echo",
            "--config",
            str(profile),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
        assert lines[1].startswith("ready (toy-echo"), lines
        assert lines[1].rstrip().endswith(f"loop {loop})"), lines
        with socket.create_connection(("127.0.40.1", port), timeout=5) as conn:
            conn.sendall(b"ping\n")
            assert conn.makefile().readline() == "hi ping\n"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert proc.stdout.read().strip().endswith("stopped")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
