"""The DNS selector: a DNS server whose answer for the gateway name is the gateway chosen now.

Reference behaviour of the gateway-selection apparatus (US 2012/0198054,
claims 1-14, integrated in a DNS server as claims 9 and 14 have it):

- every ``heartbeat_period_ms`` it sends ``GET <status_url>`` to every known
  gateway (at most one heartbeat per gateway at a time) and keeps what the
  answer says (codecs/gateway_status.py); a gateway that misses
  ``missed_heartbeats`` in a row, answers with a fault or reports itself
  overloaded is out, one that answers again is back in;
- a query for the gateway name gets the best candidate (emulators/selection.py):
  ``URI`` -> its MM7 URL (RFC 7553) with its A record as additional data,
  ``TXT`` -> ``"mm7=<url>"``, ``A`` -> its address with the URI as additional
  data; TTL ``ttl`` (0 by default, so no resolver keeps an old choice);
  SERVFAIL when no gateway is a candidate;
- other names of its zone come from static records (the MMSC names the
  gateways ask for, the zone's SOA and NS); NXDOMAIN (with the SOA) for the
  rest; REFUSED outside the zone (DnsServer).

Gateways join by configuration (``add_gateway``) or by registration over
HTTP on ``http_port``: ``POST /gateways`` (codecs/gateway_status.py), and
are probed at once. ``DELETE /gateways/<name>`` forgets one; ``GET
/gateways`` lists them with their state; ``PUT /selection`` changes the
criteria and tolerances. A gateway's encoded answer is cached until its
status changes, so a query costs a parse, a heap peek and a copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dnslib import RR

from mmsconf.emulators.codecs import dns
from mmsconf.emulators.codecs import gateway_status as gs
from mmsconf.emulators.dns_server import DnsAnswer, DnsServer, Peer
from mmsconf.emulators.mm7_dns import txt_value
from mmsconf.emulators.selection import Gateway, GatewayTable, State, settings_of
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.http_client import HttpClient, HttpResult
from mmsconf.emulators.transports.http_server import HttpAnswer, HttpRequest, HttpServer

JSON_HEADERS = (("Content-Type", gs.CONTENT_TYPE),)


@dataclass
class SelectorConfig:
    zone: str = "operator.example"
    gateway_name: str = "mmsg.operator.example"
    ttl: int = 0
    heartbeat_period_ms: int = 200
    heartbeat_timeout_ms: int = 150
    missed_heartbeats: int = 2
    #: How long an answer counts as traffic on its way to a gateway (0: four periods).
    inflight_ms: int = 0
    criteria: tuple[str, ...] = ("residual_traffic", "delay", "residual_throughput")
    tolerances: dict[str, float] = field(default_factory=dict)
    #: Other names of the zone: (name, type, value) — A: an address, URI: a URL, TXT: text.
    records: Sequence[tuple[str, str, str]] = ()
    status_mode: gs.Mode = gs.Mode.STRICT

    @property
    def inflight(self) -> int:
        return self.inflight_ms or 4 * self.heartbeat_period_ms


def static_record(name: str, rtype: str, value: str, ttl: int) -> RR:
    """A zone record from its presentation value (what a profile writes)."""
    kind = rtype.upper()
    if kind == "A":
        return dns.a_record(name, value, ttl)
    if kind == "AAAA":
        return dns.aaaa_record(name, value, ttl)
    if kind == "URI":
        return dns.uri_record(name, value, ttl=ttl)
    if kind == "TXT":
        chunks = [value[i : i + 255] for i in range(0, len(value), 255)] or [""]
        return dns.txt_record(name, *chunks, ttl=ttl)
    if kind == "MX":
        preference, _, exchange = value.partition(" ")
        return dns.mx_record(name, exchange, int(preference), ttl)
    if kind == "NS":
        return dns.ns_record(name, value, ttl)
    raise ValueError(f"record type {rtype!r} is not one a selector's zone holds")


@dataclass(frozen=True)
class StateChange:
    """A gateway went in or out, and the trace position when it did (for ordering)."""

    name: str
    old: str
    new: str
    why: str
    trace_mark: int


class DnsSelector(DnsServer):
    #: The ranking (a variant may bring its own).
    table_class: type[GatewayTable] = GatewayTable

    def __init__(
        self,
        trace: TraceRecorder,
        host: str,
        port: int = 0,
        *,
        config: SelectorConfig | None = None,
        http_port: int = 0,
        role: str = "DNS-selector",
    ) -> None:
        self.config = config or SelectorConfig()
        super().__init__(trace, host, port, role=role, zones=[self.config.zone])
        cfg = self.config
        self.table = self.table_class(
            settings_of(cfg.criteria, cfg.tolerances),
            missed_limit=cfg.missed_heartbeats,
            inflight_ms=cfg.inflight,
        )
        self.table.on_change = self._on_change
        self.changes: list[StateChange] = []
        self.gateway_key = dns.name_key(cfg.gateway_name)
        self.apex = dns.name_key(cfg.zone)
        self._static = self._index(cfg.records)
        self.http = self.add_listener(HttpServer(self, trace, port=http_port))
        self.http.mount("/gateways", self._on_gateways, methods=("GET", "POST"))
        self.http.mount("/gateways/", self._on_gateway, methods=("DELETE", "GET"))
        self.http.mount("/selection", self._on_selection, methods=("GET", "PUT"))
        self.prober = self.add_client(
            HttpClient(self, trace, timeout_ms=cfg.heartbeat_timeout_ms, limit=0)
        )
        self._probing: set[str] = set()
        self._stopping: asyncio.Event | None = None

    # --- the zone ---------------------------------------------------------------------
    def _index(self, records: Iterable[tuple[str, str, str]]) -> dict[str, dict[int, list[RR]]]:
        ttl = self.config.ttl
        zone: dict[str, dict[int, list[RR]]] = {}
        ns_name = f"ns.{self.apex}"
        soa = dns.soa_record(self.apex, mname=ns_name, rname=f"hostmaster.{self.apex}", ttl=ttl)
        self.soa = soa
        zone.setdefault(self.apex, {})[dns.SOA] = [soa]
        zone[self.apex][dns.NS] = [dns.ns_record(self.apex, ns_name, ttl)]
        zone.setdefault(ns_name, {})[dns.A] = [dns.a_record(ns_name, self.host, ttl)]
        for name, rtype, value in records:
            rr = static_record(name, rtype, value, ttl)
            zone.setdefault(dns.name_key(name), {}).setdefault(rr.rtype, []).append(rr)
        return zone

    # --- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        await super().start()
        self._stopping = asyncio.Event()
        self.spawn(self._heartbeats())

    async def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        await super().stop()

    # --- gateways -----------------------------------------------------------------------
    def add_gateway(self, name: str, address: str, mm7_url: str, status_url: str) -> Gateway:
        """Configure a gateway (or update one); it is probed at once when running."""
        gateway = self.table.add(name, address, mm7_url, status_url)
        if self.running:
            self._probe_soon(name)
        return gateway

    def remove_gateway(self, name: str) -> bool:
        return self.table.remove(name)

    def _on_change(self, gateway: Gateway, old: State, new: State) -> None:
        change = StateChange(gateway.name, old.value, new.value, gateway.why, self.trace.mark())
        self.changes.append(change)
        self.events.emit("gateway_state", name=gateway.name, state=new.value, why=gateway.why)

    # --- heartbeats ---------------------------------------------------------------------
    async def _heartbeats(self) -> None:
        period = self.config.heartbeat_period_ms / 1000
        assert self._stopping is not None
        while not self._stopping.is_set():
            for name in list(self.table.gateways):
                self._probe_soon(name)
            self.table.compact()
            # The period is the timer: wait on the stop event with it as the timeout.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), period)

    def _probe_soon(self, name: str) -> None:
        if name not in self._probing:
            self._probing.add(name)
            self.spawn(self._probe(name))

    async def _probe(self, name: str) -> None:
        try:
            gateway = self.table.gateways.get(name)
            if gateway is None:
                return
            result = await self.prober.get(
                gateway.status_url,
                protocol="STATUS",
                summary=f"GET status of {name} (heartbeat)",
                describe=_describe_status,
            )
            self.judge_heartbeat(name, result)
        finally:
            self._probing.discard(name)

    def judge_heartbeat(self, name: str, result: HttpResult) -> None:
        """What one heartbeat's outcome means for the gateway (a hook a variant may change)."""
        if result.status is None:
            self.table.missed(name, result.error or "no answer")
            return
        if result.status != 200:
            self.table.faulted(name, f"heartbeat answered HTTP {result.status}")
            return
        try:
            status = gs.parse_status(result.body, result.content_type, self.config.status_mode)
        except gs.StatusError as err:
            self.table.faulted(name, f"status document: {err}")
            return
        self.table.heard(name, status)

    # --- answering ------------------------------------------------------------------------
    async def answer(self, query: dns.DnsQuery, peer: Peer | None, transport: str) -> DnsAnswer:
        key = query.key
        if key == self.gateway_key:
            return self.answer_gateway(query)
        names = self._static.get(key)
        if names is None:
            return DnsAnswer(rcode=dns.NXDOMAIN, authority=[self.soa])
        if query.qtype == dns.ANY:
            return DnsAnswer(answers=[rr for rrs in names.values() for rr in rrs])
        found = names.get(query.qtype)
        if not found:
            return DnsAnswer(authority=[self.soa])  # the name exists, not this type: NODATA
        return DnsAnswer(answers=found)

    def answer_gateway(self, query: dns.DnsQuery) -> DnsAnswer:
        if query.qtype not in (dns.A, dns.URI, dns.TXT, dns.ANY):
            return DnsAnswer(authority=[self.soa])
        gateway = self.choose()
        if gateway is None:
            known = len(self.table.gateways)
            return DnsAnswer(
                rcode=dns.SERVFAIL,
                summary=f"SERVFAIL: no gateway is healthy ({known} known)",
            )
        cache_key = (query.question, query.rd, query.cd, query.edns is not None)
        cached = gateway.cache.get(cache_key)
        if cached is None:
            answers, additional = self.records_for(gateway, query.qtype)
            wire = dns.encode_response(query, answers=answers, additional=additional, max_udp=None)
            said = dns.summarize_answer((query.qname, query.qtype), dns.NOERROR, answers)
            cached = gateway.cache[cache_key] = (wire[2:], answers, additional, said)
        tail, answers, additional, said = cached
        wire = query.id.to_bytes(2, "big") + tail
        return DnsAnswer(answers=answers, additional=additional, wire=wire, summary=said)

    def choose(self) -> Gateway | None:
        """The gateway this answer names (counted as traffic on its way): the selection hook."""
        return self.table.choose()

    def records_for(self, gateway: Gateway, qtype: int) -> tuple[list[RR], list[RR]]:
        """The answer and additional records naming ``gateway``."""
        name, ttl = self.gateway_key, self.config.ttl
        a = dns.a_record(name, gateway.address, ttl)
        uri = dns.uri_record(name, gateway.mm7_url, ttl=ttl)
        txt = dns.txt_record(name, txt_value(gateway.mm7_url), ttl=ttl)
        if qtype == dns.A:
            return [a], [uri]
        if qtype == dns.URI:
            return [uri], [a]
        if qtype == dns.TXT:
            return [txt], [a]
        return [a, uri, txt], []

    # --- the HTTP API: registration and selection settings ------------------------------
    async def _on_gateways(self, request: HttpRequest) -> HttpAnswer:
        if request.method == "GET":
            return _json(200, [self._describe(g) for g in self.table.gateways.values()])
        try:
            reg = gs.parse_registration(request.body, request.headers.get("Content-Type"))
        except gs.StatusError as err:
            return _json(400, {"error": str(err)}, f"registration refused: {err}")
        known = reg.name in self.table.gateways
        self.add_gateway(reg.name, reg.address, reg.mm7_url, reg.status_url)
        self.events.emit("registered", name=reg.name)
        return _json(200 if known else 201, self._describe(self.table.gateways[reg.name]),
                     f"registered {reg.name}", f"POST /gateways ({reg.name})")  # fmt: skip

    async def _on_gateway(self, request: HttpRequest) -> HttpAnswer:
        name = request.path.removeprefix("/gateways/")
        gateway = self.table.gateways.get(name)
        if gateway is None:
            return _json(404, {"error": f"no gateway {name!r}"})
        if request.method == "GET":
            return _json(200, self._describe(gateway))
        self.remove_gateway(name)
        return HttpAnswer(204, request_summary=f"DELETE gateway {name}")

    async def _on_selection(self, request: HttpRequest) -> HttpAnswer:
        if request.method == "PUT":
            try:
                settings = gs.parse_settings(request.body, request.headers.get("Content-Type"))
            except gs.StatusError as err:
                return _json(400, {"error": str(err)}, f"settings refused: {err}")
            self.table.configure(settings)
        settings = self.table.settings
        return _json(200, json.loads(gs.encode_settings(settings)))

    def _describe(self, g: Gateway) -> dict:
        status = json.loads(gs.encode_status(g.status)) if g.status is not None else None
        return {
            "name": g.name,
            "address": g.address,
            "mm7_url": g.mm7_url,
            "status_url": g.status_url,
            "state": g.state.value,
            "why": g.why,
            "status": status,
            "answered": g.answered,
        }


def _json(status: int, obj: object, summary: str = "", request_summary: str = "") -> HttpAnswer:
    return HttpAnswer(
        status,
        JSON_HEADERS,
        json.dumps(obj).encode(),
        request_summary=request_summary,
        summary=summary,
    )


def _describe_status(result: HttpResult) -> str:
    if result.status != 200:
        return f"HTTP {result.status}"
    try:
        return gs.parse_status(result.body, result.content_type, gs.Mode.LENIENT).summary()
    except gs.StatusError as err:
        return f"HTTP 200, not a status document ({err})"
