"""Where an MM4 relay sends a recipient's message: its domain -> a destination MMSC.

23.140 §8.4.5 routes MM4 by the recipient's MMS domain to the MX of that
domain. A relay's DNS may not have it (or may be down), and operators keep a
peering table beside it: so the MX answer comes first, and the static table
is the fallback. MX gives a host, not a port: every MMSC's MM4 endpoint
listens on the relay's configured SMTP port (25 in the field; one harness
port on loopback), unless the static table names both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

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
                return self._named(domain, (hosts[0], self.smtp_port), "mx")
        if domain in self.static:
            return self._named(domain, self.static[domain], "static")
        return None
