"""The hardened HTTP/1.1 server part: what every HTTP-borne protocol listens with.

MM7, and later PAP, MM1, a status resource and control APIs, mount handlers
on it by path (``mount``); several can share one server and one port. The
server owns what is not protocol-specific: ``HttpLimits`` (sizes, the
request-head timeout aiohttp lacks, the connection cap), answers to what the
parser refuses that never echo the peer's bytes (an Authorization header may
be among them), 404 and 405, and the trace: each request is recorded once,
at its arrival time, and each answer once, with summaries the handler gives.
Nothing a peer sends makes it stop answering the next valid request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.log import server_logger
from aiohttp.web_protocol import RequestHandler, RequestPayloadError
from multidict import CIMultiDict

from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.base import Arrival, ListenAddress

SERVER_NAME = "mmsconf"

log = logging.getLogger(__name__)


_date_cache: tuple[int, str] = (0, "")


def _http_date() -> str:
    """The Date header value for now, made once a second (as aiohttp does for its own)."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


def reason(status: int) -> str:
    """The standard reason phrase of ``status`` ("" for a code HTTP does not define)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def raw_http_request(
    method: str, target: str, headers: Iterable[tuple[str, str]], body: bytes
) -> bytes:
    """An HTTP request as the trace records it (the recorder masks credentials)."""
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers)
    head = f"{method} {target} HTTP/1.1\r\n" + lines
    return head.encode("latin-1", "replace") + b"\r\n" + body


def raw_http_response(status: int, headers: Iterable[tuple[str, str]], body: bytes) -> bytes:
    """An HTTP response as the trace records it (the recorder masks credentials)."""
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers)
    head = f"HTTP/1.1 {status} {reason(status)}\r\n" + lines
    return head.encode("latin-1", "replace") + b"\r\n" + body


@dataclass(frozen=True)
class HttpLimits:
    """What an HTTP server takes from a peer, and for how long, before it gives up.

    Each limit and the endpoint's answer when a peer goes past it:

    ``max_body``
        bytes of request body (after any Content-Encoding is undone). A
        declared Content-Length above it is answered HTTP 413 before any of
        the body is read; a chunked or compressed body is answered 413 as soon
        as it grows past it. The rest of the body is then drained for at most
        ``body_timeout_ms`` (10 s at most), so the peer can read the answer,
        and the connection closed.
    ``max_header_count``, ``max_line_size``, ``max_field_size``
        header fields per request, bytes of the request line, bytes of one
        header field. The HTTP parser (aiohttp) refuses any of them with HTTP
        400 (not 431/414: it does not tell them apart), as it does every
        request it cannot parse (bad request line or method, TLS or the
        HTTP/2 preface on this port, Content-Length with chunked, chunked
        garbage), and closes. The answer names the status only: aiohttp's own
        would quote the offending bytes, an Authorization header among them.
    ``header_timeout_ms``
        time to receive a whole request head, from the connection's opening
        or, on a kept-alive connection, from the first byte of the next
        request. A peer that sent part of a head is answered HTTP 408 and
        the connection closed; one that sent nothing is just closed.
    ``idle_timeout_ms``
        time a kept-alive connection may sit idle between requests; then it
        is closed.
    ``body_timeout_ms``
        time to receive the whole body once the head is in: HTTP 408, closed.
    ``max_connections``
        connections open at once. A connection beyond it is answered HTTP 503
        (``Connection: close``, ``Retry-After: 1``) without reading its
        request, then closed; the endpoint keeps serving the others.

    A body that breaks its framing or encoding, or stops short because the
    peer hung up, is answered HTTP 400 and the connection closed. Every
    refusal is recorded in the trace and emitted as an ``http_refused`` event
    (``why``: the limit or error) on the service's event log.

    Timers are milliseconds. A server reads its limits when it accepts a
    connection, so a changed ``HttpServer.limits`` applies to later connections.
    """

    max_body: int = 2_000_000
    max_header_count: int = 100
    max_line_size: int = 8190
    max_field_size: int = 8190
    header_timeout_ms: int = 10_000
    idle_timeout_ms: int = 30_000
    body_timeout_ms: int = 30_000
    max_connections: int = 512

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"HttpLimits.{name} must be a positive integer, not {value!r}")


def _raw_close_response(status: int, extra: Sequence[tuple[str, str]] = ()) -> bytes:
    """A complete HTTP answer that ends the connection, for when no request object exists."""
    body = f"{reason(status)}\n".encode()
    headers = [
        ("Content-Type", "text/plain"),
        ("Server", SERVER_NAME),
        ("Date", _http_date()),
        ("Connection", "close"),
        *extra,
        ("Content-Length", str(len(body))),
    ]
    return raw_http_response(status, headers, body)


#: (what happened, peer, the answer sent or None) → None: how a connection reports a limit.
LimitNotice = Callable[[str, tuple[str, int], bytes | None], None]


class _LimitedHandler(RequestHandler):
    """aiohttp's connection protocol plus the limits aiohttp does not enforce itself.

    aiohttp enforces sizes and the keep-alive idle time. This adds the
    request-head timeout (aiohttp has none: a slow sender could hold a
    connection for ever) and the connection cap. It reads a few private
    attributes of RequestHandler (``_request_count``, ``_messages``,
    ``_request_in_progress``, ``_keepalive``, ``_close``; aiohttp 3.10+) to
    tell a head in progress from a request being served.
    """

    def __init__(
        self, manager: web.Server, *, limits: HttpLimits, notice: LimitNotice, **kwargs: Any
    ) -> None:
        super().__init__(manager, **kwargs)
        self._limits = limits
        self._notice = notice
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0  # bytes received since the head timer was armed
        self._refused = False
        self._peer: tuple[str, int] = ("?", 0)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        self._peer = tuple(peer[:2]) if peer else ("?", 0)
        manager = self._manager
        if manager is not None and len(manager.connections) >= self._limits.max_connections:
            self._refused = True
            answer = _raw_close_response(503, [("Retry-After", "1")])
            transport.write(answer)  # type: ignore[attr-defined]
            transport.close()
            self._notice("max_connections", self._peer, answer)
            return
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._cancel_head_timer()
        if self._refused:
            return
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        before = getattr(self, "_request_count", 0)
        super().data_received(data)
        if getattr(self, "_request_count", 0) != before:
            self._cancel_head_timer()  # a head is complete (or the parser refused it)
        elif data and self._head_timer is None and not self._serving():
            self._arm_head_timer()  # the first bytes of the next request on this connection
        if self._head_timer is not None:
            self._head_bytes += len(data)

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if not isinstance(exc, HttpProcessingError):
            return super().handle_error(request, status, exc, message)
        # The parser refused the request. aiohttp would echo the offending bytes in the
        # answer and log them with a traceback: an Authorization header among them. Answer
        # the bare status, and tell the log and the trace only what kind of error it was.
        what = _parse_error_kind(exc)
        server_logger.info("refused an unparseable request from %s: %s", self._peer[0], what)
        body = f"{status} {reason(status)}\n".encode()
        response = web.Response(
            status=status, body=body, headers={"Content-Type": "text/plain", "Server": SERVER_NAME}
        )
        response.force_close()
        headers = [*response.headers.items(), ("Content-Length", str(len(body)))]
        self._notice(f"bad_request: {what}", self._peer, raw_http_response(status, headers, body))
        return response

    def _serving(self) -> bool:
        """No head is due: a parsed request is queued or being handled (its body may be
        arriving), or the connection is ending (the rest of a refused body is being drained).
        """
        return (
            bool(getattr(self, "_messages", ()))
            or bool(getattr(self, "_request_in_progress", False))
            or not getattr(self, "_keepalive", True)
            or bool(getattr(self, "_close", False) or getattr(self, "_force_close", False))
        )

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_bytes = 0
        self._head_timer = self._loop.call_later(
            self._limits.header_timeout_ms / 1000, self._on_head_timeout
        )

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _on_head_timeout(self) -> None:
        self._head_timer = None
        transport = self.transport
        if transport is None or self._serving():
            return
        answer = None
        if self._head_bytes:
            answer = _raw_close_response(408)
            transport.write(answer)
        self._notice("header_timeout", self._peer, answer)
        self.force_close()  # flushes the 408 first


def _parse_error_kind(exc: HttpProcessingError) -> str:
    """What the parser objected to, without the bytes it quotes (they may be credentials)."""
    first = str(exc.message or type(exc).__name__).strip().splitlines()[0]
    return first.split(":", 1)[0].strip()[:80] or type(exc).__name__


class _LimitedServer(web.Server):
    """web.Server whose connections take the server's limits as they are when accepted."""

    def __init__(self, owner: HttpServer, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._owner = owner

    def __call__(self) -> RequestHandler:
        limits = self._owner.limits
        return _LimitedHandler(
            self,
            loop=self._loop,
            limits=limits,
            notice=self._owner._on_refused,
            max_line_size=limits.max_line_size,
            max_field_size=limits.max_field_size,
            max_headers=limits.max_header_count,
            keepalive_timeout=limits.idle_timeout_ms / 1000,
            lingering_time=min(10.0, limits.body_timeout_ms / 1000),
            **self._kwargs,
        )


# --- what handlers see and give ------------------------------------------------------


@dataclass
class HttpRequest:
    """A request whose body is in, as a mounted handler sees it."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]  # case-insensitive
    raw_headers: tuple[tuple[str, str], ...]
    body: bytes
    peer: tuple[str, int]
    received_at: float = 0.0  # epoch seconds, when the head arrived
    _arrival: Arrival | None = field(default=None, repr=False)

    def record(self, summary: str, *, protocol: str | None = None, stray: bool = False) -> None:
        """Record the request now, as ``summary``, before the handler does its work.

        A handler that passes it on (forwards, asks a peer) calls this first,
        so the trace shows the request before what it caused. Otherwise the
        server records it with the answer's ``request_summary``. Once either way.
        """
        if self._arrival is not None:
            self._arrival.record(summary, protocol=protocol, stray=stray)


@dataclass
class HttpAnswer:
    """A handler's answer, and how the trace names the exchange."""

    status: int
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    request_summary: str = ""  # "" : "<METHOD> <path>"
    summary: str = ""  # "" : "HTTP <status> <reason>"
    protocol: str | None = None  # None: the mount's protocol
    stray: bool = False
    close: bool = False  # close the connection after this answer
    drop: bool = False  # close the connection without any answer


HttpHandler = Callable[[HttpRequest], Awaitable[HttpAnswer]]


@dataclass(frozen=True)
class _Mount:
    handler: HttpHandler
    methods: frozenset[str]
    protocol: str
    faults: bool


class HttpServer:
    """A listening part: the hardened HTTP server, dispatching by path to mounted handlers.

    It listens on ``port`` (None: the service's port; 0 either way: one
    chosen outside the ephemeral range, kept for ``come_up``).
    """

    def __init__(
        self,
        service: Service,
        trace: TraceRecorder,
        limits: HttpLimits | None = None,
        *,
        port: int | None = None,
    ) -> None:
        self.service = service
        self.trace = trace
        self.limits = limits or HttpLimits()
        self._where = ListenAddress(service, port)
        self._mounts: dict[str, _Mount] = {}
        self._server: asyncio.base_events.Server | None = None
        self._web: web.Server | None = None

    # --- mounting ---------------------------------------------------------------------
    def mount(
        self,
        path: str,
        handler: HttpHandler,
        *,
        methods: Sequence[str] = ("POST",),
        protocol: str = "HTTP",
        faults: bool = False,
    ) -> None:
        """Serve ``path`` with ``handler``. A path ending in "/" serves everything under it.

        ``faults``: the service's generic fault knobs apply to this path
        (``drop``: the request is read and the connection closed unanswered;
        ``slow_ms``: the answer is delayed). A status resource or a control
        API leaves them off so it keeps answering while the emulator misbehaves.
        """
        if path in self._mounts:
            raise ValueError(f"{path} is already mounted on {self.service.role}'s HTTP server")
        upper = frozenset(m.upper() for m in methods)
        self._mounts[path] = _Mount(handler, upper, protocol, faults)

    def _find(self, path: str) -> _Mount | None:
        found = self._mounts.get(path)
        if found is not None:
            return found
        prefixes = [p for p in self._mounts if p.endswith("/") and path.startswith(p)]
        return self._mounts[max(prefixes, key=len)] if prefixes else None

    # --- where ------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._where.port

    @property
    def address(self) -> tuple[str, int]:
        return self._where.address

    def url(self, path: str) -> str:
        return f"http://{self.service.host}:{self.port}{path}"

    # --- lifecycle --------------------------------------------------------------------
    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        def make_request(message, payload, protocol, writer, task) -> web.BaseRequest:
            return web.BaseRequest(
                message,
                payload,
                protocol,
                writer,
                task,
                loop,
                client_max_size=getattr(protocol, "_limits", self.limits).max_body,
            )

        host, port = self._where.claim()
        self._web = _LimitedServer(self, self._handle, request_factory=make_request)
        self._server = await loop.create_server(
            self._web, host, port, reuse_address=True, backlog=1024
        )
        self.trace.register(self.service.role, host, port, embedded=True)

    async def stop(self) -> None:
        self.trace.unregister(self.service.host, self.port)
        if self._server is not None:
            self._server.close()
            if self._web is not None:
                # Idle keep-alive connections close now instead of after the shutdown timeout.
                for conn in self._web.connections:
                    conn.close()
                await self._web.shutdown(0.5)
            await self._server.wait_closed()
        self._server = None
        self._web = None

    # --- serving ----------------------------------------------------------------------
    def _on_refused(self, why: str, peer: tuple[str, int], answer: bytes | None) -> None:
        """A request or connection was refused (``why``): trace the answer, tell waiters."""
        if answer is not None:
            status = int(answer.split(b" ", 2)[1])
            summary = f"HTTP {status} {reason(status)} ({why})"
            self.trace.record(self.address, peer, "HTTP", summary, answer, listener=self.address)
        self.service.events.emit("http_refused", why=why, peer=peer)

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        arrived = time.time()
        peer = request.transport.get_extra_info("peername")[:2] if request.transport else ("?", 0)
        peer = (peer[0], peer[1])
        limits: HttpLimits = getattr(request.protocol, "_limits", self.limits)
        declared = request.content_length
        if declared is not None and declared > limits.max_body:
            return self._refuse(request, peer, 413, "max_body")
        try:
            if request.content.is_eof():
                # The whole body came with the head (any small request): read() cannot
                # wait, so no timer is needed.
                body = await request.read()
            else:
                async with asyncio.timeout(limits.body_timeout_ms / 1000):
                    body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(request, peer, 413, "max_body")
        except TimeoutError:
            return self._refuse(request, peer, 408, "body_timeout")
        except RequestPayloadError:  # broken chunked framing or content encoding
            return self._refuse(request, peer, 400, "body_framing")
        except ConnectionError:  # the peer hung up before its body was complete
            return self._refuse(request, peer, 400, "body_incomplete")
        pairs = _header_pairs(request)
        raw = raw_http_request(request.method, request.path_qs, pairs, body)
        plain = f"{request.method} {request.path}"
        mount = self._find(request.path)
        arrival = Arrival(self.trace, peer, self.address, "HTTP", raw, at=arrived)
        if mount is None or request.method not in mount.methods:
            arrival.record(plain)
            if mount is None:
                return self._plain(peer, 404)
            return self._plain(peer, 405, [("Allow", ", ".join(sorted(mount.methods)))])
        arrival.protocol = mount.protocol
        faults = self.service.faults if mount.faults else None
        if faults is not None and faults.drop:
            arrival.record(f"{plain} (dropped)")
            return self._drop(request)
        inbound = HttpRequest(
            method=request.method,
            path=request.path,
            query=request.query_string,
            headers=request.headers,
            raw_headers=tuple(pairs),
            body=body,
            peer=peer,
            received_at=arrived,
            _arrival=arrival,
        )
        try:
            answer = await mount.handler(inbound)
        except Exception:  # a handler bug: answer it as a server error, keep serving
            log.exception("%s: handler for %s failed", self.service.role, request.path)
            answer = HttpAnswer(500, request_summary=f"{plain} (handler failed)")
        arrival.settle(
            answer.request_summary or plain, protocol=answer.protocol, stray=answer.stray
        )
        if answer.drop:
            return self._drop(request)
        if faults is not None and faults.slow_ms:
            await asyncio.sleep(faults.slow_ms / 1000)  # the fault *is* the delay
        return self._send(peer, answer, answer.protocol or mount.protocol)

    def _drop(self, request: web.BaseRequest) -> web.Response:
        """Close without an answer; aiohttp's response object is never written."""
        self.service.events.emit("dropped", path=request.path)
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=204)

    def _send(self, peer: tuple[str, int], answer: HttpAnswer, protocol: str) -> web.Response:
        headers = CIMultiDict(answer.headers)
        if answer.status != 204 and "Content-Type" not in headers and answer.body:
            headers["Content-Type"] = "application/octet-stream"
        headers.setdefault("Server", SERVER_NAME)
        headers.setdefault("Date", _http_date())
        raw = raw_http_response(
            answer.status,
            [*headers.items(), ("Content-Length", str(len(answer.body)))],
            answer.body,
        )
        summary = answer.summary or f"HTTP {answer.status} {reason(answer.status)}"
        self.trace.record(
            self.address, peer, protocol, summary, raw, listener=self.address, stray=answer.stray
        )
        response = web.Response(status=answer.status, body=answer.body, headers=headers)
        if answer.close:
            response.force_close()
        return response

    def _plain(
        self, peer: tuple[str, int], status: int, extra: Sequence[tuple[str, str]] = ()
    ) -> web.Response:
        body = f"{reason(status)}\n".encode()
        answer = HttpAnswer(status, [("Content-Type", "text/plain"), *extra], body)
        return self._send(peer, answer, "HTTP")

    def _refuse(
        self, request: web.BaseRequest, peer: tuple[str, int], status: int, why: str
    ) -> web.Response:
        """An HTTP error for a request whose body was not taken; the connection then closes."""
        head = raw_http_request(request.method, request.path_qs, _header_pairs(request), b"")
        Arrival(self.trace, peer, self.address, "HTTP", head).record(
            f"{request.method} {request.path} refused ({why})"
        )
        self.service.events.emit("http_refused", why=why, peer=peer)
        response = self._plain(peer, status)
        response.force_close()
        return response


def _header_pairs(request: web.BaseRequest) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers]
