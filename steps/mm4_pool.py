"""Steps for the MM4 pool. Thin: they act through the area's driver and judge what the
harness's own roles saw on the wire: the relay's answers to the core's hand-overs, what
each destination MMSC took and the connections it counted, what came back to the core.
Each check names the clause whose part it checks (shared/CLAUSES.md); the judge
(fixtures/areas/mm4_pool/judge.py) words the failure and attaches the evidence.
"""

from __future__ import annotations

import re

from pytest_bdd import given, parsers, then, when

from mmsconf.emulators.codecs import mm4
from mmsconf.fixtures.areas.mm4_pool import judge
from mmsconf.fixtures.areas.mm4_pool.driver import Mm4PoolDriver
from mmsconf.fixtures.verdicts import BarChart, ClauseViolation, HarnessError, check

_MMSC = re.compile(r"MMSC ([A-Z])")


def mmscs(text: str) -> list[str]:
    """'MMSC B, MMSC C and MMSC D' -> ['B', 'C', 'D']."""
    names = _MMSC.findall(text)
    if not names:
        raise HarnessError(f"no 'MMSC X' in {text!r}")
    return names


# --- Given ------------------------------------------------------------------------------


@given("the MM4 pool network from the SUT profile", target_fixture="mp")
def mp_network(mm4_pool: Mm4PoolDriver) -> Mm4PoolDriver:
    return mm4_pool


@given(parsers.parse("MMSC {name} answers every SMTP command {ms:d} ms late"))
def destination_slow(mp: Mm4PoolDriver, name: str, ms: int) -> None:
    mp.slow(name, ms)


@given(parsers.parse("MMSC {name} is down"))
def destination_down(mp: Mm4PoolDriver, name: str) -> None:
    mp.down(name)


@given(parsers.parse("MMSC {name} cuts the connection during DATA of the next {count:d} messages"))
def destination_cuts(mp: Mm4PoolDriver, name: str, count: int) -> None:
    mp.cut_next(name, count)


# --- When -------------------------------------------------------------------------------


@when(parsers.parse("the core hands the relay {count:d} messages spread over {names}"))
@when(parsers.parse("the core hands the relay {count:d} messages for {names}"))
def core_hands(mp: Mm4PoolDriver, count: int, names: str) -> None:
    mp.hand(count, mmscs(names))


@when(parsers.parse("MMSC {name} answers on time again"))
def destination_on_time(mp: Mm4PoolDriver, name: str) -> None:
    mp.slow(name, 0)


@when(parsers.parse("MMSC {name} comes back"))
def destination_back(mp: Mm4PoolDriver, name: str) -> None:
    mp.up(name)


# --- Then: arrivals ----------------------------------------------------------------------


def _arrivals(mp: Mm4PoolDriver, names: list[str] | None = None, clause: str = "") -> None:
    mp.wait_arrivals(names)
    problem = judge.arrival_problem(mp.snapshot(), mp.pixit, names, clause)
    if problem is not None:
        raise problem


def _exactly_once(mp: Mm4PoolDriver, clause: str = "") -> None:
    """Nothing more within settle_ms; later copies are judged at the end of the run."""
    mp.quiet_for_copies()
    problem = judge.arrival_problem(mp.snapshot(), mp.pixit, None, clause)
    mp.judged()
    if problem is not None:
        raise problem


@then("every message arrives at its destination MMSC exactly once")
def all_arrive_once(mp: Mm4PoolDriver, mmsconf_note) -> None:
    _arrivals(mp)
    _exactly_once(mp)
    snap = mp.snapshot()
    per = {f"MMSC-{n}": len(a) for n, a in sorted(snap.arrivals.items())}
    mmsconf_note(f"messages taken per destination: {per}")


@then(
    parsers.parse(
        "every message arrives at its destination MMSC exactly once, on a connection of its "
        "sub-pool"
    )
)
def all_arrive_once_sub_pool(mp: Mm4PoolDriver) -> None:
    _arrivals(mp, clause="mp_sub_pool")
    _exactly_once(mp, clause="mp_sub_pool")


@then(parsers.parse("every message for {names} arrives exactly once while MMSC {down} is down"))
def others_arrive(mp: Mm4PoolDriver, names: str, down: str) -> None:
    chosen = mmscs(names)
    _arrivals(mp, chosen)
    snap = mp.snapshot()
    check(
        not snap.arrivals.get(down),
        "mp_message_pool",
        f"MMSC-{down} is down: it takes nothing",
        f"it took {len(snap.arrivals.get(down, []))}",
    )


@then(parsers.parse("MMSC {name} has taken none of its messages"))
def none_yet(mp: Mm4PoolDriver, name: str) -> None:
    got = mp.snapshot().arrivals.get(name, [])
    check(not got, "mp_message_pool", f"nothing at MMSC-{name} yet", f"{len(got)} taken")


@then(
    parsers.parse(
        'the core gets one MM4_forward.RES "Ok" for every message, correlated by transaction '
        "and message id"
    )
)
def res_for_every(mp: Mm4PoolDriver) -> None:
    mp.wait_res()
    problem = judge.res_problem(mp.snapshot(), mp.pixit)
    if problem is not None:
        raise problem


# --- Then: connections ---------------------------------------------------------------------


@then("every destination MMSC holds the sub-pool's minimum of connections from the relay")
def pool_min_held(mp: Mm4PoolDriver) -> None:
    _pool_min(mp, mp.names, "mp_preestablished")


@then(parsers.parse("MMSC {name} holds the sub-pool's minimum of connections from the relay again"))
def pool_min_again(mp: Mm4PoolDriver, name: str) -> None:
    _pool_min(mp, [name], "mp_sub_pool")


def _pool_min(mp: Mm4PoolDriver, names: list[str], clause: str) -> None:
    if mp.wait_pool_min(names):
        return
    snap = mp.snapshot()
    open_now = {
        f"MMSC-{n}": sum(1 for c in snap.connections[n] if c.closed is None)
        for n in names
        if mp.countable(n)
    }
    raise ClauseViolation(
        clause,
        f"pixit.pool_min = {mp.pixit.pool_min} connections from the relay open at "
        f"{', '.join(f'MMSC-{n}' for n in names)} within preestablish_timeout_ms = "
        f"{mp.pixit.preestablish_timeout_ms} ms (a broken one replaced)",
        f"open: {open_now}",
        evidence=[
            BarChart(
                "Connections from the relay open at each destination",
                open_now,
                "connections",
                reference=mp.pixit.pool_min,
                reference_label="pixit.pool_min",
            )
        ],
    )


@then(
    "the first message at each destination MMSC came on a connection opened before the first "
    "hand-over"
)
def first_on_preestablished(mp: Mm4PoolDriver) -> None:
    first = min(h.started for h in mp.handed)
    problem = judge.preestablished_problem(mp.snapshot(), mp.pixit, first)
    if problem is not None:
        raise problem


@then(
    "no destination MMSC had more connections from the relay open at once than the sub-pool's "
    "maximum"
)
def peak_bounded(mp: Mm4PoolDriver, mmsconf_note) -> None:
    snap = mp.snapshot()
    mmsconf_note(f"peak connections per destination: {snap.peaks}")
    problem = judge.peak_problem(snap, mp.pixit)
    if problem is not None:
        raise problem


@then("the relay opened far fewer connections than it sent messages")
def connections_reused(mp: Mm4PoolDriver, mmsconf_note) -> None:
    opened = mp.opened_since_start()
    mmsconf_note(f"connections opened during the scenario: {opened}")
    problem = judge.reuse_problem(mp.snapshot(), mp.pixit, opened)
    if problem is not None:
        raise problem


@then(parsers.parse("each message whose DATA was cut arrived on another connection"))
def cut_ones_elsewhere(mp: Mm4PoolDriver) -> None:
    snap = mp.snapshot()
    cut = [(n, r) for n, rs in snap.refusals.items() for r in rs if r.message_id]
    check(bool(cut), "mp_sub_pool", "at least one DATA cut by the knob", "none was cut")
    where = {a.message_id: (n, a.connection) for n, got in snap.arrivals.items() for a in got}
    same = [r.message_id for n, r in cut if where.get(r.message_id or "") == (n, r.connection)]
    check(
        not same,
        "mp_sub_pool",
        "a message whose connection was cut goes again on another connection",
        f"{len(same)} came again on the very connection that was cut: {same[:3]}",
    )


# --- Then: a slow destination ---------------------------------------------------------------


@then(parsers.parse("every message for {names} arrives before MMSC {slow} has taken its first"))
def not_held_behind(mp: Mm4PoolDriver, names: str, slow: str, mmsconf_note) -> None:
    fast = mmscs(names)
    mp.wait_fast_or_slow(fast, slow)
    snap = mp.snapshot()
    mmsconf_note(
        "taken: " + ", ".join(f"MMSC-{n} {len(snap.arrivals.get(n, []))}" for n in [*fast, slow])
    )
    problem = judge.order_problem(snap, fast, slow)
    if problem is not None:
        raise problem


# --- Then: failures after the expiry -------------------------------------------------------


@then(parsers.parse("the core gets a failure delivery report for every message to MMSC {name}"))
def failure_reports(mp: Mm4PoolDriver, name: str) -> None:
    snap = mp.snapshot()
    ids = set(snap.expected([name]))
    mp.forbid(sorted(ids))
    wait = mp.pixit.expiry_ms + mp.pixit.arrival_timeout_ms
    mp.wait_reports(ids, wait)
    snap = mp.snapshot()
    reports = {
        r.message.message_id: r.message
        for r in snap.of_kind(mm4.DELIVERY_REPORT_REQ)
        if r.message.message_id in ids
    }
    missing = sorted(ids - set(reports))
    check(
        not missing,
        "mp_message_pool",
        f"an MM4_delivery_report.REQ to the originator for each of the {len(ids)} messages "
        f"MMSC-{name} could not take, within pixit.expiry_ms = {mp.pixit.expiry_ms} ms "
        f"(+ arrival_timeout_ms = {mp.pixit.arrival_timeout_ms} ms)",
        f"{len(missing)} without one (e.g. {missing[:1]})",
        evidence=[judge.table("Messages with no failure report", snap.seqs(missing, "no report"))],
    )
    statuses = {getattr(m, "mm_status", "") for m in reports.values()}
    allowed = set(mp.pixit.failure_statuses)
    check(
        statuses <= allowed,
        "mp_message_pool",
        f"X-Mms-MM-Status-Code one of {sorted(allowed)}",
        f"{sorted(statuses)}",
    )


@then("no message is both delivered and reported failed, and none is missing")
def none_lost(mp: Mm4PoolDriver) -> None:
    snap = mp.snapshot()
    expected = snap.expected()
    taken = snap.taken()
    failed = {r.message.message_id for r in snap.of_kind(mm4.DELIVERY_REPORT_REQ)} & set(expected)
    both = sorted(m for m in failed if taken[m])
    neither = sorted(m for m in expected if not taken[m] and m not in failed)
    counts = {
        "delivered": sum(1 for m in expected if taken[m]),
        "reported failed": len(failed),
        "neither": len(neither),
    }
    check(
        not both and not neither,
        "mp_message_pool",
        f"each of the {len(expected)} messages either delivered or reported failed, never both",
        f"{len(both)} both (e.g. {both[:1]}), {len(neither)} neither (e.g. {neither[:1]})",
        evidence=[BarChart("What became of each message", counts, "messages")],
    )


@then(parsers.parse("none of the messages for MMSC {name} arrives there, to the end of the run"))
def dead_stay_dead(mp: Mm4PoolDriver, name: str) -> None:
    ids = mp.expected_ids([name])
    mp.forbid(sorted(ids))
    mp.quiet_for(name, ids)
    got = [a.message_id for a in mp.snapshot().arrivals.get(name, []) if a.message_id in ids]
    mp.judged()
    check(
        not got,
        "mp_message_pool",
        "a dead-lettered message is never delivered late",
        f"{len(got)} arrived after all: {got[:3]}",
    )


# --- Then: the relay's counters ---------------------------------------------------------------


@then("the relay's counters keep one message pool per destination, each balanced")
def counters_balance(mp: Mm4PoolDriver, mmsconf_note) -> None:
    try:
        counters = mp.counters()
    except ValueError as err:  # JSON that does not decode: an answer not understood
        raise ClauseViolation(
            "mp_message_pool", "the relay's counters as JSON", f"not JSON: {err}"
        ) from None
    if counters is None:
        mmsconf_note("the relay does not claim pics.pool_counters: its counters are not judged")
        return
    pools = counters.get("destinations", {}) if isinstance(counters, dict) else {}
    mmsconf_note(f"relay counters: {counters}")
    domains = {d.lower() for d in mp.domains.values()}
    per_destination = {k.lower() for k in pools} & domains
    check(
        per_destination == domains,
        "mp_message_pool",
        f"one message pool per destination MMSC ({sorted(domains)})",
        f"pools: {sorted(pools)}",
    )
    unbalanced = {
        name: c
        for name, c in pools.items()
        if not isinstance(c, dict)
        or c.get("accepted")
        != c.get("delivered", 0) + c.get("queued", 0) + c.get("dead_lettered", 0)
    }
    check(
        not unbalanced,
        "mp_message_pool",
        "accepted = delivered + queued + dead-lettered in every pool",
        f"{unbalanced}",
    )


def _balanced(counts: object) -> bool:
    if not isinstance(counts, dict):
        return False
    settled = sum(counts.get(k, 0) for k in ("delivered", "queued", "dead_lettered"))
    return counts.get("accepted") == settled


# --- Then: a malformed message to a destination -------------------------------------------------


def _malformed(message: mm4.ForwardReq, fault: str) -> bytes:
    raw = mm4.encode(message)
    lines = raw.split(b"\r\n")
    missing = re.fullmatch(r"without (\S+)", fault)
    if missing:
        name = missing.group(1).encode()
        return b"\r\n".join(ln for ln in lines if not ln.lower().startswith(name.lower() + b":"))
    typed = re.fullmatch(r'with X-Mms-Message-Type "([^"]+)"', fault)
    if typed:
        return raw.replace(b"MM4_forward.REQ", typed.group(1).encode(), 1)
    raise HarnessError(
        f"unknown fault {fault!r}: 'without <header>' or 'with X-Mms-Message-Type \"...\"'"
    )


@when(parsers.parse("a peer MMSC sends MMSC {name} an MM4_forward.REQ {fault}"))
def peer_sends_malformed(mp: Mm4PoolDriver, name: str, fault: str) -> None:
    message = mp.message(name)
    mp.probe_result = mp.probe(name, _malformed(message, fault), str(message.to[0]))


@then(parsers.parse('it gets a 5xx answer naming "{field}"'))
def answered_5xx(mp: Mm4PoolDriver, field: str) -> None:
    result = mp.probe_result
    if result is None:
        raise HarnessError("no peer MMSC sent anything in this scenario")
    if result.error and result.error.startswith("unreachable"):
        raise HarnessError(f"the destination did not answer: {result.error}")
    check(
        result.code is not None and 500 <= result.code < 600 and field in result.message,
        "mp_bounded",
        f"a 5xx answer to the malformed message, naming {field}",
        f"{result.code} {result.message!r}" + (f" ({result.error})" if result.error else ""),
    )


@then(parsers.parse("MMSC {name} takes the next message the relay sends it"))
def still_serving(mp: Mm4PoolDriver, name: str) -> None:
    mp.hand(1, [name])
    _arrivals(mp, [name], clause="mp_bounded")
