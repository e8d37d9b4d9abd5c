"""The datagram parts over real loopback sockets: answers, bounds, the trace, down and up."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceEvent, TraceRecorder
from mmsconf.emulators.transports.udp import (
    Datagram,
    UdpAnswer,
    UdpClient,
    UdpHandled,
    UdpServer,
)

WAIT_MS = 3000


async def echo_twice(datagram: Datagram) -> UdpHandled:
    """Answers by its first byte: b"0" none, b"1" one, b"2" two."""
    count = int(datagram.data[:1] or b"0")
    answers = [UdpAnswer(datagram.data.upper() + b"#%d" % n, f"answer {n}") for n in range(count)]
    return UdpHandled(f"asks {count}", answers)


def serving(
    trace: TraceRecorder, host: str, handler=echo_twice, **kw: object
) -> tuple[Service, UdpServer]:
    service = Service("ECHO", host)
    server = service.add_listener(UdpServer(service, trace, "ECHO", handler, **kw))
    return service, server


def test_zero_one_or_two_answers_each_recorded_once_by_the_listener(
    host: Callable[[], str],
) -> None:
    async def main() -> None:
        trace = TraceRecorder()
        service, server = serving(trace, host())
        await service.start()
        caller = Service("CALLER", host())
        client = caller.add_client(UdpClient(caller, trace, "ECHO", timeout_ms=300))
        try:
            two = await client.exchange(server.address, b"2ab", done=lambda got: len(got) == 2)
            assert two.datagrams == [b"2AB#0", b"2AB#1"] and two.error is None
            one = await client.exchange(server.address, b"1cd")
            assert one.answer == b"1CD#0"
            none = await client.exchange(server.address, b"0ef")
            assert none.datagrams == [] and none.error == "timeout after 300 ms"
            assert two.src[0] == caller.host
        finally:
            await caller.stop()
            await service.stop()
        events = trace.events()
        assert [(e.summary, e.raw) for e in events] == [
            ("asks 2", b"2ab"),
            ("answer 0", b"2AB#0"),
            ("answer 1", b"2AB#1"),
            ("asks 1", b"1cd"),
            ("answer 0", b"1CD#0"),
            ("asks 0", b"0ef"),
        ]
        assert all(e.transport == "udp" and e.listener == server.address for e in events)
        assert events[0].dst.role == "ECHO" and events[1].src.role == "ECHO"

    asyncio.run(main())


def test_the_client_records_an_external_peer_and_only_then(host: Callable[[], str]) -> None:
    async def main() -> tuple[TraceRecorder, TraceRecorder, tuple[str, int]]:
        ours, theirs = TraceRecorder(), TraceRecorder()
        service, server = serving(theirs, host())
        await service.start()
        ours.register("PEER", *server.address, embedded=False)
        caller = Service("CALLER", host())
        client = caller.add_client(UdpClient(caller, ours, "ECHO"))
        try:
            got = await client.exchange(
                server.address, b"1x", summary="q", describe=lambda d: f"a {d!r}"
            )
            assert got.answer == b"1X#0"
        finally:
            await caller.stop()
            await service.stop()
        return ours, theirs, server.address

    ours, theirs, where = asyncio.run(main())
    mine = [(e.src.port, e.dst.port, e.summary, e.raw, e.listener) for e in ours.events()]
    port = where[1]
    src = ours.events()[0].src.port
    assert mine == [(src, port, "q", b"1x", where), (port, src, "a b'1X#0'", b"1X#0", where)]
    # The peer saw the same source port; each side recorded the two datagrams once.
    assert [(e.src.port, e.dst.port) for e in theirs.events()] == [(src, port), (port, src)]


def test_oversize_and_overload_are_recorded_not_handled(
    host: Callable[[], str], until_recorded: Callable[..., Awaitable[list[TraceEvent]]]
) -> None:
    async def main() -> None:
        trace = TraceRecorder()
        gate = asyncio.Event()
        handled: list[bytes] = []

        async def slow(datagram: Datagram) -> UdpHandled:
            handled.append(datagram.data)
            await gate.wait()
            return UdpHandled("late")

        service, server = serving(trace, host(), slow, max_size=8, max_pending=2)
        await service.start()
        caller = Service("CALLER", host())
        client = caller.add_client(UdpClient(caller, trace, "ECHO"))
        try:
            for data in (b"123456789", b"a", b"b", b"c"):
                await client.send(server.address, data)
            await service.events.wait_for(
                lambda log: len(log.of("udp_refused")) == 2, WAIT_MS, "two refusals"
            )
            assert [e["why"] for e in service.events.of("udp_refused")] == [
                "max_size",
                "max_pending",
            ]
            assert handled == [b"a", b"b"]
            gate.set()
            await until_recorded(trace, 4)
        finally:
            await caller.stop()
            await service.stop()
        said = sorted(e.summary for e in trace.events())
        assert (
            said
            == ["1 bytes, not handled (max_pending)", "9 bytes, not handled (max_size)"]
            + ["late"] * 2
        )

    asyncio.run(main())


def test_a_failing_handler_answers_nothing_and_the_next_datagram_is_served(
    host: Callable[[], str],
) -> None:
    async def main() -> None:
        trace = TraceRecorder()

        async def picky(datagram: Datagram) -> UdpHandled:
            if datagram.data == b"boom":
                raise ValueError("cannot parse")
            return await echo_twice(datagram)

        service, server = serving(trace, host(), picky)
        await service.start()
        caller = Service("CALLER", host())
        client = caller.add_client(UdpClient(caller, trace, "ECHO", timeout_ms=200))
        try:
            assert (await client.exchange(server.address, b"boom")).error is not None
            assert (await client.exchange(server.address, b"1ok")).answer == b"1OK#0"
        finally:
            await caller.stop()
            await service.stop()
        assert [e.summary for e in trace.events()][:1] == ["4 bytes (handler failed)"]

    asyncio.run(main())


def test_down_is_unreachable_and_up_answers_on_the_same_port(host: Callable[[], str]) -> None:
    async def main() -> None:
        trace = TraceRecorder()
        service, server = serving(trace, host())
        await service.start()
        port = server.port
        caller = Service("CALLER", host())
        client = caller.add_client(UdpClient(caller, trace, "ECHO", timeout_ms=2000))
        try:
            await service.go_down()
            down = await client.exchange(server.address, b"1x")
            assert down.error is not None and down.error.startswith("unreachable"), down
            await service.come_up()
            assert server.port == port == service.port
            assert (await client.exchange(server.address, b"1y")).answer == b"1Y#0"
        finally:
            await caller.stop()
            await service.stop()

    asyncio.run(main())


def test_fault_knobs_drop_and_delay_answers_when_asked_to(host: Callable[[], str]) -> None:
    async def main() -> None:
        trace = TraceRecorder()
        service, server = serving(trace, host(), faults=True)
        await service.start()
        caller = Service("CALLER", host())
        client = caller.add_client(UdpClient(caller, trace, "ECHO", timeout_ms=150))
        try:
            service.faults.drop = True
            assert (await client.exchange(server.address, b"1x")).datagrams == []
            service.faults.reset()
            service.faults.slow_ms = 400
            late = await client.exchange(server.address, b"1y")
            assert late.datagrams == [] and late.error == "timeout after 150 ms"
            service.faults.reset()
            assert (await client.exchange(server.address, b"1z")).answer == b"1Z#0"
        finally:
            await caller.stop()
            await service.stop()
        assert trace.events()[0].summary == "2 bytes (dropped)"

    asyncio.run(main())


def test_a_listener_sending_to_an_embedded_listener_leaves_the_record_to_it(
    host: Callable[[], str], until_recorded: Callable[..., Awaitable[list[TraceEvent]]]
) -> None:
    """SIP-like elements send from their listening ports: each datagram is recorded by the
    listener that receives it, never also by the one that sent it."""

    async def main() -> None:
        trace = TraceRecorder()

        async def quiet(datagram: Datagram) -> UdpHandled:
            return UdpHandled(f"got {datagram.data.decode()}")

        a, server_a = serving(trace, host(), quiet)
        b, server_b = serving(trace, host())
        await a.start()
        await b.start()
        try:
            server_a.send(server_b.address, b"1hello", "hello")
            await until_recorded(trace, 2)
        finally:
            await a.stop()
            await b.stop()
        events = trace.events()
        assert [(e.src.port, e.dst.port, e.summary, e.listener) for e in events] == [
            (server_a.port, server_b.port, "asks 1", server_b.address),
            (server_b.port, server_a.port, "got 1HELLO#0", server_a.address),
        ]

    asyncio.run(main())
