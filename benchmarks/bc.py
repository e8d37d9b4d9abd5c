"""What the bearer-choice rows share: a started network, client states, the push plan.

The network is the conformance suite's own (``BearerChoiceNet`` from the shipped
profiles), started in the row's event loop with tracing off. The push plan is the
mixed-state scenario's: handset ``k % n`` in state ``STATES[k % 3]`` (registered for
SIP push, not registered, registered without the push feature tag), preferring no
bearer, SIP and GPRS in turn - every push deliverable, so the reference makes exactly
one attempt per push.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from benchmarks.rr import NullTraceRecorder
from mmsconf.emulators.push_refs import PushRef
from mmsconf.fixtures.areas.bearer_choice.network import BearerChoiceNet
from mmsconf.fixtures.areas.bearer_choice.profile import BearerChoiceSection
from mmsconf.fixtures.profile import load_profile

STATES = (
    "registered for SIP push",
    "not registered for SIP push",
    "registered without the push feature tag",
)
PREFERENCES: tuple[str | None, ...] = (None, "SIP", "GPRS")


def profile(gateway: str = "reference") -> BearerChoiceSection:
    section: BearerChoiceSection = load_profile().section("bearer_choice")
    section.gateway = gateway
    return section


@asynccontextmanager
async def running(gateway: str, seed: int, tag: str) -> AsyncIterator[BearerChoiceNet]:
    """The network with ``gateway`` embedded, one scope ``tag`` open, clients in STATES."""
    net = BearerChoiceNet(profile(gateway), NullTraceRecorder(), seed)
    await net.start()
    try:
        net.open_scope(tag, tag, tag, 1)
        for index in range(len(net.handsets)):
            t = await net.set_client_state(index, STATES[index % len(STATES)])
            if t is not None and t.status != 200:
                raise RuntimeError(f"REGISTER of handset {index + 1}: {t.status or t.error}")
        yield net
    finally:
        await net.close_scope()
        await net.stop()


def plan(net: BearerChoiceNet, k: int) -> tuple[str, str | None]:
    """Push ``k``'s client and preferred bearer."""
    n = len(net.handsets)
    return net.client_of(net.handsets[k % n]), PREFERENCES[(k // n) % len(PREFERENCES)]


async def push_all(
    net: BearerChoiceNet, tag: str, count: int, in_flight: int, timeout_s: float
) -> list[str]:
    """``count`` pushes by the plan; returns the groups once each has settled (its last
    result notification in), or raises after ``timeout_s``."""
    gate = asyncio.Semaphore(in_flight)
    pi = net.pi

    async def one(k: int) -> str:
        client, preferred = plan(net, k)
        ref = PushRef(tag, k + 1)
        async with gate:
            sent = await pi.push(ref, client, bearer=preferred)
        if sent.code != 1001:
            raise RuntimeError(f"push {ref.text}: {sent.problem or sent.code}")
        return ref.group

    groups = await asyncio.gather(*(one(k) for k in range(count)))
    await pi.events.wait_for(
        lambda _log: all(pi.settled(g) for g in groups), int(timeout_s * 1000), "settled"
    )
    return list(groups)
