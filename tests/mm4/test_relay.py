"""The reference MM4 relay with its destinations, over real sockets: pools bound the
connections, carry many messages each, exist before the first message, keep a slow or
dead destination from holding the others, and lose nothing."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from mmsconf.emulators.codecs import mm4


def test_messages_to_three_destinations_arrive_once_each_acknowledged(mm4net: Any) -> None:
    async def main() -> None:
        async with mm4net() as net:
            messages = net.spread(150)
            handed = await net.core.hand(messages)
            assert all(h.accepted for h in handed), [h.error or h.answer for h in handed][:3]
            ids = {m.message_id for m in messages}
            await net.wait(lambda: {a.message_id for a in net.arrived()} >= ids, "arrivals")

            def res() -> list:
                return [r for r in net.core.received if r.message.message_type == mm4.FORWARD_RES]

            await net.wait(lambda: len(res()) >= len(ids), "the .RESes")
            arrivals = Counter(a.message_id for a in net.arrived())
            assert set(arrivals) == ids and set(arrivals.values()) == {1}
            assert Counter(r.message.message_id for r in res()) == Counter(ids)
            for d in net.destinations.values():
                relay_conns = [c for c in d.connections.values() if c.peer[0] == net.relay.host]
                assert d.peak <= 4, (d.name, d.peak)
                assert len(relay_conns) <= 4, (d.name, len(relay_conns))
                assert sum(c.messages for c in relay_conns) == 50
            counters = net.relay.counters()
            assert counters.balanced and counters.correlated == 150
            assert counters.total.dead_lettered == 0

    asyncio.run(main())


def test_connections_are_open_before_the_first_message(mm4net: Any) -> None:
    async def main() -> None:
        async with mm4net() as net:
            await net.wait(
                lambda: all(
                    len(d.open_connections(net.relay.host)) >= 2 for d in net.destinations.values()
                ),
                "pre-established connections",
            )
            handed = await net.core.hand(net.spread(9))
            first = min(h.started for h in handed)
            await net.wait(lambda: len(net.arrived()) == 9, "arrivals")
            for d in net.destinations.values():
                before = [
                    c
                    for c in d.connections.values()
                    if c.peer[0] == net.relay.host
                    and c.opened < first
                    and (c.closed is None or c.closed > first)
                ]
                assert len(before) >= 2, d.name
                earliest = min(d.arrivals, key=lambda a: a.order)
                assert d.connections[earliest.connection].opened < first, d.name

    asyncio.run(main())


def test_a_slow_destination_does_not_hold_the_others_back(mm4net: Any) -> None:
    async def main() -> None:
        async with mm4net() as net:
            net.destinations["C"].faults.slow_ms = 1000
            messages = net.spread(90)
            await net.core.hand(messages)
            fast = {m.message_id for m in messages if "mnc003" not in str(m.to[0])}
            await net.wait(lambda: {a.message_id for a in net.arrived("BD")} >= fast, "fast ones")
            last_fast = max(a.order for a in net.arrived("BD"))
            slow = net.destinations["C"].arrivals
            assert not slow or slow[0].order > last_fast
            net.destinations["C"].faults.slow_ms = 0
            await net.wait(lambda: len(net.arrived()) == 90, "all", 20_000)

    asyncio.run(main())


def test_a_destination_down_for_a_while_gets_its_messages_when_it_comes_back(mm4net: Any) -> None:
    async def main() -> None:
        async with mm4net() as net:
            d = net.destinations["D"]
            await d.go_down()
            messages = net.spread(30)
            await net.core.hand(messages)
            await net.wait(lambda: len(net.arrived("BC")) == 20, "the others")
            assert d.arrivals == []
            await d.come_up()
            await net.wait(lambda: len(d.arrivals) == 10, "D's messages")
            assert net.relay.counters().balanced

    asyncio.run(main())


def test_a_destination_down_past_the_expiry_dead_letters_and_reports(
    mm4net: Any, short_expiry: Any
) -> None:
    async def main() -> None:
        async with mm4net(retry=short_expiry) as net:
            d = net.destinations["D"]
            await d.go_down()
            messages = net.spread(12)
            await net.core.hand(messages)

            def reports() -> list:
                kind = mm4.DELIVERY_REPORT_REQ
                return [r for r in net.core.received if r.message.message_type == kind]

            await net.wait(lambda: len(reports()) == 4, "failure reports", 6000)
            assert {r.message.mm_status for r in reports()} == {"Expired"}
            counters = net.relay.counters()
            assert counters.balanced
            dead = {n: c.dead_lettered for n, c in counters.per_destination.items()}
            assert dead["mms.mnc004.mcc001.gprs"] == 4, dead
            await d.come_up()
            # Nothing may come late: the dead are dead (waiting for it must time out).
            with pytest.raises(TimeoutError):
                await net.wait(lambda: bool(d.arrivals), "a late arrival", 400)

    asyncio.run(main())


def test_a_connection_dropped_during_data_is_replaced_and_the_message_arrives_once(
    mm4net: Any,
) -> None:
    async def main() -> None:
        async with mm4net() as net:
            b = net.destinations["B"]
            b.drop_next = 3
            messages = net.spread(20, "B")
            await net.core.hand(messages)
            await net.wait(lambda: len(b.arrivals) == 20, "arrivals")
            counts = Counter(a.message_id for a in b.arrivals)
            assert set(counts.values()) == {1}
            cut = [r for r in b.refusals if r.message_id]
            assert len(cut) == 3
            for r in cut:
                arrival = next(a for a in b.arrivals if a.message_id == r.message_id)
                assert arrival.connection != r.connection
            await net.wait(lambda: len(b.open_connections(net.relay.host)) >= 2, "replaced")

    asyncio.run(main())


def test_a_malformed_message_gets_554_naming_the_header_and_the_next_is_served(
    mm4net: Any,
) -> None:
    async def main() -> None:
        async with mm4net() as net:
            b = net.destinations["B"]
            good = net.forward("B")
            lines = mm4.encode(good).split(b"\r\n")
            raw = b"\r\n".join(ln for ln in lines if not ln.startswith(b"X-Mms-Message-ID"))
            result = await net.core.client.send(*b.address, "x@y", [str(good.to[0])], raw)
            assert result.code == 554 and "X-Mms-Message-ID" in result.message
            await net.core.hand([net.forward("B")])
            await net.wait(lambda: len(b.arrivals) == 1, "the next")

    asyncio.run(main())
