"""Out-of-process SUTs: ``mmsconf emulate`` started as its own process, and the
harness pointed at it through a SUT profile, as a vendor would do."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mmsconf.emulators.ports import listen_port

READY_TIMEOUT_S = 20


#: Where the profile's two farm servers listen; they share one port.
FARM_HOSTS = ("127.0.20.80", "127.0.20.81")


def farm_port() -> int:
    """A port free on both farm hosts, outside the ephemeral range: no client
    socket of either process can hold it when the emulator binds or re-binds it."""
    return listen_port(*FARM_HOSTS)


def write_profile(path: Path, *, farm_port: int, control: bool, name: str = "vendor") -> Path:
    control_port = listen_port("127.0.0.1")
    sp_port, mmsc_port = listen_port("127.0.10.1"), listen_port("127.0.30.1", "127.0.30.2")
    h180, h181 = FARM_HOSTS
    claims = "true" if control else "false"
    path.write_text(
        f"""
[profile]
name = "{name}"
[report_routing]
gateway = "external"
control_url = "{f"http://127.0.0.1:{control_port}" if control else ""}"
[report_routing.pics]
add_server_while_running = {claims}
server_control = {claims}
[report_routing.sp]
port = {sp_port}
[report_routing.mmsc]
port = {mmsc_port}
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


@pytest.fixture
def emulate() -> Iterator[Callable[..., Emulator]]:
    started: list[Emulator] = []

    def start(role: str, config: Path) -> Emulator:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mmsconf.fixtures.cli",
                "emulate",
                role,
                "--config",
                str(config),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        lines: queue.Queue = queue.Queue()

        def pump() -> None:
            for line in proc.stdout:
                lines.put(line.rstrip("\n"))
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        emulator = Emulator(proc, lines)
        started.append(emulator)
        emulator.wait_for_line("ready", READY_TIMEOUT_S)
        return emulator

    yield start
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


@pytest.fixture
def vendor() -> object:
    """The helpers above, for test modules (importlib mode: no imports from conftest)."""

    class Helpers:
        farm_port = staticmethod(farm_port)
        write_profile = staticmethod(write_profile)
        run_cli = staticmethod(run_cli)

    return Helpers
