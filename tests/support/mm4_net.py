"""The MM4 pool's emulators on real sockets: a source MMSC core, its relay (the
reference, the baseline, or a subclass), and destination MMSCs B, C and D.

Each test gets a fresh /24 of loopback addresses (127.0.140-149.x, one block
per xdist worker, 16 addresses per test) and short timers. The
``mm4net`` fixture (tests/mm4/conftest.py) hands out ``build``.
"""

from __future__ import annotations

import email.utils
import itertools
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from mmsconf.emulators import mm4_ids
from mmsconf.emulators.codecs import mm4
from mmsconf.emulators.mm4_destination import DestinationConfig, DestinationMmsc
from mmsconf.emulators.mm4_mx import MxDns
from mmsconf.emulators.mm4_originator import Originator, OriginatorConfig
from mmsconf.emulators.mm4_relay import MM4Relay, RelayConfig
from mmsconf.emulators.mm4_routing import DnsMxLookup, Router
from mmsconf.emulators.mm4_subpool import PoolLimits
from mmsconf.emulators.ports import listen_port
from mmsconf.emulators.retry import RetryPolicy
from mmsconf.emulators.service import EventLog
from mmsconf.emulators.trace import TraceRecorder

_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0) % 10
_hosts = itertools.count(1)
SOURCE = mm4.mms_domain(1, 1)
DOMAINS = {"B": mm4.mms_domain(2, 1), "C": mm4.mms_domain(3, 1), "D": mm4.mms_domain(4, 1)}
LIMITS = PoolLimits(min=2, max=4, keepalive_ms=500, reconnect_initial_ms=20, reconnect_max_ms=100)
RETRY = RetryPolicy(initial_ms=20, max_ms=100, expiry_ms=15_000)
#: For the tests that wait for the expiry.
SHORT_EXPIRY = RetryPolicy(initial_ms=20, max_ms=100, expiry_ms=1500)
WAIT_MS = 10_000


def _block() -> str:
    """A /24 no other test of this run has: 127.0.<140+worker>.<16*k> (16 hosts each)."""
    k = next(_hosts) % 15
    return f"127.0.{140 + _WORKER}.{16 * k}"


@dataclass
class Net:
    trace: TraceRecorder
    relay: MM4Relay
    core: Originator
    dns: MxDns | None
    destinations: dict[str, DestinationMmsc]
    tag: str
    numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    def forward(self, name: str, **kw: Any) -> mm4.ForwardReq:
        """A message for MMSC ``name`` carrying this test's tag."""
        n = next(self.numbers)
        return mm4.ForwardReq(
            mm4_ids.transaction_id(self.tag, n),
            mm4_ids.message_id(self.tag, n, SOURCE),
            sender=mm4.Address.plmn(f"+861380000{n:04d}", SOURCE),
            to=(mm4.Address.plmn(f"+861390000{n:04d}", DOMAINS[name]),),
            date=email.utils.formatdate(),
            ack_request=True,
            originator_system=f"system-user@{SOURCE}",
            subject=f"test {n}",
            content=mm4.text_content(f"message {n}"),
            **kw,
        )

    def spread(self, count: int, names: str = "BCD") -> list[mm4.ForwardReq]:
        return [self.forward(names[i % len(names)]) for i in range(count)]

    async def wait(self, predicate: Callable[[], bool], what: str, ms: int = WAIT_MS) -> None:
        logs = [self.relay.events, self.core.events]
        logs += [d.events for d in self.destinations.values()]
        await EventLog.wait_any(logs, predicate, ms, what)

    def arrived(self, names: str = "BCD") -> list:
        return [a for n in names for a in self.destinations[n].arrivals]


@asynccontextmanager
async def build(
    relay_class: type[MM4Relay] = MM4Relay,
    limits: PoolLimits = LIMITS,
    retry: RetryPolicy = RETRY,
    *,
    mx: dict[str, int] | None = None,
    static: str = "BCD",
    **relay_kw: Any,
) -> AsyncIterator[Net]:
    """``mx``: serve MX records for these destinations (name -> host index 2..4) from a
    DNS at host 53 and route by them; ``static``: the destinations in the static table."""
    prefix, base = _block().rsplit(".", 1)

    def host(i: int) -> str:
        return f"{prefix}.{int(base) + i}"

    trace = TraceRecorder()
    dest_hosts = {"B": host(2), "C": host(3), "D": host(4)}
    port = listen_port(*dest_hosts.values(), host(10), host(1))
    relay_address = (host(10), port)
    destinations = {
        name: DestinationMmsc(
            trace,
            name,
            h,
            port,
            DestinationConfig(domains=(DOMAINS[name],), return_routes={SOURCE: relay_address}),
        )
        for name, h in dest_hosts.items()
    }
    core = Originator(trace, host(1), port, OriginatorConfig(SOURCE, relay_address))
    dns_server = None
    if mx is not None:
        dns_port = listen_port(host(11), udp=True)
        dns_server = MxDns(trace, host(11), dns_port, {DOMAINS[n]: host(i) for n, i in mx.items()})
    static_routes = {DOMAINS[n]: (h, port) for n, h in dest_hosts.items() if n in static}
    relay = relay_class(
        trace,
        host(10),
        port,
        RelayConfig(
            domain=SOURCE,
            core=(host(1), port),
            static_routes=static_routes,
            peers=tuple(DOMAINS.values()),
            limits=limits,
            retry=retry,
            smtp_port=port,
            **relay_kw,
        ),
    )
    if dns_server is not None:
        lookup = DnsMxLookup(relay, trace, dns_server.address)
        local = {SOURCE: (host(1), port)}
        relay.router = Router(static_routes, smtp_port=port, local=local, mx=lookup)
    started = []
    try:
        if dns_server is not None:
            await dns_server.start()
            started.append(dns_server)
        for service in (*destinations.values(), core, relay):
            await service.start()
            started.append(service)
        tag = f"t{_WORKER:04d}{next(_hosts) % 1000:03d}"
        yield Net(trace, relay, core, dns_server, destinations, tag)
    finally:
        for service in reversed(started):
            await service.stop()
