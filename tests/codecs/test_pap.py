"""The PAP codec against golden vectors (Kannel's answers, RIM-style PIs, field deviations),
strict against lenient, and the XML attacks it must refuse without reading anything."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mmsconf.emulators.codecs import pap

GOLDEN = Path(__file__).parent / "golden" / "pap"


def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def test_kannel_push_response_with_its_stray_space() -> None:
    d = pap.decode(golden("kannel_push_response.xml"))
    assert d.version == "1.0" and d.deviations == []
    m = d.message
    assert isinstance(m, pap.PushResponse)
    assert m.result.code == pap.ACCEPTED and m.push_id == "final-ip-1@pi.example"
    assert m.reply_time == dt.datetime(2026, 11, 23, 10, 32, 4, tzinfo=dt.UTC)
    assert m.sender_address == "/wappush"


def test_kannel_badmessage_keeps_the_fragment() -> None:
    m = pap.decode(golden("kannel_badmessage.xml")).message
    assert isinstance(m, pap.BadMessageResponse) and m.code == pap.BAD_REQUEST
    assert m.bad_message_fragment is not None and m.bad_message_fragment.startswith("<?xml")


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("push_message_1_0_kannel.xml", "1.0"),
        ("push_message_2_0_rim.xml", "2.0"),
        ("push_message_2_1.xml", "2.1"),
    ],
)
def test_push_messages_of_every_version(name: str, version: str) -> None:
    d = pap.decode(golden(name))
    assert d.version == version and d.deviations == []
    m = d.message
    assert isinstance(m, pap.PushMessage) and len(m.addresses) == 1
    # Written again in the same version, it reads back to the same message.
    again = pap.decode(pap.encode(m, version=version))
    assert again.message == m and again.version == version


def test_the_2_1_vector_is_what_the_encoder_writes() -> None:
    m = pap.decode(golden("push_message_2_1.xml")).message
    assert pap.encode(m, version="2.1") == golden("push_message_2_1.xml")
    assert m.qos is not None and m.qos.preferred_bearer == "SIP"


def test_2_0_reads_its_deadline_and_notify_url() -> None:
    m = pap.decode(golden("push_message_2_0_rim.xml")).message
    assert m.deliver_before == dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert m.ppg_notify_requested_to == "http://127.0.0.1:8099/notify"
    assert m.qos == pap.QualityOfService(delivery_method="unconfirmed", bearer="GPRS")


@pytest.mark.parametrize(
    "name",
    [
        "result_notification.xml",
        "result_notification_response_rim.xml",
        "statusquery_response.xml",
        "cancel_message.xml",
    ],
)
def test_other_messages_round_trip(name: str) -> None:
    d = pap.decode(golden(name))
    assert d.deviations == []
    assert pap.decode(pap.encode(d.message)).message == d.message


def test_result_notification_carries_state_code_and_bearer() -> None:
    m = pap.decode(golden("result_notification.xml")).message
    assert isinstance(m, pap.ResultNotificationMessage)
    assert (m.message_state, m.code, m.qos.bearer) == ("delivered", 1000, "SIP")


FIELD_DEVIATIONS = {
    "doctype-no-version",
    "typographic-quotes",
    "keyword-case",
    "address-bare",
    "bearer-case",
}


def test_field_deviations_lenient_reads_and_records_each() -> None:
    d = pap.decode(golden("field_deviations_lenient.xml"), "lenient")
    assert {x.code for x in d.deviations} == FIELD_DEVIATIONS
    m = d.message
    assert m.push_id == "field-7@pi.example" and m.progress_notes_requested is True
    assert m.qos == pap.QualityOfService(priority="high", network="GSM", bearer="SMS")
    assert pap.client_address(m.addresses[0]) == pap.ClientAddress(
        "+8613800000001", "PLMN", "ppg.example"
    )


def test_field_deviations_strict_names_the_first() -> None:
    with pytest.raises(pap.PapError) as err:
        pap.decode(golden("field_deviations_lenient.xml"), "strict")
    # Well-formedness comes first: the quotes are what the parser meets before the DOCTYPE.
    assert err.value.deviation == "typographic-quotes" and err.value.code == 2000


def test_kannel_lower_case_address_keywords() -> None:
    d = pap.decode(golden("kannel_testppg_lenient.xml"), "lenient")
    assert {x.code for x in d.deviations} == {"doctype-no-version", "address-keyword-case"}
    assert pap.client_address(d.message.addresses[0]).type == "PLMN"
    with pytest.raises(pap.PapError):
        pap.decode(golden("kannel_testppg_lenient.xml"), "strict")


def test_every_deviation_is_documented() -> None:
    assert set(pap.DEVIATION_CODES) >= FIELD_DEVIATIONS


# --- multipart ---------------------------------------------------------------------------


def test_kannel_multipart_push_with_si_content() -> None:
    ctype = (GOLDEN / "push_kannel_si.content-type.txt").read_text()
    req = pap.split_request(ctype, golden("push_kannel_si.bin"), "strict")
    assert isinstance(req.message, pap.PushMessage) and req.all_deviations == []
    assert req.content is not None and req.content.media_type == "text/vnd.wap.si"
    assert req.content.application_id == "x-wap-application:push.sia"
    assert req.content.data.startswith(b"<?xml")


def test_pap_second_with_unquoted_start_is_lenient_only() -> None:
    ctype = (GOLDEN / "push_pap_second_lenient.content-type.txt").read_text()
    body = golden("push_pap_second_lenient.bin")
    req = pap.split_request(ctype, body, "lenient")
    codes = {d.code for d in req.all_deviations}
    assert codes == {"start-unquoted", "pap-not-first", "pap-media-type"}
    assert req.content is not None and req.content.data == b"MMS"
    with pytest.raises(pap.PapError) as err:
        pap.split_request(ctype, body, "strict")
    assert err.value.deviation == "start-unquoted"


def test_build_push_puts_pap_first_and_reads_back() -> None:
    m = pap.decode(golden("push_message_2_1.xml")).message
    content = pap.ContentEntity(
        "application/vnd.wap.mms-message",
        bytes(range(256)),
        (("X-Wap-Application-Id", "x-wap-application:mms.ua"),),
    )
    built = pap.build_push(m, content)
    assert built.content_type.startswith('multipart/related; type="application/xml"')
    req = pap.split_request(built.content_type, built.body, "strict")
    assert req.message == m and req.content.data == bytes(range(256))
    assert req.content.application_id == "x-wap-application:mms.ua"
    assert built.body.index(b"application/xml") < built.body.index(b"mms-message")


@pytest.mark.parametrize(
    ("ctype", "body", "field"),
    [
        ("application/xml", golden("push_message_2_1.xml"), "multipart"),
        ("text/plain", b"hello", "Content-Type"),
        ("multipart/related", b"--x\r\n\r\n--x--", "Content-Type@boundary"),
    ],
)
def test_bodies_that_are_no_push(ctype: str, body: bytes, field: str) -> None:
    with pytest.raises(pap.PapError) as err:
        pap.split_request(ctype, body, "lenient")
    assert err.value.field == field and err.value.code == 2000


# --- refusals --------------------------------------------------------------------------

DOCTYPE = (
    b'<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.1//EN" '
    b'"http://www.openmobilealliance.org/tech/DTD/pap_2.1.dtd">'
)


def doc(body: bytes) -> bytes:
    return DOCTYPE + body


MALFORMED = [
    (b"", "pap"),
    (b"<pap>", "pap"),
    (b"<pap><push-message/></pap>", "push-message@push-id"),
    (b'<pap><push-message push-id="x"/></pap>', "push-message/address"),
    (b'<pap><push-message push-id="x"><address/></push-message></pap>', "address@address-value"),
    (b"<notpap/>", "notpap"),
    (
        b'<pap><push-response push-id="x"><response-result code="1"/></push-response></pap>',
        "response-result@code",
    ),
    (
        b'<pap><push-message push-id="x" deliver-before-timestamp="tomorrow">'
        b'<address address-value="WAPPUSH=+8613800000001/TYPE=PLMN@p"/></push-message></pap>',
        "push-message@deliver-before-timestamp",
    ),
]


@pytest.mark.parametrize(("data", "field"), MALFORMED)
def test_malformed_gets_2000_naming_the_field(data: bytes, field: str) -> None:
    for mode in ("strict", "lenient"):
        with pytest.raises(pap.PapError) as err:
            pap.decode(doc(data), mode)
        assert err.value.code == 2000 and err.value.field == field


@pytest.mark.parametrize(
    "value",
    ["WAPPUSH=8613800000001/TYPE=PLMN@p", "WAPPUSH=300.1.1.1/TYPE=IPv4@p", "nothing", "a b@c"],
)
def test_addresses_that_are_none_get_2002(value: str) -> None:
    doc = f'<pap><push-message push-id="x"><address address-value="{value}"/></push-message></pap>'
    with pytest.raises(pap.PapError) as err:
        pap.decode(DOCTYPE + doc.encode(), "lenient")
    assert err.value.code == pap.ADDRESS_ERROR


ATTACKS = {
    "external entity": b'<?xml version="1.0"?><!DOCTYPE pap [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<pap><push-message push-id="&x;"/></pap>',
    "parameter entity": b'<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.1//EN" "x" [%p;]><pap/>',
    "billion laughs": b'<!DOCTYPE pap [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><pap>&b;</pap>',
    "undeclared entity": b'<pap><push-message push-id="&lol;"/></pap>',
    "doctype after root": b"<pap/><!DOCTYPE pap>",
    "utf-16 entity": '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE pap ['
    '<!ENTITY x SYSTEM "file:///etc/passwd">]><pap>&x;</pap>'.encode("utf-16"),
    "element declaration": b"<!DOCTYPE pap [<!ELEMENT pap ANY>]><pap/>",
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_xml_attacks_are_refused_before_anything_is_read(name: str) -> None:
    for mode in ("strict", "lenient"):
        with pytest.raises(pap.PapError) as err:
            pap.decode(ATTACKS[name], mode)
        assert err.value.code == 2000


def test_utf16_document_without_dtd_reads() -> None:
    doc = pap.encode(pap.CancelMessage("p1", ())).decode().replace('encoding="UTF-8"', "")
    data = doc.encode("utf-16")
    assert pap.decode(data).message == pap.CancelMessage("p1", ())


def test_oversized_document_refused() -> None:
    with pytest.raises(pap.PapError):
        pap.decode(b"<pap>" + b" " * 1_000_001 + b"</pap>")
