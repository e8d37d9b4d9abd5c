"""Deliberately broken selectors, SP and gateway the gateway-selection suite must catch, one per
clause.

A pytest plugin (``-p gs_mutants``, this folder on PYTHONPATH) that registers
each by name when pytest configures, before the profile is read, so a profile
can embed it (``[gateway_selection] selector = "..."``). Importing the module
registers nothing: the registry is process-wide. Each is the reference with
ONE hook overridden: whatever the suite catches, it catches that one fault.
``MUTANTS`` says which clause each breaks; test_gs_mutants_caught.py runs the
scenarios tagged with that clause against each and requires a failure naming it.
"""

from __future__ import annotations

import pytest

from mmsconf.emulators.codecs import dns
from mmsconf.emulators.codecs.gateway_status import Criterion
from mmsconf.emulators.dns_selector import DnsSelector
from mmsconf.emulators.gs_gateway import SelectableGateway
from mmsconf.emulators.gs_sp import Destination, SelectingSP
from mmsconf.emulators.selection import Gateway, GatewayTable, State
from mmsconf.emulators.transports.http_client import HttpResult
from mmsconf.fixtures.areas.gateway_selection.implementations import register_selector


class ReusesItsFirstAnswer(SelectingSP):
    """gs_query: the SP asks once, then keeps sending where the first answer said."""

    async def where_to(self) -> Destination:
        if not hasattr(self, "_kept"):
            self._kept = await super().where_to()
        return self._kept


class NamesTheStatusUrl(DnsSelector):
    """gs_identifier: the answer carries the gateway's status URL, not its MM7 URL."""

    def records_for(self, gateway: Gateway, qtype: int):
        answers, additional = super().records_for(gateway, qtype)
        wrong = dns.uri_record(self.gateway_key, gateway.status_url, ttl=self.config.ttl)
        return [wrong if rr.rtype == dns.URI else rr for rr in answers], additional


class StopsProbingOutGateways(DnsSelector):
    """gs_heartbeat: once a gateway is out it is never asked again."""

    def _probe_soon(self, name: str) -> None:
        gateway = self.table.gateways.get(name)
        if gateway is None or gateway.state is not State.OUT:
            super()._probe_soon(name)


class LongestDelay(DnsSelector):
    """gs_delay: delay ranked the wrong way round (the longest first)."""

    class table_class(GatewayTable):
        def key(self, gateway: Gateway) -> tuple:
            return (-gateway.value(Criterion.DELAY), *super().key(gateway)[1:])


class LowestTraffic(DnsSelector):
    """gs_residual_traffic: the lowest current traffic, not the largest max - current."""

    class table_class(GatewayTable):
        def key(self, gateway: Gateway) -> tuple:
            key = list(super().key(gateway))
            for i, criterion in enumerate(self.settings.criteria):
                if criterion is Criterion.RESIDUAL_TRAFFIC:
                    key[i] = gateway.traffic
            return tuple(key)


class LowestThroughput(DnsSelector):
    """gs_residual_throughput: the lowest current throughput, not max - current."""

    class table_class(GatewayTable):
        def key(self, gateway: Gateway) -> tuple:
            key = list(super().key(gateway))
            for i, criterion in enumerate(self.settings.criteria):
                if criterion is Criterion.RESIDUAL_THROUGHPUT and gateway.status is not None:
                    key[i] = gateway.status.throughput
            return tuple(key)


class FirstCriterionOnly(DnsSelector):
    """gs_tiebreak: ties on the first criterion go to the name, the others ignored."""

    class table_class(GatewayTable):
        def key(self, gateway: Gateway) -> tuple:
            full = super().key(gateway)
            return (full[0], full[-1])


class AnswersEveryName(DnsSelector):
    """gs_in_dns: names outside its zone are answered (NXDOMAIN) instead of REFUSED."""

    def serves(self, query: dns.DnsQuery) -> bool:
        return True


class IgnoresRegistrations(DnsSelector):
    """gs_learn: a gateway added while it runs is never used (only a restart would)."""

    def add_gateway(self, name: str, address: str, mm7_url: str, status_url: str) -> Gateway:
        if self.running:
            return Gateway(name, address, mm7_url, status_url)
        return super().add_gateway(name, address, mm7_url, status_url)


class IgnoresMissedHeartbeats(DnsSelector):
    """gs_failover: a heartbeat without an answer changes nothing."""

    def judge_heartbeat(self, name: str, result: HttpResult) -> None:
        if result.status is not None:
            super().judge_heartbeat(name, result)


class KeepsTheMmsc(SelectableGateway):
    """gs_mmsc_lookup: the gateway asks for the MMSC once and keeps the answer (TTL 0)."""

    async def find_mmsc(self, name: str, msgid1: str) -> tuple[str | None, str]:
        if not hasattr(self, "_mmsc"):
            self._mmsc = await super().find_mmsc(name, msgid1)
        return self._mmsc


#: name -> (what to register, the clause it breaks)
MUTANTS: dict[str, tuple[dict, str]] = {
    "mutant-sp-reuses-answer": ({"sp_class": ReusesItsFirstAnswer}, "gs_query"),
    "mutant-names-status-url": ({"selector_class": NamesTheStatusUrl}, "gs_identifier"),
    "mutant-stops-probing-out": ({"selector_class": StopsProbingOutGateways}, "gs_heartbeat"),
    "mutant-longest-delay": ({"selector_class": LongestDelay}, "gs_delay"),
    "mutant-lowest-traffic": ({"selector_class": LowestTraffic}, "gs_residual_traffic"),
    "mutant-lowest-throughput": ({"selector_class": LowestThroughput}, "gs_residual_throughput"),
    "mutant-first-criterion-only": ({"selector_class": FirstCriterionOnly}, "gs_tiebreak"),
    "mutant-answers-every-name": ({"selector_class": AnswersEveryName}, "gs_in_dns"),
    "mutant-ignores-registrations": ({"selector_class": IgnoresRegistrations}, "gs_learn"),
    "mutant-ignores-missed": ({"selector_class": IgnoresMissedHeartbeats}, "gs_failover"),
    "mutant-keeps-the-mmsc": ({"gateway_class": KeepsTheMmsc}, "gs_mmsc_lookup"),
}


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for name, (classes, clause) in MUTANTS.items():
        register_selector(name, f"test-only: breaks {clause}", **classes)
