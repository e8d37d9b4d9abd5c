"""DNS over TCP framing over real sockets: real DNS messages (dnslib), bounds, the trace."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import dnslib
import pytest

from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceEvent, TraceRecorder
from mmsconf.emulators.transports.dns_tcp import DnsTcpServer, frame
from mmsconf.emulators.transports.udp import Datagram, UdpAnswer, UdpClient, UdpHandled, UdpServer

WAIT_S = 3


async def resolve(message: bytes) -> bytes | None:
    """A one-name zone: mmsc.example A 127.0.2.1; b"close" closes; b"boom" is a bug."""
    if message == b"close":
        return None
    if message == b"boom":
        raise ValueError("a handler bug")
    query = dnslib.DNSRecord.parse(message)
    reply = query.reply()
    if str(query.q.qname) == "mmsc.example.":
        reply.add_answer(dnslib.RR("mmsc.example", rdata=dnslib.A("127.0.2.1"), ttl=60))
    else:
        reply.header.rcode = dnslib.RCODE.NXDOMAIN
    return bytes(reply.pack())


def describe(message: bytes) -> str:
    try:
        record = dnslib.DNSRecord.parse(message)
    except dnslib.DNSError:
        return f"{len(message)} bytes, not DNS"
    kind = "answer" if record.header.qr else "query"
    return f"{kind} {record.q.qname} id={record.header.id}"


def query(name: str, qid: int) -> bytes:
    return bytes(
        dnslib.DNSRecord(dnslib.DNSHeader(id=qid, rd=1), q=dnslib.DNSQuestion(name)).pack()
    )


async def read_framed(reader: asyncio.StreamReader) -> bytes:
    length = int.from_bytes(await asyncio.wait_for(reader.readexactly(2), WAIT_S), "big")
    return await asyncio.wait_for(reader.readexactly(length), WAIT_S)


async def closed(reader: asyncio.StreamReader) -> bool:
    """True when the server ended the connection (EOF or reset) within WAIT_S."""
    try:
        return await asyncio.wait_for(reader.read(), WAIT_S) == b""
    except ConnectionResetError:
        return True


def dns_service(trace: TraceRecorder, host: str, **kw: object) -> tuple[Service, DnsTcpServer]:
    service = Service("DNS", host)
    server = service.add_listener(DnsTcpServer(service, trace, resolve, describe=describe, **kw))
    return service, server


def test_pipelined_queries_are_answered_in_order_and_recorded_with_their_framing(
    host: Callable[[], str],
) -> None:
    async def main() -> list[TraceEvent]:
        trace = TraceRecorder()
        service, server = dns_service(trace, host())
        await service.start()
        try:
            reader, writer = await asyncio.open_connection(*server.address)
            # Two queries in one write (RFC 7766 §6.2.1.1), a length split over segments.
            writer.write(frame(query("mmsc.example", 1)) + frame(query("nobody.example", 2)))
            await writer.drain()
            first = dnslib.DNSRecord.parse(await read_framed(reader))
            second = dnslib.DNSRecord.parse(await read_framed(reader))
            assert (first.header.id, str(first.a.rdata)) == (1, "127.0.2.1")
            assert (second.header.id, second.header.rcode) == (2, dnslib.RCODE.NXDOMAIN)
            writer.close()
        finally:
            await service.stop()
        return trace.events()

    events = asyncio.run(main())
    assert [e.summary for e in events] == [
        "query mmsc.example. id=1",
        "answer mmsc.example. id=1",
        "query nobody.example. id=2",
        "answer nobody.example. id=2",
    ]
    assert all(e.raw[:2] == len(e.raw[2:]).to_bytes(2, "big") for e in events)
    assert all(e.listener == (events[0].dst.host, events[0].dst.port) for e in events)


@pytest.mark.parametrize(
    ("kw", "send", "why"),
    [
        ({"max_message": 100}, (200).to_bytes(2, "big") + b"x" * 10, "max_message"),
        ({"idle_timeout_ms": 150}, b"", "idle_timeout"),
        ({"idle_timeout_ms": 150}, b"\x00\x20half", "idle_timeout"),  # a slow sender
    ],
    ids=["declared length over the limit", "idle", "stalled mid-message"],
)
def test_bounds_close_the_connection_and_the_server_keeps_serving(
    host: Callable[[], str], kw: dict[str, int], send: bytes, why: str
) -> None:
    async def main() -> None:
        trace = TraceRecorder()
        service, server = dns_service(trace, host(), **kw)
        await service.start()
        try:
            reader, writer = await asyncio.open_connection(*server.address)
            writer.write(send)
            assert await closed(reader)
            assert [e["why"] for e in service.events.of("dns_tcp_refused")] == [why]
            writer.close()
            reader, writer = await asyncio.open_connection(*server.address)
            writer.write(frame(query("mmsc.example", 7)))
            assert dnslib.DNSRecord.parse(await read_framed(reader)).header.id == 7
            writer.close()
        finally:
            await service.stop()

    asyncio.run(main())


def test_connections_past_the_cap_are_closed_and_the_others_served(host: Callable[[], str]) -> None:
    async def main() -> None:
        trace = TraceRecorder()
        service, server = dns_service(trace, host(), max_connections=2)
        await service.start()
        try:
            held = [await asyncio.open_connection(*server.address) for _ in range(2)]
            await service.events.wait_for(lambda _: len(server._connections) == 2, 3000, "two")
            reader, writer = await asyncio.open_connection(*server.address)
            assert await closed(reader)
            assert [e["why"] for e in service.events.of("dns_tcp_refused")] == ["max_connections"]
            r, w = held[0]
            w.write(frame(query("mmsc.example", 9)))
            assert dnslib.DNSRecord.parse(await read_framed(r)).header.id == 9
            for _, w in held:
                w.close()
            writer.close()
        finally:
            await service.stop()

    asyncio.run(main())


def test_no_answer_or_a_handler_bug_closes_that_connection_only(host: Callable[[], str]) -> None:
    async def main() -> None:
        trace = TraceRecorder()
        service, server = dns_service(trace, host())
        await service.start()
        try:
            for message in (b"close", b"boom"):
                reader, writer = await asyncio.open_connection(*server.address)
                writer.write(frame(message))
                assert await closed(reader)
                writer.close()
            reader, writer = await asyncio.open_connection(*server.address)
            writer.write(frame(query("mmsc.example", 3)))
            assert dnslib.DNSRecord.parse(await read_framed(reader)).header.id == 3
            writer.close()
        finally:
            await service.stop()

    asyncio.run(main())


def test_udp_and_tcp_on_one_port_go_down_and_come_up_together(
    host: Callable[[], str], until_recorded: Callable[..., Awaitable[list[TraceEvent]]]
) -> None:
    """A DNS server's two listeners: one service, one port, one lifecycle."""

    async def main() -> None:
        trace = TraceRecorder()
        service = Service("DNS", host())
        udp = service.add_listener(UdpServer(service, trace, "DNS", over_udp))
        tcp = service.add_listener(DnsTcpServer(service, trace, resolve, describe=describe))
        await service.start()
        caller = Service("RESOLVER", host())
        client = caller.add_client(UdpClient(caller, trace, "DNS", timeout_ms=2000))
        try:
            assert udp.port == tcp.port == service.port != 0
            await service.go_down()
            with pytest.raises(OSError):
                await asyncio.open_connection(*tcp.address)
            down = await client.exchange(udp.address, query("mmsc.example", 4))
            assert down.error is not None and down.error.startswith("unreachable")
            await service.come_up()
            assert udp.port == tcp.port == service.port
            up = await client.exchange(udp.address, query("mmsc.example", 5))
            assert dnslib.DNSRecord.parse(up.answer).header.id == 5
            reader, writer = await asyncio.open_connection(*tcp.address)
            writer.write(frame(query("mmsc.example", 6)))
            assert dnslib.DNSRecord.parse(await read_framed(reader)).header.id == 6
            writer.close()
            events = await until_recorded(trace, 5)
            assert [(e.transport, e.summary) for e in events] == [
                # While down, nothing listened: the client recorded what it sent.
                ("udp", "30 bytes"),
                ("udp", "query mmsc.example. id=5"),
                ("udp", "answer mmsc.example. id=5"),
                ("tcp", "query mmsc.example. id=6"),
                ("tcp", "answer mmsc.example. id=6"),
            ]
        finally:
            await caller.stop()
            await service.stop()

    asyncio.run(main())


async def over_udp(datagram: Datagram) -> UdpHandled:
    answer = await resolve(datagram.data)
    assert answer is not None
    return UdpHandled(describe(datagram.data), [UdpAnswer(answer, describe(answer))])


def test_a_listener_that_cannot_bind_leaves_nothing_open(host: Callable[[], str]) -> None:
    """Start is all or nothing: the UDP listener opened first is closed again."""

    async def main() -> None:
        trace = TraceRecorder()
        where = host()
        squatter = Service("SQUATTER", where)
        squatter.add_listener(DnsTcpServer(squatter, trace, resolve))
        await squatter.start()
        service = Service("DNS", where, squatter.port)
        service.add_listener(UdpServer(service, trace, "DNS", over_udp))
        service.add_listener(DnsTcpServer(service, trace, resolve))
        try:
            with pytest.raises(OSError):
                await service.start()
            assert not service.running and not service.listening
            # The UDP port is free again: a fresh UDP socket can take it.
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_datagram_endpoint(
                asyncio.DatagramProtocol, local_addr=(where, squatter.port)
            )
            transport.close()
        finally:
            await squatter.stop()

    asyncio.run(main())
