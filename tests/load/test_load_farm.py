"""``mmsconf load`` against the reference gateway farm out of process, zero lost.

The farm (``mmsconf emulate mmsg-farm``), the MMSCs and the SP's report
receiver (``mmsconf emulate mmsc|sp --counts-port``) each run as their own
process at a profile that names the farm as external, as a vendor's product
would be; Locust runs in ``mmsconf load``'s subprocesses. Bounded: a few
hundred submissions, every process with a timeout, every child killed at the
end whatever happened.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from mmsconf.emulators.ports import listen_port
from mmsconf.fixtures.load.reference import ReferenceNet, reference_farm

LOAD = [sys.executable, "-m", "mmsconf.fixtures.cli", "load"]
RUN_TIMEOUT_S = 180
COUNT = 300


@pytest.fixture
def net(tmp_path: Path) -> Iterator[ReferenceNet]:
    with reference_farm(tmp_path, seed=3) as running:
        yield running


def _common(net: ReferenceNet, report: Path) -> list[str]:
    counts = [a for url in net.counts for a in ("--counts", url)]
    return [
        "--profile",
        str(net.profile),
        "--users",
        "6",
        "--count",
        str(COUNT),
        "--seed",
        "11",
        "--drain-ms",
        "30000",
        "--report-dir",
        str(report),
        *counts,
    ]


def _judged(report: Path, out: str) -> dict:
    result = json.loads((report / "load.json").read_text(encoding="utf-8"))
    assert result["verdict"] == "passed", out
    assert result["accepted"] == COUNT
    assert result["lost"] == 0 and result["duplicated"] == 0 and result["unexpected"] == 0
    assert result["final_once"] == result["expected"] > COUNT  # group messages among them
    assert "lost 0, duplicated 0" in out
    page = (report / "index.html").read_text(encoding="utf-8")
    assert '<section id="load"' in page and "<svg" in page
    assert (report / "locust_stats.csv").exists() and (report / "locust.html").exists()
    return result


def test_one_machine_two_processes(net: ReferenceNet, tmp_path: Path) -> None:
    report = tmp_path / "report"
    done = subprocess.run(
        [*LOAD, *_common(net, report), "--processes", "2"],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    _judged(report, out)
    assert "2 worker process(es)" in out
    assert "--processes 2" in (report / "index.html").read_text(encoding="utf-8")


def _wait_listening(port: int, timeout_ms: int) -> None:
    """The master's port accepts connections (a readiness probe with a deadline)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the master did not listen on {port} in {timeout_ms} ms"
                ) from None
            time.sleep(0.05)  # a readiness probe's interval, bounded by the deadline


def test_a_master_and_two_workers_on_loopback(net: ReferenceNet, tmp_path: Path) -> None:
    report = tmp_path / "report"
    port = listen_port("127.0.0.1")
    master_argv = [*LOAD, *_common(net, report), "--master", "--expect-workers", "2"]
    master_argv += ["--master-port", str(port), "--expect-workers-max-wait-ms", "60000"]
    started: list[subprocess.Popen] = []
    try:
        master = subprocess.Popen(
            master_argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        started.append(master)
        _wait_listening(port, 30_000)
        for _ in range(2):
            worker = [*LOAD, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
            started.append(
                subprocess.Popen(worker, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            )
        out, _ = master.communicate(timeout=RUN_TIMEOUT_S)
        assert master.returncode == 0, out
        for worker_proc in started[1:]:
            assert worker_proc.wait(timeout=30) == 0
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
    _judged(report, out)
    assert "master with 2 workers" in (report / "index.html").read_text(encoding="utf-8")


def test_a_timed_paced_run_stops_by_itself(tmp_path: Path) -> None:
    # --duration with --rate: the master tells the workers when the time is up, and the
    # pacing holds the total rate (4 users, 50/s in all: about 100 in 2 s, never far more).
    with reference_farm(tmp_path, seed=5) as net:
        report = tmp_path / "report"
        argv = [*LOAD, "--profile", str(net.profile), "--processes", "2", "--users", "4"]
        argv += ["--duration", "2s", "--rate", "50", "--report-dir", str(report)]
        argv += ["--drain-ms", "30000", *(a for u in net.counts for a in ("--counts", u))]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    result = json.loads((report / "load.json").read_text(encoding="utf-8"))
    assert 20 <= result["accepted"] <= 50 * 2 + 4, out
    assert result["lost"] == 0 and result["final_once"] == result["expected"]


SUTS = Path(__file__).parents[1] / "vendor" / "suts.py"


def test_a_farm_that_loses_every_report_is_caught(tmp_path: Path) -> None:
    # A SUT that answers SubmitRsp 1000 and then forwards and reports nothing: every
    # accepted recipient is lost, the run exits 1 and says how many.
    def accept_only(profile: Path) -> list[str]:
        return [sys.executable, str(SUTS), "accept-only", "--profile", str(profile)]

    with reference_farm(tmp_path, farm_argv=accept_only) as net:
        report = tmp_path / "report"
        argv = [*LOAD, "--profile", str(net.profile), "--processes", "1", "--users", "2"]
        argv += ["--count", "20", "--recipient-mix", "1:0", "--report-dir", str(report)]
        argv += ["--drain-ms", "500", *(a for u in net.counts for a in ("--counts", u))]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "lost 20, duplicated 0" in out
    result = json.loads((report / "load.json").read_text(encoding="utf-8"))
    assert result["verdict"] == "failed" and result["lost"] == 20
    assert 'class="verdict-failed"' in (report / "index.html").read_text(encoding="utf-8")


def test_the_first_interrupt_ends_a_long_run_early_and_still_checks_it(tmp_path: Path) -> None:
    # A 10-minute run, interrupted once submissions flow (the SP's counts say so, the
    # wait held by the role until 20 recipients are settled): the workers stop, report
    # what they accepted, and the run is checked as usual, long before its time is up.
    with reference_farm(tmp_path, seed=9) as net:
        report = tmp_path / "report"
        argv = [*LOAD, "--profile", str(net.profile), "--processes", "1", "--users", "2"]
        argv += ["--duration", "10m", "--rate", "40", "--report-dir", str(report)]
        argv += ["--drain-ms", "30000", *(a for u in net.counts for a in ("--counts", u))]
        started = time.monotonic()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            tag = _run_tag(proc)
            sp = next(u for u in net.counts if _role(u) == "sp")
            _counts(sp, tag, until=20, wait_ms=60_000)
            proc.send_signal(signal.SIGINT)
            out, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 0, out
    assert "finishing early" in out
    assert time.monotonic() - started < 120
    result = json.loads((report / "load.json").read_text(encoding="utf-8"))
    assert result["accepted"] >= 20 and result["lost"] == 0
    assert result["final_once"] == result["expected"]


def _run_tag(proc: subprocess.Popen) -> str:
    assert proc.stdout is not None
    first = proc.stdout.readline()  # "mmsconf load: seed S, run tag T, ..."
    found = re.search(r"run tag (L[0-9a-f]{8})", first)
    assert found, first
    return found.group(1)


def _counts(base: str, tag: str, until: int = 0, wait_ms: int = 0) -> dict:
    query = urllib.parse.urlencode({"tag": tag, "until": until, "wait_ms": wait_ms})
    with urllib.request.urlopen(f"{base}/counts?{query}", timeout=wait_ms / 1000 + 10) as rsp:
        return json.loads(rsp.read())


def _role(base: str) -> str:
    return _counts(base, "none")["role"]


def test_two_runs_at_once_keep_apart(net: ReferenceNet, tmp_path: Path) -> None:
    # Two local runs side by side: each Locust master on a port of its own, and each run
    # counts only its own tag at the shared SP, so both are judged whole and apart.
    runs = []
    try:
        for n in (1, 2):
            report = tmp_path / f"report{n}"
            argv = [*LOAD, *_common(net, report), "--processes", "1"]
            argv[argv.index("--count") + 1] = "150"
            runs.append(
                (report, subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
            )
        for report, proc in runs:
            out, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
            assert proc.returncode == 0, out
            result = json.loads((report / "load.json").read_text(encoding="utf-8"))
            assert result["accepted"] == 150 and result["lost"] == 0
            assert result["unexpected"] == 0  # the other run's reports are not counted here
    finally:
        for _, proc in runs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
