"""A VAS server (SP) configured with one name for "the MMS gateway", not with gateways.

The report-routing SP, extended: before each submission it asks the DNS for
the gateway name, on the wire (``record``: URI, whose target is the MM7 URL;
or TXT, ``mm7=<url>``), and submits over MM7 to the URL the answer gives
(US 2012/0198054, steps 601-603). When the DNS answers SERVFAIL (no gateway
healthy) or nothing usable, nothing is sent and the SP says why in words an
operator reads.

The prior art (gateways preset on the SP) is emulators/baselines/preset_gateways.py:
the same SP with ``where_to`` overridden.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from mmsconf.emulators.codecs import dns
from mmsconf.emulators.dns_resolver import DnsResult, StubResolver
from mmsconf.emulators.mm7_dns import mm7_url_of
from mmsconf.emulators.sp import ServiceProvider, SpConfig, Submission
from mmsconf.emulators.trace import TraceRecorder


@dataclass(frozen=True)
class Destination:
    """Where one submission goes, and how the SP learned it."""

    url: str | None  # None: nowhere (``error`` says why)
    resolution: DnsResult | None = None  # None: no DNS asked (preset)
    #: The trace position when the SP chose: its DNS query left just after it.
    query_mark: int = 0
    error: str | None = None


@dataclass
class Sent:
    """One message the SP generated: where it went (or why nowhere) and the MM7 outcome."""

    msgid1: str
    recipients: tuple[str, ...]
    destination: Destination
    submission: Submission | None = None

    @property
    def url(self) -> str | None:
        return self.destination.url

    @property
    def accepted(self) -> bool:
        s = self.submission
        return s is not None and s.outcome is not None and s.outcome.ok

    @property
    def error(self) -> str | None:
        if self.destination.error is not None:
            return self.destination.error
        s = self.submission
        if s is None or s.outcome is None:
            return "not sent"
        if not s.outcome.ok:
            return s.outcome.error or f"MM7 status {s.outcome.status}"
        return None


class SelectingSP(ServiceProvider):
    def __init__(
        self,
        trace: TraceRecorder,
        host: str,
        port: int = 0,
        config: SpConfig | None = None,
        *,
        dns_server: tuple[str, int],
        gateway_name: str,
        record: str = "URI",
        dns_timeout_ms: int = 1000,
        dns_retries: int = 1,
        role: str = "SP",
    ) -> None:
        super().__init__(trace, host, port, config, role=role)
        self.gateway_name = gateway_name
        self.record = record.upper()
        self.dns_timeout_ms = dns_timeout_ms
        self.dns_retries = dns_retries
        self.resolver = self.add_client(self._resolver_for(dns_server))
        self.sent: list[Sent] = []

    def _resolver_for(self, server: tuple[str, int]) -> StubResolver:
        return StubResolver(
            self,
            self.trace,
            server,
            timeout_ms=self.dns_timeout_ms,
            retries=self.dns_retries,
            seed=self.config.seed,
        )

    def use_dns(self, server: tuple[str, int]) -> None:
        """Ask another DNS from now on (a caching resolver in front of the selector)."""
        self.resolver.server = server

    @property
    def dns_server(self) -> tuple[str, int]:
        return self.resolver.server

    # --- where to submit ---------------------------------------------------------------
    async def where_to(self) -> Destination:
        """Ask the DNS for the gateway name, now (the hook the prior art replaces)."""
        mark = self.trace.mark()
        result = await self.resolver.query(self.gateway_name, self.record)
        url = mm7_url_of(result, self.record)
        if url is not None:
            return Destination(url, result, mark)
        if result.rcode == dns.SERVFAIL:
            why = f"the DNS answered SERVFAIL for {self.gateway_name}: no MMS gateway available"
        elif result.error is not None:
            why = f"no answer from the DNS for {self.gateway_name}: {result.error}"
        else:
            why = (
                f"the DNS gave no {self.record} record for {self.gateway_name}: {result.describe()}"
            )
        self.events.emit("no_gateway", why=why)
        return Destination(None, result, mark, why)

    # --- sending -----------------------------------------------------------------------
    async def send(self, recipients: Sequence[str], msgid1: str, subject: str = "mmsconf") -> Sent:
        """One generated message: find the gateway, then submit to it (or report why not)."""
        destination = await self.where_to()
        sent = Sent(msgid1, tuple(recipients), destination)
        self.sent.append(sent)
        if destination.url is not None:
            sent.submission = await self.submit(
                list(recipients), target=destination.url, msgid1=msgid1, subject=subject
            )
        self.events.emit("sent", msgid1=msgid1, url=destination.url, error=sent.error)
        return sent

    async def send_many(
        self,
        count: int,
        number: Callable[[int], str],
        msgid1: Callable[[int], str],
        *,
        concurrency: int = 8,
        between: Callable[[int], Awaitable[None] | None] | None = None,
    ) -> list[Sent]:
        """``count`` one-recipient messages, ``concurrency`` at a time, in order of index.

        ``between(i)``: when it returns an awaitable, what is in flight lands first, then
        it is awaited before message ``i`` is generated: a caller changes the network
        part-way through a stream, between messages.
        """
        out: list[Sent | None] = [None] * count
        slots = asyncio.Semaphore(max(1, concurrency))
        tasks = []
        for i in range(count):
            if between is not None:
                step = between(i)
                if step is not None:
                    await asyncio.gather(*tasks)
                    await step
            await slots.acquire()

            async def one(i: int = i) -> None:
                try:
                    out[i] = await self.send([number(i)], msgid1(i))
                finally:
                    slots.release()

            tasks.append(asyncio.ensure_future(one()))
        await asyncio.gather(*tasks)
        return [s for s in out if s is not None]
