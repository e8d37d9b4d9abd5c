"""swaks (Debian ``swaks``) against a destination MMSC emulator: a hand-built
MM4_forward.REQ gets 250 (swaks exit 0), a malformed one gets the 5xx naming the
header (exit 26: refused after the DATA body), a recipient of another domain gets 550
at RCPT (exit 24). ``+`` numbers need POSIXLY_CORRECT=1 (INTEROP-NOTES §3)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mmsconf.emulators.codecs import mm4
from mmsconf.emulators.mm4_destination import DestinationConfig, DestinationMmsc
from mmsconf.emulators.ports import listen_port
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.loop import LoopThread

pytestmark = pytest.mark.interop

HOST = "127.0.44.102"
DOMAIN = mm4.mms_domain(2, 1)
SOURCE = mm4.mms_domain(1, 1)
FROM = f"+8613800000001/TYPE=PLMN@{SOURCE}"
TO = f"+8613900000002/TYPE=PLMN@{DOMAIN}"
MESSAGE = (
    "X-Mms-3GPP-MMS-Version: 6.10.0\r\n"
    "X-Mms-Message-Type: MM4_forward.REQ\r\n"
    "X-Mms-Transaction-ID: swaks-0001\r\n"
    "X-Mms-Message-ID: swaks-0001@" + SOURCE + "\r\n"
    f"From: {FROM}\r\nTo: {TO}\r\n"
    "Date: Wed, 01 May 2024 10:15:30 +0800\r\n"
    "Subject: from swaks\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n"
    "hello MM4\r\n"
)


@pytest.fixture
def destination() -> Iterator[tuple[DestinationMmsc, LoopThread]]:
    loop = LoopThread("swaks-test").start()
    port = listen_port(HOST)
    mmsc = loop.call(
        DestinationMmsc, TraceRecorder(), "B", HOST, port, DestinationConfig(domains=(DOMAIN,))
    )
    loop.run(mmsc.start())
    try:
        yield mmsc, loop
    finally:
        loop.run(mmsc.stop())
        loop.stop()


@pytest.fixture
def swaks(require_tool: Callable[[str, str], str]) -> Callable[..., subprocess.CompletedProcess]:
    exe = require_tool("swaks", "swaks")

    def run(port: int, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [exe, "--server", HOST, "--port", str(port), "--ehlo", "peer.example", *args],
            capture_output=True,
            text=True,
            timeout=60,
            # Getopt::Long reads a leading + as an option prefix unless told otherwise.
            env={**os.environ, "POSIXLY_CORRECT": "1"},
        )

    return run


def test_a_hand_built_forward_gets_250_and_arrives(destination, swaks, tmp_path: Path) -> None:
    mmsc, loop = destination
    raw = tmp_path / "forward.eml"
    raw.write_bytes(MESSAGE.encode())
    done = swaks(mmsc.port, "--from", FROM, "--to", TO, "--data", f"@{raw}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "<-  250 2.0.0 OK" in done.stdout
    arrivals = loop.call(lambda: list(mmsc.arrivals))
    assert [a.message_id for a in arrivals] == [f"swaks-0001@{SOURCE}"]
    assert str(arrivals[0].message.to[0]) == TO


def test_headers_from_the_command_line_make_a_forward_too(destination, swaks) -> None:
    mmsc, loop = destination
    done = swaks(
        mmsc.port,
        "--from",
        FROM,
        "--to",
        TO,
        "--header",
        "X-Mms-3GPP-MMS-Version: 6.10.0",
        "--header",
        "X-Mms-Message-Type: MM4_forward.REQ",
        "--header",
        "X-Mms-Transaction-ID: swaks-0002",
        "--header",
        f"X-Mms-Message-ID: swaks-0002@{SOURCE}",
        "--header",
        f"From: {FROM}",
        "--header",
        f"To: {TO}",
        "--header",
        "Content-Type: text/plain",
        "--body",
        "hello MM4",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert loop.call(lambda: [a.message_id for a in mmsc.arrivals]) == [f"swaks-0002@{SOURCE}"]


def test_a_malformed_forward_gets_the_5xx_naming_the_header(
    destination, swaks, tmp_path: Path
) -> None:
    mmsc, loop = destination
    raw = tmp_path / "malformed.eml"
    raw.write_bytes(MESSAGE.replace(f"X-Mms-Message-ID: swaks-0001@{SOURCE}\r\n", "").encode())
    done = swaks(mmsc.port, "--from", FROM, "--to", TO, "--data", f"@{raw}")
    assert done.returncode == 26, done.stdout + done.stderr  # refused after the DATA body
    assert "554 5.6.0 MM4 X-Mms-Message-ID: missing" in done.stdout + done.stderr
    # The destination keeps serving: the well-formed one is taken next.
    raw.write_bytes(MESSAGE.encode())
    assert swaks(mmsc.port, "--from", FROM, "--to", TO, "--data", f"@{raw}").returncode == 0
    assert len(loop.call(lambda: list(mmsc.arrivals))) == 1


def test_a_recipient_of_another_domain_is_refused_at_rcpt(destination, swaks) -> None:
    mmsc, _loop = destination
    other = f"+8613900000003/TYPE=PLMN@{mm4.mms_domain(9, 1)}"
    done = swaks(mmsc.port, "--from", FROM, "--to", other, "--body", "x")
    assert done.returncode == 24, done.stdout + done.stderr
    assert "550 5.1.2" in done.stdout + done.stderr
