"""MM7 latency at a set rate: p50 and p99 from submit to report, open loop, at half the maximum.

The report-routing network of ``mm7-e2e`` (reference profile, TraceRecorder on,
the harness's loop), one recipient per submission. Two phases on one network:

1. **Maximum rate**: closed loop, ``CONCURRENCY`` in flight, as ``mm7-e2e``
   measures it (submissions per second, each counted when its report is back).
2. **Open loop at half of it**: submission ``i`` is *scheduled* at
   ``t0 + i / rate``, whatever happened to the ones before (no fixed number in
   flight: a slow answer does not hold the next submission back). Its latency
   runs from its scheduled time, not from when it actually left, to the moment
   its delivery report reached the SP, so a stall of the load generator or of
   the loop counts against the harness (no coordinated omission). Bounded by
   count and by time; submissions still out after the last one's report
   timeout are errors.

The figure is p99 of the open-loop phase; p50, the achieved rate, the
largest lag between a scheduled time and the actual send and the maximum-rate
phase are in the note and the details.
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

from benchmarks.load import LoadRun, closed_loop, percentile
from benchmarks.registry import Context, Result, Target, benchmark
from benchmarks.rr import (
    MMSC_PREFIXES,
    ReportWaiter,
    report_routing_profile,
    running_net,
    submit_and_wait,
)
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.areas.report_routing.network import ReportRoutingNet
from mmsconf.fixtures.loop import loop_kind

#: Closed-loop concurrency of the maximum-rate phase, as in mm7-e2e.
CONCURRENCY = 64
#: A report later than this is an error of the run.
REPORT_TIMEOUT_S = 10.0
#: Share of the measured maximum the open loop offers.
LOAD_FACTOR = 0.5


class GcPauses:
    """Collections and their pauses by generation while it is on (``gc.callbacks``): a
    stall of the loop in the latency tail is either the collector or the machine."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses[info["generation"]].append((time.perf_counter() - self._started) * 1000)

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def summary(self) -> dict[str, dict[str, float | int]]:
        return {
            f"gen{g}": {"collections": len(p), "max_ms": round(max(p, default=0.0), 3)}
            for g, p in self.pauses.items()
        }


def _sizes(quick: bool) -> tuple[int, int, int, float]:
    """(warm-up, max-rate submissions, open-loop submissions at most, open-loop seconds)."""
    return (50, 300, 400, 2.0) if quick else (200, 2000, 6000, 12.0)


async def _max_rate(
    net: ReportRoutingNet, waiter: ReportWaiter, numbers: list[str], count: int, time_s: float
) -> LoadRun:
    async def op(i: int) -> None:
        await submit_and_wait(net, waiter, [numbers[i % len(numbers)]], REPORT_TIMEOUT_S)

    return await closed_loop(op, count=count, concurrency=CONCURRENCY, time_s=time_s)


async def _open_loop(
    net: ReportRoutingNet,
    waiter: ReportWaiter,
    numbers: list[str],
    rate: float,
    count: int,
) -> tuple[LoadRun, float, int]:
    """``count`` submissions scheduled ``1 / rate`` apart: (run, worst send lag ms, in flight
    at most)."""
    run = LoadRun()
    period = 1.0 / rate
    in_flight = 0
    most_in_flight = 0
    worst_lag = 0.0
    tasks: set[asyncio.Task[None]] = set()

    async def one(i: int, scheduled: float) -> None:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        try:
            arrived = await submit_and_wait(net, waiter, [numbers[i]], REPORT_TIMEOUT_S)
        except Exception as err:  # a failed submission is a figure, not a crash
            run.errors += 1
            if run.first_error is None:
                run.first_error = f"{type(err).__name__}: {err}"
            return
        finally:
            in_flight -= 1
        run.latencies_ms.append((arrived - scheduled) * 1000)
        run.completed += 1

    start = time.perf_counter() + 0.05  # the first send a little ahead: the schedule is set
    for i in range(count):
        scheduled = start + i * period
        ahead = scheduled - time.perf_counter()
        if ahead > 0:
            # A timer to the scheduled send time, not a wait for a condition: the open
            # loop sends on the clock, whatever is in flight.
            await asyncio.sleep(ahead)
        worst_lag = max(worst_lag, time.perf_counter() - scheduled)
        task = asyncio.create_task(one(i, scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        # Every submission has its own report timeout; this only bounds the wait for them.
        await asyncio.wait(tasks, timeout=REPORT_TIMEOUT_S + 5)
    run.elapsed_s = time.perf_counter() - start
    return run, worst_lag * 1000, most_in_flight


@benchmark(
    name="mm7-latency",
    title="MM7 latency at half the maximum rate, p99",
    unit="ms",
    baseline="",
    target=Target("<=", 20, on="figure"),
    budget_s=40,
    order=21,
    loop="harness",
)
async def mm7_latency(ctx: Context) -> Result:
    warmup, max_count, open_max, open_s = _sizes(ctx.quick)
    rng = ctx.rng("numbers")
    numbers = [
        f"{rng.choice(MMSC_PREFIXES)}{rng.randrange(10**8):08d}"
        for _ in range(warmup + max_count + open_max)
    ]
    budget = ctx.remaining()
    async with running_net(report_routing_profile(), TraceRecorder(), ctx.seed) as net:
        waiter = ReportWaiter(net)
        ctx.log(f"maximum rate: closed loop, {CONCURRENCY} in flight, up to {max_count}")
        await _max_rate(net, waiter, numbers[:warmup], warmup, budget * 0.1)
        peak = await _max_rate(
            net, waiter, numbers[warmup : warmup + max_count], max_count, budget * 0.35
        )
        if peak.completed == 0:
            return Result.error(f"no submission completed ({peak.first_error})")
        rate = peak.rate * LOAD_FACTOR
        # Bounded by count and by time: at most open_s seconds of sending.
        count = max(1, min(open_max, int(rate * min(open_s, budget * 0.35))))
        ctx.log(f"open loop: {count} submissions at {rate:.0f}/s (half of {peak.rate:.0f}/s)")
        with GcPauses() as pauses:
            run, worst_lag_ms, most_in_flight = await _open_loop(
                net, waiter, numbers[warmup + max_count :], rate, count
            )
        steward = net.gc_steward  # type: ignore[attr-defined]
    if run.completed == 0:
        return Result.error(f"no open-loop submission completed ({run.first_error})")

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 3)

    p50, p99 = run.p(50), run.p(99)
    details = {
        "loop": loop_kind(),
        "max_rate": peak.summary(),
        "load_factor": LOAD_FACTOR,
        "offered_rate_per_s": r(rate),
        "achieved_rate_per_s": r(run.completed / run.elapsed_s if run.elapsed_s else None),
        "open_loop": run.summary(),
        "p90_ms": r(percentile(run.latencies_ms, 90)),
        "p999_ms": r(percentile(run.latencies_ms, 99.9)),
        "worst_send_lag_ms": r(worst_lag_ms),
        "most_in_flight": most_in_flight,
        "scheduled": count,
        "gc_during_open_loop": pauses.summary(),
        "gc_steward": {"rounds": steward.rounds, "max_pause_ms": round(steward.max_pause_ms, 3)},
    }
    note = (
        f"on {loop_kind()}, trace on: {run.completed} of {count} submissions at "
        f"{rate:.0f}/s (half of the {peak.rate:.0f}/s maximum, closed loop of {CONCURRENCY}); "
        f"submit→report from the scheduled time p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(run.latencies_ms):.1f} ms; {run.errors} errors; worst send lag "
        f"{worst_lag_ms:.1f} ms; at most {most_in_flight} in flight; longest GC pause "
        f"{max(max(p, default=0.0) for p in pauses.pauses.values()):.1f} ms"
    )
    return Result(figure=p99, note=note, details=details)
