"""Nothing lost under each fault knob: while one destination misbehaves through a burst,
every message ends delivered exactly once or reported failed to the originator (never
both), and the relay's counters balance and hold nothing once it settles."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from mmsconf.emulators.codecs import mm4


async def _slow(d: Any) -> None:
    d.faults.slow_ms = 150


async def _temporary(d: Any) -> None:
    d.faults.status = 451


async def _permanent(d: Any) -> None:
    d.faults.status = 550


async def _cut(d: Any) -> None:
    d.drop_next = 5


async def _cap(d: Any) -> None:
    d.smtp.max_connections = 1


async def _down(d: Any) -> None:
    await d.go_down()


async def _clear(d: Any) -> None:
    d.reset_knobs()
    await d.come_up()


KNOBS = {
    "slow": _slow,
    "temporary failure (451)": _temporary,
    "permanent failure (550)": _permanent,
    "cut during DATA": _cut,
    "connection cap 1 (421 past it)": _cap,
    "down, then up": _down,
}


@pytest.mark.parametrize("knob", list(KNOBS))
def test_nothing_is_lost_under_each_fault_knob(mm4net: Any, knob: str) -> None:
    async def main() -> None:
        async with mm4net() as net:
            c = net.destinations["C"]
            await KNOBS[knob](c)
            messages = net.spread(60)
            await net.core.hand(messages)
            await net.wait(lambda: len(net.arrived("BD")) == 40, "the others")
            await _clear(c)
            relay = net.relay
            ids = {m.message_id for m in messages}

            def answered() -> int:
                # Each message ends at the core as its MM4_forward.RES or a failure report.
                kinds = (mm4.FORWARD_RES, mm4.DELIVERY_REPORT_REQ)
                return sum(r.message.message_type in kinds for r in net.core.received)

            def settled() -> bool:
                # Held 0 alone is passing: between a destination's 250 and its .RES
                # reaching the relay nothing is held, yet the .RES is still to come.
                counters = relay.counters()
                return answered() >= len(ids) and counters.total.held == 0 and counters.balanced

            await net.wait(settled, "the relay settled", 20_000)
            arrived = Counter(a.message_id for a in net.arrived())
            failed = {
                r.message.message_id
                for r in net.core.received
                if r.message.message_type == mm4.DELIVERY_REPORT_REQ
            }
            assert set(arrived.values()) <= {1}, arrived.most_common(3)
            assert not (set(arrived) & failed)
            assert set(arrived) | failed == ids, len(ids - set(arrived) - failed)
            if knob.startswith("permanent"):
                assert len(failed) == 20 and not c.arrivals
            else:
                assert not failed
            counters = relay.counters()
            assert counters.balanced and counters.total.held == 0, counters.as_dict()

    asyncio.run(main())
