"""The suite in parallel: its wall time on two workers against the same suite serially.

``python -m mmsconf.fixtures.cli run --report-dir <tmp> --seed <seed> [-n 2] -- -q``
in a subprocess each, serial first, timed from spawn to exit, report included
(what a user waits for), the five areas. Figure: the wall time with ``-n 2``;
baseline: serially, in the same run; ratio: the speed-up (serial / parallel), goal
≥ 1.6× on two cores. Both runs must end with the same verdicts, or the row is an
error: a speed-up that changes verdicts is no speed-up. ``--quick`` runs one area.
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
WORKERS = 2
#: The CLI's exit codes that mean the suite ran to its end (0 pass, 1 a scenario failed).
RAN = (0, 1)
QUICK_AREAS = ["disaster_recovery"]


async def _suite(ctx: Context, report: Path, workers: int | None) -> tuple[float, int, str]:
    argv = [sys.executable, "-m", "mmsconf.fixtures.cli", "run", "--report-dir", str(report)]
    argv += ["--seed", str(ctx.seed)]
    if ctx.quick:
        argv += [a for area in QUICK_AREAS for a in ("--area", area)]
    if workers:
        argv += ["-n", str(workers)]
    argv += ["--", "-q"]
    ctx.log(" ".join(argv[1:]))
    started = time.perf_counter()
    code, text = await run(argv, max(1.0, ctx.remaining()), cwd=REPO_ROOT)
    return time.perf_counter() - started, code, text


def _verdicts(text: str) -> str | None:
    found = re.search(r"^verdicts: ([^;]*);", text, re.MULTILINE)
    return found.group(1) if found else None


@benchmark(
    name="suite-parallel",
    title=f"conformance suite, -n {WORKERS} against serial",
    unit="s",
    baseline="the same suite serially (same seed), same run",
    target=Target(">=", 1.6, on="ratio"),
    # A serial suite (about 90 s on two cores) and a parallel one, with room for a
    # loaded machine.
    budget_s=240,
    long=True,
    order=91,
)
async def suite_parallel(ctx: Context) -> Result:
    details: dict[str, object] = {"workers": WORKERS, "areas": QUICK_AREAS if ctx.quick else "all"}
    with tempfile.TemporaryDirectory(prefix="mmsconf-bench-") as tmp:
        try:
            serial_s, serial_code, serial_out = await _suite(ctx, Path(tmp) / "serial", None)
            parallel_s, parallel_code, parallel_out = await _suite(ctx, Path(tmp) / "n2", WORKERS)
        except TimeoutError:
            return Result.error("a suite did not finish within the row's budget (killed)")
    details.update(
        serial_s=round(serial_s, 2),
        parallel_s=round(parallel_s, 2),
        serial_exit=serial_code,
        parallel_exit=parallel_code,
        serial_verdicts=_verdicts(serial_out),
        parallel_verdicts=_verdicts(parallel_out),
    )
    if serial_code not in RAN or parallel_code not in RAN:
        details["output_tail"] = (serial_out if serial_code not in RAN else parallel_out)[-2000:]
        return Result.error(f"a suite exited {serial_code} / {parallel_code}", details)
    if details["serial_verdicts"] != details["parallel_verdicts"] or serial_code != parallel_code:
        return Result(
            figure=parallel_s,
            baseline=serial_s,
            ratio=serial_s / parallel_s,
            verdict=ERROR,
            note="error: the verdicts differ between serial and parallel",
            details=details,
        )
    note = f"{details['parallel_verdicts']} both ways; speed-up {serial_s / parallel_s:.2f}×"
    return Result(
        figure=parallel_s,
        baseline=serial_s,
        ratio=serial_s / parallel_s,
        note=note,
        details=details,
    )
