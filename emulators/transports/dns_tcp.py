"""DNS over TCP, the framing only: each message behind a two-byte length (RFC 1035 §4.2.2).

A listening part that reads framed messages one after another on each
connection (RFC 7766 lets a client send several), hands each to a handler
(bytes in, bytes out, or None to close), and frames the answer. It knows no
DNS beyond the framing; ``describe`` names messages for the trace.

Bounds, each refusal an event ``dns_tcp_refused`` (``why``) on the service:
``max_message`` bytes per message (a larger declared length closes the
connection before its body is read), ``idle_timeout_ms`` to receive a whole
message once the server waits for one (then the connection is closed, as
RFC 7766 §6.2.3 has servers do with idle clients), ``max_connections`` open
at once (one past it is closed at once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.base import Arrival, ListenAddress

log = logging.getLogger(__name__)

#: Two bytes of length: no message can be longer.
MAX_FRAMED = 0xFFFF

DnsHandler = Callable[[bytes], Awaitable[bytes | None]]


def frame(message: bytes) -> bytes:
    """``message`` with its two-byte length in front."""
    if len(message) > MAX_FRAMED:
        raise ValueError(f"a {len(message)}-byte message does not fit a two-byte length")
    return len(message).to_bytes(2, "big") + message


def _size(message: bytes) -> str:
    return f"{len(message)} bytes"


class DnsTcpServer:
    """A listening part: length-framed messages over TCP, answered one at a time per connection.

    What the trace holds is what crossed the wire: each message with its
    length prefix, so a pcap of it dissects as DNS over TCP.
    """

    def __init__(
        self,
        service: Service,
        trace: TraceRecorder,
        handler: DnsHandler,
        *,
        protocol: str = "DNS",
        describe: Callable[[bytes], str] | None = None,
        port: int | None = None,
        max_message: int = MAX_FRAMED,
        idle_timeout_ms: int = 10_000,
        max_connections: int = 100,
    ) -> None:
        self.service = service
        self.trace = trace
        self.handler = handler
        self.protocol = protocol
        self.describe = describe or _size
        self.max_message = max_message
        self.idle_timeout_ms = idle_timeout_ms
        self.max_connections = max_connections
        self._where = ListenAddress(service, port, udp=True)
        self._server: asyncio.base_events.Server | None = None
        self._connections: dict[asyncio.Task, asyncio.StreamWriter] = {}

    @property
    def port(self) -> int:
        return self._where.port

    @property
    def address(self) -> tuple[str, int]:
        return self._where.address

    async def start(self) -> None:
        host, port = self._where.claim()
        self._server = await asyncio.start_server(
            self._serve, host, port, reuse_address=True, backlog=1024
        )
        self.trace.register(self.service.role, host, port, embedded=True)

    async def stop(self) -> None:
        self.trace.unregister(*self.address)
        if self._server is not None:
            self._server.close()
        tasks = list(self._connections)
        for task, writer in list(self._connections.items()):
            writer.close()
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        self._server = None

    def _refused(self, why: str, peer: tuple[str, int]) -> None:
        self.service.events.emit("dns_tcp_refused", why=why, peer=peer)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        name = writer.get_extra_info("peername")
        peer = (name[0], name[1]) if name else ("?", 0)
        if len(self._connections) >= self.max_connections:
            writer.close()
            self._refused("max_connections", peer)
            return
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            while await self._one(reader, writer, peer):
                pass
        except ConnectionError:
            pass  # the peer went away mid-answer: nothing more to do
        finally:
            self._connections.pop(task, None)
            writer.close()

    async def _one(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: tuple[str, int]
    ) -> bool:
        """One message and its answer; False when the connection is to close."""
        head = b""
        try:
            async with asyncio.timeout(self.idle_timeout_ms / 1000):
                head = await reader.readexactly(2)
                length = int.from_bytes(head, "big")
                if length > self.max_message:
                    self._record_in(peer, head, f"length {length}: over {self.max_message}")
                    self._refused("max_message", peer)
                    return False
                body = await reader.readexactly(length)
        except TimeoutError:
            self._refused("idle_timeout", peer)
            return False
        except asyncio.IncompleteReadError as err:
            if head or err.partial:  # it ended inside a message: record what came
                self._record_in(peer, head + err.partial, "incomplete message")
            return False
        arrival = Arrival(self.trace, peer, self.address, self.protocol, head + body)
        arrival.record(self.describe(body))
        try:
            answer = await self.handler(body)
        except Exception:  # a handler bug: close this connection, keep serving others
            log.exception("%s: %s over TCP handler failed", self.service.role, self.protocol)
            return False
        if answer is None:
            return False
        framed = frame(answer)
        writer.write(framed)
        self.trace.record(
            self.address,
            peer,
            self.protocol,
            self.describe(answer),
            framed,
            listener=self.address,
        )
        await writer.drain()
        return True

    def _record_in(self, peer: tuple[str, int], raw: bytes, summary: str) -> None:
        Arrival(self.trace, peer, self.address, self.protocol, raw).record(summary)
