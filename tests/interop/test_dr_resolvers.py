"""The disaster-recovery outage scenarios with each real DNS server the profile can choose:
pdns-recursor as the caching resolver instead of unbound, and BIND 9 as the authoritative
server instead of the harness's emulator. The reference passes; the prior art loses every
submission of the outage whatever holds the cached answer.

Only the scenarios where the resolver matters run here (the submission's path through the
DNS, and the outage while the answer is cached): the default unbound run covers the rest.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.interop

OUTAGE = "MMSC A fails while the resolver and the WAP gateway hold the cached answer"
PATH = "A submission goes from the handset through the WAP gateway and the router to an MMSC"
SELECT = "cached_answer or submission_goes_from"

VARIANTS = {
    "pdns-recursor": ('resolver = "pdns-recursor"', [("pdns_recursor", "pdns-recursor")]),
    "bind9-authority": ('authority = "bind9"', [("named", "bind9"), ("unbound", "unbound")]),
}


def _verdicts(report: Path) -> dict[str, str]:
    out = {}
    for case in ET.parse(report / "junit.xml").getroot().iter("testcase"):
        kinds = [c.tag for c in case if c.tag in ("failure", "error", "skipped")]
        out[case.get("name", "")] = kinds[0] if kinds else "passed"
    return out


@pytest.mark.parametrize("router", ["reference", "baseline-direct"])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_outage_scenarios_with_each_dns_server(
    variant: str, router: str, tmp_path: Path, require_tool: Callable[[str, str], str]
) -> None:
    line, tools = VARIANTS[variant]
    for program, package in tools:
        require_tool(program, package)
    profile = tmp_path / "p.toml"
    profile.write_text(
        f'[profile]\nname = "{variant}-{router}"\n[disaster_recovery]\nrouter = "{router}"\n'
        f"[disaster_recovery.dns]\n{line}\n",
        encoding="utf-8",
    )
    report = tmp_path / "r"
    result = subprocess.run(
        [
            sys.executable, "-m", "mmsconf.fixtures.cli", "run", "--profile", str(profile),
            "--area", "disaster_recovery", "--report-dir", str(report), "--seed", "7",
            "--", "-q", "-k", SELECT,
        ],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    got = _verdicts(report)
    junit = (report / "junit.xml").read_text(encoding="utf-8")
    if router == "reference":
        assert result.returncode == 0, result.stdout[-3000:]
        assert got == {OUTAGE: "passed", PATH: "passed"}, got
        # The cached answer came from the real resolver, with the TTL it serves.
        assert re.search(r"the resolver served TTL \d+ s", junit), junit[-2000:]
    else:
        assert got == {OUTAGE: "failure", PATH: "failure"}, got
        assert re.search(r"seen 200 of 200 submissions failed", junit), junit[-2000:]
