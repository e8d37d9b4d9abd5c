"""Detection: for each dr_* clause, a deliberately broken router the suite must catch.

Each mutant (dr_mutants.py) is the reference with one hook overridden. The
suite runs embedded against it, only the scenarios tagged with the clause it
breaks (``--tags``), stopping at the first failure, and that failure must be
a FAIL naming the clause (not an ERROR), in the scenario that is meant to
catch it (tests/support/mutants.py). The prior art is held to the same.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.mutants import Mutant, assert_caught, load, profile, run_suite_against

HERE = Path(__file__).parent

#: Which scenario catches each mutant (the first to fail naming the clause).
CAUGHT_BY = {
    "mutant-probes-once": "MMSC A fails while the resolver and the WAP gateway hold",
    "mutant-new-transaction-id": "MMSC A fails while the resolver and the WAP gateway hold",
    "mutant-drops-when-none-healthy": "With every MMSC down each submission gets an MM1 error",
    "mutant-no-retry": "MMSC A fails while the resolver and the WAP gateway hold",
    "mutant-never-rejoins": "MMSC A recovers and takes submissions again",
    "mutant-late-detection": "MMSC A fails while the resolver and the WAP gateway hold",
    "mutant-domain-to-mmsc-b": "A submission goes from the handset through the WAP gateway",
    "baseline-direct": "MMSC A fails while the resolver and the WAP gateway hold",
}

#: A shorter detection timer: the reference detects in a few probe periods.
PIXIT = {"detection_timeout_ms": 2500}


def test_every_clause_has_a_mutant() -> None:
    from mmsconf.fixtures.areas.disaster_recovery.clauses import CLAUSES

    mutants: dict[str, str] = load(HERE, "dr_mutants").MUTANTS
    assert {c.id for c in CLAUSES} <= set(mutants.values())
    assert set(CAUGHT_BY) == set(mutants)


def test_the_suite_catches_the_mutant(mutant: Mutant, tmp_path: Path) -> None:
    text = profile(mutant.name, "disaster_recovery", "router", PIXIT)
    run, failed = run_suite_against(
        HERE, "dr_mutants", text, mutant.tags, tmp_path, area="disaster_recovery"
    )
    assert_caught(mutant, run, failed, CAUGHT_BY[mutant.name])
