"""Gateway selection against real tools: dig (Debian dnsutils) asks the selector over UDP and
TCP and reads the same answer the SP gets; tshark dissects a real run's pcaps (DNS over UDP
and TCP, the status exchange, MM7) with no malformed packet and no expert warning.

dig's exit code is 0 for NOERROR, NXDOMAIN and REFUSED alike, and its errors go to stdout:
every check reads the rc first, then parses (INTEROP-NOTES.md §2)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mmsconf.emulators.dns_resolver import StubResolver
from mmsconf.emulators.dns_selector import DnsSelector, SelectorConfig
from mmsconf.emulators.gs_gateway import Figures, SelectableGateway
from mmsconf.emulators.mmsg import FarmDirectory, MmsgConfig, SpAccount
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.loop import LoopThread

pytestmark = pytest.mark.interop

ZONE = "operator.example"
NAME = f"mmsg.{ZONE}"
BIG = f"big.{ZONE}"
NOT_CLEAN = "_ws.malformed || _ws.expert.severity >= warning || tcp.analysis.flags"


@dataclass
class Net:
    loop: LoopThread
    trace: TraceRecorder
    selector: DnsSelector
    gateways: list[SelectableGateway]
    sp: Service
    resolver: StubResolver


@pytest.fixture
def net() -> Iterator[Net]:
    """A selector ranking by delay and three gateways; gw-2 is the fastest."""
    loop = LoopThread().start()
    trace = TraceRecorder()

    async def build() -> Net:
        config = SelectorConfig(
            zone=ZONE,
            gateway_name=NAME,
            criteria=("delay",),
            heartbeat_period_ms=100,
            heartbeat_timeout_ms=80,
            records=[
                (f"mmsc.{ZONE}", "URI", "http://127.0.57.31:18090/mm7"),
                *((BIG, "TXT", f"{i:02d}" + "x" * 200) for i in range(5)),
            ],
        )
        selector = DnsSelector(trace, "127.0.57.1", config=config)
        await selector.start()
        account = SpAccount("sp001", "sp001", "pw", "http://127.0.57.11:9/mm7/dr")
        gateways = []
        for i, delay in enumerate((30, 5, 60), 1):
            gateway = SelectableGateway(
                trace, f"gw-{i}", 200 + i, f"127.0.57.2{i}", 0, {"sp001": account},
                FarmDirectory(), MmsgConfig(), dns_server=selector.address,
                mmsc_names={"": f"mmsc.{ZONE}"}, figures=Figures(delay_ms=delay),
            )  # fmt: skip
            await gateway.start()
            gateways.append(gateway)
            selector.add_gateway(gateway.name, gateway.host, gateway.submit_url, gateway.status_url)
        await selector.events.wait_for(
            lambda log: len(log.of("gateway_state")) >= 3, 5000, "three gateways in"
        )
        sp = Service("SP", "127.0.57.11")
        resolver = sp.add_client(StubResolver(sp, trace, selector.address, timeout_ms=2000))
        return Net(loop, trace, selector, gateways, sp, resolver)

    built = loop.run(build())
    try:
        yield built
    finally:

        async def stop() -> None:
            await built.sp.stop()
            for gateway in built.gateways:
                await gateway.stop()
            await built.selector.stop()

        loop.run(stop())
        loop.stop()


@pytest.fixture
def dig(require_tool: Callable[[str, str], str]) -> Callable[..., str]:
    exe = require_tool("dig", "dnsutils")

    def run(net: Net, *args: str) -> str:
        host, port = net.selector.address
        proc = subprocess.run(
            [exe, f"@{host}", "-p", str(port), "-b", "127.0.57.12", "+time=2", "+tries=1",
             "+norec", *args],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert proc.returncode == 0, f"dig rc {proc.returncode}: {proc.stdout}{proc.stderr}"
        return proc.stdout

    return run


def _answer_lines(output: str) -> list[list[str]]:
    """dig +noall +answer: one tab-separated record a line (name ttl class type rdata)."""
    return [re.split(r"\s+", line, maxsplit=4) for line in output.splitlines() if line.strip()]


def _status(output: str) -> str:
    match = re.search(r"status: (\w+)", output)
    assert match, output
    return match.group(1)


def test_dig_gets_over_udp_and_tcp_the_answer_the_sp_gets(net: Net, dig) -> None:
    sp_view = net.loop.run(net.resolver.query(NAME, "URI"))
    assert sp_view.ok
    expected = sp_view.first("URI").target
    assert expected == net.gateways[1].submit_url  # gw-2, the shortest delay
    for transport in ([], ["+tcp"]):
        lines = _answer_lines(dig(net, NAME, "URI", "+noall", "+answer", *transport))
        assert len(lines) == 1, lines
        name, ttl, klass, rtype, rdata = lines[0]
        assert (name, ttl, klass, rtype) == (f"{NAME}.", "0", "IN", "URI"), lines
        assert rdata == f'10 1 "{expected}"'
        header = dig(net, NAME, "URI", "+noall", "+comments", *transport)
        assert _status(header) == "NOERROR"
        flags = re.search(r"flags: ([a-z ]+);", header)
        assert flags and "aa" in flags.group(1).split() and "qr" in flags.group(1).split()
    a = _answer_lines(dig(net, NAME, "A", "+noall", "+answer"))
    assert a == [[f"{NAME}.", "0", "IN", "A", net.gateways[1].host]]
    txt = _answer_lines(dig(net, NAME, "TXT", "+noall", "+answer"))
    assert txt[0][4] == f'"mm7={expected}"'


def test_dig_retries_a_truncated_answer_over_tcp(net: Net, dig) -> None:
    udp_only = dig(net, BIG, "TXT", "+noedns", "+ignore", "+noall", "+comments")
    assert re.search(r"flags: [a-z ]*\btc\b", udp_only), udp_only
    full = _answer_lines(dig(net, BIG, "TXT", "+noedns", "+noall", "+answer"))
    assert len(full) == 5  # dig saw TC and asked again over TCP


def test_dig_out_of_zone_is_refused_and_unknown_names_nxdomain(net: Net, dig) -> None:
    assert _status(dig(net, "mmsc.example.com", "A", "+noall", "+comments")) == "REFUSED"
    assert _status(dig(net, f"nobody.{ZONE}", "A", "+noall", "+comments")) == "NXDOMAIN"
    soa = _answer_lines(dig(net, ZONE, "SOA", "+noall", "+answer"))
    assert soa and soa[0][3] == "SOA"


def test_dig_gets_servfail_when_no_gateway_is_healthy(net: Net, dig) -> None:
    async def all_silent() -> None:
        for gateway in net.gateways:
            gateway.set_heartbeat("error")
        await net.selector.events.wait_for(
            lambda log: sum(1 for e in log.of("gateway_state") if e["state"] == "out") >= 3,
            5000,
            "three gateways out",
        )

    net.loop.run(all_silent())
    assert _status(dig(net, NAME, "URI", "+noall", "+comments")) == "SERVFAIL"


# --- tshark on a real run --------------------------------------------------------------


@pytest.fixture
def tshark(require_tool: Callable[[str, str], str]) -> Callable[..., list[str]]:
    exe = require_tool("tshark", "tshark")

    def run(pcap: Path, *args: str) -> list[str]:
        proc = subprocess.run(
            [exe, "-r", str(pcap), *args], capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, proc.stderr
        return [line for line in proc.stdout.splitlines() if line.strip()]

    return run


def test_the_pcaps_of_a_real_run_are_dissected_clean(tshark, tmp_path: Path) -> None:
    out = tmp_path / "report"
    proc = subprocess.run(
        [sys.executable, "-m", "mmsconf.fixtures.cli", "run", "--area", "gateway_selection",
         "--report-dir", str(out), "--tags", "gs_in_dns or gs_mmsc_lookup", "--", "-q"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    pcaps = sorted((out / "pcap").glob("*.pcap"))
    assert len(pcaps) >= 6
    # Every UDP conversation of this area is DNS; a TCP server port that is also a UDP
    # port (the selector listens on one port for both) is DNS over TCP; others are HTTP.
    udp_ports: set[str] = set()
    for pcap in pcaps:
        for field in ("udp.dstport", "udp.srcport"):
            udp_ports |= set(tshark(pcap, "-Y", "udp", "-T", "fields", "-e", field))
    seen_tcp_dns = False
    for pcap in pcaps:
        syn = "tcp.flags.syn == 1 && tcp.flags.ack == 0"
        tcp_servers = set(tshark(pcap, "-Y", syn, "-T", "fields", "-e", "tcp.dstport"))
        decode = ["--disable-heuristic", "http_tcp"]
        for port in sorted(udp_ports):
            decode += ["-d", f"udp.port=={port},dns"]
        for port in sorted(tcp_servers):
            decode += ["-d", f"tcp.port=={port},{'dns' if port in udp_ports else 'http'}"]
            seen_tcp_dns |= port in udp_ports
        unclean = tshark(pcap, *decode, "-Y", NOT_CLEAN)
        if "malformed-query" in pcap.name:
            # The FORMERR scenarios send one malformed query on purpose: tshark may flag
            # that one (and only that one) query from the SP.
            assert len(unclean) <= 1 and all("Standard query" in u for u in unclean), unclean
        else:
            assert unclean == [], pcap.name
        stacks = set(tshark(pcap, *decode, "-T", "fields", "-e", "frame.protocols"))
        assert any(s.endswith(":dns") for s in stacks), (pcap.name, stacks)
        # Nothing left undissected: every payload is DNS or HTTP (or a segment of one).
        loose = "(udp || tcp.len > 0) && !dns && !http && !tcp.reassembled_in"
        assert tshark(pcap, "-2", *decode, "-Y", loose) == [], pcap.name
        queries = tshark(pcap, *decode, "-Y", "dns.flags.response == 0", "-T", "fields",
                         "-e", "dns.qry.name")  # fmt: skip
        answers = tshark(pcap, *decode, "-Y", "dns.flags.response == 1")
        assert queries and len(answers) >= len(queries) - 4, pcap.name  # malformed ones unanswered
    assert seen_tcp_dns, "no DNS over TCP in any pcap (the TCP scenario's)"
