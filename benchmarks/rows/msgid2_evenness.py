"""MSGID2 evenness: per-server max/mean load over group messages sharing a number suffix.

Three farm servers (modules 180, 181, 182). Every group message has two
recipients, and every recipient of every message ends in the same two
digits (seeded), so each message is one SubmitReq from the SP, which
spreads SubmitReqs over the farm. A server's load is the MM7 requests it
sent to the harness: SubmitReqs at the MMSCs plus DeliveryReportReqs at the
SP, counted by source address, as the conformance suite's evenness scenario
counts them (``ReportRoutingNet.per_server_load``).

The reference farm routes reports by the module number in MSGID2, so the
load follows the SP's even spread: max/mean ≈ 1. The last-two-digits
baseline (ranges 0-32/33-66/67-99 cut at start) hands every message to the
one server owning the suffix: max/mean ≈ 3.

Up to ``FULL_MESSAGES`` (the issue's 10,000) per farm, bounded by the
budget: the reference runs first, and the baseline is given the count the
reference reached, so both figures cover the same number of messages. The
details say how many ran. Tracing is off (``NullTraceRecorder``): the
figure is a count that tracing cannot change, and 10,000 traced messages
would hold a few hundred MB of raw bytes.
"""

from __future__ import annotations

import random
from collections import Counter

from benchmarks.load import LoadRun, closed_loop
from benchmarks.registry import Context, Result, Target, benchmark
from benchmarks.rr import (
    MMSC_PREFIXES,
    NullTraceRecorder,
    ReportWaiter,
    report_routing_profile,
    running_net,
    submit_and_wait,
)

MODULES = [180, 181, 182]
FULL_MESSAGES = 10_000
QUICK_MESSAGES = 300
RECIPIENTS = 2
CONCURRENCY = 64
REPORT_TIMEOUT_S = 15.0
#: Share of the row's budget the reference may use; the baseline (slower: it hands
#: messages over between servers) gets the rest.
SHARE_REFERENCE = 0.47


def group_messages(rng: random.Random, n: int, suffix: str) -> list[list[str]]:
    """``n`` groups of distinct numbers, all ending in ``suffix``.

    Both numbers of a group share an MMSC prefix, so each group is one
    SubmitReq to one MMSC: the load a message makes does not depend on the
    prefix draw.
    """
    groups = []
    for _ in range(n):
        prefix = rng.choice(MMSC_PREFIXES)
        body = rng.sample(range(10**6), RECIPIENTS)
        groups.append([f"{prefix}{b:06d}{suffix}" for b in body])
    return groups


def max_over_mean(load: Counter[int]) -> float | None:
    values = list(load.values())
    if not values or sum(values) == 0:
        return None
    return max(values) / (sum(values) / len(values))


async def _farm(
    ctx: Context, gateway: str, groups: list[list[str]], time_s: float
) -> tuple[LoadRun, Counter[int], dict[str, int]]:
    profile = report_routing_profile(gateway, MODULES)
    async with running_net(profile, NullTraceRecorder(), ctx.seed) as net:
        waiter = ReportWaiter(net)

        async def op(i: int) -> None:
            await submit_and_wait(net, waiter, groups[i], REPORT_TIMEOUT_S)

        run = await closed_loop(op, count=len(groups), concurrency=CONCURRENCY, time_s=time_s)
        load = net.per_server_load()
        counters = net.farm.counters() if net.farm is not None else Counter()
    return run, load, dict(counters)


@benchmark(
    name="msgid2-evenness",
    title="MSGID2 evenness",
    unit="max/mean",
    baseline="last-two-digits farm (ranges cut at start)",
    target=Target("<=", 1.05, on="figure"),
    budget_s=130,
    order=30,
)
async def msgid2_evenness(ctx: Context) -> Result:
    wanted = QUICK_MESSAGES if ctx.quick else FULL_MESSAGES
    rng = ctx.rng("groups")
    suffix = f"{rng.randrange(100):02d}"
    groups = group_messages(rng, wanted, suffix)
    budget = ctx.remaining()

    ctx.log(f"reference farm {MODULES}: up to {wanted} messages ending in {suffix}")
    ref_run, ref_load, ref_counters = await _farm(
        ctx, "reference", groups, budget * SHARE_REFERENCE
    )
    # The baseline gets the same messages the reference got through, and the time left.
    same = groups[: ref_run.completed + ref_run.errors]
    ctx.log(f"last-two-digits farm: the same {len(same)} messages")
    base_run, base_load, base_counters = await _farm(
        ctx, "baseline-last-two-digits", same, max(1.0, ctx.remaining() - 5)
    )
    figure = max_over_mean(ref_load)
    baseline = max_over_mean(base_load)
    details = {
        "messages_wanted": wanted,
        "recipients_per_message": RECIPIENTS,
        "suffix": suffix,
        "modules": MODULES,
        "reference": {
            "messages": ref_run.completed,
            "load_per_server": {str(m): n for m, n in sorted(ref_load.items())},
            "max_over_mean": figure,
            "counters": ref_counters,
            **ref_run.summary(),
        },
        "baseline": {
            "messages": base_run.completed,
            "load_per_server": {str(m): n for m, n in sorted(base_load.items())},
            "max_over_mean": baseline,
            "counters": base_counters,
            **base_run.summary(),
        },
    }
    if figure is None:
        return Result.error(f"the reference farm carried no load ({ref_run.first_error})", details)
    errors = ref_run.errors + base_run.errors
    note = (
        f"{ref_run.completed} messages (reference) / {base_run.completed} (baseline) of "
        f"{wanted} wanted, {RECIPIENTS} recipients each ending in {suffix}; load "
        f"{dict(sorted(ref_load.items()))} vs {dict(sorted(base_load.items()))}"
        + (f"; {errors} failed" if errors else "")
    )
    # Ratio figure / baseline: how much of the baseline's imbalance is left (lower is better).
    return Result(figure=figure, baseline=baseline, note=note, details=details)
