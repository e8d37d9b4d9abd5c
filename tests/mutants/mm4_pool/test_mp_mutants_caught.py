"""Detection: for each mp_* clause, deliberately broken relays the suite must catch.

Each mutant (mp_mutants.py) is the reference relay with one hook overridden.
The suite runs embedded against it, only the scenarios its tags select, and
a scenario must fail naming the clause it breaks: a FAIL, not an ERROR
(tests/support/mutants.py).
"""

from __future__ import annotations

from pathlib import Path

from tests.support.mutants import Mutant, assert_caught, profile, run_suite_against

HERE = Path(__file__).parent

#: The scenario that catches each mutant (the first to fail naming its clause), for the record.
CAUGHT_BY = {
    "mutant-pool-max-ignored": "A burst is carried on a bounded number of reused connections",
    "mutant-broken-not-replaced": "A connection cut during DATA is replaced",
    "mutant-one-message-pool": "The relay keeps one message pool per destination",
    "mutant-one-dispatch-line": "A slow destination does not hold the others back",
    "mutant-connects-on-demand": "The sub-pools' connections are open before the first message",
    "mutant-connection-per-message": "A burst is carried on a bounded number of reused connections",
    "mutant-no-retry-after-cut": "A connection cut during DATA is replaced",
    "mutant-swallows-forward-res": "300 messages to three destinations all arrive",
    "mutant-dead-letters-unreported": "A destination down past the expiry",
    "baseline-per-message": "A slow destination does not hold the others back",
}

#: Shorter harness timers (the reference meets them easily). The embedded relay is
#: thrown away with the run: no need to listen long after the last scenario.
TIMERS = {"preestablish_timeout_ms": 3000, "retry_horizon_ms": 300, "arrival_timeout_ms": 10_000}
#: A mutant that is slow but loses nothing gets the time to show its real fault (a
#: connection per message is slow on a loaded machine: its messages must not expire).
SLOW = {"mutant-connection-per-message": {"arrival_timeout_ms": 40_000, "expiry_ms": 40_000}}


def test_the_suite_catches_the_mutant(mutant: Mutant, tmp_path: Path) -> None:
    text = profile(mutant.name, "mm4_pool", "relay", {**TIMERS, **SLOW.get(mutant.name, {})})
    run, failed = run_suite_against(HERE, "mp_mutants", text, mutant.tags, tmp_path)
    assert_caught(mutant, run, failed, CAUGHT_BY[mutant.name])
