"""Deliberately broken MM4 relays the conformance suite must catch, at least one per
mp_* clause.

A pytest plugin (``-p mp_mutants``, this folder on PYTHONPATH) that registers
each broken relay by name, so a profile can embed it (``relay = "..."``). Each
is the reference relay with ONE hook overridden (or its sub-pool with one
method): whatever the suite catches, it catches that one fault. ``MUTANTS``
says which clause each breaks and which scenarios (a ``--tags`` expression)
test_mp_mutants_caught.py runs against it; some must fail naming that clause.
"""

from __future__ import annotations

import asyncio

from mmsconf.emulators.codecs import mm4
from mmsconf.emulators.mm4_relay import MM4Relay
from mmsconf.emulators.mm4_routing import Address
from mmsconf.emulators.mm4_subpool import Connection, PoolLimits, SubPool
from mmsconf.emulators.retry import Attempt, StoreAndForward
from mmsconf.fixtures.areas.mm4_pool.implementations import BASELINE, register_relay


class _UnboundedPool(SubPool):
    """Opens a connection whenever none is idle: the maximum is never enforced."""

    async def acquire(self, timeout_s: float) -> Connection | None:
        while self._idle:
            connection = self._idle.popleft()
            if connection.alive:
                self._busy.add(connection)
                return connection
            await self._drop(connection)
        connection = await self._open()
        if connection is not None:
            self._busy.add(connection)
        return connection


class PoolMaxIgnored(MM4Relay):
    """A burst opens as many connections to a destination as messages wait for it."""

    def make_pool(self, name: str, address: Address) -> SubPool:
        return _UnboundedPool(
            self, self.client, name, address, self.config.limits, on_up=self.stores[name].kick
        )


class _SlotLosingPool(SubPool):
    """A broken connection is closed but its place in the sub-pool is never filled again."""

    async def _drop(self, connection: Connection) -> None:
        was_open = not connection.session.closed
        await super()._drop(connection)
        if was_open and not self.closed:
            lost = max(1, self.limits.max - 1)
            self.limits = PoolLimits(
                min(self.limits.min, lost),
                lost,
                self.limits.keepalive_ms,
                self.limits.reconnect_initial_ms,
                self.limits.reconnect_max_ms,
            )


class BrokenNotReplaced(MM4Relay):
    """A connection cut during DATA is not replaced: its sub-pool shrinks."""

    def make_pool(self, name: str, address: Address) -> SubPool:
        return _SlotLosingPool(
            self, self.client, name, address, self.config.limits, on_up=self.stores[name].kick
        )


class OneMessagePool(MM4Relay):
    """Every destination's messages wait in one message pool (one store for all)."""

    _shared: StoreAndForward | None = None

    def store_for(self, name: str) -> StoreAndForward:
        if self._shared is None:
            self._shared = super().store_for("all destinations")
        return self._shared


class OneDispatchLine(MM4Relay):
    """Messages leave in one line for every destination: the next waits until the one
    before it has a connection of its own destination's sub-pool (head-of-line blocking)."""

    _line: asyncio.Lock | None = None

    async def connection_for(self, destination: str, timeout_s: float) -> Connection | None:
        if self._line is None:
            self._line = asyncio.Lock()
        async with self._line:
            return await super().connection_for(destination, timeout_s)


class ConnectsOnDemand(MM4Relay):
    """Sub-pools open their connections when the first message comes, not in advance."""

    def make_pool(self, name: str, address: Address) -> SubPool:
        limits = self.config.limits
        on_demand = PoolLimits(
            0, limits.max, limits.keepalive_ms, limits.reconnect_initial_ms, limits.reconnect_max_ms
        )
        return SubPool(self, self.client, name, address, on_demand, on_up=self.stores[name].kick)


class ConnectionPerMessage(MM4Relay):
    """Each connection carries one message and is closed (the sub-pool opens another)."""

    async def after_send(self, destination: str, connection: Connection, healthy: bool) -> None:
        await self.pools[destination].release(connection, healthy=False)


class NoRetryAfterCut(MM4Relay):
    """A message whose connection was lost mid-way is dead-lettered, not sent again."""

    def outcome(self, attempt: Attempt, healthy: bool) -> Attempt:
        return Attempt.REFUSED if attempt is Attempt.AGAIN and not healthy else attempt


class SwallowsForwardRes(MM4Relay):
    """MM4_forward.RES from a destination is answered 250 and never passed to the core."""

    async def take(self, mail_from: str | None, rcpt_tos: list[str], raw: bytes | None) -> str:
        if raw and b"MM4_forward.RES" in raw[:2048]:
            try:
                if isinstance(mm4.decode(raw, config=self.codec).message, mm4.ForwardRes):
                    return "250 2.0.0 OK"
            except mm4.MM4Error:
                pass
        return await super().take(mail_from, rcpt_tos, raw)


class DeadLettersUnreported(MM4Relay):
    """A message dead-lettered after the expiry is counted, but its originator never hears."""

    def _expired(self, held, why: str) -> None:
        return None


#: The scenario of a connection cut during DATA.
_CUT = "mp_sub_pool and not mp_message_pool and not mp_bounded"

#: relay name -> (its class, the clause it breaks, the --tags expression of its scenarios);
#: class None: registered elsewhere (the prior art).
MUTANTS: dict[str, tuple[type[MM4Relay] | None, str, str]] = {
    "mutant-pool-max-ignored": (PoolMaxIgnored, "mp_sub_pool", "mp_sub_pool and mp_bounded"),
    "mutant-broken-not-replaced": (BrokenNotReplaced, "mp_sub_pool", _CUT),
    "mutant-one-message-pool": (
        OneMessagePool,
        "mp_message_pool",
        "mp_message_pool and needs_pool_counters",
    ),
    "mutant-one-dispatch-line": (OneDispatchLine, "mp_bounded", "mp_bounded and mp_message_pool"),
    "mutant-connects-on-demand": (ConnectsOnDemand, "mp_preestablished", "mp_preestablished"),
    "mutant-connection-per-message": (
        ConnectionPerMessage,
        "mp_bounded",
        "mp_bounded and mp_sub_pool",
    ),
    "mutant-no-retry-after-cut": (NoRetryAfterCut, "mp_sub_pool", _CUT),
    "mutant-swallows-forward-res": (
        SwallowsForwardRes,
        "mp_message_pool",
        "mp_message_pool and mp_sub_pool",
    ),
    "mutant-dead-letters-unreported": (
        DeadLettersUnreported,
        "mp_message_pool",
        "mp_message_pool and not mp_bounded and not mp_sub_pool and not needs_pool_counters",
    ),
    # The prior art the clauses were written against: a connection per message, one queue.
    BASELINE: (None, "mp_bounded", "mp_bounded and mp_message_pool"),
}

for _name, (_relay, _clause, _tags) in MUTANTS.items():
    if _relay is not None:
        register_relay(_name, f"broken on purpose ({_clause}): {_relay.__doc__}", _relay)
