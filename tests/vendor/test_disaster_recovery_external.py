"""Disaster recovery out of process: the reference router and the prior art as their own
processes (``mmsconf emulate``), judged through a SUT profile exactly as a vendor's router
would be, with the same verdicts as embedded; and a router nobody listens at, which is an
ERROR of the run, not a FAIL."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from mmsconf.emulators.ports import listen_port

ROUTER_HOST = "127.0.40.10"
MMSC_HOSTS = ("127.0.40.21", "127.0.40.22")
AUTHORITY_HOST = "127.0.40.54"

SCENARIOS = {
    "A submission goes from the handset through the WAP gateway and the router to an MMSC",
    "MMSC A fails while the resolver and the WAP gateway hold the cached answer",
    "MMSC A recovers and takes submissions again once it passes detection",
    "The MMSC taking a submission fails in the middle of it and the handset still gets "
    "exactly one success",
    "With every MMSC down each submission gets an MM1 error status and none hangs",
}
#: The clause each scenario fails against the prior art (embedded or not).
BASELINE_FAILS = {
    "A submission goes from the handset through the WAP gateway and the router to an MMSC": (
        "dr_dns_router"
    ),
    "MMSC A fails while the resolver and the WAP gateway hold the cached answer": (
        "dr_no_failed_submit"
    ),
    "MMSC A recovers and takes submissions again once it passes detection": ("dr_forward_healthy"),
    "The MMSC taking a submission fails in the middle of it and the handset still gets "
    "exactly one success": "dr_no_failed_submit",
    "With every MMSC down each submission gets an MM1 error status and none hangs": (
        "dr_forward_healthy"
    ),
}


def verdicts(report: Path) -> dict[str, str]:
    """Scenario -> "passed", "error", "skipped" or the clause its failure names."""
    out = {}
    for case in ET.parse(report / "junit.xml").getroot().iter("testcase"):
        verdict = "passed"
        for child in case:
            if child.tag in ("error", "skipped"):
                verdict = child.tag
            elif child.tag == "failure":
                verdict = next(
                    (
                        line.split(":", 1)[1].strip()
                        for line in (child.text or "").splitlines()
                        if line.startswith("clause:")
                    ),
                    "failure",
                )
        out[case.get("name", "")] = verdict
    return out


def write_profile(path: Path, router: str, *, mms_port: int, authority_port: int = 0) -> Path:
    authority = ""
    if authority_port:
        authority = (
            f'[disaster_recovery.dns]\nauthority = "external"\n'
            f'authority_host = "{AUTHORITY_HOST}"\nauthority_port = {authority_port}\n'
        )
    path.write_text(
        f"""
[profile]
name = "vendor-{router}"
[disaster_recovery]
router = "{router}"
router_host = "{ROUTER_HOST}"
mms_port = {mms_port}
[disaster_recovery.pixit]
detection_timeout_ms = 2500
{authority}""",
        encoding="utf-8",
    )
    return path


def run_harness(vendor, profile: Path, report: Path):
    return vendor.run_cli(
        "run",
        "--profile",
        str(profile),
        "--area",
        "disaster_recovery",
        "--report-dir",
        str(report),
        "--seed",
        "5",
        "--",
        "-q",
    )


def test_reference_router_out_of_process_passes_like_the_embedded_one(
    tmp_path: Path, emulate, vendor
) -> None:
    port = listen_port(ROUTER_HOST, *MMSC_HOSTS)
    profile = write_profile(tmp_path / "p.toml", "external", mms_port=port)
    router = emulate("mms-router", profile)
    result = run_harness(vendor, profile, tmp_path / "r")
    got = verdicts(tmp_path / "r")
    assert result.returncode == 0, result.stdout[-3000:]
    assert got == dict.fromkeys(SCENARIOS, "passed"), got
    embedded = write_profile(tmp_path / "e.toml", "reference", mms_port=0)
    run_harness(vendor, embedded, tmp_path / "e")
    assert verdicts(tmp_path / "e") == got
    # The router process really carried the traffic and logged it, one line per message.
    assert router.stop() == 0
    log = router.wait_for_line("stopped", 10)
    assert sum("m-send-req" in line for line in log) >= 200
    assert sum("health probe" in line for line in log) >= 10


def test_baseline_out_of_process_fails_the_same_way(tmp_path: Path, emulate, vendor) -> None:
    """The prior art is a DNS that answers MMSC A's address: that DNS runs as the process."""
    port = listen_port(ROUTER_HOST, *MMSC_HOSTS)
    auth_port = listen_port(AUTHORITY_HOST, udp=True)
    profile = write_profile(
        tmp_path / "p.toml", "baseline-direct", mms_port=port, authority_port=auth_port
    )
    authority = emulate("dr-authority", profile)
    result = run_harness(vendor, profile, tmp_path / "r")
    got = verdicts(tmp_path / "r")
    assert result.returncode == 1, result.stdout[-3000:]
    assert got == BASELINE_FAILS, got
    embedded = write_profile(tmp_path / "e.toml", "baseline-direct", mms_port=0)
    run_harness(vendor, embedded, tmp_path / "e")
    assert verdicts(tmp_path / "e") == got
    assert authority.stop() == 0
    log = authority.wait_for_line("stopped", 10)
    assert any("mms.operator.example. -> 127.0.40.21" in line for line in log), log[-5:]


def test_unreachable_router_is_an_error_not_a_failure(tmp_path: Path, vendor) -> None:
    nobody = listen_port(ROUTER_HOST, *MMSC_HOSTS)  # bound and released: nobody listens
    profile = write_profile(tmp_path / "p.toml", "external", mms_port=nobody)
    result = run_harness(vendor, profile, tmp_path / "r")
    got = verdicts(tmp_path / "r")
    assert result.returncode == 2, result.stdout[-2000:]
    assert set(got.values()) == {"error"} and set(got) == SCENARIOS, got
    junit = (tmp_path / "r" / "junit.xml").read_text()
    assert f"SUT not reachable at {ROUTER_HOST}:{nobody} (MMS router)" in junit


def test_emulate_lists_the_disaster_recovery_roles(vendor) -> None:
    listed = vendor.run_cli("emulate", "--list")
    assert listed.returncode == 0
    names = {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}
    assert {"mms-router", "dr-authority", "wap-gateway", "mm1-mmscs"} <= names


def test_the_router_role_wants_a_pinned_port(tmp_path: Path, vendor) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text('[disaster_recovery]\nrouter = "reference"\n', encoding="utf-8")
    result = vendor.run_cli("emulate", "mms-router", "--config", str(profile))
    assert result.returncode == 3
    assert "disaster_recovery.mms_port is 0" in result.stderr
