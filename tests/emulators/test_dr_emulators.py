"""The disaster-recovery emulators over real sockets: the MMS domain's authority, the WAP
gateway's own TTL cache, the router's health detection, relays and answers, the shared
store's exactly-once."""

from __future__ import annotations

import asyncio
import json
import time

from mmsconf.emulators.baselines.direct_to_mmsc import DirectToMmscDns
from mmsconf.emulators.codecs import dns, mm1
from mmsconf.emulators.dns_resolver import StubResolver
from mmsconf.emulators.mm1_handset import Mm1Handsets, Order, build_send_req
from mmsconf.emulators.mm1_http import Verdict
from mmsconf.emulators.mm1_mmsc import MessageStore, Mm1Mmsc
from mmsconf.emulators.mms_dns import MmsDomainDns, zone_file
from mmsconf.emulators.mms_router import MmsRouter, RouterConfig
from mmsconf.emulators.ports import listen_port
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.http_client import HttpClient
from mmsconf.emulators.wap_gateway import GatewayConfig, WapGateway

DOMAIN = "mms.operator.example"
AUTH, ROUTER, A, B, GATEWAY, HANDSET = (
    "127.0.43.54", "127.0.43.10", "127.0.43.21", "127.0.43.22", "127.0.43.2", "127.0.43.1",
)  # fmt: skip
WAIT_MS = 5000


def test_the_authority_answers_the_mms_domain_and_its_zone() -> None:
    async def main() -> dict[str, object]:
        trace = TraceRecorder()
        auth = MmsDomainDns(trace, AUTH, 0, mms_domain=DOMAIN, router_address=ROUTER, ttl_s=172800)
        await auth.start()
        asker = Service("asker", "127.0.43.3")
        stub = asker.add_client(StubResolver(asker, trace, auth.address, timeout_ms=1000))
        try:
            got = {
                "a": await stub.query(DOMAIN, dns.A),
                "aaaa": await stub.query(DOMAIN, dns.AAAA),
                "nx": await stub.query("nope.operator.example", dns.A),
                "out": await stub.query("mms.elsewhere.example", dns.A),
                "soa": await stub.query("operator.example", dns.SOA),
                "ns": await stub.query("operator.example", dns.NS),
                "queries": auth.mms_queries,
            }
        finally:
            await asker.stop()
            await auth.stop()
        return got

    got = asyncio.run(main())
    a = got["a"]
    assert a.ok and [(r.address, r.ttl) for r in a.records] == [(ROUTER, 172800)]
    assert got["aaaa"].ok and got["aaaa"].records == ()  # NODATA, with the SOA
    assert got["aaaa"].response.authority[0].rtype == dns.SOA
    assert got["nx"].rcode == dns.NXDOMAIN
    assert got["out"].rcode == dns.REFUSED
    assert got["soa"].first(dns.SOA) is not None
    assert got["ns"].first(dns.NS).target == "ns.operator.example."
    assert got["ns"].response.additional[0].address == AUTH  # the glue
    assert got["queries"] == 2


def test_the_prior_art_points_the_domain_at_mmsc_a_and_the_zone_file_says_the_same() -> None:
    trace = TraceRecorder()
    base = DirectToMmscDns(
        trace, AUTH, 0, mms_domain=DOMAIN, router_address=ROUTER, mmsc_addresses=[A, B]
    )
    assert base.mms_address() == A
    text = zone_file(DOMAIN, base.mms_address(), 172800, "127.0.0.1")
    assert f"{DOMAIN}. IN A {A}" in text and "$TTL 172800" in text
    assert "operator.example. IN NS ns.operator.example." in text


class _Net:
    def __init__(self, trace: TraceRecorder, **router_kw: int) -> None:
        self.port = listen_port(ROUTER, A, B)
        self.store = MessageStore()
        self.a = Mm1Mmsc(trace, "A", A, self.port, self.store)
        self.b = Mm1Mmsc(trace, "B", B, self.port, self.store)
        self.router = MmsRouter(
            trace,
            ROUTER,
            self.port,
            RouterConfig({"A": self.a.url, "B": self.b.url}, probe_period_ms=40, **router_kw),
        )
        self.handsets = Mm1Handsets(trace, HANDSET, self.router.url, DOMAIN)

    async def __aenter__(self) -> _Net:
        for s in (self.a, self.b, self.router, self.handsets):
            await s.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for s in (self.handsets, self.router, self.b, self.a):
            await s.stop()


def test_the_router_takes_a_failed_mmsc_out_and_back_by_its_thresholds() -> None:
    async def main() -> list[str]:
        trace = TraceRecorder()
        async with _Net(trace, failure_threshold=2, recovery_threshold=3) as net:
            events = net.router.events
            net.a.knobs.dead = True
            await events.wait_for(lambda log: log.of("mmsc_down"), WAIT_MS, "A out")
            failed = [s for s in net.a.seen if s.kind == "probe" and not s.answered]
            assert len(failed) == 2
            assert not net.router.health["A"].healthy
            net.a.reset_knobs()
            await events.wait_for(lambda log: log.of("mmsc_up"), WAIT_MS, "A back")
            passed = [s for s in net.a.seen if s.kind == "probe" and s.answered]
            since = failed[-1].at
            assert len([p for p in passed if p.at > since]) == 3
            return [e.kind for e in events.all() if e.kind.startswith("mmsc_")]

    assert asyncio.run(main()) == ["mmsc_down", "mmsc_up"]


def test_with_no_mmsc_the_router_answers_an_mm1_error_and_relays_an_mmsc_refusal() -> None:
    async def main() -> tuple[object, object, object]:
        trace = TraceRecorder()
        async with _Net(trace) as net:
            net.a.knobs.dead = net.b.knobs.dead = True
            none_left = await net.handsets.submit(Order("x-1", "x-1", "+861"))
            await net.router.events.wait_for(
                lambda log: len(log.of("mmsc_down")) == 2, WAIT_MS, "both out"
            )
            net.a.reset_knobs()
            net.b.reset_knobs()
            await net.router.events.wait_for(
                lambda log: len(log.of("mmsc_up")) == 2, WAIT_MS, "both back"
            )
            # An MMSC's own refusal (a PDU it cannot take) comes back as the MMSC said it.
            body = mm1.encode(build_send_req(Order("x-2", "x-2", "+862")))[:-3]
            client = net.handsets.client
            refused = await client.post(
                net.router.url, body, headers={"Content-Type": mm1.CONTENT_TYPE}
            )
            status = await client.get(net.router.http.url("/status"))
            return none_left, mm1.decode(refused.body).message, json.loads(status.body)

    none_left, refused, status = asyncio.run(main())
    assert none_left.verdict is Verdict.REFUSED and "transient-network-problem" in none_left.why
    assert refused.response_status == mm1.Status.PERMANENT_MESSAGE_FORMAT_CORRUPT
    assert status["counters"]["refused"] == 1 and status["counters"]["malformed"] == 1
    assert status["mmscs"]["A"]["healthy"] is True


def test_the_store_takes_a_transaction_id_once_whichever_mmsc_gets_it() -> None:
    store = MessageStore()
    req = build_send_req(Order("t-1", "k-1", "+861"))
    first, new = store.accept(req, "A", "scope")
    again, new_again = store.accept(req, "B", "scope")
    assert new and not new_again and again == first and first.mmsc == "A"
    other = build_send_req(Order("t-1-r2", "k-1", "+861"))  # a retry under a new id
    store.accept(other, "B", "scope")
    assert store.copies("scope")["k-1"] == 2


def test_the_wap_gateway_holds_the_answer_for_its_ttl_then_asks_again() -> None:
    async def main() -> tuple[int, int, int, list[int]]:
        trace = TraceRecorder()
        auth = MmsDomainDns(trace, AUTH, 0, mms_domain=DOMAIN, router_address=ROUTER, ttl_s=300)
        await auth.start()
        async with _Net(trace) as net:
            gateway = WapGateway(trace, GATEWAY, 0, GatewayConfig(DOMAIN, net.port, auth.address))
            await gateway.start()
            handsets = Mm1Handsets(trace, "127.0.43.4", gateway.url, f"{DOMAIN}:{net.port}")
            other = Service("other", "127.0.43.5")
            http = other.add_client(HttpClient(other, trace))
            try:
                for n in range(3):
                    assert (await handsets.submit(Order(f"g-{n}", f"g-{n}", "+861"))).ok
                held = gateway.held()
                assert held is not None and held.address == ROUTER and held.ttl_s == 300
                asked = auth.mms_queries
                # The TTL runs out (moved, not waited for): the next submission looks up again.
                gateway.cache[gateway.domain] = held.__class__(
                    held.address, held.ttl_s, time.monotonic() - 1
                )
                assert (await handsets.submit(Order("g-9", "g-9", "+861"))).ok
                elsewhere = await http.post(
                    gateway.url, b"x", headers={"Host": "evil.example", "Content-Type": "a/b"}
                )
                return asked, auth.mms_queries, gateway.lookups, [elsewhere.status]
            finally:
                await other.stop()
                await handsets.stop()
                await gateway.stop()
                await auth.stop()

    asked, later, lookups, statuses = asyncio.run(main())
    assert (asked, later, lookups) == (1, 2, 2)
    assert statuses == [403]  # not an open proxy


def test_the_wap_gateway_answers_502_when_the_held_address_fails() -> None:
    async def main() -> object:
        trace = TraceRecorder()
        auth = MmsDomainDns(trace, AUTH, 0, mms_domain=DOMAIN, router_address=A)
        await auth.start()
        async with _Net(trace) as net:
            gateway = WapGateway(trace, GATEWAY, 0, GatewayConfig(DOMAIN, net.port, auth.address))
            await gateway.start()
            handsets = Mm1Handsets(trace, "127.0.43.4", gateway.url, f"{DOMAIN}:{net.port}")
            try:
                assert (await handsets.submit(Order("d-1", "d-1", "+861"))).ok
                net.a.knobs.dead = True
                return await handsets.submit(Order("d-2", "d-2", "+861"))
            finally:
                await handsets.stop()
                await gateway.stop()
                await auth.stop()

    failed = asyncio.run(main())
    assert failed.verdict is Verdict.HTTP_ERROR and failed.why.startswith("HTTP 502")
