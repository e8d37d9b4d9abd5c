"""The operator's authoritative DNS for the MMS domain (the "DNS" of the source's steps 201-202).

A ``DnsServer`` (UDP and TCP on one port) serving one zone, the MMS domain's
parent (``mms.operator.example`` -> ``operator.example``): SOA and NS at the
apex, the name server's glue, and the MMS domain's A record with a long TTL
(two days in the field). Where the MMS domain points is one hook,
``mms_address``: the MMS router in the reference network; the prior art
(``baselines/direct_to_mmsc.py``) points it straight at MMSC A. Other names
in the zone are NXDOMAIN, the MMS domain's other types NODATA, both with the
SOA for negative caching; names outside the zone are REFUSED by the server.

A resolver asking is the only client it expects; each query for the MMS
domain is an ``mms_query`` event, so a scenario can tell whether the
resolver answered from its cache.
"""

from __future__ import annotations

from collections.abc import Sequence

from dnslib import RR

from mmsconf.emulators.codecs import dns
from mmsconf.emulators.dns_server import DnsAnswer, DnsServer, Peer
from mmsconf.emulators.trace import TraceRecorder

#: Negative answers are cached this long (seconds): short, a test zone changes.
NEGATIVE_TTL = 30


class MmsDomainDns(DnsServer):
    def __init__(
        self,
        trace: TraceRecorder,
        host: str,
        port: int,
        *,
        mms_domain: str,
        router_address: str,
        mmsc_addresses: Sequence[str] = (),
        ttl_s: int = 172_800,
        role: str = "authoritative DNS",
    ) -> None:
        self.mms_domain = dns.name_key(mms_domain)
        labels = self.mms_domain.rstrip(".").split(".")
        if len(labels) < 2:
            raise ValueError(f"the MMS domain {mms_domain!r} needs a parent zone")
        self.zone = ".".join(labels[1:]) + "."
        super().__init__(trace, host, port, role=role, zones=[self.zone])
        self.router_address = router_address
        #: The MMSCs' addresses, for variants that point the domain at one of them.
        self.mmsc_addresses = tuple(mmsc_addresses)
        self.ttl_s = ttl_s
        self.ns_name = "ns." + self.zone
        self.mms_queries = 0

    # --- the one hook ----------------------------------------------------------------------
    def mms_address(self) -> str:
        """Where the MMS domain resolves: the MMS router."""
        return self.router_address

    # --- answers ---------------------------------------------------------------------------
    def _soa(self) -> RR:
        return dns.soa_record(
            self.zone,
            mname=self.ns_name,
            rname="hostmaster." + self.zone,
            minimum=NEGATIVE_TTL,
            ttl=NEGATIVE_TTL,
        )

    async def answer(self, query: dns.DnsQuery, peer: Peer | None, transport: str) -> DnsAnswer:
        name, qtype = query.key, query.qtype
        if name == self.mms_domain:
            self.mms_queries += 1
            self.events.emit("mms_query", peer=peer, qtype=qtype, transport=transport)
            if qtype in (dns.A, dns.ANY):
                address = self.mms_address()
                return DnsAnswer(answers=[dns.a_record(name, address, ttl=self.ttl_s)])
            return DnsAnswer(authority=[self._soa()])
        if name == self.zone:
            if qtype == dns.SOA:
                return DnsAnswer(answers=[self._soa()])
            if qtype == dns.NS:
                glue = dns.a_record(self.ns_name, self.host, ttl=self.ttl_s)
                record = dns.ns_record(self.zone, self.ns_name, ttl=self.ttl_s)
                return DnsAnswer(answers=[record], additional=[glue])
            return DnsAnswer(authority=[self._soa()])
        if name == self.ns_name and qtype == dns.A:
            return DnsAnswer(answers=[dns.a_record(name, self.host, ttl=self.ttl_s)])
        if name == self.ns_name:
            return DnsAnswer(authority=[self._soa()])
        return DnsAnswer(rcode=dns.NXDOMAIN, authority=[self._soa()])

    def zone_file(self, server_address: str | None = None) -> str:
        """The same zone as a master file, for a real authoritative server (BIND 9) that
        listens at ``server_address`` (None: where this one does)."""
        return zone_file(
            self.mms_domain, self.mms_address(), self.ttl_s, server_address or self.host
        )


def zone_file(mms_domain: str, address: str, ttl_s: int, server_address: str) -> str:
    """The MMS domain's zone as a master file: what ``MmsDomainDns`` answers."""
    name = dns.name_key(mms_domain)
    zone = name.split(".", 1)[1]
    ns = "ns." + zone
    return (
        f"$TTL {ttl_s}\n"
        f"{zone} IN SOA {ns} hostmaster.{zone} 1 3600 600 86400 {NEGATIVE_TTL}\n"
        f"{zone} IN NS {ns}\n"
        f"{ns} IN A {server_address}\n"
        f"{name} IN A {address}\n"
    )
