"""The prior-art baseline: servers own ranges of the destination's last two digits."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from mmsconf.emulators.baselines.last_two_digits import (
    VASPID_HEADER,
    LastTwoDigitsFarm,
    LastTwoDigitsServer,
    cut_ranges,
)
from mmsconf.emulators.mm7_http import MM7Client
from mmsconf.emulators.mmsg import FORWARDED_BY, parse_module
from mmsconf.emulators.service import Service

HOST_180, HOST_181 = "127.0.20.80", "127.0.20.81"
OWNED_BY_180 = "+8613800000037"  # 37 is in 00-49
OWNED_BY_181 = "+8613800000099"  # 99 is in 50-99


def test_two_servers_split_at_fifty():
    assert cut_ranges([180, 181]) == [(0, 49, 180), (50, 99, 181)]


@pytest.mark.parametrize("n", range(1, 12))
def test_ranges_cover_00_to_99_contiguously(n: int):
    modules = list(range(180, 180 + n))
    ranges = cut_ranges(modules)
    assert [m for _, _, m in ranges] == modules
    assert ranges[0][0] == 0 and ranges[-1][1] == 99
    for (_, high, _), (low, _, _) in itertools.pairwise(ranges):
        assert low == high + 1
    assert all(low <= high for low, high, _ in ranges)
    sizes = [high - low + 1 for low, high, _ in ranges]
    assert max(sizes) - min(sizes) <= 1  # as even as 100 allows


def test_three_servers_cut_in_thirds():
    (a, b, c) = cut_ranges([180, 181, 182])
    assert a[0] == 0 and c[1] == 99
    assert (a[2], b[2], c[2]) == (180, 181, 182)
    assert b[0] == a[1] + 1 and c[0] == b[1] + 1
    assert {a[1], b[1]} <= {32, 33, 65, 66}


def test_submission_to_the_wrong_server_is_handed_to_the_range_owner(
    net: Callable[..., Any], profile: Callable[..., Any], wait: Callable[..., Any]
):
    rr = profile("baseline-last-two-digits")

    async def scenario() -> None:
        async with net(rr) as n:
            farm = n.farm
            assert isinstance(farm, LastTwoDigitsFarm)
            s180, s181 = farm.servers[180], farm.servers[181]
            assert isinstance(s181, LastTwoDigitsServer)
            assert s181.owner_of_number(OWNED_BY_180) == 180
            assert s181.owner_of_number(OWNED_BY_181) == 181
            assert s181.owner_of_number("7") is None

            for mmsc in n.mmscs.values():
                mmsc.pinned_targets = [s181.report_url]
            sub = await n.sp.submit([OWNED_BY_180], target=s181.submit_url)
            assert sub.outcome is not None and sub.outcome.ok, sub.outcome
            assert sub.outcome.message.message_id == sub.msgid1

            (got,) = n.mmscs["A"].received
            assert got.from_host == HOST_180  # 180 owns ...37, so 180 forwarded it
            assert s181.records == {}
            (record,) = s180.records.values()
            assert (record.msgid1, record.destination) == (sub.msgid1, OWNED_BY_180)
            assert parse_module(record.msgid2) is None  # MSGID2 names no server
            assert s181.counters["submissions"] == 0 and s180.counters["submissions"] == 1

            # The report lands on 181 and is routed by number, back to 180.
            await wait(n.sp.events, lambda: len(n.sp.reports) == 1, "the SP's report")
            assert n.sp.reports[0].message_id == sub.msgid1
            assert n.sp.reports[0].from_host == HOST_180
            assert s181.counters["reports_from_mmsc"] == 1
            assert s180.counters["reports_forwarded_in"] == 1

    asyncio.run(scenario())


def test_a_server_added_later_owns_no_range(net: Callable[..., Any], profile: Callable[..., Any]):
    rr = profile("baseline-last-two-digits")

    async def scenario() -> None:
        async with net(rr, hold_reports=True) as n:
            farm = n.farm
            ranges = list(farm.directory.ranges)
            assert ranges == cut_ranges([180, 181])
            s182 = await farm.add_server(182)
            assert farm.directory.ranges == ranges  # not re-cut
            owners = {s182.owner_of_number(f"+86138000000{d:02d}") for d in range(100)}
            assert owners == {180, 181}

            sub = await n.sp.submit([OWNED_BY_181], target=s182.submit_url)
            assert sub.outcome is not None and sub.outcome.ok
            (got,) = n.mmscs["A"].received
            assert got.from_host == HOST_181
            assert s182.records == {} and s182.counters["submissions"] == 0

    asyncio.run(scenario())


def test_peer_submit_path_refuses_a_non_peer(net: Callable[..., Any], profile: Callable[..., Any]):
    rr = profile("baseline-last-two-digits")

    async def scenario() -> None:
        async with net(rr, hold_reports=True) as n:
            s180 = n.farm.servers[180]
            url = s180.submit_url.replace("/mm7", "/farm/submit")
            req = n.sp.build_submit("sp001-x-000001", [OWNED_BY_180])
            # Right headers, wrong source: the SP's address is not a farm server.
            client = MM7Client(Service("SP", n.sp.host), n.trace, n.sp.codec)
            try:
                out = await client.post(
                    url, req, extra_headers={FORWARDED_BY: "181", VASPID_HEADER: "sp001"}
                )
            finally:
                await client.close()
            assert out.status == 4007
            assert s180.records == {}
            assert all(m.received == [] for m in n.mmscs.values())

    asyncio.run(scenario())
