"""DNS selector: queries/s (and p99 latency) against a bare asyncio + dnslib responder.

The figure is the reference DNS selector (emulators/dns_selector.py) as
``mmsconf emulate dns-selector`` runs it: its UDP part, its TraceRecorder,
heartbeats every 200 ms to three status-serving gateways in the same process,
answering the gateway name (A, with the chosen gateway's URI record as
additional data) from the ranking (``benchmarks.gs:selector_server``). The
baseline is a bare asyncio DatagramProtocol answering one fixed A record
with dnslib. Each runs in its own process (``ResponderProcess``), one after
the other; the load generator (closed loop, ``WINDOW`` queries in flight,
answers matched by ID) runs in this one. Target: the selector's queries/s
at least 0.8× the baseline's.
"""

from __future__ import annotations

from benchmarks.baselines.dns_responder import DEFAULT_FACTORY, FIXED_NAME, ResponderProcess
from benchmarks.dns_load import measure_dns
from benchmarks.load import LoadRun
from benchmarks.registry import Context, Result, Target, benchmark

#: "module:callable" starting the selector (a coroutine function: a whole server).
SELECTOR_FACTORY: str | None = "benchmarks.gs:selector_server"
#: The name it answers with a gateway (benchmarks/gs.py: its default zone).
SELECTOR_QNAME = "mmsg.operator.example."
WINDOW = 64
FULL_S, QUICK_S = 4.0, 1.0  # measured seconds per server
WARMUP_S = 0.3


async def _measure(factory: str | None, qname: str, seconds: float) -> tuple[LoadRun, dict]:
    async with ResponderProcess(
        max_s=seconds * 4 + 30, factory=factory or DEFAULT_FACTORY
    ) as server:
        await measure_dns(server.address, qname, window=WINDOW, time_s=WARMUP_S)
        run, extra = await measure_dns(server.address, qname, window=WINDOW, time_s=seconds)
    extra["server_answered"] = server.answered
    return run, extra


def _summary(run: LoadRun, extra: dict) -> dict:
    return {**run.summary(), **extra}


@benchmark(
    name="dns-selector",
    title="DNS selector",
    unit="q/s",
    baseline="bare asyncio + dnslib responder, one fixed record",
    target=Target(">=", 0.8, on="ratio"),
    budget_s=20,
    order=10,
)
async def dns_selector(ctx: Context) -> Result:
    seconds = QUICK_S if ctx.quick else FULL_S
    ctx.log(f"baseline responder: {seconds:g} s, {WINDOW} queries in flight")
    base, base_extra = await _measure(None, FIXED_NAME, seconds)
    details = {"window": WINDOW, "baseline": _summary(base, base_extra)}
    if base.completed == 0:
        return Result.error(f"the baseline answered nothing ({base.first_error})", details)
    p99 = base.p(99)
    base_text = f"baseline {base.rate:,.0f} q/s, p50 {base.p(50):.2f} ms, p99 {p99:.2f} ms"
    if SELECTOR_FACTORY is None:
        return Result.pending(
            f"selector not built; {base_text}", baseline=base.rate, details=details
        )
    ctx.log("selector")
    sel, sel_extra = await _measure(SELECTOR_FACTORY, SELECTOR_QNAME, seconds)
    details["selector"] = _summary(sel, sel_extra)
    sel_p99 = sel.p(99)
    note = f"selector p99 {sel_p99 and round(sel_p99, 2)} ms; {base_text}"
    return Result(figure=sel.rate, baseline=base.rate, note=note, details=details)
