"""Store-and-forward accounting under faults: ledgers, traffic, settling.

A *holding point* is anything that takes a message over and must pass it
on: an MMSG server's report store today, an SMTP relay's queue tomorrow.
Each reports a ``Ledger``; after a run settles, every ledger must balance
(accepted == passed on + dead-lettered + still held) and hold nothing. A new
emulator plugs in with one function returning its ``Ledger``.

Test files are imported with --import-mode=importlib and cannot import this
file: the ``faults`` fixture hands out the ``Faults`` namespace below.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from mmsconf.emulators.mmsg import Held, MMSGServer
from mmsconf.emulators.sp import Answer
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.profile import ReportRoutingProfile, load_profile
from mmsconf.fixtures.report_routing import ReportRoutingNet


@dataclass(frozen=True)
class Ledger:
    """What one holding point took over and what became of it."""

    point: str
    accepted: int
    passed_on: int
    dead: int
    held: int

    @property
    def balanced(self) -> bool:
        return self.accepted == self.passed_on + self.dead + self.held

    def __str__(self) -> str:
        return (
            f"{self.point}: accepted {self.accepted} = passed on {self.passed_on}"
            f" + dead-lettered {self.dead} + held {self.held}"
            + ("" if self.balanced else "  <-- DOES NOT BALANCE")
        )


def mmsg_ledger(server: MMSGServer) -> Ledger:
    c = server.counters
    return Ledger(
        server.role,
        c["reports_accepted"],
        c["delivered_to_sp"] + c["reports_forwarded"],
        c["dead_letters"],
        len(server.held),
    )


def ledger_problems(ledgers: Iterable[Ledger]) -> list[str]:
    """Every ledger must balance and, once settled, hold nothing."""
    problems = []
    for ledger in ledgers:
        if not ledger.balanced:
            problems.append(f"unbalanced: {ledger}")
        if ledger.held:
            problems.append(f"still holding after the run settled: {ledger}")
    return problems


def dead_letter_keys(net: ReportRoutingNet) -> dict[tuple[str, str], str]:
    """(MSGID1, recipient) of every dead-lettered report -> the server that holds it."""
    assert net.farm is not None
    servers = net.farm.servers
    keys: dict[tuple[str, str], str] = {}
    for server in servers.values():
        for held in server.dead_letters:
            keys[_key_of(held, server, servers)] = server.role
    return keys


def _key_of(held: Held, server: MMSGServer, servers: dict[int, MMSGServer]) -> tuple[str, str]:
    recipient = held.item.report.recipient.value
    if held.destination == "SP":  # already rewritten to MSGID1 by the issuing server
        return (held.item.report.message_id, recipient)
    msgid2 = server.msgid2_of(held.item.report)  # on its way to the issuing server
    owner = servers[server.report_owner(held.item.report, msgid2) or 0]
    return (owner.records[(msgid2, recipient)].msgid1, recipient)


# --------------------------------------------------------------------------- the network

#: Report-routing timers (ms) of the fault runs; the expiry is set per run.
PIXIT: dict[str, int] = {
    "report_retry_initial_ms": 20,
    "report_retry_max_ms": 200,
    "report_timeout_ms": 30_000,
    "settle_ms": 50,
}


def make_profile(modules: list[int], **pixit: Any) -> ReportRoutingProfile:
    rr = load_profile().report_routing
    rr.modules = list(modules)
    rr.pixit.update(PIXIT)
    rr.pixit.update(pixit)
    return rr


@asynccontextmanager
async def fault_net(
    seed: int, modules: list[int] | None = None, **pixit: Any
) -> AsyncIterator[ReportRoutingNet]:
    net = ReportRoutingNet(make_profile(modules or [180, 181, 182], **pixit), TraceRecorder(), seed)
    await net.start()
    try:
        yield net
    finally:
        await net.stop()


Action = Callable[[], Awaitable[None]]


@dataclass
class Traffic:
    """``count`` submissions, ``concurrency`` at a time; ``at[i]`` runs before submission i."""

    count: int
    seed: int
    concurrency: int = 8
    at: dict[int, list[tuple[str, Action]]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def schedule(self, index: int, what: str, action: Action) -> None:
        self.at.setdefault(index, []).append((what, action))

    async def run(self, net: ReportRoutingNet) -> None:
        rng = random.Random(self.seed)
        gate = asyncio.Semaphore(self.concurrency)
        tasks: list[asyncio.Task] = []

        async def one(recipients: list[str]) -> None:
            try:
                await net.sp.submit(recipients)
            finally:
                gate.release()

        for i in range(self.count):
            for what, action in self.at.get(i, []):
                await action()
                self.log.append(f"before submission {i}: {what}")
            recipients = [
                f"+8613{rng.choice('89')}{rng.randrange(10**8):08d}"
                for _ in range(rng.randint(1, 3))
            ]
            await gate.acquire()  # at most `concurrency` submissions in flight
            tasks.append(asyncio.create_task(one(recipients)))
        await asyncio.gather(*tasks)
        for what, action in self.at.get(self.count, []):
            await action()
            self.log.append(f"after the last submission: {what}")


async def settle(net: ReportRoutingNet, timeout_ms: int) -> None:
    """Until every MMSC has sent its reports and no server holds any (TimeoutError else)."""
    assert net.farm is not None
    servers = list(net.farm.servers.values())

    def mmsc_done(mmsc: Any) -> bool:
        owed = sum(len(r.recipients) for r in mmsc.received)
        return len(mmsc.events.of("report_sent")) >= owed

    for mmsc in net.mmscs.values():
        await mmsc.events.wait_for(lambda _, m=mmsc: mmsc_done(m), timeout_ms, f"{mmsc.role}")
    for server in servers:
        await server.events.wait_for(
            lambda _, s=server: not s.held, timeout_ms, f"{server.role} holding nothing"
        )


@dataclass
class Accounting:
    """The figures a run ends with, and what is wrong with them."""

    seed: int
    submissions: int
    keys: int  # (MSGID1, recipient) pairs the SP expects a final state for
    finals: dict[str, int]  # final state -> how many keys
    dead: int  # keys accounted for by a dead letter
    missing: list[tuple[str, str]]  # neither final nor dead-lettered
    duplicates: dict[tuple[str, str], int]
    unknown: int  # reports the SP never submitted
    late: int  # final reports for keys whose submission the SP was told failed
    ledgers: list[Ledger]
    mmsc_gave_up: list[str]  # reports an MMSC sent and no server took
    problems: list[str]

    def lines(self) -> list[str]:
        out = [
            f"seed {self.seed}: {self.submissions} submissions, {self.keys} (MSGID1, recipient)",
            f"  SP final states: {dict(sorted(self.finals.items()))}",
            f"  dead-lettered: {self.dead}; missing: {len(self.missing)}; "
            f"duplicates: {len(self.duplicates)}; unknown reports: {self.unknown}; "
            f"reports after SubmitFailed: {self.late}",
            f"  MMSC reports no server took: {len(self.mmsc_gave_up)}",
            *(f"  {ledger}" for ledger in self.ledgers),
        ]
        return out + [f"  PROBLEM: {p}" for p in self.problems]


def account(net: ReportRoutingNet, seed: int) -> Accounting:
    assert net.farm is not None
    sp = net.sp
    ledgers = [mmsg_ledger(s) for _, s in sorted(net.farm.servers.items())]
    finals = sp.final_states()
    dead = dead_letter_keys(net)
    # A submission to a server that was down never left the SP: nothing to account for.
    unsent = {
        (s.msgid1, r)
        for s in sp.submissions
        if s.answer in (Answer.UNREACHABLE, Answer.UNSENT)
        for r in s.recipients
    }
    missing = sorted(
        k for k in sp.expected if k not in finals and k not in dead and k not in unsent
    )
    duplicates = sp.tracking.duplicates()
    late = sum(
        1
        for states in sp.tracking.states.values()
        if states and states[0] == "SubmitFailed" and len(states) > 1
    )
    gave_up = [
        f"{m.role} -> {r.target}: {r.outcome.status or r.outcome.error} ({r.msgid2}/{r.recipient})"
        for m in net.mmscs.values()
        for r in m.reports
        if not r.outcome.ok
    ]
    counts: dict[str, int] = {}
    for state in finals.values():
        counts[state] = counts.get(state, 0) + 1
    problems = ledger_problems(ledgers)
    if missing:
        problems.append(f"{len(missing)} (MSGID1, recipient) neither final nor dead: {missing[:3]}")
    if gave_up:
        problems.append(
            f"{len(gave_up)} delivery reports an MMSC sent that no server took, "
            f"and that it did not send again: {gave_up[:3]}"
        )
    if duplicates:
        problems.append(f"duplicate final states at the SP: {list(duplicates.items())[:5]}")
    if sp.unknown_reports():
        problems.append(f"reports the SP never submitted: {sp.unknown_reports()[:3]}")
    return Accounting(
        seed,
        len(sp.submissions),
        len(sp.expected),
        counts,
        sum(1 for k in dead if k in sp.expected),
        missing,
        duplicates,
        len(sp.unknown_reports()),
        late,
        ledgers,
        gave_up,
        problems,
    )


class Faults:
    """Everything the fault tests use, handed out by the ``faults`` fixture."""

    Ledger = Ledger
    Traffic = Traffic
    net = staticmethod(fault_net)
    settle = staticmethod(settle)
    account = staticmethod(account)
    mmsg_ledger = staticmethod(mmsg_ledger)
    ledger_problems = staticmethod(ledger_problems)
    dead_letter_keys = staticmethod(dead_letter_keys)


@pytest.fixture
def faults() -> type[Faults]:
    return Faults
