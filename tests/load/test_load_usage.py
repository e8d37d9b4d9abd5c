"""``mmsconf load``: bad input is a usage error (exit 3) that names the option; nothing runs.

In process: checking the options imports no Locust (the runner starts Locust in
subprocesses only), so these need no network and no Locust process.
"""

from __future__ import annotations

import socket

import pytest

from mmsconf.fixtures.cli import main
from mmsconf.fixtures.load import runner

EXTERNAL = "example-external-mmsg.toml"  # names the farm at 127.0.0.180/181 as the SUT


def _load(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["load", *args])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--users", "0"], "--users"),
        (["--users", "many"], "--users"),
        (["--rate", "-5"], "--rate"),
        (["--rate", "nan"], "--rate"),
        (["--spawn-rate", "0"], "--spawn-rate"),
        (["--count", "0"], "--count"),
        (["--processes", "-1"], "--processes"),
        (["--group-size", "11"], "--group-size"),  # the profile allows 10 per SubmitReq
        (["--recipient-mix", "1"], "--recipient-mix"),
        (["--drain-ms", "x"], "--drain-ms"),
        (["--counts", "ftp://127.0.0.1:1"], "--counts"),
        (["--users", "1", "--processes", "2"], "--users"),
    ],
)
def test_a_bad_number_names_its_option(
    capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    base = ["--profile", EXTERNAL, "--count", "10"]
    code, err = _load(capsys, *base, *args)
    assert code == 3
    assert f"mmsconf load: {named}" in err


def test_a_run_must_be_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _load(capsys, "--profile", EXTERNAL)
    assert code == 3 and "--count or --duration" in err
    code, err = _load(capsys, "--profile", EXTERNAL, "--duration", "soon")
    assert code == 3 and "--duration" in err


def test_a_profile_without_an_external_farm_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    # The shipped reference profile embeds the farm: there is nothing external to load.
    code, err = _load(capsys, "--profile", "baseline-report-routing.toml", "--count", "5")
    assert code == 3
    assert "--profile baseline-report-routing.toml: names no external SUT" in err


def test_a_worker_that_cannot_reach_its_master_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A port that refuses: bound, never listened on, so nothing else can take it meanwhile.
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        code, err = _load(
            capsys,
            "--worker",
            "--master-host",
            "127.0.0.1",
            "--master-port",
            str(port),
            "--connect-timeout-ms",
            "500",
        )
    assert code == 3
    assert f"--master-host 127.0.0.1 --master-port {port}: cannot reach the master" in err


def test_a_master_must_say_how_many_workers(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _load(capsys, "--master", "--profile", EXTERNAL, "--count", "5")
    assert code == 3 and "--expect-workers" in err


def test_without_locust_it_says_how_to_install_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "find_spec", lambda name: None)
    code, err = _load(capsys, "--profile", EXTERNAL, "--count", "5")
    assert code == 3
    assert "pip install 'mmsconf[load]'" in err


def test_the_core_package_imports_without_locust() -> None:
    # The CLI, the runner and the report never import Locust (nor gevent, whose patches
    # would break the asyncio harness): after the tests above, neither is loaded here.
    import sys

    main(["profiles"])
    assert "locust" not in sys.modules
    assert "gevent" not in sys.modules
