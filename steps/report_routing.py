"""Steps for report routing. Thin: they act through the area's driver and judge
what the harness's own roles (the SP and the MMSCs) saw on the wire. The driver
is their only way to the emulators: it runs every change on the emulator loop
and hands back snapshots, so nothing here touches an emulator directly."""

from __future__ import annotations

from collections import Counter

from pytest_bdd import given, parsers, then, when

from mmsconf.emulators.mm7_http import Credentials
from mmsconf.fixtures.areas.report_routing.driver import ReportRoutingDriver
from mmsconf.fixtures.verdicts import HarnessError, check
from mmsconf.steps.common import number_list

# --- Given ----------------------------------------------------------------------


@given("the report-routing network from the SUT profile", target_fixture="rr")
def rr_network(report_routing: ReportRoutingDriver) -> ReportRoutingDriver:
    return report_routing


@given(parsers.parse('the MMSCs report the state "{state}"'))
def mmscs_report_state(rr: ReportRoutingDriver, state: str) -> None:
    """state: an MMStatus, e.g. Retrieved, Rejected, Expired, Indeterminate"""
    rr.set_report_status(state)


@given(parsers.parse("the MMSCs send every delivery report to MMSG server {module:d}"))
def mmscs_pin_reports(rr: ReportRoutingDriver, module: int) -> None:
    rr.pin_reports(module)


@given("the MMSCs hold their delivery reports")
def mmscs_hold(rr: ReportRoutingDriver) -> None:
    rr.hold_reports(True)


# --- When -------------------------------------------------------------------------


@when(parsers.parse('the SP submits a message to "{numbers}"'))
def sp_submits(rr: ReportRoutingDriver, numbers: str) -> None:
    rr.submit(number_list(numbers))


@when(parsers.parse('the SP submits a message to "{numbers}" through MMSG server {module:d}'))
def sp_submits_through(rr: ReportRoutingDriver, numbers: str, module: int) -> None:
    rr.submit(number_list(numbers), module=module)


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


def _spread_number(i: int) -> str:
    # Alternate the two MMSCs' prefixes so both take part.
    return f"+8613{8 + i % 2}{i:08d}"


@when(
    parsers.parse("the SP submits {count:d} messages of one recipient each, spread over the farm")
)
@when(
    parsers.parse(
        "the SP submits {count:d} messages of one recipient each at once, spread over the farm"
    )
)
def sp_submits_many(rr: ReportRoutingDriver, count: int) -> None:
    rr.submit_many(count, _spread_number)


@when(
    parsers.parse(
        'the SP sends a group message to {count:d} recipients whose numbers all end in "{suffix}"'
    )
)
def sp_group_same_suffix(rr: ReportRoutingDriver, count: int, suffix: str) -> None:
    numbers = [f"+8613{8 + i % 2}{i:06d}{suffix}" for i in range(count)]
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
    rr.inject_report(name, module, msgid2, "+8613800000099")


# --- Then -------------------------------------------------------------------------------


@then(parsers.parse("the SP gets a SubmitRsp with status {code:d} and its MSGID1"))
def sp_got_submit_rsp(rr: ReportRoutingDriver, code: int) -> None:
    sub = rr.last[-1]
    out = sub.outcome
    message_id = getattr(out.message, "message_id", None)
    seen = f"status {out.status}, MessageID {message_id!r}, error {out.error}"
    check(out.status == code, "rr_auth", f"SubmitRsp status {code}", seen)
    check(
        message_id == sub.msgid1,
        "rr_msgid1",
        f"SubmitRsp MessageID = MSGID1 {sub.msgid1!r}",
        seen,
    )


@then(parsers.parse("MMSC {name} receives one submission carrying an MSGID2"))
def mmsc_got_one(rr: ReportRoutingDriver, name: str) -> None:
    got = rr.mmsc_received(name)
    check(len(got) == 1, "rr_msgid2", f"one SubmitReq at MMSC {name}", f"{len(got)}")
    check(bool(got[0].msgid2), "rr_msgid2", "an MSGID2 in the SubmitReq", f"{got[0].msgid2!r}")


@then(parsers.parse('MMSC {name} receives the recipients "{numbers}"'))
def mmsc_got_recipients(rr: ReportRoutingDriver, name: str, numbers: str) -> None:
    got = sorted(r for s in rr.mmsc_received(name) for r in s.recipients)
    want = sorted(number_list(numbers))
    check(got == want, "rr_msgid2", f"MMSC {name} gets {want}", f"{got}")


@then("every submission the MMSCs received carries a distinct MSGID2")
def distinct_msgid2(rr: ReportRoutingDriver) -> None:
    ids = [s.msgid2 for s in rr.mmsc_submissions()]
    dup = [i for i, n in Counter(ids).items() if n > 1]
    check(all(ids) and not dup, "rr_msgid2", "a distinct, non-empty MSGID2 per SubmitReq", f"{ids}")


@then(
    parsers.parse(
        "the SP receives exactly one delivery report for that message"
        ' with its MSGID1 and the state "{state}"'
    )
)
def sp_got_one_report(rr: ReportRoutingDriver, state: str) -> None:
    sub = rr.last[-1]
    px = rr.pixit
    n = rr.wait_reports(sub.msgid1, len(sub.recipients), px.report_timeout_ms)
    check(
        n >= len(sub.recipients),
        "rr_dr_to_sp",
        f"a DeliveryReportReq with MessageID {sub.msgid1}",
        f"{n} within {px.report_timeout_ms} ms; "
        f"MessageIDs seen: {[r.message_id for r in rr.sp_reports()][:10]}",
    )
    rr.quiet(px.settle_ms)
    reports = rr.sp_reports(sub.msgid1)
    check(
        len(reports) == len(sub.recipients),
        "rr_final_state",
        "exactly one report per recipient",
        f"{len(reports)} reports",
    )
    check(
        all(r.mm_status == state for r in reports),
        "rr_dr_to_sp",
        f"MMStatus {state}",
        f"{[r.mm_status for r in reports]}",
    )


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


@then("every recipient reaches a final state at the SP exactly once")
def all_final_once(rr: ReportRoutingDriver, mmsconf_note) -> None:
    done = rr.wait_all_final()
    finals = rr.final_states()
    expected = rr.expected()
    missing = [k for k in expected if k not in finals]
    check(
        done and not missing,
        "rr_final_state",
        f"{len(expected)} final states",
        f"{len(finals)} final, {len(missing)} missing, e.g. {missing[:3]}",
    )
    late = rr.quiet(rr.pixit.settle_ms)
    dups = rr.duplicates()
    check(
        not dups,
        "rr_final_state",
        "one final report per recipient",
        f"{len(dups)} recipients with repeats, e.g. {list(dups.items())[:3]} ({late} late)",
    )
    states = Counter(finals[k] for k in expected)
    mmsconf_note(f"final states at the SP: {dict(states)} over {len(expected)} recipients")


@then("the SP gets an MM7 authentication failure")
def sp_auth_failure(rr: ReportRoutingDriver) -> None:
    out = rr.last[-1].outcome
    allowed = rr.pixit.auth_failure_status
    check(
        out.status in allowed,
        "rr_auth",
        f"an MM7 failure with a status in {allowed}",
        f"HTTP {out.http_status}, MM7 status {out.status}, error {out.error}",
    )


@then("no submission reaches any MMSC")
def nothing_forwarded(rr: ReportRoutingDriver) -> None:
    rr.quiet(rr.pixit.settle_ms)
    got = rr.mmsc_submissions()
    check(
        not got,
        "rr_auth",
        "no SubmitReq at any MMSC",
        f"{len(got)} from {[g.from_host for g in got]}",
    )


@then("the MMSCs sent delivery reports to every server of the farm")
def reports_hit_every_server(rr: ReportRoutingDriver, mmsconf_note) -> None:
    targets = Counter(r.target for r in rr.mmsc_report_results())
    want = set(rr.report_urls())
    mmsconf_note(f"delivery reports per farm server: {dict(targets)}")
    check(
        want <= set(targets),
        "rr_dr_any_server",
        f"reports sent to all of {sorted(want)}",
        f"{dict(targets)}",
    )


@then(parsers.parse("MMSC {name} gets the MM7 status {code:d} for that report"))
def mmsc_report_status(rr: ReportRoutingDriver, name: str, code: int) -> None:
    rr.wait_mmsc_reports(name, 1, rr.pixit.report_timeout_ms)
    result = rr.mmsc_reports(name)[-1]
    out = result.outcome
    check(
        out.status == code,
        "rr_dr_forward",
        f"MM7 status {code} for the report",
        f"status {out.status} (HTTP {out.http_status}, error {out.error}) from {result.target}",
    )


@then(
    parsers.parse(
        "a message the SP submits next to MMSG server {module:d} reaches a final state exactly once"
    )
)
def next_message_ok(rr: ReportRoutingDriver, module: int) -> None:
    sub = rr.submit(["+8613800000042"], module=module)
    check(
        sub.outcome.ok,
        "rr_dr_forward",
        "the server still takes submissions",
        f"status {sub.outcome.status}, error {sub.outcome.error}",
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
    wait = rr.pixit.report_expiry_ms + 2 * rr.pixit.report_retry_max_ms
    n = rr.wait_reports(sub.msgid1, 1, wait)
    check(n == 0, "rr_dr_forward", "no report while the issuing server stays down", f"{n}")


@then("the SP still has no delivery report for that message after the retry interval")
def none_after_retry(rr: ReportRoutingDriver) -> None:
    sub = rr.last[-1]
    n = rr.wait_reports(sub.msgid1, 1, 3 * rr.pixit.report_retry_max_ms)
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
    check(ratio <= limit, "rr_balance", f"max/mean <= {limit}", f"{ratio:.3f} with {dict(load)}")


@then(parsers.parse("MMSG server {module:d} forwarded submissions to the MMSCs"))
def new_server_forwards(rr: ReportRoutingDriver, module: int) -> None:
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
    stray = rr.unknown_reports()
    check(
        not stray,
        "rr_dr_to_sp",
        "only reports for submitted (MSGID1, recipient) pairs",
        f"{len(stray)}, e.g. {stray[:2]}",
    )
