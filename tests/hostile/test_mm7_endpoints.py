"""Every MM7-speaking emulator against the hostile battery, over real sockets.

Each case is played on a fresh connection; after each, a valid exchange
through the same emulator must still succeed, and at the end nothing the
emulators accepted may be missing: every report a farm server took over
was passed on, and the SP heard each final state once.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import Credentials, HttpLimits, MM7Client
from mmsconf.emulators.service import Service
from mmsconf.fixtures.report_routing import ReportRoutingNet
from tests.support.hostile import (
    BatteryResult,
    Case,
    Target,
    Wire,
    describe_http,
    exchange,
    http_answered,
    http_answers,
    http_status,
    run_battery,
)
from tests.support.hostile.mm7 import (
    TEST_LIMITS,
    WAIT_MS,
    any_mm7_answer,
    describe_mm7,
    hostile_net,
    mm7_cases,
    mm7_successes,
    valid_mm7,
)

NS = mm7.DEFAULT_NAMESPACE
SP_HOST = "127.0.10.1"  # the address the farm accepts the SP's submissions from
MMSC_A_NUMBER = "+86138000007{:02d}"  # routed to MMSC A
_ids = itertools.count(1)


def submit_req(msgid: str, recipient: str, *, aux: str) -> mm7.SubmitReq:
    return mm7.SubmitReq(
        transaction_id=f"T-{msgid}",
        namespace=NS,
        vasp_id="sp001",
        vas_id="svc001",
        sender_address=mm7.Address("10658000", "ShortCode"),
        to=(mm7.Address(recipient),),
        delivery_report=True,
        subject="café",
        aux_applic_info=aux,
    )


def report_req(message_id: str, recipient: str, *, aux: str | None = None) -> mm7.DeliveryReportReq:
    return mm7.DeliveryReportReq(
        transaction_id=f"DR-{next(_ids)}",
        namespace=NS,
        message_id=message_id,
        recipient=mm7.Address(recipient),
        sender=mm7.Address("10658000", "ShortCode"),
        date=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        mm_status="Retrieved",
        status_text="livré",
        aux_applic_info=aux,
    )


async def submit_and_settle(
    net: ReportRoutingNet, target: str, recipient: str, wait_ms: int
) -> None:
    """A valid SubmitReq from the SP: 1000, then its delivery report comes back."""
    sp = net.sp
    sub = await sp.submit([recipient], target=target)
    assert sub.outcome is not None and sub.outcome.ok, sub.outcome
    key = (sub.msgid1, recipient)
    await sp.events.wait_for(lambda _: key in sp.final_states(), wait_ms, f"final state of {key}")
    assert sp.final_states()[key] == "Retrieved"


async def settled(net: ReportRoutingNet, wait_ms: int) -> None:
    """Wait until no farm server holds a report any more."""
    assert net.farm is not None
    servers = list(net.farm.servers.values())

    async def one(server: Any) -> None:
        await server.events.wait_for(lambda _: not server.held, wait_ms, f"{server.role} empty")

    await asyncio.gather(*(one(s) for s in servers))


def assert_nothing_lost(net: ReportRoutingNet) -> None:
    assert net.farm is not None
    for server in net.farm.servers.values():
        c = server.counters
        passed_on = c["delivered_to_sp"] + c["reports_forwarded"]
        assert c["reports_accepted"] == passed_on + c["dead_letters"] + len(server.held), (
            server.role,
            dict(c),
        )
        assert c["dead_letters"] == 0, [h.last_error for h in server.dead_letters]
    # The probes' messages: each final state heard once. (The battery reuses one MSGID1.)
    duplicates = net.sp.tracking.duplicates()
    assert not [key for key in duplicates if key in net.sp.expected], duplicates


def recipients() -> Callable[[], str]:
    n = itertools.count(1)
    return lambda: MMSC_A_NUMBER.format(next(n) % 100)


# --- one test per emulator ---------------------------------------------------------------


def test_sp_report_endpoint() -> None:
    async def main() -> list[BatteryResult]:
        async with hostile_net() as net:
            stand_in = MM7Client(
                Service("MMSC-probe", "127.0.30.9"),
                net.trace,
                mm7.CodecConfig(namespace=NS, mode=mm7.Mode.LENIENT),
            )

            async def probe() -> None:
                outcome = await stand_in.post(
                    net.sp.report_url, report_req(f"probe-{next(_ids)}", "+8613800000001")
                )
                assert outcome.status == 1000 and outcome.http_status == 200, outcome

            valid = valid_mm7("/mm7/dr", report_req("m-1", "+8613800000002"))
            target = Target(
                "SP /mm7/dr",
                net.sp.host,
                net.sp.port,
                probe,
                local_host="127.0.30.9",
                answered=http_answered,
                accepted=lambda: sum(1 for r in net.sp.reports if r.message_id == "m-1"),
                successes=mm7_successes,
            )
            try:
                result = await run_battery(target, mm7_cases(valid))
            finally:
                await stand_in.close()
            return [result]

    _report("SP", asyncio.run(main()))


def test_mmsg_server_endpoints() -> None:
    async def main() -> list[BatteryResult]:
        async with hostile_net() as net:
            assert net.farm is not None
            server, other = net.farm.servers[180], net.farm.servers[181]
            next_number = recipients()
            sp_creds = Credentials(net.sp.config.username, net.sp.config.password)
            # Reports land on server 180 whichever server issued the MSGID2.
            for mmsc in net.mmscs.values():
                mmsc.pinned_targets = [server.report_url]

            async def probe_submit() -> None:
                await submit_and_settle(net, server.submit_url, next_number(), WAIT_MS)

            async def probe_report() -> None:
                # Issued by 181, reported to 180, forwarded back to 181, then to the SP.
                await submit_and_settle(net, other.submit_url, next_number(), WAIT_MS)

            submit = valid_mm7("/mm7", submit_req("h-1", next_number(), aux="sp001-h-1"), sp_creds)
            report = valid_mm7(
                "/mm7/dr", report_req("M1", "+8613800000001", aux="180-beef-99999999")
            )

            def submitted() -> int:  # the battery's own submissions the server took
                events = server.events.of("submission")
                return sum(1 for e in events if e["msgid1"] == "sp001-h-1" and not e["failed"])

            def reported() -> int:  # the battery's own reports the server took over
                events = server.events.of("report_accepted")
                return sum(1 for e in events if e["msgid2"] == "180-beef-99999999")

            results = []
            for path, valid, probe, accepted in (
                ("/mm7", submit, probe_submit, submitted),
                ("/mm7/dr", report, probe_report, reported),
            ):
                target = Target(
                    f"MMSG-180 {path}",
                    server.host,
                    server.port,
                    probe,
                    local_host=SP_HOST,
                    answered=http_answered,
                    accepted=accepted,
                    successes=mm7_successes,
                )
                results.append(await run_battery(target, mm7_cases(valid)))
            await settled(net, WAIT_MS)
            assert_nothing_lost(net)
            # Each battery submission the server took came back to the SP as a report.
            back = sum(1 for r in net.sp.reports if r.message_id == "sp001-h-1")
            assert back == submitted() > 0
            assert reported() == 0
            return results

    _report("MMSG-180", asyncio.run(main()))


def test_mmsc_submit_endpoint() -> None:
    async def main() -> list[BatteryResult]:
        async with hostile_net() as net:
            mmsc = net.mmscs["A"]
            next_number = recipients()

            async def probe() -> None:
                before = len(mmsc.received)
                await submit_and_settle(net, net.sp.targets[0], next_number(), WAIT_MS)
                assert len(mmsc.received) == before + 1

            valid = valid_mm7(
                "/mm7",
                submit_req("g-1", next_number(), aux="180-beef-00000001"),
                net.gateway_credentials,
            )
            target = Target(
                "MMSC-A /mm7",
                mmsc.host,
                mmsc.port,
                probe,
                local_host="127.0.20.80",
                answered=http_answered,
                accepted=lambda: sum(1 for r in mmsc.received if r.msgid2 == "180-beef-00000001"),
                successes=mm7_successes,
            )
            result = await run_battery(target, mm7_cases(valid))
            await settled(net, WAIT_MS)
            assert_nothing_lost(net)
            return [result]

    _report("MMSC-A", asyncio.run(main()))


def _report(emulator: str, results: list[BatteryResult]) -> None:
    for result in results:
        print(result.table(describe_mm7))
    tried = sum(r.tried for r in results)
    print(f"{emulator}: {tried} hostile inputs tried")
    failures = [(r.target, p.case.name, p.problem) for r in results for p in r.failures]
    assert not failures, failures


# --- the limits on their own ---------------------------------------------------------------


def test_limits_refuse_nonsense() -> None:
    for bad in ({"max_body": 0}, {"header_timeout_ms": -1}, {"max_connections": True}):
        with pytest.raises(ValueError, match="positive integer"):
            HttpLimits(**bad)
    assert HttpLimits().max_body == 2_000_000


def test_connections_past_the_cap_get_503_and_the_rest_keep_working() -> None:
    limits = replace(TEST_LIMITS, max_connections=3, header_timeout_ms=10_000)

    async def main() -> None:
        async with hostile_net(limits) as net:
            sp = net.sp
            loop = asyncio.get_running_loop()
            idle = [(await loop.create_connection(Wire, sp.host, sp.port))[1] for _ in range(3)]
            target = Target("SP", sp.host, sp.port, _noop, answered=http_answered)
            refused = Case(
                "4th connection",
                b"",
                http_status(503, closes=True),
                "503 + close",
                until_close=True,
            )
            observed = await exchange(target, refused)
            assert refused.check(observed) is None, describe_http(observed)
            assert http_answers(observed.data)[0].headers["retry-after"] == "1"
            assert [e["why"] for e in sp.events.of("http_refused")] == ["max_connections"]
            for wire in idle:
                wire.transport.close()
            valid = valid_mm7("/mm7/dr", report_req("cap-1", "+8613800000003"))
            ok = Case("valid", valid.raw(), any_mm7_answer, "1000")
            # Freed slots serve again once the server has seen the closes: a few round trips.
            for _ in range(20):
                observed = await exchange(target, ok)
                if ok.check(observed) is None:
                    break
            assert ok.check(observed) is None, describe_mm7(observed)

    asyncio.run(main())


async def _noop() -> None:
    return None


def test_udp_targets_are_played_too() -> None:
    """The runner's datagram path, for the DNS and SIP emulators to come."""

    class Echo(asyncio.DatagramProtocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport

        def datagram_received(self, data: bytes, addr: Any) -> None:
            self.transport.sendto(data.upper(), addr)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(Echo, local_addr=("127.0.60.1", 0))
        port = transport.get_extra_info("sockname")[1]
        try:
            case = Case(
                "two datagrams",
                [b"ab", b"cd"],
                lambda o: None if o.datagrams == [b"AB", b"CD"] else f"got {o.datagrams}",
                "both echoed",
            )
            target = Target(
                "echo", "127.0.60.1", port, _noop, transport="udp", answered=lambda d: len(d) >= 4
            )
            result = await run_battery(target, [case])
            assert result.tried == 1 and not result.failures, result.failures
        finally:
            transport.close()

    asyncio.run(main())
