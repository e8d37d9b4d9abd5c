"""The gateway-selection codecs as fuzz targets: DNS queries, DNS responses, the gateway status
document. The same four properties as test_codec_properties.py (round trip; junk, and valid
encodings damaged one to three times, only ever raise the codec's own error; every error names
its field), at 10,000 cases each under ``tox -e fuzz``.

Self-contained until tests/support (the shared CodecTarget harness) lands in main: each
target below is written in its shape (messages, encode, decode, error, mutators,
check_error), so it moves to tests/support/targets/ as it is.
"""

from __future__ import annotations

import json
import random
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from mmsconf.emulators.codecs import dns
from mmsconf.emulators.codecs import gateway_status as gs

Mutator = Callable[[random.Random, bytes], bytes]


# --- generic byte damage (the shared harness has the same) ------------------------------


def flip_bit(rnd: random.Random, body: bytes) -> bytes:
    if not body:
        return body
    i = rnd.randrange(len(body))
    return body[:i] + bytes([body[i] ^ (1 << rnd.randrange(8))]) + body[i + 1 :]


def truncate(rnd: random.Random, body: bytes) -> bytes:
    return body[: rnd.randrange(len(body) + 1)]


def insert_bytes(rnd: random.Random, body: bytes) -> bytes:
    i = rnd.randrange(len(body) + 1)
    return body[:i] + rnd.randbytes(rnd.randint(1, 16)) + body[i:]


def duplicate_span(rnd: random.Random, body: bytes) -> bytes:
    a = rnd.randrange(len(body) + 1)
    b = min(len(body), a + rnd.choice((1, 2, 8, 64)))
    return body[:b] + body[a:b] + body[b:]


BYTE_MUTATORS: tuple[Mutator, ...] = (flip_bit, truncate, insert_bytes, duplicate_span)


@dataclass(frozen=True)
class Target:
    name: str
    messages: st.SearchStrategy[Any]
    encode: Callable[[Any], bytes]
    decode: Callable[[bytes, str], tuple[Any, Sequence[Any]]]
    error: type[Exception]
    modes: tuple[str, ...]
    expected: Callable[[Any], Any]
    junk: st.SearchStrategy[bytes]
    mutators: tuple[Mutator, ...]
    check_error: Callable[[Exception], None]

    def __str__(self) -> str:
        return self.name


# --- DNS --------------------------------------------------------------------------------

LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20)
NAMES = st.lists(LABEL, min_size=1, max_size=4).map(".".join)
QTYPES = st.sampled_from(["A", "AAAA", "MX", "TXT", "URI", "SOA", "NS", "ANY", "TYPE99"])


@st.composite
def queries(draw: st.DrawFn) -> tuple:
    return (
        draw(NAMES),
        draw(QTYPES),
        draw(st.integers(0, 0xFFFF)),
        draw(st.booleans()),
        draw(st.one_of(st.none(), st.integers(512, 4096))),
    )


def encode_query(q: tuple) -> bytes:
    name, qtype, qid, rd, edns = q
    return dns.build_query(name, qtype, id=qid, rd=rd, edns_udp=edns)


def decode_query(body: bytes, mode: str) -> tuple[Any, Sequence[Any]]:
    query = dns.parse_query(body, dns.Mode(mode))
    edns = query.edns.udp_size if query.edns is not None else None
    shown = (query.key.rstrip("."), dns.type_name(query.qtype), query.id, query.rd, edns)
    return shown, query.deviations


def expected_query(q: tuple) -> tuple:
    name, qtype, qid, rd, edns = q
    return (name, dns.type_name(dns.type_code(qtype)), qid, rd, edns)


RECORDS = st.one_of(
    st.tuples(st.just("A"), st.ip_addresses(v=4).map(str)),
    st.tuples(st.just("URI"), LABEL.map(lambda s: f"http://{s}.example/mm7")),
    st.tuples(st.just("TXT"), st.text(min_size=1, max_size=60).filter(lambda t: t.isprintable())),
    st.tuples(st.just("MX"), NAMES),
)


@st.composite
def responses(draw: st.DrawFn) -> tuple:
    query = draw(queries())
    rcode = draw(st.sampled_from([dns.NOERROR, dns.NXDOMAIN, dns.SERVFAIL, dns.REFUSED]))
    records = draw(st.lists(st.tuples(RECORDS, st.integers(0, 86400)), max_size=4))
    return query, rcode, records


def _rr(name: str, record: tuple[str, str], ttl: int):
    kind, value = record
    return {
        "A": lambda: dns.a_record(name, value, ttl),
        "URI": lambda: dns.uri_record(name, value, ttl=ttl),
        "TXT": lambda: dns.txt_record(name, value, ttl=ttl),
        "MX": lambda: dns.mx_record(name, value, 10, ttl),
    }[kind]()


def encode_response(r: tuple) -> bytes:
    query, rcode, records = r
    parsed = dns.parse_query(encode_query(query))
    answers = [_rr(query[0], rec, ttl) for rec, ttl in records]
    return dns.encode_response(parsed, rcode=rcode, answers=answers, max_udp=None)


def decode_response(body: bytes, mode: str) -> tuple[Any, Sequence[Any]]:
    response = dns.parse_response(body, dns.Mode(mode))
    shown = (response.id, response.rcode, [(r.type_name, r.ttl, r.text) for r in response.answers])
    return shown, response.deviations


def expected_response(r: tuple) -> tuple:
    return (
        dns.parse_response(encode_response(r)).id,
        r[1],
        [(rec[0], ttl, dns.rdata_text(_rr(r[0][0], rec, ttl).rdata)) for rec, ttl in r[2]],
    )


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


DNS_MUTATORS = (lying_count, compression_pointer, label_length, flags)


def check_dns_error(error: Exception) -> None:
    assert isinstance(error, dns.DnsFormatError)
    assert error.field.strip() and error.reason.strip(), error
    assert error.rcode in (dns.FORMERR, dns.NOTIMP), error


# --- the status document -------------------------------------------------------------------

NUMBER = st.one_of(st.integers(0, 10**9), st.floats(0, 1e9, allow_nan=False))
STATUS = st.builds(
    gs.GatewayStatus,
    delay_ms=NUMBER,
    traffic=st.integers(0, 10**9),
    max_traffic=st.integers(0, 10**9),
    throughput=NUMBER,
    max_throughput=NUMBER,
    overloaded=st.booleans(),
    gateway=st.one_of(st.none(), st.text(max_size=30)),
    accepted=st.one_of(st.none(), st.integers(0, 10**12)),
)


def decode_status(body: bytes, mode: str) -> tuple[Any, Sequence[Any]]:
    status = gs.parse_status(body, gs.CONTENT_TYPE, gs.Mode(mode))
    return status, status.deviations


def json_value(rnd: random.Random, body: bytes) -> bytes:
    """One member's value replaced by another JSON type (a string, negative, nested, null)."""
    try:
        obj = json.loads(body)
    except ValueError:
        return body
    if not isinstance(obj, dict) or not obj:
        return body
    key = rnd.choice(sorted(obj))
    obj[key] = rnd.choice(["12", -1, None, [], {"a": 1}, True, 1e400, "x" * 300, 1.5])
    return json.dumps(obj).encode()


def json_drop(rnd: random.Random, body: bytes) -> bytes:
    try:
        obj = json.loads(body)
    except ValueError:
        return body
    if isinstance(obj, dict) and obj:
        obj.pop(rnd.choice(sorted(obj)))
    return json.dumps(obj).encode()


def check_status_error(error: Exception) -> None:
    assert isinstance(error, gs.StatusError)
    assert error.field.strip() and error.reason.strip(), error


TARGETS = [
    Target(
        "dns-query", queries(), encode_query, decode_query, dns.DnsFormatError,
        ("strict", "lenient"), expected_query, st.binary(max_size=600), DNS_MUTATORS,
        check_dns_error,
    ),
    Target(
        "dns-response", responses(), encode_response, decode_response, dns.DnsFormatError,
        ("strict", "lenient"), expected_response, st.binary(max_size=600), DNS_MUTATORS,
        check_dns_error,
    ),
    Target(
        "gateway-status", STATUS, gs.encode_status, decode_status, gs.StatusError,
        ("strict", "lenient"), lambda s: s, st.binary(max_size=300), (json_value, json_drop),
        check_status_error,
    ),
]  # fmt: skip


#: Each property once per target (a parameter, not a fixture: Hypothesis redraws per case).
per_target = pytest.mark.parametrize("gs_target", TARGETS, ids=str)


def _decode_or_error(target: Target, body: bytes, mode: str) -> None:
    try:
        target.decode(body, mode)
    except target.error as err:
        target.check_error(err)


@per_target
@given(data=st.data())
def test_round_trip(gs_target: Target, data: st.DataObject) -> None:
    target = gs_target
    message = data.draw(target.messages, label="message")
    body = target.encode(message)
    assert target.encode(message) == body, "encode is not deterministic"
    for mode in target.modes:
        got, deviations = target.decode(body, mode)
        assert got == target.expected(message), mode
        assert list(deviations) == [], mode


@per_target
@given(data=st.data())
def test_junk_never_crashes(gs_target: Target, data: st.DataObject) -> None:
    target = gs_target
    body = data.draw(target.junk, label="body")
    for mode in target.modes:
        _decode_or_error(target, body, mode)
    if target.name.startswith("dns"):
        dns.describe(body)  # the trace's summary of anything: never raises
        dns.error_reply(body)


@per_target
@given(data=st.data())
def test_mutated_encodings_never_crash(gs_target: Target, data: st.DataObject) -> None:
    target = gs_target
    body = target.encode(data.draw(target.messages, label="message"))
    rnd = data.draw(st.randoms(use_true_random=False), label="rnd")
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        mutator = data.draw(st.sampled_from(BYTE_MUTATORS + target.mutators), label="mutator")
        note(f"mutator: {mutator.__name__}")
        body = mutator(rnd, body)
    for mode in target.modes:
        _decode_or_error(target, body, mode)
    if target.name.startswith("dns"):
        dns.describe(body)
