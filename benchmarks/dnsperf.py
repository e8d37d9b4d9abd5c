"""Run ``dnsperf`` (Debian package ``dnsperf``) against a UDP server and read its summary.

dnsperf is C and takes its own core, so the figure is the server's
capacity, not the load generator's. Bounded by ``-l`` (seconds) and a
process timeout on top.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.tools import require, run

_FIELDS = {
    "sent": r"Queries sent:\s+(\d+)",
    "completed": r"Queries completed:\s+(\d+)",
    "lost": r"Queries lost:\s+(\d+)",
    "qps": r"Queries per second:\s+([\d.]+)",
    "avg_latency_s": r"Average Latency \(s\):\s+([\d.]+)",
    "max_latency_s": r"Average Latency \(s\):.*max ([\d.]+)",
}


@dataclass(frozen=True)
class DnsperfRun:
    sent: int
    completed: int
    lost: int
    qps: float
    avg_latency_ms: float
    max_latency_ms: float

    def summary(self) -> dict[str, float | int]:
        return {
            "qps": round(self.qps, 1),
            "sent": self.sent,
            "completed": self.completed,
            "lost": self.lost,
            "avg_latency_ms": round(self.avg_latency_ms, 3),
            "max_latency_ms": round(self.max_latency_ms, 3),
        }


def parse_summary(text: str) -> DnsperfRun:
    """The numbers of dnsperf's "Statistics:" block; ValueError naming what is missing."""
    found = {}
    for key, pattern in _FIELDS.items():
        m = re.search(pattern, text)
        if m is None:
            raise ValueError(f"dnsperf output has no {key!r} line")
        found[key] = m.group(1)
    return DnsperfRun(
        sent=int(found["sent"]),
        completed=int(found["completed"]),
        lost=int(found["lost"]),
        qps=float(found["qps"]),
        avg_latency_ms=float(found["avg_latency_s"]) * 1000,
        max_latency_ms=float(found["max_latency_s"]) * 1000,
    )


async def run_dnsperf(
    address: tuple[str, int], qname: str, *, seconds: float, outstanding: int = 64
) -> DnsperfRun:
    binary = require("dnsperf", "dnsperf")
    with tempfile.TemporaryDirectory(prefix="mmsconf-dnsperf-") as tmp:
        queries = Path(tmp) / "queries.txt"
        queries.write_text(f"{qname.rstrip('.')} A\n", encoding="ascii")
        argv = [
            binary,
            "-s",
            address[0],
            "-p",
            str(address[1]),
            "-d",
            str(queries),
            "-l",
            f"{seconds:g}",
            "-q",
            str(outstanding),
            "-t",
            "2",
            "-c",
            "1",
        ]
        try:
            code, text = await run(argv, seconds + 15)
        except TimeoutError:
            raise RuntimeError(f"dnsperf did not finish within {seconds + 15:g} s") from None
    if code != 0:
        raise RuntimeError(f"dnsperf exited {code}: {text[-300:]}")
    return parse_summary(text)
