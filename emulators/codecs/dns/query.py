"""DNS queries: parsed strictly by hand (a server sees hostile bytes), and built.

Exactly one question, QR=0, opcode QUERY (another opcode is NOTIMP), counts
that match what follows, compression pointers that only point back, names of
at most 255 bytes, at most one OPT record, a bounded size; anything else is a
``DnsFormatError`` naming the field. Lenient mode records the deviations of
``wire.DEVIATIONS`` instead of refusing them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from dnslib import EDNS0, DNSHeader, DNSQuestion, DNSRecord

from mmsconf.emulators.codecs.dns.wire import (
    CLASSIC_UDP,
    FORMERR,
    HEADER,
    HEADER_SIZE,
    MAX_EDNS_UDP,
    MAX_QUERY,
    NOTIMP,
    OPT,
    A,
    Deviation,
    Deviations,
    DnsFormatError,
    Edns,
    Mode,
    name_text,
    read_header,
    read_name,
    read_opt,
    read_record,
    type_code,
    type_name,
)


@dataclass(frozen=True)
class DnsQuery:
    id: int
    labels: tuple[bytes, ...]
    qtype: int
    qclass: int
    rd: bool
    cd: bool
    edns: Edns | None
    question: bytes  # the question section as it came (an answer echoes it)
    size: int
    deviations: tuple[Deviation, ...] = ()

    @property
    def qname(self) -> str:
        return name_text(self.labels)

    @property
    def key(self) -> str:
        """The name in lower case: what zones are looked up by."""
        return name_text(tuple(label.lower() for label in self.labels))

    @property
    def type_name(self) -> str:
        return type_name(self.qtype)

    @property
    def max_udp(self) -> int:
        """The largest UDP answer this client takes: 512, or what its EDNS says (≤ 4096)."""
        if self.edns is None:
            return CLASSIC_UDP
        return max(CLASSIC_UDP, min(self.edns.udp_size, MAX_EDNS_UDP))


def parse_query(data: bytes, mode: Mode = Mode.STRICT) -> DnsQuery:
    """A query a server can answer, or ``DnsFormatError`` naming what is wrong with it."""
    if len(data) > MAX_QUERY:
        raise DnsFormatError("message", f"{len(data)} bytes; a query is at most {MAX_QUERY}")
    qid, flags, qdcount, ancount, nscount, arcount = read_header(data)
    if flags & 0x8000:
        raise DnsFormatError("flags.qr", "QR is set: a response, not a query")
    opcode = (flags >> 11) & 0xF
    if opcode != 0:
        raise DnsFormatError("opcode", f"opcode {opcode}; only QUERY (0) is served", NOTIMP)
    if qdcount != 1:
        raise DnsFormatError("qdcount", f"{qdcount} questions; a query has exactly one")
    if flags & 0x0200:
        raise DnsFormatError("flags.tc", "TC is set: a query is never truncated")
    seen = Deviations(mode)
    if flags & 0x0040:
        seen.note("reserved_z_bit", "flags.z", "the Z bit is set")
    if ancount or nscount:
        seen.note(
            "records_in_query", "ancount" if ancount else "nscount",
            f"ANCOUNT {ancount}, NSCOUNT {nscount}",
        )  # fmt: skip
    labels, pos = read_name(data, HEADER_SIZE, "question.name")
    if pos + 4 > len(data):
        raise DnsFormatError("question", "QTYPE and QCLASS are cut short")
    qtype, qclass = struct.unpack_from("!HH", data, pos)
    pos += 4
    question_end = pos
    for i in range(ancount + nscount):
        *_rest, pos = read_record(data, pos, f"record[{i}]")
    edns: Edns | None = None
    for i in range(arcount):
        where = f"additional[{i}]"
        owner, rtype, rclass, ttl, start, pos = read_record(data, pos, where)
        if rtype == OPT:
            if edns is not None:
                raise DnsFormatError(where, "a second OPT record (RFC 6891 allows one)")
            edns = read_opt(data, owner, rclass, ttl, start, pos, where)
        else:
            seen.note("non_opt_additional", where, f"a {type_name(rtype)} record")
    if pos != len(data):
        seen.note("trailing_bytes", "message", f"{len(data) - pos} bytes after the last record")
    return DnsQuery(
        id=qid,
        labels=labels,
        qtype=qtype,
        qclass=qclass,
        rd=bool(flags & 0x0100),
        cd=bool(flags & 0x0010),
        edns=edns,
        question=bytes(data[HEADER_SIZE:question_end]),
        size=len(data),
        deviations=tuple(seen.found),
    )


def build_query(
    name: str, qtype: int | str = A, *, id: int = 0, rd: bool = True, edns_udp: int | None = None
) -> bytes:
    """A query for ``name`` (what a stub resolver sends); ``edns_udp`` adds an OPT record."""
    record = DNSRecord(DNSHeader(id=id, rd=int(rd)), q=DNSQuestion(name, type_code(qtype)))
    if edns_udp is not None:
        record.add_ar(EDNS0(udp_len=edns_udp))
    return bytes(record.pack())


def error_reply(data: bytes, rcode: int = FORMERR) -> bytes | None:
    """A header-only answer with ``rcode`` to bytes that did not parse as a query, echoing
    their ID, opcode and RD; None when there is nothing to answer (under 12 bytes, or a
    response: answering one could start a loop between two servers)."""
    if len(data) < HEADER_SIZE:
        return None
    qid, flags = struct.unpack_from("!HH", data)
    if flags & 0x8000:
        return None
    flags = 0x8000 | (flags & 0x7900) | (rcode & 0xF)  # QR, opcode, RD echoed
    return HEADER.pack(qid, flags, 0, 0, 0, 0)
