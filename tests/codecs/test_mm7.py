"""MM7 codec: golden vectors, strict errors, lenient deviations, round trips, XML safety.

Golden files under golden/mm7/ are the spec record: encode() must produce
them byte for byte and decode() must give the message back. Regenerate the
encoder-made ones with MMSCONF_REGEN_GOLDEN=1 (then read the diff by eye);
the foreign_* files are hand-written and never regenerated.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

from mmsconf.emulators.codecs import mime
from mmsconf.emulators.codecs.mm7 import (
    DEFAULT_NAMESPACE,
    DEVIATION_CODES,
    MM7_NAMESPACES,
    SOAP_ENV_NS,
    Address,
    CodecConfig,
    ContentPart,
    Decoded,
    DeliveryReportReq,
    DeliveryReportRsp,
    MM7Error,
    MM7Message,
    Mode,
    RSErrorRsp,
    SoapFault,
    Status,
    SubmitReq,
    SubmitRsp,
    VASPErrorRsp,
    decode,
    encode,
    is_rel6,
    status_of,
    summary,
)

GOLDEN = Path(__file__).parent / "golden" / "mm7"
REGEN = os.environ.get("MMSCONF_REGEN_GOLDEN") == "1"

NS = DEFAULT_NAMESPACE
NS_R5_2 = MM7_NAMESPACES[2]  # REL-5-MM7-1-2, Mbuni-era
NS_R5_3 = MM7_NAMESPACES[3]
NS_R6_0 = MM7_NAMESPACES[6]  # REL-6-MM7-1-0, CMCC-style clients
LENIENT = CodecConfig(mode=Mode.LENIENT)
XML = 'text/xml; charset="utf-8"'

# A 1x1 transparent GIF: binary, with NUL, CR and LF bytes in it.
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;\r\n\n\r"
)
PARTS = (
    ContentPart("text-1", "text/plain; charset=utf-8", "Hello from sp001 — 10% off\n".encode()),
    ContentPart("image-1", "image/gif", GIF),
)

SUBMIT = SubmitReq(
    transaction_id="vasp-0001",
    vasp_id="sp001",
    vas_id="svc01",
    sender_address=Address("10650001", "ShortCode"),
    to=(Address("+8613800000001"), Address("+8613800000002")),
    cc=(Address("alice@example.net", "RFC2822Address"),),
    service_code="sc-42",
    linked_id="link-7",
    message_class="Informational",
    delivery_report=True,
    read_reply=False,
    priority="Normal",
    subject="Weekly offer — 10% off",
    applic_id="com.example.offers",
    reply_applic_id="com.example.replies",
    aux_applic_info="MSGID1=sp001-0001",
)
SUBMIT_MP = replace(SUBMIT, transaction_id="vasp-0002", bcc=(Address("1234", "ShortCode"),))
SUBMIT_RSP = SubmitRsp("vasp-0001", status=Status.of(1000), message_id="180-20240501-000001")
DR_REQ = DeliveryReportReq(
    "mmsc-0042",
    message_id="180-20240501-000001",
    recipient=Address("+8613800000001"),
    sender=Address("10650001", "ShortCode"),
    date="2024-05-01T10:15:30+08:00",
    mm_status="Retrieved",
    relay_server_id="mmsc-1",
    status_text="Delivered to handset",
    aux_applic_info="MSGID2=180-000001",
)
DR_RSP = DeliveryReportRsp("mmsc-0042", status=Status.of(1000))
RS_ERROR = RSErrorRsp("vasp-0003", status=Status(2005, "Message ID Not found", "no record"))
VASP_ERROR = VASPErrorRsp("mmsc-0043", status=Status.of(4006))
FAULT_NO_DETAIL = SoapFault("vasp-0004", faultcode="env:Server", faultstring="Server error")


def _fault(rsp: RSErrorRsp | VASPErrorRsp, code: str) -> SoapFault:
    return SoapFault(
        rsp.transaction_id,
        rsp.namespace,
        rsp.version,
        faultcode=code,
        faultstring=rsp.status.text,
        detail=rsp,
    )


# name, message to encode, parts, what decoding the golden bytes gives back
GOLDEN_CASES: list[tuple[str, MM7Message, tuple[ContentPart, ...], MM7Message]] = [
    ("submit_req", SUBMIT, (), SUBMIT),
    (
        "submit_req_multipart",
        SUBMIT_MP,
        PARTS,
        replace(SUBMIT_MP, content_href="cid:text-1", parts=PARTS),
    ),
    ("submit_rsp", SUBMIT_RSP, (), SUBMIT_RSP),
    ("delivery_report_req", DR_REQ, (), DR_REQ),
    ("delivery_report_rsp", DR_RSP, (), DR_RSP),
    ("rs_error_fault", RS_ERROR, (), _fault(RS_ERROR, "env:Client")),
    ("vasp_error_fault", VASP_ERROR, (), _fault(VASP_ERROR, "env:Server")),
    ("fault_no_detail", FAULT_NO_DETAIL, (), FAULT_NO_DETAIL),
]


def _golden_paths(name: str, parts: tuple[ContentPart, ...]) -> tuple[Path, Path | None]:
    if parts:
        return GOLDEN / f"{name}.bin", GOLDEN / f"{name}.content-type.txt"
    return GOLDEN / f"{name}.xml", None


@pytest.mark.parametrize(
    ("name", "message", "parts", "expected"), GOLDEN_CASES, ids=[c[0] for c in GOLDEN_CASES]
)
def test_golden_vector(
    name: str, message: MM7Message, parts: tuple[ContentPart, ...], expected: MM7Message
) -> None:
    encoded = encode(message, parts=parts)
    body_path, ct_path = _golden_paths(name, parts)
    if REGEN:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        body_path.write_bytes(encoded.body)
        if ct_path is not None:
            ct_path.write_text(encoded.content_type + "\n", encoding="ascii")
    golden = body_path.read_bytes()
    assert encoded.body == golden
    content_type = XML if ct_path is None else ct_path.read_text(encoding="ascii").strip()
    assert encoded.content_type == content_type
    assert encoded.soap_action == '""'
    assert decode(golden, content_type) == Decoded(expected, ())
    # The decoded message encodes to the same bytes again.
    assert encode(expected).body == golden


def test_golden_multipart_parts_from_message_or_argument_are_the_same() -> None:
    with_parts = replace(SUBMIT_MP, parts=PARTS)
    assert encode(with_parts) == encode(SUBMIT_MP, parts=PARTS)
    decoded = decode(encode(with_parts).body, encode(with_parts).content_type).message
    assert isinstance(decoded, SubmitReq)
    assert decoded.parts == PARTS
    assert decoded.parts[1].data == GIF


def test_golden_shapes() -> None:
    """What a reader checks by eye in the golden files, pinned."""
    xml = (GOLDEN / "submit_req.xml").read_text(encoding="utf-8")
    assert xml.startswith(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope xmlns:env="{SOAP_ENV_NS}">'
    )
    assert (
        f'<mm7:TransactionID xmlns:mm7="{NS}" env:mustUnderstand="1">vasp-0001</mm7:TransactionID>'
    ) in xml
    order = [
        "MM7Version",
        "SenderIdentification",
        "VASPID",
        "VASID",
        "SenderAddress",
        "Recipients",
        "To",
        "Cc",
        "ServiceCode",
        "LinkedID",
        "MessageClass",
        "DeliveryReport",
        "ReadReply",
        "Priority",
        "Subject",
        "ApplicID",
        "ReplyApplicID",
        "AuxApplicInfo",
    ]
    positions = [xml.index(f"<mm7:{name}>") for name in order]
    assert positions == sorted(positions)
    fault = (GOLDEN / "rs_error_fault.xml").read_text(encoding="utf-8")
    for piece in (
        "<env:Fault>",
        "<faultcode>env:Client</faultcode>",
        "<faultstring>Message ID Not found</faultstring>",
        "<detail>",
        f'<mm7:RSErrorRsp xmlns:mm7="{NS}">',
        "<mm7:StatusCode>2005</mm7:StatusCode>",
    ):
        assert piece in fault
    assert fault.index("<faultcode>") < fault.index("<faultstring>") < fault.index("<detail>")
    body = (GOLDEN / "submit_req_multipart.bin").read_bytes()
    assert b"Content-ID: <mm7-envelope>\r\n" in body
    assert b'<mm7:Content href="cid:text-1"/>' in body
    assert body.index(b"<mm7-envelope>") < body.index(b"<text-1>") < body.index(b"<image-1>")


# --------------------------------------------------------------------------- foreign vectors


def test_foreign_mbuni_fault_rel5() -> None:
    """Mbuni style: SOAP-ENV prefix, default xmlns, REL-5-MM7-1-2, HTTP 200 fault."""
    body = (GOLDEN / "foreign_mbuni_fault_rel5.xml").read_bytes()
    rsp = RSErrorRsp(
        "mbuni-17|0000", NS_R5_2, "5.3.0", status=Status(2007, "Message format corrupt")
    )
    expected = SoapFault(
        "mbuni-17|0000",
        NS_R5_2,
        "5.3.0",
        faultcode="env:Server",
        faultstring="Server error",
        detail=rsp,
    )
    strict = decode(body, "text/xml", soap_action='""', config=CodecConfig(namespace=NS_R5_2))
    assert strict == Decoded(expected, ())
    assert status_of(strict.message) == 2007
    with pytest.raises(MM7Error) as err:
        decode(body, "text/xml")  # peer configured for REL-6-MM7-1-4
    assert (err.value.element, err.value.status) == ("RSErrorRsp", 4002)
    lenient = decode(body, "text/xml", config=LENIENT)
    assert lenient.message == expected
    # The header agrees with the detail, so the mismatch is recorded once, on the detail.
    assert [(d.code, d.element) for d in lenient.deviations] == [
        ("namespace-mismatch", "RSErrorRsp")
    ]


def test_foreign_submit_req_lenient() -> None:
    """CMCC-ish: prefixed body with unqualified children, TRUE, padded TID, wrong charset."""
    body = (GOLDEN / "foreign_submit_req_rel6_lenient.xml").read_bytes()
    config = CodecConfig(namespace=NS_R6_0, mode=Mode.LENIENT)
    decoded = decode(body, "text/xml", soap_action=f'"{NS_R6_0}"', config=config)
    assert decoded.message == SubmitReq(
        "0a1b2c",
        NS_R6_0,
        "6.3.0",
        vasp_id="sp002",
        vas_id="svc9",
        sender_address=Address("1065", "ShortCode"),
        to=(Address("13800000001"),),
        bcc=(Address("13800000002"),),
        service_code="9001",
        delivery_report=True,
        priority="High",
        subject="Nachrichten für Sie",
    )
    assert [d.code for d in decoded.deviations] == [
        "soapaction-namespace",
        "charset-mismatch",
        "transaction-id-whitespace",
        "children-no-namespace",
        "out-of-order",
        "vendor-element",
        "boolean-case",
    ]
    with pytest.raises(MM7Error) as err:
        decode(body, "text/xml", config=CodecConfig(namespace=NS_R6_0))
    assert (err.value.element, err.value.status) == ("xml@encoding", 2007)


# --------------------------------------------------------------------------- hand-made inputs

TID = f'<mm7:TransactionID xmlns:mm7="{NS}" env:mustUnderstand="1">T1</mm7:TransactionID>'
DECL = '<?xml version="1.0" encoding="UTF-8"?>'


def env(body: str, *, header: str = TID, decl: str = DECL) -> bytes:
    return (
        f'{decl}<env:Envelope xmlns:env="{SOAP_ENV_NS}"><env:Header>{header}</env:Header>'
        f"<env:Body>{body}</env:Body></env:Envelope>"
    ).encode()


def dr_body(inner: str | None = None, *, ns: str = NS, open_tag: str | None = None) -> str:
    inner = (
        inner
        if inner is not None
        else (
            "<MM7Version>6.8.0</MM7Version><MessageID>M1</MessageID>"
            "<Recipient><Number>+1555</Number></Recipient><Sender><ShortCode>1065</ShortCode></Sender>"
            "<Date>2024-05-01T10:00:00Z</Date><MMStatus>Retrieved</MMStatus>"
        )
    )
    open_tag = open_tag or f'<DeliveryReportReq xmlns="{ns}">'
    close = "</mm7:DeliveryReportReq>" if open_tag.startswith("<mm7:") else "</DeliveryReportReq>"
    return f"{open_tag}{inner}{close}"


DR_INNER = dr_body()[len(f'<DeliveryReportReq xmlns="{NS}">') : -len("</DeliveryReportReq>")]
DR_MESSAGE = DeliveryReportReq(
    "T1",
    message_id="M1",
    recipient=Address("+1555"),
    sender=Address("1065", "ShortCode"),
    date="2024-05-01T10:00:00Z",
)


def submit_body(
    extra: str = "",
    *,
    sender: str = "<VASPID>sp1</VASPID>",
    recipients: str = "<To><Number>+1555</Number></To>",
    tail: str = "",
) -> str:
    return (
        f'<SubmitReq xmlns="{NS}"><MM7Version>6.8.0</MM7Version>'
        f"<SenderIdentification>{sender}</SenderIdentification>"
        f"<Recipients>{recipients}</Recipients>{extra}{tail}</SubmitReq>"
    )


def rsp_body(op: str = "SubmitRsp", inner: str | None = None) -> str:
    inner = (
        inner
        if inner is not None
        else (
            "<MM7Version>6.8.0</MM7Version><Status><StatusCode>1000</StatusCode>"
            "<StatusText>Success</StatusText></Status><MessageID>M1</MessageID>"
        )
    )
    return f'<{op} xmlns="{NS}">{inner}</{op}>'


def fault_body(inner: str) -> str:
    return f"<env:Fault>{inner}</env:Fault>"


def mpart(*parts: tuple[str, bytes], boundary: str = "XYZ") -> bytes:
    out = b"preamble\r\n"
    for headers, data in parts:
        out += f"--{boundary}\r\n{headers}\r\n\r\n".encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


MP_CT = 'multipart/related; type="text/xml"; boundary="XYZ"; start="<env1>"'
SUBMIT_WITH_CONTENT = env(submit_body('<Content href="cid:c1"/>'))


def decode_both(
    body: bytes, content_type: str = XML, soap_action: str | None = None, namespace: str = NS
) -> tuple[MM7Error, Decoded]:
    """Strict must refuse; lenient must accept. Returns both outcomes."""
    with pytest.raises(MM7Error) as err:
        decode(body, content_type, soap_action=soap_action, config=CodecConfig(namespace=namespace))
    lenient = decode(
        body,
        content_type,
        soap_action=soap_action,
        config=CodecConfig(namespace=namespace, mode=Mode.LENIENT),
    )
    return err.value, lenient


# id, body, content type, SOAPAction, namespace configured, strict (element, status), code
DEVIATION_CASES: list[tuple[str, bytes, str, str | None, str, tuple[str, int], str]] = [
    (
        "children-no-namespace",
        env(dr_body(open_tag=f'<mm7:DeliveryReportReq xmlns:mm7="{NS}">')),
        XML,
        None,
        NS,
        ("MM7Version", 4004),
        "children-no-namespace",
    ),
    (
        "body-no-namespace",
        env(dr_body(open_tag="<DeliveryReportReq>")),
        XML,
        None,
        NS,
        ("DeliveryReportReq", 4004),
        "body-no-namespace",
    ),
    (
        "status-before-version",
        env(
            rsp_body(
                inner="<Status><StatusCode>1000</StatusCode></Status>"
                "<MM7Version>6.8.0</MM7Version><MessageID>M1</MessageID>"
            )
        ),
        XML,
        None,
        NS,
        ("MM7Version", 4004),
        "out-of-order",
    ),
    (
        "mmstatus-before-date",
        env(
            dr_body(
                DR_INNER.replace("<Date>2024-05-01T10:00:00Z</Date>", "").replace(
                    "</MMStatus>", "</MMStatus><Date>2024-05-01T10:00:00Z</Date>"
                )
            )
        ),
        XML,
        None,
        NS,
        ("Date", 4004),
        "out-of-order",
    ),
    (
        "tid-whitespace",
        env(dr_body(), header=TID.replace(">T1<", "> T1\n<")),
        XML,
        None,
        NS,
        ("TransactionID", 4004),
        "transaction-id-whitespace",
    ),
    (
        "tid-empty",
        env(dr_body(), header=TID.replace(">T1<", ">  <")),
        XML,
        None,
        NS,
        ("TransactionID", 4004),
        "transaction-id-empty",
    ),
    (
        "tid-missing",
        env(dr_body(), header=""),
        XML,
        None,
        NS,
        ("TransactionID", 4004),
        "transaction-id-missing",
    ),
    (
        "tid-no-namespace",
        env(dr_body(), header='<TransactionID env:mustUnderstand="1">T1</TransactionID>'),
        XML,
        None,
        NS,
        ("TransactionID", 4004),
        "transaction-id-no-namespace",
    ),
    (
        "tid-other-namespace",
        env(dr_body(), header=TID.replace(NS, NS_R6_0)),
        XML,
        None,
        NS,
        ("TransactionID", 4002),
        "namespace-mismatch",
    ),
    (
        "mustunderstand-missing",
        env(dr_body(), header=TID.replace(' env:mustUnderstand="1"', "")),
        XML,
        None,
        NS,
        ("TransactionID@mustUnderstand", 4004),
        "mustunderstand-missing",
    ),
    (
        "mustunderstand-unqualified",
        env(dr_body(), header=TID.replace("env:mustUnderstand", "mustUnderstand")),
        XML,
        None,
        NS,
        ("TransactionID@mustUnderstand", 4004),
        "mustunderstand-missing",
    ),
    (
        "mustunderstand-true",
        env(dr_body(), header=TID.replace('"1"', '"true"')),
        XML,
        None,
        NS,
        ("TransactionID@mustUnderstand", 4004),
        "mustunderstand-value",
    ),
    (
        "header-not-understood",
        env(dr_body(), header=TID + '<x:Auth xmlns:x="urn:x" env:mustUnderstand="1">k</x:Auth>'),
        XML,
        None,
        NS,
        ("Auth", 4004),
        "header-not-understood",
    ),
    (
        "soapaction-namespace",
        env(dr_body()),
        XML,
        f'"{NS}"',
        NS,
        ("SOAPAction", 2007),
        "soapaction-namespace",
    ),
    (
        "soapaction-namespace-unquoted",
        env(dr_body()),
        XML,
        NS,
        NS,
        ("SOAPAction", 2007),
        "soapaction-namespace",
    ),
    (
        "soapaction-other",
        env(dr_body()),
        XML,
        '"urn:mm7:deliveryReport"',
        NS,
        ("SOAPAction", 2007),
        "soapaction-other",
    ),
    (
        "application-xml",
        env(dr_body()),
        "application/xml; charset=utf-8",
        None,
        NS,
        ("Content-Type", 2007),
        "content-type-application-xml",
    ),
    (
        "multipart-no-boundary",
        env(dr_body()),
        'multipart/related; type="text/xml"',
        None,
        NS,
        ("Content-Type@boundary", 2007),
        "multipart-no-boundary",
    ),
    (
        "content-id-no-brackets",
        mpart(
            ("Content-Type: text/xml\r\nContent-ID: env1", SUBMIT_WITH_CONTENT),
            ("Content-Type: text/plain\r\nContent-ID: <c1>", b"hi"),
        ),
        MP_CT,
        None,
        NS,
        ("Content-ID", 2007),
        "content-id-no-brackets",
    ),
    (
        "start-no-brackets",
        mpart(
            ("Content-Type: text/xml\r\nContent-ID: <env1>", SUBMIT_WITH_CONTENT),
            ("Content-Type: text/plain\r\nContent-ID: <c1>", b"hi"),
        ),
        MP_CT.replace('"<env1>"', "env1"),
        None,
        NS,
        ("Content-Type@start", 2007),
        "content-id-no-brackets",
    ),
    (
        "content-id-missing",
        mpart(
            ("Content-Type: text/xml\r\nContent-ID: <env1>", SUBMIT_WITH_CONTENT),
            ("Content-Type: text/plain\r\nContent-ID: <c1>", b"hi"),
            ("Content-Type: text/plain", b"orphan"),
        ),
        MP_CT,
        None,
        NS,
        ("Content-ID", 2007),
        "content-id-missing",
    ),
    (
        "version-1.0",
        env(dr_body(DR_INNER.replace("6.8.0", "1.0"))),
        XML,
        None,
        NS,
        ("MM7Version", 4002),
        "unknown-version",
    ),
    (
        "version-1.6",
        env(dr_body(DR_INNER.replace("6.8.0", "1.6"))),
        XML,
        None,
        NS,
        ("MM7Version", 4002),
        "unknown-version",
    ),
    (
        "mmstatus-numeric",
        env(dr_body(DR_INNER.replace("Retrieved", "1"))),
        XML,
        None,
        NS,
        ("MMStatus", 4004),
        "mmstatus-numeric",
    ),
    (
        "timestamp-for-date",
        env(dr_body(DR_INNER.replace("Date>", "TimeStamp>"))),
        XML,
        None,
        NS,
        ("TimeStamp", 4004),
        "timestamp-for-date",
    ),
    (
        "boolean-TRUE",
        env(submit_body("<DeliveryReport>TRUE</DeliveryReport>")),
        XML,
        None,
        NS,
        ("DeliveryReport", 4004),
        "boolean-case",
    ),
    (
        "boolean-False",
        env(submit_body("<ReadReply>False</ReadReply>")),
        XML,
        None,
        NS,
        ("ReadReply", 4004),
        "boolean-case",
    ),
    (
        "date-rfc822",
        env(dr_body(DR_INNER.replace("2024-05-01T10:00:00Z", "Wed, 01 May 2024 10:00:00 +0000"))),
        XML,
        None,
        NS,
        ("Date", 4004),
        "date-format",
    ),
    (
        "date-compact",
        env(dr_body(DR_INNER.replace("2024-05-01T10:00:00Z", "20240501100000"))),
        XML,
        None,
        NS,
        ("Date", 4004),
        "date-format",
    ),
    (
        "date-space",
        env(dr_body(DR_INNER.replace("T10:00:00Z", " 10:00:00"))),
        XML,
        None,
        NS,
        ("Date", 4004),
        "date-format",
    ),
    (
        "error-outside-fault",
        env(
            rsp_body(
                "RSErrorRsp",
                "<MM7Version>6.8.0</MM7Version><Status><StatusCode>2007"
                "</StatusCode><StatusText>Message format corrupt</StatusText>"
                "</Status>",
            )
        ),
        XML,
        None,
        NS,
        ("RSErrorRsp", 4004),
        "error-outside-fault",
    ),
    (
        "vendor-element",
        env(submit_body(sender="<VASPID>sp1</VASPID><ServiceType>news</ServiceType>")),
        XML,
        None,
        NS,
        ("ServiceType", 4004),
        "vendor-element",
    ),
    (
        "vendor-namespace-element",
        env(submit_body(sender='<VASPID>sp1</VASPID><v:Tag xmlns:v="urn:vendor">1</v:Tag>')),
        XML,
        None,
        NS,
        ("Tag", 4004),
        "vendor-element",
    ),
    (
        "unknown-element",
        env(submit_body("<Bogus>1</Bogus>")),
        XML,
        None,
        NS,
        ("Bogus", 4004),
        "unknown-element",
    ),
    (
        "rel6-element-in-rel5",
        env(
            dr_body(DR_INNER.replace("6.8.0", "5.3.0") + "<ApplicID>app</ApplicID>", ns=NS_R5_3),
            header=TID.replace(NS, NS_R5_3),
        ),
        XML,
        None,
        NS_R5_3,
        ("ApplicID", 4004),
        "rel6-element-in-rel5",
    ),
    (
        "namespace-mismatch",
        env(dr_body(ns=NS_R6_0), header=TID.replace(NS, NS_R6_0)),
        XML,
        None,
        NS,
        ("DeliveryReportReq", 4002),
        "namespace-mismatch",
    ),
    (
        "charset-mismatch",
        env(
            submit_body("<Subject>Grüße</Subject>"),
            decl='<?xml version="1.0" encoding="ISO-8859-1"?>',
        ),
        XML,
        None,
        NS,
        ("xml@encoding", 2007),
        "charset-mismatch",
    ),
    (
        "bare-address",
        env(dr_body(DR_INNER.replace("<Number>+1555</Number>", "+1555"))),
        XML,
        None,
        NS,
        ("Recipient", 4004),
        "bare-address",
    ),
    (
        "bare-sender-address",
        env(
            submit_body(sender="<VASPID>sp1</VASPID><SenderAddress>sp@example.com</SenderAddress>")
        ),
        XML,
        None,
        NS,
        ("SenderAddress", 4004),
        "bare-address",
    ),
    (
        "faultcode-unqualified",
        env(fault_body("<faultcode>Server</faultcode><faultstring>Server error</faultstring>")),
        XML,
        None,
        NS,
        ("faultcode", 4004),
        "faultcode-unqualified",
    ),
    (
        "fault-children-qualified",
        env(
            fault_body(
                "<env:faultcode>env:Server</env:faultcode>"
                "<env:faultstring>Server error</env:faultstring>"
            )
        ),
        XML,
        None,
        NS,
        ("faultcode", 4004),
        "fault-children-qualified",
    ),
    (
        # The MM7 namespace as the Envelope's default: the Fault's unprefixed children are in it.
        "fault-children-namespaced",
        (
            f'<?xml version="1.0"?><env:Envelope xmlns:env="{SOAP_ENV_NS}" xmlns="{NS}">'
            '<env:Header><TransactionID env:mustUnderstand="1">T1</TransactionID></env:Header>'
            "<env:Body><env:Fault><faultcode>env:Client</faultcode>"
            "<faultstring>Client error</faultstring><detail><RSErrorRsp>"
            "<MM7Version>6.8.0</MM7Version><Status><StatusCode>2007</StatusCode>"
            "<StatusText>Message format corrupt</StatusText></Status></RSErrorRsp></detail>"
            "</env:Fault></env:Body></env:Envelope>"
        ).encode(),
        XML,
        None,
        NS,
        ("faultcode", 4004),
        "fault-children-namespaced",
    ),
    (
        "expiry-not-a-date",
        env(submit_body("<ExpiryDate>not a date</ExpiryDate>")),
        XML,
        None,
        NS,
        ("ExpiryDate", 4004),
        "date-invalid",
    ),
    (
        "earliest-delivery-not-a-duration",
        env(submit_body("<EarliestDeliveryTime>P2X</EarliestDeliveryTime>")),
        XML,
        None,
        NS,
        ("EarliestDeliveryTime", 4004),
        "date-invalid",
    ),
    (
        "expiry-compact-date",
        env(submit_body("<ExpiryDate>20240703210241</ExpiryDate>")),
        XML,
        None,
        NS,
        ("ExpiryDate", 4004),
        "date-format",
    ),
    (
        "blank-line-before-xml-declaration",
        b"\r\n\r\n" + env(dr_body()),
        XML,
        None,
        NS,
        ("xml declaration", 2007),
        "space-before-xml-declaration",
    ),
    (
        "recipients-for-recipient",
        env(dr_body(DR_INNER.replace("Recipient>", "Recipients>"))),
        XML,
        None,
        NS,
        ("Recipients", 4004),
        "recipients-for-recipient",
    ),
    (
        "mime-no-blank-line",
        mpart(
            ("Content-Type: text/xml\r\nContent-ID: <env1>", SUBMIT_WITH_CONTENT),
            ("Content-Type: text/plain\r\nContent-ID: <c1>", b"hi"),
        ).replace(b"<env1>\r\n\r\n", b"<env1>\r\n"),
        MP_CT,
        None,
        NS,
        ("MIME part headers", 2007),
        "mime-no-blank-line",
    ),
    (
        "mime-no-close-delimiter",
        mpart(
            ("Content-Type: text/xml\r\nContent-ID: <env1>", SUBMIT_WITH_CONTENT),
            ("Content-Type: text/plain\r\nContent-ID: <c1>", b"hi"),
        ).removesuffix(b"--XYZ--\r\n"),
        MP_CT,
        None,
        NS,
        ("MIME close delimiter", 2007),
        "mime-no-close-delimiter",
    ),
    (
        "mime-close-delimiter-garbled",
        mpart(
            ("Content-Type: text/xml\r\nContent-ID: <env1>", SUBMIT_WITH_CONTENT),
            ("Content-Type: text/plain\r\nContent-ID: <c1>", b"hi"),
        ).replace(b"--XYZ--", "\u2013XYZ\u2013".encode()),
        MP_CT,
        None,
        NS,
        ("MIME close delimiter", 2007),
        "mime-close-delimiter-garbled",
    ),
    (
        "extended-cancel-before-rel6-1-4",
        env(
            f'<extendedCancelReq xmlns="{NS_R6_0}"><MM7Version>6.3.0</MM7Version>'
            "<SenderIdentification><VASPID>sp1</VASPID></SenderIdentification>"
            "<CancelID>M1</CancelID></extendedCancelReq>",
            header=TID.replace(NS, NS_R6_0),
        ),
        XML,
        None,
        NS_R6_0,
        ("extendedCancelReq", 4003),
        "operation-not-in-release",
    ),
    (
        "fault-detail-unknown",
        env(
            fault_body(
                "<faultcode>env:Server</faultcode><faultstring>x</faultstring>"
                '<detail><e:Err xmlns:e="urn:e">boom</e:Err></detail>'
            )
        ),
        XML,
        None,
        NS,
        ("Err", 4004),
        "fault-detail-unknown",
    ),
]


@pytest.mark.parametrize(
    ("body", "content_type", "soap_action", "namespace", "strict", "code"),
    [c[1:] for c in DEVIATION_CASES],
    ids=[c[0] for c in DEVIATION_CASES],
)
def test_strict_refuses_lenient_records(
    body: bytes,
    content_type: str,
    soap_action: str | None,
    namespace: str,
    strict: tuple[str, int],
    code: str,
) -> None:
    error, lenient = decode_both(body, content_type, soap_action, namespace)
    assert (error.element, error.status) == strict
    assert [d.code for d in lenient.deviations] == [code]
    assert lenient.deviations[0].element == strict[0]


def test_every_deviation_code_is_exercised() -> None:
    exercised = {case[-1] for case in DEVIATION_CASES}
    assert exercised == set(DEVIATION_CODES)


def _lenient(body: bytes, content_type: str = XML) -> MM7Message:
    return decode(body, content_type, config=LENIENT).message


def test_lenient_values_kept_as_documented() -> None:
    assert _lenient(env(dr_body(DR_INNER.replace("Retrieved", "1")))) == replace(
        DR_MESSAGE, mm_status="1"
    )
    assert _lenient(env(dr_body(DR_INNER.replace("Date>", "TimeStamp>")))) == DR_MESSAGE
    rfc = "Wed, 01 May 2024 10:00:00 +0000"
    assert _lenient(env(dr_body(DR_INNER.replace("2024-05-01T10:00:00Z", rfc)))) == replace(
        DR_MESSAGE, date=rfc
    )
    assert _lenient(env(dr_body(DR_INNER.replace("6.8.0", "1.0")))) == replace(
        DR_MESSAGE, version="1.0"
    )
    assert _lenient(env(dr_body(), header=TID.replace(">T1<", "> T1\n<"))) == DR_MESSAGE
    assert _lenient(env(dr_body(), header="")) == replace(DR_MESSAGE, transaction_id="")
    assert _lenient(env(dr_body(open_tag="<DeliveryReportReq>"))) == DR_MESSAGE
    bare = _lenient(
        env(
            submit_body(
                sender="<SenderAddress>sp@example.com</SenderAddress>", recipients="<To>+1555</To>"
            )
        )
    )
    assert isinstance(bare, SubmitReq)
    assert bare.sender_address == Address("sp@example.com", "RFC2822Address")
    assert bare.to == (Address("+1555", "Number"),)
    booleans = _lenient(
        env(submit_body("<DeliveryReport>TRUE</DeliveryReport><ReadReply>False</ReadReply>"))
    )
    assert isinstance(booleans, SubmitReq)
    assert (booleans.delivery_report, booleans.read_reply) == (True, False)
    outside = _lenient(
        env(
            rsp_body(
                "VASPErrorRsp",
                "<MM7Version>6.8.0</MM7Version><Status><StatusCode>4006</StatusCode></Status>",
            )
        )
    )
    assert outside == VASPErrorRsp("T1", status=Status(4006, ""))
    unknown_detail = _lenient(
        env(
            fault_body(
                "<faultcode>env:Server</faultcode><faultstring>x</faultstring>"
                '<detail><e:Err xmlns:e="urn:e">boom</e:Err></detail>'
            )
        )
    )
    assert unknown_detail == SoapFault("T1", faultcode="env:Server", faultstring="x")
    charset = _lenient(
        env(
            submit_body("<Subject>Grüße</Subject>"),
            decl='<?xml version="1.0" encoding="ISO-8859-1"?>',
        )
    )
    assert isinstance(charset, SubmitReq)
    assert charset.subject == "Grüße"


def test_lenient_multipart_no_boundary_and_application_xml() -> None:
    assert _lenient(env(dr_body()), "multipart/related") == DR_MESSAGE
    assert _lenient(env(dr_body()), "application/xml") == DR_MESSAGE


def test_strict_accepts_empty_soapaction_forms() -> None:
    for action in (None, "", '""', ' "" '):
        assert decode(env(dr_body()), XML, soap_action=action) == Decoded(DR_MESSAGE, ())


def test_strict_accepts_legal_but_unmodelled_elements() -> None:
    extra = (
        "<TimeStamp>2024-05-01T10:00:00Z</TimeStamp><ExpiryDate>P1D</ExpiryDate>"
        "<DeliveryReport>1</DeliveryReport><ChargedParty>Sender</ChargedParty>"
        "<DistributionIndicator>false</DistributionIndicator>"
        "<ContentClass>image-basic</ContentClass><DRMContent>0</DRMContent>"
    )
    message = decode(env(submit_body(extra)), XML).message
    assert isinstance(message, SubmitReq)
    assert message.delivery_report is True
    with_ext = dr_body(
        DR_INNER.replace("<MessageID>", "<Extension><x>1</x></Extension><MessageID>")
    )
    assert decode(env(with_ext), XML).message == DR_MESSAGE


# --------------------------------------------------------------------------- errors in both modes

MISSING_DR = ["MessageID", "Recipient", "Sender", "Date", "MMStatus", "MM7Version"]


def _drop(inner: str, name: str) -> str:
    start = inner.index(f"<{name}>")
    end = inner.index(f"</{name}>") + len(f"</{name}>")
    return inner[:start] + inner[end:]


ERROR_CASES: list[tuple[str, bytes, str, tuple[str, int]]] = [
    *[
        (f"dr-missing-{name}", env(dr_body(_drop(DR_INNER, name))), XML, (name, 4004))
        for name in MISSING_DR
    ],
    (
        "submit-missing-recipients",
        env(
            f'<SubmitReq xmlns="{NS}"><MM7Version>6.8.0</MM7Version><SenderIdentification/>'
            "</SubmitReq>"
        ),
        XML,
        ("Recipients", 4004),
    ),
    (
        "submit-missing-sender-identification",
        env(
            f'<SubmitReq xmlns="{NS}"><MM7Version>6.8.0</MM7Version><Recipients><To><Number>1'
            "</Number></To></Recipients></SubmitReq>"
        ),
        XML,
        ("SenderIdentification", 4004),
    ),
    (
        "submit-missing-version",
        env(submit_body().replace("<MM7Version>6.8.0</MM7Version>", "")),
        XML,
        ("MM7Version", 4004),
    ),
    ("submit-empty-recipients", env(submit_body(recipients="")), XML, ("Recipients", 4004)),
    ("submit-empty-to", env(submit_body(recipients="<To></To>")), XML, ("To", 4004)),
    (
        "submit-empty-number",
        env(submit_body(recipients="<To><Number> </Number></To>")),
        XML,
        ("Number", 4004),
    ),
    (
        "submit-duplicate-subject",
        env(submit_body("<Subject>a</Subject><Subject>b</Subject>")),
        XML,
        ("Subject", 4004),
    ),
    (
        "submit-bad-priority",
        env(submit_body("<Priority>Urgent</Priority>")),
        XML,
        ("Priority", 4004),
    ),
    (
        "submit-bad-class",
        env(submit_body("<MessageClass>Spam</MessageClass>")),
        XML,
        ("MessageClass", 4004),
    ),
    (
        "submit-bad-boolean",
        env(submit_body("<DeliveryReport>yes</DeliveryReport>")),
        XML,
        ("DeliveryReport", 4004),
    ),
    (
        "submit-bad-charged-party",
        env(submit_body("<ChargedParty>Nobody</ChargedParty>")),
        XML,
        ("ChargedParty", 4004),
    ),
    ("submit-content-no-part", SUBMIT_WITH_CONTENT, XML, ("Content@href", 2007)),
    ("submit-content-no-href", env(submit_body("<Content/>")), XML, ("Content@href", 4004)),
    (
        "dr-bad-mmstatus",
        env(dr_body(DR_INNER.replace("Retrieved", "Gone"))),
        XML,
        ("MMStatus", 4004),
    ),
    (
        "dr-bad-date",
        env(dr_body(DR_INNER.replace("2024-05-01T10:00:00Z", "yesterday"))),
        XML,
        ("Date", 4004),
    ),
    (
        "dr-bad-month",
        env(dr_body(DR_INNER.replace("2024-05-01", "2024-13-01"))),
        XML,
        ("Date", 4004),
    ),
    (
        "dr-two-recipients",
        env(
            dr_body(
                DR_INNER.replace(
                    "<Number>+1555</Number>", "<Number>+1555</Number><Number>+1666</Number>"
                )
            )
        ),
        XML,
        ("Recipient", 4004),
    ),
    (
        "dr-address-with-child",
        env(dr_body(DR_INNER.replace("+1555", "<b>+1555</b>"))),
        XML,
        ("Number", 4004),
    ),
    (
        "rsp-ok-without-message-id",
        env(
            rsp_body(
                inner="<MM7Version>6.8.0</MM7Version><Status><StatusCode>1000</StatusCode></Status>"
            )
        ),
        XML,
        ("MessageID", 4004),
    ),
    (
        "rsp-missing-status",
        env(rsp_body("DeliveryReportRsp", "<MM7Version>6.8.0</MM7Version>")),
        XML,
        ("Status", 4004),
    ),
    (
        "rsp-missing-status-code",
        env(
            rsp_body(
                "DeliveryReportRsp",
                "<MM7Version>6.8.0</MM7Version><Status><StatusText>x</StatusText></Status>",
            )
        ),
        XML,
        ("StatusCode", 4004),
    ),
    (
        "rsp-bad-status-code",
        env(
            rsp_body(
                "DeliveryReportRsp",
                "<MM7Version>6.8.0</MM7Version><Status><StatusCode>abc</StatusCode></Status>",
            )
        ),
        XML,
        ("StatusCode", 4004),
    ),
    (
        "rsp-zero-status-code",
        env(
            rsp_body(
                "DeliveryReportRsp",
                "<MM7Version>6.8.0</MM7Version><Status><StatusCode>0</StatusCode></Status>",
            )
        ),
        XML,
        ("StatusCode", 4004),
    ),
    (
        "fault-missing-faultstring",
        env(fault_body("<faultcode>env:Server</faultcode>")),
        XML,
        ("faultstring", 4004),
    ),
    (
        "unsupported-operation",
        env(f'<QueryStatusReq xmlns="{NS}"><MM7Version>6.8.0</MM7Version></QueryStatusReq>'),
        XML,
        ("QueryStatusReq", 4003),
    ),
    ("unsupported-soap-body-element", env("<env:Whatever/>"), XML, ("Whatever", 4003)),
    ("unknown-namespace", env('<SubmitReq xmlns="urn:not-mm7"/>'), XML, ("SubmitReq", 4002)),
    (
        "tid-unknown-namespace",
        env(dr_body(), header=TID.replace(NS, "urn:x")),
        XML,
        ("TransactionID", 4002),
    ),
    ("malformed-xml", env(dr_body())[:-20], XML, ("Envelope", 2007)),
    ("not-xml", b"hello", XML, ("Envelope", 2007)),
    ("not-an-envelope", f'<DeliveryReportReq xmlns="{NS}"/>'.encode(), XML, ("Envelope", 2007)),
    (
        "soap-1.2-envelope",
        env(dr_body()).replace(SOAP_ENV_NS.encode(), b"http://www.w3.org/2003/05/soap-envelope"),
        XML,
        ("Envelope", 2007),
    ),
    ("empty-body", env(""), XML, ("Body", 2007)),
    ("two-body-entries", env(dr_body() + dr_body()), XML, ("Body", 2007)),
    (
        "no-body",
        DECL.encode() + f'<env:Envelope xmlns:env="{SOAP_ENV_NS}"/>'.encode(),
        XML,
        ("Body", 2007),
    ),
    ("text-plain", env(dr_body()), "text/plain", ("Content-Type", 2007)),
    ("header-injection", env(dr_body()), "text/xml\r\nX-Evil: 1", ("Content-Type", 2007)),
    (
        "multipart-start-not-found",
        mpart(("Content-Type: text/xml\r\nContent-ID: <other>", env(dr_body()))),
        MP_CT,
        ("Content-Type@start", 2007),
    ),
    ("multipart-boundary-absent", env(dr_body()), MP_CT, ("Content-Type@boundary", 2007)),
    (
        "multipart-soap-part-not-xml",
        mpart(("Content-Type: text/plain\r\nContent-ID: <env1>", env(dr_body()))),
        MP_CT,
        ("Content-Type", 2007),
    ),
    (
        "multipart-href-unresolved",
        mpart(
            ("Content-Type: text/xml\r\nContent-ID: <env1>", SUBMIT_WITH_CONTENT),
            ("Content-Type: text/plain\r\nContent-ID: <c2>", b"hi"),
        ),
        MP_CT,
        ("Content@href", 2007),
    ),
    (
        "multipart-href-not-cid",
        mpart(
            (
                "Content-Type: text/xml\r\nContent-ID: <env1>",
                env(submit_body('<Content href="http://example.com/c1"/>')),
            ),
            ("Content-Type: text/plain\r\nContent-ID: <c1>", b"hi"),
        ),
        MP_CT,
        ("Content@href", 2007),
    ),
    (
        "multipart-bad-base64",
        mpart(
            ("Content-Type: text/xml\r\nContent-ID: <env1>", SUBMIT_WITH_CONTENT),
            (
                "Content-Type: image/gif\r\nContent-ID: <c1>\r\nContent-Transfer-Encoding: base64",
                b"!!not*base64",
            ),
        ),
        MP_CT,
        ("Content-Transfer-Encoding", 2007),
    ),
    (
        "multipart-nested-too-deep",
        b"".join(
            f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n".encode()
            for i in range(3000)
        ),
        "multipart/related; boundary=b0",
        ("Content-Type", 2007),
    ),
    ("xml-nested-too-deep", env("<a>" * 300 + "</a>" * 300), XML, ("Envelope", 2007)),
    (
        "multipart-duplicate-cid",
        mpart(
            ("Content-Type: text/xml\r\nContent-ID: <env1>", SUBMIT_WITH_CONTENT),
            ("Content-Type: text/plain\r\nContent-ID: <c1>", b"a"),
            ("Content-Type: text/plain\r\nContent-ID: <c1>", b"b"),
        ),
        MP_CT,
        ("Content-ID", 2007),
    ),
]


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [c[1:] for c in ERROR_CASES],
    ids=[c[0] for c in ERROR_CASES],
)
@pytest.mark.parametrize("mode", list(Mode))
def test_refused_in_both_modes(
    body: bytes, content_type: str, expected: tuple[str, int], mode: Mode
) -> None:
    with pytest.raises(MM7Error) as err:
        decode(body, content_type, config=CodecConfig(mode=mode))
    # Strict leads with any deviation found before reading had to stop; the
    # refusal itself is the last entry in both modes.
    last = err.value.deviations[-1]
    assert (last.code, last.element, last.status) == ("refused", *expected)
    if mode is Mode.LENIENT:
        assert (err.value.element, err.value.status) == expected


def test_submit_rsp_error_without_message_id_is_fine() -> None:
    body = env(
        rsp_body(
            inner="<MM7Version>6.8.0</MM7Version><Status><StatusCode>2002"
            "</StatusCode><StatusText>Address Error</StatusText>"
            "<Details>bad <b>number</b></Details></Status>"
        )
    )
    message = decode(body, XML).message
    details = f'bad <b xmlns="{NS}">number</b>'
    assert message == SubmitRsp("T1", status=Status(2002, "Address Error", details))
    assert decode(encode(message).body, XML).message == message
    assert status_of(message) == 2002


# --------------------------------------------------------------------------- multipart details


def test_multipart_envelope_found_by_start_and_nested_multipart_kept() -> None:
    nested = (
        b"--inner\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
        b"--inner\r\nContent-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"R0lGODlh\r\n--inner--\r\n"
    )
    body = mpart(
        ("Content-Type: multipart/mixed; boundary=inner\r\nContent-ID: <c1>", nested),
        ("Content-Type: text/xml; charset=utf-8\r\nContent-ID: <env1>", SUBMIT_WITH_CONTENT),
    )
    message = decode(body, MP_CT).message
    assert isinstance(message, SubmitReq)
    assert message.content_href == "cid:c1"
    [part] = message.parts
    assert part.content_id == "c1"
    assert part.content_type == "multipart/mixed; boundary=inner"
    assert b"--inner" in part.data and b"hello" in part.data


def test_multipart_without_start_uses_first_part_and_decodes_base64() -> None:
    body = mpart(
        ("Content-Type: text/xml\r\nContent-ID: <e>", SUBMIT_WITH_CONTENT),
        (
            "Content-Type: image/gif\r\nContent-ID: <c1>\r\nContent-Transfer-Encoding: base64",
            b"R0lGODlh",
        ),
    )
    message = decode(body, 'multipart/related; boundary=XYZ; type="text/xml"').message
    assert isinstance(message, SubmitReq)
    assert message.parts == (ContentPart("c1", "image/gif", b"GIF89a"),)


def test_non_submit_operations_in_multipart_are_accepted() -> None:
    body = mpart(
        ("Content-Type: text/xml\r\nContent-ID: <env1>", env(dr_body())),
        ("Content-Type: text/plain\r\nContent-ID: <x>", b"ignored"),
    )
    assert decode(body, MP_CT).message == DR_MESSAGE


def _framing_fault(fault: str, body: bytes, boundary: str) -> bytes:
    close = f"\r\n--{boundary}--\r\n".encode()
    if fault == "preamble":
        return b"Preamble text\r\n" + body
    if fault == "epilogue":
        return body + b"Epilogue text\r\n"
    if fault == "no-close-delimiter":
        return body.removesuffix(close)
    if fault == "no-blank-line-after-headers":  # base64 is no header line
        return body.replace(
            b"Content-Transfer-Encoding: base64\r\n\r\n",
            b"Content-Transfer-Encoding: base64\r\n",
            1,
        )
    # A close delimiter with a typographic dash, where it changes no part: the preamble.
    return f"--{boundary}\u2013\r\n".encode() + body


# The splitter's note -> MM7's deviation; preamble and epilogue are legal (RFC 2046).
FRAMING_DEVIATIONS = {
    "preamble": None,
    "epilogue": None,
    "no-blank-line-after-headers": ("mime-no-blank-line", "MIME part headers"),
    "no-close-delimiter": ("mime-no-close-delimiter", "MIME close delimiter"),
    "close-delimiter-non-ascii-dash": None,  # in the preamble it changes nothing
}


@pytest.mark.parametrize("fault", sorted(mime.FRAMING_NOTES))
def test_multipart_framing_faults_strict_names_lenient_reads(fault: str) -> None:
    encoded = encode(SUBMIT_MP, parts=PARTS)
    boundary = encoded.content_type.split('boundary="', 1)[1].split('"', 1)[0]
    damaged = _framing_fault(fault, encoded.body, boundary)
    assert fault in {note.code for note in mime.split(damaged, boundary).notes}
    clean = decode(encoded.body, encoded.content_type)
    expected = FRAMING_DEVIATIONS[fault]
    if expected is None:
        for mode in Mode:
            assert decode(damaged, encoded.content_type, config=CodecConfig(mode=mode)) == clean
        return
    error, lenient = decode_both(damaged, encoded.content_type)
    assert (error.element, error.status) == (expected[1], 2007)
    assert [(d.code, d.element) for d in lenient.deviations] == [expected]
    assert lenient.message == clean.message


GARBLED_CLOSE = ("\u2013", "\u2014", "\u2212", "\uff0d")


@pytest.mark.parametrize("dash", GARBLED_CLOSE)
@pytest.mark.parametrize("where", ["after", "before"])
def test_garbled_close_delimiter_ends_the_body_and_stays_out_of_the_data(
    dash: str, where: str
) -> None:
    """A close delimiter "--b–" (or "–b--") where "--b--" belongs: strict names it; lenient
    ends the body there, and the line is in no part's data."""
    encoded = encode(SUBMIT_MP, parts=PARTS)
    boundary = encoded.content_type.split('boundary="', 1)[1].split('"', 1)[0]
    line = f"--{boundary}{dash}" if where == "after" else f"{dash}{boundary}--"
    damaged = encoded.body.replace(f"--{boundary}--".encode(), line.encode("utf-8"))
    error, lenient = decode_both(damaged, encoded.content_type)
    assert (error.element, error.status) == ("MIME close delimiter", 2007)
    assert [d.code for d in lenient.deviations] == ["mime-close-delimiter-garbled"]
    assert lenient.message == decode(encoded.body, encoded.content_type).message
    assert isinstance(lenient.message, SubmitReq)
    assert all(boundary.encode() not in part.data for part in lenient.message.parts)


def test_hand_written_framing_faults_all_named_at_once() -> None:
    """A body as a hand-rolled client writes it: the envelope part's headers run
    straight into the XML, and the close delimiter has an en dash."""
    body = (
        b"--XYZ\r\nContent-Type: text/xml\r\nContent-ID: <env1>\r\n"
        + SUBMIT_WITH_CONTENT
        + b"\r\n--XYZ\r\nContent-Type: text/plain\r\nContent-ID: <c1>\r\n\r\nhello\r\n"
        + "--XYZ\u2013\r\n".encode()
    )
    error, lenient = decode_both(body, MP_CT)
    assert [(d.code, d.element) for d in error.deviations] == [
        ("mime-close-delimiter-garbled", "MIME close delimiter"),
        ("mime-no-blank-line", "MIME part headers"),
    ]
    message = lenient.message
    assert isinstance(message, SubmitReq)
    assert message.parts == (ContentPart("c1", "text/plain", b"hello"),)


def test_garbled_close_delimiter_before_more_parts_is_refused_in_both_modes() -> None:
    """Further delimiters after it: the bytes do not say where the part ends."""
    body = mpart(
        ("Content-Type: text/xml\r\nContent-ID: <env1>", SUBMIT_WITH_CONTENT),
        ("Content-Type: text/plain\r\nContent-ID: <c1>", "hi\r\n--XYZ\u2013".encode()),
        ("Content-Type: text/plain\r\nContent-ID: <c2>", b"more"),
    )
    for mode in Mode:
        with pytest.raises(MM7Error) as err:
            decode(body, MP_CT, config=CodecConfig(mode=mode))
        assert (err.value.element, err.value.status) == ("MIME close delimiter", 2007)


# --------------------------------------------------------------------------- round trips


def _messages_for(ns: str) -> list[MM7Message]:
    rel6 = is_rel6(ns)
    version = "6.8.0" if rel6 else "5.3.0"
    applic = {"applic_id": "app", "reply_applic_id": "r-app", "aux_applic_info": "aux"}
    if not rel6:
        applic = dict.fromkeys(applic)  # REL-5 has no Applic* elements
    submit = replace(SUBMIT, namespace=ns, version=version, **applic)
    error = RSErrorRsp("T9", ns, version, status=Status.of(2007))
    return [
        submit,
        replace(submit, content_href="cid:text-1", parts=PARTS),
        replace(SUBMIT_RSP, namespace=ns, version=version),
        replace(DR_REQ, namespace=ns, version=version, **applic),
        replace(DR_RSP, namespace=ns, version=version),
        SoapFault(
            "T9",
            ns,
            version,
            faultcode="env:Client",
            faultstring="Message format corrupt",
            detail=error,
        ),
        SoapFault("T9", ns, faultcode="env:Server", faultstring="Server error"),
    ]


@pytest.mark.parametrize("ns", MM7_NAMESPACES, ids=[n.rsplit("/", 1)[1] for n in MM7_NAMESPACES])
def test_round_trip_every_namespace(ns: str) -> None:
    other = NS_R5_2 if ns != NS_R5_2 else NS
    for message in _messages_for(ns):
        encoded = encode(message)
        assert decode(
            encoded.body, encoded.content_type, config=CodecConfig(namespace=ns)
        ) == Decoded(message, ())
        assert encode(message) == encoded  # deterministic
        with pytest.raises(MM7Error) as err:
            decode(encoded.body, encoded.content_type, config=CodecConfig(namespace=other))
        assert err.value.status == 4002
        lenient = decode(
            encoded.body,
            encoded.content_type,
            config=CodecConfig(namespace=other, mode=Mode.LENIENT),
        )
        assert lenient.message == message
        assert {d.code for d in lenient.deviations} == {"namespace-mismatch"}


def test_round_trip_awkward_text() -> None:
    message = replace(
        SUBMIT,
        subject="a < b & c > d \"q\" 'a'\n  two lines  ",
        vasp_id=" x ",
        to=(Address("+1 (555) 0100"),),
        linked_id="",
    )
    assert decode(encode(message).body, XML).message == message


# --------------------------------------------------------------------------- encode rules


@pytest.mark.parametrize("field", ["applic_id", "reply_applic_id", "aux_applic_info"])
def test_encode_refuses_rel6_elements_in_rel5(field: str) -> None:
    element = {
        "applic_id": "ApplicID",
        "reply_applic_id": "ReplyApplicID",
        "aux_applic_info": "AuxApplicInfo",
    }[field]
    for message in (SUBMIT, DR_REQ):
        rel5 = replace(
            message,
            namespace=NS_R5_2,
            version="5.3.0",
            applic_id=None,
            reply_applic_id=None,
            aux_applic_info=None,
        )
        encode(rel5)  # fine without them
        with pytest.raises(MM7Error) as err:
            encode(replace(rel5, **{field: "x"}))
        assert (err.value.element, err.value.status) == (element, 4004)


def test_encode_error_rsp_is_wrapped_in_fault() -> None:
    assert encode(RS_ERROR) == encode(_fault(RS_ERROR, "env:Client"))
    server = encode(VASPErrorRsp("T", status=Status(3001, ""))).body
    assert b"<faultcode>env:Server</faultcode>" in server
    assert b"<faultstring>Not Possible</faultstring>" in server


def test_encode_boundaries() -> None:
    chosen = encode(SUBMIT, parts=PARTS, boundary="my-boundary_1")
    assert chosen.content_type == (
        'multipart/related; type="text/xml"; boundary="my-boundary_1"; start="<mm7-envelope>"'
    )
    assert chosen.body.startswith(b"--my-boundary_1\r\n")
    assert decode(chosen.body, chosen.content_type).message == replace(
        SUBMIT, content_href="cid:text-1", parts=PARTS
    )
    one = encode(SUBMIT, parts=PARTS).content_type
    two = encode(replace(SUBMIT, transaction_id="other"), parts=PARTS).content_type
    assert one != two
    for bad in ("vasp", "bad\r\nheader", "x" * 71, ""):  # "vasp" occurs in the envelope
        with pytest.raises(MM7Error) as err:
            encode(SUBMIT, parts=PARTS, boundary=bad)
        assert err.value.element == "Content-Type@boundary"


def test_encode_refuses_unrepresentable_values() -> None:
    with pytest.raises(MM7Error) as err:
        encode(replace(SUBMIT, content_href="cid:nope"), parts=PARTS)
    assert (err.value.element, err.value.status) == ("Content@href", 2007)
    with pytest.raises(MM7Error) as err:
        encode(replace(SUBMIT, content_href="cid:text-1"))
    assert err.value.element == "Content@href"
    with pytest.raises(MM7Error) as err:
        encode(replace(SUBMIT, to=(Address("1", "IMSI"),)))
    assert err.value.element == "To"
    with pytest.raises(MM7Error) as err:
        encode(replace(SUBMIT, subject="bell\x07"))
    assert err.value.element == "Subject"
    with pytest.raises(MM7Error) as err:
        encode(replace(FAULT_NO_DETAIL, faultcode="SOAP-ENV:Server"))
    assert err.value.element == "faultcode"
    with pytest.raises(MM7Error):
        encode(SUBMIT, parts=[ContentPart("a>b", "text/plain", b"")])


def test_encode_bare_faultcode_gets_env_prefix() -> None:
    body = encode(replace(FAULT_NO_DETAIL, faultcode="Client")).body
    assert b"<faultcode>env:Client</faultcode>" in body


# --------------------------------------------------------------------------- XML safety, size

XXE = (
    b'<?xml version="1.0"?><!DOCTYPE env:Envelope [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    + env(dr_body(DR_INNER.replace("M1", "&x;"))).split(b"?>", 1)[1]
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">'.encode()
        if i > 1
        else b'<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        for i in range(1, 10)
    )
    + b"]><lolz>&lol9;</lolz>"
)


@pytest.mark.parametrize(
    "body",
    [
        XXE,
        LAUGHS,
        # UTF-16 hides "<!DOCTYPE" from a byte scan; the parsed docinfo still shows it.
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'.encode(
            "utf-16"
        ),
        b'<!DOCTYPE a SYSTEM "http://example.com/a.dtd"><a/>',
    ],
    ids=["xxe", "billion-laughs", "utf16-dtd", "external-dtd"],
)
@pytest.mark.parametrize("mode", list(Mode))
def test_dtds_refused_without_expansion(body: bytes, mode: Mode) -> None:
    started = time.perf_counter()
    with pytest.raises(MM7Error) as err:
        decode(body, XML, config=CodecConfig(mode=mode))
    assert (err.value.element, err.value.status) == ("Envelope", 2007)
    assert "root:" not in str(err.value)
    assert time.perf_counter() - started < 1.0


def test_oversized_body_refused_before_parsing() -> None:
    big = env(submit_body(f"<Subject>{'x' * 2_000_001}</Subject>"))
    with pytest.raises(MM7Error) as err:
        decode(big, XML, config=LENIENT)
    assert (err.value.element, err.value.reason, err.value.status) == (
        "Envelope",
        "body too large",
        2007,
    )
    with pytest.raises(MM7Error):
        decode(env(dr_body()), XML, config=CodecConfig(max_body=100))


# --------------------------------------------------------------------------- traces


def test_summary_and_status_of() -> None:
    assert summary(SUBMIT) == "SubmitReq tid=vasp-0001 to=3 VASPID=sp001"
    assert summary(replace(SUBMIT, parts=PARTS)).endswith(" parts=2")
    assert summary(SUBMIT_RSP) == "SubmitRsp 1000 MessageID=180-20240501-000001 tid=vasp-0001"
    assert (
        summary(DR_REQ) == "DeliveryReportReq MessageID=180-20240501-000001 Retrieved tid=mmsc-0042"
    )
    assert summary(DR_RSP) == "DeliveryReportRsp 1000 Success tid=mmsc-0042"
    assert (
        summary(_fault(RS_ERROR, "env:Client")) == "Fault 2005 Message ID Not found tid=vasp-0003"
    )
    assert summary(FAULT_NO_DETAIL) == "Fault env:Server Server error tid=vasp-0004"
    assert (
        summary(replace(DR_RSP, status=Status(1000, "multi\nline")))
        == "DeliveryReportRsp 1000 multi line tid=mmsc-0042"
    )
    assert [
        status_of(m)
        for m in (
            SUBMIT,
            DR_REQ,
            SUBMIT_RSP,
            DR_RSP,
            RS_ERROR,
            _fault(VASP_ERROR, "env:Server"),
            FAULT_NO_DETAIL,
        )
    ] == [None, None, 1000, 1000, 2005, 4006, None]


# --------------------------------------------------------------------------- issue 16: deviations


@pytest.mark.parametrize(
    ("earliest", "expiry"),
    [
        ("2024-05-01T10:00:00Z", "2024-05-03T10:00:00+02:00"),
        ("PT1H30M", "P2D"),
        ("2024-05-01T10:00:00.25Z", "-P1Y2M3DT4H5M6.5S"),
    ],
)
def test_times_absolute_or_relative_are_kept_in_strict(earliest: str, expiry: str) -> None:
    extra = (
        f"<EarliestDeliveryTime> {earliest} </EarliestDeliveryTime>"
        f"<ExpiryDate>{expiry}</ExpiryDate>"
    )
    message = decode(env(submit_body(extra)), XML).message
    assert isinstance(message, SubmitReq)
    assert (message.earliest_delivery_time, message.expiry_date) == (earliest, expiry)
    assert decode(encode(message).body, XML).message == message


@pytest.mark.parametrize("value", ["not a date", "P", "PT", "P1DT", "P1.5D", "2024-13-01T00:00:00"])
def test_time_that_is_neither_is_ignored_in_lenient(value: str) -> None:
    error, lenient = decode_both(env(submit_body(f"<ExpiryDate>{value}</ExpiryDate>")))
    assert (error.element, error.status) == ("ExpiryDate", 4004)
    assert isinstance(lenient.message, SubmitReq)
    assert lenient.message.expiry_date is None


def test_content_href_into_a_nested_multipart_is_legal_in_both_modes() -> None:
    """cid: names a body part wherever it is (RFC 2392); the schema's href is xs:anyURI."""
    for subtype in ("related", "mixed"):
        nested = (
            b"--inner\r\nContent-Type: application/smil\r\nContent-ID: <smil>\r\n\r\n<smil/>\r\n"
            b"--inner\r\nContent-Type: text/plain\r\nContent-ID: <txt>\r\n\r\nhello\r\n"
            b"--inner--\r\n"
        )
        body = mpart(
            (
                "Content-Type: text/xml\r\nContent-ID: <env1>",
                env(submit_body('<Content href="cid:smil"/>')),
            ),
            (f"Content-Type: multipart/{subtype}; boundary=inner\r\nContent-ID: <mm>", nested),
        )
        for mode in Mode:
            decoded = decode(body, MP_CT, config=CodecConfig(mode=mode))
            assert decoded.deviations == ()
            message = decoded.message
            assert isinstance(message, SubmitReq)
            assert message.content_href == "cid:smil"
            [part] = message.parts
            assert part.content_id == "mm" and b"<smil/>" in part.data
            # What the emulators forward: the same href, the nested part as sent.
            again = encode(message)
            assert decode(again.body, again.content_type).message == message
    missing = mpart(
        (
            "Content-Type: text/xml\r\nContent-ID: <env1>",
            env(submit_body('<Content href="cid:nowhere"/>')),
        ),
        ("Content-Type: multipart/mixed; boundary=inner\r\nContent-ID: <mm>", b"--inner--\r\n"),
    )
    for mode in Mode:
        with pytest.raises(MM7Error) as err:
            decode(missing, MP_CT, config=CodecConfig(mode=mode))
        assert (err.value.element, err.value.status) == ("Content@href", 2007)


def test_other_release_is_one_deviation_and_judged_by_its_own_rules() -> None:
    """A REL-5-MM7-1-3 message to a REL-6-MM7-1-4 peer: the namespace is one
    deviation among the others, and Rel-6 elements are judged by REL-5's rules."""
    inner = DR_INNER.replace("6.8.0", "5.3.0").replace("<Number>+1555</Number>", "+1555")
    inner += "<ApplicID>a</ApplicID>"
    body = env(dr_body(inner, ns=NS_R5_3), header=TID.replace(NS, NS_R5_3))
    error, lenient = decode_both(body)
    expected = [
        ("namespace-mismatch", "DeliveryReportReq"),
        ("bare-address", "Recipient"),
        ("rel6-element-in-rel5", "ApplicID"),
    ]
    found = [(d.code, d.element) for d in lenient.deviations]
    assert sorted(found) == sorted(expected)
    assert [(d.code, d.element) for d in error.deviations] == found
    assert (error.element, error.status) == ("DeliveryReportReq", 4002)
    assert lenient.message.namespace == NS_R5_3
    # In its own release, the same message has one deviation fewer.
    own = decode(body, XML, config=CodecConfig(namespace=NS_R5_3, mode=Mode.LENIENT))
    assert [d.code for d in own.deviations] == [c for c, _ in found if c != "namespace-mismatch"]


def test_strict_lists_all_five_deviations_at_once() -> None:
    """One message, five faults: a vendor learns all of them from one refusal."""
    inner = (
        DR_INNER.replace("Recipient>", "Recipients>")
        .replace("Date>", "TimeStamp>")
        .replace("Retrieved", "2")
    )
    body = b"\n\n" + env(dr_body(inner), header=TID.replace(">T1<", "> T1 <"))
    with pytest.raises(MM7Error) as err:
        decode(body, XML)
    found = [(d.code, d.element) for d in err.value.deviations]
    assert found == [
        ("space-before-xml-declaration", "xml declaration"),
        ("transaction-id-whitespace", "TransactionID"),
        ("recipients-for-recipient", "Recipients"),
        ("timestamp-for-date", "TimeStamp"),
        ("mmstatus-numeric", "MMStatus"),
    ]
    # The first one's element and status lead; the text names every one.
    assert (err.value.element, err.value.status) == ("xml declaration", 2007)
    assert [d.status for d in err.value.deviations] == [2007, 4004, 4004, 4004, 4004]
    for _, element in found:
        assert element in str(err.value)
    lenient = decode(body, XML, config=LENIENT)
    assert [(d.code, d.element) for d in lenient.deviations] == found


def test_strict_lists_deviations_before_a_fault_it_cannot_read_past() -> None:
    body = env(
        dr_body(DR_INNER.replace("<MessageID>M1</MessageID>", "")),
        header=TID.replace(">T1<", "> T1<"),
    )
    with pytest.raises(MM7Error) as err:
        decode(body, XML)
    assert [(d.code, d.element) for d in err.value.deviations] == [
        ("transaction-id-whitespace", "TransactionID"),
        ("refused", "MessageID"),
    ]
    assert (err.value.element, err.value.status) == ("TransactionID", 4004)
