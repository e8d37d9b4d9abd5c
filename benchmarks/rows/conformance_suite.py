"""Conformance suite: the wall time of the whole suite against the embedded emulators,
run as CI runs it: on two processes.

``python -m mmsconf.fixtures.cli run -n 2 --report-dir <tmp> --seed <seed> -- -q``
in a subprocess, timed from spawn to exit, report included (that is what a
user waits for). No baseline: the target is on the figure (≤ 60 s). A suite
that does not pass makes the row an error, since its time is then not the
time of a whole, passing run.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.registry import ERROR, Context, Result, Target, benchmark
from benchmarks.tools import run

REPO_ROOT = Path(__file__).resolve().parents[2]
#: The CLI's exit codes that mean the suite ran to its end (0 pass, 1 a scenario failed).
RAN = (0, 1)
TARGET_S = 60
#: As `tox -e conformance` and CI run it (serial against parallel is row suite-parallel).
WORKERS = 2


@benchmark(
    name="conformance-suite",
    title=f"conformance suite, -n {WORKERS}",
    unit="s",
    target=Target("<=", TARGET_S, on="figure"),
    # A little past the target: a suite slower than that has missed it anyway.
    budget_s=TARGET_S + 5,
    order=90,
)
async def conformance_suite(ctx: Context) -> Result:
    with tempfile.TemporaryDirectory(prefix="mmsconf-bench-") as tmp:
        argv = [
            sys.executable,
            "-m",
            "mmsconf.fixtures.cli",
            "run",
            "-n",
            str(WORKERS),
            "--report-dir",
            str(Path(tmp) / "report"),
            "--seed",
            str(ctx.seed),
            "--",
            "-q",
        ]
        ctx.log(" ".join(argv[1:]))
        started = time.perf_counter()
        try:
            code, text = await run(argv, max(1.0, ctx.remaining()), cwd=REPO_ROOT)
        except TimeoutError:
            waited = time.perf_counter() - started
            note = f"the suite did not finish within {waited:.0f} s (killed)"
            if waited > TARGET_S:  # past the target already: a verdict, not a failure to measure
                return Result(figure=None, passed=False, note=note)
            return Result(figure=None, verdict=ERROR, note=note)
        wall = time.perf_counter() - started
    verdicts = re.search(r"^verdicts: (.*)$", text, re.MULTILINE)
    summary = re.search(r"^=*\s*(\d+ \w+.* in [\d.]+s.*?)\s*=*$", text, re.MULTILINE)
    details = {
        "command": " ".join(argv[1:]),
        "exit_code": code,
        "verdicts": verdicts.group(1) if verdicts else None,
        "pytest_summary": summary.group(1) if summary else None,
    }
    if code not in RAN:
        details["output_tail"] = text[-2000:]
        return Result.error(f"the suite exited {code}", details)
    note = details["verdicts"] or details["pytest_summary"] or ""
    if code != 0:
        details["output_tail"] = text[-2000:]
        return Result(
            figure=wall, verdict=ERROR, note=f"error: scenarios failed ({note})", details=details
        )
    return Result(figure=wall, note=note, details=details)
