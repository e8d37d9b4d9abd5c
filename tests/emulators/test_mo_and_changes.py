"""Messages from handsets (DeliverReq) and the SP's cancel / replace through the farm.

A whole ReportRoutingNet (SP, MMSC A/B, farm 180/181) over real sockets
with fast timers: the MMSC delivers a message from a handset to a farm
server, which passes it to the SP by its short code; the SP cancels or
replaces a message it submitted through any server, and the server that
issued MSGID2 has the MMSC that holds it act.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.scopes import content_text
from mmsconf.emulators.sp import CANCELLED, Answer

A1, B1 = "+8613800000001", "+8613900000001"
HANDSET = "+8613800000777"


@pytest.mark.parametrize("module", [180, 181])
def test_mo_reaches_the_sp_by_its_short_code_once(net: Callable[..., Any], module: int):
    async def scenario() -> None:
        async with net() as n:
            n.open_scope("mo1", "t", "t")
            server = n.farm.servers[module]
            short_code = n.profile.sp.sender_address
            result = await n.mmscs["A"].deliver_mo(HANDSET, [short_code], target=server.report_url)
            assert result.answer is Answer.ACCEPTED, result.why
            assert isinstance(result.outcome.message, mm7.DeliverRsp)
            [got] = n.sp.delivered
            assert (got.mo_id, got.sender, got.recipients) == (
                result.mo_id,
                HANDSET,
                (short_code,),
            )
            assert got.content == result.content and got.subject == result.subject
            assert got.scope == "mo1" and not got.stray
            assert got.from_host == server.host
            # The LinkedID the SP sees is the server's own, module number first.
            assert got.linked_id is not None and got.linked_id.startswith(f"{module}-")
            assert server.counters["mo_delivered"] == 1

    asyncio.run(scenario())


def test_mo_for_no_sp_is_refused_2002_and_reaches_nobody(net: Callable[..., Any]):
    async def scenario() -> None:
        async with net() as n:
            result = await n.mmscs["A"].deliver_mo(HANDSET, ["99999"])
            assert result.answer is Answer.REFUSED
            assert result.outcome.status == 2002
            assert n.sp.delivered == []

    asyncio.run(scenario())


def test_mo_goes_to_another_server_when_the_first_is_down(net: Callable[..., Any]):
    async def scenario() -> None:
        async with net() as n:
            await n.farm.take_down(180)
            n.mmscs["A"].report_targets = [n.report_urls[180], n.report_urls[181]]
            result = await n.mmscs["A"].deliver_mo(HANDSET, [n.profile.sp.sender_address])
            assert result.answer is Answer.ACCEPTED, result.why
            assert len(n.sp.delivered) == 1

    asyncio.run(scenario())


@pytest.mark.parametrize(("submit_via", "cancel_via"), [(180, 180), (180, 181), (181, 180)])
def test_cancel_through_any_server_cancels_at_the_mmsc(
    net: Callable[..., Any], submit_via: int, cancel_via: int
):
    async def scenario() -> None:
        async with net(hold_reports=True) as n:
            n.open_scope("cx1", "t", "t")
            farm = n.farm.servers
            sub = await n.sp.submit([A1], target=farm[submit_via].submit_url)
            assert sub.answer is Answer.ACCEPTED, sub.why
            change = await n.sp.change("cancel", sub.msgid1, target=farm[cancel_via].submit_url)
            assert change.answer is Answer.ACCEPTED, change.why
            assert isinstance(change.outcome.message, mm7.CancelRsp)
            [held] = n.mmscs["A"].received
            assert held.cancelled
            assert n.sp.final_states() == {(sub.msgid1, A1): CANCELLED}
            # Released: the cancelled message is never reported.
            await n.mmscs["A"].release_reports()
            assert n.mmscs["A"].reports == []
            assert farm[cancel_via].counters["changes_forwarded"] == int(submit_via != cancel_via)

    asyncio.run(scenario())


def test_cancel_of_a_delivered_message_is_refused(net: Callable[..., Any]):
    async def scenario() -> None:
        async with net() as n:
            sub = await n.sp.submit([A1])
            await n.sp.events.wait_for(lambda _l: n.sp.all_final(), 3000, "reported")
            change = await n.sp.change("cancel", sub.msgid1)
            assert change.answer is Answer.REFUSED
            assert change.outcome.status == 2001
            assert n.sp.final_states()[(sub.msgid1, A1)] == "Retrieved"

    asyncio.run(scenario())


def test_cancel_of_an_unknown_message_gets_2005(net: Callable[..., Any]):
    async def scenario() -> None:
        async with net() as n:
            change = await n.sp.change("cancel", "sp001-zz-000001")
            assert change.answer is Answer.REFUSED
            assert change.outcome.status == 2005

    asyncio.run(scenario())


def test_replace_changes_the_content_at_each_mmsc(net: Callable[..., Any]):
    async def scenario() -> None:
        async with net(hold_reports=True) as n:
            n.open_scope("rp1", "t", "t")
            farm = n.farm.servers
            sub = await n.sp.submit([A1, B1], target=farm[181].submit_url)
            new = content_text(sub.msgid1) + " (replaced)"
            change = await n.sp.change(
                "replace", sub.msgid1, content=new, target=farm[180].submit_url
            )
            assert change.answer is Answer.ACCEPTED, change.why
            for name in ("A", "B"):
                [held] = n.mmscs[name].received
                assert held.content == new and held.replaced == [new]
                assert held.scope == "rp1"  # still the scenario's after the replacement
            await n.release_reports()
            await n.sp.events.wait_for(lambda _l: n.sp.all_final(), 3000, "reported")
            assert set(n.sp.final_states().values()) == {"Retrieved"}

    asyncio.run(scenario())


def test_a_forwarded_change_from_a_stranger_is_not_trusted(net: Callable[..., Any]):
    """The forwarded header alone does not skip authentication: the source must be a peer."""

    async def scenario() -> None:
        async with net(hold_reports=True) as n:
            sub = await n.sp.submit([A1], target=n.farm.servers[180].submit_url)
            request = n.sp.build_change("cancel", sub.msgid1)
            outcome = await n.sp.client.post(
                n.submit_urls[180], request, extra_headers={"X-MMSG-Forwarded-By": "181"}
            )
            assert outcome.status == 4001, outcome
            odd = await n.sp.client.post(
                n.submit_urls[180], request, extra_headers={"X-MMSG-Forwarded-By": "²"}
            )
            assert odd.status == 4001, odd
            assert not n.mmscs["A"].received[0].cancelled

    asyncio.run(scenario())


def test_mo_and_cancel_in_a_rel5_namespace(profile: Callable[..., Any], net: Callable[..., Any]):
    """REL-5 has no VASPID in DeliverReq and no AuxApplicInfo: the farm leaves them out."""
    rel5 = profile(
        namespace=mm7.MM7_NAMESPACES[0],
        msgid1_carrier="TransactionID",
        msgid2_carrier="TransactionID",
    )

    async def scenario() -> None:
        async with net(rel5, hold_reports=True) as n:
            mo = await n.mmscs["A"].deliver_mo(HANDSET, [n.profile.sp.sender_address])
            assert mo.answer is Answer.ACCEPTED, mo.why
            assert n.sp.delivered[0].sender == HANDSET
            sub = await n.sp.submit([A1], target=n.submit_urls[181])
            change = await n.sp.change("cancel", sub.msgid1, target=n.submit_urls[180])
            assert change.answer is Answer.ACCEPTED, change.why
            assert n.mmscs["A"].received[0].cancelled

    asyncio.run(scenario())
