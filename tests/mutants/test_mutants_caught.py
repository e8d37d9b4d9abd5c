"""Detection: for each clause, a deliberately broken gateway the suite must catch.

Each mutant (rr_mutants.py) is the reference with one hook overridden. The
suite runs embedded against it, only the scenarios tagged with the clause it
breaks (``--tags``), and some scenario must fail naming that clause: a FAIL,
not an ERROR, and for the right reason (tests/support/mutants.py).
"""

from __future__ import annotations

from pathlib import Path

from tests.support.mutants import Mutant, assert_caught, profile, run_suite_against

HERE = Path(__file__).parent

#: Which scenario catches each mutant (the first to fail naming the clause), for the record.
CAUGHT_BY = {
    "mutant-drops-priority": "Every server of the farm takes the SP's submission",
    "mutant-no-auth-check": "An SP that fails authentication gets a failure response",
    "mutant-msgid2-not-unique": "A group message is split per destination MMSC",
    "mutant-group-not-split": "A group message is split per destination MMSC",
    "mutant-control-per-msgid2": "Each destination of one message comes back with its own state",
    "mutant-reports-at-even-servers-only": "A report landing on a server that did not issue",
    "mutant-msgid2-without-module": "A report landing on a server that did not issue",
    "mutant-no-report-forwarding": "A report landing on a server that did not issue",
    "mutant-reports-with-msgid2": "A report landing on a server that did not issue",
    "mutant-no-duplicate-suppression": "A report sent again because its answer was lost",
    "mutant-mo-without-content": "A message from a handset reaches the SP once",
    "mutant-cancel-at-issuer-only": "A message the SP cancels through another server",
    "mutant-replace-without-content": "A message the SP replaces through another server",
    "baseline-last-two-digits": "A group message whose numbers share their last two digits",
}

#: A shorter report timeout: the reference meets it easily.
PIXIT = {"report_timeout_ms": 3000}


def test_the_suite_catches_the_mutant(mutant: Mutant, tmp_path: Path) -> None:
    text = profile(mutant.name, "report_routing", "gateway", PIXIT)
    run, failed = run_suite_against(HERE, "rr_mutants", text, mutant.tags, tmp_path)
    assert_caught(mutant, run, failed, CAUGHT_BY[mutant.name])
