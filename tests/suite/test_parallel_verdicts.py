"""The suite on two workers gives the serial verdicts, in one report.

Each case runs ``mmsconf run`` twice in a subprocess with the same seed, once
serially and once with ``-n 2``, and compares: every scenario's verdict (from
junit.xml) is the same, and the parallel run's JUnit, Cucumber and HTML files
are one each, with every scenario exactly once and no worker's leftovers. The
reference runs every area; each shipped baseline runs its own area (what it
must fail is there; the other areas are the reference's, compared above), which
keeps the test's time down.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from mmsconf.fixtures.profile import shipped_profiles

SEED = "11"
#: Every shipped baseline profile.
BASELINES = sorted(name for name in shipped_profiles() if name.startswith("baseline-"))


def _area_of(profile: str) -> str:
    """The area a baseline is the prior art of: baseline-report-routing.toml -> report_routing."""
    return profile.removeprefix("baseline-").removesuffix(".toml").replace("-", "_")


def _run(report: Path, profile: str | None, area: str | None, workers: int | None) -> dict:
    cmd = [sys.executable, "-m", "mmsconf.fixtures.cli", "run", "--report-dir", str(report)]
    cmd += ["--seed", SEED]
    if profile:
        cmd += ["--profile", str(shipped_profiles()[profile])]
    if area:
        cmd += ["--area", area]
    if workers:
        cmd += ["-n", str(workers)]
    proc = subprocess.run([*cmd, "--", "-q"], capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert (report / "junit.xml").is_file(), out[-3000:]
    root = ET.parse(report / "junit.xml").getroot()
    cases = [
        (
            case.get("classname", ""),
            case.get("name", ""),
            next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), "passed"),
        )
        for case in root.iter("testcase")
    ]
    cucumber = [
        (feature["uri"], element["name"])
        for feature in json.loads((report / "cucumber.json").read_text())
        for element in feature["elements"]
        if element.get("type") != "background"
    ]
    html = (report / "index.html").read_text()
    return {
        "code": proc.returncode,
        "out": out,
        "cases": cases,
        "cucumber": cucumber,
        "sections": re.findall(r'<section class="scenario [^"]*" id="([^"]+)"', html),
        "pcaps": sorted(p.name for p in (report / "pcap").glob("*.pcap")),
        "seed_line": re.search(r"^verdicts: .*$", proc.stdout, re.MULTILINE),
        "leftovers": sorted(p.name for p in report.rglob("*") if ".workers" in p.parts),
        "workers": next(
            (p.get("value") for p in root.iter("property") if p.get("name") == "workers"), None
        ),
    }


def _compare(tmp_path: Path, profile: str | None, area: str | None) -> None:
    serial = _run(tmp_path / "serial", profile, area, None)
    two = _run(tmp_path / "two", profile, area, 2)
    assert serial["cases"], serial["out"][-3000:]
    # Every scenario once, in each of the three files.
    keys = [(c, n) for c, n, _v in two["cases"]]
    assert [k for k, n in Counter(keys).items() if n > 1] == [], "a scenario twice in junit"
    assert len(set(two["sections"])) == len(two["sections"]) == len(keys), "HTML"
    assert sorted(two["sections"]) == sorted(serial["sections"]), "HTML"
    assert sorted(two["cucumber"]) == sorted(serial["cucumber"]), "Cucumber"
    # The same verdict for every scenario, and the same exit code.
    assert sorted(two["cases"]) == sorted(serial["cases"]), (
        sorted(set(two["cases"]) ^ set(serial["cases"])),
        two["out"][-3000:],
    )
    assert two["code"] == serial["code"], two["out"][-3000:]
    # One seed for the run, printed.
    assert two["seed_line"] and f"seed {SEED}" in two["seed_line"].group(0), two["out"][-2000:]
    # The pcaps named by the scenarios' ids, so two workers' never clash. (Which scenarios
    # have one may differ: a scenario's trace holds what arrived since the previous one in
    # its process ended, e.g. pool keepalives, and that depends on which ran before it.)
    assert {p.removesuffix(".pcap") for p in two["pcaps"]} <= set(two["sections"])
    assert two["leftovers"] == []
    assert (serial["workers"], two["workers"]) == ("1", "2")


def test_reference_in_parallel_gives_the_serial_verdicts(tmp_path: Path) -> None:
    _compare(tmp_path, None, None)


@pytest.mark.parametrize("profile", BASELINES)
def test_baseline_in_parallel_gives_the_serial_verdicts(tmp_path: Path, profile: str) -> None:
    _compare(tmp_path, profile, _area_of(profile))
