"""Vendor mode for bearer choice: the push gateway out of process (``mmsconf emulate
push-gateway`` / ``push-gateway-baseline``), the harness through ``mmsconf run --profile``
as a vendor would run it, with the same verdicts as the same gateway embedded."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from mmsconf.emulators.ports import listen_port

PPG_HOST = "127.0.51.9"
HANDSETS = [f"127.0.83.{i}" for i in range(1, 7)]


def verdict_table(report: Path) -> dict[str, tuple[str, str]]:
    """Scenario (with its example values) -> (verdict, the clause a failure names)."""
    table: dict[str, tuple[str, str]] = {}
    kinds = {"failure": "failed", "error": "error", "skipped": "skipped"}
    for case in ET.parse(report / "junit.xml").getroot().iter("testcase"):
        verdict, clause = "passed", ""
        for child in case:
            if child.tag in kinds:
                verdict = kinds[child.tag]
                clause = next(
                    (
                        ln.split(":", 1)[1].strip()
                        for ln in (child.text or "").splitlines()
                        if ln.startswith("clause:")
                    ),
                    "",
                )
        table[case.get("name", "") + "|" + case.get("classname", "")] = (verdict, clause)
    return table


def profile(path: Path, gateway: str) -> Path:
    """One profile for both sides: the gateway process listens where the harness looks."""
    pap, sip = listen_port(PPG_HOST), listen_port(PPG_HOST, udp=True)
    presence = listen_port("127.0.52.1")
    handset_sip, handset_wdp = listen_port(*HANDSETS, udp=True), listen_port(*HANDSETS, udp=True)
    hosts = ", ".join(f'"{h}"' for h in HANDSETS)
    external = gateway == "external"
    path.write_text(
        f"""
[profile]
name = "vendor-bc-{gateway}"
[bearer_choice]
gateway = "{gateway}"
[bearer_choice.ppg]
host = "{PPG_HOST}"
pap_url = "{f"http://{PPG_HOST}:{pap}/wappush" if external else ""}"
sip_host = "{PPG_HOST if external else ""}"
sip_port = {sip}
[bearer_choice.presence]
port = {presence}
[bearer_choice.handsets]
hosts = [{hosts}]
sip_port = {handset_sip}
wdp_port = {handset_wdp}
""",
        encoding="utf-8",
    )
    return path


def start_suite(config: Path, report: Path) -> subprocess.Popen:
    argv = ["run", "--profile", str(config), "--area", "bearer_choice"]
    argv += ["--report-dir", str(report), "--seed", "11", "--", "-q"]
    return subprocess.Popen(
        [sys.executable, "-m", "mmsconf.fixtures.cli", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def suites(*runs: tuple[Path, Path]) -> list[tuple[int, dict]]:
    """Several suite runs at once (each on its own ports): their exit codes and verdicts."""
    procs = [(start_suite(config, report), report) for config, report in runs]
    return [(proc.wait(timeout=300), verdict_table(report)) for proc, report in procs]


def test_reference_gateway_out_of_process_passes_like_the_embedded_one(
    tmp_path: Path, emulate, vendor
) -> None:
    config = profile(tmp_path / "p.toml", "external")
    gateway = emulate("push-gateway", config)
    (code, out_of_process), (embedded_code, embedded) = suites(
        (config, tmp_path / "r"), (profile(tmp_path / "e.toml", "reference"), tmp_path / "e")
    )
    assert code == 0 and {v for v, _c in out_of_process.values()} == {"passed"}, out_of_process
    assert len(out_of_process) == 19
    assert embedded_code == 0 and embedded == out_of_process
    # The gateway process carried the traffic: pushes, presence queries, SIP pushes, WDP.
    assert gateway.stop() == 0
    log = "\n".join(gateway.wait_for_line("stopped", 10))
    for seen in ("push-message", "GET presence of", "MESSAGE push", "WAP push"):
        assert seen in log, seen


def test_prior_art_out_of_process_fails_like_the_embedded_one(
    tmp_path: Path, emulate, vendor
) -> None:
    config = profile(tmp_path / "p.toml", "external")
    emulate("push-gateway-baseline", config)
    (code, out_of_process), (embedded_code, embedded) = suites(
        (config, tmp_path / "r"),
        (profile(tmp_path / "e.toml", "baseline-fixed-bearer"), tmp_path / "e"),
    )
    assert code == embedded_code == 1
    assert out_of_process == embedded
    failed = {k.split("|")[0]: c for k, (v, c) in embedded.items() if v == "failed"}
    assert len(failed) == 9 and set(failed.values()) <= {
        "bc_get_info",
        "bc_select",
        "bc_no_retry",
        "bc_via_server",
    }, failed


def test_a_gateway_nobody_answers_at_is_an_error(tmp_path: Path, vendor) -> None:
    config = profile(tmp_path / "p.toml", "external")  # nothing started at its addresses
    [(code, table)] = suites((config, tmp_path / "r"))
    assert code == 2 and {v for v, _c in table.values()} == {"error"}, table
