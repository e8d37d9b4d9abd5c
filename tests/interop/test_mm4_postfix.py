"""A real MTA on the MM4 path: Postfix (Debian ``postfix``) between the relay and MMSC B,
started by the harness from a generated config (transport_maps to B), stopped by its PID.
The arrival and exactly-once scenarios still pass through it, the cut-during-DATA one
included (Postfix retries what B did not take); the traces show Postfix on the path."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.interop

#: The arrival (300 messages, each .RES back), the burst, and the exactly-once after a cut.
TAGS = "mp_sub_pool"


def test_the_arrival_and_exactly_once_scenarios_pass_through_postfix(
    require_tool: Callable[[str, str], str], tmp_path: Path
) -> None:
    require_tool("postfix", "postfix")
    if os.geteuid() != 0:
        pytest.skip("Postfix's master runs as root; this machine's tests do not")
    profile = tmp_path / "p.toml"
    profile.write_text(
        '[profile]\nname = "postfix-on-the-path"\n'
        '[mm4_pool.mta]\nin_front_of = "B"\n[mm4_pool.pixit]\nretry_horizon_ms = 3000\n',
        encoding="utf-8",
    )
    report = tmp_path / "r"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmsconf.fixtures.cli",
            "run",
            "--profile",
            str(profile),
            "--tags",
            TAGS,
            "--report-dir",
            str(report),
            "--",
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    cases = list(ET.parse(report / "junit.xml").getroot().iter("testcase"))
    bad = [c for c in cases if any(x.tag in ("failure", "error", "skipped") for x in c)]
    assert len(cases) == 3 and not bad, run.stdout[-2000:]
    # Postfix was on the path: the relay spoke to it (its greeting), and B got what
    # Postfix passed on (its Received line) from Postfix's address.
    pcaps = {p.name: p.read_bytes() for p in (report / "pcap").glob("*.pcap")}
    assert any(b"ESMTP Postfix" in b for b in pcaps.values())  # when the pools opened
    cut = next(b for n, b in pcaps.items() if "cut-during-data" in n)
    assert b"(Postfix)" in cut and b"Received: from relay." in cut
    # Nothing of the harness's Postfix is left behind.
    assert not [p for p in Path("/tmp").glob("mmsconf-postfix-*")]
