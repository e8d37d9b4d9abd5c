"""tshark dissects a real MM4 pool run's pcaps clean: SMTP with the MM4 messages as
IMF (X-Mms-* headers read), the relay's MX lookups as DNS, no malformed packet, no
expert warning, no TCP analysis flag. The run pins its ports so each is decoded
explicitly (``-d``: tshark knows SMTP on 25 and DNS on 53 only)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mmsconf.emulators.ports import listen_port

pytestmark = pytest.mark.interop

NOT_CLEAN = "_ws.malformed || _ws.expert.severity >= warning || tcp.analysis.flags"
# Quick scenarios: the pre-established one (30 messages) and the malformed messages.
TAGS = "mp_preestablished or (mp_bounded and not mp_sub_pool and not mp_message_pool)"


@pytest.fixture
def tshark(require_tool: Callable[[str, str], str]) -> Callable[..., list[str]]:
    exe = require_tool("tshark", "tshark")

    def run(pcap: Path, *args: str) -> list[str]:
        proc = subprocess.run(
            [exe, "-r", str(pcap), *args], capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, proc.stderr  # rc 2: a bad filter, a test bug
        return [line for line in proc.stdout.splitlines() if line.strip()]

    return run


def test_the_pcaps_of_a_real_mm4_run_are_dissected_and_clean(
    tshark: Callable[..., list[str]], tmp_path: Path
) -> None:
    ports = {
        "relay_at": listen_port("127.0.44.10"),
        "core": listen_port("127.0.44.1"),
        "destinations": listen_port("127.0.44.2", "127.0.44.3", "127.0.44.4"),
        "dns": listen_port("127.0.44.53", udp=True),
    }
    profile = tmp_path / "p.toml"
    # TTL 0: the relay asks the DNS for every message, so each scenario's pcap has DNS.
    tables = {k: {"port": p} for k, p in ports.items()}
    tables["dns"]["ttl_s"] = 0
    tables["pixit"] = {"retry_horizon_ms": 300}
    profile.write_text(
        '[profile]\nname = "tshark"\n'
        + "".join(
            f"[mm4_pool.{table}]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())
            for table, keys in tables.items()
        ),
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
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    decode = ["-d", f"udp.port=={ports['dns']},dns", "-d", f"tcp.port=={ports['dns']},dns"]
    for key in ("relay_at", "core", "destinations"):
        decode += ["-d", f"tcp.port=={ports[key]},smtp"]
    pcaps = sorted((report / "pcap").glob("*.pcap"))
    assert len(pcaps) == 5, pcaps
    seen: set[str] = set()
    for pcap in pcaps:
        assert tshark(pcap, *decode, "-Y", NOT_CLEAN) == [], pcap.name
        seen |= set(tshark(pcap, *decode, "-T", "fields", "-e", "frame.protocols"))
        commands = set(
            tshark(pcap, *decode, "-Y", "smtp.req", "-T", "fields", "-e", "smtp.req.command")
        )
        assert {"MAIL", "RCPT", "DATA"} <= commands, (pcap.name, commands)
        types = tshark(
            pcap,
            *decode,
            "-Y",
            "imf",
            "-T",
            "fields",
            "-e",
            "imf.extension.type",
            "-e",
            "imf.extension.value",
        )
        assert any("X-Mms-Message-Type" in t and "MM4_forward.REQ" in t for t in types), pcap.name
    assert any(s.endswith(":smtp:imf") for s in seen), seen
    assert any(":udp:dns" in s for s in seen), seen
    mx = tshark(
        pcaps[-1], *decode, "-Y", "dns.qry.type == 15", "-T", "fields", "-e", "dns.qry.name"
    )
    assert any(name.startswith("mms.mnc00") for name in mx), mx
