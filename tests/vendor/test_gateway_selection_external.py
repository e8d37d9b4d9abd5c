"""Gateway selection out of process: the reference selector and the prior art's DNS run as
``mmsconf emulate`` processes, the harness runs as ``mmsconf run`` against them through a SUT
profile, exactly as a vendor's product would be judged; the verdicts (and the clause each
failure names) are those of the embedded run."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from mmsconf.emulators.ports import listen_port
from mmsconf.fixtures.profile import shipped_profiles

SCENARIOS = 19
#: What the prior art fails, scenario -> clause; every other scenario passes. The same map
#: is required of the embedded baseline below.
BASELINE_FAILS = {
    "1,000 messages while loads change: no gateway takes one over its maximum traffic": (
        "gs_residual_traffic"
    ),
    "A gateway that stops answering heartbeats gets no more messages, and the SP changes "
    "nothing": "gs_failover",
    "A gateway that joins takes traffic within one heartbeat period": "gs_learn",
    "With every gateway down the SP gets SERVFAIL, says so, and sends nothing anywhere": (
        "gs_failover"
    ),
    "By delay, the gateway with the shortest service delay takes every message": "gs_delay",
    "By residual traffic, the gateway with the most room takes every message": (
        "gs_residual_traffic"
    ),
    "By residual throughput, the gateway with the most spare throughput takes every message": (
        "gs_residual_throughput"
    ),
    "A tie on delay, within its tolerance, is broken by residual traffic": "gs_tiebreak",
    "A tie on delay and on residual throughput is broken by the third criterion": "gs_tiebreak",
    "Each forward to the MMSC follows a DNS answer for the MMSC's name": "gs_query",
    "Through unbound with TTL 0, the best gateway is chosen and a failed one dropped": "gs_delay",
    # The gateway-role scenarios ride on the selector's heartbeats: the prior art sends none.
    "The gateway under test answers every heartbeat with a valid status document": "gs_heartbeat",
    "Steered to the gateway under test, each message is taken and the MMSC looked up first": (
        "gs_heartbeat"
    ),
}


def verdicts(report: Path) -> dict[str, str]:
    """scenario (outline rows folded) -> "passed", "ERROR", "skipped" or the failed clause."""
    out: dict[str, str] = {}
    for case in ET.parse(report / "junit.xml").getroot().iter("testcase"):
        name = case.get("name", "").split(" [")[0]
        verdict = "passed"
        for child in case:
            if child.tag in ("error", "skipped"):
                verdict = "ERROR" if child.tag == "error" else "skipped"
            if child.tag == "failure":
                verdict = next(
                    (
                        line.split(":", 1)[1].strip()
                        for line in (child.text or "").splitlines()
                        if line.startswith("clause:")
                    ),
                    "?",
                )
        if out.get(name, "passed") == "passed":
            out[name] = verdict
    return out


def write_profile(path: Path, *, preset: bool) -> Path:
    dns_port = listen_port("127.0.54.1", udp=True)
    http_port = listen_port("127.0.54.1")
    gateways = listen_port("127.0.42.1", "127.0.42.2", "127.0.42.3", "127.0.42.4")
    mmsc = listen_port("127.0.31.1")
    path.write_text(
        f"""
[profile]
name = "{"prior-art" if preset else "reference"}-out-of-process"
[gateway_selection]
selector = "external"
[gateway_selection.dns]
port = {dns_port}
http_port = {http_port}
[gateway_selection.sp]
preset_gateways = {"true" if preset else "false"}
[gateway_selection.gateways]
port = {gateways}
[gateway_selection.mmsc]
port = {mmsc}
""",
        encoding="utf-8",
    )
    return path


def run(vendor, profile: Path, report: Path):
    return vendor.run_cli(
        "run", "--profile", str(profile), "--area", "gateway_selection",
        "--report-dir", str(report), "--seed", "11", "--", "-q",
    )  # fmt: skip


def test_reference_selector_out_of_process_passes_like_the_embedded_one(
    tmp_path: Path, emulate, vendor
) -> None:
    profile = write_profile(tmp_path / "p.toml", preset=False)
    selector = emulate("dns-selector", profile)
    result = run(vendor, profile, tmp_path / "r")
    got = verdicts(tmp_path / "r")
    assert result.returncode == 0, result.stdout[-3000:]
    assert set(got.values()) == {"passed"} and len(got) == SCENARIOS - 3, got
    # The selector process really answered and probed: one console line per message.
    assert selector.stop() == 0
    log = selector.wait_for_line("stopped", 10)
    assert sum("URI? mmsg.operator.example." in line for line in log) >= 1000
    assert any("GET status of gw-1 (heartbeat)" in line for line in log)


def test_prior_art_out_of_process_fails_as_the_embedded_one(
    tmp_path: Path, emulate, vendor
) -> None:
    profile = write_profile(tmp_path / "p.toml", preset=True)
    emulate("dns-selector-baseline", profile)
    result = run(vendor, profile, tmp_path / "r")
    got = verdicts(tmp_path / "r")
    assert result.returncode == 1, result.stdout[-3000:]
    assert {n: v for n, v in got.items() if v != "passed"} == BASELINE_FAILS, got


def test_prior_art_embedded_fails_the_same_scenarios(tmp_path: Path, vendor) -> None:
    profile = shipped_profiles()["baseline-gateway-selection.toml"]
    result = run(vendor, profile, tmp_path / "r")
    got = verdicts(tmp_path / "r")
    assert result.returncode == 1, result.stdout[-3000:]
    assert {n: v for n, v in got.items() if v != "passed"} == BASELINE_FAILS, got


def test_reference_gateway_out_of_process_passes_the_gateway_role(
    tmp_path: Path, emulate, vendor
) -> None:
    dns_port = listen_port("127.0.54.1", udp=True)
    gateway_port = listen_port("127.0.42.9")
    profile = tmp_path / "p.toml"
    profile.write_text(
        f"""
[profile]
name = "gateway-out-of-process"
[gateway_selection.dns]
port = {dns_port}
[gateway_selection.vendor_gateway]
name = "gw-v"
address = "127.0.42.9"
mm7_url = "http://127.0.42.9:{gateway_port}/mm7"
status_url = "http://127.0.42.9:{gateway_port}/status"
""",
        encoding="utf-8",
    )
    gateway = emulate("gs-gateway", profile)
    result = run(vendor, profile, tmp_path / "r")
    got = verdicts(tmp_path / "r")
    assert result.returncode == 0, result.stdout[-3000:]
    assert set(got.values()) == {"passed"} and len(got) == SCENARIOS - 3, got
    assert gateway.stop() == 0
    log = gateway.wait_for_line("stopped", 10)
    # It answered heartbeats, took submissions and asked the DNS for the MMSC each time.
    assert any("heartbeat" in line for line in log)
    # (The other roles are not in that process: its console names them by address.)
    forwards = sum("gw-v -> 127.0.31.1" in line and "SubmitReq" in line for line in log)
    lookups = sum("gw-v -> 127.0.54.1" in line and "mmsc.operator" in line for line in log)
    assert forwards >= 4 and lookups >= forwards, (forwards, lookups)
    # Its MM7 (each SubmitReq to the MMSC, each SubmitRsp to the SP) was judged, and is clean.
    page = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    wire = re.search(r'data-role="MMS gateway" data-judged="(\d+)" data-clean="(\d+)"', page)
    assert wire is not None and int(wire.group(1)) == int(wire.group(2)) >= 2 * forwards


def test_emulate_lists_the_gateway_selection_roles(vendor) -> None:
    listed = vendor.run_cli("emulate", "--list")
    assert {"dns-selector", "dns-selector-baseline", "gs-gateway"} <= {
        line.split()[0] for line in listed.stdout.splitlines() if line.strip()
    }


def test_a_selector_nobody_answers_at_is_an_error(tmp_path: Path, vendor) -> None:
    profile = write_profile(tmp_path / "p.toml", preset=False)  # nothing listens there
    result = run(vendor, profile, tmp_path / "r")
    got = verdicts(tmp_path / "r")
    assert result.returncode == 2, result.stdout[-2000:]
    assert set(got.values()) <= {"ERROR", "skipped"} and "ERROR" in got.values(), got
    junit = (tmp_path / "r" / "junit.xml").read_text()
    assert "SUT not reachable at" in junit and "127.0.54.1" in junit, junit[-1000:]
