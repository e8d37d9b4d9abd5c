"""The DNS an MM4 relay asks for MX records: each MMS domain -> its MMSC's MM4 host.

Built on the shared DNS base (``DnsServer``): for every domain it serves,
``MX 10 mx.<domain>`` with ``mx.<domain> A <host>`` in the additional section
(and on its own for an A query). A domain it does not know is NXDOMAIN
inside its zones and REFUSED outside them (the server's rules). Knobs:
``faults.status`` (every answer SERVFAIL when set), ``faults.drop`` (no answer
at all), ``go_down``/``come_up``, and ``point`` (move a domain to another host
while running). Every query and answer is recorded once, by the server.
"""

from __future__ import annotations

from mmsconf.emulators.codecs import dns
from mmsconf.emulators.dns_server import DnsAnswer, DnsServer, Peer
from mmsconf.emulators.trace import TraceRecorder


def exchange_of(domain: str) -> str:
    """The MX host name of an MMS domain: ``mx.mms.mnc002.mcc001.gprs``."""
    return f"mx.{dns.name_key(domain)}"


class MxDns(DnsServer):
    """``DNS-MX``: MX and A records for ``domains`` (domain -> host address)."""

    def __init__(
        self,
        trace: TraceRecorder,
        host: str,
        port: int,
        domains: dict[str, str],
        *,
        ttl: int = 60,
        role: str = "DNS-MX",
    ) -> None:
        self.table = {dns.name_key(d): h for d, h in domains.items()}
        super().__init__(trace, host, port, role=role, zones=list(self.table))
        self.ttl = ttl
        self.asked: list[tuple[str, str]] = []  # (qtype, name) in order, for steps

    def point(self, domain: str, host: str) -> None:
        """``domain``'s MX now names ``host`` (a zone change while running)."""
        self.table[dns.name_key(domain)] = host

    async def answer(self, query: dns.DnsQuery, peer: Peer | None, transport: str) -> DnsAnswer:
        self.asked.append((query.type_name, query.key))
        if self.faults.drop:
            return DnsAnswer(drop=True)
        if self.faults.status is not None:
            return DnsAnswer(rcode=dns.SERVFAIL, summary="SERVFAIL (fault knob)")
        key = query.key
        if key in self.table:
            if query.qtype not in (dns.MX, dns.ANY):
                return DnsAnswer()  # the name exists, no record of that type
            exchange = exchange_of(key)
            return DnsAnswer(
                answers=[dns.mx_record(key, exchange, 10, self.ttl)],
                additional=[dns.a_record(exchange, self.table[key], self.ttl)],
            )
        domain = key[3:] if key.startswith("mx.") else None
        if domain in self.table and query.qtype in (dns.A, dns.ANY):
            return DnsAnswer(answers=[dns.a_record(key, self.table[domain], self.ttl)])
        if domain in self.table:
            return DnsAnswer()
        return DnsAnswer(rcode=dns.NXDOMAIN)
