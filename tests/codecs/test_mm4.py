"""MM4 codec: golden vectors per message type, strict errors naming the header, lenient
deviations, addresses, content, and what a receiver answers.

Golden files under golden/mm4/ are the spec record: encode() must produce them byte
for byte and decode() must give the message back. Regenerate the encoder-made ones
with MMSCONF_REGEN_GOLDEN=1 (then read the diff by eye); the foreign_* files are
hand-written in the shapes public implementations send, and never regenerated.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from mmsconf.emulators.codecs import mime, mm4
from mmsconf.emulators.codecs.mm4 import (
    Address,
    CodecConfig,
    DeliveryReportReq,
    DeliveryReportRes,
    ForwardReq,
    ForwardRes,
    MM4Error,
    Mode,
    ReadReplyReq,
    ReadReplyRes,
    decode,
    encode,
)

GOLDEN = Path(__file__).parent / "golden" / "mm4"
REGEN = os.environ.get("MMSCONF_REGEN_GOLDEN") == "1"
LENIENT = CodecConfig(mode=Mode.LENIENT)

SOURCE = mm4.mms_domain(1, 460)
DEST = mm4.mms_domain(2, 460)
SYSTEM = f"system-user@{SOURCE}"
ALICE = Address.plmn("+8613800000001", SOURCE)
BOB = Address.plmn("+8613900000002", DEST)
CAROL = Address.plmn("+8613900000003", DEST)
DATE = "Wed, 01 May 2024 10:15:30 +0800"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00;\r\n"
SMIL = b'<smil><body><par><img src="cid:image-1"/><text src="cid:text-1"/></par></body></smil>'

FORWARD = ForwardReq(
    "T-20240501-0001",
    "20240501101530-0001@mms.mnc001.mcc460.gprs",
    sender=ALICE,
    to=(BOB,),
    cc=(CAROL,),
    date=DATE,
    ack_request=True,
    originator_system=SYSTEM,
    delivery_report=True,
    read_reply=False,
    priority="Normal",
    message_class="Personal",
    subject="Holiday photo — beach",
    forward_counter=1,
    content=mm4.multipart_content(
        [
            mime.Part("application/smil", SMIL, "smil", "8bit"),
            mime.Part("image/gif", GIF, "image-1"),
            mime.Part("text/plain; charset=utf-8", "Grüße vom Strand\n".encode(), "text-1"),
        ],
        related=True,
        start="smil",
        boundary_seed="golden",
    ),
)
FORWARD_TEXT = ForwardReq(
    "T-0002",
    "M-0002@mms.mnc001.mcc460.gprs",
    sender=ALICE,
    to=(BOB,),
    date=DATE,
    content=mm4.text_content("plain text MM, 10% off\n"),
)
FORWARD_RES = ForwardRes(
    FORWARD.transaction_id,
    FORWARD.message_id,
    status="Ok",
    sender=Address("system-user", DEST),
    to=(Address("system-user", SOURCE),),
    date=DATE,
)
DR_REQ = DeliveryReportReq(
    "DR-0001",
    FORWARD.message_id,
    sender=BOB,
    to=(ALICE,),
    date=DATE,
    ack_request=True,
    originator_system=f"system-user@{DEST}",
    mm_status="Retrieved",
    status_text="Delivered to handset",
)
DR_RES = DeliveryReportRes("DR-0001", FORWARD.message_id, status="Ok")
RR_REQ = ReadReplyReq(
    "RR-0001", FORWARD.message_id, sender=BOB, to=(ALICE,), date=DATE, read_status="Read"
)
RR_RES = ReadReplyRes(
    "RR-0001", FORWARD.message_id, status="Error-message-not-found", status_text="no such MM"
)

GOLDEN_CASES = [
    ("forward_req_related", FORWARD),
    ("forward_req_text", FORWARD_TEXT),
    ("forward_res", FORWARD_RES),
    ("delivery_report_req", DR_REQ),
    ("delivery_report_res", DR_RES),
    ("read_reply_report_req", RR_REQ),
    ("read_reply_report_res", RR_RES),
]


@pytest.mark.parametrize(("name", "message"), GOLDEN_CASES, ids=[c[0] for c in GOLDEN_CASES])
def test_golden_vectors(name: str, message: mm4.Mm4Message) -> None:
    path = GOLDEN / f"{name}.eml"
    wire = encode(message)
    if REGEN or not path.exists():
        path.write_bytes(wire)
    assert wire == path.read_bytes(), f"{path.name} differs from what encode() writes"
    for config in (CodecConfig(), LENIENT):
        decoded = decode(path.read_bytes(), config=config)
        assert decoded.message == message
        assert decoded.deviations == ()


def test_the_golden_forward_reads_as_rfc5322_and_its_parts_come_back() -> None:
    import email
    from email import policy

    raw = (GOLDEN / "forward_req_related.eml").read_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.SMTP)
    assert parsed["X-Mms-Message-Type"] == "MM4_forward.REQ"
    assert parsed.get_content_type() == "multipart/related"
    assert str(parsed["Subject"]) == "Holiday photo — beach"
    parts = mm4.content_parts(decode(raw).message.content)
    assert [p.media_type for p in parts] == ["application/smil", "image/gif", "text/plain"]
    assert parts[1].data == GIF
    assert parts[2].data.decode() == "Grüße vom Strand\n"
    text = mm4.content_parts(FORWARD_TEXT.content)
    assert text[0].data == b"plain text MM, 10% off\r\n"


def test_a_foreign_forward_reads_leniently_with_each_deviation_named() -> None:
    raw = (GOLDEN / "foreign_forward_req_lenient.eml").read_bytes()
    decoded = decode(raw, config=LENIENT)
    m = decoded.message
    assert isinstance(m, ForwardReq)
    assert (m.transaction_id, m.message_id) == ("T0001", "<M0001@mms.mnc002.mcc262.gprs>")
    assert m.sender == Address.plmn("+4915112345678", "mms.mnc002.mcc262.gprs")
    assert m.originator_system == "system-user@mms.mnc002.mcc262.gprs"  # from Sender
    assert m.version == "6.5.0" and m.ack_request is True and m.date is None
    assert ("Received" in dict(m.extra)) and dict(m.extra)["Sender"].startswith("system-user")
    codes = [d.code for d in decoded.deviations]
    assert codes == [
        "message-type-case",
        "version-from-mms-version",
        "message-id-quoted",
        "address-no-type",
        "yes-no-case",
        "originator-system-missing",
        "date-missing",
    ]
    assert set(codes) <= set(mm4.DEVIATION_CODES)
    with pytest.raises(MM4Error) as err:
        decode(raw)
    assert err.value.field == "X-Mms-Message-Type"


def test_a_bare_lf_report_reads_leniently_and_strict_names_the_line_endings() -> None:
    raw = (GOLDEN / "foreign_delivery_report_bare_lf.eml").read_bytes()
    decoded = decode(raw, config=LENIENT)
    assert isinstance(decoded.message, DeliveryReportReq)
    assert decoded.message.mm_status == "Retrieved"
    assert [d.code for d in decoded.deviations] == ["bare-lf", "value-case"]
    with pytest.raises(MM4Error) as err:
        decode(raw)
    assert (err.value.field, "LF") == ("message", "LF") and "CRLF" in err.value.reason


def _without(raw: bytes, header: str) -> bytes:
    lines = raw.split(b"\r\n")
    return b"\r\n".join(ln for ln in lines if not ln.lower().startswith(header.lower().encode()))


@pytest.mark.parametrize(
    ("message", "header"),
    [(m, h) for _n, m in GOLDEN_CASES[:1] + GOLDEN_CASES[2:] for h in mm4.MANDATORY[m.message_type]]
    + [(FORWARD, "To")],
)
def test_a_missing_mandatory_header_is_an_error_naming_it(
    message: mm4.Mm4Message, header: str
) -> None:
    raw = _without(encode(message), f"{header}:")
    if header == "To":  # a forward needs a recipient in To or Cc
        raw = _without(raw, "Cc:")
    with pytest.raises(MM4Error) as err:
        decode(raw)
    assert err.value.field == header, err.value
    if header not in ("Date", "X-Mms-3GPP-MMS-Version"):  # lenient has a stand-in for these
        with pytest.raises(MM4Error):
            decode(raw, config=LENIENT)
    reply = err.value.smtp_reply
    assert reply.startswith("554 5.6.0 MM4 ") and header in reply and "\r" not in reply


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ((b"MM4_forward.REQ", b"MM4_bogus.REQ"), "X-Mms-Message-Type"),
        ((b"X-Mms-Ack-Request: Yes", b"X-Mms-Ack-Request: Perhaps"), "X-Mms-Ack-Request"),
        ((b"X-Mms-Priority: Normal", b"X-Mms-Priority: Urgent"), "X-Mms-Priority"),
        ((b"/TYPE=PLMN@mms.mnc002", b"/TYPE=XYZ@mms.mnc002"), "To"),
        ((b"From: +86", b"From: not an address, +86"), "From"),
        ((b"X-Mms-Forward-Counter: 1", b"X-Mms-Forward-Counter: one"), "X-Mms-Forward-Counter"),
        ((b'boundary="', b'boundary="x'), "body"),
        ((b"Subject: ", b"Subject: \xff"), "Subject"),
        ((b"X-Mms-3GPP-MMS-Version: 6.10.0", b"X-Mms-3GPP-MMS-Version 6.10.0"), "message"),
        (
            (
                b"X-Mms-Ack-Request: Yes\r\nX-Mms-Originator-System: system-user@",
                b"X-Mms-Ack-Request: Yes\r\nX: ",
            ),
            "X-Mms-Originator-System",
        ),
    ],
)
def test_strict_errors_name_the_field(change: tuple[bytes, bytes], field: str) -> None:
    raw = encode(FORWARD)
    assert change[0] in raw
    with pytest.raises(MM4Error) as err:
        decode(raw.replace(change[0], change[1], 1))
    assert err.value.field == field, err.value


def test_duplicates_and_unknown_statuses_are_deviations_in_lenient_mode() -> None:
    raw = encode(FORWARD_RES).replace(
        b"X-Mms-Request-Status-Code: Ok", b"X-Mms-Request-Status-Code: Ok-ish"
    )
    raw = raw.replace(b"X-Mms-Message-ID:", b"X-Mms-Transaction-ID: again\r\nX-Mms-Message-ID:")
    decoded = decode(raw, config=LENIENT)
    assert isinstance(decoded.message, ForwardRes)
    assert decoded.message.transaction_id == FORWARD_RES.transaction_id  # the first kept
    assert decoded.message.status == "Ok-ish" and not decoded.message.ok
    assert sorted(d.code for d in decoded.deviations) == ["duplicate-header", "status-unknown"]
    with pytest.raises(MM4Error) as err:
        decode(raw)
    assert err.value.field == "X-Mms-Transaction-ID"


def test_addresses() -> None:
    plmn = Address.parse("+8613800000001/TYPE=PLMN@mms.mnc001.mcc460.gprs")
    assert (plmn.kind, plmn.value, plmn.domain) == ("PLMN", "+8613800000001", SOURCE)
    assert Address.parse("10.0.0.1/TYPE=IPv4@mms.example").kind == "IPv4"
    assert Address.parse("system-user@mms.example").kind == "email"
    for bad in ("no-at-sign", "@mms.example", "+86/TYPE=PLMN@", "x/TYPE=PLMN@d", "a@-bad-.x"):
        with pytest.raises(MM4Error):
            Address.parse(bad)
    many = replace(FORWARD, to=tuple(Address.plmn(f"+86139{i:08d}", DEST) for i in range(12)))
    raw = encode(many)
    assert b",\r\n +86139" in raw  # folded, one address a line
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert decode(raw).message == many


def test_what_cannot_be_written_is_refused_naming_the_field() -> None:
    for message, field in (
        (replace(FORWARD, transaction_id="T\r\nBcc: x@y"), "X-Mms-Transaction-ID"),
        (replace(FORWARD, message_id=""), "X-Mms-Message-ID"),
        (replace(FORWARD, extra=(("X-Mms-Message-Type", "x"),)), "X-Mms-Message-Type"),
        (replace(FORWARD, content=mm4.Content("text/plain", b"a\nb")), "body"),
        (replace(FORWARD, to=(), cc=()), "To"),
    ):
        with pytest.raises(MM4Error) as err:
            encode(message)
        assert err.value.field == field


def test_describe_is_one_line_for_mm4_and_says_why_for_anything_else() -> None:
    assert mm4.describe(encode(FORWARD)) == (
        f"MM4_forward.REQ tid={FORWARD.transaction_id} mid={FORWARD.message_id}"
    )
    assert mm4.describe(encode(FORWARD_RES)).endswith(" Ok")
    said = mm4.describe(b"Subject: hi\r\n\r\nplain mail\r\n")
    assert said.startswith("not MM4 (no X-Mms-Message-Type)")


def test_oversized_messages_are_refused_before_parsing() -> None:
    with pytest.raises(MM4Error) as err:
        decode(b"X" * 11, config=CodecConfig(max_size=10))
    assert err.value.field == "message"
