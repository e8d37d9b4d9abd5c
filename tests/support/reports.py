"""A sample run for the report writers: one scenario per verdict, one clause hole.

Built by hand rather than by running the suite so the report tests stay fast
and say exactly what the writers are given: ``make_run()`` (four scenarios,
one per verdict, the failed one with ``trace_events()``), ``make_outline_run()``
(outline rows sharing names, each an ``installed_row()``), ``make_big_failure()``
(a long failing trace with evidence), and ``event()`` for one MM7 message.
"""

from __future__ import annotations

import copy
import dataclasses

from mmsconf.emulators.trace import Endpoint, TraceEvent
from mmsconf.reports.model import (
    BarChart,
    Clause,
    MessageTable,
    Note,
    OffendingMessage,
    RunResult,
    ScenarioResult,
    StepResult,
)

T0 = 1_700_000_000.0

SP = Endpoint("SP", "127.0.0.10", 40001)
MMSG = Endpoint("MMSG-180", "127.0.1.80", 8080)
MMSG_OUT = Endpoint("MMSG-180", "127.0.1.80", 40022)
MMSC = Endpoint("MMSC", "127.0.2.1", 2525)
SP_LISTEN = Endpoint("SP", "127.0.0.10", 8081)

BINARY = bytes(range(256)) * 2  # an MMS PDU-like blob: mostly unprintable

SUBMIT = (
    b"POST /mm7 HTTP/1.1\r\n"
    b"Host: 127.0.1.80:8080\r\n"
    b"Authorization: Basic ********\r\n"
    b"Content-Type: text/xml; charset=utf-8\r\n\r\n"
    b"<env:Envelope><SubmitReq><MM7Version>6.8.0</MM7Version></SubmitReq></env:Envelope>"
)


def trace_events() -> list[TraceEvent]:
    """Five messages among three roles; SP → MMSG-180 is the first, so SP is column one."""
    specs = [
        (0.0000, SP, MMSG, "MM7", "SubmitReq MSGID1=sp-0001", SUBMIT),
        (0.0123, MMSG_OUT, MMSC, "MM4", "MM4_forward.REQ MSGID2=180-000001", BINARY),
        (0.0301, MMSC, MMSG_OUT, "MM4", "MM4_forward.RES 2000 Ok", b"250 2.0.0 Ok\r\n"),
        (0.0402, MMSG, SP, "MM7", "SubmitRsp 1000 Success", b"HTTP/1.1 200 OK\r\n\r\n<ok/>"),
        (0.0850, MMSC, SP_LISTEN, "MM7", "DeliveryReportReq status=Rejected", b"<dr/>"),
    ]
    return [
        TraceEvent(
            seq=n,
            time=T0 + 1 + dt,
            src=src,
            dst=dst,
            protocol=proto,
            transport="tcp",
            summary=summary,
            raw=raw,
        )
        for n, (dt, src, dst, proto, summary, raw) in enumerate(specs, 1)
    ]


def make_run() -> RunResult:
    rr = "report_routing/basic.feature"
    passed = ScenarioResult(
        nodeid="features/report_routing/basic.feature::test_submit_is_accepted",
        feature_name="Delivery reports find their way back",
        feature_file=rr,
        feature_description="The MMSG routes reports by MSGID2.",
        name="Submit is accepted <and> answered",
        line=8,
        area="report_routing",
        clauses=["RR-1"],
        tags=["report_routing", "RR-1"],
        verdict="passed",
        steps=[
            StepResult("Given", "the SP is provisioned", 9, "passed", 0.0012),
            StepResult("When", "the SP submits a message", 10, "passed", 0.0203),
            StepResult("Then", "the SP gets a success response", 11, "passed", 0.0009),
        ],
        duration_s=0.031,
        started=T0,
        log=["seed=42", "<script>alert(1)</script>"],
    )
    failed = ScenarioResult(
        nodeid="features/report_routing/basic.feature::test_report_goes_to_issuer[180]",
        feature_name="Delivery reports find their way back",
        feature_file=rr,
        feature_description="The MMSG routes reports by MSGID2.",
        name="A delivery report returns to the issuing server",
        line=15,
        area="report_routing",
        clauses=["RR-1", "RR-2"],
        tags=["report_routing", "RR-2"],
        verdict="failed",
        reason="report for MSGID2=180-000001 was not forwarded to MMSG-180",
        failed_clause="RR-2",
        expected="DeliveryReportReq to SP with MSGID1=sp-0001",
        seen="DeliveryReportReq to SP with MSGID1=sp-9999",
        steps=[
            StepResult("Given", "MMSG servers 180 and 181", 16, "passed", 0.002),
            StepResult("When", "the MMSC reports to server 181", 17, "passed", 0.050),
            StepResult("Then", "the SP gets the report for MSGID1", 18, "failed", 0.5, "boom"),
            StepResult("And", "the control record is removed", 19, "skipped"),
        ],
        duration_s=0.552,
        started=T0 + 1,
        trace=trace_events(),
        log=["measured: 1 report"],
    )
    skipped = ScenarioResult(
        nodeid="features/bearer_choice/sip.feature::test_sip_push_when_registered",
        feature_name="Pick a bearer the client can receive on",
        feature_file="bearer_choice/sip.feature",
        feature_description="",
        name="SIP push when the handset is registered",
        line=5,
        area="bearer_choice",
        clauses=["BC-1"],
        tags=["@bearer_choice", "@BC-1"],
        verdict="skipped",
        reason="SUT does not claim PICS bearer_choice.sip_push",
        # The skip fired inside the second step; the first had run.
        steps=[
            StepResult("Given", "a presence server", 6, "passed", 0.001),
            StepResult("When", "the PI pushes", 7, "skipped"),
        ],
        duration_s=0.002,
        started=T0 + 2,
    )
    error = ScenarioResult(
        nodeid="features/gateway_selection/pick.feature::test_least_loaded",
        feature_name="The DNS picks the healthiest gateway",
        feature_file="gateway_selection/pick.feature",
        feature_description="",
        name="The least loaded gateway is picked",
        line=12,
        area="gateway_selection",
        clauses=["GS-1"],
        tags=["gateway_selection", "GS-1"],
        verdict="error",
        reason="ConnectionRefusedError: MMSG B did not start",
        steps=[
            StepResult("Given", "three gateways", 13, "passed", 0.004),
            StepResult("When", "gateway B reports load 10", 14, "skipped", 0.0, "refused"),
            StepResult("Then", "the VAS is given gateway B", 15, "skipped"),
        ],
        duration_s=1.25,
        started=T0 + 3,
        log=["\x00stray control byte"],
    )
    clauses = [
        Clause("gateway_selection", "GS-1", "Answer with the least loaded healthy gateway"),
        Clause("report_routing", "RR-1", "A submission is answered", "SubmitRsp"),
        Clause("report_routing", "RR-2", "Reports return to the issuing server"),
        Clause("disaster_recovery", "DR-1", "No failed submission while an MMSC is down"),
        Clause("bearer_choice", "BC-1", "Push once on a bearer the client can receive"),
    ]
    return RunResult(
        started=T0,
        finished=T0 + 4.5,
        profile_name="embedded-default",
        profile_path="fixtures/profiles/default.toml",
        seed=42,
        scenarios=[passed, failed, skipped, error],
        clauses=clauses,
        tool_version="0.1.0",
    )


def event(
    seq: int, dt: float, src: Endpoint, dst: Endpoint, summary: str, *, stray: bool = False
) -> TraceEvent:
    """One MM7 message; ``stray`` marks it as not belonging to the scenario."""
    e = TraceEvent(seq, T0 + dt, src, dst, "MM7", "tcp", summary, summary.encode())
    if not stray:
        return e
    if any(f.name == "stray" for f in dataclasses.fields(TraceEvent)):
        return dataclasses.replace(e, stray=True)  # type: ignore[call-arg]
    # Until the recorder has the field, the report reads it with getattr.
    object.__setattr__(e, "stray", True)
    return e


#: Where a tox run installs the suite: its node ids carry this path.
SITE_PACKAGES = (
    "../../.tox/conformance/lib/python3.12/site-packages/mmsconf/features/test_conformance.py"
)


def installed_row(
    base: ScenarioResult, feature_file: str, name: str, test: str, example: dict[str, str]
) -> ScenarioResult:
    """A copy of ``base`` as a tox-installed run reports it: its node id under
    SITE_PACKAGES, with an outline row's values in brackets as pytest ids it."""
    s = copy.deepcopy(base)
    s.name, s.feature_file = name, feature_file
    s.nodeid = f"{SITE_PACKAGES}::{test}" + (f"[{'-'.join(example.values())}]" if example else "")
    if example:
        s.example = example
    return s


def make_outline_run() -> RunResult:
    """Outline rows that share a name, a name shared by two files, and a twin row."""
    base = make_run().scenarios[0]
    base.trace = trace_events()  # so each gets a pcap named after its id
    submission = "report_routing/submission.feature"
    one_back = "One submission comes back as one delivery report carrying MSGID1"
    fails = "An SP that fails authentication gets a failure response"
    rows = [
        (submission, one_back, "test_one_submission_comes_back", {"state": state})
        for state in ("Retrieved", "Rejected", "Expired", "Rejected")
    ]
    rows += [
        (submission, fails, "test_an_sp_that_fails", {"problem": problem})
        for problem in ("a wrong password", "no credentials")
    ]
    rows += [
        (f"{folder}/plain.feature", "Plain scenario", "test_plain_scenario", {})
        for folder in ("report_routing", "vendor")
    ]
    run = make_run()
    run.scenarios = [installed_row(base, *row) for row in rows]
    return run


def make_big_failure(messages: int = 1742) -> ScenarioResult:
    """A failing load scenario of many messages, its evidence far down the trace."""
    sp, mmsg, mmsg2 = SP, MMSG, Endpoint("MMSG-181", "127.0.1.81", 8080)
    trace = [
        event(n, n / 1000, sp, mmsg if n % 2 else mmsg2, f"SubmitReq MSGID1=sp-{n:04d}")
        for n in range(1, messages + 1)
    ]
    if messages >= 1601:
        trace[1499] = event(1500, 1.5, MMSC, SP_LISTEN, "DeliveryReportReq MSGID1=sp-0007 (twice)")
        trace[1600] = event(1601, 1.6, MMSC, SP_LISTEN, "DeliveryReportReq from run 1", stray=True)
    return ScenarioResult(
        nodeid=f"{SITE_PACKAGES}::test_a_group_message_spreads_evenly",
        feature_name="Report routing - load",
        feature_file="report_routing/load.feature",
        feature_description="",
        name="A group message spreads evenly over the farm",
        line=14,
        area="report_routing",
        clauses=["RR-1"],
        tags=["report_routing", "RR-1"],
        verdict="failed",
        reason="per-server load max/mean 2.0 > 1.2",
        failed_clause="RR-1",
        expected="max/mean <= 1.2",
        seen="max/mean 2.0 (180: 360, 181: 0)",
        duration_s=2.0,
        started=T0,
        trace=trace,
        evidence=[
            BarChart("Per-server load", {180: 360, 181: 0}, "submissions", 180, "mean"),
            MessageTable(
                "Offending messages",
                [
                    OffendingMessage(1500, "second report for sp-0007"),
                    OffendingMessage(1601, "counted although stray"),
                    OffendingMessage(99999, "a seq the trace lacks"),
                ],
            ),
            Note("Server 181 took <nothing>: its range 50-99 matched no number."),
        ],
    )
