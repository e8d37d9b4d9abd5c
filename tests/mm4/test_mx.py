"""The relay routes by MX (the shared DNS base's server and resolver), the static table
as fallback; the MX emulator answers MX with glue, A for the exchange, NXDOMAIN else."""

from __future__ import annotations

import asyncio
from typing import Any

from mmsconf.emulators.codecs import dns
from mmsconf.emulators.dns_resolver import StubResolver
from mmsconf.emulators.service import Service


def test_a_destination_known_only_by_its_mx_gets_its_messages(mm4net: Any) -> None:
    async def main() -> None:
        async with mm4net(mx={"D": 4}, static="BC") as net:
            await net.core.hand(net.spread(9))
            await net.wait(lambda: len(net.arrived()) == 9, "arrivals")
            assert len(net.destinations["D"].arrivals) == 3
            # Asked once: the answer is kept for its TTL.
            assert net.dns.asked == [("MX", "mms.mnc004.mcc001.gprs.")]
            # B and C are outside the DNS's zones (REFUSED): the static table routes them.
            assert len(net.destinations["B"].arrivals) == 3

    asyncio.run(main())


def test_the_mx_emulator_answers(mm4net: Any) -> None:
    async def main() -> None:
        async with mm4net(mx={"B": 2}) as net:
            me = Service("ASKER", net.core.host)
            resolver = StubResolver(me, net.trace, net.dns.address)
            mx = await resolver.query("mms.mnc002.mcc001.gprs", dns.MX)
            assert mx.ok and str(mx.first(dns.MX).rdata.label) == "mx.mms.mnc002.mcc001.gprs."
            glue = [r for r in mx.response.additional if r.rtype == dns.A]
            assert [str(r.rdata) for r in glue] == [net.destinations["B"].host]
            a = await resolver.query("mx.mms.mnc002.mcc001.gprs", dns.A)
            assert str(a.first(dns.A).rdata) == net.destinations["B"].host
            missing = await resolver.query("mms.mnc009.mcc001.gprs", dns.MX)
            assert missing.rcode in (dns.NXDOMAIN, dns.REFUSED)
            net.dns.faults.status = 2
            failing = await resolver.query("mms.mnc002.mcc001.gprs", dns.MX)
            assert failing.rcode == dns.SERVFAIL
            await resolver.stop()

    asyncio.run(main())
