"""MM7 end to end: SP submissions per second, each counted when its delivery report is back.

One submission is the whole report-routing path over real loopback sockets:
SP → MMSG (SubmitReq) → MMSC (SubmitReq with MSGID2), then MMSC → a random
farm server (DeliveryReportReq) → the issuing server when that was another
one → SP. One recipient per submission, ``CONCURRENCY`` in flight (closed
loop). Latency is submit → report at the SP.

Baseline: a bare aiohttp app answering a canned SubmitRsp to a bare aiohttp
client posting the same SubmitReq bytes, same concurrency, same process and
loop. It is measured before and after the harness and averaged, so a
machine that got busier in between moves both sides. The ratio compares
the whole harness path (about five MM7 exchanges, each encoded, decoded and
traced) with one bare framework round trip.

The harness is measured with the TraceRecorder on (the conformance suite's
real path) and, as a detail, with it off.

The ratio is per MM7 exchange: the harness's submissions per second times the
exchanges one submission makes (counted on the path, about 4.5), over the bare
round trips per second. The row runs on the harness's loop (uvloop where
``MMSCONF_LOOP=uvloop`` asks for it, as the suite's loop thread); where that is
uvloop, the harness and the baseline are measured again on the standard asyncio
loop (smaller counts, same run), and the details and the note give both.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from benchmarks.baselines.mm7_canned import Canned, CannedClient, CannedServer, canned_exchange
from benchmarks.load import LoadRun, closed_loop
from benchmarks.registry import Context, Result, Target, benchmark
from benchmarks.rr import (
    MMSC_PREFIXES,
    NullTraceRecorder,
    ReportWaiter,
    on_standard_loop,
    report_routing_profile,
    running_net,
    submit_and_wait,
)
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.areas.report_routing.network import ReportRoutingNet
from mmsconf.fixtures.loop import loop_kind

#: Submissions in flight at once, as the issue's design notes suggest.
CONCURRENCY = 64
#: A report later than this is an error of the run (the reference answers in milliseconds).
REPORT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Size:
    warmup: int  # per phase, not measured: connections opened, caches warm
    harness: int  # measured submissions, trace on
    harness_off: int  # measured submissions, trace off
    baseline: int  # measured round trips, per baseline phase


FULL = Size(warmup=200, harness=3000, harness_off=1500, baseline=15000)
QUICK = Size(warmup=50, harness=300, harness_off=200, baseline=600)
#: The standard-loop comparison, when the row runs on uvloop: trace on, smaller counts.
FULL_STD = Size(warmup=200, harness=1500, harness_off=0, baseline=6000)
QUICK_STD = Size(warmup=50, harness=200, harness_off=0, baseline=400)

# Shares of the row's budget: the harness phases dominate; each phase also stops on count.
SHARE_BASELINE, SHARE_ON, SHARE_OFF = 0.06, 0.40, 0.15
SHARE_STD_BASELINE, SHARE_STD_ON = 0.05, 0.2


def _numbers(ctx: Context, n: int) -> list[str]:
    rng = ctx.rng("numbers")
    return [f"{rng.choice(MMSC_PREFIXES)}{rng.randrange(10**8):08d}" for _ in range(n)]


def _canned(ctx: Context) -> Canned:
    """The SubmitReq bytes the harness SP would send first, and the SubmitRsp to it."""
    probe = ReportRoutingNet(report_routing_profile(), TraceRecorder(), ctx.seed).sp
    return canned_exchange(probe.build_submit(probe.next_msgid1(), _numbers(ctx, 1)))


async def _baseline(canned: Canned, size: Size, time_s: float) -> LoadRun:
    server = CannedServer(canned)
    await server.start()
    client = CannedClient(canned, server.url)
    try:
        await closed_loop(
            client.post, count=size.warmup, concurrency=CONCURRENCY, time_s=time_s / 4
        )
        return await closed_loop(
            client.post, count=size.baseline, concurrency=CONCURRENCY, time_s=time_s
        )
    finally:
        await client.close()
        await server.stop()


async def _harness(
    ctx: Context, trace: TraceRecorder, count: int, warmup: int, time_s: float
) -> tuple[LoadRun, dict[str, object]]:
    numbers = _numbers(ctx, warmup + count)
    async with running_net(report_routing_profile(), trace, ctx.seed) as net:
        waiter = ReportWaiter(net)

        async def op(i: int) -> None:
            await submit_and_wait(net, waiter, [numbers[i]], REPORT_TIMEOUT_S)

        await closed_loop(op, count=warmup, concurrency=CONCURRENCY, time_s=time_s / 4)
        run = await closed_loop(
            lambda i: op(warmup + i), count=count, concurrency=CONCURRENCY, time_s=time_s
        )
        counters = net.farm.counters() if net.farm is not None else Counter()
        # Requests answered along the path: the SP's reports, the MMSCs' submissions,
        # and the farm's submissions and reports (from an MMSC or another server).
        served = (
            len(net.sp.reports)
            + sum(len(m.received) for m in net.mmscs.values())
            + counters["submissions"]
            + counters["reports_from_mmsc"]
            + counters["reports_forwarded_in"]
        )
        extra: dict[str, object] = {
            "reports_by_status": dict(Counter(r.mm_status for r in net.sp.reports)),
            "reports_forwarded_between_servers": counters.get("reports_forwarded", 0),
            # HTTP exchanges per submission over the whole path (warm-up included), to
            # compare per exchange with the bare baseline, which is one exchange.
            "mm7_exchanges_per_submission": round(served / (warmup + run.completed), 3)
            if run.completed
            else None,
            "trace_events": len(trace.events()),
        }
    return run, extra


def _per_exchange(rate: float, exchanges: object, baseline: float) -> float | None:
    """Harness exchanges per second over bare round trips per second."""
    if not isinstance(exchanges, float | int) or not exchanges or not baseline:
        return None
    return rate * exchanges / baseline


async def _standard_loop(ctx: Context, canned: Canned, size: Size, budget: float) -> dict:
    """Baseline and harness (trace on) again, on the standard asyncio loop in a thread."""

    async def measure() -> tuple[LoadRun, LoadRun, dict[str, object]]:
        base = await _baseline(canned, size, budget * SHARE_STD_BASELINE)
        run, extra = await _harness(
            ctx, TraceRecorder(), size.harness, size.warmup, budget * SHARE_STD_ON
        )
        return base, run, extra

    base, run, extra = await on_standard_loop(measure)
    per_exchange = _per_exchange(run.rate, extra.get("mm7_exchanges_per_submission"), base.rate)
    return {
        "loop": "asyncio",
        "harness_trace_on": {**run.summary(), **extra},
        "baseline": base.summary(),
        "per_exchange_ratio": per_exchange and round(per_exchange, 4),
    }


@benchmark(
    name="mm7-e2e",
    title="MM7 end to end",
    unit="sub/s",
    baseline="bare aiohttp endpoint answering a canned SubmitRsp",
    target=Target(">=", 0.3, on="ratio"),
    budget_s=50,
    order=20,
    loop="harness",
)
async def mm7_end_to_end(ctx: Context) -> Result:
    size = QUICK if ctx.quick else FULL
    budget = ctx.remaining()
    canned = _canned(ctx)
    ctx.log(f"baseline (bare aiohttp), up to {size.baseline} round trips")
    before = await _baseline(canned, size, budget * SHARE_BASELINE)
    ctx.log(f"harness, trace on, up to {size.harness} submissions, {CONCURRENCY} in flight")
    on, on_extra = await _harness(
        ctx, TraceRecorder(), size.harness, size.warmup, budget * SHARE_ON
    )
    ctx.log(f"harness, trace off, up to {size.harness_off} submissions")
    off, off_extra = await _harness(
        ctx, NullTraceRecorder(), size.harness_off, size.warmup, budget * SHARE_OFF
    )
    ctx.log("baseline again")
    after = await _baseline(canned, size, budget * SHARE_BASELINE)
    standard: dict | None = None
    if loop_kind() == "uvloop":
        std_size = QUICK_STD if ctx.quick else FULL_STD
        ctx.log(
            f"the same on the standard asyncio loop: baseline up to {std_size.baseline}, "
            f"harness up to {std_size.harness} submissions"
        )
        standard = await _standard_loop(ctx, canned, std_size, budget)

    baseline = statistics.fmean([before.rate, after.rate])
    details = {
        "concurrency": CONCURRENCY,
        "recipients_per_submission": 1,
        "harness_trace_on": {**on.summary(), **on_extra},
        "harness_trace_off": {**off.summary(), **off_extra},
        "baseline_before": before.summary(),
        "baseline_after": after.summary(),
        "trace_off_ratio": round(off.rate / baseline, 4) if baseline else None,
        "loop": loop_kind(),
        "standard_loop": standard,
    }
    if on.completed == 0:
        return Result.error(f"no submission completed ({on.first_error})", details)

    def ms(x: float | None) -> str:
        return "—" if x is None else f"{x:.1f}"

    both = LoadRun(latencies_ms=before.latencies_ms + after.latencies_ms)
    exchanges = on_extra.get("mm7_exchanges_per_submission")
    # The baseline is one exchange: per exchange, the harness compares like for like.
    per_exchange = _per_exchange(on.rate, exchanges, baseline)
    off_per_exchange = _per_exchange(
        off.rate, off_extra.get("mm7_exchanges_per_submission"), baseline
    )
    details["per_exchange_ratio"] = per_exchange and round(per_exchange, 4)
    details["per_submission_ratio"] = round(on.rate / baseline, 4) if baseline else None
    details["trace_off_per_exchange_ratio"] = off_per_exchange and round(off_per_exchange, 4)
    note = (
        f"on {loop_kind()}: {exchanges} MM7 exchanges per submission, so per exchange "
        f"{per_exchange or 0:.3f}× the bare round trip (the ratio); submit→report "
        f"p50 {ms(on.p(50))} ms, p99 {ms(on.p(99))} ms over {on.completed} submissions "
        f"({on.errors} errors); baseline p50 {ms(both.p(50))} / p99 {ms(both.p(99))} ms; "
        f"trace off: {off.rate:.0f} sub/s ({off_per_exchange or 0:.3f}× per exchange)"
    )
    if standard is not None:
        std_on = standard["harness_trace_on"]
        note += (
            f"; standard asyncio loop: {std_on['rate_per_s']:.0f} sub/s against "
            f"{standard['baseline']['rate_per_s']:.0f} bare round trips/s, per exchange "
            f"{standard['per_exchange_ratio'] or 0:.3f}×"
        )
    elif loop_kind() != "uvloop":
        note += "; uvloop not in use (MMSCONF_LOOP=uvloop, mmsconf[fast]): no loop comparison"
    return Result(figure=on.rate, baseline=baseline, ratio=per_exchange, note=note, details=details)
