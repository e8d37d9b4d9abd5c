"""Store-and-forward: what an emulator took over and must pass on, held until it is.

A gateway that accepted a delivery report, an MMSC whose report no server
took yet, an MM4 relay's queue: each holds items, retries them with
backoff, retries at once when told a peer came back (``kick``), gives up
after the expiry and keeps what it gave up as dead letters, counted, never
silently dropped. At any moment ``accepted == delivered + held +
dead_lettered``: nothing accepted goes missing.

Waiting is on an event with a timeout (a kick wakes every waiter early),
never a bare sleep. Timers are milliseconds; the expiry counts from ``hold``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, TypeVar

from mmsconf.emulators.service import Service

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff from ``initial_ms``, doubling up to ``max_ms``; dead-lettered after ``expiry_ms``."""

    initial_ms: int
    max_ms: int
    expiry_ms: int

    def __post_init__(self) -> None:
        for name in ("initial_ms", "max_ms", "expiry_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"RetryPolicy.{name} must be a positive integer, not {value!r}")


class Attempt(Enum):
    """What one delivery attempt came to."""

    DELIVERED = "delivered"  # passed on: no longer held
    REFUSED = "refused"  # the peer said no for good: dead-lettered now
    AGAIN = "again"  # not now (down, timeout, temporary error): retried later


@dataclass(eq=False)
class Held(Generic[T]):
    """One item held for delivery, and what became of its attempts."""

    id: int
    item: T
    destination: str
    accepted_at: float  # time.monotonic() of hold()
    attempts: int = 0
    last_error: str | None = None
    _settled: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def settled(self) -> bool:
        """Delivered or dead-lettered: nothing more will be tried."""
        return self._settled.is_set()

    async def wait_settled(self) -> None:
        """Until it is delivered or dead-lettered (one of them happens by the expiry)."""
        await self._settled.wait()


@dataclass(frozen=True)
class Counters:
    accepted: int
    delivered: int
    held: int
    dead_lettered: int

    @property
    def balanced(self) -> bool:
        return self.accepted == self.delivered + self.held + self.dead_lettered


#: Tries to pass one held item on: (what came of it, what went wrong or None).
Deliver = Callable[[Held[T]], Awaitable[tuple[Attempt, str | None]]]


class StoreAndForward(Generic[T]):
    """Holds items for ``service``, each retried by a task the service owns.

    The service's event log gets ``delivered`` (id, destination, store) and
    ``dead_letter`` (id, destination, why, store) as items settle.
    ``on_dead_letter`` lets the owner count dead letters its own way.
    """

    def __init__(
        self,
        service: Service,
        policy: RetryPolicy,
        deliver: Deliver[T],
        name: str,
        *,
        on_dead_letter: Callable[[Held[T], str], None] | None = None,
    ) -> None:
        self.service = service
        self.policy = policy
        self.deliver = deliver
        self.name = name
        self.on_dead_letter = on_dead_letter
        self.held: dict[int, Held[T]] = {}
        self.dead_letters: list[Held[T]] = []
        self._ids = itertools.count(1)
        self._accepted = 0
        self._delivered = 0
        # Replaced on each kick: waiters hold the old one, which stays set, so all wake.
        # The generation tells an item that was mid-attempt during a kick to go again at once.
        self._kicked = asyncio.Event()
        self._generation = 0

    @property
    def counters(self) -> Counters:
        return Counters(self._accepted, self._delivered, len(self.held), len(self.dead_letters))

    def hold(self, item: T, destination: str, *, tried: str | None = None) -> Held[T]:
        """Take ``item`` over. ``tried``: the error of an attempt the caller already made,
        so the first retry waits for the backoff instead of going at once."""
        held = Held(next(self._ids), item, destination, time.monotonic())
        if tried is not None:
            held.attempts, held.last_error = 1, tried
        self._accepted += 1
        self.held[held.id] = held
        self.service.spawn(self._run(held, wait_first=tried is not None))
        return held

    def kick(self) -> None:
        """A peer came back: every held item is tried again now, not after its backoff."""
        self._generation += 1
        self._kicked.set()
        self._kicked = asyncio.Event()

    async def _run(self, held: Held[T], wait_first: bool) -> None:
        delay_ms = self.policy.initial_ms
        generation = self._generation
        task = asyncio.current_task()
        while True:
            if task is not None and task.cancelling():
                # stop() cancelled us, but something below swallowed it (on 3.11 a cancel
                # racing a wait_for timeout comes out as TimeoutError: in _backoff, in
                # aiosmtplib's connect): without this the item retried until its expiry,
                # and a relay's stop() waited up to the expiry (15 s for the prior art).
                raise asyncio.CancelledError
            if wait_first:
                remaining = self.policy.expiry_ms / 1000 - (time.monotonic() - held.accepted_at)
                if remaining <= 0:
                    self._dead_letter(held, "expired")
                    return
                if generation == self._generation:  # no kick since the last attempt began
                    await self._backoff(min(delay_ms / 1000, remaining))
                delay_ms = min(delay_ms * 2, self.policy.max_ms)
            wait_first = True
            generation = self._generation
            held.attempts += 1
            try:
                attempt, error = await self.deliver(held)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # an owner's bug must not lose the item
                attempt, error = Attempt.AGAIN, f"delivery failed: {err!r}"
            if attempt is Attempt.DELIVERED:
                self.held.pop(held.id, None)
                self._delivered += 1
                held._settled.set()
                self.service.events.emit(
                    "delivered", id=held.id, destination=held.destination, store=self.name
                )
                return
            held.last_error = error
            if attempt is Attempt.REFUSED:
                self._dead_letter(held, f"refused ({error})" if error else "refused")
                return

    async def _backoff(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._kicked.wait(), seconds)

    def _dead_letter(self, held: Held[T], why: str) -> None:
        self.held.pop(held.id, None)
        held.last_error = f"{why}; last error: {held.last_error}"
        self.dead_letters.append(held)
        held._settled.set()
        if self.on_dead_letter is not None:
            self.on_dead_letter(held, why)
        self.service.events.emit(
            "dead_letter", id=held.id, destination=held.destination, why=why, store=self.name
        )
