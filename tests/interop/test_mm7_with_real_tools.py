"""MM7 against real third-party tools: curl as an SP's HTTP client, xmllint as an
independent XML parser of what the codec writes."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.loop import LoopThread
from mmsconf.fixtures.profile import load_profile
from mmsconf.fixtures.report_routing import ReportRoutingNet

pytestmark = pytest.mark.interop


@pytest.fixture
def net() -> Iterator[ReportRoutingNet]:
    loop = LoopThread().start()
    network = ReportRoutingNet(load_profile().report_routing, TraceRecorder(), seed=3)
    loop.run(network.start())
    try:
        yield network
    finally:
        loop.run(network.stop())
        loop.stop()


def _submit_req(msgid1: str) -> mm7.Encoded:
    req = mm7.SubmitReq(
        transaction_id="curl-1",
        vasp_id="sp001",
        vas_id="svc001",
        sender_address=mm7.Address("10658000", "ShortCode"),
        to=(mm7.Address("+8613800000777"),),
        subject="from curl",
        aux_applic_info=msgid1,
    )
    return mm7.encode(req, parts=[mm7.ContentPart("t1", "text/plain", b"hello")])


def test_curl_submits_to_the_gateway_and_gets_msgid1_back(
    net: ReportRoutingNet, require_tool, tmp_path: Path
) -> None:
    curl = require_tool("curl", "curl")
    encoded = _submit_req("curl-msg-1")
    body = tmp_path / "submit.bin"
    body.write_bytes(encoded.body)
    url = net.farm.directory.submit_urls[180]
    proc = subprocess.run(
        [
            curl,
            "-sS",
            "--max-time",
            "10",
            "--interface",
            net.sp.host,
            "-u",
            "sp001:sp-secret",
            "-H",
            f"Content-Type: {encoded.content_type}",
            "-H",
            'SOAPAction: ""',
            "--data-binary",
            f"@{body}",
            "-w",
            "\n%{http_code}",
            url,
        ],
        capture_output=True,
        timeout=20,
    )
    assert proc.returncode == 0, proc.stderr
    payload, _, status = proc.stdout.rpartition(b"\n")
    assert status == b"200"
    rsp = mm7.decode(payload, "text/xml").message
    assert isinstance(rsp, mm7.SubmitRsp)
    assert rsp.status.code == 1000 and rsp.message_id == "curl-msg-1"
    assert rsp.transaction_id == "curl-1"


def test_curl_with_a_wrong_password_gets_an_mm7_failure(
    net: ReportRoutingNet, require_tool, tmp_path: Path
) -> None:
    curl = require_tool("curl", "curl")
    encoded = _submit_req("curl-msg-2")
    body = tmp_path / "submit.bin"
    body.write_bytes(encoded.body)
    proc = subprocess.run(
        [
            curl,
            "-sS",
            "--max-time",
            "10",
            "--interface",
            net.sp.host,
            "-u",
            "sp001:nope",
            "-H",
            f"Content-Type: {encoded.content_type}",
            "--data-binary",
            f"@{body}",
            "-w",
            "\n%{http_code}",
            net.farm.directory.submit_urls[181],
        ],
        capture_output=True,
        timeout=20,
    )
    payload, _, status = proc.stdout.rpartition(b"\n")
    assert status == b"401"
    fault = mm7.decode(payload, "text/xml").message
    assert isinstance(fault, mm7.SoapFault) and fault.status.code == 4001
    assert not any(m.received for m in net.mmscs.values())


def _more_operation_goldens() -> list[tuple[str, mm7.MM7Message]]:
    """Issue 16's operations: what their hand-written golden vectors decode to."""
    golden = Path(__file__).parents[1] / "codecs" / "golden" / "mm7"
    found = []
    for path in sorted(golden.glob("*-REL-*")):
        if path.suffix not in (".xml", ".mime"):
            continue
        content_type = 'text/xml; charset="utf-8"'
        if path.suffix == ".mime":
            content_type = path.with_suffix(".content-type.txt").read_text("ascii").strip()
        ns = next(n for n in mm7.MM7_NAMESPACES if n.endswith(path.stem.split("-", 1)[1]))
        config = mm7.CodecConfig(namespace=ns)
        found.append(
            (path.stem, mm7.decode(path.read_bytes(), content_type, config=config).message)
        )
    return found


MORE_OPERATION_GOLDENS = _more_operation_goldens()


@pytest.mark.parametrize(
    "message",
    [
        mm7.SubmitRsp(transaction_id="x", message_id="m1"),
        mm7.DeliveryReportReq(
            transaction_id="x",
            message_id="m1",
            recipient=mm7.Address("+8613800000001"),
            sender=mm7.Address("10658000", "ShortCode"),
            date="2026-11-23T10:00:00Z",
            aux_applic_info="180-0001-00000001",
        ),
        mm7.RSErrorRsp(transaction_id="x", status=mm7.Status.of(2005)),
        mm7.SubmitReq(
            transaction_id="x",
            to=(mm7.Address("+8613800000001"),),
            earliest_delivery_time="PT1H30M",
            expiry_date="2026-11-25T10:00:00Z",
        ),
        # A fault naming what failed (issue 16), with text a hostile request put there.
        mm7.VASPErrorRsp(
            transaction_id="x",
            status=mm7.Status(
                4004, "Validation error", "xml declaration: 2 bytes <&> before it; MMStatus: '1'"
            ),
        ),
        # Issue 16's operations, multipart ones as their envelope part.
        *(m for _, m in MORE_OPERATION_GOLDENS),
    ],
    ids=[
        "SubmitRsp",
        "DeliveryReportReq",
        "RSErrorRsp",
        "SubmitReq-times",
        "VASPErrorRsp-details",
        *(name for name, _ in MORE_OPERATION_GOLDENS),
    ],
)
def test_xmllint_accepts_what_the_codec_writes(message, require_tool, tmp_path: Path) -> None:
    xmllint = require_tool("xmllint", "libxml2-utils")
    path = tmp_path / "msg.xml"
    encoded = mm7.encode(message)
    body = encoded.body
    if encoded.content_type.startswith("multipart/"):
        start = body.index(b"<?xml")
        body = body[start : body.index(b"</env:Envelope>") + len(b"</env:Envelope>")]
    path.write_bytes(body)
    proc = subprocess.run(
        [xmllint, "--noout", "--nonet", str(path)], capture_output=True, timeout=20
    )
    assert proc.returncode == 0, proc.stderr.decode()
