"""Steps for report routing. Thin: they act through the area's driver and judge
what the harness's own roles (the SP and the MMSCs) saw on the wire. The driver
is their only way to the emulators: it runs every change on the emulator loop
and hands back snapshots of the running scenario's own messages, so nothing
here touches an emulator directly and no stray is ever counted.

Each check names the clause whose part it checks (shared/CLAUSES.md); where a
message did not reach its final state, the driver's judge names the hop that
failed (see fixtures/areas/report_routing/judge.py).
"""

from __future__ import annotations

from collections import Counter

from pytest_bdd import given, parsers, then, when

from mmsconf.emulators.mm7_http import Credentials
from mmsconf.emulators.sp import Answer
from mmsconf.fixtures.areas.report_routing.driver import ReportRoutingDriver
from mmsconf.fixtures.verdicts import BarChart, HarnessError, check
from mmsconf.steps.common import number_list

# --- Given ----------------------------------------------------------------------


@given("the report-routing network from the SUT profile", target_fixture="rr")
def rr_network(report_routing: ReportRoutingDriver) -> ReportRoutingDriver:
    return report_routing


@given(parsers.parse('the MMSCs report the state "{state}"'))
def mmscs_report_state(rr: ReportRoutingDriver, state: str) -> None:
    """state: an MMStatus, e.g. Retrieved, Rejected, Expired, Indeterminate"""
    rr.set_report_status(state)


@given(parsers.parse('the MMSCs report the states "{states}" to the recipients of a message'))
def mmscs_report_states_in_turn(rr: ReportRoutingDriver, states: str) -> None:
    """states: MMStatus values, one per recipient in order, e.g. "Retrieved, Rejected\""""
    rr.set_states_in_turn(number_list(states))


@given(parsers.parse("the MMSCs send every delivery report to MMSG server {module:d}"))
def mmscs_pin_reports(rr: ReportRoutingDriver, module: int) -> None:
    rr.pin_reports(module)


@given("the MMSCs hold their delivery reports")
def mmscs_hold(rr: ReportRoutingDriver) -> None:
    rr.hold_reports(True)


@given("the MMSCs lose the answer to each delivery report and send it again")
def mmscs_resend(rr: ReportRoutingDriver) -> None:
    """Each report goes to a server twice: the first answer is ignored, as if lost."""
    rr.resend_lost_answers(True)


# --- When -------------------------------------------------------------------------


@when(parsers.parse('the SP submits a message to "{numbers}"'))
def sp_submits(rr: ReportRoutingDriver, numbers: str) -> None:
    rr.submit(number_list(numbers))


@when(parsers.parse('the SP submits a message to "{numbers}" through MMSG server {module:d}'))
def sp_submits_through(rr: ReportRoutingDriver, numbers: str, module: int) -> None:
    rr.submit(number_list(numbers), module=module)


@when(
    parsers.parse(
        'the SP submits a message with priority "{priority}" through each server of the farm'
    )
)
def sp_submits_through_each(rr: ReportRoutingDriver, priority: str) -> None:
    """priority: High, Normal or Low"""
    rr.submit_through_each_server(f"+86138{rr.block:03d}00031", priority)


_AUTH_PROBLEMS = {
    "a wrong password": lambda rr: {
        "credentials": Credentials(
            rr.sp_credentials.username, rr.sp_credentials.password + "-wrong"
        )
    },
    "an unknown VASPID": lambda rr: {"vasp_id": "unknown-sp"},
    "no credentials": lambda rr: {"send_credentials": False},
    "an unconfigured address": lambda rr: {"source_host": _unconfigured_host(rr.sp_host)},
}


def _unconfigured_host(host: str) -> str:
    a, b, c, _ = host.split(".")
    return f"{a}.{b}.{c}.99"


@when(parsers.parse('the SP submits a message to "{numbers}" with {problem}'))
def sp_submits_badly(rr: ReportRoutingDriver, numbers: str, problem: str) -> None:
    """problem: a wrong password | an unknown VASPID | no credentials | an unconfigured address"""
    if problem not in _AUTH_PROBLEMS:
        raise HarnessError(
            f"unknown authentication problem {problem!r}; known: {sorted(_AUTH_PROBLEMS)}"
        )
    rr.submit(number_list(numbers), **_AUTH_PROBLEMS[problem](rr))


@when(
    parsers.parse("the SP submits {count:d} messages of one recipient each, spread over the farm")
)
@when(
    parsers.parse(
        "the SP submits {count:d} messages of one recipient each at once, spread over the farm"
    )
)
def sp_submits_many(rr: ReportRoutingDriver, count: int) -> None:
    # The scenario's block keeps its numbers its own; the two prefixes alternate so both
    # MMSCs take part, and the last digits run through every value.
    rr.submit_many(count, lambda i: f"+8613{8 + i % 2}{rr.block:03d}{i:05d}")


@when(
    parsers.parse(
        'the SP sends a group message to {count:d} recipients whose numbers all end in "{suffix}"'
    )
)
def sp_group_same_suffix(rr: ReportRoutingDriver, count: int, suffix: str) -> None:
    numbers = [f"+8613{8 + i % 2}{rr.block:03d}{i:03d}{suffix}" for i in range(count)]
    rr.submit_group(numbers)


@when(parsers.parse("MMSG server {module:d} joins the farm"))
def server_joins(rr: ReportRoutingDriver, module: int) -> None:
    rr.add_server(module)


@when(parsers.parse("MMSG server {module:d} goes down"))
def server_down(rr: ReportRoutingDriver, module: int) -> None:
    rr.server_down(module)


@when(parsers.parse("MMSG server {module:d} comes back"))
def server_up(rr: ReportRoutingDriver, module: int) -> None:
    rr.server_up(module)


@when("the MMSCs release their delivery reports")
def mmscs_release(rr: ReportRoutingDriver) -> None:
    rr.release_reports()


@when(
    parsers.parse(
        'MMSC {name} sends MMSG server {module:d} a delivery report for MSGID2 "{msgid2}"'
    )
)
def mmsc_injects_report(rr: ReportRoutingDriver, name: str, module: int, msgid2: str) -> None:
    rr.inject_report(name, module, msgid2, f"+86138{rr.block:03d}00099")


@when(
    parsers.parse(
        "MMSC {name} sends that delivery report again, unchanged, to MMSG server {module:d}"
    )
)
def mmsc_sends_again(rr: ReportRoutingDriver, name: str, module: int) -> None:
    rr.send_report_again(name, module)


@when(
    parsers.parse(
        'MMSC {name} delivers a message from "{sender}" to the SP\'s short code'
        " through MMSG server {module:d}"
    )
)
def mmsc_delivers_mo(rr: ReportRoutingDriver, name: str, sender: str, module: int) -> None:
    rr.deliver_mo(name, sender, module)


@when(parsers.parse("the SP {kind} that message through MMSG server {module:d}"))
def sp_changes(rr: ReportRoutingDriver, kind: str, module: int) -> None:
    """kind: cancels | replaces the content of"""
    kinds = {"cancels": "cancel", "replaces the content of": "replace"}
    if kind not in kinds:
        raise HarnessError(f"unknown change {kind!r}; known: {sorted(kinds)}")
    _forwarded(rr)
    rr.change(kinds[kind], module)


# --- Then -------------------------------------------------------------------------------


@then(parsers.parse("the SP gets a SubmitRsp with status {code:d} and its MSGID1"))
def sp_got_submit_rsp(rr: ReportRoutingDriver, code: int) -> None:
    for sub in rr.last:
        out = sub.outcome
        message_id = getattr(out.message, "message_id", None) if out is not None else None
        seen = f"{sub.why}, MessageID {message_id!r} (from {sub.target})"
        check(
            sub.answer is Answer.ACCEPTED and out is not None and out.status == code,
            "rr_auth",
            f"a SubmitRsp with status {code}",
            seen,
        )
        check(
            message_id == sub.msgid1,
            "rr_auth",
            f"the success response carries MSGID1 {sub.msgid1!r} as its MessageID",
            seen,
        )


def _forwarded(rr: ReportRoutingDriver) -> None:
    """Wait until the MMSCs got the last submissions (a gateway may answer the SP first)."""
    if not rr.wait_forwarded({s.msgid1 for s in rr.last}):
        problem = rr.missing_final("recipients of the submission")
        if problem is not None and problem.clause == "rr_msgid2":
            raise problem


@then(parsers.parse("MMSC {name} receives one submission carrying an MSGID2"))
def mmsc_got_one(rr: ReportRoutingDriver, name: str) -> None:
    _forwarded(rr)
    msgid1 = rr.last[-1].msgid1
    got = [r for r in rr.mmsc_received(name) if r.msgid1 == msgid1]
    check(len(got) == 1, "rr_msgid2", f"one SubmitReq for {msgid1} at MMSC {name}", f"{len(got)}")
    check(bool(got[0].msgid2), "rr_msgid2", "an MSGID2 in the SubmitReq", f"{got[0].msgid2!r}")


@then(parsers.parse('MMSC {name} receives the recipients "{numbers}"'))
def mmsc_got_recipients(rr: ReportRoutingDriver, name: str, numbers: str) -> None:
    _forwarded(rr)
    got = sorted(r for s in rr.mmsc_received(name) for r in s.recipients)
    want = sorted(number_list(numbers))
    check(got == want, "rr_msgid2", f"MMSC {name} gets {want}", f"{got}")


@then("every submission the MMSCs received carries a distinct MSGID2")
def distinct_msgid2(rr: ReportRoutingDriver) -> None:
    _forwarded(rr)
    ids = [s.msgid2 for s in rr.mmsc_submissions()]
    dup = [i for i, n in Counter(ids).items() if n > 1]
    reused = sorted(set(ids) & rr.msgid2s_before())
    check(
        all(ids) and not dup and not reused,
        "rr_msgid2",
        "a distinct, non-empty MSGID2 per SubmitReq, unique in the farm for the whole run",
        f"{len(ids)} SubmitReqs; repeated within the scenario: {dup[:5]}; "
        f"already used earlier in the run: {reused[:5]}",
    )


@then(
    parsers.parse("MMSC {name} receives each message with the SP's subject, content and priority")
)
def mmsc_got_content(rr: ReportRoutingDriver, name: str) -> None:
    _forwarded(rr)
    got = {r.msgid1: r for r in rr.mmsc_received(name)}
    for sub in rr.last:
        r = got.get(sub.msgid1)
        check(r is not None, "rr_msgid2", f"a SubmitReq for {sub.msgid1} at MMSC {name}", "none")
        assert r is not None
        sent = (sub.subject, sub.content, sub.priority)
        check(
            (r.subject, r.content, r.priority) == sent,
            "rr_msgid1",
            f"the message as the SP submitted it through {sub.target}: subject, content, "
            f"priority {sent}",
            f"{(r.subject, r.content, r.priority)}",
        )


def _reports_for_last(rr: ReportRoutingDriver) -> None:
    """Wait for one report per recipient of the last message; name the failed hop if not."""
    sub = rr.last[-1]
    n = rr.wait_reports(sub.msgid1, len(sub.recipients), rr.pixit.report_timeout_ms)
    if n < len(sub.recipients):
        problem = rr.missing_final("recipients of the message")
        if problem is not None:
            raise problem


def _exactly_once(rr: ReportRoutingDriver) -> None:
    """Nothing more within settle_ms; later repeats are judged at the end of the run."""
    rr.quiet(rr.pixit.settle_ms)
    problem = rr.duplicate_reports()
    rr.judged()
    if problem is not None:
        raise problem


@then(
    parsers.parse(
        "the SP receives exactly one delivery report for that message"
        ' with its MSGID1 and the state "{state}"'
    )
)
def sp_got_one_report(rr: ReportRoutingDriver, state: str) -> None:
    sub = rr.last[-1]
    _reports_for_last(rr)
    _exactly_once(rr)
    reports = rr.sp_reports(sub.msgid1)
    check(
        all(r.mm_status == state for r in reports),
        "rr_dr_to_sp",
        f"MMStatus {state}, as the MMSC reported it",
        f"{[r.mm_status for r in reports]}",
    )


@then(parsers.parse('the SP receives each recipient of that message with its own state "{states}"'))
def sp_got_own_states(rr: ReportRoutingDriver, states: str) -> None:
    sub = rr.last[-1]
    want = dict(zip(sub.recipients, number_list(states), strict=False))
    _reports_for_last(rr)
    got: dict[str, list[str]] = {}
    for r in rr.sp_reports(sub.msgid1):
        got.setdefault(r.recipient, []).append(r.mm_status)
    check(
        sorted(got) == sorted(want) and all(len(v) == 1 for v in got.values()),
        "rr_control",
        f"one report per destination of {sub.msgid1}: {sorted(want)}",
        f"reports per recipient {got}",
    )
    check(
        {r: v[0] for r, v in got.items()} == want,
        "rr_control",
        f"each destination's own state {want}",
        f"{got}",
    )
    _exactly_once(rr)


@then(parsers.parse("that delivery report came to the SP from MMSG server {module:d}"))
def report_came_from(rr: ReportRoutingDriver, module: int) -> None:
    sub = rr.last[-1]
    hosts = [r.from_host for r in rr.sp_reports(sub.msgid1)]
    want = rr.host_of(module)
    check(
        hosts == [want],
        "rr_dr_to_sp",
        f"the report from the issuing server {module} ({want})",
        f"{hosts}",
    )


@then("the SP receives no further delivery report for that message")
def no_further_report(rr: ReportRoutingDriver) -> None:
    _exactly_once(rr)


@then("every recipient reaches a final state at the SP exactly once")
def all_final_once(rr: ReportRoutingDriver, mmsconf_note) -> None:
    rr.wait_all_final()
    problem = rr.missing_final()
    if problem is not None:
        raise problem
    _exactly_once(rr)
    finals = rr.final_states()
    states = Counter(finals.values())
    mmsconf_note(f"final states at the SP: {dict(states)} over {len(finals)} recipients")


@then("the SP gets an MM7 authentication failure")
def sp_auth_failure(rr: ReportRoutingDriver) -> None:
    sub = rr.last[-1]
    out = sub.outcome
    allowed = rr.pixit.auth_failure_status
    check(
        sub.answer is Answer.REFUSED and out is not None and out.status in allowed,
        "rr_auth",
        f"an MM7 failure with a status in {allowed}",
        f"{sub.why} (HTTP {out.http_status if out else None})",
    )


@then("no submission reaches any MMSC")
def nothing_forwarded(rr: ReportRoutingDriver) -> None:
    sub = rr.last[-1]
    # A report for it, whenever it comes, fails rr_auth too: the flow ended.
    rr.forbid_reports(sub, "rr_auth")
    rr.quiet(rr.pixit.settle_ms)
    rr.judged()
    got = rr.mmsc_submissions()
    check(
        not got,
        "rr_auth",
        "no SubmitReq at any MMSC",
        f"{len(got)} from {[g.from_host for g in got]}",
    )


@then("the MMSCs sent delivery reports to every server of the farm")
def reports_hit_every_server(rr: ReportRoutingDriver, mmsconf_note) -> None:
    took = Counter(
        url
        for result in rr.mmsc_report_results()
        for url, outcome in result.attempts
        if outcome.ok and type(outcome.message).__name__ == "DeliveryReportRsp"
    )
    tried = Counter(url for r in rr.mmsc_report_results() for url, _ in r.attempts)
    urls = rr.report_urls()
    counts = {f"MMSG-{rr.module_of_url(u)}": took.get(u, 0) for u in urls}
    mmsconf_note(f"delivery reports each farm server took: {counts} (tried: {dict(tried)})")
    check(
        all(took.get(u, 0) > 0 for u in urls),
        "rr_dr_any_server",
        "every server of the farm takes the delivery reports sent to it",
        f"reports taken (MM7 1000) per server {counts}; sent per server {dict(tried)}",
        evidence=[BarChart("Delivery reports each server took", counts, "reports")],
    )


@then(parsers.parse("MMSC {name} gets the MM7 status {code:d} for that report"))
def mmsc_report_status(rr: ReportRoutingDriver, name: str, code: int) -> None:
    timeout = rr.pixit.report_timeout_ms
    sent = rr.wait_mmsc_reports(name, 1, timeout)
    check(sent, "rr_dr_forward", f"an answer to MMSC {name}'s report within {timeout} ms", "none")
    result = rr.mmsc_reports(name)[-1]
    answer, why = rr.judge_report_answer(result)
    check(
        answer in (Answer.ACCEPTED, Answer.REFUSED) and result.outcome.status == code,
        "rr_dr_forward",
        f"MM7 status {code} for the report",
        f"{why} from {result.target}",
        evidence=rr.report_exchange(name, result),
    )


@then(
    parsers.parse(
        "a message the SP submits next to MMSG server {module:d} reaches a final state exactly once"
    )
)
def next_message_ok(rr: ReportRoutingDriver, module: int) -> None:
    sub = rr.submit([f"+86138{rr.block:03d}00042"], module=module)
    check(
        sub.answer is Answer.ACCEPTED,
        "rr_dr_forward",
        "the server still takes submissions",
        sub.why,
    )
    all_final_once(rr, lambda _line: None)


@then("the SP has no delivery report for that message yet")
def no_report_yet(rr: ReportRoutingDriver) -> None:
    sub = rr.last[-1]
    got = rr.sp_reports(sub.msgid1)
    check(not got, "rr_dr_forward", "no report while the issuing server is down", f"{len(got)}")


@then("the SP receives no delivery report for that message within the report expiry")
def none_within_expiry(rr: ReportRoutingDriver) -> None:
    sub = rr.last[-1]
    # Dead-lettered for good: a report for it, even after the scenario, fails rr_dr_forward.
    rr.forbid_reports(sub, "rr_dr_forward")
    wait = rr.pixit.report_expiry_ms + 2 * rr.pixit.report_retry_max_ms
    n = rr.wait_reports(sub.msgid1, 1, wait)
    check(n == 0, "rr_dr_forward", "no report while the issuing server stays down", f"{n}")


@then("the SP still has no delivery report for that message after the retry interval")
def none_after_retry(rr: ReportRoutingDriver) -> None:
    sub = rr.last[-1]
    n = rr.wait_reports(sub.msgid1, 1, 3 * rr.pixit.report_retry_max_ms)
    rr.judged()
    check(n == 0, "rr_dr_forward", "an expired report is dead-lettered, not delivered late", f"{n}")


@then("the per-server load max/mean is within the profile's ratio")
def load_is_even(rr: ReportRoutingDriver, mmsconf_note) -> None:
    load = rr.per_server_load()
    mean = sum(load.values()) / len(load)
    ratio = max(load.values()) / mean if mean else float("inf")
    limit = rr.pixit.max_load_ratio
    mmsconf_note(
        f"per-server load (MM7 requests sent to the harness): {dict(load)}; max/mean {ratio:.3f}"
    )
    chart = BarChart(
        "Per-server load: MM7 requests each server sent the harness",
        {f"MMSG-{m}": n for m, n in sorted(load.items())},
        "requests",
        reference=mean * limit,
        reference_label=f"limit ({limit} x mean)",
    )
    check(
        ratio <= limit,
        "rr_balance",
        f"max/mean <= {limit}",
        f"{ratio:.3f} with {dict(load)}",
        evidence=[chart],
    )


@then(parsers.parse("MMSG server {module:d} forwarded submissions to the MMSCs"))
def new_server_forwards(rr: ReportRoutingDriver, module: int) -> None:
    _forwarded(rr)
    host = rr.host_of(module)
    took = [s for s in rr.last if s.target == rr.module_url(module)]
    sent = [r for r in rr.mmsc_submissions() if r.from_host == host]
    check(bool(took), "rr_balance", f"the SP's switch sends submissions to server {module}", "none")
    check(
        len(sent) >= len(took),
        "rr_balance",
        f"server {module} forwards the {len(took)} submissions it took to the MMSCs",
        f"{len(sent)} SubmitReqs from {host}",
    )


@then(parsers.parse("the delivery reports for messages MMSG server {module:d} took reached the SP"))
def new_server_reports(rr: ReportRoutingDriver, module: int) -> None:
    took = {s.msgid1 for s in rr.last if s.target == rr.module_url(module)}
    reported = {r.message_id for r in rr.sp_reports()}
    missing = took - reported
    check(
        not missing,
        "rr_dr_forward",
        f"reports for all {len(took)} messages of server {module}",
        f"{len(missing)} missing",
    )


@then("the SP got no delivery report it did not ask for")
def no_stray_reports(rr: ReportRoutingDriver) -> None:
    unknown = rr.unknown_reports()
    check(
        not unknown,
        "rr_dr_to_sp",
        "reports only for the recipients each MSGID1 was submitted to",
        f"{len(unknown)}, e.g. {unknown[:2]}",
    )


# --- messages from handsets, cancel and replace ------------------------------------------


@then(parsers.parse("MMSC {name} gets a DeliverRsp with status {code:d}"))
def mmsc_got_deliver_rsp(rr: ReportRoutingDriver, name: str, code: int) -> None:
    mo = rr.last_mo
    if mo is None:
        raise HarnessError("no MMSC delivered a message from a handset in this scenario")
    status = mo.outcome.status if mo.outcome is not None else None
    check(
        mo.answer is Answer.ACCEPTED and status == code,
        "rr_mo",
        f"a DeliverRsp with status {code} from {mo.tried[-1]}",
        mo.why,
    )


@then("the SP receives that message once, with its sender and content")
def sp_got_mo_once(rr: ReportRoutingDriver) -> None:
    mo = rr.last_mo
    if mo is None:
        raise HarnessError("no MMSC delivered a message from a handset in this scenario")
    rr.wait_delivered(mo.mo_id, rr.pixit.report_timeout_ms)
    # Anything more within settle_ms is a duplicate.
    rr.quiet(rr.pixit.settle_ms)
    got = rr.sp_delivered(mo.mo_id)
    check(
        len(got) == 1,
        "rr_mo",
        f"the message {mo.mo_id} from {mo.sender} at the SP exactly once",
        f"{len(got)} time(s)",
    )
    seen = (got[0].sender, got[0].recipients, got[0].subject, got[0].content)
    sent = (mo.sender, mo.to, mo.subject, mo.content)
    check(
        seen == sent,
        "rr_mo",
        f"sender, recipients, subject and content as the handset sent them {sent}",
        f"{seen}",
    )


def _changed(rr: ReportRoutingDriver, kind: str, response: str, code: int) -> None:
    change = rr.last_change
    if change is None or change.kind != kind:
        raise HarnessError(f"the SP sent no {kind} in this scenario")
    status = change.outcome.status if change.outcome is not None else None
    check(
        change.answer is Answer.ACCEPTED and status == code,
        f"rr_{kind}",
        f"a {response} with status {code} for {change.msgid1} from {change.target}",
        change.why,
    )


@then(parsers.parse("the SP gets a CancelRsp with status {code:d}"))
def sp_got_cancel_rsp(rr: ReportRoutingDriver, code: int) -> None:
    _changed(rr, "cancel", "CancelRsp", code)


@then(parsers.parse("the SP gets a ReplaceRsp with status {code:d}"))
def sp_got_replace_rsp(rr: ReportRoutingDriver, code: int) -> None:
    _changed(rr, "replace", "ReplaceRsp", code)


@then("every MMSC that holds that message has cancelled it")
def mmsc_cancelled(rr: ReportRoutingDriver) -> None:
    sub = rr.last[-1]
    held = [r for r in rr.mmsc_submissions() if r.msgid1 == sub.msgid1]
    check(
        bool(held) and all(r.cancelled for r in held),
        "rr_cancel",
        f"{sub.msgid1} cancelled at every MMSC that took it",
        f"{[(r.message_id, 'cancelled' if r.cancelled else 'still held') for r in held]}",
    )


@then("every MMSC that holds that message has the new content")
def mmsc_replaced(rr: ReportRoutingDriver) -> None:
    sub, change = rr.last[-1], rr.last_change
    if change is None:
        raise HarnessError("the SP sent no replace in this scenario")
    held = [r for r in rr.mmsc_submissions() if r.msgid1 == sub.msgid1]
    check(
        bool(held) and all(r.content == change.content for r in held),
        "rr_replace",
        f"the content {change.content!r} at every MMSC that took {sub.msgid1}",
        f"{[r.content for r in held]}",
    )


@then("no delivery report for that message reaches the SP")
def no_report_after_cancel(rr: ReportRoutingDriver) -> None:
    sub = rr.last[-1]
    # A report later in the run fails rr_cancel too (the SP forbade it when the cancel
    # succeeded); here the scenario listens for settle_ms.
    rr.quiet(rr.pixit.settle_ms)
    got = rr.sp_reports(sub.msgid1)
    rr.judged()
    check(
        not got,
        "rr_cancel",
        f"no delivery report for the cancelled {sub.msgid1}",
        f"{[(r.recipient, r.mm_status) for r in got]}",
    )
