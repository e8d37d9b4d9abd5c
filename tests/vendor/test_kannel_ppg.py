"""Kannel's PPG (Debian kannel 1.4.5), a push gateway nobody here wrote, judged by the
bearer-choice suite: the exact set of verdicts, the same twice in a row.

The harness starts bearerbox and wapbox itself (``gateway = "kannel"``), a fresh
instance per feature file, and plays the PI, the handsets (WDP and SMS through
the fake SMSC link) and the presence server. Kannel picks the bearer from the
address type alone and never asks about the client, so the scenarios that
judge client information fail, each naming what Kannel did; the PAP wire
scenarios pass. A change that turns one of these verdicts (a right one) wrong
fails here. The second run of the same profile shows the verdicts do not
depend on what the first left in Kannel or on the order.

Needs Debian's ``kannel`` and a C compiler (the loopback shim): skipped where
missing, except in CI, which installs both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mmsconf.fixtures.areas.bearer_choice.kannel import KannelOptions, binaries_missing

PROFILES = Path(__file__).resolve().parents[2] / "fixtures" / "profiles"

PAP = "Malformed PAP gets the PAP error code, and the gateway keeps serving [what={}, codes={}]"
SIP400 = "Malformed SIP to the gateway's registrar gets 400, and it keeps serving [what={}]"
REFUSED_3010 = (
    "A push that requires a bearer the gateway does not serve is refused with 3010, "
    "and nothing is sent"
)
PASS, SKIP = ("passed", ""), ("skipped", "")
#: Scenario (as the report names it) -> (verdict, the clause a failure names), with the
#: clients named by MSISDN: Kannel pushes them WAP push over SMS.
SMS: dict[str, tuple[str, str]] = {
    # The PAP wire: malformed requests get 2000 and Kannel keeps serving (over SMS) ...
    PAP.format("a PAP document that is not well-formed XML", "2000"): PASS,
    PAP.format("a push-message whose address is no address", "2002 or 2000"): PASS,
    PAP.format("a push-message without its content", "2000"): PASS,
    PAP.format("a body that is not PAP at all", "2000"): PASS,
    # ... but a document with an internal DTD subset is parsed, its entity expanded, and
    # the push accepted with 1001 (libxml2's default; PAP has no DTD subset to expand).
    PAP.format("a PAP document that declares an entity", "2000"): ("failed", "bc_via_server"),
    # GHOST/R_DATA on network GSM, required, for a PLMN address: 3010 at once.
    REFUSED_3010: PASS,
    # Kannel never asks about the client: it pushed over SMS to a client whose state
    # calls for WAP push over UDP, the presence server never queried.
    "A client not registered for SIP push gets one WAP push over UDP and no SIP attempt": (
        "failed",
        "bc_get_info",
    ),
    # "SIP" is no bearer in Kannel's table: even as a mere preference the push is refused
    # with 2000, where PAP lets a PPG pick another bearer (or answer 3010 when required).
    "The initiator prefers SIP and the client cannot take it: WAP push, one attempt in all": (
        "failed",
        "bc_via_server",
    ),
    "The initiator requires SIP and the client cannot take it: no attempt at all": (
        "failed",
        "bc_via_server",
    ),
    # Not claimed (pics.sip_push and pics.result_notifications are false): skipped.
    SIP400.format("a REGISTER whose CSeq names another method"): SKIP,
    SIP400.format("a REGISTER without Call-ID"): SKIP,
    SIP400.format("a REGISTER whose Content-Length is longer than its body"): SKIP,
    SIP400.format("a REGISTER whose To is no address"): SKIP,
    "200 pushes to clients in mixed states take exactly one attempt each": SKIP,
    "A client registered for SIP push gets one SIP MESSAGE and no WAP push": SKIP,
    "The initiator prefers SIP and the client registered without the push feature tag: "
    "WAP push, one attempt": SKIP,
    "A client that went offline while registered for SIP push gets no delivery attempt "
    "at all": SKIP,
    "The initiator of a push to an offline client gets a result notification saying "
    "undeliverable": SKIP,
    "The client-information server is down: the documented fallback is used and reported": SKIP,
}
#: The same with clients named by IPv4 address (WAP push over UDP), where GHOST/R_DATA is
#: refused with 2000 ("wrong type of address for requested bearer") instead of 3010.
IP: dict[str, tuple[str, str]] = {**SMS, REFUSED_3010: ("failed", "bc_via_server")}


@pytest.fixture
def kannel_installed() -> None:
    missing = binaries_missing(KannelOptions(bearerbox="bearerbox", wapbox="wapbox"))
    if missing:
        message = "Kannel cannot run here: " + "; ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must install it", pytrace=False)
        pytest.skip(message)


def _run(vendor, profile: Path, report: Path, seed: int) -> tuple[dict, float]:
    started = time.monotonic()
    result, table = vendor.run_suite(profile, report, seed=seed, area="bearer_choice")
    assert table, f"no junit.xml verdicts; exit {result.returncode}\n{result.stdout[-3000:]}"
    return table, time.monotonic() - started


def test_kannel_named_by_msisdn_gets_the_expected_verdicts_twice(
    tmp_path: Path, vendor, kannel_installed
) -> None:
    """First a fresh Kannel per feature file; then one Kannel for the whole run, so every
    scenario meets what all the earlier ones left in it: the verdicts must not change."""
    profile = PROFILES / "kannel-ppg.toml"
    one_instance = tmp_path / "kannel-one-instance.toml"
    one_instance.write_text(
        profile.read_text() + '\n[bearer_choice.kannel]\nrestart = "run"\n', encoding="utf-8"
    )
    first, took1 = _run(vendor, profile, tmp_path / "first", seed=15)
    second, took2 = _run(vendor, one_instance, tmp_path / "second", seed=16)
    print(f"kannel-ppg: {took1:.1f} s (instance per feature), then {took2:.1f} s (one instance)")
    assert first == SMS, _diff(SMS, first)
    assert second == first, _diff(first, second)
    assert len(list((tmp_path / "first" / "kannel").iterdir())) == 2  # two features ran
    assert len(list((tmp_path / "second" / "kannel").iterdir())) == 1
    assert _kannel_left(tmp_path) == [], "a box outlived its run"
    _tshark_clean(tmp_path / "first" / "pcap")


def test_kannel_named_by_ipv4_address_gets_the_expected_verdicts(
    tmp_path: Path, vendor, kannel_installed
) -> None:
    table, took = _run(vendor, PROFILES / "kannel-ppg-ip.toml", tmp_path / "ip", seed=17)
    print(f"kannel-ppg-ip: {took:.1f} s")
    assert table == IP, _diff(IP, table)
    _tshark_clean(tmp_path / "ip" / "pcap")


def test_kannel_on_two_workers_gets_the_serial_verdicts(
    tmp_path: Path, vendor, kannel_installed
) -> None:
    """``-n 2``: each worker starts its own Kannel in its own loopback block (the profile
    pins no address), and the merged report holds the serial verdicts, each once."""
    started = time.monotonic()
    result, table = vendor.run_suite(
        PROFILES / "kannel-ppg.toml", tmp_path / "two", "-n", "2", seed=18, area="bearer_choice"
    )
    print(f"kannel-ppg -n 2: {time.monotonic() - started:.1f} s")
    assert table == SMS, _diff(SMS, table) + "\n" + result.stdout[-3000:]
    assert result.returncode == 1, result.stdout[-3000:]
    junit = ET.parse(tmp_path / "two" / "junit.xml").getroot()
    assert len(list(junit.iter("testcase"))) == len(SMS)  # every scenario once
    workers = {p.get("name"): p.get("value") for p in junit.iter("property")}["workers"]
    assert workers == "2"
    assert not (tmp_path / "two" / ".workers").exists()
    assert list((tmp_path / "two" / "kannel").iterdir()), "no Kannel instance ran"
    assert _kannel_left(tmp_path) == [], "a box outlived its run"


def test_the_example_report_in_the_docs_shows_these_verdicts(vendor) -> None:
    """reports/examples/kannel-ppg is the README's worked example: it must not go stale."""
    example = Path(__file__).resolve().parents[2] / "reports" / "examples" / "kannel-ppg"
    assert vendor.verdict_table(example) == SMS
    assert (example / "index.html").is_file()


NOT_CLEAN = "_ws.malformed || _ws.expert.severity >= warning || tcp.analysis.flags"


def _tshark_clean(pcaps: Path) -> None:
    """Every scenario's pcap dissects in tshark with no malformed packet, no expert warning
    and no TCP analysis flag (PAP as HTTP on 8080, WSP on 2948). The robustness scenarios
    send malformed PAP on purpose, so their pcaps show it and are left out."""
    tshark = shutil.which("tshark")
    if tshark is None:
        if os.environ.get("CI"):
            pytest.fail("tshark not found (Debian package tshark); CI must install it")
        return
    files = [p for p in sorted(pcaps.glob("*.pcap")) if "robustness" not in p.name]
    assert files
    decode = ["-d", "tcp.port==8080,http", "-d", "udp.port==2948,wsp"]
    for pcap in files:
        out = subprocess.run(
            [tshark, "-r", str(pcap), *decode, "-Y", NOT_CLEAN],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "", f"{pcap.name}: {out.stdout[:500]}"


def _diff(want: dict, got: dict) -> str:
    lines = []
    for name in sorted(set(want) | set(got)):
        if want.get(name) != got.get(name):
            lines.append(f"{name}: expected {want.get(name)}, got {got.get(name)}")
    return "\n".join(lines)


def _kannel_left(folder: Path) -> list[str]:
    """Kannel processes still running whose config lies under ``folder`` (this test's)."""
    left = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(str(folder).encode() in a for a in argv) and b"box" in argv[0]:
            left.append(b" ".join(argv).decode(errors="replace"))
    return left
