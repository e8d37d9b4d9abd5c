"""The progress plugin, on a fake terminal (a TTY and a CI log) and in a real pytest run."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from mmsconf.fixtures.progress import Progress


class FakeTerminal:
    def __init__(self, tty: bool, width: int = 80) -> None:
        self.tty = tty
        self.width = width
        self.chunks: list[str] = []

    def write(self, text: str) -> None:
        self.chunks.append(text)

    def isatty(self) -> bool:
        return self.tty

    @property
    def text(self) -> str:
        return "".join(self.chunks)


def _report(nodeid: str, when: str, outcome: str, **extra: object) -> SimpleNamespace:
    return SimpleNamespace(
        nodeid=nodeid,
        when=when,
        outcome=outcome,
        passed=outcome == "passed",
        failed=outcome == "failed",
        skipped=outcome == "skipped",
        **extra,
    )


def _run(progress: Progress, tests: list[tuple[str, dict[str, str]]]) -> None:
    """Feed the plugin the reports pytest would give for each (nodeid, outcome by phase)."""
    progress.total = len(tests)
    for nodeid, phases in tests:
        for when in ("setup", "call", "teardown"):
            if when in phases or when != "call":
                progress.pytest_runtest_logreport(_report(nodeid, when, phases.get(when, "passed")))
    progress.pytest_sessionfinish(SimpleNamespace())  # type: ignore[arg-type]


TESTS = [
    ("f.py::test_submit_is_answered[Rejected]", {"call": "passed"}),
    ("f.py::test_reports_go_home", {"call": "failed"}),
    ("f.py::test_gateway_is_picked", {"setup": "failed"}),
    ("f.py::test_sip_push", {"setup": "skipped"}),
    ("f.py::test_teardown_breaks", {"call": "passed", "teardown": "failed"}),
]


def test_ci_log_gets_one_plain_line_per_scenario() -> None:
    terminal = FakeTerminal(tty=False)
    _run(Progress(terminal), TESTS)
    assert terminal.text.splitlines() == [
        "scenario 1 of 5 passed: submit is answered [Rejected] "
        "(1 passed, 0 failed, 0 skipped, 0 error)",
        "scenario 2 of 5 failed: reports go home (1 passed, 1 failed, 0 skipped, 0 error)",
        "scenario 3 of 5 error: gateway is picked (1 passed, 1 failed, 0 skipped, 1 error)",
        "scenario 4 of 5 skipped: sip push (1 passed, 1 failed, 1 skipped, 1 error)",
        "scenario 5 of 5 error: teardown breaks (1 passed, 1 failed, 1 skipped, 2 error)",
    ]
    assert "\r" not in terminal.text


def test_the_harness_verdict_and_name_win_over_pytest_outcome() -> None:
    # mmsconf calls a HarnessError raised in a step an error, though pytest
    # saw the call fail; and it knows the scenario's display name.
    terminal = FakeTerminal(tty=False)
    verdicts = {"f.py::test_reports_go_home": "error"}
    names = {"f.py::test_reports_go_home": "Reports go home [state=Rejected]"}
    progress = Progress(
        terminal,
        verdict_of=lambda config, nodeid: verdicts.get(nodeid),
        name_of=lambda config, nodeid: names.get(nodeid),
    )
    _run(progress, TESTS[1:2])
    assert terminal.text == (
        "scenario 1 of 1 error: Reports go home [state=Rejected] "
        "(0 passed, 0 failed, 0 skipped, 1 error)\n"
    )


def test_a_tty_gets_one_line_rewritten_and_failures_kept() -> None:
    terminal = FakeTerminal(tty=True, width=61)
    _run(Progress(terminal), TESTS[:3])
    # Every scenario rewrites the line from its start, at the terminal's width less one.
    assert len(terminal.chunks) == 3 + 1
    assert all(chunk.startswith("\r") for chunk in terminal.chunks[:3])
    screen = terminal.text.split("\n")
    # What stays on screen: the failures, each on its own line, then the last progress line.
    kept = [line.rsplit("\r", 1)[-1] for line in screen]
    assert kept[0].rstrip() == "FAILED reports go home"
    assert kept[1].rstrip() == "ERROR gateway is picked"
    assert kept[2].startswith("scenario 3 of 3 · 1 passed, 1 failed, 0 skipped, 1 error · ")
    assert all(len(line) == 60 for line in kept[:3])
    # The session ends the progress line, so pytest's summary starts on its own.
    assert terminal.chunks[-1] == "\n"


def test_a_tty_says_which_scenario_is_running() -> None:
    terminal = FakeTerminal(tty=True, width=81)
    progress = Progress(terminal)
    progress.total = 2
    progress.pytest_runtest_logstart("f.py::test_slow_one", None)
    (line,) = terminal.chunks
    assert line.rstrip() == (
        "\rscenario 1 of 2 · 0 passed, 0 failed, 0 skipped, 0 error · running slow one"
    )
    # Not in a CI log: a line per finished scenario is all it gets.
    log = FakeTerminal(tty=False)
    Progress(log).pytest_runtest_logstart("f.py::test_slow_one", None)
    assert log.chunks == []


def test_a_long_name_is_cut_not_wrapped() -> None:
    terminal = FakeTerminal(tty=True, width=41)
    progress = Progress(terminal)
    progress.total = 1
    progress.finished("f.py::test_" + "very_long_" * 10, "passed")
    (line,) = terminal.chunks
    assert line.startswith("\rscenario 1 of 1 · 1 passed") and line.endswith("…")
    assert len(line) == 1 + 40


def test_unknown_total() -> None:
    terminal = FakeTerminal(tty=False)
    progress = Progress(terminal)
    progress.finished("f.py::test_x", "passed")
    assert terminal.text.startswith("scenario 1 of ? passed: x")


def test_in_a_real_pytest_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "test_sample.py").write_text(
        textwrap.dedent(
            """
            import pytest

            def test_one():
                pass

            def test_two():
                assert False

            @pytest.mark.skip(reason="not claimed")
            def test_three():
                pass
            """
        )
    )
    terminal = FakeTerminal(tty=False)
    configs: list[object] = []

    def verdict_of(config: pytest.Config | None, nodeid: str) -> None:
        configs.append(config)  # where the harness would look its verdict up

    code = pytest.main(
        [str(tmp_path), "-p", "no:cacheprovider", "-p", "no:mmsconf", "--import-mode=importlib"],
        plugins=[Progress(terminal, verdict_of=verdict_of)],
    )
    assert code == pytest.ExitCode.TESTS_FAILED
    assert len(configs) == 3 and all(isinstance(c, pytest.Config) for c in configs)
    assert terminal.text.splitlines() == [
        "scenario 1 of 3 passed: one (1 passed, 0 failed, 0 skipped, 0 error)",
        "scenario 2 of 3 failed: two (1 passed, 1 failed, 0 skipped, 0 error)",
        "scenario 3 of 3 skipped: three (1 passed, 1 failed, 1 skipped, 0 error)",
    ]
    out = capsys.readouterr().out
    # pytest's dots (and the file prefix they follow) are replaced; its summary is not.
    assert not [line for line in out.splitlines() if line.startswith("test_sample.py")], out
    assert "test_sample.py:" in out  # the failure's traceback
    assert "1 failed, 1 passed, 1 skipped" in out


def test_verbose_runs_keep_pytest_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "test_verbose_sample.py").write_text("def test_one():\n    pass\n")
    terminal = FakeTerminal(tty=False)
    pytest.main(
        [
            str(tmp_path),
            "-v",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:mmsconf",
            "--import-mode=importlib",
        ],
        plugins=[Progress(terminal)],
    )
    assert terminal.text == ""
    assert "test_verbose_sample.py::test_one PASSED" in capsys.readouterr().out
