"""The MM4 relays out of process: ``mmsconf emulate mm4-relay`` (the reference) and
``mm4-relay-baseline`` (the prior art) run as their own processes, judged through a SUT
profile exactly as a vendor's relay would be — with the same verdicts as embedded. A
relay nobody answers at is an ERROR of the run, not a FAIL."""

from __future__ import annotations

import json
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from mmsconf.emulators.ports import listen_port

BURST = "A burst is carried on a bounded number of reused connections"
#: The burst scenario checks the peak first (mp_bounded), then the reuse (mp_sub_pool).
#: The prior art breaks both (a connection per message); how many of its connections
#: overlap at a destination depends on the machine's load, and on a loaded one they may
#: stay under the peak: then the reuse check names it. Either way it must fail.
BURST_CLAUSES = {"mp_bounded", "mp_sub_pool"}

#: Scenarios the prior art must fail, with the clause each names (as embedded).
BASELINE_FAILS = {
    "A slow destination does not hold the others back": "mp_bounded",
    BURST: "mp_bounded",
    "The sub-pools' connections are open before the first message": "mp_preestablished",
    "A connection cut during DATA is replaced; the message goes again on another and "
    "arrives once": "mp_sub_pool",
    "The relay keeps one message pool per destination, and counts everything it took": (
        "mp_message_pool"
    ),
}
SCENARIOS = 12


def write_profile(path: Path, *, relay_port: int | None = None, expiry_ms: int = 6000) -> Path:
    """An external relay at 127.0.44.10, every harness port pinned (fresh ones)."""
    ports = {
        "relay": relay_port or listen_port("127.0.44.10"),
        "counters": listen_port("127.0.44.10"),
        "core": listen_port("127.0.44.1"),
        "destinations": listen_port("127.0.44.2", "127.0.44.3", "127.0.44.4"),
        "dns": listen_port("127.0.44.53", udp=True),
    }
    path.write_text(
        f"""
[profile]
name = "vendor-mm4"
[mm4_pool]
relay = "external"
[mm4_pool.pixit]
retry_horizon_ms = 1000
expiry_ms = {expiry_ms}
[mm4_pool.relay_at]
port = {ports["relay"]}
counters_url = "http://127.0.44.10:{ports["counters"]}/counters"
[mm4_pool.core]
port = {ports["core"]}
[mm4_pool.destinations]
port = {ports["destinations"]}
[mm4_pool.dns]
port = {ports["dns"]}
""",
        encoding="utf-8",
    )
    return path


def only(table: dict[str, tuple[str, str]], verdict: str) -> dict[str, str]:
    return {name: clause for name, (v, clause) in table.items() if v == verdict}


def run_suite(vendor: Any, profile: Path, report: Path) -> tuple[Any, dict[str, tuple[str, str]]]:
    """``mmsconf run`` of the mm4_pool area against ``profile``: its exit, and per scenario
    (with its example values) the verdict and the clause a failure names."""
    result = vendor.run_cli(
        "run",
        "--profile",
        str(profile),
        "--area",
        "mm4_pool",
        "--report-dir",
        str(report),
        "--seed",
        "5",
        "--",
        "-q",
    )
    table: dict[str, tuple[str, str]] = {}
    kinds = {"failure": "failed", "error": "error", "skipped": "skipped"}
    for case in ET.parse(report / "junit.xml").getroot().iter("testcase"):
        verdict, clause = "passed", ""
        for child in case:
            if child.tag in kinds:
                verdict = kinds[child.tag]
                lines = (child.text or "").splitlines()
                said = [ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("clause:")]
                clause = said[0] if said else ""
        table[case.get("name", "")] = (verdict, clause)
    return result, table


def test_reference_relay_out_of_process_passes_like_the_embedded_one(
    tmp_path: Path, emulate, vendor
) -> None:
    profile = write_profile(tmp_path / "p.toml")
    relay = emulate("mm4-relay", profile)
    result, table = run_suite(vendor, profile, tmp_path / "r")
    assert result.returncode == 0, result.stdout[-3000:]
    assert len(table) == SCENARIOS and set(table.values()) == {("passed", "")}, table
    # Its counters, as a vendor's relay would serve them, balance after the run.
    url = next(ln for ln in profile.read_text().splitlines() if "counters_url" in ln)
    with urllib.request.urlopen(url.split('"')[1], timeout=5) as got:
        counters = json.loads(got.read())
    total = counters["total"]
    assert total["accepted"] == total["delivered"] + total["queued"] + total["dead_lettered"]
    assert total["accepted"] > 1000
    # The relay process carried the traffic and logged it, one line per message.
    assert relay.stop() == 0
    log = relay.wait_for_line("stopped", 10)
    assert sum("MM4_forward.REQ" in line for line in log) >= 1000


def test_baseline_relay_out_of_process_fails_as_embedded(tmp_path: Path, emulate, vendor) -> None:
    # The baseline's own expiry, as its shipped profile has it (baseline-mm4-pool.toml).
    profile = write_profile(tmp_path / "p.toml", expiry_ms=15000)
    emulate("mm4-relay-baseline", profile)
    result, table = run_suite(vendor, profile, tmp_path / "r")
    assert result.returncode == 1, result.stdout[-3000:]
    failed = only(table, "failed")
    assert failed.get(BURST) in BURST_CLAUSES, table
    assert {**failed, BURST: "mp_bounded"} == BASELINE_FAILS, table
    assert len(only(table, "passed")) == SCENARIOS - len(BASELINE_FAILS), table


def test_a_relay_nobody_answers_at_is_an_error_not_a_failure(tmp_path: Path, vendor) -> None:
    nobody = listen_port("127.0.44.10")  # bound and released: nobody listens there now
    profile = write_profile(tmp_path / "p.toml", relay_port=nobody)
    result, table = run_suite(vendor, profile, tmp_path / "r")
    assert result.returncode == 2, result.stdout[-2000:]
    assert not only(table, "failed") and not only(table, "passed"), table
    assert len(only(table, "error")) == SCENARIOS, table
    junit = (tmp_path / "r" / "junit.xml").read_text()
    assert f"SUT not reachable at 127.0.44.10:{nobody}" in junit
