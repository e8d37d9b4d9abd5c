"""Prior art for the MM4 pool: one SMTP connection per message, no pools.

As the seed document describes what it improves on (CN, MM4 message pool,
"problems solved"): connections opened per message, or shared without
per-destination control. Here: every message of every destination waits in
ONE queue, and ``WORKERS`` senders take them in turn, each opening a
connection for its message and closing it after (no connection exists
before the first message, none is reused). A slow destination ties up every
sender; the others wait behind it. It still routes, retries, expires and
reports like the reference (the same hooks, overridden): it fails the
connection-bound, pre-establishment and isolation scenarios, and only those.
"""

from __future__ import annotations

import asyncio
import contextlib

import aiosmtplib

from mmsconf.emulators.mm4_relay import Item, MM4Relay
from mmsconf.emulators.mm4_routing import Address
from mmsconf.emulators.mm4_subpool import Connection, PoolLimits, SubPool
from mmsconf.emulators.retry import StoreAndForward

#: Senders serving the one queue (a typical MTA's process limit, scaled to a test).
WORKERS = 8


class PerMessageRelay(MM4Relay):
    """The reference relay with the prior art's queue and connections."""

    workers = WORKERS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._queue: StoreAndForward[Item] | None = None
        self._senders: asyncio.Semaphore | None = None
        self._numbers = 0

    def store_for(self, name: str) -> StoreAndForward[Item]:
        """One queue for every destination."""
        if self._queue is None:
            self._queue = super().store_for("all destinations")
        return self._queue

    def make_pool(self, name: str, address: Address) -> SubPool:
        """A pool only in name: it opens nothing in advance (the connections are per message)."""
        limits = self.config.limits
        none_kept = PoolLimits(
            0, limits.max, limits.keepalive_ms, limits.reconnect_initial_ms, limits.reconnect_max_ms
        )
        return SubPool(self, self.client, name, address, none_kept)

    async def connection_for(self, destination: str, timeout_s: float) -> Connection | None:
        """A sender free (first come, first served, whatever the destination), then a new
        connection for this one message."""
        if self._senders is None:
            self._senders = asyncio.Semaphore(self.workers)
        try:
            await asyncio.wait_for(self._senders.acquire(), timeout_s)
        except TimeoutError:
            return None
        try:
            session = await self.client.connect(*self.pools[destination].address)
            await session.smtp.ehlo()
        except (OSError, TimeoutError, aiosmtplib.SMTPException):
            self._senders.release()
            return None
        self._numbers += 1
        return Connection(session, self._numbers)

    async def after_send(self, destination: str, connection: Connection, healthy: bool) -> None:
        """QUIT: the connection served its one message."""
        try:
            with contextlib.suppress(Exception):
                await connection.session.close()
        finally:
            if self._senders is not None:
                self._senders.release()
