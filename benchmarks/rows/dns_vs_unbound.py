"""DNS selector vs a real server: dnsperf's queries/s against the selector and against unbound.

Both servers answer the same fixed A record; dnsperf (C, its own core)
drives each for the same time with the same number of queries in flight.
The baseline is unbound (one thread) serving the record from a static
local zone. The issue asks only that the ratio be reported: it says how far
a Python selector is from a production resolver on the same machine.

The selector is the DNS selector row's (``dns_selector.SELECTOR_FACTORY``:
the reference, with three gateways, answering the gateway name). As a
reference point the row also drives the bare asyncio + dnslib responder (the
DNS selector row's baseline) under the same dnsperf load: the ceiling a
selector built on dnslib can reach.
"""

from __future__ import annotations

from benchmarks.baselines.dns_responder import DEFAULT_FACTORY, FIXED_NAME, ResponderProcess
from benchmarks.baselines.unbound_zone import UnboundZone
from benchmarks.dnsperf import DnsperfRun, run_dnsperf
from benchmarks.registry import Context, Result, benchmark
from benchmarks.rows import dns_selector
from benchmarks.tools import ToolMissing

FULL_S, QUICK_S = 4, 1  # dnsperf -l, per server
OUTSTANDING = 64


async def _dnsperf_responder(factory: str, qname: str, seconds: float) -> DnsperfRun:
    """dnsperf against a ``ResponderProcess`` running ``factory``."""
    async with ResponderProcess(max_s=seconds * 4 + 30, factory=factory) as server:
        return await run_dnsperf(server.address, qname, seconds=seconds, outstanding=OUTSTANDING)


@benchmark(
    name="dns-vs-unbound",
    title="DNS selector vs a real server",
    unit="q/s",
    baseline="dnsperf against unbound serving a static zone",
    target=None,
    budget_s=20,
    order=11,
)
async def dns_vs_unbound(ctx: Context) -> Result:
    seconds = QUICK_S if ctx.quick else FULL_S
    details: dict[str, object] = {"outstanding": OUTSTANDING, "seconds_per_server": seconds}
    try:
        ctx.log(f"dnsperf -> unbound (static zone), {seconds} s")
        async with UnboundZone() as unbound:
            real = await run_dnsperf(
                unbound.address, FIXED_NAME, seconds=seconds, outstanding=OUTSTANDING
            )
        details["unbound"] = real.summary()
        ctx.log(f"dnsperf -> bare dnslib responder, {seconds} s")
        python = await _dnsperf_responder(DEFAULT_FACTORY, FIXED_NAME, seconds)
        details["bare_dnslib"] = python.summary()
    except ToolMissing as missing:
        return Result.error(str(missing), details)
    if real.completed == 0:
        return Result.error("unbound answered nothing", details)
    bare_ratio = python.qps / real.qps
    details["bare_dnslib_over_unbound"] = round(bare_ratio, 4)
    base_text = (
        f"unbound {real.qps:,.0f} q/s (avg {real.avg_latency_ms:.2f} ms, {real.lost} lost); "
        f"bare dnslib responder {python.qps:,.0f} q/s = {bare_ratio:.3f}× unbound"
    )
    if dns_selector.SELECTOR_FACTORY is None:
        return Result.pending(
            f"selector not built; {base_text}", baseline=real.qps, details=details
        )
    ctx.log(f"dnsperf -> selector, {seconds} s")
    sel = await _dnsperf_responder(
        dns_selector.SELECTOR_FACTORY, dns_selector.SELECTOR_QNAME, seconds
    )
    details["selector"] = sel.summary()
    return Result(figure=sel.qps, baseline=real.qps, note=base_text, details=details)
