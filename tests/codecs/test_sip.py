"""The SIP codec: golden requests and responses, compact forms, the checks every element
relies on, strict against lenient, and the 400 it lets an element answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmsconf.emulators.codecs import sip

GOLDEN = Path(__file__).parent / "golden" / "sip"


def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def test_register_with_the_push_feature_tag() -> None:
    p = sip.parse(golden("register_push_feature.sip"))
    m = p.message
    assert isinstance(m, sip.SipRequest) and p.deviations == []
    assert (m.method, m.cseq, m.branch) == ("REGISTER", (1, "REGISTER"), "z9hG4bK-reg-1")
    [contact] = m.header_all("Contact")
    assert sip.has_push_feature(contact)
    assert sip.parse_name_addr(contact).uri == "sip:+8613800100001@127.0.60.1:5060"
    assert sip.parse_name_addr(contact).params["expires"] == "3600"


def test_compact_forms_read_as_long_ones() -> None:
    m = sip.parse(golden("register_compact.sip")).message
    assert m.call_id == "1j9FpLxk3uxtm8tn@127.0.60.2"
    assert sip.parse_name_addr(m.header("From")).tag == "a73kszlfl"
    assert m.header("Contact") == "<sip:bob@127.0.60.2:5060>"
    assert not sip.has_push_feature(m.header("Contact"))


def test_message_push_body_and_accept_contact() -> None:
    m = sip.parse(golden("message_push.sip")).message
    assert m.body == b"new MMS 1 2 3" and m.content_type == "text/plain"
    assert sip.has_push_feature(m.header("Accept-Contact"))
    assert sip.uri_hostport(m.uri) == ("127.0.60.1", 5060)
    assert sip.uri_user(m.uri) == "+8613800100001"


def test_response_reads_and_round_trips() -> None:
    m = sip.parse(golden("response_200_register.sip")).message
    assert isinstance(m, sip.SipResponse) and m.status == 200
    assert sip.encode(m) == golden("response_200_register.sip")


@pytest.mark.parametrize(
    "name", ["register_push_feature.sip", "message_push.sip", "register_compact.sip"]
)
def test_encode_of_a_parse_parses_to_the_same(name: str) -> None:
    m = sip.parse(golden(name)).message
    again = sip.parse(sip.encode(m)).message
    assert (again.headers, again.body) == (
        (
            *tuple((k, v) for k, v in m.headers if k != "Content-Length"),
            ("Content-Length", str(len(m.body))),
        ),
        m.body,
    )


def test_rfc2543_peer_is_lenient_only() -> None:
    data = golden("options_rfc2543_lenient.sip")
    p = sip.parse(data, "lenient")
    assert {d.code for d in p.deviations} == {
        "bare-lf",
        "branch-no-cookie",
        "max-forwards-missing",
        "from-tag-missing",
    }
    with pytest.raises(sip.SipError) as err:
        sip.parse(data, "strict")
    assert err.value.deviation == "bare-lf"


def test_response_to_copies_what_the_rfc_says() -> None:
    req = sip.parse(golden("message_push.sip")).message
    resp = sip.response_to(req, 200, to_tag="t9")
    assert resp.header("To") == "<sip:+8613800100001@mmsconf.example>;tag=t9"
    assert [resp.header(h) for h in ("Via", "From", "Call-ID", "CSeq")] == [
        req.header(h) for h in ("Via", "From", "Call-ID", "CSeq")
    ]
    assert sip.parse(sip.encode(resp)).message.summary == "200 OK (MESSAGE)"


def _bad(headers: str, start: str = "MESSAGE sip:h@127.0.60.1 SIP/2.0", body: str = "") -> bytes:
    return (start + "\r\n" + headers + "\r\n\r\n" + body).encode()


GOOD = (
    "Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
    "To: <sip:h@127.0.60.1>\r\nCall-ID: c1\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70"
)

BAD = [
    (_bad(GOOD.replace("CSeq: 1 MESSAGE", "CSeq: 1 INVITE")), "CSeq", 400),
    (_bad(GOOD.replace("Call-ID: c1\r\n", "")), "Call-ID", 400),
    (_bad(GOOD.replace("Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK1\r\n", "")), "Via", 400),
    (_bad(GOOD + "\r\nContent-Length: 10", body="short"), "Content-Length", 400),
    (_bad(GOOD, start="MESSAGE sip:h@127.0.60.1 SIP/3.0"), "start-line", 505),
    (_bad(GOOD, start="HELLO"), "start-line", 400),
    (_bad(GOOD.replace("To: <sip:h@127.0.60.1>", "To: <sip:h@127.0.60.1")), "To", 400),
    (_bad(GOOD.replace("Max-Forwards: 70", "Max-Forwards: many")), "Max-Forwards", 400),
]


@pytest.mark.parametrize(("data", "field", "status"), BAD)
def test_malformed_requests_name_the_field(data: bytes, field: str, status: int) -> None:
    for mode in ("strict", "lenient"):
        with pytest.raises(sip.SipError) as err:
            sip.parse(data, mode)
        assert (err.value.field, err.value.status) == (field, status)


def test_answer_malformed_gives_400_when_it_can_and_nothing_when_it_cannot() -> None:
    data = BAD[0][0]
    try:
        sip.parse(data)
    except sip.SipError as err:
        answer = sip.answer_malformed(data, err)
    assert answer is not None
    resp = sip.parse(answer).message
    assert resp.status == 400 and resp.call_id == "c1" and "CSeq" in resp.header("Warning")
    assert sip.answer_malformed(b"\x00\x01garbage", sip.SipError("start-line", "x")) is None


def test_extra_bytes_after_content_length_are_discarded_leniently() -> None:
    data = _bad(GOOD + "\r\nContent-Length: 2", body="okEXTRA")
    assert sip.parse(data, "lenient").message.body == b"ok"
    with pytest.raises(sip.SipError):
        sip.parse(data, "strict")
