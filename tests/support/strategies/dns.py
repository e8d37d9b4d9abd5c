"""DNS messages (codecs/dns) for the fuzz targets: queries, responses, DNS-aware mutators.

A query is drawn as ``(name, type, id, rd, edns_udp)``, a response as
``(query, rcode, [(record, ttl), ...])``; ``encode_*`` build the bytes with
the codec's own builders, ``decode_*`` read them back into the same shape,
``expected_*`` is what that gives (type names are normalised: ``TYPE99``
reads back as the codec names it). The mutators damage what a hostile
client or server would: section counts that lie, compression pointers put
anywhere (loops, forward, into the header), label length bytes, the flags.
"""

from __future__ import annotations

import random
import struct
from typing import Any

from dnslib import RR
from hypothesis import strategies as st

from mmsconf.emulators.codecs import dns

LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20)
NAMES = st.lists(LABEL, min_size=1, max_size=4).map(".".join)
QTYPES = st.sampled_from(["A", "AAAA", "MX", "TXT", "URI", "SOA", "NS", "ANY", "TYPE99"])

Query = tuple[str, str, int, bool, int | None]
Response = tuple[Query, int, list[tuple[tuple[str, str], int]]]


@st.composite
def queries(draw: st.DrawFn) -> Query:
    return (
        draw(NAMES),
        draw(QTYPES),
        draw(st.integers(0, 0xFFFF)),
        draw(st.booleans()),
        draw(st.one_of(st.none(), st.integers(512, 4096))),
    )


def encode_query(q: Query) -> bytes:
    name, qtype, qid, rd, edns = q
    return dns.build_query(name, qtype, id=qid, rd=rd, edns_udp=edns)


def read_query(body: bytes, mode: str) -> tuple[Query, tuple[dns.Deviation, ...]]:
    query = dns.parse_query(body, dns.Mode(mode))
    edns = query.edns.udp_size if query.edns is not None else None
    shown = (query.key.rstrip("."), dns.type_name(query.qtype), query.id, query.rd, edns)
    return shown, query.deviations


def expected_query(q: Query) -> Query:
    name, qtype, qid, rd, edns = q
    return (name, dns.type_name(dns.type_code(qtype)), qid, rd, edns)


RECORDS = st.one_of(
    st.tuples(st.just("A"), st.ip_addresses(v=4).map(str)),
    st.tuples(st.just("URI"), LABEL.map(lambda s: f"http://{s}.example/mm7")),
    st.tuples(st.just("TXT"), st.text(min_size=1, max_size=60).filter(lambda t: t.isprintable())),
    st.tuples(st.just("MX"), NAMES),
)


@st.composite
def responses(draw: st.DrawFn) -> Response:
    query = draw(queries())
    rcode = draw(st.sampled_from([dns.NOERROR, dns.NXDOMAIN, dns.SERVFAIL, dns.REFUSED]))
    records = draw(st.lists(st.tuples(RECORDS, st.integers(0, 86400)), max_size=4))
    return query, rcode, records


def _rr(name: str, record: tuple[str, str], ttl: int) -> RR:
    kind, value = record
    if kind == "A":
        return dns.a_record(name, value, ttl)
    if kind == "URI":
        return dns.uri_record(name, value, ttl=ttl)
    if kind == "TXT":
        return dns.txt_record(name, value, ttl=ttl)
    return dns.mx_record(name, value, 10, ttl)


def encode_response(r: Response) -> bytes:
    query, rcode, records = r
    parsed = dns.parse_query(encode_query(query))
    answers = [_rr(query[0], rec, ttl) for rec, ttl in records]
    return dns.encode_response(parsed, rcode=rcode, answers=answers, max_udp=None)


def read_response(body: bytes, mode: str) -> tuple[Any, tuple[dns.Deviation, ...]]:
    response = dns.parse_response(body, dns.Mode(mode))
    shown = (response.id, response.rcode, [(r.type_name, r.ttl, r.text) for r in response.answers])
    return shown, response.deviations


def expected_response(r: Response) -> tuple:
    query, rcode, records = r
    return (
        query[2],
        rcode,
        [(rec[0], ttl, dns.rdata_text(_rr(query[0], rec, ttl).rdata)) for rec, ttl in records],
    )


# --- DNS-aware damage -----------------------------------------------------------------


def _u16(body: bytes, at: int, value: int) -> bytes:
    if len(body) < at + 2:
        return body
    return body[:at] + struct.pack("!H", value) + body[at + 2 :]


def lying_count(rnd: random.Random, body: bytes) -> bytes:
    """A section count (QD/AN/NS/AR) set to anything."""
    return _u16(body, rnd.choice((4, 6, 8, 10)), rnd.choice((0, 1, 2, 3, 255, 0xFFFF)))


def compression_pointer(rnd: random.Random, body: bytes) -> bytes:
    """A compression pointer put somewhere, pointing anywhere (loops, forward, header)."""
    at = rnd.randrange(max(1, len(body) - 1))
    target = rnd.randrange(0x4000) if rnd.random() < 0.3 else rnd.randrange(len(body) + 1)
    return body[:at] + bytes([0xC0 | (target >> 8) & 0x3F, target & 0xFF]) + body[at + 2 :]


def label_length(rnd: random.Random, body: bytes) -> bytes:
    """The first label's length byte set to anything (past the end, 0x40 and 0x80 types)."""
    if len(body) <= 12:
        return body
    return body[:12] + bytes([rnd.choice((0, 1, 63, 64, 0x7F, 0x80, 0xBF, 0xFF))]) + body[13:]


def flags(rnd: random.Random, body: bytes) -> bytes:
    """The flags word set to anything (QR, opcodes, TC, Z)."""
    return _u16(body, 2, rnd.randrange(0x10000))


MUTATORS = (lying_count, compression_pointer, label_length, flags)

#: Anything a socket may carry: short, header-sized and longer than a classic UDP answer.
JUNK = st.binary(max_size=600)
