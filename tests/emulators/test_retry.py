"""Store-and-forward on its own: backoff, kick, expiry, dead letters, and the invariant.

The deliver functions here are scripted (no sockets): what is under test is
the bookkeeping, which must hold whatever a peer does. The MMSG and MMSC
tests cover the same store over real sockets.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter

import pytest

from mmsconf.emulators.retry import Attempt, Held, RetryPolicy, StoreAndForward
from mmsconf.emulators.service import Service

SEED = int(os.environ.get("MMSCONF_RETRY_SEED", "20240"))
WAIT_MS = 5000


def fast(expiry_ms: int = 5000) -> RetryPolicy:
    return RetryPolicy(initial_ms=5, max_ms=20, expiry_ms=expiry_ms)


async def started() -> Service:
    service = Service("STORE", "127.0.0.1")
    await service.start()  # no parts: nothing to bind
    return service


def test_policy_refuses_nonsense() -> None:
    for bad in ({"initial_ms": 0}, {"max_ms": -1}, {"expiry_ms": True}):
        args = {"initial_ms": 5, "max_ms": 20, "expiry_ms": 100, **bad}
        with pytest.raises(ValueError, match="positive integer"):
            RetryPolicy(**args)


def test_delivered_after_retries_counts_every_attempt() -> None:
    async def main() -> None:
        service = await started()
        script = iter([(Attempt.AGAIN, "down"), (Attempt.AGAIN, "down"), (Attempt.DELIVERED, None)])

        async def deliver(held: Held[str]) -> tuple[Attempt, str | None]:
            return next(script)

        store: StoreAndForward[str] = StoreAndForward(service, fast(), deliver, "t")
        held = store.hold("item", "peer")
        await asyncio.wait_for(held.wait_settled(), WAIT_MS / 1000)
        assert held.attempts == 3 and held.settled
        assert store.held == {} and store.dead_letters == []
        assert store.counters.accepted == store.counters.delivered == 1
        assert store.counters.balanced
        (event,) = service.events.of("delivered")
        assert (event["id"], event["destination"], event["store"]) == (held.id, "peer", "t")
        await service.stop()

    asyncio.run(main())


def test_refused_is_dead_lettered_at_once() -> None:
    async def main() -> None:
        service = await started()
        dead: list[str] = []

        async def deliver(held: Held[str]) -> tuple[Attempt, str | None]:
            return Attempt.REFUSED, "MM7 status 2005"

        store: StoreAndForward[str] = StoreAndForward(
            service, fast(), deliver, "t", on_dead_letter=lambda h, why: dead.append(why)
        )
        held = store.hold("item", "peer")
        await asyncio.wait_for(held.wait_settled(), WAIT_MS / 1000)
        assert held.attempts == 1
        assert store.dead_letters == [held] and store.held == {}
        assert held.last_error == "refused (MM7 status 2005); last error: MM7 status 2005"
        assert dead == ["refused (MM7 status 2005)"]
        assert store.counters == type(store.counters)(1, 0, 0, 1)
        await service.stop()

    asyncio.run(main())


def test_expiry_dead_letters_no_sooner_than_the_policy_says() -> None:
    async def main() -> None:
        service = await started()

        async def deliver(held: Held[str]) -> tuple[Attempt, str | None]:
            return Attempt.AGAIN, "unreachable"

        store: StoreAndForward[str] = StoreAndForward(service, fast(expiry_ms=150), deliver, "t")
        held = store.hold("item", "peer")
        await asyncio.wait_for(held.wait_settled(), WAIT_MS / 1000)
        assert time.monotonic() - held.accepted_at >= 0.15
        assert held.last_error == "expired; last error: unreachable"
        assert held.attempts >= 3  # backoff 5, 10, 20, 20 ... ms within 150 ms
        assert store.counters.dead_lettered == 1 and store.counters.balanced
        (event,) = service.events.of("dead_letter")
        assert event["why"] == "expired"
        await service.stop()

    asyncio.run(main())


def test_a_caller_that_already_tried_waits_for_the_backoff_first() -> None:
    async def main() -> None:
        service = await started()
        calls: list[float] = []

        async def deliver(held: Held[str]) -> tuple[Attempt, str | None]:
            calls.append(time.monotonic())
            return Attempt.DELIVERED, None

        policy = RetryPolicy(initial_ms=100, max_ms=100, expiry_ms=5000)
        store: StoreAndForward[str] = StoreAndForward(service, policy, deliver, "t")
        held = store.hold("item", "peer", tried="timeout")
        assert held.attempts == 1 and held.last_error == "timeout"
        await asyncio.wait_for(held.wait_settled(), WAIT_MS / 1000)
        assert held.attempts == 2 and calls[0] - held.accepted_at >= 0.1
        await service.stop()

    asyncio.run(main())


def test_kick_retries_waiting_items_now_and_one_mid_attempt_right_after() -> None:
    async def main() -> None:
        service = await started()
        up = False
        in_attempt = asyncio.Event()
        release = asyncio.Event()

        async def deliver(held: Held[str]) -> tuple[Attempt, str | None]:
            service.events.emit("attempt", item=held.item)
            if held.item == "slow" and held.attempts == 1:
                in_attempt.set()
                await release.wait()  # still trying when the kick comes, and it fails
                return Attempt.AGAIN, "timeout"
            return (Attempt.DELIVERED, None) if up else (Attempt.AGAIN, "down")

        # A backoff of a minute: only a kick can bring these back within the test.
        policy = RetryPolicy(initial_ms=60_000, max_ms=60_000, expiry_ms=600_000)
        store: StoreAndForward[str] = StoreAndForward(service, policy, deliver, "t")
        waiting = store.hold("waiting", "peer")
        slow = store.hold("slow", "peer")
        await asyncio.wait_for(in_attempt.wait(), WAIT_MS / 1000)
        await service.events.wait_for(lambda _: waiting.attempts == 1, WAIT_MS, "first try")
        started_at = time.monotonic()
        up = True
        store.kick()
        release.set()
        await asyncio.wait_for(
            asyncio.gather(waiting.wait_settled(), slow.wait_settled()), WAIT_MS / 1000
        )
        assert time.monotonic() - started_at < 5
        assert (waiting.attempts, slow.attempts) == (2, 2)
        assert store.counters.delivered == 2 and store.counters.balanced
        await service.stop()

    asyncio.run(main())


def test_stop_keeps_what_is_held_and_the_books_balance() -> None:
    async def main() -> None:
        service = await started()

        async def deliver(held: Held[int]) -> tuple[Attempt, str | None]:
            service.events.emit("attempt", item=held.item)
            return Attempt.AGAIN, "down"

        store: StoreAndForward[int] = StoreAndForward(service, fast(), deliver, "t")
        items = [store.hold(n, "peer") for n in range(5)]
        await service.events.wait_for(
            lambda _: all(h.attempts >= 2 for h in items), WAIT_MS, "second tries"
        )
        await service.stop()
        assert len(store.held) == 5 and store.counters.balanced
        assert not any(h.settled for h in items)

    asyncio.run(main())


def test_the_books_balance_at_every_step_under_random_faults() -> None:
    """300 items; peers that time out, refuse, crash the deliverer, come and go; random kicks.

    At every attempt and every settling event, accepted == delivered + held
    + dead_lettered; at the end nothing is held, each item settled once,
    and what was delivered is exactly what a peer accepted.
    """
    print(f"\nseed {SEED} (override: MMSCONF_RETRY_SEED)")
    rng = random.Random(SEED)

    async def main() -> None:
        service = await started()
        accepted_by_peer: Counter[int] = Counter()
        problems: list[str] = []
        down = {"a": False, "b": False}
        store: StoreAndForward[int]

        def check(where: str) -> None:
            c = store.counters
            if not c.balanced:
                problems.append(f"{where}: {c}")

        async def deliver(held: Held[int]) -> tuple[Attempt, str | None]:
            check(f"attempt {held.id}")
            roll = rng.random()
            if roll < 0.05:
                raise RuntimeError("the deliverer itself failed")
            if down[held.destination] or roll < 0.35:
                await asyncio.sleep(0)  # others run meanwhile, as during a real timeout
                return Attempt.AGAIN, "timeout"
            if roll < 0.40:
                return Attempt.REFUSED, "MM7 status 2005"
            accepted_by_peer[held.item] += 1
            return Attempt.DELIVERED, None

        store = StoreAndForward(service, RetryPolicy(1, 8, 400), deliver, "faults")
        items = []
        for n in range(300):
            items.append(store.hold(n, rng.choice("ab"), tried="first" if n % 3 == 0 else None))
            if n % 50 == 0:
                peer = rng.choice("ab")
                down[peer] = not down[peer]
            if n % 17 == 0:
                store.kick()
            if n % 10 == 0:
                await asyncio.sleep(0)  # let the deliverers run between arrivals
            check(f"after hold {n}")
        down.update(a=False, b=False)
        store.kick()

        def settled_and_balanced(_log: object) -> bool:
            check("event")
            return not store.held

        await service.events.wait_for(settled_and_balanced, WAIT_MS * 4, "everything settled")
        c = store.counters
        assert problems == [], problems[:5]
        assert c.accepted == 300 and c.held == 0 and c.balanced, c
        assert all(h.settled for h in items)
        assert c.delivered == sum(accepted_by_peer.values()) == len(accepted_by_peer)
        dead = {h.item for h in store.dead_letters}
        assert len(dead) == c.dead_lettered and not dead & set(accepted_by_peer)
        assert dead | set(accepted_by_peer) == set(range(300))
        settled = [e["id"] for e in service.events.all() if e.kind in ("delivered", "dead_letter")]
        assert sorted(settled) == sorted(h.id for h in items)  # each once
        print(f"  {c}")
        await service.stop()

    asyncio.run(main())
