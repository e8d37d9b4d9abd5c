"""codecs/dns: golden vectors (real dig queries, our answers), strict errors naming the field,
lenient deviations, compression-pointer loops, truncation, EDNS, summaries.

Golden files under golden/dns/: ``dig_*.bin`` are queries dig 9.18 sent (captured on
loopback); ``answer_*.bin`` are what ``encode_response`` must produce, byte for byte.
"""

from __future__ import annotations

import struct
from pathlib import Path

import dnslib
import pytest

from mmsconf.emulators.codecs import dns

GOLDEN = Path(__file__).parent / "golden" / "dns"
NAME = "mmsg.operator.example"
URL = "http://127.0.40.1:18080/mm7"


def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def header(qid=1, flags=0x0100, qd=1, an=0, ns=0, ar=0) -> bytes:
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


QUESTION = b"\x04mmsg\x08operator\x07example\x00" + struct.pack("!HH", dns.URI, 1)
OPT_RR = b"\x00" + struct.pack("!HHIH", dns.OPT, 1232, 0, 0)


def error_of(data: bytes, mode: dns.Mode = dns.Mode.STRICT) -> dns.DnsFormatError:
    with pytest.raises(dns.DnsFormatError) as caught:
        dns.parse_query(data, mode)
    return caught.value


# --------------------------------------------------------------------------- golden


def test_dig_query_with_edns_and_cookie() -> None:
    query = dns.parse_query(golden("dig_uri_query.bin"))
    assert (query.qname, query.qtype, query.rd, query.key) == (
        f"{NAME}.",
        dns.URI,
        True,
        f"{NAME}.",
    )
    assert query.edns is not None and query.edns.udp_size == 1232 and query.edns.version == 0
    assert [code for code, _ in query.edns.options] == [10]  # a DNS cookie (RFC 7873)
    assert query.max_udp == 1232
    assert query.question == QUESTION
    assert dns.summarize_query(query) == f"URI? {NAME}. +edns"


def test_dig_query_without_recursion_or_edns() -> None:
    query = dns.parse_query(golden("dig_a_query_norec_noedns.bin"))
    assert (query.qtype, query.rd, query.edns, query.max_udp) == (dns.A, False, None, 512)


def test_answer_golden_vector() -> None:
    query = dns.parse_query(golden("dig_uri_query.bin"))
    wire = dns.encode_response(
        query,
        answers=[dns.uri_record(NAME, URL)],
        additional=[dns.a_record(NAME, "127.0.40.1")],
        ttl=0,
        max_udp=query.max_udp,
    )
    path = GOLDEN / "answer_uri_with_a.bin"
    assert wire == path.read_bytes()
    # What dnslib (an independent decoder) reads from the same bytes.
    other = dnslib.DNSRecord.parse(wire)
    assert (other.header.id, other.header.qr, other.header.aa, other.header.rd) == (
        query.id, 1, 1, 1,
    )  # fmt: skip
    assert other.rr[0].rtype == dns.URI and other.ar[0].rtype == dns.A


# --------------------------------------------------------------------------- strict errors


@pytest.mark.parametrize(
    ("data", "field", "rcode"),
    [
        (b"\x00\x01\x01", "header", dns.FORMERR),
        (header(flags=0x8100) + QUESTION, "flags.qr", dns.FORMERR),
        (header(flags=0x2100) + QUESTION, "opcode", dns.NOTIMP),
        (header(qd=0), "qdcount", dns.FORMERR),
        (header(qd=2) + QUESTION + QUESTION, "qdcount", dns.FORMERR),
        (header(flags=0x0300) + QUESTION, "flags.tc", dns.FORMERR),
        (header(ar=1) + QUESTION, "additional[0].name", dns.FORMERR),
        (header(ar=1) + QUESTION + OPT_RR[:-3], "additional[0]", dns.FORMERR),
        (header(ar=2) + QUESTION + OPT_RR + OPT_RR, "additional[1]", dns.FORMERR),
        (header() + QUESTION[:-2], "question", dns.FORMERR),
        (header() + b"\x05mmsg", "question.name", dns.FORMERR),
        (header() + b"\x40abc\x00\x00\x01\x00\x01", "question.name", dns.FORMERR),
        (header() + b" " * 5000, "message", dns.FORMERR),
    ],
)
def test_strict_errors_name_the_field(data: bytes, field: str, rcode: int) -> None:
    err = error_of(data)
    assert err.field == field, err
    assert err.rcode == rcode


def test_compression_pointer_loops_and_forward_pointers_are_refused() -> None:
    # A pointer to itself, to the header, forward, and a two-pointer loop in the additional.
    to_self = header() + b"\xc0\x0c" + struct.pack("!HH", 1, 1)
    assert "does not point back" in error_of(to_self).reason
    into_header = header() + b"\xc0\x02" + struct.pack("!HH", 1, 1)
    assert error_of(into_header).field == "question.name"
    # additional record owner: a label then a pointer back to that same label (a loop).
    loop = header(ar=1) + QUESTION + b"\x01a\xc0" + bytes([12 + len(QUESTION)])
    loop += struct.pack("!HHIH", 1, 1, 0, 4) + b"\x7f\x00\x00\x01"
    err = error_of(loop)
    assert err.field == "additional[0].name" and "does not point back" in err.reason


def test_pointers_backwards_are_followed() -> None:
    # additional A record whose owner points back at the question's name
    rr = b"\xc0\x0c" + struct.pack("!HHIH", dns.A, 1, 0, 4) + b"\x7f\x00\x00\x01"
    query = dns.parse_query(header(ar=1) + QUESTION + rr, dns.Mode.LENIENT)
    assert [d.code for d in query.deviations] == ["non_opt_additional"]


def test_long_names_are_refused() -> None:
    long_name = b"".join(b"\x3f" + b"a" * 63 for _ in range(4)) + b"\x00"
    err = error_of(header() + long_name + struct.pack("!HH", 1, 1))
    assert "longer than 255" in err.reason


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        (header() + QUESTION + b"\x00\x00", "trailing_bytes", "message"),
        (header(flags=0x0140) + QUESTION, "reserved_z_bit", "flags.z"),
        (
            header(an=1) + QUESTION + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 0, 4) + b"\0" * 4,
            "records_in_query",
            "ancount",
        ),
    ],
)
def test_deviations_lenient_records_strict_names(data: bytes, code: str, field: str) -> None:
    assert error_of(data).field == field
    query = dns.parse_query(data, dns.Mode.LENIENT)
    assert [(d.code, d.field) for d in query.deviations] == [(code, field)]
    assert code in dns.DEVIATIONS


def test_counts_that_lie_are_errors_even_when_lenient() -> None:
    lying = header(an=3) + QUESTION
    with pytest.raises(dns.DnsFormatError, match=r"record\[0\]"):
        dns.parse_query(lying, dns.Mode.LENIENT)


# --------------------------------------------------------------------------- answers


def test_error_reply_echoes_id_opcode_and_rd_only() -> None:
    reply = dns.error_reply(header(qid=0xBEEF, flags=0x2100, qd=7), dns.NOTIMP)
    assert reply == struct.pack("!HHHHHH", 0xBEEF, 0x8000 | 0x2100 | dns.NOTIMP, 0, 0, 0, 0)
    assert dns.error_reply(b"\x01\x02") is None
    assert dns.error_reply(header(flags=0x8000)) is None  # never answer a response


def test_oversized_udp_answer_is_truncated_and_fits_over_tcp() -> None:
    query = dns.parse_query(dns.build_query("big.operator.example", "TXT", id=9))
    records = [dns.txt_record("big.operator.example", "x" * 200) for _ in range(5)]
    udp = dns.encode_response(query, answers=records, max_udp=query.max_udp)
    parsed = dns.parse_response(udp)
    assert parsed.tc and parsed.answers == () and len(udp) <= 512
    assert parsed.question == ("big.operator.example.", dns.TXT)
    tcp = dns.parse_response(dns.encode_response(query, answers=records, max_udp=None))
    assert not tcp.tc and len(tcp.answers) == 5


def test_edns_answer_advertises_our_size_and_badvers_for_version_1() -> None:
    query = dns.parse_query(dns.build_query(NAME, "A", id=3, edns_udp=4096))
    answer = dns.parse_response(dns.encode_response(query, answers=[dns.a_record(NAME, "1.2.3.4")]))
    assert answer.edns is not None and answer.edns.udp_size == dns.OUR_EDNS_UDP
    v1 = header(ar=1) + QUESTION + b"\x00" + struct.pack("!HHIH", dns.OPT, 1232, 1 << 16, 0)
    reply = dns.parse_response(dns.encode_response(dns.parse_query(v1), answers=[]))
    assert reply.rcode == dns.BADVERS and reply.rcode_name == "BADVERS"


def test_question_case_is_echoed_and_ttl_override() -> None:
    query = dns.parse_query(dns.build_query("MMSG.Operator.EXAMPLE", "URI", id=4))
    wire = dns.encode_response(query, answers=[dns.uri_record(NAME, URL, ttl=300)], ttl=0)
    answer = dns.parse_response(wire)
    assert answer.question == ("MMSG.Operator.EXAMPLE.", dns.URI)
    [uri] = answer.records(dns.URI)
    assert (uri.ttl, uri.target, uri.preference, uri.text) == (0, URL, 10, f'10 1 "{URL}"')
    assert dns.summarize_response(answer) == f'URI? MMSG.Operator.EXAMPLE. -> 10 1 "{URL}" ttl 0'


def test_record_views() -> None:
    query = dns.parse_query(dns.build_query("operator.example", "ANY", id=5))
    records = [
        dns.mx_record("operator.example", "mx.operator.example", 5),
        dns.txt_record("operator.example", "mm7=" + URL, "b"),
        dns.ns_record("operator.example", "ns.operator.example"),
        dns.soa_record("operator.example", mname="ns.operator.example", rname="h.operator.example"),
        dns.aaaa_record("operator.example", "::1"),
    ]
    answer = dns.parse_response(dns.encode_response(query, answers=records, max_udp=None))
    mx, txt, ns, soa, aaaa = answer.answers
    assert (mx.preference, mx.target) == (5, "mx.operator.example.")
    assert txt.texts == ("mm7=" + URL, "b")
    assert ns.target == "ns.operator.example." and soa.type_name == "SOA"
    assert aaaa.address == "::1" and mx.address is None


def test_response_walk_refuses_loops_inside_rdata_and_lying_lengths() -> None:
    query = dns.parse_query(dns.build_query(NAME, "MX", id=6))
    good = dns.encode_response(query, answers=[dns.mx_record(NAME, "mx.operator.example")])
    dns.parse_response(good)
    # The MX exchange name: make it a pointer to itself.
    rdata_start = good.rindex(b"\x00\x0a") + 2  # preference 10, then the exchange
    looped = good[:rdata_start] + b"\xc0" + bytes([rdata_start]) + good[rdata_start + 2 :]
    with pytest.raises(dns.DnsFormatError, match="does not point back"):
        dns.parse_response(looped)
    short = good[:-1]
    with pytest.raises(dns.DnsFormatError):
        dns.parse_response(short)
    with pytest.raises(dns.DnsFormatError, match=r"flags\.qr"):
        dns.parse_response(dns.build_query(NAME, "A"))


def test_describe_never_raises() -> None:
    assert dns.describe(b"").startswith("0 bytes, not DNS")
    assert dns.describe(golden("dig_uri_query.bin")) == f"URI? {NAME}. +edns"
    assert "not DNS" in dns.describe(b"\xff" * 40)


def test_names_and_zones() -> None:
    assert dns.name_key("MMSG.Operator.Example") == "mmsg.operator.example."
    assert dns.in_zone("a.b.operator.example.", "Operator.Example")
    assert not dns.in_zone("xoperator.example", "operator.example")
    assert dns.in_zone("anything", ".")
    assert dns.type_code("uri") == dns.URI and dns.type_code("TYPE99") == 99
    with pytest.raises(ValueError, match="unknown DNS record type"):
        dns.type_code("NOPE")
    assert dns.name_text((b"a.b", b"\x00c")) == "a\\.b.\\000c."


def test_uri_data_rules() -> None:
    with pytest.raises(ValueError, match="cannot be empty"):
        dns.UriData(1, 1, "")
    assert dns.UriData.from_bytes(b"\x00\x01\x00\x02http://x/").target == "http://x/"
    with pytest.raises(dnslib.DNSError):
        dns.UriData.from_bytes(b"\x00\x01")
