"""The WSP push PDU and the SI codecs against the bytes real pushers write: Kannel's
datagram (SI compiled to SIC, its headers), Mbuni's MMS push prefix, a textual content
type as a real handset vector has it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmsconf.emulators.codecs import mm1, si, wsp_push

GOLDEN = Path(__file__).parent / "golden"


def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def test_kannel_datagram() -> None:
    pdu = wsp_push.decode(golden("wsp_push/kannel_si_over_ip.bin"))
    assert (pdu.tid, pdu.content_type, pdu.content_type_form) == (
        0,
        "application/vnd.wap.sic",
        "short",
    )
    assert pdu.application_id == "x-wap-application:push.sia"
    assert ("X-Wap-Initiator-URI", "http://127.0.0.1/pi") in pdu.headers
    assert pdu.data == golden("si/kannel_sic.bin")


def test_mbuni_prefix_is_what_the_encoder_writes() -> None:
    data = golden("wsp_push/mbuni_mms_prefix.bin")
    assert data[:6] == bytes.fromhex("010603beaf84")
    pdu = wsp_push.decode(data)
    assert wsp_push.encode(pdu) == data
    note = mm1.decode(pdu.data).message
    assert isinstance(note, mm1.NotificationInd) and note.transaction_id == "T1"


def test_textual_content_type_reads_and_writes_back() -> None:
    data = golden("wsp_push/textual_content_type.bin")
    pdu = wsp_push.decode(data)
    assert pdu.content_type == "application/vnd.wap.mms-message"
    assert pdu.content_type_form == "text" and wsp_push.encode(pdu) == data


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"", "TID"),
        (b"\x01", "PDU type"),
        (b"\x01\x04\x00", "PDU type"),
        (b"\x01\x06\x00", "Content-Type"),
        (b"\x01\x06\x05\xbe", "HeadersLen"),
        (b"\x01\x06\xff\xff\xff\xff\xff\x01", "HeadersLen"),
        (b"\x01\x06\x02\xbe\xaf", "X-Wap-Application-Id"),
    ],
)
def test_malformed_pdus_name_the_field(data: bytes, field: str) -> None:
    with pytest.raises(wsp_push.WspError) as err:
        wsp_push.decode(data)
    assert err.value.field == field


def test_kannel_sic_is_what_the_si_encoder_writes() -> None:
    sic = golden("si/kannel_sic.bin")
    indication = si.decode_tokens(sic)
    assert indication == si.Si("http://example.com/a", "1@example.com", "signal-high", "Hello")
    assert si.encode_tokens(indication) == sic
    assert si.decode_text(golden("si/kannel_si.xml")) == indication


def test_si_dates_and_prefixes_round_trip() -> None:
    one = si.Si(
        "https://www.mmsc.example.org/x",
        "id1",
        "delete",
        "",
        created="2024-05-01T10:00:00Z",
        expires="2024-05-02T00:00:00Z",
        si_class="mms",
    )
    assert si.decode_tokens(si.encode_tokens(one)) == one
    assert si.decode_text(si.encode_text(one)) == one


@pytest.mark.parametrize(
    "data",
    [
        b"<si/>",
        b'<!DOCTYPE si [<!ENTITY x SYSTEM "file:///etc/passwd">]><si><indication>&x;'
        b"</indication></si>",
        b'<si><indication action="shout">x</indication></si>',
        b'<si><indication created="yesterday">x</indication></si>',
    ],
)
def test_textual_si_refusals(data: bytes) -> None:
    with pytest.raises(si.SiError):
        si.decode_text(data)


@pytest.mark.parametrize(
    "data",
    [b"", b"\x02\x06\x6a\x00", b"\x02\x05\x6a\x01\x00", b"\x02\x05\x6a\x00\x45\xc6\x7f\x01\x01"],
)
def test_tokenised_si_refusals(data: bytes) -> None:
    with pytest.raises(si.SiError):
        si.decode_tokens(data)
