"""Disaster recovery: what an MMSC outage costs through the MMS router, and what the router costs.

Three rows, each on the same network the conformance suite runs in
(``DisasterRecoveryNet``: handsets, WAP gateway, unbound, the authoritative
emulator, the router, MMSCs A and B), built from the shipped profiles:

* ``dr-outage``: MMSC A goes dead while the WAP gateway holds the MMS
  domain's answer; 200 submissions follow. The figure is how many failed
  through the reference router; the baseline, measured in the same run, is
  how many failed with the prior art (the domain resolving straight to A).
* ``dr-detection``: how long after A goes dead the router takes it out
  (its ``mmsc_down``), in probe periods, over several failures (median;
  the details have each and the maximum). No baseline: the prior art has
  no detection at all.
* ``dr-router-latency``: submissions straight to an MMSC against the same
  submissions through the router, alternated one by one in the same run;
  figure and baseline are the median latencies (p99 and the router's added
  p50/p99 in the details).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from benchmarks.load import percentile
from benchmarks.registry import Context, Result, Target, benchmark
from benchmarks.rr import NullTraceRecorder
from mmsconf.emulators.dns_peers import ToolMissing
from mmsconf.emulators.mm1_handset import Order
from mmsconf.fixtures.areas.disaster_recovery.network import DisasterRecoveryNet
from mmsconf.fixtures.areas.disaster_recovery.profile import DisasterRecoverySection
from mmsconf.fixtures.profile import load_profile

OUTAGE_SUBMISSIONS = 200
DETECTIONS, QUICK_DETECTIONS = 10, 3
LATENCY_PAIRS, QUICK_LATENCY_PAIRS = 1000, 100


def dr_profile(router: str = "reference") -> DisasterRecoverySection:
    name = "baseline-disaster-recovery.toml" if router == "baseline-direct" else None
    return load_profile(name).section("disaster_recovery")


@asynccontextmanager
async def running(
    section: DisasterRecoverySection, seed: int
) -> AsyncIterator[DisasterRecoveryNet]:
    net = DisasterRecoveryNet(section, NullTraceRecorder(), seed)
    await net.start()
    try:
        net.open_scope("bench", "bench", "bench")
        yield net
    finally:
        await net.stop()


async def outage_failures(section: DisasterRecoverySection, seed: int, count: int) -> dict:
    """Submissions failed while MMSC A is dead and the gateway holds its answer."""
    async with running(section, seed) as net:
        assert net.gateway is not None and net.handsets is not None
        address, why, _ = await net.gateway.resolve()
        if address is None:
            raise RuntimeError(f"the WAP gateway could not resolve the MMS domain: {why}")
        await net.fail("A", "dead")
        orders = [
            Order(f"bench-{i:05d}", f"bench-{i:05d}", f"+861380{i:06d}") for i in range(count)
        ]
        started = time.perf_counter()
        sent = await net.handsets.submit_all(orders)
        elapsed = time.perf_counter() - started
        failed = [s for s in sent if not s.ok]
        held = net.gateway.held()
        return {
            "sent": len(sent),
            "failed": len(failed),
            "first_failure": failed[0].why if failed else None,
            "gateway_held": address,
            "ttl_served_s": held.ttl_s if held else None,
            "elapsed_s": round(elapsed, 3),
        }


@benchmark(
    name="dr-outage",
    title="Failed submissions while MMSC A is down, answer cached",
    unit="failed",
    baseline="the prior art (MMS domain resolves straight to MMSC A), same run",
    target=Target("<=", 0, on="figure"),
    budget_s=60,
    order=60,
)
async def outage(ctx: Context) -> Result:
    try:
        reference = await outage_failures(dr_profile(), ctx.seed, OUTAGE_SUBMISSIONS)
        ctx.log(f"reference: {reference['failed']} of {reference['sent']} failed")
        prior = await outage_failures(dr_profile("baseline-direct"), ctx.seed, OUTAGE_SUBMISSIONS)
        ctx.log(f"prior art: {prior['failed']} of {prior['sent']} failed")
    except ToolMissing as err:
        return Result.error(str(err))
    return Result(
        figure=reference["failed"],
        baseline=prior["failed"],
        note=(
            f"{reference['failed']}/{reference['sent']} failed through the router, "
            f"{prior['failed']}/{prior['sent']} with the prior art"
        ),
        details={"reference": reference, "baseline": prior},
    )


@benchmark(
    name="dr-detection",
    title="MMSC failure detection by the router's probes",
    unit="probe periods",
    target=Target("<=", 2, on="figure"),
    budget_s=40,
    order=61,
)
async def detection(ctx: Context) -> Result:
    section = dr_profile()
    period = section.pixit.probe_period_ms
    rounds = QUICK_DETECTIONS if ctx.quick else DETECTIONS
    times: list[float] = []
    rng = ctx.rng("phase")
    try:
        async with running(section, ctx.seed) as net:
            router = net.router
            assert router is not None
            for _ in range(rounds):
                if ctx.remaining() < 5:
                    break
                downs = len(router.events.of("mmsc_down"))
                ups = len(router.events.of("mmsc_up"))
                # Fail A at a random point of the probe cycle (right after A came back
                # would always be just after a probe: the worst case every time). The
                # delay is the purpose here, as a fault knob's is.
                await asyncio.sleep(rng.uniform(0, period) / 1000)
                failed_at = time.time()
                await net.fail("A", "dead")
                await router.events.wait_for(
                    lambda log, n=downs: len(log.of("mmsc_down")) > n, 10_000, "A out"
                )
                times.append((router.events.of("mmsc_down")[-1].time - failed_at) * 1000)
                await net.recover("A")
                await router.events.wait_for(
                    lambda log, n=ups: len(log.of("mmsc_up")) > n, 10_000, "A back"
                )
    except ToolMissing as err:
        return Result.error(str(err))
    periods = [t / period for t in times]
    return Result(
        figure=round(statistics.median(periods), 3),
        note=(
            f"median {statistics.median(periods):.2f}, max {max(periods):.2f} probe periods "
            f"of {period} ms (failure_threshold {section.pixit.failure_threshold})"
        ),
        details={
            "probe_period_ms": period,
            "failure_threshold": section.pixit.failure_threshold,
            "detections_ms": [round(t, 1) for t in times],
            "max_periods": round(max(periods), 3),
        },
    )


@benchmark(
    name="dr-router-latency",
    title="MMS router's added latency per submission",
    unit="ms",
    baseline="the same submissions straight to an MMSC, alternated, same run",
    target=Target("<=", 3, on="ratio"),
    budget_s=40,
    order=62,
)
async def router_latency(ctx: Context) -> Result:
    pairs = QUICK_LATENCY_PAIRS if ctx.quick else LATENCY_PAIRS
    via, direct = [], []
    try:
        async with running(dr_profile(), ctx.seed) as net:
            assert net.router is not None and net.handsets is not None
            handsets, mmsc = net.handsets, net.mmscs["A"]
            for _ in range(pairs):
                if ctx.remaining() < 3:
                    break
                for target, into in ((net.router.url, via), (mmsc.url, direct)):
                    n = len(via) + len(direct)
                    sent = await handsets.submit(
                        Order(f"lat-{n:06d}", f"lat-{n:06d}", "+8613800000001"), target=target
                    )
                    if not sent.ok:
                        return Result.error(f"a submission failed: {sent.why}")
                    into.append(sent.elapsed_ms)
    except ToolMissing as err:
        return Result.error(str(err))
    added = [v - d for v, d in zip(via, direct, strict=True)]
    p50_via, p50_direct = statistics.median(via), statistics.median(direct)
    return Result(
        figure=round(p50_via, 3),
        baseline=round(p50_direct, 3),
        note=(
            f"added p50 {p50_via - p50_direct:.2f} ms, p99 "
            f"{percentile(via, 99) - percentile(direct, 99):.2f} ms over {len(via)} pairs"
        ),
        details={
            "pairs": len(via),
            "via_router_ms": {"p50": p50_via, "p99": percentile(via, 99)},
            "direct_ms": {"p50": p50_direct, "p99": percentile(direct, 99)},
            "added_ms": {
                "p50": round(p50_via - p50_direct, 3),
                "p99": round((percentile(via, 99) or 0) - (percentile(direct, 99) or 0), 3),
                "pairwise_p50": round(statistics.median(added), 3),
            },
        },
    )
