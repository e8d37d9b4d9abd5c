"""The WAP gateway handsets submit MM1 through: resolves the MMS domain, caches the answer
for its TTL itself, and posts each submission to the address it holds.

Handsets POST their m-send-req to the gateway with the MMSC URL's host in
the Host header (``mms.operator.example``), as they do to a WAP 2.0 proxy.
The gateway resolves that name through the operator's caching resolver (a
stub resolver from its own address), keeps the address for the TTL the
resolver gave (capped by ``max_cache_ttl_s``), and forwards the body to
``http://<address>:<mms_port><path>``. Like real WAP gateways it does not
resolve again, nor try elsewhere, when that address fails: the handset gets
a 502 (no answer) or 504 (too slow), which is exactly the prior art's
problem while the cache lasts.

It serves only the MMS domain (403 for any other host: not an open proxy)
and answers a DNS failure with 502. Each lookup is a ``lookup`` event, each
forward a ``forwarded`` event with the address used and whether the cache
gave it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from mmsconf.emulators import mm1_http
from mmsconf.emulators.codecs import dns
from mmsconf.emulators.dns_resolver import StubResolver
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.http_client import HttpClient
from mmsconf.emulators.transports.http_server import (
    HttpAnswer,
    HttpLimits,
    HttpRequest,
    HttpServer,
)


@dataclass(frozen=True)
class GatewayConfig:
    mms_domain: str
    mms_port: int
    resolver: tuple[str, int]
    path: str = "/mms"
    max_cache_ttl_s: int = 172_800
    dns_timeout_ms: int = 2000
    forward_timeout_ms: int = 8000
    max_connections: int = 512


@dataclass(frozen=True)
class Cached:
    address: str
    ttl_s: int  # as the resolver served it
    until: float  # time.monotonic() it expires

    def left_s(self) -> float:
        return self.until - time.monotonic()


class WapGateway(Service):
    def __init__(
        self,
        trace: TraceRecorder,
        host: str,
        port: int,
        config: GatewayConfig,
        *,
        role: str = "WAP gateway",
        seed: int | None = None,
    ) -> None:
        super().__init__(role, host, port)
        self.trace = trace
        self.config = config
        self.domain = dns.name_key(config.mms_domain)
        self.cache: dict[str, Cached] = {}
        self.lookups = 0
        self.http = self.add_listener(
            HttpServer(self, trace, HttpLimits(max_connections=config.max_connections))
        )
        self.http.mount("/", self._on_request, protocol="MM1")
        self.resolver = self.add_client(
            StubResolver(self, trace, config.resolver, timeout_ms=config.dns_timeout_ms, seed=seed)
        )
        self.client = self.add_client(
            HttpClient(self, trace, timeout_ms=config.forward_timeout_ms, limit=256)
        )

    @property
    def url(self) -> str:
        return self.http.url(self.config.path)

    def flush(self) -> None:
        """Forget every answer (a gateway restarted, or its cache cleared by hand)."""
        self.cache.clear()

    def held(self) -> Cached | None:
        """The MMS domain's answer the gateway holds now, if any."""
        cached = self.cache.get(self.domain)
        return cached if cached is not None and cached.left_s() > 0 else None

    async def resolve(self) -> tuple[str | None, str, bool]:
        """(address or None, why not, whether the cache gave it)."""
        cached = self.held()
        if cached is not None:
            return cached.address, "", True
        self.lookups += 1
        result = await self.resolver.query(self.domain, dns.A)
        record = result.first(dns.A) if result.ok else None
        self.events.emit("lookup", ok=record is not None, why=result.describe(), ttl=result.ttl)
        if record is None or record.address is None:
            return None, f"DNS: {result.describe()}", False
        ttl = min(record.ttl, self.config.max_cache_ttl_s)
        self.cache[self.domain] = Cached(record.address, record.ttl, time.monotonic() + ttl)
        return record.address, "", False

    async def _on_request(self, request: HttpRequest) -> HttpAnswer:
        host = request.headers.get("Host", "").rsplit(":", 1)[0].strip().lower()
        summary = mm1_http.describe_body(request.body) if request.method == "POST" else ""
        said = summary or f"{request.method} {request.path}"
        if dns.name_key(host or ".") != self.domain:
            return _text(403, f"this gateway serves {self.domain}, not {host or 'no host'}", said)
        request.record(f"{said} for {host}")  # before the lookup and the forward it causes
        address, why, from_cache = await self.resolve()
        if address is None:
            return _text(502, why, said)
        url = f"http://{address}:{self.config.mms_port}{request.path}"
        result = await self.client.post(
            url,
            request.body,
            headers={
                "Content-Type": request.headers.get("Content-Type", mm1_http.CONTENT_TYPE),
                "Host": f"{host}:{self.config.mms_port}",
            },
            protocol="MM1",
            summary=summary,
            describe=lambda r: mm1_http.describe_body(r.body),
        )
        self.events.emit(
            "forwarded", address=address, cached=from_cache, status=result.status,
            error=result.error,
        )  # fmt: skip
        if result.status is None:
            error = result.error or "no answer"
            status = 504 if error.startswith("timeout") else 502
            return _text(status, f"{address}:{self.config.mms_port}: {error}", said)
        headers = [(k, v) for k, v in result.headers if k.lower() == "content-type"]
        answer_summary = (
            mm1_http.describe_body(result.body)
            if mm1_http.is_mm1(result.content_type)
            else f"HTTP {result.status} from {address}"
        )
        return HttpAnswer(
            result.status, headers, result.body, request_summary=said, summary=answer_summary
        )


def _text(status: int, why: str, said: str) -> HttpAnswer:
    return HttpAnswer(
        status,
        (("Content-Type", "text/plain"),),
        f"{why}\n".encode(),
        request_summary=said,
        summary=f"HTTP {status} ({why[:80]})",
        protocol="HTTP",
    )
