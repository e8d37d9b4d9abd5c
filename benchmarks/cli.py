"""``python -m benchmarks``: run the benchmark rows, print the table, write the JSON.

Exit codes: 0 every row that measured met its target (pending rows allowed),
1 a target was not met, 2 a row failed to measure (error), 3 usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import platform
import pstats
import random
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.registry import ERROR, NOT_MET, Benchmark, Context, Result, rows

EXIT_OK, EXIT_NOT_MET, EXIT_ERROR, EXIT_USAGE = 0, 1, 2, 3

#: Where the JSON goes unless --json says otherwise.
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"
#: How long past its budget a row may run before the runner cancels it: in-flight
#: operations finish (each bounded by its own timeout) and the servers shut down.
GRACE_S = 20.0
#: The issue's bound on the whole run on a 2-core machine.
TOTAL_LIMIT_S = 300.0
#: What the rows' budgets may add up to: the bound less start-up, net set-up and
#: tear-down between phases. Row budgets are scaled down when they would not fit.
TOTAL_BUDGET_S = 285.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run the mmsconf benchmarks: each row's figure, its baseline measured "
        "in the same run, and their ratio. Prints a table and writes it as JSON.",
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="ROW",
        help="run only this row (repeatable); see --list",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small counts: a smoke test, not a measurement"
    )
    parser.add_argument(
        "--seed", type=int, metavar="N", help="seed for every random choice (default: random)"
    )
    parser.add_argument("--list", action="store_true", help="list the rows and exit")
    parser.add_argument(
        "--long",
        action="store_true",
        help="also run the long rows (whole suites, Locust fleets; marked in --list), "
        "each with its own budget, past the 5-minute bound",
    )
    parser.add_argument(
        "--json",
        metavar="PATH",
        type=Path,
        default=DEFAULT_JSON,
        help="where to write the results (default: benchmarks/results/latest.json)",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        type=Path,
        help="run each row under cProfile; write DIR/<row>.pstats and print its hotspots "
        "(figures measured so are slower: use it to find hotspots, not to report)",
    )
    return parser


def machine() -> dict[str, Any]:
    """What the figures were measured on: they mean little without it."""
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cpu": cpu,
        "cores": os.cpu_count(),
    }
    try:
        import aiohttp

        info["aiohttp"] = aiohttp.__version__
    except ImportError:  # pragma: no cover - a dependency of mmsconf
        pass
    return info


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"
    return f"{text} {unit}".strip()


def table(results: list[tuple[Benchmark, Result]]) -> str:
    """The results as a Markdown table (readable as is, and pasted into the README)."""
    head = ["row", "figure", "baseline", "ratio", "target", "verdict"]
    lines = [head]
    for bench, res in results:
        ratio = "—" if res.ratio is None else f"{res.ratio:.3g}×"
        lines.append(
            [
                bench.title,
                _fmt(res.figure, bench.unit),
                _fmt(res.baseline, bench.unit),
                ratio,
                bench.target_text,
                res.verdict,
            ]
        )
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    out = []
    for n, row in enumerate(lines):
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def _budget(bench: Benchmark, still_to_run: list[Benchmark], spent_s: float) -> float:
    """The row's budget, scaled down when the rows left would not fit the total."""
    wanted = sum(b.budget_s for b in still_to_run)
    left = TOTAL_BUDGET_S - spent_s
    scale = min(1.0, left / wanted) if wanted > 0 else 1.0
    # Never below a fifth: a row starved to nothing measures nothing useful.
    return bench.budget_s * max(scale, 0.2)


async def _run_row(bench: Benchmark, ctx: Context) -> Result:
    try:
        return await asyncio.wait_for(bench.func(ctx), ctx.budget_s + GRACE_S)
    except TimeoutError:
        return Result.error(f"did not finish within its budget ({ctx.budget_s:.0f} s + grace)")


def _loop_factory(bench: Benchmark) -> Callable[[], asyncio.AbstractEventLoop]:
    """The row's event loop: the harness's (uvloop where MMSCONF_LOOP=uvloop asks for it) or
    the standard one."""
    if bench.loop == "harness":
        from mmsconf.fixtures.loop import new_event_loop

        return new_event_loop
    return asyncio.new_event_loop


def run_one(
    bench: Benchmark, seed: int, quick: bool, profile_dir: Path | None, budget_s: float
) -> Result:
    """One row on a fresh event loop, so no row inherits another's sockets or tasks."""
    gc.collect()
    ctx = Context(bench.name, seed, quick, budget_s)
    profiler = cProfile.Profile() if profile_dir is not None else None
    try:
        if profiler is not None:
            profiler.enable()
        with asyncio.Runner(loop_factory=_loop_factory(bench)) as runner:
            result = runner.run(_run_row(bench, ctx))
    except Exception as err:  # a broken row is reported, the others still run
        tb = traceback.format_exc(limit=6)
        result = Result.error(f"{type(err).__name__}: {err}", {"traceback": tb})
    finally:
        if profiler is not None:
            profiler.disable()
    if profiler is not None and profile_dir is not None:
        profile_dir.mkdir(parents=True, exist_ok=True)
        path = profile_dir / f"{bench.name}.pstats"
        profiler.dump_stats(path)
        print(f"\n--- cProfile of {bench.name} ({path}), top by own time", file=sys.stderr)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        print("--- top by cumulative time", file=sys.stderr)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    result = bench.finish(result)
    result.details.setdefault("elapsed_s", round(time.monotonic() - ctx.started, 2))
    if bench.loop == "harness":
        from mmsconf.fixtures.loop import loop_kind

        result.details.setdefault("loop", loop_kind())
    return result


def _r(x: float | None) -> float | None:
    # Four decimals is well below the run-to-run noise; more is false precision.
    return None if x is None else round(x, 4)


def to_json(results: list[tuple[Benchmark, Result]], meta: dict[str, Any]) -> dict[str, Any]:
    out_rows = []
    for bench, res in results:
        out_rows.append(
            {
                "name": bench.name,
                "title": bench.title,
                "unit": bench.unit,
                "figure": _r(res.figure),
                "baseline": _r(res.baseline),
                "baseline_is": bench.baseline or None,
                "ratio": _r(res.ratio),
                "target": None
                if bench.target is None
                else {
                    "on": bench.target.on,
                    "op": bench.target.op,
                    "value": bench.target.value,
                    "text": bench.target_text,
                },
                "verdict": res.verdict,
                "note": res.note,
                "budget_s": bench.budget_s,
                "details": res.details,
            }
        )
    return {"schema": 1, **meta, "rows": out_rows}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    available = rows()
    if args.list:
        for b in available:
            print(
                f"{b.name:20} {b.title:20} {b.unit:9} target {b.target_text:16} "
                f"budget {b.budget_s:g} s{'  (long: --long or --only)' if b.long else ''}"
            )
        return EXIT_OK
    names = {b.name for b in available}
    unknown = [n for n in args.only if n not in names]
    if unknown:
        print(
            f"benchmarks: unknown row(s) {', '.join(unknown)}; rows are {', '.join(sorted(names))}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.only:
        selected = [b for b in available if b.name in args.only]
    else:
        selected = [b for b in available if args.long or not b.long]
    # A long row keeps its own budget; the others share the 5-minute bound.
    shared = [b for b in selected if not b.long]
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    info = machine()
    load_before = _load()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    print(
        f"mmsconf benchmarks: {len(selected)} row(s), seed {seed}"
        f"{', quick' if args.quick else ''}; {info['cpu']} ×{info['cores']}, "
        f"Python {info['python']}; load average {load_before}",
        file=sys.stderr,
    )
    t0 = time.monotonic()
    results: list[tuple[Benchmark, Result]] = []
    spent_shared = 0.0
    for bench in selected:
        if bench.long:
            budget = bench.budget_s
        else:
            budget = _budget(bench, shared[shared.index(bench) :], spent_shared)
        print(f"- {bench.name}: {bench.title} (budget {budget:.0f} s)", file=sys.stderr)
        row_started = time.monotonic()
        res = run_one(bench, seed, args.quick, args.profile, budget)
        if not bench.long:
            spent_shared += time.monotonic() - row_started
        print(f"  -> {res.verdict} in {res.details.get('elapsed_s')} s", file=sys.stderr)
        results.append((bench, res))
    wall = time.monotonic() - t0
    meta = {
        "started": started_at,
        "wall_s": round(wall, 2),
        "seed": seed,
        "quick": args.quick,
        "profiled": args.profile is not None,
        "machine": {**info, "load_average_before": load_before, "load_average_after": _load()},
    }
    print(table(results))
    for bench, res in results:
        if res.note:
            print(f"- {bench.title}: {res.note}")
    over = (
        " (over the 5-minute bound)"
        if wall > TOTAL_LIMIT_S and not args.only and not args.long
        else ""
    )
    load_after = meta["machine"]["load_average_after"]
    print(f"seed {seed}; {wall:.1f} s wall{over}; load average {load_after}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(to_json(results, meta), indent=2, ensure_ascii=False)
    args.json.write_text(text + "\n", encoding="utf-8")
    print(f"JSON: {args.json}")
    verdicts = {res.verdict for _, res in results}
    if ERROR in verdicts:
        return EXIT_ERROR
    if NOT_MET in verdicts:
        return EXIT_NOT_MET
    return EXIT_OK
