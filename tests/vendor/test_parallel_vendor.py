"""``mmsconf run -n 2`` against an external SUT: the reference and the baseline farm as
their own long-running processes, judged through a profile that pins the harness's
addresses (the farm only takes submissions from the profile's SP address and sends
reports to its pinned SP and MMSC ports), first serially, then on two workers.

The parallel run must give the serial verdicts in one report, keep every scenario of
the farm's network (report_routing, and wire, which runs in report_routing's network)
in one worker, and move no address: the farm's own log names the address of every
message it saw.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

SEED = "21"
#: wire runs in report_routing's network: against the same external farm.
AREAS = ("--area", "report_routing", "--area", "wire")
EVENNESS = "A group message whose numbers share their last two digits spreads evenly over the farm"
SCALE_OUT = "A server added while running takes submissions at once and its reports route correctly"
#: pytest -v under xdist: "[gw1] [ 41%] PASSED features/test_conformance.py::test_x[...]".
WORKER_LINE = re.compile(r"^\[(gw\d+)\] \[\s*\d+%\] ([A-Z]+) (.+?)\s*$")
#: The farm's log: "   12.3 ms  127.0.10.1 -> MMSG-180  MM7 SubmitReq tid=T-sp001-u3em1001-...".
FARM_LINE = re.compile(r"^\s*[\d.]+ ms  (\S+) -> (\S+)  (.*)$")
#: A submission's transaction id carries the run tag (five base-36 characters) of the
#: process that ran its scenario: the serial run's, or one worker's.
SP_SUBMISSION = re.compile(r"^MM7 SubmitReq tid=T-[^-]+-([0-9a-z]{5})\d+-")


def _run(vendor, profile: Path, report: Path, *options: str):
    result = vendor.run_cli(
        "run", "--profile", str(profile), *AREAS, "--report-dir", str(report),
        "--seed", SEED, *options, "--", "-v",
    )  # fmt: skip
    assert (report / "junit.xml").is_file(), result.stdout[-3000:] + result.stderr[-2000:]
    return result, vendor.verdict_table(report)


def _serial_then_two_workers(tmp_path: Path, farm, vendor, profile: Path):
    """Both runs against the one farm process; then the farm stopped and its whole log."""
    serial, serial_table = _run(vendor, profile, tmp_path / "serial")
    two, two_table = _run(vendor, profile, tmp_path / "two", "-n", "2")
    assert farm.stop() == 0
    log = farm.wait_for_line("stopped", 10)
    return serial, serial_table, two, two_table, log


def _assert_one_merged_report(report: Path, table: dict, stdout: str) -> None:
    root = ET.parse(report / "junit.xml").getroot()
    names = [case.get("name", "") for case in root.iter("testcase")]
    assert [n for n, k in Counter(names).items() if k > 1] == [], "a scenario twice in junit"
    assert len(names) == len(table)
    workers = {p.get("name"): p.get("value") for p in root.iter("property")}.get("workers")
    assert workers == "2", workers
    assert [p.name for p in report.rglob("junit.xml")] == ["junit.xml"]
    assert (report / "index.html").is_file() and (report / "cucumber.json").is_file()
    assert not (report / ".workers").exists(), "a worker's result left behind"
    html = (report / "index.html").read_text()
    sections = re.findall(r'<section class="scenario [^"]*" id="([^"]+)"', html)
    assert len(sections) == len(set(sections)) == len(names), "HTML"


def _assert_one_worker(stdout: str, table: dict) -> str:
    """Every scenario of the farm's network ran in the same worker; that worker's id."""
    ran = [m.groups() for line in stdout.splitlines() if (m := WORKER_LINE.match(line))]
    assert len(ran) == len(table), stdout[-3000:]
    twice = [n for n, k in Counter(nodeid for _gw, _v, nodeid in ran).items() if k > 1]
    assert twice == [], f"ran twice: {twice}"
    workers = Counter(gw for gw, _v, _n in ran)
    assert len(workers) == 1, f"the farm's network in more than one worker: {workers}"
    return next(iter(workers))


def _assert_nothing_moved(log: list[str]) -> None:
    """Every address the farm saw or sent to is the profile's (127.0.X.Y, never a worker's
    block 127.B.X.Y); the SP submitted from 127.0.10.1 in both runs; and the submissions
    carry two run tags only: the serial run's and the one worker's that ran them all."""
    events = [m.groups() for line in log if (m := FARM_LINE.match(line))]
    assert len(events) > 1000, log[-20:]
    addresses = {a for src, dst, _ in events for a in (src, dst) if a[:1].isdigit()}
    assert addresses and all(a.startswith("127.0.") for a in addresses), sorted(addresses)
    sources_by_run: dict[str, set[str]] = {}
    for src, dst, what in events:
        # From an address: a farm server passing a submission to its peer is named by role.
        if src[:1].isdigit() and dst.startswith("MMSG-") and (m := SP_SUBMISSION.match(what)):
            sources_by_run.setdefault(m[1], set()).add(src)
    assert len(sources_by_run) == 2, sources_by_run.keys()
    for run, sources in sources_by_run.items():
        # 127.0.10.99 is the authentication scenario's SP at an address not configured.
        assert "127.0.10.1" in sources and sources <= {"127.0.10.1", "127.0.10.99"}, (run, sources)


def test_reference_farm_on_two_workers_gives_the_serial_verdicts(
    tmp_path: Path, emulate, vendor
) -> None:
    profile = vendor.write_profile(tmp_path / "p.toml", farm_port=vendor.farm_port(), control=True)
    farm = emulate("mmsg-farm", profile)
    serial, serial_table, two, two_table, log = _serial_then_two_workers(
        tmp_path, farm, vendor, profile
    )
    assert serial.returncode == 0, serial.stdout[-3000:]
    assert serial_table and {v for v, _ in serial_table.values()} == {"passed"}, serial_table
    assert two_table == serial_table, two.stdout[-3000:]
    assert two.returncode == serial.returncode, two.stdout[-3000:]
    _assert_one_merged_report(tmp_path / "two", two_table, two.stdout)
    _assert_one_worker(two.stdout, two_table)
    _assert_nothing_moved(log)


def test_baseline_farm_on_two_workers_fails_as_it_does_serially(
    tmp_path: Path, emulate, vendor
) -> None:
    profile = vendor.write_profile(tmp_path / "p.toml", farm_port=vendor.farm_port(), control=True)
    farm = emulate("mmsg-farm-baseline", profile)
    serial, serial_table, two, two_table, log = _serial_then_two_workers(
        tmp_path, farm, vendor, profile
    )
    failed = {name: clause for name, (v, clause) in serial_table.items() if v == "failed"}
    assert failed == {EVENNESS: "rr_balance", SCALE_OUT: "rr_balance"}, serial_table
    assert serial.returncode == 1, serial.stdout[-3000:]
    assert two_table == serial_table, two.stdout[-3000:]
    assert two.returncode == serial.returncode, two.stdout[-3000:]
    _assert_one_merged_report(tmp_path / "two", two_table, two.stdout)
    _assert_one_worker(two.stdout, two_table)
    _assert_nothing_moved(log)
