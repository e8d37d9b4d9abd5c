"""Locust scale-out: submissions/s with two Locust worker processes against one, same run.

The SUT is the reference gateway farm out of process (``mmsconf emulate
mmsg-farm``), with the MMSCs and the SP's report receiver as their own
processes (``fixtures/load/reference.py``), started once for the row. Against
it, ``mmsconf load --processes 1`` and ``--processes 2`` (a Locust master and
one or two local workers), the same users, duration and seed, in the
order 1, 2, 2, 1 so that a machine getting busier moves both sides alike;
each side's figure is the mean of its two runs. The figure is Locust's
submissions/s (its CSV's aggregated requests/s) with two workers, the
baseline the same with one; the target is on the ratio (≥ 1.6×). Every run
must also end with zero submissions lost or duplicated (the exactly-once
check of ``mmsconf load``, against the SP's counts): a run that lost one
fails the row whatever its rate.

On a two-core machine the three SUT processes and the Locust processes share
the cores: once the farm's process is saturated a second Locust worker adds
nothing but contention, so the ratio says where the bottleneck is as much as
how Locust scales. So, budget permitting, the row also measures the
generator alone, in the details (``generator_only``): the same two loads
against a canned SubmitRsp responder (``baselines/mm7_canned.py``, nothing
forwarded, nothing reported, exactly-once not checked), where Locust is the
bottleneck. The note gives both, and the load average.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.baselines.mm7_canned import CannedServer, canned_exchange
from benchmarks.registry import ERROR, Context, Result, Target, benchmark
from benchmarks.tools import run
from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.ports import listen_port
from mmsconf.fixtures.load.reference import MMSC_HOSTS, SP_HOST, reference_farm, write_profile

USERS = 16
ORDER = (1, 2, 2, 1)
#: Seconds each run sends for: the budget's share, within these bounds. A timed run
#: (rather than a count) keeps the row inside a budget the runner may have scaled down.
RUN_S_MIN, RUN_S_MAX, RUN_S_QUICK = 3.0, 15.0, 3.0
#: Per run, beyond its sending time: Locust's start (imports, workers connecting), the
#: drain of the last reports, the shutdown and the report.
OVERHEAD_S = 8.0
#: Seconds each generator-only run sends for (one worker, then two).
GENERATOR_S, GENERATOR_S_QUICK = 5.0, 2.0


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu_s() -> float:
    # Locust's processes are our children's children: reaped, they count here.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def _one(
    ctx: Context, net: Any, folder: Path, processes: int, n: int, seconds: float
) -> dict:
    report = folder / f"run{n}-p{processes}"
    sut_before = sum(_cpu_s(r.proc.pid) for r in net.roles)
    load_before = _children_cpu_s()
    argv = [sys.executable, "-m", "mmsconf.fixtures.cli", "load", "--profile", str(net.profile)]
    argv += ["--processes", str(processes), "--users", str(USERS)]
    argv += ["--duration", f"{int(seconds * 1000)}ms"]
    argv += ["--seed", str(ctx.seed), "--drain-ms", "30000", "--report-dir", str(report)]
    for url in net.counts:
        argv += ["--counts", url]
    ctx.log(f"run {n}: --processes {processes}, {seconds:.1f} s")
    code, text = await run(argv, max(30.0, ctx.remaining()))
    sut_cpu = sum(_cpu_s(r.proc.pid) for r in net.roles) - sut_before
    load_cpu = _children_cpu_s() - load_before
    if code not in (0, 1):
        raise RuntimeError(f"mmsconf load exited {code}: {text[-1500:]}")
    checked = json.loads((report / "load.json").read_text(encoding="utf-8"))
    rate = 0.0
    for line in (report / "locust_stats.csv").read_text(encoding="utf-8").splitlines():
        cells = line.split(",")
        if len(cells) > 9 and cells[1] == "Aggregated":
            rate = float(cells[9])
    return {
        "processes": processes,
        "rate": rate,
        "accepted": checked["accepted"],
        "lost": checked["lost"],
        "duplicated": checked["duplicated"],
        "exit_code": code,
        # Where the CPU went: the SUT's three processes, and Locust with mmsconf load.
        "sut_cpu_s": round(sut_cpu, 2),
        "load_cpu_s": round(load_cpu, 2),
        "load_cpu_ms_per_submission": round(load_cpu * 1000 / max(1, checked["accepted"]), 2),
        "sut_cpu_ms_per_submission": round(sut_cpu * 1000 / max(1, checked["accepted"]), 2),
    }


@dataclass
class _Canned:
    """What ``_one`` needs of a SUT: the canned responder has no role processes to count."""

    profile: Path
    counts: list[str] = field(default_factory=list)
    roles: list[Any] = field(default_factory=list)


async def _generator_only(ctx: Context, folder: Path, seconds: float) -> list[dict]:
    """One worker then two against a canned SubmitRsp responder: Locust's own ceiling."""
    request = mm7.SubmitReq(
        transaction_id="T1", vasp_id="sp001", to=(mm7.Address("+8613800000000"),)
    )
    server = CannedServer(canned_exchange(request))
    await server.start()
    try:
        hosts = (server.host, server.host)
        profile = write_profile(
            folder / "canned.toml",
            server.port,
            listen_port(SP_HOST),
            listen_port(*MMSC_HOSTS),
            farm_hosts=hosts,
        )
        canned = _Canned(profile)
        return [
            await _one(ctx, canned, folder, processes, 10 + processes, seconds)
            for processes in (1, 2)
        ]
    finally:
        await server.stop()


@benchmark(
    name="locust-scale",
    title="Locust: submissions/s, 2 worker processes vs 1",
    unit="sub/s",
    baseline="the same load with one Locust worker process, same run, same SUT",
    target=Target(">=", 1.6, on="ratio"),
    budget_s=150,
    long=True,
    order=95,
)
async def locust_scale(ctx: Context) -> Result:
    generator_s = GENERATOR_S_QUICK if ctx.quick else GENERATOR_S
    reserve = 2 * (generator_s + OVERHEAD_S)
    share = (ctx.remaining() - 10 - reserve) / len(ORDER) - OVERHEAD_S
    seconds = RUN_S_QUICK if ctx.quick else min(RUN_S_MAX, max(RUN_S_MIN, share))
    load_before = [round(x, 2) for x in os.getloadavg()]
    runs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="mmsconf-locust-") as tmp:
        folder = Path(tmp)
        stack = ExitStack()
        # Starting the processes waits on their "ready" lines: off the event loop.
        net = await asyncio.to_thread(stack.enter_context, reference_farm(folder, ctx.seed))
        try:
            for n, processes in enumerate(ORDER, 1):
                runs.append(await _one(ctx, net, folder, processes, n, seconds))
        except (RuntimeError, TimeoutError, OSError) as err:
            return Result.error(str(err), {"runs": runs})
        finally:
            await asyncio.to_thread(stack.close)
        generator: list[dict] = []
        if ctx.remaining() > reserve:
            try:
                generator = await _generator_only(ctx, folder, generator_s)
            except (RuntimeError, TimeoutError, OSError) as err:
                ctx.log(f"generator-only runs not measured: {err}")
    one = [r["rate"] for r in runs if r["processes"] == 1]
    two = [r["rate"] for r in runs if r["processes"] == 2]
    lost = sum(r["lost"] + r["duplicated"] for r in runs)
    figure, baseline = sum(two) / len(two), sum(one) / len(one)
    load_after = [round(x, 2) for x in os.getloadavg()]
    details = {
        "runs": runs,
        "users": USERS,
        "seconds_per_run": seconds,
        "generator_only": generator,
        "load_average_before": load_before,
        "load_average_after": load_after,
    }
    note = (
        f"1 worker {baseline:.0f} sub/s, 2 workers {figure:.0f} sub/s (runs "
        + ", ".join(f"p{r['processes']} {r['rate']:.0f}" for r in runs)
        + f"); lost or duplicated {lost}; CPU per submission: SUT "
        + f"{sum(r['sut_cpu_ms_per_submission'] for r in runs) / len(runs):.1f} ms, Locust "
        + f"{sum(r['load_cpu_ms_per_submission'] for r in runs) / len(runs):.1f} ms; "
        + f"load average {load_before[0]} -> {load_after[0]}"
    )
    if len(generator) == 2 and generator[0]["rate"]:
        g1, g2 = generator[0]["rate"], generator[1]["rate"]
        note += (
            f"; Locust alone against a canned SubmitRsp: 1 worker {g1:.0f}/s, "
            f"2 workers {g2:.0f}/s ({g2 / g1:.2f}×)"
        )
    if not baseline:
        return Result(figure=None, verdict=ERROR, note=f"error: no rate measured; {note}")
    passed = None if lost == 0 else False  # any loss fails the row, whatever the ratio
    return Result(figure=figure, baseline=baseline, passed=passed, note=note, details=details)
