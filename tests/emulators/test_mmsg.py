"""The reference MMSG farm's internal state: control records, MSGID2, report store-and-forward.

The conformance scenarios see only the wire; these tests look inside the
servers (records, held reports, dead letters, counters) while a whole
ReportRoutingNet (SP, MMSC A/B, farm 180/181) runs with fast timers.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from mmsconf.emulators.mm7_http import Credentials
from mmsconf.emulators.mmsg import (
    FORWARDED_BY,
    FarmDirectory,
    MmsgConfig,
    MMSGServer,
    parse_module,
)
from mmsconf.emulators.trace import TraceRecorder

A1, A2, A3 = "+8613800000001", "+8613800000002", "+8613800000003"
B1 = "+8613900000001"
HOST_180, HOST_181, HOST_182 = "127.0.20.80", "127.0.20.81", "127.0.20.82"


def failed_posts_to(server: Any, url: str) -> int:
    return sum(1 for e in server.events.of("post_outcome") if e["url"] == url and not e["ok"])


# --- MSGID2 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("msgid2", "module"),
    [
        ("180-ab12-00000001", 180),
        ("181-0000-00000042", 181),
        ("7-x", 7),
        ("garbage", None),
        ("", None),
        ("-1-2", None),
        ("18a-x", None),
        ("180", None),  # no separator
        ("1234567-x", None),  # more than six digits
        (" 180-x", None),
    ],
)
def test_parse_module(msgid2: str, module: int | None):
    assert parse_module(msgid2) == module


def test_parse_module_rejects_non_ascii_digits_without_raising():
    assert parse_module("²-x") is None


def test_report_with_non_ascii_module_is_answered_2005(net: Callable[..., Any]):
    async def scenario() -> Any:
        async with net() as n:
            s180 = n.farm.servers[180]
            result = await n.mmscs["A"].send_report("²-ab12-00000001", A1, target=s180.report_url)
            return result.outcome, s180.counters["reports_unknown"]

    outcome, unknown = asyncio.run(scenario())
    assert outcome.status == 2005, outcome
    assert unknown == 1


def test_group_submission_keeps_one_control_record_per_destination(net: Callable[..., Any]):
    async def scenario() -> None:
        async with net(hold_reports=True) as n:
            s180, s181 = n.farm.servers[180], n.farm.servers[181]
            sub = await n.sp.submit([A1, B1, A3], target=s180.submit_url)
            assert sub.outcome is not None and sub.outcome.ok, sub.outcome
            # The SP gets its own MSGID1 back as the SubmitRsp MessageID.
            assert sub.outcome.message.message_id == sub.msgid1

            records = list(s180.records.values())
            assert Counter(r.destination for r in records) == {A1: 1, B1: 1, A3: 1}
            assert s181.records == {}
            for (msgid2, dest), r in s180.records.items():
                assert (r.msgid2, r.destination) == (msgid2, dest)
                assert r.msgid1 == sub.msgid1
                assert r.sp_report_url == n.sp.report_url
                assert r.vasp_id == "sp001"
                assert parse_module(r.msgid2) == s180.module == 180
            by_dest = {r.destination: r.msgid2 for r in records}
            # One MSGID2 per MMSC group: A1 and A3 share one, B1 has its own.
            assert by_dest[A1] == by_dest[A3] != by_dest[B1]

            # Each MMSC got exactly its group, under that group's MSGID2, from 180's address.
            (got_a,) = n.mmscs["A"].received
            (got_b,) = n.mmscs["B"].received
            assert (got_a.msgid2, set(got_a.recipients), got_a.from_host) == (
                by_dest[A1],
                {A1, A3},
                HOST_180,
            )
            assert (got_b.msgid2, got_b.recipients, got_b.from_host) == (
                by_dest[B1],
                (B1,),
                HOST_180,
            )
            assert s180.counters["forwarded_to_mmsc"] == 3

    asyncio.run(scenario())


def test_msgid2_embeds_the_module_and_is_unique_across_the_farm(net: Callable[..., Any]):
    async def scenario() -> None:
        async with net(hold_reports=True) as n:
            numbers = [f"+8613{8 + i % 2}{i:08d}" for i in range(200)]
            subs = await asyncio.gather(*(n.sp.submit([num]) for num in numbers))
            assert all(s.outcome is not None and s.outcome.ok for s in subs)

            issued: list[str] = []
            per_module: Counter[int] = Counter()
            for module, server in n.farm.servers.items():
                for r in server.records.values():
                    assert parse_module(r.msgid2) == server.module == module
                    issued.append(r.msgid2)
                    per_module[module] += 1
            assert len(issued) == 200
            assert len(set(issued)) == 200, "an MSGID2 was issued twice"
            # The SP's switch spreads evenly: every server issued some.
            assert set(per_module) == {180, 181}
            assert min(per_module.values()) >= 50
            seen_by_mmscs = [r.msgid2 for m in n.mmscs.values() for r in m.received]
            assert sorted(seen_by_mmscs) == sorted(issued)

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("how", "status", "http_status"),
    [
        ("wrong password", 4001, 401),
        ("no credentials", 4001, 401),
        ("unknown VASPID", 4001, 500),
        ("unexpected source address", 4007, 500),
    ],
)
def test_refused_submission_is_counted_and_leaves_no_record(
    net: Callable[..., Any], how: str, status: int, http_status: int
):
    async def scenario() -> None:
        async with net(hold_reports=True) as n:
            s180 = n.farm.servers[180]
            kw: dict[str, Any] = {
                "wrong password": {"credentials": Credentials("sp001", "guess")},
                "no credentials": {"send_credentials": False},
                "unknown VASPID": {"vasp_id": "sp999"},
                "unexpected source address": {"source_host": "127.0.10.2"},
            }[how]
            sub = await n.sp.submit([A1], target=s180.submit_url, **kw)
            assert sub.outcome is not None
            assert (sub.outcome.status, sub.outcome.http_status) == (status, http_status)
            assert s180.counters["auth_failures"] == 1
            assert s180.counters["submissions"] == 0
            assert s180.records == {}
            assert all(m.received == [] for m in n.mmscs.values())
            assert n.sp.final_states() == {(sub.msgid1, A1): "SubmitFailed"}

    asyncio.run(scenario())


def test_unknown_msgid2_carrier_is_refused_at_construction():
    with pytest.raises(ValueError, match="msgid2_carrier"):
        MMSGServer(
            TraceRecorder(),
            180,
            HOST_180,
            0,
            {},
            FarmDirectory(),
            MmsgConfig(msgid2_carrier="Subject"),
        )


# --- report forwarding ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("msgid1_carrier", "msgid2_carrier"),
    [
        ("AuxApplicInfo", "AuxApplicInfo"),
        ("ApplicID", "TransactionID"),
        ("TransactionID", "AuxApplicInfo"),
    ],
)
def test_report_landing_on_another_server_is_forwarded_to_the_issuer(
    net: Callable[..., Any],
    profile: Callable[..., Any],
    wait: Callable[..., Any],
    quiet: Callable[..., Any],
    accounting: Callable[[Any], tuple[int, int]],
    msgid1_carrier: str,
    msgid2_carrier: str,
):
    rr = profile(msgid1_carrier=msgid1_carrier, msgid2_carrier=msgid2_carrier)

    async def scenario() -> None:
        async with net(rr) as n:
            s180, s181 = n.farm.servers[180], n.farm.servers[181]
            for mmsc in n.mmscs.values():
                mmsc.pinned_targets = [s181.report_url]
            sub = await n.sp.submit([A1], target=s180.submit_url)
            assert sub.outcome is not None and sub.outcome.ok
            await wait(n.sp.events, lambda: len(n.sp.reports) == 1, "the SP's report")
            await wait(s180.events, lambda: bool(s180.events.of("delivered")), "180 delivered")

            assert s181.counters["reports_from_mmsc"] == 1
            assert s181.counters["reports_forwarded"] == 1
            assert s181.counters["delivered_to_sp"] == 0
            assert s180.counters["reports_from_mmsc"] == 0
            assert s180.counters["reports_forwarded_in"] == 1
            assert s180.counters["delivered_to_sp"] == 1
            assert not s181.events.of("report_held")
            assert s180.held == {} and s181.held == {}

            (seen,) = n.sp.reports
            assert seen.message_id == sub.msgid1  # MSGID2 mapped back to MSGID1
            assert seen.from_host == HOST_180  # the issuing server reports to the SP
            assert n.sp.tracking.states[(sub.msgid1, A1)] == ["Retrieved"]
            assert n.sp.final_states() == {(sub.msgid1, A1): "Retrieved"}
            assert await quiet(n.sp.events, lambda: len(n.sp.reports) > 1, 100)
            assert n.sp.tracking.duplicates() == {}
            accepted, accounted = accounting(n.farm)
            assert accepted == accounted == 2

    asyncio.run(scenario())


def test_report_naming_no_server_in_the_farm_is_refused_2005(net: Callable[..., Any]):
    async def scenario() -> None:
        async with net() as n:
            s180 = n.farm.servers[180]
            result = await n.mmscs["A"].send_report("199-ab12-00000001", A1, target=s180.report_url)
            assert result.outcome.status == 2005
            assert s180.counters["reports_unknown"] == 1
            assert s180.counters["reports_accepted"] == 0
            assert s180.held == {} and n.sp.reports == []

    asyncio.run(scenario())


def test_report_the_issuer_has_no_record_of_is_refused_not_held(net: Callable[..., Any]):
    async def scenario() -> None:
        async with net() as n:
            s180, s181 = n.farm.servers[180], n.farm.servers[181]
            result = await n.mmscs["A"].send_report("180-beef-00000099", A1, target=s181.report_url)
            # The issuer looked and said no; the forwarder passes that on and keeps nothing.
            assert result.outcome.status == 2005
            assert s180.counters["reports_forwarded_in"] == 1
            assert s180.counters["reports_unknown"] == 1
            assert s181.counters["reports_unknown"] == 1
            assert s181.counters["reports_accepted"] == 0
            assert s181.held == {} and s181.dead_letters == []

    asyncio.run(scenario())


# --- store-and-forward ------------------------------------------------------------------


def test_report_held_while_the_issuer_is_down_is_delivered_when_it_returns(
    net: Callable[..., Any],
    profile: Callable[..., Any],
    instrument: Callable[[Any], None],
    wait: Callable[..., Any],
    accounting: Callable[[Any], tuple[int, int]],
):
    # Expiry far off: this test is about delivery on return, not about expiry.
    rr = profile(report_expiry_ms=5000)

    async def scenario() -> None:
        async with net(rr, hold_reports=True) as n:
            farm = n.farm
            s180, s181 = farm.servers[180], farm.servers[181]
            instrument(s181)
            for mmsc in n.mmscs.values():
                mmsc.pinned_targets = [s181.report_url]
            sub = await n.sp.submit([A1], target=s180.submit_url)
            assert sub.outcome is not None and sub.outcome.ok
            await farm.take_down(180)
            await n.mmscs["A"].release_reports()

            # The MMSC was answered: 181 took the report over.
            (sent,) = n.mmscs["A"].reports
            assert sent.outcome.ok and sent.target == s181.report_url
            assert len(s181.held) == 1
            held = next(iter(s181.held.values()))
            assert held.destination == "MMSG-180"
            assert held.item.url == s180.report_url
            assert held.item.headers == {FORWARDED_BY: "181"}
            assert held.last_error is not None
            assert accounting(farm) == (1, 1)

            # It keeps trying while 180 is down.
            await wait(s181.events, lambda: failed_posts_to(s181, s180.report_url) >= 2, "a retry")
            assert n.sp.reports == []

            await farm.bring_up(180)
            await wait(n.sp.events, lambda: len(n.sp.reports) == 1, "the SP's report")
            await wait(s181.events, lambda: bool(s181.events.of("delivered")), "181 delivered")
            await wait(s180.events, lambda: bool(s180.events.of("delivered")), "180 delivered")

            assert n.sp.reports[0].message_id == sub.msgid1
            assert n.sp.tracking.duplicates() == {}
            assert s181.held == {} and s180.held == {}
            assert s181.dead_letters == [] and s180.dead_letters == []
            assert held.attempts >= 3  # the first try, at least one retry, the success
            assert s181.counters["reports_forwarded"] == 1
            assert s180.counters["reports_forwarded_in"] == 1
            assert s180.counters["delivered_to_sp"] == 1
            assert farm.counters()["dead_letters"] == 0
            accepted, accounted = accounting(farm)
            assert accepted == accounted == 2

    asyncio.run(scenario())


def test_report_held_past_expiry_is_dead_lettered_never_delivered(
    net: Callable[..., Any],
    profile: Callable[..., Any],
    wait: Callable[..., Any],
    quiet: Callable[..., Any],
    accounting: Callable[[Any], tuple[int, int]],
):
    rr = profile(report_expiry_ms=300)

    async def scenario() -> None:
        async with net(rr, hold_reports=True) as n:
            farm = n.farm
            s180, s181 = farm.servers[180], farm.servers[181]
            for mmsc in n.mmscs.values():
                mmsc.pinned_targets = [s181.report_url]
            sub = await n.sp.submit([A1], target=s180.submit_url)
            assert sub.outcome is not None and sub.outcome.ok
            await farm.take_down(180)
            await n.mmscs["A"].release_reports()
            (held,) = s181.held.values()

            await wait(s181.events, lambda: bool(s181.events.of("dead_letter")), "dead letter")
            dead_at = time.monotonic()
            assert dead_at - held.accepted_at >= 0.3, "dead-lettered before report_expiry_ms"
            assert s181.dead_letters == [held]
            assert held.last_error is not None and held.last_error.startswith("expired")
            assert s181.counters["dead_letters"] == 1
            assert s181.held == {}
            assert n.sp.reports == []
            assert accounting(farm) == (1, 1)

            await farm.bring_up(180)
            assert await quiet(n.sp.events, lambda: bool(n.sp.reports), 150)
            assert s180.counters["reports_forwarded_in"] == 0
            assert s180.counters["delivered_to_sp"] == 0
            assert not n.sp.all_final()
            assert len(s181.dead_letters) == 1

    asyncio.run(scenario())


def test_report_held_while_the_sp_is_down_is_retried_and_delivered_once(
    net: Callable[..., Any],
    profile: Callable[..., Any],
    instrument: Callable[[Any], None],
    wait: Callable[..., Any],
    quiet: Callable[..., Any],
    accounting: Callable[[Any], tuple[int, int]],
):
    rr = profile(report_expiry_ms=5000)

    async def scenario() -> None:
        async with net(rr, hold_reports=True) as n:
            s180 = n.farm.servers[180]
            instrument(s180)
            for mmsc in n.mmscs.values():
                mmsc.pinned_targets = [s180.report_url]
            sub = await n.sp.submit([A1], target=s180.submit_url)
            assert sub.outcome is not None and sub.outcome.ok
            sp_url = n.sp.report_url
            await n.sp.go_down()
            await n.mmscs["A"].release_reports()
            assert n.mmscs["A"].reports[0].outcome.ok  # 180 accepted it for the SP
            (held,) = s180.held.values()
            assert held.destination == "SP" and held.item.url == sp_url

            await wait(s180.events, lambda: failed_posts_to(s180, sp_url) >= 2, "two failed tries")
            assert n.sp.reports == [] and len(s180.held) == 1

            await n.sp.come_up()
            assert n.sp.report_url == sp_url
            await wait(n.sp.events, lambda: len(n.sp.reports) == 1, "the SP's report")
            await wait(s180.events, lambda: bool(s180.events.of("delivered")), "180 delivered")
            assert await quiet(n.sp.events, lambda: len(n.sp.reports) > 1, 100)

            assert n.sp.reports[0].message_id == sub.msgid1
            assert n.sp.tracking.duplicates() == {}
            assert s180.held == {} and s180.dead_letters == []
            assert s180.counters["delivered_to_sp"] == 1
            ok_posts = [e for e in s180.events.of("post_outcome") if e["url"] == sp_url and e["ok"]]
            assert len(ok_posts) == 1
            assert held.attempts == failed_posts_to(s180, sp_url) + 1
            accepted, accounted = accounting(n.farm)
            assert accepted == accounted == 1

    asyncio.run(scenario())


def test_forward_retried_after_a_timeout_reaches_the_sp_once(
    net: Callable[..., Any],
    profile: Callable[..., Any],
    wait: Callable[..., Any],
    quiet: Callable[..., Any],
):
    rr = profile(report_expiry_ms=5000)

    async def scenario() -> None:
        async with net(rr, hold_reports=True) as n:
            s180, s181 = n.farm.servers[180], n.farm.servers[181]
            s181.client.timeout_ms = 100  # read when 181 opens its first session
            for mmsc in n.mmscs.values():
                mmsc.pinned_targets = [s181.report_url]
            sub = await n.sp.submit([A1], target=s180.submit_url)
            assert sub.outcome is not None and sub.outcome.ok
            # 180 processes the forward at once but answers only after 250 ms: 181 times out.
            s180.faults.slow_ms = 250
            await n.mmscs["A"].release_reports()
            (held,) = s181.held.values()
            assert held.last_error is not None and held.last_error.startswith("timeout")
            await wait(n.sp.events, lambda: len(n.sp.reports) == 1, "the SP's report")
            s180.faults.reset()
            await wait(s181.events, lambda: bool(s181.events.of("delivered")), "181 delivered")
            await quiet(n.sp.events, lambda: len(n.sp.reports) > 1, 150)
            assert n.sp.tracking.duplicates() == {}
            assert len(n.sp.reports) == 1
            assert s180.counters["delivered_to_sp"] == 1

    asyncio.run(scenario())


# --- growing the farm ---------------------------------------------------------------------


def test_adding_a_server_changes_nothing_else_and_its_reports_route(
    net: Callable[..., Any], wait: Callable[..., Any]
):
    async def scenario() -> None:
        async with net() as n:
            farm = n.farm
            before = {
                m: (s.config, copy.deepcopy(s.config), s.accounts, dict(s.accounts), s.directory)
                for m, s in farm.servers.items()
            }
            report_urls = dict(farm.directory.report_urls)
            submit_urls = dict(farm.directory.submit_urls)

            s182 = await farm.add_server(182)

            assert s182.host == HOST_182 and s182.module == 182
            for m, (config, config_copy, accounts, accounts_copy, directory) in before.items():
                server = farm.servers[m]
                assert server.config is config and server.config == config_copy
                assert server.accounts is accounts and server.accounts == accounts_copy
                assert server.directory is directory is farm.directory
            assert isinstance(farm.directory, FarmDirectory)
            assert farm.directory.report_urls == {**report_urls, 182: s182.report_url}
            assert farm.directory.submit_urls == {**submit_urls, 182: s182.submit_url}

            s180 = farm.servers[180]
            for mmsc in n.mmscs.values():
                mmsc.pinned_targets = [s180.report_url]
            sub = await n.sp.submit([B1], target=s182.submit_url)
            assert sub.outcome is not None and sub.outcome.ok
            (got,) = n.mmscs["B"].received
            assert parse_module(got.msgid2) == 182 and got.from_host == HOST_182
            await wait(n.sp.events, lambda: len(n.sp.reports) == 1, "the SP's report")
            await wait(s182.events, lambda: bool(s182.events.of("delivered")), "182 delivered")

            assert n.sp.reports[0].message_id == sub.msgid1
            assert n.sp.reports[0].from_host == HOST_182
            assert s180.counters["reports_forwarded"] == 1
            assert s182.counters["reports_forwarded_in"] == 1
            assert s182.counters["delivered_to_sp"] == 1
            with pytest.raises(ValueError, match="already in the farm"):
                await farm.add_server(182)

    asyncio.run(scenario())
