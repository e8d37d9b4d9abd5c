"""Choosing a gateway: the selector's table of gateways and its ranking. No I/O.

What heartbeats tell is kept here (``heard``, ``missed``, ``faulted``) and
turned into a ranking once, when it changes; a query then costs a look at
the top of a heap (``choose``), the same with 1,000 gateways as with 3.

Candidates: gateways whose last heartbeat was answered with a valid status,
that are not overloaded, not full (traffic below max_traffic, counting the
answers still on their way; throughput below max_throughput), and that have
not missed ``missed_limit`` heartbeats in a row. A faulty answer (an HTTP
error, a document that does not parse) or "overloaded" takes a gateway out at
once; a valid answer brings it back.

Ranking (US 2012/0198054 claims 4-5): by the first criterion — ``delay``
(shortest), ``residual_traffic`` (largest max - current), or
``residual_throughput`` (largest max - current) — then the second, then the
third. Two values are *equal* on a criterion when they fall in the same step
of its tolerance: ``floor(value / tolerance)`` (tolerance 0: exactly equal).
The final tie-break is the gateway's name, in ascending order.

Answers on their way: each answer naming a gateway counts as one more
message of traffic for it until the gateway's ``accepted`` counter shows it
arrived (or, without that counter, until its next heartbeat), and answers
older than ``inflight_ms`` are forgotten (a client that asked and never
sent). So a stream of queries between two heartbeats cannot fill a gateway
past its maximum.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from mmsconf.emulators.codecs.gateway_status import Criterion, GatewayStatus, SelectionSettings


class State(StrEnum):
    PROBING = "probing"  # known, no valid answer yet
    IN = "in"
    OUT = "out"


@dataclass
class Gateway:
    """One gateway as the selector knows it."""

    name: str
    address: str
    mm7_url: str
    status_url: str
    status: GatewayStatus | None = None
    state: State = State.PROBING
    why: str = "not heard from yet"
    misses: int = 0
    version: int = 0  # bumped on every change: heap entries of older versions are stale
    #: Monotonic times of answers naming it that the gateway has not yet shown it received.
    on_the_way: deque[float] = field(default_factory=deque)
    accepted: int | None = None  # the last ``accepted`` counter it reported
    answered: int = 0  # answers that named it, all time
    #: Encoded answers for it, by question (the selector's cache; cleared on any change).
    cache: dict = field(default_factory=dict)

    @property
    def traffic(self) -> int:
        """Reported traffic plus the answers still on their way."""
        base = self.status.traffic if self.status is not None else 0
        return base + len(self.on_the_way)

    @property
    def full(self) -> bool:
        s = self.status
        if s is None:
            return True
        return s.overloaded or self.traffic >= s.max_traffic or s.throughput >= s.max_throughput

    @property
    def candidate(self) -> bool:
        return self.state is State.IN and not self.full

    def value(self, criterion: Criterion) -> float:
        s = self.status
        assert s is not None
        if criterion is Criterion.DELAY:
            return s.delay_ms
        if criterion is Criterion.RESIDUAL_TRAFFIC:
            return s.max_traffic - self.traffic
        return s.residual_throughput


def _step(value: float, tolerance: float) -> float:
    return math.floor(value / tolerance) if tolerance > 0 else value


class GatewayTable:
    """The gateways, their health and the ranking the selector answers from.

    ``clock`` returns monotonic seconds (a test may pass its own).
    """

    def __init__(
        self,
        settings: SelectionSettings,
        *,
        missed_limit: int = 2,
        inflight_ms: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.missed_limit = missed_limit
        self.inflight_ms = inflight_ms
        self.clock = clock
        self.gateways: dict[str, Gateway] = {}
        #: Answers forgotten as never sent (older than inflight_ms), all gateways.
        self.forgotten = 0
        self._heap: list[tuple[tuple, int, str]] = []
        #: Called with (gateway, old state, new state) whenever a gateway goes in or out.
        self.on_change: Callable[[Gateway, State, State], None] | None = None

    # --- membership -------------------------------------------------------------------
    def add(self, name: str, address: str, mm7_url: str, status_url: str) -> Gateway:
        """Learn a gateway (again: its addresses are updated, its health kept)."""
        known = self.gateways.get(name)
        if known is not None:
            known.address, known.mm7_url, known.status_url = address, mm7_url, status_url
            self._changed(known)
            return known
        gateway = Gateway(name, address, mm7_url, status_url)
        self.gateways[name] = gateway
        return gateway

    def remove(self, name: str) -> bool:
        gateway = self.gateways.pop(name, None)
        if gateway is None:
            return False
        gateway.version += 1  # its heap entries are stale now
        return True

    def configure(self, settings: SelectionSettings) -> None:
        """New criteria or tolerances: the whole ranking is rebuilt (rare)."""
        self.settings = settings
        self._heap = []
        for gateway in self.gateways.values():
            self._changed(gateway)

    # --- what heartbeats tell ----------------------------------------------------------
    def heard(self, name: str, status: GatewayStatus) -> None:
        gateway = self.gateways.get(name)
        if gateway is None:
            return  # removed while the heartbeat was out
        self._settle_on_the_way(gateway, status)
        gateway.status = status
        gateway.misses = 0
        why = "overloaded" if status.overloaded else "answered"
        self._set_state(gateway, State.OUT if status.overloaded else State.IN, why)
        self._changed(gateway)

    def missed(self, name: str, why: str) -> None:
        """No answer in time: out after ``missed_limit`` in a row."""
        gateway = self.gateways.get(name)
        if gateway is None:
            return
        gateway.misses += 1
        if gateway.misses >= self.missed_limit:
            self._set_state(gateway, State.OUT, f"{gateway.misses} heartbeats missed ({why})")
            self._changed(gateway)

    def faulted(self, name: str, why: str) -> None:
        """A faulty answer: out at once."""
        gateway = self.gateways.get(name)
        if gateway is None:
            return
        gateway.misses = 0
        self._set_state(gateway, State.OUT, why)
        self._changed(gateway)

    def _settle_on_the_way(self, gateway: Gateway, status: GatewayStatus) -> None:
        if status.accepted is None or gateway.accepted is None:
            gateway.on_the_way.clear()  # no counter: the status is all there is to know
        else:
            for _ in range(max(0, status.accepted - gateway.accepted)):
                if not gateway.on_the_way:
                    break
                gateway.on_the_way.popleft()
        gateway.accepted = status.accepted
        self._forget_old(gateway)

    def _forget_old(self, gateway: Gateway) -> None:
        horizon = self.clock() - self.inflight_ms / 1000
        while gateway.on_the_way and gateway.on_the_way[0] < horizon:
            gateway.on_the_way.popleft()
            self.forgotten += 1

    def _set_state(self, gateway: Gateway, state: State, why: str) -> None:
        old = gateway.state
        gateway.state, gateway.why = state, why
        if old is not state and self.on_change is not None:
            self.on_change(gateway, old, state)

    # --- ranking ------------------------------------------------------------------------
    def key(self, gateway: Gateway) -> tuple:
        parts: list[float | str] = []
        for criterion in self.settings.criteria:
            value = _step(gateway.value(criterion), self.settings.tolerance(criterion))
            parts.append(value if criterion is Criterion.DELAY else -value)
        parts.append(gateway.name)
        return tuple(parts)

    def _changed(self, gateway: Gateway) -> None:
        gateway.version += 1
        gateway.cache.clear()
        if gateway.candidate:
            heapq.heappush(self._heap, (self.key(gateway), gateway.version, gateway.name))

    def _top(self) -> Gateway | None:
        heap = self._heap
        while heap:
            _key, version, name = heap[0]
            gateway = self.gateways.get(name)
            if gateway is not None and gateway.version == version and gateway.candidate:
                return gateway
            heapq.heappop(heap)
        return None

    def peek(self) -> Gateway | None:
        """The gateway a query would get now (nothing is counted)."""
        return self._top()

    def choose(self) -> Gateway | None:
        """The best candidate, counted as one more message on its way to it; None if none."""
        gateway = self._top()
        if gateway is None:
            return None
        gateway.answered += 1
        gateway.on_the_way.append(self.clock())
        if gateway.on_the_way[0] < self.clock() - self.inflight_ms / 1000:
            self._forget_old(gateway)
        # Only what counts the traffic can move it in the ranking (or make it full).
        if Criterion.RESIDUAL_TRAFFIC in self.settings.criteria or gateway.full:
            gateway.version += 1
            if gateway.candidate:
                heapq.heappush(self._heap, (self.key(gateway), gateway.version, gateway.name))
        return gateway

    def candidates(self) -> list[Gateway]:
        """Every candidate, best first (for reports and tests; a query never needs this)."""
        return sorted((g for g in self.gateways.values() if g.candidate), key=self.key)

    def compact(self) -> None:
        """Drop stale heap entries when they outnumber the live ones (keeps memory bounded)."""
        if len(self._heap) > 4 * max(16, len(self.gateways)):
            live = [g for g in self.gateways.values() if g.candidate]
            self._heap = [(self.key(g), g.version, g.name) for g in live]
            heapq.heapify(self._heap)

    def names(self, state: State | None = None) -> list[str]:
        return sorted(n for n, g in self.gateways.items() if state is None or g.state is state)


def settings_of(
    criteria: Iterable[str | Criterion], tolerances: dict | None = None
) -> SelectionSettings:
    """SelectionSettings from plain values (a profile's, a test's)."""
    return SelectionSettings(
        tuple(Criterion(c) for c in criteria),
        {str(Criterion(k)): float(v) for k, v in (tolerances or {}).items()},
    )
