"""Bearer choice: attempts per push, and push latency against a direct WDP send.

**Attempts per push.** The same 200 pushes (the mixed-state scenario's plan:
benchmarks/bc.py) through the reference gateway and through the prior art, one after
the other in this run; attempts are counted at the handsets (every SIP MESSAGE and WDP
datagram that reached a client, taken or refused), after each push's last result
notification. The reference makes exactly 1.0; the prior art more, because a PI that
prefers SIP for a client that cannot take it is refused and tries again.

**Push latency.** PAP in to handset receipt: from just before the PI sends its
push-message to the handset's receipt of the push (SIP MESSAGE or WDP datagram, its
arrival time), over the same plan through the reference, one push at a time; against a
direct WDP send in the same run (the PI's address sends the same WSP push PDU straight to
a handset's 2948, one at a time). Median and p99 of each. The gap is the gateway's work:
PAP parsing, the presence query (an HTTP exchange), the choice, and the SIP
transaction when the bearer is SIP.
"""

from __future__ import annotations

import time

from benchmarks import bc
from benchmarks.load import percentile
from benchmarks.registry import Context, Result, Target, benchmark
from mmsconf.emulators import push_content
from mmsconf.emulators.codecs import wsp_push
from mmsconf.emulators.push_refs import PushRef
from mmsconf.emulators.transports.udp import UdpClient

FULL, QUICK = 200, 30
IN_FLIGHT = 20


async def _attempts(ctx: Context, gateway: str, count: int, tag: str) -> dict[str, float]:
    async with bc.running(gateway, ctx.seed, tag) as net:
        started = time.monotonic()
        groups = await bc.push_all(net, tag, count, IN_FLIGHT, max(10.0, ctx.remaining() / 2))
        per = [len(net.attempts(g)) for g in groups]
        return {
            "pushes": len(per),
            "attempts": sum(per),
            "attempts_per_push": sum(per) / len(per),
            "pushes_over_one": sum(1 for n in per if n > 1),
            "pushes_with_none": sum(1 for n in per if n == 0),
            "elapsed_s": round(time.monotonic() - started, 3),
        }


@benchmark(
    name="bc-attempts",
    title="Bearer choice: attempts per push",
    unit="attempts/push",
    baseline="the prior art (the PI's bearer as given; the PI retries), same 200 pushes",
    target=Target("<=", 1.0, on="figure"),
    budget_s=40,
    order=60,
)
async def attempts(ctx: Context) -> Result:
    count = QUICK if ctx.quick else FULL
    ref = await _attempts(ctx, "reference", count, "bench001")
    base = await _attempts(ctx, "baseline-fixed-bearer", count, "bench002")
    ctx.log(f"reference {ref['attempts_per_push']:.3f}, prior art {base['attempts_per_push']:.3f}")
    return Result(
        figure=ref["attempts_per_push"],
        baseline=base["attempts_per_push"],
        note=(
            f"{count} pushes each: reference {ref['attempts']} attempts, prior art "
            f"{base['attempts']} ({base['pushes_over_one']} pushes tried more than once)"
        ),
        details={"reference": ref, "baseline": base},
    )


def _ms(values: list[float], p: float) -> float | None:
    got = percentile(values, p)
    return None if got is None else round(got, 3)


@benchmark(
    name="bc-latency",
    title="Bearer choice: push latency, PAP in to handset receipt",
    unit="ms p50",
    baseline="a direct WDP send of the same push PDU to the handset, same run",
    target=None,
    budget_s=40,
    order=61,
)
async def latency(ctx: Context) -> Result:
    count = QUICK if ctx.quick else FULL
    tag = "bench003"
    async with bc.running("reference", ctx.seed, tag) as net:
        # One push at a time, as the direct sends below: latency, not queueing.
        await bc.push_all(net, tag, count, 1, max(10.0, ctx.remaining() / 2))
        sent = {s.ref.group: s.at for s in net.pi.sent}
        pushed = [
            (a.at - sent[a.ref.group]) * 1000
            for a in net.attempts()
            if a.ref is not None and a.ref.group in sent
        ]
        # The same PDUs straight to a handset's WDP port, one at a time, from the PI's address.
        direct: list[float] = []
        client = UdpClient(net.pi, net.trace, "WSP", timeout_ms=50)
        handset = net.handsets[0]
        try:
            for k in range(count):
                ref = PushRef("bench004", k + 1)
                media, body = push_content.for_the_air(push_content.mms_notification(ref))
                pdu = wsp_push.encode(wsp_push.PushPdu(k % 256, media, body, push_content.MMS_UA))
                before = len(handset.attempts)
                at = time.time()
                await client.send(handset.wdp_address, pdu)
                await handset.events.wait_for(
                    lambda _log, n=before: len(handset.attempts) > n, 2000, "the direct push"
                )
                direct.append((handset.attempts[-1].at - at) * 1000)
        finally:
            await client.stop()
    figure, base = _ms(pushed, 50), _ms(direct, 50)
    details = {
        "pushes": len(pushed),
        "pap_to_receipt_p50_ms": figure,
        "pap_to_receipt_p99_ms": _ms(pushed, 99),
        "direct_wdp_p50_ms": base,
        "direct_wdp_p99_ms": _ms(direct, 99),
    }
    ctx.log(str(details))
    return Result(
        figure=figure,
        baseline=base,
        note=(
            f"PAP in to receipt p50 {figure} ms, p99 {details['pap_to_receipt_p99_ms']} ms; "
            f"direct WDP p50 {base} ms, p99 {details['direct_wdp_p99_ms']} ms"
        ),
        details=details,
    )
