"""The SP and the MMSC on their own: carriers, target spreading, tracking, report sending.

No gateway here: the SP submits straight to an MMSC, and the MMSC reports
straight to the SP, so each side's own bookkeeping can be checked.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import Credentials, MM7Client
from mmsconf.emulators.mmsc import MMSC, MmscConfig
from mmsconf.emulators.service import Service
from mmsconf.emulators.sp import SUBMIT_FAILED, Answer, ServiceProvider, SpConfig, Tracking
from mmsconf.emulators.trace import TraceRecorder

SP_HOST = "127.0.50.1"
MMSC_HOST = "127.0.50.2"
GW_HOST = "127.0.50.3"
A1, A2, A3 = "+8613800000001", "+8613800000002", "+8613800000003"
CODEC = mm7.CodecConfig(namespace=mm7.DEFAULT_NAMESPACE, mode=mm7.Mode.LENIENT)


class NoShuffle(random.Random):
    """Keeps the MMSC's report targets in the order given."""

    def shuffle(self, x: Any) -> None:  # type: ignore[override]
        return None


async def started(*services: Service) -> None:
    for s in services:
        await s.start()


async def stopped(*services: Service) -> None:
    for s in services:
        await s.stop()


# --- SP -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("carrier", "field"),
    [("AuxApplicInfo", "aux_applic_info"), ("ApplicID", "applic_id"), ("TransactionID", None)],
)
def test_sp_carries_msgid1_in_the_configured_element(carrier: str, field: str | None):
    sp = ServiceProvider(TraceRecorder(), SP_HOST, config=SpConfig(msgid1_carrier=carrier))
    req = sp.build_submit("sp001-0-000001", [A1, A2])
    carriers = {"aux_applic_info": req.aux_applic_info, "applic_id": req.applic_id}
    if field is None:
        assert req.transaction_id == "sp001-0-000001"
        assert set(carriers.values()) == {None}
    else:
        assert carriers.pop(field) == "sp001-0-000001"
        assert set(carriers.values()) == {None}
        assert req.transaction_id != "sp001-0-000001"
    assert [a.value for a in req.recipients] == [A1, A2]
    assert req.delivery_report is True
    assert req.vasp_id == "sp001" and req.vas_id == "svc001"


def test_sp_refuses_an_unknown_msgid1_carrier():
    with pytest.raises(ValueError, match="msgid1_carrier"):
        ServiceProvider(TraceRecorder(), SP_HOST, config=SpConfig(msgid1_carrier="MessageID"))


def test_sp_msgid1s_are_unique_and_name_the_sp():
    sp = ServiceProvider(TraceRecorder(), SP_HOST, config=SpConfig(vasp_id="spX", seed=10))
    ids = [sp.next_msgid1() for _ in range(50)]
    assert len(set(ids)) == 50
    assert all(i.startswith("spX-a-") for i in ids)


def test_sp_spreads_submissions_evenly_and_reproducibly():
    def picks(seed: int) -> list[str]:
        sp = ServiceProvider(TraceRecorder(), SP_HOST, config=SpConfig(seed=seed))
        sp.targets = ["u1", "u2", "u3"]
        return [sp._pick_target() for _ in range(30)]

    first = picks(3)
    # Each round of three uses every target once: the load is exactly even.
    for i in range(0, 30, 3):
        assert sorted(first[i : i + 3]) == ["u1", "u2", "u3"]
    assert Counter(first) == {"u1": 10, "u2": 10, "u3": 10}
    assert picks(3) == first  # seeded
    assert len({tuple(picks(s)) for s in range(5)}) > 1  # and actually shuffled


def test_sp_without_targets_says_so():
    sp = ServiceProvider(TraceRecorder(), SP_HOST)
    with pytest.raises(RuntimeError, match="no gateway address"):
        sp._pick_target()


def test_tracking_takes_the_first_final_state_and_counts_duplicates():
    t = Tracking()
    t.states[("m1", A1)] += ["Forwarded", "Retrieved", "Rejected"]
    t.states[("m1", A2)] += ["Forwarded"]
    t.states[("m2", A1)] += [SUBMIT_FAILED]
    t.states[("m3", A1)] += ["Retrieved"]
    assert t.final() == {
        ("m1", A1): "Retrieved",
        ("m2", A1): SUBMIT_FAILED,
        ("m3", A1): "Retrieved",
    }
    assert t.duplicates() == {("m1", A1): 2}


def test_sp_submission_to_a_dead_gateway_is_not_counted_as_done():
    async def scenario() -> None:
        trace = TraceRecorder()
        sp = ServiceProvider(trace, SP_HOST)
        gone = MMSC(trace, "X", GW_HOST)
        await started(sp, gone)
        dead_url = gone.submit_url
        await gone.stop()
        try:
            sub = await sp.submit([A1, A2], target=dead_url)
            assert sub.outcome is not None and sub.outcome.unreachable
            # Only a decoded MM7 refusal is a final state; nobody answering is not one.
            assert sub.answer is Answer.UNREACHABLE
            assert sp.final_states() == {}
            assert not sp.all_final()
            assert [e["error"] is not None for e in sp.events.of("submitted")] == [True]
        finally:
            await stopped(sp)

    asyncio.run(scenario())


def test_sp_cuts_a_group_and_tracks_every_recipient(wait: Callable[..., Any]):
    async def scenario() -> None:
        trace = TraceRecorder()
        sp = ServiceProvider(trace, SP_HOST, config=SpConfig(max_recipients_per_submit=2))
        mmsc = MMSC(trace, "A", MMSC_HOST)
        mmsc.hold_reports = True
        await started(sp, mmsc)
        try:
            sp.targets = [mmsc.submit_url]
            numbers = [f"+86138000000{i:02d}" for i in range(5)]
            subs = await sp.submit_group(numbers)
            assert sorted(len(s.recipients) for s in subs) == [1, 2, 2]
            assert all(s.outcome is not None and s.outcome.ok for s in subs)
            assert sorted(len(r.recipients) for r in mmsc.received) == [1, 2, 2]
            assert sorted(n for r in mmsc.received for n in r.recipients) == numbers
            assert len({s.msgid1 for s in subs}) == 3
            assert len(sp.expected) == 5 and not sp.all_final()

            # The MMSC reports under its own MessageID: the SP sees reports it never asked for.
            mmsc.report_targets = [sp.report_url]
            await mmsc.release_reports()
            await wait(sp.events, lambda: len(sp.reports) == 5, "five reports")
            assert len(sp.unknown_reports()) == 5
            assert sp.reports_by_host() == {MMSC_HOST: 5}
            assert not sp.all_final()
        finally:
            await stopped(sp, mmsc)

    asyncio.run(scenario())


# --- MMSC -----------------------------------------------------------------------------


def gateway_submit(msgid2: str, recipients: list[str]) -> mm7.SubmitReq:
    return mm7.SubmitReq(
        transaction_id=msgid2,
        namespace=mm7.DEFAULT_NAMESPACE,
        vasp_id="mmsg",
        to=tuple(mm7.Address(r) for r in recipients),
        delivery_report=True,
        aux_applic_info=msgid2,
        parts=(mm7.ContentPart("text-1", "text/plain", b"x"),),
    )


@pytest.mark.parametrize("carrier", ["AuxApplicInfo", "TransactionID"])
def test_mmsc_echoes_msgid2_in_the_configured_carrier(carrier: str, wait: Callable[..., Any]):
    async def scenario() -> None:
        trace = TraceRecorder()
        mmsc = MMSC(trace, "A", MMSC_HOST, config=MmscConfig(msgid2_carrier=carrier))
        sp = ServiceProvider(trace, SP_HOST)  # stands in for the gateway's report endpoint
        client = MM7Client(Service("GW", GW_HOST), trace, CODEC)
        await started(mmsc, sp)
        try:
            mmsc.report_targets = [sp.report_url]
            out = await client.post(mmsc.submit_url, gateway_submit("180-ab12-00000001", [A1, A2]))
            assert out.ok
            (got,) = mmsc.received
            assert got.msgid2 == "180-ab12-00000001" and got.from_host == GW_HOST
            if carrier == "TransactionID":
                assert out.message.message_id == got.message_id == "180-ab12-00000001"
            else:
                assert out.message.message_id == got.message_id != got.msgid2
            await wait(sp.events, lambda: len(sp.reports) == 2, "two reports")
            assert {r.message_id for r in sp.reports} == {got.message_id}
            assert {r.recipient for r in sp.reports} == {A1, A2}
            report = mmsc.build_report(got.msgid2, A1, message_id=got.message_id)
            expected_aux = got.msgid2 if carrier == "AuxApplicInfo" else None
            assert report.aux_applic_info == expected_aux
        finally:
            await client.close()
            await stopped(mmsc, sp)

    asyncio.run(scenario())


def test_mmsc_refuses_a_gateway_without_the_right_credentials():
    async def scenario() -> None:
        trace = TraceRecorder()
        creds = Credentials("mmsg", "mmsg-secret")
        mmsc = MMSC(trace, "A", MMSC_HOST, config=MmscConfig(credentials=creds))
        mmsc.hold_reports = True
        client = MM7Client(Service("GW", GW_HOST), trace, CODEC)
        await started(mmsc)
        try:
            req = gateway_submit("180-ab12-00000001", [A1])
            for bad in (None, Credentials("mmsg", "wrong")):
                out = await client.post(mmsc.submit_url, req, credentials=bad)
                assert out.status == 4001
            assert mmsc.received == []
            assert (await client.post(mmsc.submit_url, req, credentials=creds)).ok
            assert len(mmsc.received) == 1
        finally:
            await client.close()
            await stopped(mmsc)

    asyncio.run(scenario())


def test_mmsc_report_fails_over_past_an_unreachable_server():
    async def scenario() -> None:
        trace = TraceRecorder()
        mmsc = MMSC(trace, "A", MMSC_HOST)
        mmsc.rng = NoShuffle()
        sp = ServiceProvider(trace, SP_HOST)
        gone = ServiceProvider(trace, GW_HOST, role="GONE")
        await started(mmsc, sp, gone)
        dead_url = gone.report_url
        await gone.stop()
        try:
            mmsc.report_targets = [dead_url, sp.report_url]
            result = await mmsc.send_report("180-ab12-00000001", A1)
            assert result.tried == [dead_url, sp.report_url]
            assert result.target == sp.report_url and result.outcome.ok
            assert len(sp.reports) == 1
        finally:
            await stopped(mmsc, sp)

    asyncio.run(scenario())


def test_mmsc_pinned_targets_win_and_an_empty_pool_is_an_error():
    async def scenario() -> None:
        trace = TraceRecorder()
        mmsc = MMSC(trace, "A", MMSC_HOST)
        sp = ServiceProvider(trace, SP_HOST)
        other = ServiceProvider(trace, GW_HOST, role="OTHER")
        await started(mmsc, sp, other)
        try:
            with pytest.raises(RuntimeError, match="no gateway"):
                await mmsc.send_report("180-ab12-00000001", A1)
            mmsc.report_targets = [other.report_url]
            mmsc.pinned_targets = [sp.report_url]
            for n in range(4):
                await mmsc.send_report(f"180-ab12-{n:08d}", A1)
            assert len(sp.reports) == 4 and other.reports == []
            mmsc.pinned_targets = None
            await mmsc.send_report("180-ab12-00000009", A1)
            assert len(other.reports) == 1
        finally:
            await stopped(mmsc, sp, other)

    asyncio.run(scenario())


def test_mmsc_withholds_reports_until_released(wait: Callable[..., Any]):
    async def scenario() -> None:
        trace = TraceRecorder()
        mmsc = MMSC(trace, "A", MMSC_HOST)
        sp = ServiceProvider(trace, SP_HOST)
        client = MM7Client(Service("GW", GW_HOST), trace, CODEC)
        await started(mmsc, sp)
        try:
            mmsc.report_targets = [sp.report_url]
            mmsc.hold_reports = True
            for n in range(2):
                req = gateway_submit(f"180-ab12-{n:08d}", [A1, A2])
                assert (await client.post(mmsc.submit_url, req)).ok
            # Nothing was scheduled: no report task exists to race with.
            assert mmsc._tasks == set() and mmsc.reports == []
            await mmsc.release_reports()
            assert mmsc.hold_reports is False
            assert len(mmsc.reports) == 4 and all(r.outcome.ok for r in mmsc.reports)
            assert len(sp.reports) == 4
            await mmsc.release_reports()  # nothing left: no second round
            assert len(mmsc.reports) == 4
            assert len(mmsc.events.of("report_sent")) == 4
        finally:
            await client.close()
            await stopped(mmsc, sp)

    asyncio.run(scenario())
