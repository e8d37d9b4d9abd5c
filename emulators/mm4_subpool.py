"""One destination MMSC's sub-pool of SMTP connections, kept by the MM4 relay.

The seed document's relay divides its SMTP connection pool into sub-pools,
one per destination MMSC; each manages the connections assigned to it, and
they are established in advance ([0049]). Here that is:

- ``min`` connections opened when the pool starts and kept open (a broken
  one is replaced, a refused connect retried with backoff);
- at most ``max`` connections at any moment: a message that finds none idle
  opens one while the pool is below ``max``, else waits its turn (first come,
  first served) for one to come back;
- idle connections are kept alive with NOOP every ``keepalive_ms``; one that
  fails it, or that its peer closed, is dropped and replaced;
- while connects fail (a destination down, or refusing past its cap) messages
  do not each try to connect: they wait for a connection, and the pool alone
  probes the destination with backoff;
- ``on_up`` is called when a connection succeeds after connects had failed
  (the destination came back: the relay retries what it holds at once).

A connection is an ``SmtpSession`` of the relay's SMTP client part; which
connection a message takes and how it is sent (MAIL, RCPT, DATA) is the
relay's business (``transact``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import aiosmtplib

from mmsconf.emulators.retry import Attempt
from mmsconf.emulators.service import Service
from mmsconf.emulators.transports.smtp import SmtpClient, SmtpSession

Address = tuple[str, int]


@dataclass(frozen=True)
class PoolLimits:
    min: int
    max: int
    keepalive_ms: int
    reconnect_initial_ms: int
    reconnect_max_ms: int

    def __post_init__(self) -> None:
        if not 0 <= self.min <= self.max or self.max < 1:
            raise ValueError(f"sub-pool needs 0 <= min <= max, max >= 1: {self.min}, {self.max}")


@dataclass(eq=False)
class Connection:
    session: SmtpSession
    number: int
    last_used: float = field(default_factory=time.monotonic)
    messages: int = 0

    @property
    def alive(self) -> bool:
        return not self.session.closed and self.session.smtp.is_connected


@dataclass
class PoolCounters:
    opened: int = 0
    closed: int = 0
    failed_connects: int = 0
    peak: int = 0
    noops: int = 0


class SubPool:
    """The connections of one destination (``name``) at ``address``."""

    def __init__(
        self,
        service: Service,
        client: SmtpClient,
        name: str,
        address: Address,
        limits: PoolLimits,
        *,
        on_up: Callable[[], None] | None = None,
    ) -> None:
        self.service = service
        self.client = client
        self.name = name
        self.address = address
        self.limits = limits
        self.on_up = on_up
        self.counters = PoolCounters()
        self._idle: deque[Connection] = deque()
        self._busy: set[Connection] = set()
        self._opening = 0
        self._waiters: deque[asyncio.Future[Connection]] = deque()
        self._numbers = 0
        self._wake = asyncio.Event()
        self._failing = False
        self._reconnect_ms = limits.reconnect_initial_ms
        self._task: asyncio.Task | None = None
        self.closed = False

    # --- size ---------------------------------------------------------------------
    @property
    def size(self) -> int:
        """Connections open or being opened: never above ``max``."""
        return len(self._idle) + len(self._busy) + self._opening

    @property
    def idle(self) -> int:
        return len(self._idle)

    @property
    def waiting(self) -> int:
        return sum(1 for w in self._waiters if not w.done())

    def start(self) -> None:
        """Open the minimum now and keep it (in the background: a destination that is down
        at start is reached when it comes up)."""
        self._task = self.service.spawn(self._maintain())

    async def close(self) -> None:
        self.closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for waiter in self._waiters:
            if not waiter.done():
                waiter.cancel()
        for connection in [*self._idle, *self._busy]:
            await self._drop(connection)

    # --- taking and giving back -----------------------------------------------------
    async def acquire(self, timeout_s: float) -> Connection | None:
        """A connection to use alone, or None: none could be opened, or none came back in
        ``timeout_s``."""
        while self._idle:
            connection = self._idle.popleft()
            if connection.alive:
                self._busy.add(connection)
                return connection
            await self._drop(connection)
        if self.size < self.limits.max and not self._failing:
            connection = await self._open()
            if connection is not None:
                self._busy.add(connection)
            return connection
        # All in use, or the destination refuses connections: wait for one to come back,
        # or for the pool's own reconnect to succeed (messages do not each hammer a
        # destination that is down: the pool probes it, with backoff).
        waiter: asyncio.Future[Connection] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(waiter, max(0.0, timeout_s))
        except TimeoutError:
            return None
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    async def release(self, connection: Connection, *, healthy: bool) -> None:
        """Give ``connection`` back: to the first waiter, or to the idle ones; a broken one
        is closed and the pool replaces it."""
        self._busy.discard(connection)
        connection.last_used = time.monotonic()
        if not healthy or not connection.alive or self.closed:
            await self._drop(connection)
            self._wake.set()
            return
        self._hand_over(connection)

    def _hand_over(self, connection: Connection) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._busy.add(connection)
                waiter.set_result(connection)
                return
        self._idle.append(connection)

    # --- opening and closing ----------------------------------------------------------
    async def _open(self) -> Connection | None:
        self._opening += 1
        try:
            session = await self.client.connect(*self.address)
            try:
                await session.smtp.ehlo()
            except BaseException:
                await session.close()
                raise
        except (OSError, TimeoutError, aiosmtplib.SMTPException) as err:
            self.counters.failed_connects += 1
            self._failing = True
            self._wake.set()  # the pool's own reconnect takes over from here
            self.service.events.emit("pool_connect_failed", pool=self.name, error=str(err))
            return None
        finally:
            self._opening -= 1
        self._numbers += 1
        self.counters.opened += 1
        connection = Connection(session, self._numbers)
        self.counters.peak = max(self.counters.peak, self.size + 1)
        self.service.events.emit("pool_open", pool=self.name, number=connection.number)
        if self._failing:
            self._failing = False
            self._reconnect_ms = self.limits.reconnect_initial_ms
            if self.on_up is not None:
                self.on_up()
        return connection

    async def _drop(self, connection: Connection) -> None:
        self._busy.discard(connection)
        with contextlib.suppress(ValueError):
            self._idle.remove(connection)
        if not connection.session.closed:
            self.counters.closed += 1
            await connection.session.close()
            self.service.events.emit("pool_closed", pool=self.name, number=connection.number)

    # --- keeping the minimum, alive -----------------------------------------------------
    async def _maintain(self) -> None:
        while not self.closed:
            for connection in [c for c in self._idle if not c.alive]:
                await self._drop(connection)
            wait_s = self.limits.keepalive_ms / 1000
            probing = self._failing and self.waiting > 0 and self.size < self.limits.max
            if self.size < self.limits.min or probing:
                connection = await self._open()
                if connection is None:
                    wait_s = self._reconnect_ms / 1000
                    self._reconnect_ms = min(2 * self._reconnect_ms, self.limits.reconnect_max_ms)
                else:
                    self._hand_over(connection)
                    continue
            due = await self._keep_alive()
            if due is not None:
                wait_s = min(wait_s, due)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait_s)

    async def _keep_alive(self) -> float | None:
        """NOOP each connection idle for ``keepalive_ms``; seconds until the next is due."""
        now = time.monotonic()
        period = self.limits.keepalive_ms / 1000
        for connection in [c for c in self._idle if now - c.last_used >= period]:
            if connection not in self._idle:
                continue  # taken for a message while an earlier one answered its NOOP
            self._idle.remove(connection)
            self._busy.add(connection)
            try:
                await connection.session.smtp.noop()
                self.counters.noops += 1
                healthy = True
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                healthy = False
            await self.release(connection, healthy=healthy)
        if not self._idle:
            return None
        oldest = min(c.last_used for c in self._idle)
        return max(0.01, period - (time.monotonic() - oldest))


async def transact(
    connection: Connection, sender: str, recipients: Sequence[str], data: bytes
) -> tuple[Attempt, str | None, bool, dict[str, tuple[int, str]]]:
    """One MAIL/RCPT/DATA on ``connection``: (what came of it, the error, whether the
    connection is still good, recipients refused while others were taken)."""
    smtp = connection.session.smtp
    try:
        refused, _said = await smtp.sendmail(sender, list(recipients), data)
    except aiosmtplib.SMTPRecipientsRefused as err:
        codes = [e.code for e in err.recipients]
        temporary = any(400 <= c < 500 for c in codes)
        said = "; ".join(f"{e.recipient}: {e.code} {e.message}" for e in err.recipients)
        return (Attempt.AGAIN if temporary else Attempt.REFUSED), said, smtp.is_connected, {}
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError) as err:
        return Attempt.AGAIN, f"connection lost: {err}", False, {}
    except aiosmtplib.SMTPResponseException as err:
        attempt = Attempt.REFUSED if 500 <= err.code < 600 else Attempt.AGAIN
        if err.code == 421:  # the server is closing the connection (RFC 5321 §3.8)
            return Attempt.AGAIN, f"{err.code} {err.message}", False, {}
        return attempt, f"{err.code} {err.message}", smtp.is_connected, {}
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as err:
        return Attempt.AGAIN, f"{type(err).__name__}: {err}", False, {}
    connection.messages += 1
    return Attempt.DELIVERED, None, True, {r: (a.code, a.message) for r, a in refused.items()}
