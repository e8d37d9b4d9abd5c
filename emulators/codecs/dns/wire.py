"""DNS wire basics: constants, errors and deviations, names, EDNS, the record walk.

Shared by the query parser and the response parser. Part of the DNS codec
(see ``__init__``: what a server and a stub resolver use).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

# --- constants -------------------------------------------------------------------------

NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = 0, 1, 2, 3, 4, 5
BADVERS = 16  # extended RCODE (RFC 6891): an EDNS version the server does not do
RCODE_NAMES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
RCODE_NAMES[BADVERS] = "BADVERS"

A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, SRV, OPT, ANY, URI = (
    1, 2, 5, 6, 12, 15, 16, 28, 33, 41, 255, 256,
)  # fmt: skip
TYPE_NAMES = {
    A: "A", NS: "NS", CNAME: "CNAME", SOA: "SOA", PTR: "PTR", MX: "MX", TXT: "TXT",
    AAAA: "AAAA", SRV: "SRV", OPT: "OPT", ANY: "ANY", URI: "URI",
}  # fmt: skip
TYPE_CODES = {name: code for code, name in TYPE_NAMES.items()}
#: Types whose RDATA holds domain names, and where: a response walker checks them too.
NAMES_IN_RDATA = {NS: 0, CNAME: 0, PTR: 0, MX: 2, SRV: 6, SOA: 0}
CLASS_IN = 1

HEADER_SIZE = 12
#: The largest query a server takes: a question and an OPT record fit in far less.
MAX_QUERY = 4096
#: The largest message there is (two bytes of length over TCP).
MAX_MESSAGE = 0xFFFF
MAX_NAME = 255
#: Compression pointers followed in one name at most (each must point further back anyway).
MAX_POINTERS = 64
#: UDP answers fit 512 bytes unless the query's EDNS says more (clamped to this).
CLASSIC_UDP = 512
MAX_EDNS_UDP = 4096
#: What our answers advertise as our own EDNS UDP size (RFC 9715's safe value).
OUR_EDNS_UDP = 1232


def type_name(code: int) -> str:
    return TYPE_NAMES.get(code, f"TYPE{code}")


def type_code(name: str | int) -> int:
    """``"URI"`` -> 256; ``"TYPE99"`` and ints pass through; ValueError for an unknown name."""
    if isinstance(name, int):
        return name
    upper = name.upper()
    if upper in TYPE_CODES:
        return TYPE_CODES[upper]
    if upper.startswith("TYPE") and upper[4:].isdigit():
        return int(upper[4:])
    raise ValueError(f"unknown DNS record type {name!r}")


def rcode_name(rcode: int) -> str:
    return RCODE_NAMES.get(rcode, f"RCODE{rcode}")


# --- errors and deviations -------------------------------------------------------------


class DnsFormatError(ValueError):
    """Bytes that are not an acceptable DNS message; ``field`` names where, ``rcode`` is the
    answer a server gives (FORMERR, or NOTIMP for an opcode it does not do)."""

    def __init__(self, field: str, reason: str, rcode: int = FORMERR) -> None:
        self.field = field
        self.reason = reason
        self.rcode = rcode
        super().__init__(f"{field}: {reason}")


class Mode(Enum):
    STRICT = "strict"
    LENIENT = "lenient"


#: What lenient mode accepts and records; strict mode refuses each, naming the field.
DEVIATIONS = {
    "trailing_bytes": "bytes after the last record the counts announce",
    "records_in_query": "a query carrying answer or authority records (ANCOUNT/NSCOUNT not 0)",
    "reserved_z_bit": "the reserved Z flag set",
    "non_opt_additional": "an additional record other than EDNS OPT in a query",
}


@dataclass(frozen=True)
class Deviation:
    code: str  # a key of DEVIATIONS
    field: str
    detail: str


class Deviations:
    """Collects deviations; in strict mode the first one is an error naming its field."""

    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self.found: list[Deviation] = []

    def note(self, code: str, field_name: str, detail: str) -> None:
        if self.mode is Mode.STRICT:
            raise DnsFormatError(field_name, f"{detail} ({DEVIATIONS[code]})")
        self.found.append(Deviation(code, field_name, detail))


# --- names -----------------------------------------------------------------------------


def read_name(data: bytes, offset: int, field_name: str) -> tuple[tuple[bytes, ...], int]:
    """The labels of the name at ``offset`` and the offset after it.

    A compression pointer must point below the start of the stretch of labels
    it ends (and into the message after the header): each jump goes strictly
    further back, so no loop can exist and the walk ends. Extended label
    types (0x40, 0x80) are refused; so is a name over 255 bytes.
    """
    labels: list[bytes] = []
    total = 1  # the root label's length byte
    pos = offset
    floor = offset  # where the current stretch of labels began
    after: int | None = None
    hops = 0
    size = len(data)
    while True:
        if pos >= size:
            raise DnsFormatError(field_name, f"the name runs past the end of the message ({size})")
        length = data[pos]
        if length >= 0xC0:
            if pos + 1 >= size:
                raise DnsFormatError(field_name, "a compression pointer cut short")
            target = ((length & 0x3F) << 8) | data[pos + 1]
            if target >= floor or target < HEADER_SIZE:
                raise DnsFormatError(
                    field_name,
                    f"compression pointer at offset {pos} to {target} does not point back "
                    f"(a loop, or into the header)",
                )
            hops += 1
            if hops > MAX_POINTERS:
                raise DnsFormatError(field_name, f"more than {MAX_POINTERS} compression pointers")
            if after is None:
                after = pos + 2
            pos = floor = target
            continue
        if length & 0xC0:
            raise DnsFormatError(field_name, f"label type 0x{length & 0xC0:02x} is not supported")
        if length == 0:
            return tuple(labels), (after if after is not None else pos + 1)
        end = pos + 1 + length
        if end > size:
            raise DnsFormatError(field_name, "a label runs past the end of the message")
        total += length + 1
        if total > MAX_NAME:
            raise DnsFormatError(field_name, f"the name is longer than {MAX_NAME} bytes")
        labels.append(data[pos + 1 : end])
        pos = end


def _label_text(label: bytes) -> str:
    out = []
    for b in label:
        if b in (0x2E, 0x5C):  # "." and "\" inside a label
            out.append("\\" + chr(b))
        elif 0x21 <= b <= 0x7E:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03d}")
    return "".join(out)


def name_text(labels: Sequence[bytes]) -> str:
    """Presentation form with the trailing dot: ``mmsg.operator.example.`` (root: ``.``)."""
    return "".join(_label_text(label) + "." for label in labels) or "."


def name_key(name: str) -> str:
    """A name as a lookup key: lower case (ASCII only, as DNS compares), one trailing dot."""
    name = name.strip()
    return (name.rstrip(".") + ".").lower() if name not in ("", ".") else "."


def in_zone(name: str, zone: str) -> bool:
    """Whether ``name`` is ``zone`` or below it (both any case, with or without the dot)."""
    name, zone = name_key(name), name_key(zone)
    return zone == "." or name == zone or name.endswith("." + zone)


# --- EDNS and records ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Edns:
    """The OPT pseudo-record of a message (RFC 6891)."""

    udp_size: int
    version: int = 0
    do: bool = False
    ext_rcode: int = 0
    options: tuple[tuple[int, bytes], ...] = ()


HEADER = struct.Struct("!HHHHHH")
RR_FIXED = struct.Struct("!HHIH")


def read_header(data: bytes) -> tuple[int, int, int, int, int, int]:
    if len(data) < HEADER_SIZE:
        raise DnsFormatError("header", f"{len(data)} bytes; a DNS header alone is 12")
    return HEADER.unpack_from(data)


def read_record(
    data: bytes, pos: int, field_name: str
) -> tuple[tuple[bytes, ...], int, int, int, int, int]:
    """One resource record's owner, type, class, TTL, RDATA offset and the offset after it."""
    labels, pos = read_name(data, pos, f"{field_name}.name")
    if pos + 10 > len(data):
        raise DnsFormatError(field_name, "the record's type, class, TTL and length are cut short")
    rtype, rclass, ttl, rdlength = RR_FIXED.unpack_from(data, pos)
    start = pos + 10
    if start + rdlength > len(data):
        raise DnsFormatError(
            f"{field_name}.rdlength", f"{rdlength} bytes announced, {len(data) - start} left"
        )
    return labels, rtype, rclass, ttl, start, start + rdlength


def read_opt(data: bytes, labels: tuple[bytes, ...], rclass: int, ttl: int, start: int, end: int,
              field_name: str) -> Edns:  # fmt: skip
    if labels:
        raise DnsFormatError(f"{field_name}.name", "an OPT record's owner must be the root")
    options = []
    pos = start
    while pos < end:
        if pos + 4 > end:
            raise DnsFormatError(f"{field_name}.options", "an EDNS option header is cut short")
        code, length = struct.unpack_from("!HH", data, pos)
        if pos + 4 + length > end:
            raise DnsFormatError(f"{field_name}.options", f"option {code} runs past the record")
        options.append((code, data[pos + 4 : pos + 4 + length]))
        pos += 4 + length
    return Edns(
        udp_size=rclass,
        version=(ttl >> 16) & 0xFF,
        do=bool(ttl & 0x8000),
        ext_rcode=ttl >> 24,
        options=tuple(options),
    )
