"""The lifecycle every emulator shares: start/stop/address, events, fault knobs.

An emulator is an asyncio service that owns parts: listeners (an HTTP
server, a UDP socket, an SMTP server, ...) and clients. ``await start()``
returns once every listener is listening; ``await stop()`` releases
everything; ``go_down()`` and ``come_up()`` close and reopen the listeners
on the same ports while the service keeps what it had accepted, which is
how scenarios kill and restart a peer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar


@dataclass
class Faults:
    """Knobs a scenario turns to make an emulator misbehave.

    ``down`` is not here: it closes the socket (see ``Service.go_down``).
    """

    slow_ms: int = 0  # delay every answer by this much
    status: int | None = None  # answer every request with this protocol status
    drop: bool = False  # read the request, then close without an answer

    def reset(self) -> None:
        self.slow_ms, self.status, self.drop = 0, None, False


@dataclass(frozen=True)
class Event:
    """Something an emulator saw or did, for steps and tests to wait on."""

    kind: str
    time: float
    data: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]


class EventLog:
    """Append-only list of events; waiters wake on each append.

    Lives on the emulator's loop: append and wait from that loop only.
    """

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._changed: asyncio.Event | None = None

    def _signal(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    def emit(self, kind: str, **data: Any) -> Event:
        event = Event(kind, time.time(), data)
        self._events.append(event)
        signal = self._changed
        if signal is not None:
            signal.set()
            # The next waiter makes a fresh one (_signal); those waiting hold this one and
            # wake. None until then: most emits have no waiter, and load makes thousands.
            self._changed = None
        return event

    def of(self, kind: str) -> list[Event]:
        return [e for e in self._events if e.kind == kind]

    def all(self) -> list[Event]:
        return list(self._events)

    async def wait_for(
        self, predicate: Callable[[EventLog], bool], timeout_ms: int, what: str = "condition"
    ) -> None:
        """Wait until ``predicate(self)`` holds; TimeoutError naming ``what`` otherwise."""
        await EventLog.wait_any((self,), lambda: predicate(self), timeout_ms, what)

    @staticmethod
    async def wait_any(
        logs: Iterable[EventLog],
        predicate: Callable[[], bool],
        timeout_ms: int,
        what: str = "condition",
    ) -> None:
        """Wait until ``predicate()`` holds, re-checking it on every event of any of ``logs``.

        For a condition that spans several emulators (an arrival at one MMSC, a
        report at the SP): whichever log records the event that makes it true
        ends the wait. It returns at once when the condition already holds and
        raises TimeoutError naming ``what`` after ``timeout_ms``, as ``wait_for``.
        """
        logs = tuple(logs)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_ms / 1000
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout_ms} ms waiting for {what}")
            # Take each log's current signal before waiting: emit() sets it and swaps
            # in a fresh one, so an event after this point wakes us either way.
            waiters = [loop.create_task(log._signal().wait()) for log in logs]
            try:
                await asyncio.wait(waiters, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            finally:
                # Also when we are cancelled: asyncio.wait leaves its tasks running.
                for waiter in waiters:
                    waiter.cancel()
                await asyncio.gather(*waiters, return_exceptions=True)


class Part(Protocol):
    """A listener or a client a Service owns: something that opens and releases sockets."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


P = TypeVar("P", bound=Part)


class Service:
    """Base of every emulator: one lifecycle over the parts it owns.

    Listeners (``add_listener``) are opened by ``start()`` and ``come_up()``
    and closed by ``go_down()`` and ``stop()``; a listener that bound port 0
    keeps the port it got, so ``come_up()`` answers where it did before.
    Clients (``add_client``) open their connections on demand and are closed
    by ``stop()`` only: a service that is down still delivers what it holds.
    """

    role: str = "service"

    def __init__(self, role: str, host: str, port: int = 0) -> None:
        self.role = role
        self.host = host
        self.port = port
        self.faults = Faults()
        self.events = EventLog()
        self.running = False
        self.listening = False
        self._tasks: set[asyncio.Task] = set()
        self._listeners: list[Part] = []
        self._clients: list[Part] = []

    def add_listener(self, part: P) -> P:
        """Own ``part``: opened with the service, closed when it goes down or stops."""
        if self.running:
            raise RuntimeError(f"{self!r}: add listeners before start()")
        self._listeners.append(part)
        return part

    def add_client(self, part: P) -> P:
        """Own ``part``: closed when the service stops (it may be added while running)."""
        self._clients.append(part)
        return part

    @property
    def listeners(self) -> tuple[Part, ...]:
        return tuple(self._listeners)

    @property
    def clients(self) -> tuple[Part, ...]:
        return tuple(self._clients)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """Run ``coro`` in the background; ``stop()`` cancels what is still running."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    async def start(self) -> None:
        await self._open_listeners()
        self.running = True
        self.listening = True

    async def stop(self) -> None:
        if self.listening:
            await self._close_listeners()
        self.listening = False
        self.running = False
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for client in reversed(self._clients):
            await client.stop()

    async def go_down(self) -> None:
        """Stop answering (sockets closed) but keep state, as a crashed-then-restarted box would."""
        if self.listening:
            await self._close_listeners()
            self.listening = False
            self.events.emit("down")

    async def come_up(self) -> None:
        if not self.listening:
            await self._open_listeners()
            self.listening = True
            self.events.emit("up")

    async def _open_listeners(self) -> None:
        """All or nothing: a listener that cannot bind closes the ones opened before it."""
        opened: list[Part] = []
        try:
            for part in self._listeners:
                await part.start()
                opened.append(part)
        except BaseException:
            for part in reversed(opened):
                await part.stop()
            raise

    async def _close_listeners(self) -> None:
        for part in reversed(self._listeners):
            await part.stop()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.role} {self.host}:{self.port}>"
