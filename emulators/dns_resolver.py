"""A stub resolver: one question to one server, over UDP, again over TCP when the answer
comes truncated.

It is a client part of the service that owns it (an SP asking for the
gateway, a gateway asking for the MMSC, an MM4 relay asking for MX, a WAP
gateway asking for the MMS domain): queries leave from that service's own
address, so the trace says who asked. Only an answer to *this* question is
taken (same ID, QR set, the same name and type echoed); anything else that
arrives on the socket is ignored and the wait goes on. An answer that does
not parse is an error naming the field, never a guess.

Exchanges with an embedded server are recorded by that server; with an
external one (a SUT, unbound) by this part, once, as everywhere.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

from mmsconf.emulators.codecs import dns
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.dns_tcp import frame
from mmsconf.emulators.transports.udp import UdpClient

Address = tuple[str, int]


@dataclass(frozen=True)
class DnsResult:
    """What a query came back with. ``rcode`` is None when no usable answer came (``error``
    says why: "timeout after ...", "unreachable: ...", "malformed answer: field: reason")."""

    rcode: int | None
    records: tuple[dns.Record, ...] = ()
    ttl: int | None = None
    via_tcp: bool = False
    error: str | None = None
    response: dns.DnsResponse | None = None
    tries: int = 1
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.rcode == dns.NOERROR

    @property
    def rcode_name(self) -> str:
        return dns.rcode_name(self.rcode) if self.rcode is not None else "no answer"

    def of_type(self, rtype: int | str) -> list[dns.Record]:
        code = dns.type_code(rtype)
        return [r for r in self.records if r.rtype == code]

    def first(self, rtype: int | str) -> dns.Record | None:
        found = self.of_type(rtype)
        return found[0] if found else None

    def describe(self) -> str:
        if self.error is not None:
            return self.error
        if self.rcode != dns.NOERROR:
            return self.rcode_name
        return ", ".join(r.text for r in self.records) or "no records"


class StubResolver:
    """A client part: ``await resolver.query(name, qtype)`` -> ``DnsResult``.

    ``timeout_ms`` bounds each try; ``retries`` more tries follow a timeout
    (each with a fresh ID). ``edns_udp``: send an OPT record advertising this
    UDP size (None: classic 512-byte DNS, no OPT).
    """

    def __init__(
        self,
        service: Service,
        trace: TraceRecorder,
        server: Address,
        *,
        timeout_ms: int = 1000,
        retries: int = 1,
        edns_udp: int | None = None,
        seed: int | None = None,
    ) -> None:
        self.service = service
        self.trace = trace
        self.server = server
        self.timeout_ms = timeout_ms
        self.retries = retries
        self.edns_udp = edns_udp
        self._udp = UdpClient(service, trace, "DNS", timeout_ms=timeout_ms)
        self._rng = random.Random(seed)
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        """Nothing to open: a socket per query."""

    async def stop(self) -> None:
        await self._udp.stop()
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    def _new_id(self) -> int:
        return self._rng.randrange(0x10000)

    async def query(self, name: str, qtype: int | str = dns.A) -> DnsResult:
        code = dns.type_code(qtype)
        started = time.perf_counter()
        tries = 0
        last_error = "no try made"
        while tries <= self.retries:
            tries += 1
            qid = self._new_id()
            message = dns.build_query(name, code, id=qid, edns_udp=self.edns_udp)
            result = await self._udp.exchange(
                self.server,
                message,
                summary=f"{dns.type_name(code)}? {dns.name_key(name)}",
                describe=dns.describe,
                done=lambda got, qid=qid: any(_is_answer_to(d, qid) for d in got),
                timeout_ms=self.timeout_ms,
            )
            answer = next((d for d in result.datagrams if _is_answer_to(d, qid)), None)
            if answer is None:
                last_error = result.error or "no answer"
                if last_error.startswith("unreachable"):
                    break  # nobody listens there: another try will not change that
                continue
            outcome = self._read(answer, name, code, via_tcp=False)
            if outcome.response is not None and outcome.response.tc:
                outcome = await self._over_tcp(message, name, code)
            return _with(outcome, tries, started)
        if last_error.startswith("timeout"):
            last_error = f"timeout after {self.timeout_ms} ms ({tries} tries)"
        return DnsResult(None, error=last_error, tries=tries, elapsed_ms=_ms(started))

    def _read(self, data: bytes, name: str, qtype: int, *, via_tcp: bool) -> DnsResult:
        try:
            response = dns.parse_response(data)
        except dns.DnsFormatError as err:
            return DnsResult(None, error=f"malformed answer: {err}", via_tcp=via_tcp)
        if response.question is not None and (
            dns.name_key(response.question[0]) != dns.name_key(name)
            or response.question[1] != qtype
        ):
            asked = f"{dns.type_name(response.question[1])}? {response.question[0]}"
            return DnsResult(None, error=f"answer for another question ({asked})", via_tcp=via_tcp)
        return DnsResult(
            response.rcode,
            records=response.answers,
            ttl=response.ttl,
            via_tcp=via_tcp,
            response=response,
        )

    async def _over_tcp(self, message: bytes, name: str, qtype: int) -> DnsResult:
        """The same question again over TCP (the UDP answer was truncated)."""
        record = not self.trace.is_embedded(*self.server)
        framed = frame(message)
        try:
            async with asyncio.timeout(self.timeout_ms / 1000):
                reader, writer = await asyncio.open_connection(
                    *self.server, local_addr=(self.service.host, 0)
                )
                self._writers.add(writer)
                try:
                    src = writer.get_extra_info("sockname")[:2]
                    writer.write(framed)
                    await writer.drain()
                    if record:
                        self._record(src, framed, dns.describe(message))
                    head = await reader.readexactly(2)
                    body = await reader.readexactly(int.from_bytes(head, "big"))
                finally:
                    self._writers.discard(writer)
                    writer.close()
        except TimeoutError:
            return DnsResult(
                None, error=f"timeout after {self.timeout_ms} ms over TCP", via_tcp=True
            )
        except (OSError, asyncio.IncompleteReadError) as err:
            return DnsResult(None, error=f"over TCP: {type(err).__name__}: {err}", via_tcp=True)
        if record:
            self._record(src, head + body, dns.describe(body), answer=True)
        return self._read(body, name, qtype, via_tcp=True)

    def _record(self, src: tuple, raw: bytes, summary: str, *, answer: bool = False) -> None:
        here = (src[0], src[1])
        a, b = (self.server, here) if answer else (here, self.server)
        self.trace.record(a, b, "DNS", summary, raw, "tcp", listener=self.server)


def _is_answer_to(data: bytes, qid: int) -> bool:
    return len(data) >= 12 and (data[0] << 8 | data[1]) == qid and bool(data[2] & 0x80)


def _with(result: DnsResult, tries: int, started: float) -> DnsResult:
    return DnsResult(
        result.rcode,
        result.records,
        result.ttl,
        result.via_tcp,
        result.error,
        result.response,
        tries,
        _ms(started),
    )


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
