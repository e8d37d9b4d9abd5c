"""The HTTP client part: requests from the service's own address, recorded if the peer is external.

Each emulator speaks from its own loopback address, so the source address
on the wire says which element spoke: the client binds its sockets to the
service's host. An exchange with an embedded emulator is recorded by that
emulator's server, which sees the real source port; one with an external
SUT is recorded here, once, with the summaries the caller gives.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.http_server import (
    SERVER_NAME,
    raw_http_request,
    raw_http_response,
    reason,
)


@dataclass
class HttpResult:
    """What a request came back with. ``error`` is set when there is no answer to read.

    ``error`` starts with "unreachable" (nothing accepted the connection),
    "disconnected" (the peer hung up before answering) or "timeout".
    """

    status: int | None = None
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    src: tuple[str, int] = ("", 0)  # the local address the request left from
    error: str | None = None
    elapsed_ms: float = 0.0
    content_type: str = field(default="", repr=False)

    @property
    def unreachable(self) -> bool:
        return self.error is not None and self.error.startswith("unreachable")


#: Names an answer for the trace: called only when the exchange is recorded.
Describe = Callable[[HttpResult], str]


class HttpClient:
    """A client part: one connection pool (``limit`` connections) bound to the service's host.

    ``timeout_ms`` bounds each request as a whole; it is read when the pool
    is created (the first request after ``start`` or ``stop``).
    """

    def __init__(
        self,
        service: Service,
        trace: TraceRecorder,
        timeout_ms: int = 5000,
        limit: int = 200,
    ) -> None:
        self.service = service
        self.trace = trace
        self.timeout_ms = timeout_ms
        self.limit = limit
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Nothing to open: the pool is made on the first request, on the running loop."""

    async def stop(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _session_for_loop(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                local_addr=(self.service.host, 0), limit=self.limit, enable_cleanup_closed=False
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.timeout_ms / 1000),
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
            )
            # aiohttp sends an idempotent request (GET, HEAD, PUT, DELETE) a second time,
            # silently, when the peer closes the connection before answering. An emulator
            # must put on the wire exactly what it records: one request, one attempt.
            # (aiohttp's own test client turns it off the same way; no public switch.)
            self._session._retry_connection = False
        return self._session

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        protocol: str = "HTTP",
        summary: str = "",
        describe: Describe | None = None,
    ) -> HttpResult:
        """One request; recorded (``summary``, ``describe(result)``) when the peer is external."""
        parsed, dst, target, netloc = _parse_url(url)
        sent = dict(headers or {})
        sent.setdefault("User-Agent", f"{SERVER_NAME}/{self.service.role}")
        record = not self.trace.is_embedded(*dst)
        started = time.perf_counter()
        sent_at = time.time()
        session = self._session_for_loop()
        result = HttpResult(src=(self.service.host, 0))
        try:
            async with session.request(method, parsed, data=body, headers=sent) as resp:
                result.src = _source_of(resp) or result.src
                result.body = await resp.read()
                result.status = resp.status
                result.headers = [
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in resp.raw_headers
                ]
                result.content_type = resp.headers.get("Content-Type", "")
        except aiohttp.ClientConnectorError as err:  # before ClientOSError, its base class
            # Nothing crossed the wire: nothing to record.
            result.error = f"unreachable: {err.os_error or err}"
            result.elapsed_ms = _ms(started)
            return result
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as err:
            result.error = f"disconnected: {err}"
        except TimeoutError:
            result.error = f"timeout after {self.timeout_ms} ms"
        result.elapsed_ms = _ms(started)
        if record:
            pairs = [("Host", netloc), *sent.items(), ("Content-Length", str(len(body)))]
            raw = raw_http_request(method, target, pairs, body)
            # Recorded once the source port is known, stamped with the time it was sent.
            self.trace.record(
                result.src,
                dst,
                protocol,
                summary or f"{method} {target}",
                raw,
                at=sent_at,
                listener=dst,
            )
            if result.status is not None:
                answer = raw_http_response(result.status, result.headers, result.body)
                said = describe(result) if describe is not None else ""
                said = said or f"HTTP {result.status} {reason(result.status)}"
                self.trace.record(dst, result.src, protocol, said, answer, listener=dst)
        return result

    async def post(
        self,
        url: str,
        body: bytes,
        *,
        headers: Mapping[str, str] | None = None,
        protocol: str = "HTTP",
        summary: str = "",
        describe: Describe | None = None,
    ) -> HttpResult:
        return await self.request(
            "POST",
            url,
            body=body,
            headers=headers,
            protocol=protocol,
            summary=summary,
            describe=describe,
        )

    async def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        protocol: str = "HTTP",
        summary: str = "",
        describe: Describe | None = None,
    ) -> HttpResult:
        return await self.request(
            "GET", url, headers=headers, protocol=protocol, summary=summary, describe=describe
        )


@lru_cache(maxsize=1024)
def _parse_url(url: str) -> tuple[URL, tuple[str, int], str, str]:
    """(the URL as aiohttp takes it, (host, port), request target, netloc) of ``url``.

    An emulator posts to the same few URLs all run long; aiohttp would parse the string
    again for every request.
    """
    split = urlsplit(url)
    target = split.path or "/"
    if split.query:
        target += f"?{split.query}"
    return URL(url), (split.hostname or "", split.port or 80), target, split.netloc


def _source_of(resp: aiohttp.ClientResponse) -> tuple[str, int] | None:
    """The local (host, port) of the connection a response came on.

    aiohttp releases ``resp.connection`` as soon as a small body is in, so
    fall back to the response protocol's transport.
    """
    transport = resp.connection.transport if resp.connection is not None else None
    if transport is None:
        transport = getattr(getattr(resp, "_protocol", None), "transport", None)
    if transport is None:
        return None
    sockname = transport.get_extra_info("sockname")
    return (sockname[0], sockname[1]) if sockname else None


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
