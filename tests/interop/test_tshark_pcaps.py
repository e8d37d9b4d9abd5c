"""The report's pcaps under tshark: every message dissected, no expert warning.

tshark's exit code is 0 whether or not a display filter matches, so every
check counts output lines. Ports are decoded explicitly (``-d``) with the
HTTP heuristic off: the heuristic would also find HTTP on a wrong port, and
the explicit decode only works if the SYNs point at the real servers.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import lxml.html
import pytest

from mmsconf.emulators.trace import Endpoint, TraceEvent
from mmsconf.reports.pcap import write_pcap

pytestmark = pytest.mark.interop

# A malformed packet, any expert info at warning or above, or any TCP
# analysis flag (retransmission, lost segment, window full, ...).
NOT_CLEAN = "_ws.malformed || _ws.expert.severity >= warning || tcp.analysis.flags"


def _sample() -> ModuleType:
    # The mixed trace is defined once, beside the scapy read-back tests;
    # test folders are not packages, so load that module by path.
    path = Path(__file__).parents[1] / "reports" / "test_pcap.py"
    spec = importlib.util.spec_from_file_location("mmsconf_pcap_sample", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tshark(require_tool: Callable[[str, str], str]) -> Callable[..., list[str]]:
    exe = require_tool("tshark", "tshark")

    def run(pcap: Path, *args: str) -> list[str]:
        proc = subprocess.run(
            [exe, "-r", str(pcap), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        # rc 2 is a bad filter or an unreadable file: a test bug, not a finding.
        assert proc.returncode == 0, proc.stderr
        return [line for line in proc.stdout.splitlines() if line.strip()]

    return run


# --- a synthetic trace with every protocol ----------------------------------


@pytest.fixture
def mixed(tmp_path: Path) -> tuple[Path, ModuleType]:
    sample = _sample()
    path = tmp_path / "mixed.pcap"
    write_pcap(sample.mixed_trace(), path)
    return path, sample


def test_mixed_pcap_is_dissected_and_clean(
    tshark: Callable[..., list[str]], mixed: tuple[Path, ModuleType]
) -> None:
    pcap, sample = mixed
    decode = [
        "--disable-heuristic",
        "http_tcp",
        "-d",
        f"tcp.port=={sample.SMTP_PORT},smtp",
        "-d",
        f"tcp.port=={sample.HTTP_PORT},http",
    ]

    def fields(display: str, *names: str) -> list[str]:
        args = [arg for name in names for arg in ("-e", name)]
        return tshark(pcap, *decode, "-Y", display, "-T", "fields", *args)

    assert tshark(pcap, *decode, "-Y", NOT_CLEAN) == []

    stacks = set(tshark(pcap, *decode, "-T", "fields", "-e", "frame.protocols"))
    for expected in (
        "eth:ethertype:ip:tcp:http:xml",
        "eth:ethertype:ip:tcp:smtp",
        "eth:ethertype:ip:tcp:smtp:imf",
        "eth:ethertype:ip:udp:dns",
    ):
        assert expected in stacks, stacks
    assert any(s.startswith("eth:ethertype:ip:udp:sip") for s in stacks), stacks

    # MM7: both requests on one connection, both answered, SOAP dissected.
    requests = [r.split("\t") for r in fields("http.request", "tcp.stream", "http.request.method")]
    assert [method for _, method in requests] == ["POST", "POST"]
    assert len({stream for stream, _ in requests}) == 1
    assert fields("http.response", "http.response.code") == ["200", "200"]
    assert len(fields('xml.tag contains "SubmitReq"', "frame.number")) == 2
    assert len(fields('xml.tag contains "SubmitRsp"', "frame.number")) == 2

    # SMTP: the whole MM4 dialog, the message itself as IMF.
    assert fields("smtp.req.command", "smtp.req.command") == [
        "EHLO",
        "MAIL",
        "RCPT",
        "DATA",
        "QUIT",
    ]
    codes = fields("smtp.response.code", "smtp.response.code")
    assert [c.split(",")[0] for c in codes] == ["220", "250", "250", "250", "354", "250", "221"]
    headers = fields("imf", "imf.extension.type", "imf.extension.value")
    assert "MM4_forward.REQ" in headers[0]

    assert fields("dns.flags.response == 1", "dns.qry.name", "dns.a") == ["mmsc.example\t127.0.2.1"]
    assert fields("sip", "sip.Method", "sip.Status-Code") == ["MESSAGE\t", "\t200"]


def test_a_large_keep_alive_trace_stays_clean(
    tshark: Callable[..., list[str]], tmp_path: Path
) -> None:
    """What real traces add: big bodies, unknown client ports, equal times,
    IPv6, many exchanges on one connection."""
    sample = _sample()
    server = Endpoint("MMSG", "127.0.1.80", 8080)
    clients = [
        Endpoint("SP", "127.0.0.10", 40001),
        Endpoint("SP", "127.0.0.11", 0),  # source port not known
        Endpoint("SP6", "::1", 40002),
    ]
    server6 = Endpoint("MMSG", "::1", 8080)
    events: list[TraceEvent] = []
    t = sample.T0
    for n in range(60):
        client = clients[n % 3]
        srv = server6 if client.host == "::1" else server
        # Every tenth request carries a 200 KB body: several window's worth.
        request = sample.http_request(n, 200_000 if n % 10 == 0 else 50)
        events.append(TraceEvent(2 * n, t, client, srv, "MM7", "tcp", "req", request))
        # Some responses carry the very same clock reading as their request.
        t += 0.0 if n % 4 == 0 else 0.001
        events.append(
            TraceEvent(2 * n + 1, t, srv, client, "MM7", "tcp", "rsp", sample.http_response(n))
        )
        t += 0.001
    pcap = tmp_path / "many.pcap"
    write_pcap(events, pcap)

    decode = ["--disable-heuristic", "http_tcp", "-d", "tcp.port==8080,http"]
    assert tshark(pcap, *decode, "-Y", NOT_CLEAN) == []
    assert len(tshark(pcap, *decode, "-Y", "http.request")) == 60
    assert len(tshark(pcap, *decode, "-Y", "http.response")) == 60
    assert len(tshark(pcap, *decode, "-Y", 'xml.tag contains "SubmitReq"')) == 60
    # One connection per client: keep-alive, and the unknown port is stable.
    assert len(set(tshark(pcap, "-T", "fields", "-e", "tcp.stream"))) == 3


# --- a real run of the suite ------------------------------------------------


@pytest.fixture
def real_report(tshark: Callable[..., list[str]], tmp_path: Path) -> Path:
    # Asks for tshark first, so a machine without it skips before the run.
    out = tmp_path / "report"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmsconf.fixtures.cli",
            "run",
            "--report-dir",
            str(out),
            "--tags",
            "rr_auth or rr_msgid2",
            "--",
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=out.parent,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def _trace_sizes(index: Path) -> dict[str, int]:
    """pcap href → the message count of the trace heading it sits in."""
    page = lxml.html.fromstring(index.read_bytes())
    sizes = {}
    for link in page.xpath("//a[@class='pcap-link']"):
        heading = link.getparent().text_content()
        match = re.match(r"Trace \((\d+) messages\)", heading)
        assert match, heading
        sizes[link.get("href")] = int(match.group(1))
    return sizes


def test_every_pcap_of_a_real_run_is_dissected_and_clean(
    tshark: Callable[..., list[str]], real_report: Path
) -> None:
    pcaps = sorted((real_report / "pcap").glob("*.pcap"))
    sizes = _trace_sizes(real_report / "index.html")
    # Every scenario with a trace has its pcap, and the page links each one.
    assert pcaps and sorted(sizes) == [f"pcap/{p.name}" for p in pcaps]
    for pcap in pcaps:
        # The servers are whoever receives a SYN (not a SYN/ACK).
        syns = tshark(
            pcap,
            "-Y",
            "tcp.flags.syn == 1 && tcp.flags.ack == 0",
            "-T",
            "fields",
            "-e",
            "tcp.dstport",
        )
        ports = sorted(set(syns), key=int)
        assert ports, pcap.name
        decode = ["--disable-heuristic", "http_tcp"]
        for port in ports:
            decode += ["-d", f"tcp.port=={port},http"]

        assert tshark(pcap, *decode, "-Y", NOT_CLEAN) == [], pcap.name
        # One pass for the HTTP messages (tshark's start-up is most of its time).
        rows = [
            line.split("\t")
            for line in tshark(
                pcap,
                *decode,
                "-Y",
                "http",
                "-T",
                "fields",
                "-e",
                "http.request.method",
                "-e",
                "http.response.code",
                "-e",
                "frame.protocols",
            )
        ]
        requests = [r for r in rows if r[0]]
        responses = [r for r in rows if r[1]]
        assert requests and len(requests) == len(responses), pcap.name
        # Report routing is all MM7 over HTTP: each traced message is one
        # HTTP message in the pcap.
        assert len(rows) == sizes[f"pcap/{pcap.name}"], pcap.name
        # Every MM7 message carries SOAP, as the body or as a multipart's
        # root part, and tshark finds the XML in both.
        assert all(":xml" in r[2] for r in rows), pcap.name
