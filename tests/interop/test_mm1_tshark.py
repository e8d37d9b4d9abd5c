"""The MM1 codec's golden PDUs under tshark's own MMSE dissector: an independent reader
must see the same fields, and no malformed packet or expert warning.

The PDUs ride HTTP as ``application/vnd.wap.mms-message``, which is how Wireshark
hands them to MMSE (its media-type table); the port is decoded explicitly.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mmsconf.emulators.codecs import mm1
from mmsconf.emulators.trace import Endpoint, TraceEvent
from mmsconf.emulators.transports.http_server import raw_http_request, raw_http_response
from mmsconf.reports.pcap import write_pcap

pytestmark = pytest.mark.interop

GOLDEN = Path(__file__).parents[1] / "codecs" / "golden" / "mm1"
PORT = 18080
NOT_CLEAN = "_ws.malformed || _ws.expert.severity >= warning || tcp.analysis.flags"


def _exchange(seq: int, client_port: int, request: bytes, answer: bytes) -> list[TraceEvent]:
    client = Endpoint("WAP gateway", "127.0.40.2", client_port)
    server = Endpoint("MMS router", "127.0.40.10", PORT)
    headers = [("Host", "mms.operator.example"), ("Content-Type", mm1.CONTENT_TYPE)]
    req = raw_http_request("POST", "/", [*headers, ("Content-Length", str(len(request)))], request)
    ans = raw_http_response(200, [headers[1], ("Content-Length", str(len(answer)))], answer)
    at = time.time() + seq / 1000
    where = (server.host, server.port)
    return [
        TraceEvent(seq, at, client, server, "MM1", "tcp", "request", req, listener=where),
        TraceEvent(
            seq + 1, at + 0.0005, server, client, "MM1", "tcp", "answer", ans, listener=where
        ),
    ]


@pytest.fixture
def golden_pcap(tmp_path: Path) -> Path:
    read = {p.stem: p.read_bytes() for p in GOLDEN.glob("*.bin")}
    events = _exchange(1, 41000, read["send_req_multipart"], read["send_conf_ok"])
    events += _exchange(3, 41001, read["notification_ind"], read["send_conf_error"])
    path = tmp_path / "mm1.pcap"
    write_pcap(events, path)
    return path


def test_tshark_reads_the_golden_pdus_as_the_codec_does(
    require_tool: Callable[[str, str], str], golden_pcap: Path
) -> None:
    exe = require_tool("tshark", "tshark")

    def run(*args: str) -> list[str]:
        proc = subprocess.run(
            [exe, "-r", str(golden_pcap), "-d", f"tcp.port=={PORT},http", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        return [line for line in proc.stdout.splitlines() if line.strip()]

    assert run("-Y", NOT_CLEAN, "-T", "fields", "-e", "frame.number") == []
    fields = ["mmse.message_type", "mmse.transaction_id", "mmse.mms_version", "mmse.to"]
    fields += ["mmse.from", "mmse.response_status", "mmse.message_id", "mmse.content_location"]
    rows = run("-Y", "mmse", "-T", "fields", "-E", "separator=|", *(f"-e{f}" for f in fields))
    assert rows == [
        "0x80|dr-0001|1.2|+8613800000001/TYPE=PLMN|<insert address>|||",
        "0x81|dr-0001|1.2|||0x80|A-000001|",
        "0x82|n-0001|1.2||+8613800000002/TYPE=PLMN|||http://mms.operator.example/m/A-000001",
        "0x81|dr-0002|1.2|||0xc3||",
    ]
    # The multipart body: both parts, with the content types and headers the codec wrote.
    body = ["wsp.header.content_type", "wsp.multipart", "wsp.header.content_location"]
    body.append("wsp.header.content_id")
    got = run("-Y", "mmse.message_type == 0x80", "-T", "fields", *(f"-e{f}" for f in body))
    assert got == [
        "application/vnd.wap.multipart.related,application/smil,text/plain\t1,2\tsmil.xml"
        '\t"<smil>","<t1>"'
    ]
