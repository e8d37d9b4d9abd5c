"""Steps for gateway selection. Thin: they act through the area's driver and judge what the
harness's own roles (the SP, the gateways, the MMSC) saw on the wire, by the order of events
(fixtures/areas/gateway_selection/judge.py says why each anchor is sound)."""

from __future__ import annotations

import re
import struct

import pytest
from pytest_bdd import given, parsers, then, when

from mmsconf.emulators.codecs import dns
from mmsconf.fixtures.areas.gateway_selection import judge
from mmsconf.fixtures.areas.gateway_selection.driver import AFTER_ANCHOR, GatewaySelectionDriver
from mmsconf.fixtures.verdicts import BarChart, ClauseViolation, HarnessError, check

CRITERIA = {"delay", "residual_traffic", "residual_throughput"}
_FIGURES = [
    (re.compile(r"delay of (\d+(?:\.\d+)?) ms"), ("delay_ms",)),
    (re.compile(r"traffic (\d+) of (\d+)"), ("traffic", "max_traffic")),
    (
        re.compile(r"throughput (\d+(?:\.\d+)?) of (\d+(?:\.\d+)?)"),
        ("throughput", "max_throughput"),
    ),
]


def figures(text: str) -> dict[str, float | int | bool]:
    """'a delay of 41 ms, traffic 60 of 100, throughput 5 of 10' -> the gateway's figures."""
    out: dict[str, float | int | bool] = {}
    for pattern, keys in _FIGURES:
        found = pattern.search(text)
        if found:
            for key, value in zip(keys, found.groups(), strict=True):
                out[key] = float(value) if "." in value or "delay" in key else int(value)
    if "overloaded" in text:
        out["overloaded"] = True
    if not out:
        raise HarnessError(f"no figures in {text!r} (delay of N ms, traffic N of M, ...)")
    return out


# --- Given ----------------------------------------------------------------------------


@given("the gateway-selection network from the SUT profile", target_fixture="gs")
def gs_network(gateway_selection: GatewaySelectionDriver) -> GatewaySelectionDriver:
    return gateway_selection


@given(parsers.parse('the selector ranks by "{criteria}"'))
def ranks_by(gs: GatewaySelectionDriver, criteria: str) -> None:
    """criteria: delay | residual_traffic | residual_throughput, comma-separated, first first"""
    names = [c.strip() for c in criteria.split(",")]
    if not set(names) <= CRITERIA:
        raise HarnessError(f"unknown criteria {set(names) - CRITERIA}; known {sorted(CRITERIA)}")
    gs.configure_selection(names, {})


@given(
    parsers.parse('the selector ranks by "{criteria}" with a {criterion} tolerance of {value:d}')
)
def ranks_by_with_tolerance(
    gs: GatewaySelectionDriver, criteria: str, criterion: str, value: int
) -> None:
    names = [c.strip() for c in criteria.split(",")]
    gs.configure_selection(names, {criterion.replace(" ", "_"): value})


@given(parsers.parse("{name} reports {text}"))
def gateway_reports(gs: GatewaySelectionDriver, name: str, text: str) -> None:
    """text: 'a delay of N ms', 'traffic N of M', 'throughput N of M', 'overloaded', joined"""
    gs.set_figures(name, **figures(text))


@given("the selector has heard every gateway since")
def heard_since(gs: GatewaySelectionDriver) -> None:
    heard = gs.wait_heard()
    if not heard and gs._on_loop(lambda: gs._net.probing):
        raise ClauseViolation(
            "gs_heartbeat",
            f"a heartbeat to every gateway each period ({gs.pixit.heartbeat_period_ms} ms)",
            f"not two heartbeats to each within wait_ms = {gs.pixit.wait_ms}",
        )


@given("the SP asks a caching resolver (unbound) in front of the DNS")
def through_unbound(gs: GatewaySelectionDriver, request: pytest.FixtureRequest) -> None:
    unbound = request.getfixturevalue("gateway_selection_unbound")
    gs.unbound = unbound
    gs.use_dns(unbound.address)


# --- When -------------------------------------------------------------------------------


@when(parsers.parse("the SP sends {count:d} messages"))
def sp_sends(gs: GatewaySelectionDriver, count: int) -> None:
    gs.send(count)


@when(parsers.parse("{name} stops answering heartbeats and the SP keeps sending"))
def stops_answering(gs: GatewaySelectionDriver, name: str) -> None:
    missed = gs.pixit.missed_heartbeats
    mark = gs.set_heartbeat([name], "silent")
    gs.silent_mark = mark
    gs.silent = [name]
    gs.send_until(lambda: gs._net.heartbeats_since(name, mark) > missed)


@when("all the gateways stop answering heartbeats and the SP keeps sending")
def all_stop(gs: GatewaySelectionDriver) -> None:
    missed, names = gs.pixit.missed_heartbeats, gs.gateways()
    mark = gs.set_heartbeat(names, "silent")
    gs.silent_mark, gs.silent = mark, names
    gs.send_until(lambda: all(gs._net.heartbeats_since(n, mark) > missed for n in names))


@when(parsers.parse("the new gateway joins with {text} and the SP keeps sending"))
def spare_joins(gs: GatewaySelectionDriver, text: str) -> None:
    mark = gs.join_spare(**figures(text))
    gs.join_mark = mark
    spare = gs.spare

    def answered_twice() -> bool:
        gateway = gs._net.gateways[spare]
        return sum(1 for h in gateway.heartbeats if h.trace_seq > mark) >= 2

    gs.send_until(answered_twice)


@when(
    parsers.parse(
        "the SP sends {count:d} messages, and after {at:d} of them the base traffic of "
        "{first} becomes {a:d} and of {second} becomes {b:d}"
    )
)
def stream_with_change(
    gs: GatewaySelectionDriver, count: int, at: int, first: str, a: int, second: str, b: int
) -> None:
    one, two = gs._gateway(first), gs._gateway(second)

    def change() -> None:
        one.set_figures(traffic=a)
        two.set_figures(traffic=b)

    gs.stream(count, change_at=at, change=change)


# --- Then -------------------------------------------------------------------------------

_WHY = {
    "delay": "the shortest delay",
    "residual_traffic": "the largest residual traffic",
    "residual_throughput": "the largest residual throughput",
}


def _went_to(gs: GatewaySelectionDriver, name: str, clause: str, why: str) -> None:
    gs.judge_answers(gs.last)
    snap = gs.snapshot()
    gs.fail(judge.all_to(snap, gs.last, name, clause, why))
    gs.judge_exchanges(gs.last)


@then(parsers.parse("every message went to {name}, the one with {why}"))
def went_to_best(gs: GatewaySelectionDriver, name: str, why: str) -> None:
    """why: the shortest delay | the largest residual traffic | the largest residual throughput"""
    clause = next((c for c, w in _WHY.items() if w == why), None)
    if clause is None:
        raise HarnessError(f"unknown criterion {why!r}; known: {sorted(_WHY.values())}")
    _went_to(gs, name, f"gs_{clause}", why)


@then(parsers.parse("every message went to {name}, which wins the tie"))
def went_to_tie_winner(gs: GatewaySelectionDriver, name: str) -> None:
    _went_to(gs, name, "gs_tiebreak", "the tie broken by the next criterion")


@then(parsers.parse("{name} took messages"))
def took_messages(gs: GatewaySelectionDriver, name: str) -> None:
    """The gateway is in use (a later check that nothing reaches it then means something)."""
    snap = gs.snapshot()
    check(
        bool(snap.arrivals.get(name)),
        "gs_identifier",
        f"some of the {len(gs.last)} messages taken by {name} (its figures make it the best)",
        f"none: {judge.all_to(snap, gs.last, name, 'gs_identifier', 'the best')}",
    )


@then(parsers.parse("no message reached {name} once the selector had missed its heartbeats"))
def none_after_out(gs: GatewaySelectionDriver, name: str, mmsconf_note) -> None:
    snap = gs.snapshot()
    gs.fail(judge.failover(snap, name, gs.silent_mark, gs.pixit, minimum_after=AFTER_ANCHOR))
    periods = judge.periods_to_last(snap, name, gs.silent_mark)
    if periods is not None:
        mmsconf_note(
            f"{name}: last answered heartbeat to last submission: {periods:.2f} heartbeat periods"
        )
    gs.judge_exchanges([s for s in snap.sent if s.url is not None])


@then("the SP asked the DNS for the same name before each message")
def asked_each_time(gs: GatewaySelectionDriver) -> None:
    snap = gs.snapshot()
    gs.fail(judge.asked_each_time(snap, snap.sent))


@then("every message asked for once it had answered two heartbeats went to the new gateway")
def went_to_new(gs: GatewaySelectionDriver, mmsconf_note) -> None:
    snap = gs.snapshot()
    gs.fail(judge.learned(snap, gs.spare, gs.join_mark, gs.pixit, minimum_after=AFTER_ANCHOR))
    periods = judge.periods_to_first(snap, gs.spare, gs.join_mark)
    if periods is not None:
        mmsconf_note(
            f"{gs.spare}: first answered heartbeat to first submission: {periods:.2f} periods"
        )
    gs.judge_exchanges([s for s in snap.sent if s.url is not None])


@then("once no gateway answered, every message got SERVFAIL, the SP said so and sent nothing")
def servfail_nothing_sent(gs: GatewaySelectionDriver) -> None:
    snap = gs.snapshot()
    gs.fail(judge.all_down(snap, gs.silent, gs.silent_mark, gs.pixit, minimum_after=AFTER_ANCHOR))


@then("no gateway took a message while at its maximum traffic, and every message was taken")
def no_overfill(gs: GatewaySelectionDriver, mmsconf_evidence) -> None:
    snap = gs.snapshot()
    gs.fail(judge.overfilled(snap, gs.last))
    gs.judge_exchanges(gs.last)
    mmsconf_evidence(
        BarChart(
            "Messages each gateway took in the stream",
            {n: len(snap.arrivals.get(n, [])) for n in gs.gateways()},
            unit="messages",
        )
    )


@then("before each forward to the MMSC the gateway got a DNS answer for the MMSC's name")
def mmsc_looked_up(gs: GatewaySelectionDriver) -> None:
    snap = gs.snapshot()
    host, name = gs.mmsc()
    gs.fail(judge.mmsc_lookups(snap, host, name))
    gs.judge_exchanges(gs.last)


# --- the DNS itself ---------------------------------------------------------------------

QUESTION = b"\x04mmsg\x08operator\x07example\x00\x01\x00\x00\x01"


def _malformed(kind: str, qid: int) -> bytes:
    head = struct.Struct("!HHHHHH")
    if kind == "a query whose name is a compression-pointer loop":
        return head.pack(qid, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c\x01\x00\x00\x01"
    if kind == "a query with two questions":
        return head.pack(qid, 0x0100, 2, 0, 0, 0) + QUESTION + QUESTION
    if kind == "a query whose counts announce more records than it has":
        return head.pack(qid, 0x0100, 1, 0, 0, 3) + QUESTION
    if kind == "a query cut short in its question":
        return head.pack(qid, 0x0100, 1, 0, 0, 0) + QUESTION[:7]
    raise HarnessError(f"unknown malformed query {kind!r}")


@when(parsers.parse("the SP's address sends the DNS {kind} over UDP"))
def send_malformed(gs: GatewaySelectionDriver, kind: str) -> None:
    gs.sent_id = 0x4000 + gs.block
    gs.answer = gs.raw_udp(_malformed(kind, gs.sent_id))


@when(parsers.parse('the SP\'s address asks the DNS for "{name}" {qtype} over {transport}'))
def ask_dns(gs: GatewaySelectionDriver, name: str, qtype: str, transport: str) -> None:
    gs.sent_id = 0x5000 + gs.block
    query = dns.build_query(name, qtype, id=gs.sent_id)
    gs.answer = gs.raw_tcp(query) if transport == "TCP" else gs.raw_udp(query)


@then(parsers.parse("the DNS answers {rcode} with the query's ID"))
def answers_rcode(gs: GatewaySelectionDriver, rcode: str) -> None:
    answer = gs.answer
    check(
        answer is not None,
        "gs_in_dns",
        f"a DNS answer {rcode} (dns_timeout_ms = {gs.pixit.dns_timeout_ms})",
        "no answer",
    )
    qid, flags = struct.unpack("!HH", answer[:4]) if len(answer) >= 4 else (None, 0)
    got = dns.rcode_name(flags & 0xF)
    check(
        qid == gs.sent_id and flags & 0x8000 and got == rcode,
        "gs_in_dns",
        f"a response with ID {gs.sent_id} and RCODE {rcode}",
        f"ID {qid}, QR {bool(flags & 0x8000)}, RCODE {got} ({len(answer)} bytes)",
    )


@then("the next query for the gateway name is answered with a gateway")
def next_is_answered(gs: GatewaySelectionDriver) -> None:
    result = gs.query(gs.pixit.gateway_name, gs.pixit.record)
    check(
        result.ok and bool(result.records),
        "gs_in_dns",
        f"an answer naming a gateway for {gs.pixit.gateway_name} {gs.pixit.record}",
        result.describe(),
    )


@then(parsers.parse("that answer is a {qtype} record naming one of the gateways, with TTL {ttl:d}"))
def answer_names_gateway(gs: GatewaySelectionDriver, qtype: str, ttl: int) -> None:
    answer = gs.answer
    check(answer is not None, "gs_in_dns", "an answer", "none")
    try:
        parsed = dns.parse_response(answer)
    except dns.DnsFormatError as err:
        raise ClauseViolation("gs_in_dns", "an answer that parses", str(err)) from None
    records = parsed.records(dns.type_code(qtype))
    urls = set(gs.snapshot().urls.values())
    named = [r for r in records if r.target in urls]
    check(
        parsed.id == gs.sent_id and bool(named),
        "gs_identifier",
        f"a {qtype} record whose target is a gateway's MM7 URL",
        dns.summarize_response(parsed),
    )
    check(
        all(r.ttl <= ttl for r in records),
        "gs_in_dns",
        f"TTL {ttl} at most",
        ", ".join(str(r.ttl) for r in records),
    )


# --- the gateway under test (a vendor's, or the harness's spare) --------------------------


@given("the gateway under test joins the selector")
def under_test_joins(gs: GatewaySelectionDriver) -> None:
    gs.join_under_test()


@given("the harness's own gateways report themselves overloaded")
def own_overloaded(gs: GatewaySelectionDriver) -> None:
    for name in gs.gateways():
        gs.set_figures(name, overloaded=True)


@when(parsers.parse("the selector has sent the gateway under test {count:d} heartbeats"))
def probed(gs: GatewaySelectionDriver, count: int) -> None:
    gs.probed = count
    if not gs.wait_probed(gs.under_test, count):
        raise ClauseViolation(
            "gs_heartbeat",
            f"{count} heartbeats to {gs.under_test} within wait_ms = {gs.pixit.wait_ms}",
            f"{len(gs.status_exchanges(gs.under_test))} status messages",
        )


@then("it answered each with a valid status document")
def valid_status(gs: GatewaySelectionDriver) -> None:
    name = gs.under_test
    exchanges = gs.status_exchanges(name)
    gs.fail(judge.status_answers(exchanges, name, gs.status_host(name), gs.probed - 1))


@then("every message went to the gateway under test, was taken, and each forward followed a lookup")
def steered(gs: GatewaySelectionDriver) -> None:
    name = gs.under_test
    gs.judge_answers(gs.last)
    snap = gs.snapshot()
    gs.fail(judge.all_to(snap, gs.last, name, "gs_identifier", "the only healthy gateway"))
    gs.fail(judge.submission_problem(snap, gs.last))
    host, mmsc = gs.mmsc()
    gateway_host = gs.status_host(name)[0]
    gs.fail(judge.mmsc_lookups(snap, host, mmsc, only=gateway_host))
