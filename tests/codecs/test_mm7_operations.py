"""MM7 operations beyond submit and delivery reports (issue 16, item 1): DeliverReq/Rsp,
CancelReq/Rsp, ReplaceReq/Rsp, ReadReplyReq/Rsp and REL-6-MM7-1-4's extended cancel and
replace.

* which operation exists in which namespace (the table is printed: ``-s``);
* hand-written golden vectors (golden/mm7/<op>-<namespace>.xml or .mime), written in
  the styles peers use (SOAP-ENV prefix, default namespaces, prefixes declared on the
  Envelope), decode strictly with no deviation, and what they decode to round-trips;
* a missing mandatory element is refused in both modes, naming the element;
* an element or an operation of a later release in an earlier namespace is a named
  deviation: strict lists it, lenient records it.

The per-namespace round trip of every operation is a property
(tests/property/test_mm7_properties.py, test_round_trip_more_operations) and a fuzz
target (``mm7-ops``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mmsconf.emulators.codecs.mm7 import (
    ALL_OPERATIONS,
    MM7_NAMESPACES,
    Address,
    CancelReq,
    CancelRsp,
    CodecConfig,
    ContentPart,
    Decoded,
    DeliverReq,
    DeliverRsp,
    ExtendedCancelReq,
    ExtendedCancelRsp,
    ExtendedReplaceReq,
    ExtendedReplaceRsp,
    MM7Error,
    MM7Message,
    Mode,
    ReadReplyReq,
    ReadReplyRsp,
    ReplaceReq,
    ReplaceRsp,
    Status,
    decode,
    encode,
    operations_in,
    status_of,
    summary,
)

GOLDEN = Path(__file__).parent / "golden" / "mm7"
XML = 'text/xml; charset="utf-8"'
_BY_NAME = {ns.rsplit("/", 1)[1]: ns for ns in MM7_NAMESPACES}
R6_4 = _BY_NAME["REL-6-MM7-1-4"]
R6_0 = _BY_NAME["REL-6-MM7-1-0"]
R5_0 = _BY_NAME["REL-5-MM7-1-0"]
R5_2 = _BY_NAME["REL-5-MM7-1-2"]
R5_3 = _BY_NAME["REL-5-MM7-1-3"]
R5_5 = _BY_NAME["REL-5-MM7-1-5"]

SP = Address("10658000", "ShortCode")
HANDSET = Address("+8613800000002")
NOT_FOUND = Status(2005, "Message ID Not found", "MessageID: no such message")

GOLDEN_CASES: list[tuple[str, MM7Message]] = [
    (
        "deliver_req-REL-6-MM7-1-4.mime",
        DeliverReq(
            "mo-0042",
            R6_4,
            "6.8.0",
            sender=HANDSET,
            relay_server_id="mmsc-1.example.net",
            vasp_id="sp001",
            vas_id="weather",
            to=(SP,),
            cc=(Address("archive@sp.example.com", "RFC2822Address"),),
            timestamp="2026-11-30T12:00:00Z",
            priority="Normal",
            subject="Photo for the weather desk",
            applic_id="com.example.weather",
            content_href="cid:mo-text",
            parts=(
                ContentPart(
                    "mo-text",
                    "text/plain; charset=utf-8",
                    b"Sunny over the square, 12 degrees.",
                ),
            ),
        ),
    ),
    (
        "deliver_req-REL-5-MM7-1-0.xml",
        DeliverReq(
            "mo-5-0",
            R5_0,
            "5.3.0",
            sender=HANDSET,
            relay_server_id="mmsc-2",
            linked_id="mo-link-1",
            to=(SP,),
            timestamp="2026-11-30T12:00:00Z",
            reply_charging_id="rc-9",
            priority="High",
            subject="WEATHER BEIJING",
        ),
    ),
    (
        "deliver_rsp-REL-6-MM7-1-4.xml",
        DeliverRsp("mo-0042", R6_4, "6.8.0", service_code="weather-mo"),
    ),
    (
        "cancel_req-REL-6-MM7-1-4.xml",
        CancelReq(
            "sp-cancel-7",
            R6_4,
            "6.8.0",
            message_id="181-0001-00000007",
            vasp_id="sp001",
            vas_id="news",
            sender_address=SP,
            applic_id="com.example.news",
            aux_applic_info="batch=12",
        ),
    ),
    (
        "cancel_req-REL-5-MM7-1-2.xml",
        CancelReq("c-5-2", R5_2, "5.3.0", message_id="M-5-2", vasp_id="sp001"),
    ),
    ("cancel_rsp-REL-6-MM7-1-4.xml", CancelRsp("CancelRsp-1", R6_4, "6.8.0", NOT_FOUND)),
    (
        "replace_req-REL-6-MM7-1-4.mime",
        ReplaceReq(
            "rp-0003",
            R6_4,
            "6.8.0",
            message_id="181-0001-00000007",
            vasp_id="sp001",
            vas_id="news",
            service_code="news-daily",
            read_reply=True,
            earliest_delivery_time="P1D",
            reply_applic_id="com.example.news.reply",
            content_href="cid:news-2",
            parts=(ContentPart("news-2", "text/plain", b"Corrected: the meeting is at 15:00."),),
        ),
    ),
    (
        "replace_req-REL-5-MM7-1-3.xml",
        ReplaceReq(
            "rp-5-3",
            R5_3,
            "5.6.0",
            message_id="M-5-3",
            vasp_id="sp001",
            sender_address=SP,
            service_code="news-daily",
            timestamp="2026-11-30T12:00:00Z",
            read_reply=False,
            earliest_delivery_time="PT2H",
            distribution_indicator=True,
        ),
    ),
    ("replace_rsp-REL-6-MM7-1-4.xml", ReplaceRsp("ReplaceRsp-1", R6_4, "6.8.0", NOT_FOUND)),
    (
        "read_reply_req-REL-6-MM7-1-4.xml",
        ReadReplyReq(
            "rr-0001",
            R6_4,
            "6.8.0",
            message_id="181-0001-00000007",
            recipient=Address("+8613800000001"),
            sender=SP,
            timestamp="2026-11-30T12:05:00+08:00",
            mm_status="Read",
            relay_server_id="mmsc-1.example.net",
            status_text="read by the recipient",
            applic_id="com.example.news",
            reply_applic_id="com.example.news.reply",
            aux_applic_info="180-0001-00000007",
        ),
    ),
    (
        "read_reply_req-REL-5-MM7-1-5.xml",
        ReadReplyReq(
            "rr-5-5",
            R5_5,
            "5.10.0",
            message_id="M-5-5",
            recipient=Address("alice@mms.example.net", "RFC2822Address"),
            sender=Address("+8610658000"),
            timestamp="2026-11-30T04:05:00Z",
            mm_status="Deleted",
        ),
    ),
    (
        "read_reply_rsp-REL-6-MM7-1-4.xml",
        ReadReplyRsp("ReadReplyRsp-1", R6_4, "6.8.0", NOT_FOUND),
    ),
    (
        "extended_cancel_req-REL-6-MM7-1-4.xml",
        ExtendedCancelReq(
            "xc-1", R6_4, "6.8.0", cancel_id="181-0001-00000008", vasp_id="sp001", vas_id="news"
        ),
    ),
    (
        "extended_cancel_rsp-REL-6-MM7-1-4.xml",
        ExtendedCancelRsp("xc-1", R6_4, "6.8.0", Status(1000, "")),
    ),
    (
        "extended_replace_req-REL-6-MM7-1-4.xml",
        ExtendedReplaceReq(
            "xr-1",
            R6_4,
            "6.8.0",
            vasp_id="sp001",
            vas_id="news",
            service_code="news-daily",
            replace_id="181-0001-00000008",
            timestamp="2026-11-30T12:10:00Z",
            earliest_delivery_time="2026-11-30T13:00:00Z",
            expiry_date="P1D",
            read_reply=True,
            delivery_report=True,
        ),
    ),
    (
        "extended_replace_rsp-REL-6-MM7-1-4.xml",
        ExtendedReplaceRsp("xr-1", R6_4, "6.8.0", Status.of(1000), "181-0001-00000009"),
    ),
]


def _read_golden(name: str) -> tuple[bytes, str]:
    path = GOLDEN / name
    if name.endswith(".mime"):
        ct = path.with_suffix(".content-type.txt").read_text(encoding="ascii").strip()
        return path.read_bytes(), ct
    return path.read_bytes(), XML


def _strict(ns: str) -> CodecConfig:
    return CodecConfig(namespace=ns, mode=Mode.STRICT)


def _lenient(ns: str) -> CodecConfig:
    return CodecConfig(namespace=ns, mode=Mode.LENIENT)


# --------------------------------------------------------------------------- the table


def operation_table() -> str:
    """Which operation each namespace defines, one row per operation."""
    short = [ns.rsplit("/", 1)[1].replace("-MM7-", " ") for ns in MM7_NAMESPACES]
    width = max(len(op) for op in ALL_OPERATIONS)
    lines = [" " * width + " | " + " | ".join(short)]
    for op in ALL_OPERATIONS:
        marks = [
            ("x" if op in operations_in(ns) else "-").center(len(s))
            for ns, s in zip(MM7_NAMESPACES, short, strict=True)
        ]
        lines.append(op.ljust(width) + " | " + " | ".join(marks))
    return "\n".join(lines)


def test_operation_namespace_table(capsys: pytest.CaptureFixture[str]) -> None:
    table = operation_table()
    with capsys.disabled():
        print("\nMM7 operation x namespace (x: defined)\n" + table)
    extended = {
        "extendedCancelReq",
        "extendedCancelRsp",
        "extendedReplaceReq",
        "extendedReplaceRsp",
    }
    for ns in MM7_NAMESPACES:
        have = set(operations_in(ns))
        assert have - extended == set(ALL_OPERATIONS) - extended  # every base op everywhere
        assert (have & extended == extended) == (ns == R6_4)
    assert operations_in("urn:not-mm7") == ()
    assert len(ALL_OPERATIONS) == 18


@pytest.mark.parametrize("ns", MM7_NAMESPACES, ids=[n.rsplit("/", 1)[1] for n in MM7_NAMESPACES])
@pytest.mark.parametrize(
    "message",
    [
        ExtendedCancelReq("t", cancel_id="c"),
        ExtendedCancelRsp("t"),
        ExtendedReplaceReq("t"),
        ExtendedReplaceRsp("t", message_id="m"),
    ],
    ids=lambda m: type(m).__name__,
)
def test_encode_follows_the_table(message: MM7Message, ns: str) -> None:
    m = replace(message, namespace=ns)
    if ns == R6_4:
        assert decode(encode(m).body, XML, config=_strict(ns)).message == m
        return
    with pytest.raises(MM7Error) as err:
        encode(m)
    assert err.value.status == 4003
    assert err.value.element[0] == "e"  # the wire name, extendedCancelReq etc.


# --------------------------------------------------------------------------- golden vectors


@pytest.mark.parametrize(("name", "expected"), GOLDEN_CASES, ids=[c[0] for c in GOLDEN_CASES])
def test_golden_vector(name: str, expected: MM7Message) -> None:
    body, content_type = _read_golden(name)
    assert name.split("-", 1)[1].rsplit(".", 1)[0] == expected.namespace.rsplit("/", 1)[1]
    for config in (_strict(expected.namespace), _lenient(expected.namespace)):
        assert decode(body, content_type, soap_action='""', config=config) == Decoded(expected, ())
    encoded = encode(expected)
    assert encoded.content_type.startswith("multipart/related") == name.endswith(".mime")
    again = decode(encoded.body, encoded.content_type, config=_strict(expected.namespace))
    assert again == Decoded(expected, ())
    assert isinstance(summary(expected), str) and "\n" not in summary(expected)
    assert summary(expected).endswith(f"tid={expected.transaction_id}")


def test_every_new_operation_has_a_golden_vector() -> None:
    covered = {type(m) for _, m in GOLDEN_CASES}
    assert covered == {
        DeliverReq,
        DeliverRsp,
        CancelReq,
        CancelRsp,
        ReplaceReq,
        ReplaceRsp,
        ReadReplyReq,
        ReadReplyRsp,
        ExtendedCancelReq,
        ExtendedCancelRsp,
        ExtendedReplaceReq,
        ExtendedReplaceRsp,
    }


def test_status_of_responses_and_requests() -> None:
    for _, m in GOLDEN_CASES:
        if type(m).__name__.endswith("Rsp"):
            assert status_of(m) == m.status.code  # type: ignore[union-attr]
        else:
            assert status_of(m) is None
    assert summary(GOLDEN_CASES[0][1]).startswith("DeliverReq from=+8613800000002 to=2 parts=1")


# --------------------------------------------------------------------------- strict errors


def _without(name: str, element: str) -> tuple[bytes, str, str]:
    body, content_type = _read_golden(name)
    start = body.index(f"<{element}".encode())
    end = body.index(f"</{element}>".encode(), start) + len(f"</{element}>")
    ns = _BY_NAME[name.split("-", 1)[1].rsplit(".", 1)[0]]
    return body[:start] + body[end:], content_type, ns


@pytest.mark.parametrize(
    ("name", "element"),
    [
        ("deliver_req-REL-6-MM7-1-4.mime", "Sender"),
        ("deliver_req-REL-5-MM7-1-0.xml", "MM7Version"),
        ("deliver_rsp-REL-6-MM7-1-4.xml", "Status"),
        ("cancel_req-REL-6-MM7-1-4.xml", "MessageID"),
        ("cancel_req-REL-6-MM7-1-4.xml", "SenderIdentification"),
        ("replace_req-REL-5-MM7-1-3.xml", "mm7:MessageID"),
        ("read_reply_req-REL-6-MM7-1-4.xml", "TimeStamp"),
        ("read_reply_req-REL-6-MM7-1-4.xml", "MMStatus"),
        ("read_reply_req-REL-6-MM7-1-4.xml", "Recipient"),
        ("extended_cancel_req-REL-6-MM7-1-4.xml", "CancelID"),
        ("extended_replace_rsp-REL-6-MM7-1-4.xml", "MessageID"),
        ("cancel_rsp-REL-6-MM7-1-4.xml", "Status"),
    ],
)
def test_missing_mandatory_element_is_named(name: str, element: str) -> None:
    body, content_type, ns = _without(name, element)
    local = element.split(":")[-1]
    for config in (_strict(ns), _lenient(ns)):
        with pytest.raises(MM7Error) as err:
            decode(body, content_type, config=config)
        assert (err.value.element, err.value.status) == (local, 4004)
        assert "missing" in err.value.reason


def test_read_reply_status_is_the_read_set() -> None:
    body, _ = _read_golden("read_reply_req-REL-6-MM7-1-4.xml")
    wrong = body.replace(b"<MMStatus>Read<", b"<MMStatus>Retrieved<")
    with pytest.raises(MM7Error) as err:
        decode(wrong, XML)
    assert (err.value.element, err.value.status) == ("MMStatus", 4004)
    assert "Indeterminate, Read, Deleted" in err.value.reason


# --------------------------------------------------------------------------- later releases


def _insert_after(body: bytes, after: str, xml: str) -> bytes:
    at = body.index(after.encode()) + len(after)
    return body[:at] + xml.encode() + body[at:]


# golden file, where to insert, what, and the element strict names
LATER_ELEMENTS = [
    ("deliver_req-REL-5-MM7-1-0.xml", "</Subject>", "<ApplicID>app</ApplicID>", "ApplicID"),
    ("deliver_req-REL-5-MM7-1-0.xml", "</MMSRelayServerID>", "<VASPID>sp001</VASPID>", "VASPID"),
    (
        "deliver_req-REL-5-MM7-1-0.xml",
        "</Recipients>",
        "<SenderSPI>spi-1</SenderSPI>",
        "SenderSPI",
    ),
    (
        "cancel_req-REL-5-MM7-1-2.xml",
        "</mm7:MessageID>",
        "<mm7:Recipients><mm7:To><mm7:Number>+1</mm7:Number></mm7:To></mm7:Recipients>",
        "Recipients",
    ),
    (
        "replace_req-REL-5-MM7-1-3.xml",
        "</mm7:DistributionIndicator>",
        "<mm7:ContentClass>text</mm7:ContentClass>",
        "ContentClass",
    ),
    (
        "read_reply_req-REL-5-MM7-1-5.xml",
        "</mm7:MMStatus>",
        "<mm7:AuxApplicInfo>x</mm7:AuxApplicInfo>",
        "AuxApplicInfo",
    ),
]


@pytest.mark.parametrize(
    ("name", "after", "xml", "element"), LATER_ELEMENTS, ids=[c[3] for c in LATER_ELEMENTS]
)
def test_rel6_element_in_rel5_is_a_deviation(name: str, after: str, xml: str, element: str) -> None:
    body, content_type = _read_golden(name)
    ns = _BY_NAME[name.split("-", 1)[1].rsplit(".", 1)[0]]
    damaged = _insert_after(body, after, xml)
    with pytest.raises(MM7Error) as err:
        decode(damaged, content_type, config=_strict(ns))
    assert [(d.code, d.element) for d in err.value.deviations] == [
        ("rel6-element-in-rel5", element)
    ]
    lenient = decode(damaged, content_type, config=_lenient(ns))
    assert [(d.code, d.element) for d in lenient.deviations] == [("rel6-element-in-rel5", element)]
    golden = dict(GOLDEN_CASES)[name]
    kept = {"ApplicID": {"applic_id": "app"}, "VASPID": {"vasp_id": "sp001"}}
    kept["AuxApplicInfo"] = {"aux_applic_info": "x"}
    assert lenient.message == replace(golden, **kept.get(element, {}))


def test_extended_operation_before_rel6_1_4_is_named_with_the_rest() -> None:
    """Judged by its own release: the operation is one deviation among the others."""
    body, _ = _read_golden("extended_cancel_req-REL-6-MM7-1-4.xml")
    earlier = body.replace(R6_4.encode(), R6_0.encode()).replace(b"6.8.0", b"1.0")
    with pytest.raises(MM7Error) as err:
        decode(earlier, XML, config=_strict(R6_0))
    assert [(d.code, d.element, d.status) for d in err.value.deviations] == [
        ("operation-not-in-release", "extendedCancelReq", 4003),
        ("unknown-version", "MM7Version", 4002),
    ]
    lenient = decode(earlier, XML, config=_lenient(R6_0))
    assert lenient.message == ExtendedCancelReq(
        "xc-1", R6_0, "1.0", cancel_id="181-0001-00000008", vasp_id="sp001", vas_id="news"
    )
    # Configured for REL-6-MM7-1-4, the same message also has the other namespace.
    with pytest.raises(MM7Error) as err:
        decode(earlier, XML, config=_strict(R6_4))
    assert {d.code for d in err.value.deviations} == {
        "namespace-mismatch",
        "operation-not-in-release",
        "unknown-version",
    }


@pytest.mark.parametrize(
    "message",
    [
        DeliverReq("t", R5_0, "5.3.0", sender=HANDSET, vasp_id="sp001"),
        DeliverReq("t", R5_0, "5.3.0", sender=HANDSET, reply_applic_id="r"),
        CancelReq("t", R5_2, "5.3.0", message_id="m", applic_id="a"),
        ReplaceReq("t", R5_3, "5.3.0", message_id="m", aux_applic_info="x"),
        ReadReplyReq("t", R5_5, "5.3.0", "m", HANDSET, SP, "2026-11-30T04:05:00Z", applic_id="a"),
    ],
    ids=lambda m: type(m).__name__,
)
def test_encode_refuses_rel6_fields_in_rel5(message: MM7Message) -> None:
    with pytest.raises(MM7Error) as err:
        encode(message)
    assert err.value.status == 4004
    assert err.value.reason == "not in REL-5"
