"""Detection: for each gs_* clause, a deliberately broken role the suite must catch.

Each mutant (gs_mutants.py) is the reference with one hook overridden. The
suite runs embedded against it, only the gateway-selection scenarios tagged
with the clause it breaks (``--tags``), and some scenario must fail naming that
clause: a FAIL, not an ERROR, and for the right reason (tests/support/mutants.py).
"""

from __future__ import annotations

from pathlib import Path

from tests.support.mutants import Mutant, assert_caught, profile, run_suite_against

HERE = Path(__file__).parent

#: Which scenario catches each mutant (the first to fail naming the clause), for the record.
CAUGHT_BY = {
    "mutant-sp-reuses-answer": "By delay, the gateway with the shortest service delay",
    "mutant-names-status-url": "By delay, the gateway with the shortest service delay",
    "mutant-stops-probing-out": "A gateway that stops answering heartbeats gets no more messages",
    "mutant-longest-delay": "By delay, the gateway with the shortest service delay",
    "mutant-lowest-traffic": "By residual traffic, the gateway with the most room",
    "mutant-lowest-throughput": "By residual throughput, the gateway with the most spare",
    "mutant-first-criterion-only": "A tie on delay, within its tolerance, is broken by residual",
    "mutant-answers-every-name": "A query outside the zone gets REFUSED",
    "mutant-ignores-registrations": "A gateway that joins takes traffic within one heartbeat",
    "mutant-ignores-missed": "A gateway that stops answering heartbeats gets no more messages",
    "mutant-keeps-the-mmsc": "Each forward to the MMSC follows a DNS answer",
}

#: A shorter wait: the reference is heard from within a few heartbeat periods.
PIXIT = {"wait_ms": 3000}


def test_the_suite_catches_the_mutant(mutant: Mutant, tmp_path: Path) -> None:
    text = profile(mutant.name, "gateway_selection", "selector", PIXIT)
    run, failed = run_suite_against(
        HERE, "gs_mutants", text, mutant.tags, tmp_path, area="gateway_selection"
    )
    assert_caught(mutant, run, failed, CAUGHT_BY[mutant.name])
