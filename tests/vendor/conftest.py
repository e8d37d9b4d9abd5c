"""Out-of-process SUTs: ``mmsconf emulate`` (or one of the misbehaving SUTs of
``suts.py``) started as its own process, and the harness pointed at it through a
SUT profile with ``mmsconf run``, as a vendor would do.

Test modules are imported with --import-mode=importlib and cannot import this
file: the ``vendor`` fixture hands the helpers out.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mmsconf.emulators.ports import listen_port

READY_TIMEOUT_S = 20
SUTS = Path(__file__).with_name("suts.py")
MM4_SUTS = Path(__file__).with_name("mm4_suts.py")

#: Where the profile's two farm servers listen; they share one port.
FARM_HOSTS = ("127.0.20.80", "127.0.20.81")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``slow`` tests (the 20-run vendor loop) run only when asked: ``pytest -m slow``."""
    if "slow" in (config.getoption("markexpr") or ""):
        return
    keep = [i for i in items if i.get_closest_marker("slow") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


def farm_port(hosts: tuple[str, ...] = FARM_HOSTS) -> int:
    """A port free on every farm host, outside the ephemeral range: no client socket of
    either process can hold it when the emulator binds or re-binds it."""
    return listen_port(*hosts)


@dataclass(frozen=True)
class Ports:
    """The harness's pinned ports: a farm process must know where the SP and MMSCs are."""

    sp: int
    mmsc: int
    control: int

    @classmethod
    def fresh(cls) -> Ports:
        return cls(
            listen_port("127.0.10.1"),
            listen_port("127.0.30.1", "127.0.30.2"),
            listen_port("127.0.0.1"),
        )


def write_profile(
    path: Path,
    *,
    farm_port: int,
    control: bool,
    name: str = "vendor",
    hosts: tuple[str, str] = FARM_HOSTS,
    ports: Ports | None = None,
    pixit: dict[str, int] | None = None,
    wire: str | None = None,
) -> Path:
    ports = ports or Ports.fresh()
    h180, h181 = hosts
    claims = "true" if control else "false"
    timers = "".join(f"{k} = {v}\n" for k, v in (pixit or {}).items())
    path.write_text(
        f"""
[profile]
name = "{name}"
{f'wire = "{wire}"' if wire else ""}
[report_routing]
gateway = "external"
control_url = "{f"http://127.0.0.1:{ports.control}" if control else ""}"
[report_routing.pics]
add_server_while_running = {claims}
server_control = {claims}
[report_routing.pixit]
{timers}
[report_routing.sp]
port = {ports.sp}
[report_routing.mmsc]
port = {ports.mmsc}
[[report_routing.servers]]
module = 180
submit_url = "http://{h180}:{farm_port}/mm7"
report_url = "http://{h180}:{farm_port}/mm7/dr"
[[report_routing.servers]]
module = 181
submit_url = "http://{h181}:{farm_port}/mm7"
report_url = "http://{h181}:{farm_port}/mm7/dr"
""",
        encoding="utf-8",
    )
    return path


@dataclass
class Emulator:
    proc: subprocess.Popen
    lines: queue.Queue

    def wait_for_line(self, text: str, timeout_s: float) -> list[str]:
        """Lines up to and including the first containing ``text``."""
        seen: list[str] = []
        while True:
            try:
                line = self.lines.get(timeout=timeout_s)
            except queue.Empty:
                raise AssertionError(f"no {text!r} within {timeout_s} s; got {seen}") from None
            if line is None:
                raise AssertionError(f"emulator exited before {text!r}; got {seen}")
            seen.append(line)
            if text in line:
                return seen

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=15)


def _start(argv: list[str], started: list[Emulator]) -> Emulator:
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    _widen_pipe(proc)
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    emulator = Emulator(proc, lines)
    started.append(emulator)
    emulator.wait_for_line("ready", READY_TIMEOUT_S)
    return emulator


#: Linux's fcntl command to resize a pipe (F_SETPIPE_SZ); not in the fcntl module on 3.11.
_F_SETPIPE_SZ = 1031


def _widen_pipe(proc: subprocess.Popen) -> None:
    """Give the process's stdout pipe 1 MiB. An emulator prints a line per message and
    blocks when the pipe is full; on a loaded machine the thread reading it runs late,
    and the SUT's answers would wait for our log reader, not for the SUT."""
    try:
        import fcntl

        assert proc.stdout is not None
        fcntl.fcntl(proc.stdout.fileno(), _F_SETPIPE_SZ, 1 << 20)
    except (ImportError, OSError):
        pass  # not Linux, or a lower pipe-max-size: the default pipe still works


@pytest.fixture
def emulate() -> Iterator[Callable[..., Emulator]]:
    """Start ``mmsconf emulate ROLE --config PROFILE``; every one is killed at the end."""
    started: list[Emulator] = []

    def start(role: str, config: Path) -> Emulator:
        argv = [sys.executable, "-m", "mmsconf.fixtures.cli", "emulate", role, "--config"]
        return _start([*argv, str(config)], started)

    yield start
    _kill(started)


@pytest.fixture
def sut() -> Iterator[Callable[..., Emulator]]:
    """Start ``suts.py KIND --profile PROFILE [args]``: a misbehaving SUT or a vendor farm."""
    started: list[Emulator] = []

    def start(kind: str, profile: Path, *args: str) -> Emulator:
        return _start([sys.executable, str(SUTS), kind, "--profile", str(profile), *args], started)

    yield start
    _kill(started)


@pytest.fixture
def mm4_sut() -> Iterator[Callable[..., Emulator]]:
    """Start ``mm4_suts.py KIND --profile PROFILE``: a broken destination MMSC."""
    started: list[Emulator] = []

    def start(kind: str, profile: Path) -> Emulator:
        return _start([sys.executable, str(MM4_SUTS), kind, "--profile", str(profile)], started)

    yield start
    _kill(started)


def _kill(started: list[Emulator]) -> None:
    for emulator in started:
        if emulator.proc.poll() is None:
            emulator.proc.kill()
            emulator.proc.wait(timeout=10)


def run_cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mmsconf.fixtures.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_suite(
    profile: Path, report: Path, *options: str, seed: int = 5, area: str = "report_routing"
) -> tuple[subprocess.CompletedProcess, dict[str, tuple[str, str]]]:
    """``mmsconf run --area AREA`` against ``profile``; its exit and the verdict table.

    The area is selected so another built area's scenarios (run against its
    embedded emulators) never count in this one's table.
    """
    result = run_cli(
        "run",
        "--profile",
        str(profile),
        "--area",
        area,
        "--report-dir",
        str(report),
        "--seed",
        str(seed),
        *options,
        "--",
        "-q",
    )
    return result, verdict_table(report)


def verdict_table(report: Path) -> dict[str, tuple[str, str]]:
    """Scenario (with its example values) -> (verdict, the clause a failure names)."""
    table: dict[str, tuple[str, str]] = {}
    kinds = {"failure": "failed", "error": "error", "skipped": "skipped"}
    for case in ET.parse(report / "junit.xml").getroot().iter("testcase"):
        verdict, clause = "passed", ""
        for child in case:
            if child.tag in kinds:
                verdict = kinds[child.tag]
                text = child.text or ""
                clause = next(
                    (
                        ln.split(":", 1)[1].strip()
                        for ln in text.splitlines()
                        if ln.startswith("clause:")
                    ),
                    "",
                )
        table[case.get("name", "")] = (verdict, clause)
    return table


def verdicts(report: Path) -> dict[str, list[str]]:
    """JUnit outcome ('passed', 'failure', 'error', 'skipped') -> scenario names."""
    out: dict[str, list[str]] = {}
    for case in ET.parse(report / "junit.xml").getroot().iter("testcase"):
        kind = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), "passed")
        out.setdefault(kind, []).append(case.get("name", ""))
    return out


@pytest.fixture
def vendor() -> object:
    """The helpers above, for test modules (importlib mode: no imports from conftest)."""

    class Helpers:
        FARM_HOSTS = FARM_HOSTS
        Ports = Ports
        farm_port = staticmethod(farm_port)
        write_profile = staticmethod(write_profile)
        run_cli = staticmethod(run_cli)
        run_suite = staticmethod(run_suite)
        verdict_table = staticmethod(verdict_table)
        verdicts = staticmethod(verdicts)

    return Helpers
