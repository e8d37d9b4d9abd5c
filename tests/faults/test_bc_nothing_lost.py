"""Bearer choice under each fault knob: no push is lost without a word, none pushed twice.

60 pushes (the mixed-state plan) while one knob is turned: the presence server down or
answering 503 or slow, handsets offline, their SIP or UDP down, the PI's notification
endpoint slow. Afterwards every push accepted by the reference gateway has exactly one
result notification per try, its outcome matches the attempts the handsets counted
(delivered: one attempt, taken - or for WAP push, which is unconfirmed, at least sent;
undeliverable: none, or one that was refused), and no push has more than one attempt
per try.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from mmsconf.emulators.handset import Handset
from mmsconf.emulators.push_refs import PushRef
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.areas.bearer_choice.network import BearerChoiceNet
from mmsconf.fixtures.profile import load_profile

PUSHES = 60
TAG = "fault001"
STATES = (
    "registered for SIP push",
    "not registered for SIP push",
    "registered without the push feature tag",
)


def _knob(kind: str, net: BearerChoiceNet) -> Callable[[], Any]:
    handsets: list[Handset] = net.handsets

    async def presence_down() -> None:
        await net.presence.go_down()

    def every(attr: str) -> Callable[[], None]:
        def turn() -> None:
            for h in handsets[::2]:
                setattr(h.knobs, attr, True)

        return turn

    def set_faults(obj: Any, **values: Any) -> Callable[[], None]:
        def turn() -> None:
            for k, v in values.items():
                setattr(obj.faults, k, v)

        return turn

    return {
        "presence down": presence_down,
        "presence answers 503": set_faults(net.presence, status=503),
        "presence slow (200 ms)": set_faults(net.presence, slow_ms=200),
        "half the handsets offline": every("offline"),
        "half the handsets' SIP down": every("sip_down"),
        "half the handsets' UDP down": every("udp_down"),
        "the PI slow to answer notifications": set_faults(net.pi, slow_ms=150),
    }[kind]


KINDS = [
    "presence down",
    "presence answers 503",
    "presence slow (200 ms)",
    "half the handsets offline",
    "half the handsets' SIP down",
    "half the handsets' UDP down",
    "the PI slow to answer notifications",
]


@pytest.mark.parametrize("kind", KINDS)
def test_every_push_is_accounted_for(kind: str) -> None:
    async def main() -> None:
        section = load_profile().section("bearer_choice")
        section.pixit.update({"sip_timeout_ms": 600, "presence_timeout_ms": 300})
        net = BearerChoiceNet(section, TraceRecorder(), 5)
        await net.start()
        try:
            net.open_scope(TAG, kind, kind, 1)
            for i in range(len(net.handsets)):
                await net.set_client_state(i, STATES[i % 3])
            turn = _knob(kind, net)
            result = turn()
            if asyncio.iscoroutine(result):
                await result
            pi, n = net.pi, len(net.handsets)
            gate = asyncio.Semaphore(10)

            async def one(k: int) -> str:
                ref = PushRef(TAG, k + 1)
                client = net.client_of(net.handsets[k % n])
                async with gate:
                    sent = await pi.push(ref, client, bearer=(None, "SIP", "GPRS")[(k // n) % 3])
                assert sent.code == 1001, sent.problem
                return ref.group

            groups = await asyncio.gather(*(one(k) for k in range(PUSHES)))
            await pi.events.wait_for(
                lambda _l: all(pi.settled(g) for g in groups), 30_000, "every push settled"
            )
            for group in groups:
                tries = pi.sent_for(group)
                notes = pi.notifications_for(group)
                assert len(notes) == len(tries), (group, len(tries), len(notes))
                attempts = net.attempts(group)
                by_try: dict[int, list] = {}
                for a in attempts:
                    by_try.setdefault(a.ref.retry, []).append(a)
                assert all(len(v) == 1 for v in by_try.values()), (group, attempts)
                for note in notes:
                    mine = by_try.get(note.ref.retry, [])
                    if note.message.message_state == "delivered":
                        # WAP push is unconfirmed: a datagram the handset refused still left.
                        assert len(mine) == 1, (group, note, mine)
                        assert mine[0].accepted or mine[0].bearer == "UDP", (group, note, mine)
                    else:
                        assert all(not a.accepted for a in mine), (group, note, mine)
        finally:
            await net.close_scope()
            await net.stop()

    asyncio.run(main())
