"""The fault an emulator answers a bad MM7 request with names what failed:
Status/Details holds each failing element and why (issue 16, item 4).

Over real sockets: the request is written byte by byte as a hand-rolled
peer would, and the answer is read back off the wire and decoded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from urllib.parse import urlsplit

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import Inbound, MM7Endpoint, Reply
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.report_routing import ReportRoutingNet

NS = mm7.DEFAULT_NAMESPACE
ENV = mm7.SOAP_ENV_NS
STRICT_HOST = "127.0.51.1"
PEER_HOST = "127.0.51.2"


def envelope(body: str, tid: str = "T-det") -> bytes:
    return (
        f'<?xml version="1.0"?><env:Envelope xmlns:env="{ENV}"><env:Header>'
        f'<TransactionID xmlns="{NS}" env:mustUnderstand="1">{tid}</TransactionID>'
        f"</env:Header><env:Body>{body}</env:Body></env:Envelope>"
    ).encode()


async def post_raw(url: str, body: bytes, content_type: str = "text/xml") -> tuple[int, bytes, str]:
    """POST ``body`` on a fresh connection; (HTTP status, body, Content-Type)."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    reader, writer = await asyncio.open_connection(
        parts.hostname, parts.port, local_addr=(PEER_HOST, 0)
    )
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: {content_type}\r\n"
        f'SOAPAction: ""\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n'
    )
    writer.write(head.encode("ascii") + body)
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    await writer.wait_closed()
    header, _, payload = raw.partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    ctype = next(v for k, v in fields.items() if k.lower() == "content-type")
    return int(lines[0].split()[1]), payload, ctype


def fault_of(payload: bytes, content_type: str) -> mm7.RSErrorRsp | mm7.VASPErrorRsp:
    # Our own answer is read strictly: Details must not cost it its conformance.
    message = mm7.decode(payload, content_type).message
    assert isinstance(message, mm7.SoapFault) and message.detail is not None, message
    return message.detail


class StrictRelay(Service):
    """An MM7 relay endpoint whose peer is held to the schema (strict mode)."""

    def __init__(self, trace: TraceRecorder) -> None:
        super().__init__("STRICT-RS", STRICT_HOST, 0)
        codec = mm7.CodecConfig(namespace=NS, mode=mm7.Mode.STRICT)
        self.endpoint = MM7Endpoint(self, trace, {"/mm7/dr": ("vasp", self._on_report)}, codec)

    async def _on_report(self, inbound: Inbound) -> Reply:
        msg = inbound.message
        return Reply(mm7.DeliveryReportRsp(msg.transaction_id, msg.namespace))


def test_strict_endpoint_names_every_deviation_in_details() -> None:
    """Five deviations in one DeliveryReportReq: one VASPErrorRsp, all five in Details."""
    report = (
        f'<DeliveryReportReq xmlns="{NS}"><MM7Version>6.8.0</MM7Version>'
        "<MessageID>M1</MessageID><Recipients><To><Number>+1555</Number></To></Recipients>"
        "<Sender><Number>1065</Number></Sender><TimeStamp>2024-05-01T10:00:00Z</TimeStamp>"
        "<MMStatus>1</MMStatus><Bogus>x</Bogus></DeliveryReportReq>"
    )
    body = b"\r\n" + envelope(report)

    async def main() -> tuple[int, mm7.RSErrorRsp | mm7.VASPErrorRsp, list[dict[str, object]]]:
        relay = StrictRelay(TraceRecorder())
        await relay.start()
        try:
            status, payload, ctype = await post_raw(relay.endpoint.url("/mm7/dr"), body)
        finally:
            await relay.stop()
        return status, fault_of(payload, ctype), list(relay.events.of("rejected"))

    http_status, detail, rejected = asyncio.run(main())
    assert http_status == 500
    assert isinstance(detail, mm7.VASPErrorRsp)
    assert detail.transaction_id == "T-det"
    # The first deviation's status leads (2007: the blank line before the declaration).
    assert detail.status.code == 2007
    details = detail.status.details or ""
    for element in ("xml declaration", "Recipients", "TimeStamp", "MMStatus", "Bogus"):
        assert f"{element}: " in details, details
    assert details.index("xml declaration") < details.index("MMStatus")
    assert rejected[0]["elements"] == [
        "xml declaration",
        "Recipients",
        "TimeStamp",
        "Bogus",
        "MMStatus",
    ]


def test_details_stay_short_and_writable() -> None:
    """A reason quoting hostile bytes: control characters dropped, length bounded."""
    many = tuple(mm7.Deviation("unknown-element", f"E{i}\x01", "x" * 300, 4004) for i in range(50))
    text = mm7.error_details(mm7.MM7Error.of(many))
    assert len(text) <= 480 and "\x01" not in text
    encoded = mm7.encode(mm7.RSErrorRsp("T", NS, status=mm7.Status(4004, "Validation error", text)))
    decoded = mm7.decode(encoded.body, encoded.content_type).message
    assert isinstance(decoded, mm7.SoapFault) and decoded.status is not None
    assert decoded.status.details == text


def test_farm_server_names_the_missing_element_to_the_sp(
    net: Callable[..., AbstractAsyncContextManager[ReportRoutingNet]],
) -> None:
    """The reference MMSG server (lenient) refusing a SubmitReq without Recipients."""
    submit = (
        f'<SubmitReq xmlns="{NS}"><MM7Version>6.8.0</MM7Version>'
        "<SenderIdentification><VASPID>sp001</VASPID></SenderIdentification>"
        "<Subject>hi</Subject></SubmitReq>"
    )

    async def main() -> tuple[int, mm7.RSErrorRsp | mm7.VASPErrorRsp]:
        async with net() as running:
            assert running.farm is not None
            server = next(iter(running.farm.servers.values()))
            status, payload, ctype = await post_raw(server.submit_url, envelope(submit))
        return status, fault_of(payload, ctype)

    http_status, detail = asyncio.run(main())
    assert http_status == 500
    assert isinstance(detail, mm7.RSErrorRsp)
    assert detail.status.code == 4004
    assert detail.status.details == "Recipients: missing in SubmitReq"
