"""The lifecycle every emulator shares: start/stop/address, events, fault knobs.

An emulator is an asyncio service. ``await start()`` returns once it is
listening; ``await stop()`` releases everything; ``go_down()`` and
``come_up()`` close and reopen its listening socket while it keeps what it
had accepted, which is how scenarios kill and restart a peer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any


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
        signal = self._signal()
        signal.set()
        # A fresh Event for the next round: waiters hold the old one and wake.
        self._changed = asyncio.Event()
        return event

    def of(self, kind: str) -> list[Event]:
        return [e for e in self._events if e.kind == kind]

    def all(self) -> list[Event]:
        return list(self._events)

    async def wait_for(
        self, predicate: Callable[[EventLog], bool], timeout_ms: int, what: str = "condition"
    ) -> None:
        """Wait until ``predicate(self)`` holds; TimeoutError naming ``what`` otherwise."""
        deadline = asyncio.get_running_loop().time() + timeout_ms / 1000
        while not predicate(self):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout_ms} ms waiting for {what}")
            signal = self._signal()
            try:
                await asyncio.wait_for(signal.wait(), remaining)
            except TimeoutError:
                continue


class Service:
    """Base of every emulator. Subclasses implement ``_listen`` and ``_close``."""

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
        await self._listen()
        self.running = True
        self.listening = True

    async def stop(self) -> None:
        if self.listening:
            await self._close()
        self.listening = False
        self.running = False
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._shutdown()

    async def go_down(self) -> None:
        """Stop answering (socket closed) but keep state, as a crashed-then-restarted box would."""
        if self.listening:
            await self._close()
            self.listening = False
            self.events.emit("down")

    async def come_up(self) -> None:
        if not self.listening:
            await self._listen()
            self.listening = True
            self.events.emit("up")

    async def _listen(self) -> None:  # binds self.host/self.port, sets self.port if it was 0
        raise NotImplementedError

    async def _close(self) -> None:
        raise NotImplementedError

    async def _shutdown(self) -> None:
        """Release what outlives the listening socket (client sessions, tasks)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.role} {self.host}:{self.port}>"
