"""Where an MM4 relay sends a recipient's message: its domain -> a destination MMSC.

23.140 §8.4.5 routes MM4 by the recipient's MMS domain to the MX of that
domain. A relay's DNS may not have it (or may be down), and operators keep a
peering table beside it: so the MX answer comes first, and the static table
is the fallback. MX gives a host, not a port: every MMSC's MM4 endpoint
listens on the relay's configured SMTP port (25 in the field; one harness
port on loopback), unless the static table names both.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from mmsconf.emulators.codecs import dns
from mmsconf.emulators.dns_resolver import StubResolver
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder

Address = tuple[str, int]

#: An MX lookup: the domain -> the addresses of its exchanges, best preference first
#: (empty when the domain has no MX; None when DNS gave no answer at all).
MxLookup = Callable[[str], Awaitable[list[str] | None]]


@dataclass(frozen=True)
class Route:
    destination: str  # the name of the destination's pools (its first domain)
    address: Address
    via: str  # "mx", "static" or "local"


class Router:
    """Routes by MX when ``mx`` is given, else (or when MX has no answer) by ``static``."""

    def __init__(
        self,
        static: dict[str, Address],
        *,
        smtp_port: int,
        local: dict[str, Address] | None = None,
        mx: MxLookup | None = None,
    ) -> None:
        self.static = {d.lower(): a for d, a in static.items()}
        self.local = {d.lower(): a for d, a in (local or {}).items()}
        self.smtp_port = smtp_port
        # A host the static table names with a port is reached on that port when MX names
        # it too (a peer MMSC whose MM4 endpoint is not on the common port).
        self.host_ports = {host: port for host, port in self.static.values()}
        self.mx = mx
        self._names: dict[Address, str] = {}

    def _named(self, domain: str, address: Address, via: str) -> Route:
        # One destination per address: two domains an MMSC serves share its pools.
        name = self._names.setdefault(address, domain)
        return Route(name, address, via)

    async def route(self, domain: str) -> Route | None:
        domain = domain.lower().rstrip(".")
        if domain in self.local:
            return self._named(domain, self.local[domain], "local")
        if self.mx is not None:
            hosts = await self.mx(domain)
            if hosts:
                port = self.host_ports.get(hosts[0], self.smtp_port)
                return self._named(domain, (hosts[0], port), "mx")
        if domain in self.static:
            return self._named(domain, self.static[domain], "static")
        return None


class DnsMxLookup:
    """``MxLookup`` over DNS: MX for the domain, then A for the best exchange (from the
    additional section when the server gave it). Answers are kept for their TTL (at most
    ``max_cache_s``), so a relay does not ask for every message; no answer at all (the
    DNS down) is kept ``negative_s``, so messages are not held up asking again each."""

    def __init__(
        self,
        service: Service,
        trace: TraceRecorder,
        server: Address,
        *,
        timeout_ms: int = 1000,
        max_cache_s: float = 300.0,
        negative_s: float = 1.0,
    ) -> None:
        self.resolver = service.add_client(
            StubResolver(service, trace, server, timeout_ms=timeout_ms, retries=1)
        )
        self.max_cache_s = max_cache_s
        self.negative_s = negative_s
        self._cache: dict[str, tuple[float, list[str] | None]] = {}

    async def __call__(self, domain: str) -> list[str] | None:
        now = time.monotonic()
        cached = self._cache.get(domain)
        if cached is not None and cached[0] > now:
            return cached[1]
        hosts, ttl = await self._lookup(domain)
        if hosts is None:
            ttl = self.negative_s
        if ttl > 0:
            self._cache[domain] = (now + min(ttl, self.max_cache_s), hosts)
        return hosts

    async def _lookup(self, domain: str) -> tuple[list[str] | None, float]:
        result = await self.resolver.query(domain, dns.MX)
        if result.rcode == dns.NXDOMAIN:
            return [], 0
        if not result.ok:
            return None, 0
        exchanges = sorted(
            (r.rdata.preference, dns.name_key(str(r.rdata.label))) for r in result.of_type(dns.MX)
        )
        if not exchanges:
            return [], 0
        glue = {}
        if result.response is not None:
            glue = {
                dns.name_key(r.name): str(r.rdata)
                for r in result.response.additional
                if r.rtype == dns.A
            }
        hosts = []
        for _preference, exchange in exchanges:
            address = glue.get(exchange)
            if address is None:
                found = await self.resolver.query(exchange, dns.A)
                record = found.first(dns.A) if found.ok else None
                address = str(record.rdata) if record is not None else None
            if address is not None:
                hosts.append(address)
        return hosts, float(result.ttl or 0)
