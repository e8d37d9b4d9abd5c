"""The runner: play each hostile case on a fresh connection, then prove the target still works.

Knows sockets, not protocols. A ``Case`` is bytes (or a ``Sender`` coroutine
for pacing and half-closes, or a list of datagrams over UDP) and a ``Check``
of what came back; a ``Target`` is an address, a transport and a ``probe``
(a valid exchange that must still succeed after every case). ``run_battery``
plays the cases and collects a ``BatteryResult``, whose ``table`` prints
what each case got.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

# --------------------------------------------------------------------------- the connection


class Wire(asyncio.Protocol):
    """One client connection: what came back, whether and when the server hung up."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.data = bytearray()
        self.closed = False
        self.reset = False
        self.closed_at: float | None = None
        self._changed = asyncio.Event()
        self._writable: asyncio.Future[None] | None = None

    # asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.data += data
        self._kick()

    def eof_received(self) -> bool:
        self._ended(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._ended(exc)

    def pause_writing(self) -> None:
        self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._writable = None

    def _ended(self, exc: BaseException | None) -> None:
        if not self.closed:
            self.closed = True
            self.closed_at = asyncio.get_running_loop().time()
        self.reset = self.reset or isinstance(exc, ConnectionResetError)
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._kick()

    def _kick(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # what senders use
    async def send(self, chunk: bytes) -> bool:
        """Write ``chunk`` and wait until the kernel took it; False once the server is gone."""
        if self.closed or self.transport is None or self.transport.is_closing():
            return False
        self.transport.write(chunk)
        if self._writable is not None:
            await self._writable
        return not self.closed

    def end(self) -> None:
        """Half-close: no more bytes from us (FIN), the server may still answer."""
        if self.transport is not None and not self.closed and self.transport.can_write_eof():
            self.transport.write_eof()

    async def wait(self, predicate: Callable[[], bool], timeout_ms: int) -> bool:
        """Until ``predicate()`` or the server hung up; False when ``timeout_ms`` ran out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_ms / 1000
        while not (predicate() or self.closed):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return False
        return True


Sender = Callable[[Wire], Awaitable[None]]
Check = Callable[["Observed"], "str | None"]  # None when the answer is right, else what is wrong


@dataclass
class Observed:
    """What one case got back."""

    data: bytes
    closed: bool  # the server ended the connection before we stopped listening
    reset: bool
    elapsed_ms: float  # from connecting to the server's close, or to when we stopped
    datagrams: list[bytes] = field(default_factory=list)  # UDP: each answer on its own


@dataclass(frozen=True)
class Case:
    """One hostile input and the outcome class the protocol prescribes for it."""

    name: str
    send: bytes | Sender | Sequence[bytes]  # Sequence: UDP datagrams
    check: Check
    expect: str  # the outcome class in words, for the printed table
    until_close: bool = False  # listen until the server hangs up (else until an answer)
    half_close: bool = False  # send FIN after the bytes
    listen_ms: int = 5000  # upper bound on listening; ends sooner on an answer or a close


@dataclass
class Target:
    """An emulator endpoint a battery is played against."""

    name: str
    host: str
    port: int
    probe: Callable[[], Awaitable[None]]  # a valid exchange; raises when it fails
    transport: str = "tcp"  # "tcp" | "udp"
    local_host: str | None = None  # connect from this address
    answered: Callable[[bytes], bool] = lambda data: bool(data)  # one whole answer is in
    # Requests of the battery the emulator took on (its own count), and how many success
    # answers an observation holds: the two must match after every case, so nothing is
    # taken on without the sender being told, nor reported taken that was not.
    accepted: Callable[[], int] | None = None
    successes: Callable[[Observed], int] = lambda o: 0


@dataclass
class Played:
    case: Case
    observed: Observed
    problem: str | None  # the check's complaint, or the probe's failure after it


@dataclass
class BatteryResult:
    target: str
    played: list[Played]

    @property
    def tried(self) -> int:
        return len(self.played)

    @property
    def failures(self) -> list[Played]:
        return [p for p in self.played if p.problem is not None]

    def table(self, describe: Callable[[Observed], str] | None = None) -> str:
        describe = describe or describe_bytes
        lines = [f"{self.target}: {self.tried} hostile inputs"]
        for p in self.played:
            verdict = "ok " if p.problem is None else "BAD"
            got = describe(p.observed)
            lines.append(f"  {verdict} {p.case.name:28} expect {p.case.expect:34} got {got}")
            if p.problem is not None:
                lines.append(f"      {p.problem}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- playing


async def exchange(target: Target, case: Case) -> Observed:
    """Play ``case`` on a fresh connection (or socket) to ``target``."""
    if target.transport == "udp":
        return await _exchange_udp(target, case)
    loop = asyncio.get_running_loop()
    local = (target.local_host, 0) if target.local_host else None
    started = loop.time()
    _, wire = await asyncio.wait_for(
        loop.create_connection(Wire, target.host, target.port, local_addr=local), 5
    )
    try:
        if callable(case.send):
            await case.send(wire)
        elif isinstance(case.send, bytes | bytearray):
            await wire.send(bytes(case.send))
        else:
            raise TypeError(f"{case.name}: a TCP case sends bytes or a sender")
        if case.half_close:
            wire.end()
        if case.until_close:
            await wire.wait(lambda: False, case.listen_ms)
        else:
            await wire.wait(lambda: target.answered(bytes(wire.data)), case.listen_ms)
        end = wire.closed_at if wire.closed_at is not None else loop.time()
        return Observed(bytes(wire.data), wire.closed, wire.reset, (end - started) * 1000)
    finally:
        if wire.transport is not None:
            wire.transport.abort()


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.changed = asyncio.Event()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.received.append(data)
        self.changed.set()


async def _exchange_udp(target: Target, case: Case) -> Observed:
    loop = asyncio.get_running_loop()
    local = (target.local_host, 0) if target.local_host else None
    transport, proto = await loop.create_datagram_endpoint(
        _Datagrams, remote_addr=(target.host, target.port), local_addr=local
    )
    started = loop.time()
    try:
        grams = [case.send] if isinstance(case.send, bytes | bytearray) else case.send
        if callable(grams):
            raise TypeError(f"{case.name}: a UDP case sends datagrams")
        for gram in grams:
            transport.sendto(bytes(gram))
        deadline = started + case.listen_ms / 1000
        while not (proto.received and target.answered(b"".join(proto.received))):
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            proto.changed.clear()
            try:
                await asyncio.wait_for(proto.changed.wait(), remaining)
            except TimeoutError:
                break
        data = b"".join(proto.received)
        return Observed(data, False, False, (loop.time() - started) * 1000, list(proto.received))
    finally:
        transport.close()


async def run_battery(target: Target, cases: Sequence[Case]) -> BatteryResult:
    """Each case on its own connection, each followed by the target's probe."""
    played: list[Played] = []
    for case in cases:
        before = target.accepted() if target.accepted is not None else 0
        observed = await exchange(target, case)
        problem = case.check(observed)
        if target.accepted is not None:
            took, told = target.accepted() - before, target.successes(observed)
            if took != told:
                problem = (
                    f"{problem + '; ' if problem else ''}the emulator took on {took} "
                    f"request(s) and answered success to {told}"
                )
        try:
            await target.probe()
        except Exception as err:  # the probe's failure is this case's failure
            problem = f"{problem + '; ' if problem else ''}valid request afterwards failed: {err!r}"
        played.append(Played(case, observed, problem))
    return BatteryResult(target.name, played)


# --------------------------------------------------------------------------- senders


def slow_sender(data: bytes, *, every_ms: int = 100, for_ms: int = 1500) -> Sender:
    """One byte every ``every_ms`` for at most ``for_ms``: the pacing is the fault."""

    async def send(wire: Wire) -> None:
        for i in range(min(len(data), for_ms // every_ms)):
            if not await wire.send(data[i : i + 1]):
                return
            await asyncio.sleep(every_ms / 1000)  # the fault *is* the delay

    return send


def sends(
    *chunks: bytes,
    answered: Callable[[bytes], bool] | None = None,
    then: bytes = b"",
    then_trickle: bytes = b"",
) -> Sender:
    """``chunks`` in turn; with ``answered``, then wait until it holds for what came
    back and send ``then``; ``then_trickle``: then one byte of it every 100 ms (the
    pacing is the fault).
    """

    async def send(wire: Wire) -> None:
        for chunk in chunks:
            if not await wire.send(chunk):
                return
        if answered is not None and await wire.wait(lambda: answered(bytes(wire.data)), 5000):
            await wire.send(then)
        for i in range(len(then_trickle)):
            if not await wire.send(then_trickle[i : i + 1]):
                return
            await asyncio.sleep(0.1)

    return send


# --------------------------------------------------------------------------- checks


def either(*checks: Check) -> Check:
    """Right when any of ``checks`` is; else every complaint."""

    def check(o: Observed) -> str | None:
        problems = [c(o) for c in checks]
        return None if any(p is None for p in problems) else " / ".join(map(str, problems))

    return check


def silence(data: bytes) -> str | None:
    """For ``closes_within``: nothing may be said before the close."""
    return None if not data else f"said {data[:80]!r} before closing"


def closes_within(ms: int, said: Callable[[bytes], str | None] = silence) -> Check:
    """The server hangs up within ``ms``; ``said`` judges what it sent before."""

    def check(o: Observed) -> str | None:
        if not o.closed:
            return f"still open after {o.elapsed_ms:.0f} ms"
        if o.elapsed_ms > ms:
            return f"closed after {o.elapsed_ms:.0f} ms, bound {ms} ms"
        return said(o.data)

    return check


def describe_bytes(o: Observed) -> str:
    """What came back, for the printed table of a protocol without its own ``describe``."""
    said = f"{o.data[:40]!r}" if o.data else "nothing"
    if o.datagrams:
        said = f"{len(o.datagrams)} datagram(s) {said}"
    end = ("reset" if o.reset else "closed") if o.closed else "open"
    return f"{said}; {end} after {o.elapsed_ms:.0f} ms"
