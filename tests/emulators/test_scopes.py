"""The harness's roles tell a scenario's messages from strays, judge every answer,
and time a request from when it is sent; the farm can lose a server again.

Real sockets, short timers; each test drives its emulators with asyncio.run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import MM7Client, Outcome
from mmsconf.emulators.mmsc import MMSC
from mmsconf.emulators.scopes import content_text, make_msgid1, msgid1_in, subject_with, tag_of
from mmsconf.emulators.service import Service
from mmsconf.emulators.sp import Answer, ServiceProvider, SpConfig, judge_answer
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.areas.report_routing.control import ControlClient, control_app, reconcile

SP_HOST, MMSC_HOST, GW_HOST = "127.0.51.1", "127.0.51.2", "127.0.51.3"
CODEC = mm7.CodecConfig(namespace=mm7.DEFAULT_NAMESPACE, mode=mm7.Mode.LENIENT)


def test_msgid1_names_its_scope_and_the_content_names_msgid1() -> None:
    msgid1 = make_msgid1("sp-x", "k3x9a007", 42)
    assert msgid1 == "sp-x-k3x9a007-000042" and tag_of(msgid1) == "k3x9a007"
    assert tag_of("180-ab12-00000001") is None and tag_of(None) is None
    req = mm7.SubmitReq(
        "T1",
        subject=subject_with("hello", msgid1),
        parts=(mm7.ContentPart("t", "text/plain", content_text(msgid1).encode()),),
    )
    assert msgid1_in(req) == msgid1
    # A gateway that drops the content still passes the subject on.
    assert msgid1_in(mm7.SubmitReq("T2", subject=subject_with("x", msgid1))) == msgid1
    assert msgid1_in(mm7.SubmitReq("T3", subject="no id here")) is None


@pytest.mark.parametrize(
    ("outcome", "answer", "words"),
    [
        (Outcome("u", 200, mm7.SubmitRsp("T", message_id="M")), Answer.ACCEPTED, "1000"),
        (
            Outcome(
                "u", 500, mm7.SoapFault("T", detail=mm7.RSErrorRsp("T", status=mm7.Status.of(4001)))
            ),
            Answer.REFUSED,
            "4001",
        ),
        (Outcome("u", 200, mm7.DeliveryReportRsp("T")), Answer.ABANDONED, "where a SubmitRsp"),
        (Outcome("u", 200, error="undecodable: text/html"), Answer.ABANDONED, "not MM7"),
        (Outcome("u", error="timeout after 10 ms"), Answer.ABANDONED, "no answer within 10 ms"),
        (Outcome("u", error="disconnected: closed"), Answer.ABANDONED, "closed without"),
        (Outcome("u", error="unreachable: refused"), Answer.UNREACHABLE, "refused"),
        (None, Answer.UNSENT, "not sent"),
    ],
)
def test_every_answer_is_judged(outcome: Outcome | None, answer: Answer, words: str) -> None:
    got, why = judge_answer(outcome, mm7.SubmitRsp, 10)
    assert got is answer and words in why


def test_the_sp_counts_its_scenarios_reports_and_marks_others_stray(wait: Callable[..., Any]):
    async def scenario() -> None:
        trace = TraceRecorder()
        sp = ServiceProvider(trace, SP_HOST)
        client = MM7Client(Service("GW", GW_HOST), trace, CODEC)
        await sp.start()
        try:
            sp.scope = "run02002"
            mine, earlier = make_msgid1("sp001", "run02002", 1), make_msgid1("sp001", "run02001", 1)
            for message_id in (mine, earlier, "180-ab12-00000001"):
                report = mm7.DeliveryReportReq(
                    "D",
                    message_id=message_id,
                    recipient=mm7.Address("+8613800000001"),
                    sender=mm7.Address("10658000", "ShortCode"),
                    date="2024-05-01T10:00:00Z",
                )
                out = await client.post(sp.report_url, report)
                assert out.status == 1000  # answered as MM7 says, whoever it belongs to
            assert [r.message_id for r in sp.reports_in("run02002")] == [mine]
            assert [r.stray for r in sp.reports] == [False, True, True]
            assert [r.scope for r in sp.reports] == ["run02002", "run02001", None]
            requests = [e for e in trace.events() if e.summary.startswith("DeliveryReportReq")]
            assert [e.stray for e in requests] == [False, True, True]
        finally:
            await client.close()
            await sp.stop()

    asyncio.run(scenario())


def test_the_mmsc_reports_a_stray_submission_as_the_protocol_says(wait: Callable[..., Any]):
    """Hold and per-recipient states are the running scenario's: another's message is
    reported at once, with the plain state."""

    async def scenario() -> None:
        trace = TraceRecorder()
        mmsc = MMSC(trace, "A", MMSC_HOST)
        sp = ServiceProvider(trace, SP_HOST)  # stands in for the gateway's report endpoint
        client = MM7Client(Service("GW", GW_HOST), trace, CODEC)
        await mmsc.start()
        await sp.start()
        try:
            mmsc.report_targets = [sp.report_url]
            mmsc.scope, mmsc.hold_reports, mmsc.states_in_turn = "run02002", True, ["Rejected"]
            for tag in ("run02002", "run02001"):
                msgid1 = make_msgid1("sp001", tag, 1)
                req = mm7.SubmitReq(
                    f"T{tag}",
                    to=(mm7.Address("+8613800000001"),),
                    aux_applic_info=f"180-ab12-{tag}",
                    parts=(mm7.ContentPart("t", "text/plain", content_text(msgid1).encode()),),
                )
                assert (await client.post(mmsc.submit_url, req)).ok
            assert [(r.scope, r.stray) for r in mmsc.received] == [
                ("run02002", False),
                ("run02001", True),
            ]
            await wait(sp.events, lambda: len(sp.reports) == 1, "the stray's report")
            assert sp.reports[0].mm_status == "Retrieved"  # not the scenario's "Rejected"
            assert len(mmsc._withheld) == 1  # the scenario's own is held, as it asked
            mmsc.reset_knobs("Retrieved")
            assert mmsc._withheld == [] and mmsc.states_in_turn is None and not mmsc.hold_reports
        finally:
            await client.close()
            await sp.stop()
            await mmsc.stop()

    asyncio.run(scenario())


def test_a_request_is_timed_from_when_it_is_sent_not_while_it_waits(echo: Callable[..., Any]):
    """One connection, a server answering in 150 ms, a 400 ms timer: three submissions
    take 450 ms in all, and each is answered in time."""

    async def scenario() -> None:
        trace = TraceRecorder()
        server = echo(trace)
        server.faults.slow_ms = 150
        config = SpConfig(request_timeout_ms=400, max_connections=1)
        sp = ServiceProvider(trace, SP_HOST, config=config)
        await server.start()
        await sp.start()
        try:
            sp.targets = [server.url]
            subs = await sp.submit_batch([["+8613800000001"]] * 3)
            # Queued behind each other for up to 300 ms, yet none ran out of its 400 ms.
            assert [s.answer for s in subs] == [Answer.ACCEPTED] * 3, [s.why for s in subs]
            assert all(s.outcome is not None and s.outcome.elapsed_ms < 400 for s in subs)
        finally:
            await sp.stop()
            await server.stop()

    asyncio.run(scenario())


def test_a_lost_answer_makes_the_mmsc_send_the_same_report_again(instrument, wait):
    async def scenario() -> None:
        trace = TraceRecorder()
        mmsc = MMSC(trace, "A", MMSC_HOST)
        sp = ServiceProvider(trace, SP_HOST)
        await mmsc.start()
        await sp.start()
        try:
            mmsc.report_targets = [sp.report_url]
            mmsc.resend_lost_answers = True
            result = await mmsc.send_report("180-ab12-00000001", "+8613800000001")
            assert [url for url, _ in result.attempts] == [sp.report_url] * 2
            tids = [e.raw for e in trace.events() if e.summary.startswith("DeliveryReportReq")]
            assert len(tids) == 2 and tids[0] == tids[1]  # the very same report
            again = await mmsc.send_again("180-ab12-00000001", "+8613800000001", sp.report_url)
            assert again.transaction_id == result.transaction_id
        finally:
            await sp.stop()
            await mmsc.stop()

    asyncio.run(scenario())


def test_the_control_api_removes_a_server_and_reconcile_restores_the_farm(net, profile) -> None:
    """DELETE /farm/servers/{module} and the harness's reconcile() against a real farm."""
    import threading

    from aiohttp import web

    from mmsconf.emulators.ports import listen_port

    port = listen_port("127.0.0.1")
    ready, done = threading.Event(), threading.Event()
    box: dict[str, Any] = {}

    async def serve() -> None:
        async with net(profile()) as rr:
            runner = web.AppRunner(control_app(rr.farm), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            box["loop"] = asyncio.get_running_loop()
            box["stop"] = asyncio.Event()
            ready.set()
            await box["stop"].wait()
            await runner.cleanup()
        done.set()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        control = ControlClient(f"http://127.0.0.1:{port}")
        control.add(182)
        control.down(180)
        assert {m: s["listening"] for m, s in control.state().items()} == {
            180: False,
            181: True,
            182: True,
        }
        assert reconcile(control, [180, 181], {182}) == [
            "removed server 182",
            "brought server 180 back",
        ]
        assert {m: s["listening"] for m, s in control.state().items()} == {180: True, 181: True}
        assert reconcile(control, [180, 181], {182}) == []  # nothing left to undo
        with pytest.raises(Exception, match="HTTP 404"):
            control.remove(182)
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        assert done.wait(10)
