"""DnsServer and StubResolver over real sockets: answers, FORMERR/REFUSED/SERVFAIL/NOTIMP,
TC then TCP, the trace (each message once, summaries), bounds, and the next query served."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Callable

from mmsconf.emulators.codecs import dns
from mmsconf.emulators.dns_resolver import StubResolver
from mmsconf.emulators.dns_server import DnsAnswer, DnsServer
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.dns_tcp import frame

ZONE = "operator.example"
NAME = "mmsg.operator.example"
URL = "http://127.0.40.1:18080/mm7"


async def zone_hook(query: dns.DnsQuery, peer, transport: str) -> DnsAnswer:
    if query.key == f"{NAME}.":
        if query.qtype == dns.URI:
            return DnsAnswer(answers=[dns.uri_record(NAME, URL)])
        return DnsAnswer(answers=[dns.a_record(NAME, "127.0.40.1")])
    if query.key == f"big.{ZONE}.":
        return DnsAnswer(answers=[dns.txt_record(query.key, "x" * 250) for _ in range(4)])
    if query.key == f"boom.{ZONE}.":
        raise RuntimeError("a hook bug")
    if query.key == f"down.{ZONE}.":
        return DnsAnswer(rcode=dns.SERVFAIL)
    return DnsAnswer(rcode=dns.NXDOMAIN)


async def started(trace: TraceRecorder, host: str) -> DnsServer:
    server = DnsServer(trace, host, zones=[ZONE], answer=zone_hook)
    await server.start()
    return server


def client(
    trace: TraceRecorder, host: str, server: DnsServer, **kw
) -> tuple[Service, StubResolver]:
    owner = Service("SP", host)
    resolver = owner.add_client(StubResolver(owner, trace, server.address, timeout_ms=1500, **kw))
    return owner, resolver


def test_udp_answers_and_the_trace_holds_each_message_once(host: Callable[[], str]) -> None:
    async def main() -> None:
        trace = TraceRecorder()
        server = await started(trace, host())
        owner, resolver = client(trace, host(), server, seed=1)
        try:
            got = await resolver.query(NAME, "URI")
            assert got.ok and not got.via_tcp and got.ttl == 0
            assert got.first("URI").target == URL
            nx = await resolver.query(f"nobody.{ZONE}", "A")
            assert (nx.rcode, nx.error) == (dns.NXDOMAIN, None)
        finally:
            await owner.stop()
            await server.stop()
        events = trace.events()
        assert [(e.src.host, e.dst.host, e.transport) for e in events][:2] == [
            (owner.host, server.host, "udp"),
            (server.host, owner.host, "udp"),
        ]
        assert len(events) == 4  # two queries, two answers: the server records, the client not
        assert events[0].summary == f"URI? {NAME}."
        assert events[1].summary == f'URI? {NAME}. -> 10 1 "{URL}" ttl 0'
        assert events[3].summary.endswith("-> NXDOMAIN")
        assert all(e.listener == server.address for e in events)
        assert server.counts["answered"] == 2

    asyncio.run(main())


def test_refused_servfail_and_a_hook_bug(host: Callable[[], str]) -> None:
    async def main() -> None:
        trace = TraceRecorder()
        server = await started(trace, host())
        owner, resolver = client(trace, host(), server)
        try:
            assert (await resolver.query("example.com", "A")).rcode == dns.REFUSED
            assert (await resolver.query(f"down.{ZONE}", "A")).rcode == dns.SERVFAIL
            assert (await resolver.query(f"boom.{ZONE}", "A")).rcode == dns.SERVFAIL
            assert (await resolver.query(NAME, "A")).ok  # still serving
        finally:
            await owner.stop()
            await server.stop()
        assert (server.counts["refused"], server.counts["servfail"]) == (1, 2)

    asyncio.run(main())


def test_truncated_udp_answer_is_asked_again_over_tcp(host: Callable[[], str]) -> None:
    async def main() -> None:
        trace = TraceRecorder()
        server = await started(trace, host())
        owner, resolver = client(trace, host(), server)
        try:
            got = await resolver.query(f"big.{ZONE}", "TXT")
        finally:
            await owner.stop()
            await server.stop()
        assert got.ok and got.via_tcp and len(got.records) == 4
        kinds = [(e.transport, e.summary.endswith("(TC)")) for e in trace.events()]
        assert kinds == [("udp", False), ("udp", True), ("tcp", False), ("tcp", False)]
        assert server.counts["truncated"] == 1

    asyncio.run(main())


def raw_udp(
    address: tuple[str, int], source: str, data: bytes, wait_s: float = 0.3
) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        s.settimeout(wait_s)
        s.sendto(data, address)
        try:
            return s.recv(65535)
        except TimeoutError:
            return None


def test_malformed_queries_get_formerr_or_nothing_and_the_next_is_answered(
    host: Callable[[], str],
) -> None:
    async def main() -> None:
        trace = TraceRecorder()
        server = await started(trace, host())
        source = host()
        loop = asyncio.get_running_loop()
        try:

            async def send(data: bytes, wait_s: float = 0.3) -> bytes | None:
                return await loop.run_in_executor(
                    None, raw_udp, server.address, source, data, wait_s
                )

            two_questions = struct.pack("!HHHHHH", 77, 0x0100, 2, 0, 0, 0)
            reply = await send(two_questions)
            assert reply is not None
            assert struct.unpack("!HH", reply[:4]) == (77, 0x8100 | dns.FORMERR)
            loop_name = struct.pack("!HHHHHH", 78, 0, 1, 0, 0, 0) + b"\xc0\x0c\x00\x01\x00\x01"
            assert struct.unpack("!HH", (await send(loop_name))[:4]) == (78, 0x8000 | dns.FORMERR)
            notify = struct.pack("!HHHHHH", 79, 0x2000, 1, 0, 0, 0)
            assert (await send(notify))[3] & 0xF == dns.NOTIMP
            assert await send(b"\x01\x02\x03", 0.2) is None  # too short to answer
            a_response = struct.pack("!HHHHHH", 80, 0x8000, 0, 0, 0, 0)
            assert await send(a_response, 0.2) is None  # never answer a response
            assert await send(b"\x00" * 5000, 0.2) is None  # over the size bound: dropped
            valid = dns.build_query(NAME, "A", id=81)
            answer = dns.parse_response(await send(valid, 2.0))
            assert answer.id == 81 and answer.answers[0].address == "127.0.40.1"
        finally:
            await server.stop()
        assert server.counts["formerr"] == 2 and server.counts["notimp"] == 1
        summaries = [e.summary for e in trace.events()]
        assert any("qdcount" in s and "not a query" in s for s in summaries)
        assert any("not handled (max_size)" in s for s in summaries)

    asyncio.run(main())


def test_tcp_pipelined_queries_and_garbage(host: Callable[[], str]) -> None:
    async def main() -> None:
        trace = TraceRecorder()
        server = await started(trace, host())
        try:
            reader, writer = await asyncio.open_connection(*server.address, local_addr=(host(), 0))
            writer.write(
                frame(dns.build_query(NAME, "A", id=1)) + frame(b"\x00\x05\x00\x00\xff\xffgarbage")
            )
            writer.write(frame(dns.build_query(NAME, "URI", id=2)))
            await writer.drain()
            answers = []
            for _ in range(3):
                length = int.from_bytes(await asyncio.wait_for(reader.readexactly(2), 3), "big")
                answers.append(await reader.readexactly(length))
            writer.close()
            await writer.wait_closed()
        finally:
            await server.stop()
        first, bad, second = answers
        assert dns.parse_response(first).id == 1
        assert bad[3] & 0xF == dns.FORMERR and bad[:2] == b"\x00\x05"
        assert dns.parse_response(second).records(dns.URI)[0].target == URL

    asyncio.run(main())


def test_resolver_timeouts_retries_and_unreachable(host: Callable[[], str]) -> None:
    async def main() -> None:
        trace = TraceRecorder()
        server = await started(trace, host())
        server.faults.drop = True  # reads every query, answers none
        owner = Service("GW", host())
        resolver = owner.add_client(
            StubResolver(owner, trace, server.address, timeout_ms=100, retries=2)
        )
        try:
            got = await resolver.query(NAME, "A")
            assert got.rcode is None and got.tries == 3
            assert got.error == "timeout after 100 ms (3 tries)"
            server.faults.drop = False
            await server.stop()
            gone = await resolver.query(NAME, "A")
            assert gone.rcode is None and gone.error.startswith("unreachable")
        finally:
            await owner.stop()
            await server.stop()
        # Three tries recorded by the server (each a fresh ID), none answered; the fourth
        # query, to nobody, recorded by the resolver itself.
        events = trace.events()
        assert len({e.raw[:2] for e in events[:3]}) == 3
        assert [e.listener for e in events] == [server.address] * 4

    asyncio.run(main())


def test_resolver_ignores_answers_to_other_questions(host: Callable[[], str]) -> None:
    """A server that answers with the wrong ID first, then a good one: only the good one counts."""

    async def main() -> None:
        trace = TraceRecorder()
        fake_host = host()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((fake_host, 0))
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        owner = Service("SP", host())
        resolver = owner.add_client(
            StubResolver(owner, trace, sock.getsockname(), timeout_ms=1000, retries=0)
        )

        async def serve() -> None:
            data, peer = await loop.sock_recvfrom(sock, 4096)
            query = dns.parse_query(data)
            wrong = bytes([data[0] ^ 0xFF, data[1]]) + data[2:]
            other = dns.parse_query(wrong)
            await loop.sock_sendto(sock, dns.encode_response(other, rcode=dns.NXDOMAIN), peer)
            good = dns.encode_response(query, answers=[dns.a_record(NAME, "127.0.0.9")])
            await loop.sock_sendto(sock, good, peer)

        try:
            task = asyncio.create_task(serve())
            got = await resolver.query(NAME, "A")
            await task
        finally:
            await owner.stop()
            sock.close()
        assert got.ok and got.first("A").address == "127.0.0.9"
        # The server is external (not an embedded emulator): the resolver recorded the
        # query and the answer it took, and the stray answer too (what crossed the socket).
        assert len(trace.events()) >= 2

    asyncio.run(main())
