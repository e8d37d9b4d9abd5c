"""A UDP DNS load generator: closed loop with a fixed window of queries in flight.

Each answer (or a query lost for ``timeout_s``) lets the next query go, so
the server is kept busy without a send rate to tune. Queries are one
pre-packed A question whose 16-bit ID is rewritten per query; answers are
matched by ID and checked cheaply (NOERROR, one answer) without parsing,
so the generator costs far less per query than any server it measures.
Works against any server on a loopback address: the bare responder now,
the selector and real servers later.
"""

from __future__ import annotations

import asyncio
import struct
import time

from dnslib import DNSRecord

from benchmarks.load import LoadRun


class _Load(asyncio.DatagramProtocol):
    def __init__(self, template: bytes, window: int, count: int, time_s: float, timeout_s: float):
        self.template = template  # the query without its 2-byte ID
        self.window = window
        self.count = count
        self.timeout_s = timeout_s
        self.transport: asyncio.DatagramTransport | None = None
        self.inflight: dict[int, float] = {}
        self.next_id = 0
        self.sent = 0
        self.run = LoadRun()
        self.lost = 0
        self.bad = 0
        self.late = 0
        self.started = time.perf_counter()
        self.deadline = self.started + time_s
        self.stopping = False
        self.done = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and the like: the server is not there.
        if self.run.first_error is None:
            self.run.first_error = f"{type(exc).__name__}: {exc}"

    def start(self) -> None:
        self.started = time.perf_counter()
        for _ in range(self.window):
            self.send_one()

    def send_one(self) -> None:
        if self.stopping or self.sent >= self.count or time.perf_counter() >= self.deadline:
            self.stopping = True
            self._maybe_done()
            return
        qid = self.next_id
        while qid in self.inflight:
            qid = (qid + 1) & 0xFFFF
        self.next_id = (qid + 1) & 0xFFFF
        self.inflight[qid] = time.perf_counter()
        self.sent += 1
        assert self.transport is not None
        self.transport.sendto(struct.pack("!H", qid) + self.template)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) < 12:
            self.bad += 1
            return
        sent_at = self.inflight.pop((data[0] << 8) | data[1], None)
        if sent_at is None:
            self.late += 1  # answered after we gave it up: already counted as lost
            return
        rcode = data[3] & 0x0F
        ancount = (data[6] << 8) | data[7]
        if rcode != 0 or ancount != 1:
            self.bad += 1
            if self.run.first_error is None:
                self.run.first_error = f"answer with rcode {rcode}, {ancount} answers"
        else:
            self.run.latencies_ms.append((time.perf_counter() - sent_at) * 1000)
            self.run.completed += 1
        self.send_one()

    def sweep(self) -> None:
        """Give up queries older than ``timeout_s`` (UDP may drop) and refill the window."""
        now = time.perf_counter()
        expired = [q for q, t in self.inflight.items() if now - t > self.timeout_s]
        for qid in expired:
            del self.inflight[qid]
            self.lost += 1
            self.send_one()
        if now >= self.deadline:
            self.stopping = True
        self._maybe_done()

    def _maybe_done(self) -> None:
        if self.stopping and not self.inflight and not self.done.done():
            self.done.set_result(None)


async def measure_dns(
    address: tuple[str, int],
    qname: str,
    *,
    window: int = 64,
    time_s: float = 3.0,
    count: int = 1_000_000,
    timeout_s: float = 0.5,
    source_host: str = "127.0.0.1",
) -> tuple[LoadRun, dict[str, int]]:
    """Queries/s and latency of the DNS server at ``address`` for ``qname`` A."""
    query = DNSRecord.question(qname, "A")
    template = query.pack()[2:]
    loop = asyncio.get_running_loop()
    transport, load = await loop.create_datagram_endpoint(
        lambda: _Load(template, window, count, time_s, timeout_s),
        local_addr=(source_host, 0),
        remote_addr=address,
    )
    try:
        load.start()
        while not load.done.done():
            await asyncio.wait([load.done], timeout=timeout_s / 4)
            load.sweep()
        load.run.elapsed_s = time.perf_counter() - load.started
        load.run.errors = load.lost + load.bad
        load.run.stopped_by = "time" if load.sent < count else "count"
    finally:
        transport.close()
    extra = {"sent": load.sent, "lost": load.lost, "bad": load.bad, "late": load.late}
    return load.run, extra
