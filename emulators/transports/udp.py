"""Datagram parts: a listener that answers each datagram it takes, and a client.

The listener hands every datagram to a handler that returns what it was and
zero or more answers (DNS answers one, a SIP server may answer twice, WDP
push none). Each datagram is recorded once, the receipt and each answer by
the listener. The client records only when its peer is not an embedded
listener, as everywhere. Neither knows DNS, SIP or WSP: they are transports.

Bounds: a datagram over ``max_size`` bytes is recorded and not handled; at
most ``max_pending`` datagrams are handled at once, and one past that is
recorded and dropped. Each refusal is an ``udp_refused`` event (``why``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.base import Arrival, ListenAddress

log = logging.getLogger(__name__)

#: The largest UDP payload over IPv4.
MAX_DATAGRAM = 65507

Address = tuple[str, int]


@dataclass
class Datagram:
    """A datagram the listener took, as its handler sees it."""

    data: bytes
    peer: Address
    received_at: float  # epoch seconds
    _arrival: Arrival | None = field(default=None, repr=False)

    def record(self, summary: str, *, protocol: str | None = None, stray: bool = False) -> None:
        """Record the datagram now (before what handling it causes); else it is recorded
        with the handler's result. Once either way."""
        if self._arrival is not None:
            self._arrival.record(summary, protocol=protocol, stray=stray)


@dataclass(frozen=True)
class UdpAnswer:
    data: bytes
    summary: str = ""  # "": "<n> bytes"
    to: Address | None = None  # None: back to the sender


@dataclass
class UdpHandled:
    """What a handler made of a datagram: what it was, and what to send back."""

    summary: str
    answers: Sequence[UdpAnswer] = ()
    protocol: str | None = None  # None: the listener's
    stray: bool = False


UdpHandler = Callable[[Datagram], Awaitable[UdpHandled]]


def _size(data: bytes) -> str:
    return f"{len(data)} bytes"


class _Socket(asyncio.DatagramProtocol):
    """Forwards what the socket gets to a callback; errors (ICMP) to another."""

    def __init__(
        self,
        on_datagram: Callable[[bytes, Address], None],
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self.on_datagram = on_datagram
        self.on_error = on_error
        self.closed = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.on_datagram(data, (addr[0], addr[1]))

    def error_received(self, exc: Exception) -> None:
        if self.on_error is not None:
            self.on_error(exc)


class UdpServer:
    """A listening part: one datagram socket, each datagram handled in its own task.

    ``faults``: the service's knobs apply (``drop``: no answer; ``slow_ms``:
    answers delayed), so a scenario can make a DNS or SIP peer misbehave.
    """

    def __init__(
        self,
        service: Service,
        trace: TraceRecorder,
        protocol: str,
        handler: UdpHandler,
        *,
        port: int | None = None,
        max_size: int = MAX_DATAGRAM,
        max_pending: int = 1000,
        faults: bool = False,
    ) -> None:
        self.service = service
        self.trace = trace
        self.protocol = protocol
        self.handler = handler
        self.max_size = max_size
        self.max_pending = max_pending
        self.faults = faults
        self._where = ListenAddress(service, port, udp=True)
        self._transport: asyncio.DatagramTransport | None = None
        self._socket: _Socket | None = None
        self._pending = 0

    @property
    def port(self) -> int:
        return self._where.port

    @property
    def address(self) -> Address:
        return self._where.address

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        host, port = self._where.claim()
        self._transport, self._socket = await loop.create_datagram_endpoint(
            lambda: _Socket(self._received), local_addr=(host, port)
        )
        self.trace.register(self.service.role, host, port, embedded=True)

    async def stop(self) -> None:
        self.trace.unregister(*self.address)
        if self._transport is not None and self._socket is not None:
            self._transport.close()
            # The socket is released on the loop's next turn: wait for it, so the
            # port can be bound again as soon as stop() returns.
            await self._socket.closed
        self._transport = self._socket = None

    def send(
        self, to: Address, data: bytes, summary: str = "", *, protocol: str | None = None
    ) -> None:
        """Send from the listening socket (a SIP element's requests leave from its port).

        Recorded unless ``to`` is an embedded listener, which records it itself.
        """
        if self._transport is None or self._transport.is_closing():
            raise ConnectionError(f"{self.service.role}'s {self.protocol} socket is closed")
        self._transport.sendto(data, to)
        if not self.trace.is_embedded(*to):
            self.trace.record(
                self.address,
                to,
                protocol or self.protocol,
                summary or _size(data),
                data,
                "udp",
                listener=to,
            )

    def _received(self, data: bytes, peer: Address) -> None:
        arrival = Arrival(self.trace, peer, self.address, self.protocol, data, "udp")
        why = None
        if len(data) > self.max_size:
            why = "max_size"
        elif self._pending >= self.max_pending:
            why = "max_pending"
        if why is not None:
            arrival.record(f"{_size(data)}, not handled ({why})")
            self.service.events.emit("udp_refused", why=why, peer=peer)
            return
        self._pending += 1
        self.service.spawn(self._handle(Datagram(data, peer, arrival.at, arrival)))

    async def _handle(self, datagram: Datagram) -> None:
        arrival = datagram._arrival
        assert arrival is not None
        try:
            faults = self.service.faults if self.faults else None
            if faults is not None and faults.drop:
                arrival.record(f"{_size(datagram.data)} (dropped)")
                self.service.events.emit("dropped", peer=datagram.peer)
                return
            try:
                handled = await self.handler(datagram)
            except Exception:  # a handler bug: no answer, keep serving
                log.exception("%s: %s handler failed", self.service.role, self.protocol)
                arrival.settle(f"{_size(datagram.data)} (handler failed)")
                return
            protocol = handled.protocol or self.protocol
            arrival.settle(handled.summary, protocol=protocol, stray=handled.stray)
            if faults is not None and faults.slow_ms:
                await asyncio.sleep(faults.slow_ms / 1000)  # the fault *is* the delay
            for answer in handled.answers:
                self._answer(answer, datagram.peer, protocol, handled.stray)
        finally:
            self._pending -= 1

    def _answer(self, answer: UdpAnswer, peer: Address, protocol: str, stray: bool) -> None:
        to = answer.to or peer
        if self._transport is None or self._transport.is_closing():
            return  # went down while handling: nothing leaves, nothing to record
        self._transport.sendto(answer.data, to)
        # To a client socket: this listener records it. To an embedded listener
        # (a peer that sent from its listening port): that listener records it.
        if not self.trace.is_embedded(*to):
            self.trace.record(
                self.address,
                to,
                protocol,
                answer.summary or _size(answer.data),
                answer.data,
                "udp",
                listener=self.address if to == peer else to,
                stray=stray,
            )


@dataclass
class UdpResult:
    """What came back to one exchange, in arrival order."""

    datagrams: list[bytes] = field(default_factory=list)
    src: Address = ("", 0)  # the local address the request left from
    error: str | None = None  # "unreachable: ...", "timeout after N ms"
    elapsed_ms: float = 0.0

    @property
    def answer(self) -> bytes | None:
        return self.datagrams[0] if self.datagrams else None


class UdpClient:
    """A client part: each exchange from a fresh socket bound to the service's host.

    A fresh (connected) socket per exchange takes answers only from the peer
    asked, and hears ICMP port-unreachable as "unreachable".
    """

    def __init__(
        self,
        service: Service,
        trace: TraceRecorder,
        protocol: str,
        *,
        timeout_ms: int = 2000,
        max_size: int = MAX_DATAGRAM,
    ) -> None:
        self.service = service
        self.trace = trace
        self.protocol = protocol
        self.timeout_ms = timeout_ms
        self.max_size = max_size
        self._open: set[asyncio.DatagramTransport] = set()

    async def start(self) -> None:
        """Nothing to open: sockets are made per exchange."""

    async def stop(self) -> None:
        for transport in list(self._open):
            transport.close()
        self._open.clear()

    async def exchange(
        self,
        to: Address,
        data: bytes,
        *,
        summary: str = "",
        describe: Callable[[bytes], str] | None = None,
        done: Callable[[list[bytes]], bool] | None = None,
        timeout_ms: int | None = None,
    ) -> UdpResult:
        """Send ``data`` to ``to`` and collect answers until ``done(answers)`` (default: one
        answer) or the timeout. ``describe`` names an answer for the trace."""
        loop = asyncio.get_running_loop()
        record = not self.trace.is_embedded(*to)
        result = UdpResult()
        changed = asyncio.Event()
        finished = done or (lambda got: bool(got))
        started = time.perf_counter()

        def on_datagram(answer: bytes, peer: Address) -> None:
            if record:
                said = describe(answer) if describe is not None else _size(answer)
                self.trace.record(peer, result.src, self.protocol, said, answer, "udp", listener=to)
            if len(answer) <= self.max_size:
                result.datagrams.append(answer)
            changed.set()

        def on_error(exc: Exception) -> None:
            result.error = f"unreachable: {exc}"
            changed.set()

        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Socket(on_datagram, on_error),
            local_addr=(self.service.host, 0),
            remote_addr=to,
        )
        self._open.add(transport)
        try:
            sockname = transport.get_extra_info("sockname")
            result.src = (sockname[0], sockname[1])
            transport.sendto(data)
            if record:
                self.trace.record(
                    result.src, to, self.protocol, summary or _size(data), data, "udp", listener=to
                )
            limit = (self.timeout_ms if timeout_ms is None else timeout_ms) / 1000
            deadline = loop.time() + limit
            while not finished(result.datagrams) and result.error is None:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    result.error = f"timeout after {round(limit * 1000)} ms"
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), remaining)
                changed.clear()
        finally:
            transport.close()
            self._open.discard(transport)
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        return result

    async def send(self, to: Address, data: bytes, *, summary: str = "") -> UdpResult:
        """One datagram, no answer awaited (a WDP push, a SIP ACK)."""
        return await self.exchange(to, data, summary=summary, done=lambda _got: True)
