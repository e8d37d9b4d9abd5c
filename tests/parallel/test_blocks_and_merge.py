"""The pieces of a parallel run that need no network: the loopback blocks, which profile
addresses move into them, the merge of the workers' results, and ``mmsconf run -n``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mmsconf.emulators import loopback
from mmsconf.fixtures import cli, parallel
from mmsconf.fixtures.profile import load_profile
from mmsconf.reports.model import RunResult, ScenarioResult


@pytest.fixture
def block() -> Iterator[None]:
    loopback.set_block(3)
    try:
        yield
    finally:
        loopback.set_block(None)


def test_no_block_moves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(loopback.ENV, raising=False)
    assert loopback.local("127.0.20.80") == "127.0.20.80"


def test_a_block_moves_what_the_harness_chose(block: None) -> None:
    assert loopback.local("127.0.20.80") == "127.3.20.80"
    # 127.0.0.Y stays (bind9 and Postfix listen on 127.0.0.1 only); others are not ours.
    assert loopback.local("127.0.0.1") == "127.0.0.1"
    assert loopback.local("10.0.20.80") == "10.0.20.80"
    assert loopback.local_url("http://u:p@127.0.30.1:8080/mm7") == "http://u:p@127.3.30.1:8080/mm7"
    tree = {"a": ["127.0.40.1", 5, "mms.operator.example"], "b": {"c": "http://127.0.9.9/x"}}
    moved = {"a": ["127.3.40.1", 5, "mms.operator.example"], "b": {"c": "http://127.3.9.9/x"}}
    assert loopback.local_tree(tree) == moved


def test_the_environment_names_a_block(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(loopback.ENV, "7")
    assert loopback.local("127.0.44.2") == "127.7.44.2"
    monkeypatch.setenv(loopback.ENV, "300")
    with pytest.raises(ValueError, match=loopback.ENV):
        loopback.block()


def test_worker_blocks_start_at_one() -> None:
    assert [loopback.block_of_worker(w) for w in ("gw0", "gw1", "gw9")] == [1, 2, 10]


def test_profile_defaults_move_the_profiles_own_addresses_do_not(
    block: None, tmp_path: Path
) -> None:
    profile = load_profile()
    assert profile.report_routing.sp.host == "127.3.10.1"
    assert profile.mm4_pool.destinations.hosts["B"].host == "127.3.44.2"
    assert profile.disaster_recovery.mmsc.hosts == {"A": "127.3.40.21", "B": "127.3.40.22"}
    own = tmp_path / "own.toml"
    own.write_text('[report_routing.sp]\nhost = "127.0.10.9"\n')
    assert load_profile(own).report_routing.sp.host == "127.0.10.9"


def test_an_area_with_a_sut_outside_keeps_its_addresses(block: None) -> None:
    profile = load_profile("example-external-mmsg.toml")
    # The vendor's farm is configured to reach the harness's SP and MMSCs where they were.
    assert profile.report_routing.sp.host == "127.0.10.1"
    assert profile.report_routing.mmsc.hosts["A"] == "127.0.30.1"
    # Its other areas are the harness's own.
    assert profile.gateway_selection.dns.host == "127.3.54.1"


def _result(nodeid: str, verdict: str = "passed") -> ScenarioResult:
    return ScenarioResult(nodeid, "F", "f.feature", "", nodeid, 1, "a", [], [], verdict=verdict)


def _run(started: float, finished: float, *nodeids: str) -> RunResult:
    return RunResult(started, finished, "reference", None, 7, [_result(n) for n in nodeids], [])


def test_merge_orders_by_collection_and_spans_the_workers(tmp_path: Path) -> None:
    parts = [
        parallel.WorkerResult("gw0", _run(10.0, 20.0, "t::c", "t::a"), ["t::a"]),
        parallel.WorkerResult("gw1", _run(9.0, 25.0, "t::b")),
    ]
    paths = [parallel.write_worker_result(p, tmp_path) for p in parts]
    run, late = parallel.merge(parallel.read_worker_results(paths), ["t::a", "t::b", "t::c"])
    assert [s.nodeid for s in run.scenarios] == ["t::a", "t::b", "t::c"]
    assert (run.started, run.finished, run.seed, late) == (9.0, 25.0, 7, ["t::a"])
    assert run.workers == 2
    # The workers' files are gone once read.
    assert not (tmp_path / parallel.WORKER_DIR).exists()


@pytest.mark.parametrize("value", ["-2", "two", "1.5", ""])
def test_run_n_refuses_what_is_not_a_worker_count(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run", "-n", value])
    assert exit_.value.code == cli.EXIT_USAGE
    assert "-n" in capsys.readouterr().err
