"""Prior art for gateway selection: gateways preset on the SP, and a DNS with no selection module.

US 2012/0198054 [0003]-[0006]: each VAS server sends through the gateways
it was configured with. So the SP here never asks the DNS for a gateway: it
takes its preset list in turn (``where_to`` overridden). A gateway that
fails keeps getting its share until someone edits the SP; a gateway the
operator adds gets nothing. The DNS still exists (the gateways ask it for
the MMSC) but has no selection module: it sends no heartbeats, and answers
the gateway name, if anyone asks, with every configured gateway as it was
configured.
"""

from __future__ import annotations

from mmsconf.emulators.codecs import dns
from mmsconf.emulators.dns_selector import DnsSelector
from mmsconf.emulators.dns_server import DnsAnswer
from mmsconf.emulators.gs_sp import Destination, SelectingSP


class PresetSP(SelectingSP):
    """The SP with its gateways preset (``targets``), taken in turn; no DNS query."""

    async def where_to(self) -> Destination:
        if not self.targets:
            return Destination(None, error="no MMS gateway is configured on the SP")
        self._turn = (getattr(self, "_turn", -1) + 1) % len(self.targets)
        return Destination(self.targets[self._turn], query_mark=self.trace.mark())


class PlainDns(DnsSelector):
    """A DNS server without the selection module: static answers, no heartbeats."""

    async def _heartbeats(self) -> None:
        return  # nothing probes the gateways

    def _probe_soon(self, name: str) -> None:
        return

    def answer_gateway(self, query: dns.DnsQuery) -> DnsAnswer:
        gateways = sorted(self.table.gateways.values(), key=lambda g: g.name)
        if not gateways:
            return DnsAnswer(rcode=dns.NXDOMAIN, authority=[self.soa])
        answers = []
        for gateway in gateways:
            records, _additional = self.records_for(gateway, query.qtype)
            answers.extend(records)
        return DnsAnswer(answers=answers)
