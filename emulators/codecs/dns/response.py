"""DNS responses: encoded from dnslib records (TC when UDP cannot hold them), parsed strictly,
and summarised for the trace.

``encode_response`` answers a parsed ``DnsQuery``: it echoes the ID, the
question as it came, RD and CD, adds an OPT record when the query had one,
and when the message is larger than ``max_udp`` sends the header and question
only, with TC set, so the client asks again over TCP. ``parse_response``
walks the whole message as strictly as a query (names, counts, lengths, names
inside RDATA) before dnslib builds the records.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dnslib import EDNS0, RR, DNSError, DNSHeader, DNSLabel, DNSQuestion, DNSRecord

from mmsconf.emulators.codecs.dns.query import DnsQuery, parse_query
from mmsconf.emulators.codecs.dns.records import Record, rdata_text
from mmsconf.emulators.codecs.dns.wire import (
    BADVERS,
    CLASSIC_UDP,
    HEADER_SIZE,
    MAX_MESSAGE,
    NAMES_IN_RDATA,
    NOERROR,
    OPT,
    OUR_EDNS_UDP,
    SOA,
    Deviation,
    Deviations,
    DnsFormatError,
    Edns,
    Mode,
    rcode_name,
    read_header,
    read_name,
    read_opt,
    read_record,
    type_name,
)

# --- encoding --------------------------------------------------------------------------


def encode_response(
    query: DnsQuery,
    *,
    rcode: int = NOERROR,
    answers: Sequence[RR] = (),
    authority: Sequence[RR] = (),
    additional: Sequence[RR] = (),
    ttl: int | None = None,
    max_udp: int | None = CLASSIC_UDP,
    aa: bool = True,
) -> bytes:
    """The answer to ``query``. ``ttl`` (when given) replaces every record's TTL;
    ``max_udp`` None means no UDP limit (TCP); a larger answer is sent truncated (TC)."""
    if query.edns is not None and query.edns.version > 0:
        rcode, answers, authority, additional = BADVERS, (), (), ()
    records = [*answers, *authority, *additional]
    if ttl is not None:
        for rr in records:
            rr.ttl = ttl
    message = _pack(query, rcode, answers, authority, additional, aa=aa, tc=False)
    if max_udp is not None and len(message) > max_udp:
        message = _pack(query, rcode, (), (), (), aa=aa, tc=True)
    if len(message) > MAX_MESSAGE:
        raise ValueError(f"a {len(message)}-byte answer does not fit a DNS message")
    return message


def _pack(
    query: DnsQuery,
    rcode: int,
    answers: Sequence[RR],
    authority: Sequence[RR],
    additional: Sequence[RR],
    *,
    aa: bool,
    tc: bool,
) -> bytes:
    header = DNSHeader(
        id=query.id, qr=1, aa=int(aa), tc=int(tc), rd=int(query.rd), ra=0, rcode=rcode & 0xF
    )
    header.cd = int(query.cd)
    question = DNSQuestion(DNSLabel(list(query.labels)), query.qtype, query.qclass)
    record = DNSRecord(header, q=question)
    for rr in answers:
        record.add_answer(rr)
    for rr in authority:
        record.add_auth(rr)
    for rr in additional:
        record.add_ar(rr)
    if query.edns is not None:
        record.add_ar(EDNS0(udp_len=OUR_EDNS_UDP, ext_rcode=rcode >> 4))
    return bytes(record.pack())


# --- parsing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DnsResponse:
    id: int
    rcode: int
    aa: bool
    tc: bool
    rd: bool
    ra: bool
    question: tuple[str, int] | None  # (name, type) when the answer echoes one
    answers: tuple[Record, ...] = ()
    authority: tuple[Record, ...] = ()
    additional: tuple[Record, ...] = ()
    edns: Edns | None = None
    size: int = 0
    deviations: tuple[Deviation, ...] = field(default=())

    def records(self, rtype: int | None = None) -> list[Record]:
        """Answer records (of ``rtype`` only, when given)."""
        return [r for r in self.answers if rtype is None or r.rtype == rtype]

    @property
    def ttl(self) -> int | None:
        """The smallest TTL among the answers (None without answers)."""
        return min((r.ttl for r in self.answers), default=None)

    @property
    def rcode_name(self) -> str:
        return rcode_name(self.rcode)


def _walk(data: bytes, mode: Mode) -> tuple[int, int, Edns | None, list[Deviation]]:
    """Every structural rule of ``parse_query``, for a response: the header's flags and
    rcode (with the OPT's extension), and the deviations found."""
    _qid, flags, qdcount, ancount, nscount, arcount = read_header(data)
    if not flags & 0x8000:
        raise DnsFormatError("flags.qr", "QR is clear: a query, not a response")
    if qdcount > 1:
        raise DnsFormatError("qdcount", f"{qdcount} questions; an answer echoes at most one")
    seen = Deviations(mode)
    pos = HEADER_SIZE
    if qdcount:
        _labels, pos = read_name(data, pos, "question.name")
        if pos + 4 > len(data):
            raise DnsFormatError("question", "QTYPE and QCLASS are cut short")
        pos += 4
    edns: Edns | None = None
    sections = [("answer", ancount), ("authority", nscount), ("additional", arcount)]
    for section, count in sections:
        for i in range(count):
            where = f"{section}[{i}]"
            owner, rtype, rclass, ttl, start, pos = read_record(data, pos, where)
            if rtype == OPT:
                if section != "additional" or edns is not None:
                    raise DnsFormatError(where, "one OPT record at most, in the additional section")
                edns = read_opt(data, owner, rclass, ttl, start, pos, where)
            elif rtype in NAMES_IN_RDATA:
                _name, end = read_name(data, start + NAMES_IN_RDATA[rtype], f"{where}.rdata")
                if rtype == SOA:
                    _name, end = read_name(data, end, f"{where}.rdata")
                    end += 20
                if end > pos:
                    raise DnsFormatError(f"{where}.rdata", "the RDATA runs past its length")
    if pos != len(data):
        seen.note("trailing_bytes", "message", f"{len(data) - pos} bytes after the last record")
    rcode = flags & 0xF
    if edns is not None:
        rcode |= edns.ext_rcode << 4
    return flags, rcode, edns, seen.found


def parse_response(data: bytes, mode: Mode = Mode.STRICT) -> DnsResponse:
    """An answer a stub resolver can use, or ``DnsFormatError`` naming what is wrong."""
    if len(data) > MAX_MESSAGE:
        raise DnsFormatError("message", f"{len(data)} bytes; a DNS message is at most 65535")
    flags, rcode, edns, deviations = _walk(data, mode)
    try:
        record = DNSRecord.parse(data)
    except (DNSError, ValueError, IndexError, struct.error) as err:
        raise DnsFormatError("rdata", str(err)[:200]) from None
    question = (str(record.q.qname), record.q.qtype) if record.questions else None
    return DnsResponse(
        id=record.header.id,
        rcode=rcode,
        aa=bool(flags & 0x0400),
        tc=bool(flags & 0x0200),
        rd=bool(flags & 0x0100),
        ra=bool(flags & 0x0080),
        question=question,
        answers=tuple(Record.from_rr(rr) for rr in record.rr),
        authority=tuple(Record.from_rr(rr) for rr in record.auth),
        additional=tuple(Record.from_rr(rr) for rr in record.ar if rr.rtype != OPT),
        edns=edns,
        size=len(data),
        deviations=tuple(deviations),
    )


# --- summaries for the trace -----------------------------------------------------------


def summarize_query(query: DnsQuery) -> str:
    """``URI? mmsg.operator.example.`` (and ``+edns`` when it has an OPT record)."""
    return f"{query.type_name}? {query.qname}" + (" +edns" if query.edns is not None else "")


def summarize_answer(
    question: tuple[str, int] | None, rcode: int, answers: Sequence[Any], tc: bool = False
) -> str:
    """``A? mmsg.operator.example. -> 127.0.0.81 ttl 0``; ``-> NXDOMAIN``; ``(TC)``.

    ``answers``: dnslib RRs or ``Record`` objects (anything with ``rdata`` and ``ttl``).
    """
    asked = f"{type_name(question[1])}? {question[0]} " if question is not None else ""
    if rcode != NOERROR:
        said = rcode_name(rcode)
    elif answers:
        texts = ", ".join(rdata_text(a.rdata) for a in answers)
        said = f"{texts} ttl {min(a.ttl for a in answers)}"
    else:
        said = "no records"
    return f"{asked}-> {said}" + (" (TC)" if tc else "")


def summarize_response(response: DnsResponse) -> str:
    return summarize_answer(response.question, response.rcode, response.answers, response.tc)


def describe(data: bytes) -> str:
    """One line for any bytes a DNS socket saw; never raises."""
    try:
        flags = read_header(data)[1]
        if flags & 0x8000:
            return summarize_response(parse_response(data, Mode.LENIENT))
        return summarize_query(parse_query(data, Mode.LENIENT))
    except DnsFormatError as err:
        return f"{len(data)} bytes, not DNS ({err})"


__all__ = [
    "DnsResponse",
    "describe",
    "encode_response",
    "parse_response",
    "summarize_answer",
    "summarize_query",
    "summarize_response",
]
