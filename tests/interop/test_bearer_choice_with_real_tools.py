"""Bearer choice with real tools (INTEROP-NOTES §4-6): sipsak sends the handset emulator
an OPTIONS and a MESSAGE (from a file: ``-M`` segfaults); SIPp plays a handset that
registers with the push gateway and receives the SIP push (a UAC registers a contact
that points at a second SIPp, a UAS, which takes the MESSAGE with its new Call-ID); and
tshark dissects the pcaps of a real run - PAP and presence over HTTP, SIP, and WSP on
2948 (decoded as ``wsp`` there) - with no malformed packet and no expert warning."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mmsconf.emulators.handset import Handset, HandsetConfig
from mmsconf.emulators.ports import listen_port
from mmsconf.emulators.ppg import PpgConfig, PushGateway
from mmsconf.emulators.presence import ClientState, PresenceServer
from mmsconf.emulators.push_initiator import PiConfig, PushInitiator
from mmsconf.emulators.push_refs import PushRef
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.loop import LoopThread

pytestmark = pytest.mark.interop

NUMBER = "+8613899900001"
NOT_CLEAN = "_ws.malformed || _ws.expert.severity >= warning || tcp.analysis.flags"


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    thread = LoopThread("bc-interop").start()
    yield thread
    thread.stop()


# --- sipsak -> the handset ----------------------------------------------------------------


def test_sipsak_options_and_message_to_the_handset(
    require_tool: Callable[[str, str], str], loop: LoopThread, tmp_path: Path
) -> None:
    sipsak = require_tool("sipsak", "sipsak")
    trace = TraceRecorder()
    host = "127.0.91.1"
    handset = loop.call(Handset, trace, host, NUMBER, HandsetConfig(sip_port=0, wdp_port=0))
    loop.run(handset.start())
    try:
        handset.push_app = True
        handset.scope = "sipsk001"
        uri = f"sip:{NUMBER}@{host}:{handset.sip.port}"
        options = subprocess.run(
            [sipsak, "-Z", "100", "-s", uri], capture_output=True, text=True, timeout=30
        )
        assert options.returncode == 0, options.stdout + options.stderr
        body = "new MMS sipsk001-1\n"
        message = tmp_path / "message.sip"
        message.write_text(
            f"MESSAGE {uri} SIP/2.0\n"
            f"From: <sip:probe@127.0.0.1>;tag=fx1\nTo: <{uri}>\n"
            "Call-ID: sipsak-1@127.0.0.1\nCSeq: 1 MESSAGE\nMax-Forwards: 70\n"
            "Content-Type: text/plain\n"
            f"Content-Length: {len(body) + body.count(chr(10))}\n\n{body}",
            encoding="ascii",
        )
        sent = subprocess.run(
            [sipsak, "-Z", "100", "-f", str(message), "-s", uri],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert sent.returncode == 0, sent.stdout + sent.stderr
        attempts = loop.call(lambda: list(handset.attempts))
        assert [(a.status, a.ref.text if a.ref else None) for a in attempts] == [
            (200, "sipsk001-1")
        ]
    finally:
        loop.run(handset.stop())


# --- SIPp plays a handset -------------------------------------------------------------------

REG_UAC = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="REGISTER for SIP push, the contact at the UAS port">
  <send retrans="500"><![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      Max-Forwards: 70
      From: <sip:[service]@mmsconf.example>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@mmsconf.example>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:[service]@[local_ip]:[uas_port]>;+g.oma.pusheventapp="mms.ua";expires=300
      Expires: 300
      Content-Length: 0
  ]]></send>
  <recv response="200" timeout="5000"/>
</scenario>
"""

MESSAGE_UAS = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="take the SIP push">
  <recv request="MESSAGE" timeout="15000"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
  ]]></send>
  <timewait milliseconds="300"/>
</scenario>
"""


def test_sipp_handset_registers_and_takes_the_sip_push(
    require_tool: Callable[[str, str], str], loop: LoopThread, tmp_path: Path
) -> None:
    sipp = require_tool("sipp", "sip-tester")
    trace = TraceRecorder()
    presence = loop.call(PresenceServer, trace, "127.0.92.2")
    ppg = loop.call(
        lambda: PushGateway(trace, "127.0.92.1", 0, PpgConfig(presence_url="", sip_port=0))
    )
    loop.run(presence.start())
    ppg.config.presence_url = presence.base_url
    loop.run(ppg.start())
    pi = loop.call(lambda: PushInitiator(trace, "127.0.92.4", 0, PiConfig(ppg_url=ppg.pap_url)))
    loop.run(pi.start())
    host = "127.0.92.3"
    uac_port, uas_port = listen_port(host, udp=True), listen_port(host, udp=True)
    cp1, cp2 = listen_port(host, udp=True), listen_port(host, udp=True)
    (tmp_path / "reg_uac.xml").write_text(REG_UAC, encoding="ascii")
    (tmp_path / "message_uas.xml").write_text(MESSAGE_UAS, encoding="ascii")
    common = [
        "-bind_local",
        "-m",
        "1",
        "-nostdin",
        "-trace_err",
        "-timeout",
        "20",
        "-timeout_error",
    ]
    uas = subprocess.Popen(
        [
            sipp,
            "-sf",
            "message_uas.xml",
            "-i",
            host,
            "-p",
            str(uas_port),
            "-ci",
            host,
            "-cp",
            str(cp2),
            *common,
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        registrar = f"{ppg.sip.address[0]}:{ppg.sip.address[1]}"
        uac = subprocess.run(
            [
                sipp,
                registrar,
                "-sf",
                "reg_uac.xml",
                "-key",
                "uas_port",
                str(uas_port),
                "-s",
                NUMBER,
                "-i",
                host,
                "-p",
                str(uac_port),
                "-ci",
                host,
                "-cp",
                str(cp1),
                *common,
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert uac.returncode == 0, uac.stdout[-2000:]
        scope = "sippx001"
        pi.scope = presence.scope = scope
        loop.call(
            presence.put,
            ClientState(NUMBER, host, uas_port, registered=True, wap_capable=False, scope=scope),
        )
        ref = PushRef(scope, 1)
        sent = loop.run(pi.push(ref, NUMBER))
        assert sent.code == 1001, sent.problem
        assert uas.wait(timeout=30) == 0, uas.stdout.read() if uas.stdout else ""

        async def settled() -> None:
            await pi.events.wait_for(lambda _l: pi.settled(ref.group), 5000, "notified")

        loop.run(settled())
        [note] = loop.call(lambda: [n.message for n in pi.notifications])
        assert note.message_state == "delivered" and note.qos.bearer == "SIP"
    finally:
        if uas.poll() is None:
            uas.kill()
            uas.wait(timeout=10)
        for service in (pi, ppg, presence):
            loop.run(service.stop())


# --- tshark on a real run's pcaps -----------------------------------------------------------


@pytest.fixture
def bc_report(require_tool: Callable[[str, str], str], tmp_path: Path) -> Path:
    require_tool("tshark", "tshark")
    out = tmp_path / "report"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmsconf.fixtures.cli",
            "run",
            "--report-dir",
            str(out),
            "--area",
            "bearer_choice",
            "--",
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def _tshark(pcap: Path, *args: str) -> list[str]:
    proc = subprocess.run(
        ["tshark", "-r", str(pcap), *args], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return [line for line in proc.stdout.splitlines() if line.strip()]


def _decode_as(pcap: Path) -> list[str]:
    """HTTP on every port a SYN goes to; WSP on 2948; SIP on every port SIP text goes to."""
    decode = ["--disable-heuristic", "http_tcp"]
    syns = _tshark(
        pcap, "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0", "-T", "fields", "-e", "tcp.dstport"
    )
    for port in sorted(set(syns), key=int):
        decode += ["-d", f"tcp.port=={port},http"]
    rows = _tshark(pcap, "-Y", "udp", "-T", "fields", "-e", "udp.dstport", "-e", "udp.payload")
    sip_ports = set()
    for row in rows:
        port, _tab, payload = row.partition("\t")
        text = bytes.fromhex(payload.replace(":", ""))[:12]
        if text.startswith((b"SIP/2.0", b"REGISTER", b"MESSAGE", b"OPTIONS")):
            sip_ports.add(port)
    for port in sorted(sip_ports, key=int):
        decode += ["-d", f"udp.port=={port},sip"]
    return [*decode, "-d", "udp.port==2948,wsp"]


def test_bearer_choice_pcaps_are_dissected_clean(bc_report: Path) -> None:
    # The robustness scenarios send malformed PAP and SIP on purpose: their pcaps show it.
    pcaps = [p for p in sorted((bc_report / "pcap").glob("*.pcap")) if "robustness" not in p.name]
    assert pcaps
    seen = {"sip": 0, "wsp": 0, "http": 0}
    for pcap in pcaps:
        decode = _decode_as(pcap)
        assert _tshark(pcap, *decode, "-Y", NOT_CLEAN) == [], pcap.name
        protocols = _tshark(
            pcap, *decode, "-Y", "sip || wsp || http", "-T", "fields", "-e", "frame.protocols"
        )
        for key in seen:
            seen[key] += sum(f":{key}" in p for p in protocols)
        # Every WDP datagram to a handset reads as a WSP push carrying an MMS notification.
        for line in _tshark(
            pcap, *decode, "-Y", "udp.dstport == 2948", "-T", "fields", "-e", "frame.protocols"
        ):
            assert line.endswith(":wsp:mmse"), (pcap.name, line)
    assert all(seen.values()), seen
    # On loopback each handset binds 2948 on its own address, as a phone would: the WSP
    # counted above went there.
