"""The prior-art relay (one connection per message, one queue): it delivers, but opens a
connection per message, keeps none in advance, and a slow destination holds up the rest."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from mmsconf.emulators.baselines.per_message_smtp import PerMessageRelay


def test_the_baseline_delivers_everything_on_a_connection_per_message(mm4net: Any) -> None:
    async def main() -> None:
        async with mm4net(PerMessageRelay) as net:
            assert all(not d.connections for d in net.destinations.values())  # none in advance
            messages = net.spread(60)
            await net.core.hand(messages)
            await net.wait(lambda: len(net.arrived()) == 60, "arrivals")
            assert set(Counter(a.message_id for a in net.arrived()).values()) == {1}
            opened = sum(len(d.connections) for d in net.destinations.values())
            assert opened == 60
            counters = net.relay.counters()
            assert list(counters.per_destination) == ["pool all destinations"]
            assert counters.balanced

    asyncio.run(main())


def test_a_slow_destination_holds_the_baselines_other_messages(mm4net: Any) -> None:
    async def main() -> None:
        async with mm4net(PerMessageRelay) as net:
            net.destinations["C"].faults.slow_ms = 300
            await net.core.hand(net.spread(60))
            c = net.destinations["C"]
            await net.wait(lambda: len(c.arrivals) >= 1, "C's first", 20_000)
            fast = net.arrived("BD")
            assert len(fast) < 40  # the fast ones wait behind C's
            c.faults.slow_ms = 0
            await net.wait(lambda: len(net.arrived()) == 60, "all", 20_000)

    asyncio.run(main())
