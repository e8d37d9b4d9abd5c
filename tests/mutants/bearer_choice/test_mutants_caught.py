"""Detection: for each bc_* clause, deliberately broken push gateways the suite must catch.

Each mutant (bc_mutants.py) is the reference with one hook overridden. The
suite runs embedded against it, only the scenarios tagged with the clause it
breaks (``--tags``), and the first scenario to fail must name that clause: a
FAIL, not an ERROR, and for the right reason (tests/support/mutants.py). The
prior art is checked the same way: it must fail the send-once scenarios.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.mutants import Mutant, assert_caught, load, profile, run_suite_against

HERE = Path(__file__).parent

#: Shorter harness timers: the reference meets them easily.
PIXIT = {"outcome_timeout_ms": 2500, "sip_timeout_ms": 1500}


def test_the_suite_catches_the_mutant(mutant: Mutant, tmp_path: Path) -> None:
    text = profile(mutant.name, "bearer_choice", "gateway", PIXIT)
    run, failed = run_suite_against(HERE, "bc_mutants", text, mutant.tags, tmp_path)
    assert_caught(mutant, run, failed, load(HERE, "bc_mutants").CAUGHT_BY[mutant.name])


def test_the_prior_art_fails_every_send_once_scenario(tmp_path: Path) -> None:
    text = profile("baseline-fixed-bearer", "bearer_choice", "gateway", PIXIT)
    tags = "bearer_choice and not bc_via_server or bc_no_retry"
    # Every scenario runs (no -x): each send-once scenario must fail.
    run, failed = run_suite_against(HERE, "bc_mutants", text, tags, tmp_path, extra_pytest_args=())
    assert run.returncode == 1 and "ERROR" not in failed.values(), failed
    for must in (
        "A client registered for SIP push gets one SIP MESSAGE",
        "A client not registered for SIP push gets one WAP push",
        "The initiator prefers SIP and the client cannot take it",
        "A client that went offline while registered for SIP push",
        "200 pushes to clients in mixed states",
    ):
        assert any(s.startswith(must) for s in failed), (must, failed)
