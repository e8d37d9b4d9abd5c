"""The PIDF codec: RFC 3863's example, the bearer-choice documents, lenient readings."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmsconf.emulators.codecs import pidf

GOLDEN = Path(__file__).parent / "golden" / "pidf"


def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def test_rfc3863_example() -> None:
    d = pidf.decode(golden("rfc3863_example.xml"))
    p = d.presence
    assert p.entity == "pres:someone@example.com" and d.deviations == []
    assert [t.id for t in p.tuples] == ["bs35r9", "eg92n8"]
    assert p.tuples[0].open and p.tuples[0].priority == 0.8 and len(p.tuples[0].notes) == 2
    assert p.notes == ("I'll be in Tokyo next week",)


def test_client_document_is_what_the_encoder_writes() -> None:
    p = pidf.decode(golden("client_sip_push_open.xml")).presence
    assert pidf.encode(p) == golden("client_sip_push_open.xml")
    sip_tuple = p.bearer("SIP")
    assert sip_tuple is not None and sip_tuple.open
    assert sip_tuple.feature_tags == ('+g.oma.pusheventapp="mms.ua"',)
    assert sip_tuple.methods == ("MESSAGE", "OPTIONS")
    assert p.bearer("UDP").contact == "udp://127.0.60.1:2948"


def test_offline_client_has_every_tuple_closed() -> None:
    p = pidf.decode(golden("client_offline.xml")).presence
    assert not any(t.open for t in p.tuples)
    assert pidf.decode(pidf.encode(p)).presence == p


def test_lenient_reads_no_namespace_and_case() -> None:
    d = pidf.decode(golden("lenient_no_namespace.xml"), "lenient")
    assert {x.code for x in d.deviations} == {"no-namespace", "basic-case", "tuple-id-missing"}
    assert d.presence.tuples[0].open
    with pytest.raises(pidf.PidfError) as err:
        pidf.decode(golden("lenient_no_namespace.xml"), "strict")
    assert err.value.deviation == "no-namespace"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<presence/>",
        b'<presence xmlns="urn:x" entity="tel:+1"/>',
        b'<!DOCTYPE presence [<!ENTITY x "y">]><presence entity="tel:+1">&x;</presence>',
        b'<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="tel:+1"><tuple id="a">'
        b"<status><basic>maybe</basic></status></tuple></presence>",
        b'<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="tel:+1"><tuple id="a"/>'
        b'<tuple id="a"/></presence>',
    ],
)
def test_refusals(data: bytes) -> None:
    for mode in ("strict", "lenient"):
        with pytest.raises(pidf.PidfError):
            pidf.decode(data, mode)
