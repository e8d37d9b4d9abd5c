"""A DNS server: one UDP and one TCP part on the same port, answering through a hook.

``DnsServer`` owns the protocol's rules so the hook only decides answers:
bytes that do not parse as a query get FORMERR (NOTIMP for another opcode;
nothing at all for a response or fewer than 12 bytes, which cannot be
answered safely), a name outside the server's zones gets REFUSED, a hook that
raises gets SERVFAIL, and a UDP answer larger than the client takes (512
bytes, or its EDNS size) goes out truncated with TC set so the client asks
again over TCP. Every query and answer is recorded once, by the parts
(protocol "DNS", transport "udp" or "tcp"), with one-line summaries.

The hook is ``answer(query, peer, transport) -> DnsAnswer``: override the
method, or pass a callable. ``peer`` is the client's (host, port) over UDP
and None over TCP (the framing part does not hand it on).

Bounds (hostile input): a datagram over ``MAX_QUERY`` bytes is dropped and
recorded, so is one past ``max_pending`` in flight; TCP has the framing
part's limits (message size, idle timeout, connection cap). Whatever comes,
the next valid query is answered.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from dnslib import RR

from mmsconf.emulators.codecs import dns
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.dns_tcp import DnsTcpServer
from mmsconf.emulators.transports.udp import Datagram, UdpAnswer, UdpHandled, UdpServer

log = logging.getLogger(__name__)

Peer = tuple[str, int]


@dataclass
class DnsAnswer:
    """What the hook decided. ``wire``: an answer already encoded (its ID included) — the
    server still truncates it when it does not fit the client's UDP size."""

    rcode: int = dns.NOERROR
    answers: Sequence[RR] = ()
    authority: Sequence[RR] = ()
    additional: Sequence[RR] = ()
    aa: bool = True
    ttl: int | None = None
    drop: bool = False  # send nothing (a bounded drop)
    summary: str = ""  # "": made from what is sent
    wire: bytes | None = None


AnswerHook = Callable[[dns.DnsQuery, Peer | None, str], Awaitable[DnsAnswer]]


@dataclass
class Responded:
    """One query's handling: what to send (None: nothing) and how the trace names both."""

    wire: bytes | None
    query_summary: str
    answer_summary: str
    query: dns.DnsQuery | None = None
    rcode: int | None = None


class DnsServer(Service):
    def __init__(
        self,
        trace: TraceRecorder,
        host: str,
        port: int = 0,
        *,
        role: str = "DNS",
        zones: Iterable[str] = (),
        answer: AnswerHook | None = None,
        mode: dns.Mode = dns.Mode.STRICT,
        max_pending: int = 1000,
        tcp_idle_timeout_ms: int = 10_000,
        tcp_max_connections: int = 100,
    ) -> None:
        super().__init__(role, host, port)
        self.trace = trace
        self.zones = [dns.name_key(z) for z in zones]
        self.mode = mode
        self._hook = answer
        #: Queries by outcome: "answered", "formerr", "refused", "servfail", "notimp",
        #: "dropped", "truncated" (a server under test shows its counts; steps may read them).
        self.counts: Counter[str] = Counter()
        self.udp = self.add_listener(
            UdpServer(
                self,
                trace,
                "DNS",
                self._on_datagram,
                max_size=dns.MAX_QUERY,
                max_pending=max_pending,
                faults=True,
            )
        )
        self.tcp = self.add_listener(
            DnsTcpServer(
                self,
                trace,
                self._on_tcp,
                describe=dns.describe,
                max_message=dns.MAX_QUERY,
                idle_timeout_ms=tcp_idle_timeout_ms,
                max_connections=tcp_max_connections,
            )
        )

    # --- the hook -------------------------------------------------------------------
    async def answer(self, query: dns.DnsQuery, peer: Peer | None, transport: str) -> DnsAnswer:
        """Decide the answer to a query inside the zones (override, or pass ``answer=``)."""
        if self._hook is not None:
            return await self._hook(query, peer, transport)
        return DnsAnswer(rcode=dns.NXDOMAIN)

    def serves(self, query: dns.DnsQuery) -> bool:
        """Whether the name asked is inside one of the server's zones."""
        key = query.key
        return any(zone == "." or key == zone or key.endswith("." + zone) for zone in self.zones)

    # --- handling ---------------------------------------------------------------------
    async def respond(self, data: bytes, peer: Peer | None, transport: str) -> Responded:
        """Everything but the socket: parse, refuse, ask the hook, encode, truncate."""
        try:
            query = dns.parse_query(data, self.mode)
        except dns.DnsFormatError as err:
            reply = dns.error_reply(data, err.rcode)
            kind = "formerr" if err.rcode == dns.FORMERR else dns.rcode_name(err.rcode).lower()
            self.counts[kind if reply is not None else "dropped"] += 1
            self.events.emit("dns_refused", why=str(err), transport=transport, peer=peer)
            said = f"{len(data)} bytes, not a query ({err})"
            return Responded(reply, said, dns.rcode_name(err.rcode) if reply else "")
        asked = dns.summarize_query(query)
        if not self.serves(query):
            return self._encode(query, DnsAnswer(rcode=dns.REFUSED), asked, transport)
        try:
            decided = await self.answer(query, peer, transport)
        except Exception:  # a hook bug: SERVFAIL, keep serving
            log.exception("%s: the answer hook failed for %s", self.role, asked)
            decided = DnsAnswer(rcode=dns.SERVFAIL, summary="SERVFAIL (the server failed)")
        if decided.drop:
            self.counts["dropped"] += 1
            return Responded(None, asked + " (not answered)", "", query)
        return self._encode(query, decided, asked, transport)

    def _encode(
        self, query: dns.DnsQuery, decided: DnsAnswer, asked: str, transport: str
    ) -> Responded:
        limit = query.max_udp if transport == "udp" else None
        wire = decided.wire
        truncated = False
        if wire is not None and limit is not None and len(wire) > limit:
            wire = None  # encode again below, which truncates
        if wire is None:
            wire = dns.encode_response(
                query,
                rcode=decided.rcode,
                answers=decided.answers,
                authority=decided.authority,
                additional=decided.additional,
                ttl=decided.ttl,
                max_udp=limit,
                aa=decided.aa,
            )
            truncated = bool(wire[2] & 0x02)
        self.counts["truncated" if truncated else _outcome(decided.rcode)] += 1
        said = decided.summary
        if truncated or not said:
            records = () if truncated else decided.answers
            said = dns.summarize_answer(
                (query.qname, query.qtype), decided.rcode, records, truncated
            )
        return Responded(wire, asked, said, query, decided.rcode)

    async def _on_datagram(self, datagram: Datagram) -> UdpHandled:
        done = await self.respond(datagram.data, datagram.peer, "udp")
        answers = [UdpAnswer(done.wire, done.answer_summary)] if done.wire is not None else []
        return UdpHandled(done.query_summary, answers)

    async def _on_tcp(self, message: bytes) -> bytes | None:
        done = await self.respond(message, None, "tcp")
        return done.wire


def _outcome(rcode: int) -> str:
    return {
        dns.NOERROR: "answered",
        dns.NXDOMAIN: "answered",
        dns.SERVFAIL: "servfail",
        dns.REFUSED: "refused",
        dns.FORMERR: "formerr",
    }.get(rcode, "answered")
