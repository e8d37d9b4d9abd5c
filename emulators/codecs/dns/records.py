"""Resource records: builders on dnslib's records, the URI type dnslib lacks, and a plain view.

``a_record``, ``uri_record``, ... make the dnslib ``RR`` objects an answer is
encoded from. ``Record`` is how a stub resolver hands records back: owner,
type, TTL and the typed RDATA, with the few accessors callers need
(``address``, ``target``, ``texts``, ``preference``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dnslib import AAAA as AAAA_RD
from dnslib import MX as MX_RD
from dnslib import NS as NS_RD
from dnslib import RD, RR, Buffer, DNSError
from dnslib import SOA as SOA_RD
from dnslib import TXT as TXT_RD
from dnslib import A as A_RD

from mmsconf.emulators.codecs.dns.wire import (
    AAAA,
    MX,
    NS,
    SOA,
    TXT,
    URI,
    A,
    DnsFormatError,
    name_key,
    type_name,
)


class UriData(RD):
    """RFC 7553 RDATA: priority, weight, and the target URI (the rest of the RDATA, no length
    byte). dnslib has no class for type 256; this is it, kept out of dnslib's own map."""

    def __init__(self, priority: int, weight: int, target: str) -> None:
        if not 0 <= priority <= 0xFFFF or not 0 <= weight <= 0xFFFF:
            raise ValueError("URI priority and weight are 16-bit numbers")
        if not target:
            raise ValueError("a URI record's target cannot be empty (RFC 7553 §4.5)")
        self.priority = priority
        self.weight = weight
        self.target = target

    @classmethod
    def parse(cls, buffer: Buffer, length: int) -> UriData:
        if length < 5:
            raise DNSError(f"URI RDATA of {length} bytes: priority, weight and a target need 5")
        priority, weight = buffer.unpack("!HH")
        raw = bytes(buffer.get(length - 4))
        try:
            target = raw.decode("ascii")
        except UnicodeDecodeError:
            raise DNSError("URI target is not ASCII") from None
        return cls(priority, weight, target)

    @classmethod
    def from_bytes(cls, data: bytes) -> UriData:
        return cls.parse(Buffer(data), len(data))

    def pack(self, buffer: Buffer) -> None:
        buffer.pack("!HH", self.priority, self.weight)
        buffer.append(self.target.encode("ascii"))

    def __repr__(self) -> str:
        return f'{self.priority} {self.weight} "{self.target}"'

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UriData) and (self.priority, self.weight, self.target) == (
            other.priority,
            other.weight,
            other.target,
        )

    __hash__ = None  # type: ignore[assignment]


# --- builders --------------------------------------------------------------------------


def _rr(name: str, rtype: int, rdata: RD, ttl: int) -> RR:
    if not 0 <= ttl <= 0x7FFFFFFF:
        raise ValueError(f"TTL {ttl} is outside 0..2^31-1 (RFC 2181 §8)")
    return RR(name_key(name), rtype, rdata=rdata, ttl=ttl)


def a_record(name: str, address: str, ttl: int = 0) -> RR:
    return _rr(name, A, A_RD(address), ttl)


def aaaa_record(name: str, address: str, ttl: int = 0) -> RR:
    return _rr(name, AAAA, AAAA_RD(address), ttl)


def mx_record(name: str, exchange: str, preference: int = 10, ttl: int = 0) -> RR:
    return _rr(name, MX, MX_RD(name_key(exchange), preference), ttl)


def uri_record(name: str, target: str, priority: int = 10, weight: int = 1, ttl: int = 0) -> RR:
    return _rr(name, URI, UriData(priority, weight, target), ttl)


def txt_record(name: str, *texts: str, ttl: int = 0) -> RR:
    """One TXT record of ``texts`` (each at most 255 bytes, as a character-string holds)."""
    encoded = [t.encode("utf-8") for t in texts]
    if not encoded or any(len(t) > 255 for t in encoded):
        raise ValueError("a TXT record holds one or more strings of at most 255 bytes each")
    return _rr(name, TXT, TXT_RD(encoded), ttl)


def ns_record(name: str, server: str, ttl: int = 0) -> RR:
    return _rr(name, NS, NS_RD(name_key(server)), ttl)


def soa_record(
    zone: str,
    *,
    mname: str,
    rname: str,
    serial: int = 1,
    refresh: int = 3600,
    retry: int = 600,
    expire: int = 86400,
    minimum: int = 0,
    ttl: int = 0,
) -> RR:
    """The zone's SOA; ``minimum`` is the negative-caching TTL (RFC 2308), 0 by default."""
    times = (serial, refresh, retry, expire, minimum)
    return _rr(zone, SOA, SOA_RD(name_key(mname), name_key(rname), times), ttl)


# --- the plain view --------------------------------------------------------------------


def rdata_text(rdata: Any) -> str:
    """RDATA in presentation form (dnslib's, and ``10 1 "http://..."`` for URI)."""
    return repr(rdata) if isinstance(rdata, UriData) else str(rdata)


@dataclass(frozen=True)
class Record:
    """One resource record as a resolver returns it."""

    name: str
    rtype: int
    ttl: int
    rdata: Any  # dnslib's RDATA object (UriData for URI)

    @classmethod
    def from_rr(cls, rr: RR) -> Record:
        rdata = rr.rdata
        if rr.rtype == URI and not isinstance(rdata, UriData):
            try:
                rdata = UriData.from_bytes(bytes(rdata.data))
            except (DNSError, ValueError) as err:
                raise DnsFormatError("rdata", f"URI record: {err}") from None
        return cls(str(rr.rname), rr.rtype, rr.ttl, rdata)

    @property
    def type_name(self) -> str:
        return type_name(self.rtype)

    @property
    def text(self) -> str:
        """The RDATA in presentation form: ``127.0.0.1``, ``10 1 "http://..."``, ``"a" "b"``."""
        return rdata_text(self.rdata)

    @property
    def address(self) -> str | None:
        return str(self.rdata) if self.rtype in (A, AAAA) else None

    @property
    def target(self) -> str | None:
        """A URI's target, an MX's exchange, an NS's server."""
        if isinstance(self.rdata, UriData):
            return self.rdata.target
        if self.rtype == MX:
            return str(self.rdata.label)
        if self.rtype == NS:
            return str(self.rdata.label)
        return None

    @property
    def preference(self) -> int | None:
        """An MX's preference, a URI's priority."""
        if self.rtype == MX:
            return int(self.rdata.preference)
        if isinstance(self.rdata, UriData):
            return self.rdata.priority
        return None

    @property
    def texts(self) -> tuple[str, ...]:
        """A TXT record's strings (UTF-8, undecodable bytes replaced)."""
        if self.rtype != TXT:
            return ()
        return tuple(bytes(t).decode("utf-8", "replace") for t in self.rdata.data)

    def __str__(self) -> str:
        return f"{self.name} {self.ttl} {self.type_name} {self.text}"
