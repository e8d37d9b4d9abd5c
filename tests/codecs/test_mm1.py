"""MM1 codec: golden PDUs composed octet by octet from WIRE-FACTS.md §4, strict errors
naming the header field, the deviations lenient mode records, round trips.

Golden files under golden/mm1/ are the spec record: encode() must write exactly
them and decode() must read them back to the same message.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmsconf.emulators.codecs import mm1
from mmsconf.emulators.codecs.mm1 import (
    MM1Error,
    NotificationInd,
    SendConf,
    SendReq,
    Status,
    TimeValue,
    decode,
    encode,
)
from mmsconf.emulators.codecs.wsp_encoding import ContentType, Part

GOLDEN = Path(__file__).parent / "golden" / "mm1"


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace("|", " "))


def t(text: str) -> bytes:
    """A text-string: the octets and the NUL."""
    return text.encode() + b"\x00"


SMIL = Part(
    ContentType("application/smil"),
    b"<smil/>",
    (("Content-ID", "<smil>"), ("Content-Location", "smil.xml")),
)
TEXT = Part(
    ContentType("text/plain", (("charset", "utf-8"),)), "héllo".encode(), (("Content-ID", "<t1>"),)
)
RELATED = ContentType(
    "application/vnd.wap.multipart.related", (("type", "application/smil"), ("start", "<smil>"))
)

SEND_REQ = SendReq(
    transaction_id="dr-0001",
    to=("+8613800000001/TYPE=PLMN",),
    sender=None,
    subject="hello",
    date=1_700_000_000,
    message_class="personal",
    delivery_report=False,
    content_type=RELATED,
    parts=(SMIL, TEXT),
    version="1.2",
)
SEND_REQ_BYTES = (
    h("8C 80")  # X-Mms-Message-Type: m-send-req
    + h("98")
    + t("dr-0001")  # X-Mms-Transaction-Id
    + h("8D 92")  # X-Mms-MMS-Version: 1.2
    + h("85 04 65 53 F1 00")  # Date: 1700000000
    + h("89 01 81")  # From: insert-address
    + h("97")
    + t("+8613800000001/TYPE=PLMN")  # To
    + h("96")
    + t("hello")  # Subject
    + h("8A 80")  # X-Mms-Message-Class: personal
    + h("86 81")  # X-Mms-Delivery-Report: no
    + h("84 1B B3 89")  # Content-Type: multipart.related; type=
    + t("application/smil")
    + h("8A")  # ; start=
    + t("<smil>")
    + (Path(__file__).parent / "golden" / "wsp" / "multipart_two_parts.bin").read_bytes()
)

SEND_CONF = SendConf("dr-0001", Status.OK, message_id="A-000001")
# WIRE-FACTS.md §4, the minimal OK reply (version 1.2 here): 8C 81 98 tid 00 8D 9x 92 80 8B id 00
SEND_CONF_BYTES = h("8C 81 98") + t("dr-0001") + h("8D 92 92 80 8B") + t("A-000001")

SEND_CONF_ERROR = SendConf(
    "dr-0002", Status.TRANSIENT_NETWORK_PROBLEM, response_text="no MMSC passes detection"
)
SEND_CONF_ERROR_BYTES = (
    h("8C 81 98") + t("dr-0002") + h("8D 92 92 C3 93") + t("no MMSC passes detection")
)

NOTIFICATION = NotificationInd(
    transaction_id="n-0001",
    content_location="http://mms.operator.example/m/A-000001",
    message_size=2048,
    expiry=TimeValue(86400),
    sender="+8613800000002/TYPE=PLMN",
    subject="hi",
)
NOTIFICATION_BYTES = (
    h("8C 82 98")
    + t("n-0001")
    + h("8D 92")
    + h("89 1A 80")  # From: value-length 26, address-present
    + t("+8613800000002/TYPE=PLMN")
    + h("96")
    + t("hi")
    + h("8A 80")  # X-Mms-Message-Class: personal
    + h("8E 02 08 00")  # X-Mms-Message-Size: 2048
    + h("88 05 81 03 01 51 80")  # X-Mms-Expiry: relative 86400 s
    + h("83")
    + t("http://mms.operator.example/m/A-000001")
)

GOLDENS = [
    ("send_req_multipart.bin", SEND_REQ, SEND_REQ_BYTES),
    ("send_conf_ok.bin", SEND_CONF, SEND_CONF_BYTES),
    ("send_conf_error.bin", SEND_CONF_ERROR, SEND_CONF_ERROR_BYTES),
    ("notification_ind.bin", NOTIFICATION, NOTIFICATION_BYTES),
]


@pytest.mark.parametrize(("name", "message", "wire"), GOLDENS, ids=[g[0] for g in GOLDENS])
def test_golden_pdu(name: str, message: mm1.Mm1Message, wire: bytes) -> None:
    golden = (GOLDEN / name).read_bytes()
    assert golden == wire
    assert encode(message) == golden
    assert decode(golden) == mm1.Decoded(message, ())


def test_summaries() -> None:
    assert mm1.summary(SEND_REQ) == (
        "m-send-req tid=dr-0001 to=+8613800000001/TYPE=PLMN (2 parts, 13 bytes)"
    )
    assert mm1.summary(SEND_CONF) == "m-send-conf tid=dr-0001 ok msgid=A-000001"
    assert mm1.summary(SEND_CONF_ERROR) == "m-send-conf tid=dr-0002 transient-network-problem"
    assert mm1.summary(NOTIFICATION).startswith("m-notification-ind tid=n-0001 http://mms.")


def test_a_sender_and_a_non_multipart_body() -> None:
    msg = SendReq(
        "x1",
        to=("a@b.example",),
        cc=("+1/TYPE=PLMN",),
        sender="+2/TYPE=PLMN",
        content_type=ContentType("text/plain"),
        body=b"just text",
        priority="high",
        expiry=TimeValue(1_800_000_000, absolute=True),
        subject="中文",
    )
    wire = encode(msg)
    assert h("89 0E 80") + t("+2/TYPE=PLMN") in wire
    assert wire.endswith(h("84 83") + b"just text")
    assert decode(wire).message == msg


# --- strict errors name the field ---------------------------------------------------------


#: An m-send-req up to its Content-Type: the first three fields, From, To.
_REQ_HEAD = h("8C 80 98") + t("x") + h("8D 92 89 01 81 97") + t("a")


def _errs(wire: bytes) -> MM1Error:
    with pytest.raises(MM1Error) as err:
        decode(wire)
    return err.value


@pytest.mark.parametrize(
    ("wire", "field", "why"),
    [
        (b"", "X-Mms-Message-Type", "empty"),
        (h("8C 80 98") + t("x"), "X-Mms-MMS-Version", "absent"),
        (h("8C 99 98") + t("x") + h("8D 92"), "X-Mms-Message-Type", "no message type"),
        (h("8C 80 98 78"), "X-Mms-Transaction-Id", "NUL"),
        (h("8C 80 98") + t("x") + h("8D 92 89 01 81 97") + t("a"), "Content-Type", "absent"),
        (h("8C 80 98") + t("x") + h("8D 92 89 01 82 97") + t("a") + h("84 BE"), "From", "neither"),
        (h("8C 80 98") + t("x") + h("8D 92 89 01 81 84 BE"), "To", "one of To, Cc, Bcc"),
        (h("8C 80 98") + t("x") + h("8D 92 97") + t("a") + h("84 BE"), "From", "mandatory"),
        (h("8C 81 98") + t("x") + h("8D 92"), "X-Mms-Response-Status", "mandatory"),
        (h("8C 81 98") + t("x") + h("8D 92 92 80 96") + t("s"), "Subject", "not a field"),
        (h("8C 81 98") + t("x") + h("8D 92 92 80 92 80"), "X-Mms-Response-Status", "twice"),
        (h("8C 81 98") + t("x") + h("8D 92 92 7A"), "X-Mms-Response-Status", "no Response-Status"),
        (h("8C 81 98") + t("x") + h("8D 92 92 80 FF 80"), "header 0xFF", "unassigned"),
        (h("98") + t("x") + h("8C 81 8D 92 92 80"), "X-Mms-Message-Type", "starts with"),
        (h("8C 81 98") + t("x") + h("8D 92 98") + t("y"), "X-Mms-Transaction-Id", "twice"),
        (h("8C 81 98") + t("x") + h("8D 80 92 80"), "X-Mms-MMS-Version", "major version 0"),
        (_REQ_HEAD + h("84 B3 01 01 05 83 61"), "body part 1 data", "needs 5 octets"),
        (SEND_CONF_BYTES[:-1], "Message-ID", "NUL"),
        (h("8C 80 98") + t("x") + h("8D 92 88 03 82 01 05"), "X-Mms-Expiry", "neither absolute"),
    ],
)  # fmt: skip
def test_strict_errors_name_the_field(wire: bytes, field: str, why: str) -> None:
    err = _errs(wire)
    assert err.field == field, err
    assert why in err.reason, err
    assert err.status in (Status.PERMANENT_MESSAGE_FORMAT_CORRUPT, Status.PERMANENT_FAILURE)


def test_an_unsupported_pdu_type_is_a_permanent_failure() -> None:
    err = _errs(h("8C 84 98") + t("x") + h("8D 92"))
    assert err.field == "X-Mms-Message-Type" and "m-retrieve-conf" in err.reason
    assert err.status == Status.PERMANENT_FAILURE


def test_oversized_pdu_refused_before_decoding() -> None:
    with pytest.raises(MM1Error, match="more than 100") as err:
        decode(SEND_REQ_BYTES, max_size=100)
    assert err.value.field == "PDU"


# --- lenient mode records what it accepted ---------------------------------------------


def test_lenient_header_order_and_extras_round_trip() -> None:
    wire = (
        h("98")
        + t("x")
        + h("8C 81 8D 92 92 80")
        + h("BA 80")  # X-Mms-Content-Class: allowed elsewhere, not in m-send-conf
        + h("FF 80")  # an unassigned field code
        + b"X-Vendor\x00v\x00"  # an application header
    )
    got = decode(wire, lenient=True)
    assert got.message == SendConf(
        "x",
        Status.OK,
        extra=(
            ("X-Mms-Content-Class", h("80")),
            ("x-mms-field-0x7f", h("80")),
            ("X-Vendor", b"v\x00"),
        ),
    )
    codes = [d.code for d in got.deviations]
    assert codes == ["header-order", "field-not-allowed", "unknown-field"]
    assert set(codes) <= set(mm1.DEVIATION_CODES)
    # What was kept is written back, after the fields the codec interprets.
    assert encode(got.message) == h("8C 81 98") + t("x") + h("8D 92 92 80 BA 80 FF 80") + (
        b"X-Vendor\x00v\x00"
    )


def test_lenient_defaults_and_repeats() -> None:
    got = decode(h("8C 81 98") + t("x") + h("8D 92"), lenient=True)
    assert got.message.response_status == Status.ERROR_UNSPECIFIED
    assert [d.code for d in got.deviations] == ["missing-field"]
    got = decode(h("8C 81 98") + t("x") + h("8D 92 92 80 92 E0"), lenient=True)
    assert got.message.response_status == Status.OK
    assert [d.field for d in got.deviations] == ["X-Mms-Response-Status"]
    got = decode(h("8C 81 98 7F 61 00 8D 92 92 80"), lenient=True)
    assert got.message.transaction_id == "a"
    assert got.deviations[0].code == "encoding"


def test_version_forms() -> None:
    for version, octet in (("1.0", "90"), ("1.3", "93"), ("1", "9F")):
        wire = h("8C 81 98") + t("x") + h(f"8D {octet} 92 80")
        assert encode(SendConf("x", version=version)) == wire
        assert decode(wire).message.version == version
    text = h("8C 81 98") + t("x") + h("8D") + t("1.2.3") + h("92 80")
    assert decode(text).message.version == "1.2.3"
    assert encode(SendConf("x", version="1.2.3")) == text


def test_encoder_refuses_what_it_cannot_write() -> None:
    with pytest.raises(MM1Error, match="at least one of To"):
        encode(SendReq("x"))
    with pytest.raises(MM1Error, match="urgent") as err:
        encode(SendReq("x", to=("a",), priority="urgent"))
    assert err.value.field == "X-Mms-Priority"


# --- round trips ----------------------------------------------------------------------------

_text = st.text(
    st.characters(min_codepoint=0x20, blacklist_categories=("Cs",)), max_size=30
).filter(lambda s: not s.startswith("\x7f"))
_ascii = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20)


@given(
    tid=_ascii,
    to=st.lists(_ascii, min_size=1, max_size=3),
    sender=st.none() | _ascii,
    subject=st.none() | _text,
    data=st.lists(st.binary(max_size=40), max_size=3),
    status=st.sampled_from(list(Status)),
)
def test_round_trips(tid, to, sender, subject, data, status) -> None:
    parts = tuple(Part(ContentType("text/plain"), d) for d in data)
    req = SendReq(tid, to=tuple(to), sender=sender, subject=subject, parts=parts)
    assert decode(encode(req)).message == req
    conf = SendConf(tid, int(status), response_text=subject, message_id=sender)
    assert decode(encode(conf)).message == conf


@pytest.mark.parametrize("lenient", [False, True])
def test_a_blank_application_header_name_is_named_as_such(lenient: bool) -> None:
    # Found by the fuzz run: the error's field was the blank name itself.
    body = (
        b"\x8c\x81\x9800000000000000\x00\x8d\x90\x92\x80\x93\x0b\xea\x7f\xc2\x80"
        b"00000 \x00 \x00\x8b0\x00"
    )
    with pytest.raises(mm1.MM1Error) as caught:
        mm1.decode(body, lenient=lenient)
    assert caught.value.field == "application header"
