"""A real disaster-recovery run's pcaps under tshark: MM1 dissected as MMSE (WSP multipart
and all), DNS as DNS, the router's health probes as HTTP, and no malformed packet, expert
warning or TCP analysis flag anywhere.

MM1 rides HTTP as application/vnd.wap.mms-message, which Wireshark hands to its MMSE
dissector; the emulators' ports are not HTTP's or DNS's, so every TCP server port (whoever
gets a SYN) is decoded as HTTP and every UDP port as DNS (only DNS runs on UDP here).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.interop

NOT_CLEAN = "_ws.malformed || _ws.expert.severity >= warning || tcp.analysis.flags"


@pytest.fixture
def tshark(require_tool: Callable[[str, str], str]) -> Callable[..., list[str]]:
    exe = require_tool("tshark", "tshark")

    def run(pcap: Path, *args: str) -> list[str]:
        proc = subprocess.run(
            [exe, "-r", str(pcap), *args], capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, proc.stderr
        return [line for line in proc.stdout.splitlines() if line.strip()]

    return run


@pytest.fixture
def dr_report(tshark: Callable[..., list[str]], tmp_path: Path) -> Path:
    out = tmp_path / "report"
    proc = subprocess.run(
        [
            sys.executable, "-m", "mmsconf.fixtures.cli", "run", "--area", "disaster_recovery",
            "--report-dir", str(out), "--seed", "11", "--", "-q",
        ],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def _decode(tshark: Callable[..., list[str]], pcap: Path) -> list[str]:
    syns = tshark(
        pcap, "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0", "-T", "fields", "-e", "tcp.dstport"
    )
    udp = tshark(pcap, "-Y", "udp", "-T", "fields", "-e", "udp.srcport", "-e", "udp.dstport")
    decode = ["--disable-heuristic", "http_tcp"]
    for port in sorted(set(syns), key=int):
        decode += ["-d", f"tcp.port=={port},http"]
    for port in sorted({p for row in udp for p in row.split("\t")}, key=int):
        decode += ["-d", f"udp.port=={port},dns"]
    return decode


def test_every_pcap_of_a_disaster_recovery_run_is_dissected_and_clean(
    tshark: Callable[..., list[str]], dr_report: Path
) -> None:
    pcaps = sorted((dr_report / "pcap").glob("*.pcap"))
    assert len(pcaps) == 5, pcaps
    seen_dns, with_probes = False, 0
    for pcap in pcaps:
        decode = _decode(tshark, pcap)
        assert tshark(pcap, *decode, "-Y", NOT_CLEAN) == [], pcap.name
        mm1_bodies = tshark(
            pcap, *decode, "-Y", 'http.content_type == "application/vnd.wap.mms-message"'
        )
        mmse = tshark(pcap, *decode, "-Y", "mmse", "-T", "fields", "-e", "mmse.message_type")
        # Every MM1 body is an MMSE PDU: submissions (0x80) and their answers (0x81).
        assert mm1_bodies and len(mmse) == len(mm1_bodies), pcap.name
        assert {"0x80", "0x81"} <= set(mmse), (pcap.name, set(mmse))
        probes = tshark(pcap, *decode, "-Y", 'http.request.method == "GET"')
        with_probes += bool(probes)
        answers = tshark(
            pcap, *decode, "-Y", "dns.flags.response == 1", "-T", "fields",
            "-e", "dns.qry.name", "-e", "dns.a",
        )  # fmt: skip
        if any(row.startswith("mms.operator.example\t") for row in answers):
            seen_dns = True
            assert "mms.operator.example\t127.0.40.10" in answers, answers
    # The submission-path scenario resolved the MMS domain on the wire, to the router.
    assert seen_dns
    # The router's health probes are on the wire beside the submissions (a scenario of one
    # quick submission may fall between two probes; the outage ones cannot).
    assert with_probes >= 3
