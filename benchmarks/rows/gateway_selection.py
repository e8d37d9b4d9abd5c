"""Gateway selection: what one selection costs with 3, 100 and 1,000 gateways, and how long a
failed gateway keeps getting submissions, in heartbeat periods.

``gs-selection-time``: the issue asks that a selection cost the same with 1,000
gateways as with 3 (heartbeat results kept and ranked when they change, not
recomputed per query). Figure: ns per query at 1,000 gateways through the
selector's answer path (parse the query, choose, the cached answer); baseline:
the same at 3 gateways, same run; target ratio ≤ 1.5. The details add 100
gateways, the table's ``choose()`` alone, and a per-query scan of every
gateway (what recomputing would cost) for contrast.

``gs-failover``: the conformance suite's own network (reference selector,
three gateways, the SP, the MMSC; tracing off). gw-2 is the best by delay;
the SP sends one message after another; at a random phase gw-2 stops
answering heartbeats. Figure: the time from gw-2's last answered heartbeat
to the last submission that reached it, in heartbeat periods, the worst of
the rounds (median in the note). With the reference's PIXIT (period 200 ms,
timeout 150 ms, 2 missed) the selector takes it out 2 + 150/200 = 2.75
periods after its last answer, so the figure is at most that plus the
submissions already on their way; target ≤ 3 periods.
"""

from __future__ import annotations

import statistics
import time

from benchmarks import gs
from benchmarks.registry import Context, Result, Target, benchmark
from benchmarks.rr import NullTraceRecorder
from mmsconf.fixtures.areas.gateway_selection.network import GatewaySelectionNet

SIZES = (3, 100, 1000)


@benchmark(
    name="gs-selection-time",
    title="gateway selection time, 1,000 vs 3 gateways",
    unit="ns/query",
    baseline="the same selection with 3 gateways",
    target=Target("<=", 1.5, on="ratio"),
    budget_s=15,
    order=12,
)
async def gs_selection_time(ctx: Context) -> Result:
    rounds, per_batch = (5, 500) if ctx.quick else (30, 2000)
    deadline_s = ctx.remaining() * 0.8
    ctx.log(f"selection with {', '.join(map(str, SIZES))} gateways, {rounds} rounds")
    costs = await gs.selection_cost(
        SIZES, rounds=rounds, per_batch=per_batch, seed=ctx.seed,
        deadline=time.monotonic() + deadline_s,
    )  # fmt: skip
    details = {
        str(n): {
            "answer_ns": round(c.answer_ns),
            "choose_ns": round(c.choose_ns),
            "scan_every_gateway_ns": round(c.scan_ns),
            "rounds": len(c.batches["answer"]),
        }
        for n, c in costs.items()
    }
    small, mid, big = (costs[n] for n in SIZES)
    note = (
        f"answer path {small.answer_ns / 1000:.1f} / {mid.answer_ns / 1000:.1f} / "
        f"{big.answer_ns / 1000:.1f} µs at 3 / 100 / 1,000 gateways; choose() alone "
        f"{small.choose_ns:.0f} / {mid.choose_ns:.0f} / {big.choose_ns:.0f} ns; a scan of "
        f"every gateway would be {small.scan_ns / 1000:.1f} / {mid.scan_ns / 1000:.1f} / "
        f"{big.scan_ns / 1000:.1f} µs"
    )
    return Result(figure=big.answer_ns, baseline=small.answer_ns, note=note, details=details)


@benchmark(
    name="gs-failover",
    title="gateway failover, last heartbeat to last submission",
    unit="periods",
    baseline="",
    target=Target("<=", 3.0, on="figure"),
    budget_s=20,
    order=13,
)
async def gs_failover(ctx: Context) -> Result:
    rounds = 2 if ctx.quick else 8
    rng = ctx.rng()
    net = GatewaySelectionNet(gs.gs_profile(), NullTraceRecorder(), ctx.seed)
    await net.start()
    results = []
    try:
        for i in range(rounds):
            if ctx.remaining() < 3:
                break
            ctx.log(f"round {i + 1} of {rounds}")
            results.append(await gs.failover_once(net, rng, i))
    finally:
        await net.stop()
    if not results:
        return Result.error("no round finished within the budget")
    periods = [r.periods for r in results]
    detected = [r.detected_periods for r in results]
    late = sum(r.after_out for r in results)
    details = {
        "rounds": len(results),
        "heartbeat_period_ms": net.profile.pixit.heartbeat_period_ms,
        "heartbeat_timeout_ms": net.profile.pixit.heartbeat_timeout_ms,
        "missed_heartbeats": net.profile.pixit.missed_heartbeats,
        "last_submission_periods": [round(p, 3) for p in periods],
        "taken_out_periods": [round(p, 3) for p in detected],
        "submissions_after_out": late,
        "messages_sent": [r.sent for r in results],
    }
    note = (
        f"{len(results)} rounds: last submission {statistics.median(periods):.2f} periods "
        f"after the last answered heartbeat (median; worst {max(periods):.2f}); taken out "
        f"after {statistics.median(detected):.2f} (median); {late} submission(s) reached it "
        "after it was out (already on their way)"
    )
    return Result(figure=max(periods), note=note, details=details)
