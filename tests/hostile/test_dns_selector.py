"""Hostile input on the DNS selector's sockets, and gateways whose status resource misbehaves.

DNS over UDP and over TCP (the two-byte length prefix): truncated messages,
compression-pointer loops and forward pointers, counts that lie, names over
255 bytes, oversized messages, responses sent as queries, floods. Each gets
FORMERR (echoing the ID), or a bounded drop (nothing over UDP; a close over
TCP), and after each the next valid query for the gateway name is answered
with the gateway. Then heartbeats: a status resource answering garbage, an
HTTP error, closing the connection or nothing at all takes its gateway out
(the query then gets the other gateway), never the selector down.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from mmsconf.emulators.codecs import dns
from mmsconf.emulators.codecs import gateway_status as gs
from mmsconf.emulators.dns_selector import DnsSelector, SelectorConfig
from mmsconf.emulators.gs_gateway import Heartbeat, SelectableGateway
from mmsconf.emulators.mm7_http import Credentials
from mmsconf.emulators.mmsg import FarmDirectory, MmsgConfig
from mmsconf.emulators.selection import State
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.dns_tcp import frame

HOST = "127.0.97.1"
GATEWAY_NAME = "mmsg.operator.example"
WAIT_MS = 5000

# --------------------------------------------------------------------------- the network


@asynccontextmanager
async def selector_with(*gateways: tuple[str, str], period_ms: int = 60_000) -> AsyncIterator[Any]:
    """A running selector that knows ``gateways`` ((name, host)), each a real status-serving
    gateway; with the default period only the first heartbeat goes out during a test."""
    trace = TraceRecorder()
    config = SelectorConfig(
        heartbeat_period_ms=period_ms, heartbeat_timeout_ms=min(150, period_ms // 2),
        missed_heartbeats=2, criteria=("delay",),
    )  # fmt: skip
    selector = DnsSelector(trace, HOST, 0, config=config)
    running = []
    for name, host in gateways:
        gateway = SelectableGateway(
            trace, name, 180 + len(running), host, 0, {}, FarmDirectory(),
            MmsgConfig(mmsc_credentials=Credentials("mmsg", "x")),
            dns_server=(HOST, 53), mmsc_names={},
        )  # fmt: skip
        await gateway.start()
        running.append(gateway)
        selector.add_gateway(name, host, gateway.submit_url, gateway.status_url)
    await selector.start()
    try:
        names = [name for name, _ in gateways]
        await selector.events.wait_for(
            lambda _: selector.table.names(state=State.IN) == sorted(names), WAIT_MS,
            "every gateway in",
        )  # fmt: skip
        yield selector, running
    finally:
        await selector.stop()
        for gateway in running:
            await gateway.stop()


def gateway_query(qid: int) -> bytes:
    return dns.build_query(GATEWAY_NAME, "URI", id=qid)


def answered_with_gateway(data: bytes) -> str | None:
    """None when ``data`` is a NOERROR answer naming a gateway by its MM7 URL; else why not."""
    try:
        response = dns.parse_response(data)
    except dns.DnsFormatError as err:
        return f"the answer does not parse: {err}"
    uri = next((r for r in response.answers if r.type_name == "URI"), None)
    if response.rcode != dns.NOERROR or uri is None:
        return f"{dns.rcode_name(response.rcode)} with {len(response.answers)} answers"
    return None


# --------------------------------------------------------------------------- hostile DNS


def _header(qid: int, flags: int, qd: int, an: int = 0, ns: int = 0, ar: int = 0) -> bytes:
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


QUESTION = b"\x04mmsg\x08operator\x07example\x00\x01\x00\x01"
LONG_NAME = b"".join(b"\x3f" + b"a" * 63 for _ in range(5)) + b"\x00\x00\x01\x00\x01"


def formerr_cases() -> list[tuple[str, bytes]]:
    """(name, query) that must each get FORMERR echoing the ID (the first two bytes)."""
    return [
        ("a compression-pointer loop", _header(0x1101, 0, 1) + b"\xc0\x0c\x00\x01\x00\x01"),
        ("a pointer to itself", _header(0x1102, 0, 1) + b"\x03abc\xc0\x0c\x00\x01\x00\x01"),
        ("a pointer forward", _header(0x1103, 0, 1) + b"\xc0\x20\x00\x01\x00\x01" + b"\0" * 30),
        ("a pointer past the end", _header(0x1104, 0, 1) + b"\xc3\xff\x00\x01\x00\x01"),
        ("cut short in the question", _header(0x1105, 0, 1) + QUESTION[:9]),
        ("no QTYPE/QCLASS", _header(0x1106, 0, 1) + QUESTION[:-4]),
        ("a label running past the end", _header(0x1107, 0, 1) + b"\x3fabc"),
        ("QDCOUNT 0", _header(0x1108, 0, 0)),
        ("QDCOUNT 2, one question", _header(0x1109, 0, 2) + QUESTION),
        ("QDCOUNT 65535", _header(0x110A, 0, 0xFFFF) + QUESTION),
        ("ARCOUNT 3, nothing after", _header(0x110B, 0, 1, ar=3) + QUESTION),
        ("ANCOUNT 255, nothing after", _header(0x110C, 0, 1, an=255) + QUESTION),
        ("a name over 255 bytes", _header(0x110D, 0, 1) + LONG_NAME),
        ("TC set in a query", _header(0x110E, 0x0200, 1) + QUESTION),
        ("a 0x40 label type", _header(0x110F, 0, 1) + b"\x41abc\x00\x00\x01\x00\x01"),
    ]


def dropped_cases() -> list[tuple[str, bytes]]:
    """(name, bytes) that cannot be answered safely: nothing comes back."""
    response = _header(0x2201, 0x8400, 1) + QUESTION
    return [
        ("11 bytes", b"\x12\x34" + b"\x00" * 9),
        ("empty", b""),
        ("a response (QR set)", response),
        ("4,097 bytes", _header(0x2202, 0, 1) + QUESTION + b"\x00" * (4097 - 12 - len(QUESTION))),
    ]


class _Socket(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.got: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.got.put_nowait(data)


async def udp_exchange(address: tuple[str, int], grams: list[bytes], listen_ms: int) -> list[bytes]:
    """Send ``grams`` from one socket; everything that comes back within ``listen_ms``
    of the last answer (or of sending, when none comes)."""
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(_Socket, remote_addr=address)
    try:
        for gram in grams:
            transport.sendto(gram)
        got: list[bytes] = []
        while True:
            try:
                got.append(await asyncio.wait_for(proto.got.get(), listen_ms / 1000))
            except TimeoutError:
                return got
    finally:
        transport.close()


async def tcp_exchange(address: tuple[str, int], data: bytes, listen_ms: int) -> tuple[bytes, bool]:
    """Send ``data`` on a fresh connection; (what came back, whether the server closed)."""
    reader, writer = await asyncio.open_connection(*address)
    try:
        writer.write(data)
        await writer.drain()
        got = b""
        closed = False
        while True:
            try:
                chunk = await asyncio.wait_for(reader.read(65536), listen_ms / 1000)
            except TimeoutError:
                break
            if not chunk:
                closed = True
                break
            got += chunk
        return got, closed
    finally:
        writer.close()


def framed_messages(data: bytes) -> list[bytes]:
    out = []
    while len(data) >= 2:
        (length,) = struct.unpack_from("!H", data)
        out.append(data[2 : 2 + length])
        data = data[2 + length :]
    return out


async def next_query_answered(address: tuple[str, int], qid: int) -> str | None:
    got = await udp_exchange(address, [gateway_query(qid)], 300)
    if len(got) != 1:
        return f"the next valid query got {len(got)} answers"
    return answered_with_gateway(got[0])


def is_formerr(reply: bytes, query: bytes) -> str | None:
    if len(reply) < 12:
        return f"{len(reply)} bytes"
    if reply[:2] != query[:2]:
        return f"ID {reply[:2].hex()} for {query[:2].hex()}"
    if not reply[2] & 0x80 or reply[3] & 0x0F != dns.FORMERR:
        return f"flags {reply[2:4].hex()}, not a FORMERR answer"
    return None


def test_hostile_dns_over_udp_gets_formerr_or_a_bounded_drop() -> None:
    async def main() -> list[str]:
        problems: list[str] = []
        async with selector_with(("gw-1", "127.0.97.11")) as (selector, _):
            address = (HOST, selector.udp.port)
            for i, (name, query) in enumerate(formerr_cases()):
                got = await udp_exchange(address, [query], 300)
                why = "no answer" if len(got) != 1 else is_formerr(got[0], query)
                why = why or await next_query_answered(address, 0x3000 + i)
                problems += [f"udp {name}: {why}"] if why else []
            for i, (name, data) in enumerate(dropped_cases()):
                got = await udp_exchange(address, [data], 300)
                why = f"answered {got[0][:16].hex()}" if got else None
                why = why or await next_query_answered(address, 0x3100 + i)
                problems += [f"udp {name}: {why}"] if why else []
            # A flood: 3,000 queries (valid and not) from one socket at once. Each is answered
            # or dropped (never more answers than queries), and the selector keeps serving.
            flood = [gateway_query(i) if i % 2 else b"\x00\x01junk" for i in range(3000)]
            got = await udp_exchange(address, flood, 500)
            if len(got) > 1500 or any(answered_with_gateway(g) for g in got):
                problems.append(f"udp flood: {len(got)} answers to 1,500 valid queries")
            why = await next_query_answered(address, 0x3200)
            problems += [f"udp after the flood: {why}"] if why else []
            assert selector.counts["formerr"] >= len(formerr_cases())
        return problems

    assert asyncio.run(main()) == []


def test_hostile_dns_over_tcp_gets_formerr_or_a_close() -> None:
    async def main() -> list[str]:
        problems: list[str] = []
        async with selector_with(("gw-1", "127.0.97.12")) as (selector, _):
            # A client that goes quiet mid-message is cut off after the idle timeout:
            # shortened from 10 s so the bounded cases take a second each.
            selector.tcp.idle_timeout_ms = 1000
            address = (HOST, selector.tcp.port)
            udp = (HOST, selector.udp.port)
            for i, (name, query) in enumerate(formerr_cases()):
                data, _closed = await tcp_exchange(address, frame(query), 300)
                replies = framed_messages(data)
                why = "no answer" if len(replies) != 1 else is_formerr(replies[0], query)
                why = why or await next_query_answered(udp, 0x4000 + i)
                problems += [f"tcp {name}: {why}"] if why else []
            bounded = [
                # A length prefix over 4,096: closed before the body is read.
                ("length 65535", struct.pack("!H", 0xFFFF) + b"\x00" * 64),
                # A message cut short of its prefix, then the client goes quiet.
                ("cut short of its length", struct.pack("!H", 200) + gateway_query(1)),
                ("one byte of a prefix", b"\x00"),
            ]
            for i, (name, data) in enumerate(bounded):
                started = asyncio.get_running_loop().time()
                got, closed = await tcp_exchange(address, data, 4000)
                took_s = asyncio.get_running_loop().time() - started
                why = None if closed and not got else f"closed={closed}, said {got[:16].hex()}"
                why = why or (f"closed after {took_s:.1f} s" if took_s > 3 else None)
                why = why or await next_query_answered(udp, 0x4100 + i)
                problems += [f"tcp {name}: {why}"] if why else []
            # Pipelined on one connection: 100 valid queries between 100 that get FORMERR,
            # every one answered in turn.
            junk = _header(0x4300, 0, 0)  # QDCOUNT 0: FORMERR
            stream = b"".join(frame(gateway_query(i) if i % 2 else junk) for i in range(200))
            data, _closed = await tcp_exchange(address, stream, 500)
            replies = framed_messages(data)
            good = sum(1 for r in replies if answered_with_gateway(r) is None)
            bad = sum(1 for r in replies if is_formerr(r, junk) is None)
            if (good, bad) != (100, 100):
                problems.append(f"tcp pipelined: {good} answers and {bad} FORMERR of 100 each")
            # What cannot be answered (under 12 bytes) ends the connection: a bounded close.
            data, closed = await tcp_exchange(address, frame(b"\x00" * 5), 4000)
            if not closed or data:
                problems.append(f"tcp 5 bytes: closed={closed}, said {data[:16].hex()}")
            # Over TCP the next valid query is answered too.
            data, _closed = await tcp_exchange(address, frame(gateway_query(0x4200)), 300)
            replies = framed_messages(data)
            why = answered_with_gateway(replies[0]) if replies else "no answer"
            problems += [f"tcp next query: {why}"] if why else []
        return problems

    assert asyncio.run(main()) == []


# --------------------------------------------------------------------------- bad status


@pytest.mark.parametrize(
    "mode", [Heartbeat.GARBAGE, Heartbeat.ERROR, Heartbeat.DROP, Heartbeat.SILENT], ids=str
)
def test_a_status_resource_answering_garbage_or_nothing_takes_its_gateway_out(
    mode: Heartbeat,
) -> None:
    async def main() -> None:
        gateways = (("gw-1", "127.0.97.21"), ("gw-2", "127.0.97.22"))
        async with selector_with(*gateways, period_ms=100) as (selector, running):
            gw1 = running[0]
            gw1.set_figures(delay_ms=1)  # the best by delay while it is in
            running[1].set_figures(delay_ms=50)
            await selector.events.wait_for(
                lambda _: selector.table.peek() is not None
                and selector.table.peek().name == "gw-1", WAIT_MS, "gw-1 the best",
            )  # fmt: skip
            gw1.set_heartbeat(mode)
            await selector.events.wait_for(
                lambda _: "gw-1" in selector.table.names(state=State.OUT), WAIT_MS, "gw-1 out"
            )
            why = selector.table.gateways["gw-1"].why
            got = await udp_exchange((HOST, selector.udp.port), [gateway_query(7)], 300)
            assert len(got) == 1 and answered_with_gateway(got[0]) is None, why
            uri = next(r for r in dns.parse_response(got[0]).answers if r.type_name == "URI")
            assert uri.target == running[1].submit_url, why
            # It answers well again: back in.
            gw1.set_heartbeat(Heartbeat.ANSWER)
            await selector.events.wait_for(
                lambda _: "gw-1" in selector.table.names(state=State.IN), WAIT_MS, "gw-1 back in"
            )
            assert isinstance(gs.parse_status(gs.encode_status(gw1.status())), gs.GatewayStatus)

    asyncio.run(main())
