"""MM7 over HTTP: the server endpoint and the client every MM7 emulator uses.

Both sides speak through the sans-IO codec and write what crosses the
socket to the trace recorder. The server records the exchanges it takes
part in; the client records only those whose server is not an embedded
emulator (an external SUT), so each message is recorded once.

The server side is bounded by ``HttpLimits``: what a peer may send, and for
how long, before the endpoint answers an HTTP error or hangs up. Nothing a
peer sends makes it stop answering the next valid request.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.log import server_logger
from aiohttp.web_protocol import RequestHandler, RequestPayloadError

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.ports import listen_port
from mmsconf.emulators.service import Faults, Service
from mmsconf.emulators.trace import TraceRecorder

SERVER_NAME = "mmsconf"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def header(self) -> str:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return f"Basic {token}"


def parse_basic(header: str | None) -> Credentials | None:
    """HTTP Basic credentials from an Authorization header; None when absent or malformed."""
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return Credentials(username, password) if sep else None


@dataclass
class Inbound:
    """A decoded MM7 request as a handler sees it."""

    message: mm7.MM7Message
    deviations: tuple[mm7.Deviation, ...]
    peer: tuple[str, int]
    path: str
    headers: Mapping[str, str]

    @property
    def credentials(self) -> Credentials | None:
        return parse_basic(self.headers.get("Authorization"))


@dataclass
class Reply:
    """A handler's answer: an MM7 message and the HTTP status to send it with."""

    message: mm7.MM7Message
    http_status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Inbound], Awaitable[Reply]]


def fault_reply(
    side: str, transaction_id: str, namespace: str, status: int, text: str = ""
) -> Reply:
    """The error answer of a relay ("rs") or a VASP ("vasp"): a SOAP Fault over HTTP 500."""
    cls = mm7.RSErrorRsp if side == "rs" else mm7.VASPErrorRsp
    status_obj = mm7.Status.of(status, text or None)
    detail = cls(transaction_id=transaction_id, namespace=namespace, status=status_obj)
    return Reply(detail, http_status=500)


def _reason(status: int) -> str:
    try:
        from http import HTTPStatus

        return HTTPStatus(status).phrase
    except ValueError:
        return ""


#: Headers whose values are credentials, whatever scheme (or none) they use.
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization"})


def _masked(headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Credentials out of header values before they are recorded: the scheme stays."""
    out = []
    for name, value in headers:
        if name.lower() in _CREDENTIAL_HEADERS:
            scheme, sep, _ = value.strip().partition(" ")
            shown = scheme if sep and scheme.isascii() and scheme.isalpha() else ""
            value = f"{shown} ********".lstrip()
        out.append((name, value))
    return out


def raw_http_request(
    method: str, target: str, headers: Sequence[tuple[str, str]], body: bytes
) -> bytes:
    """An HTTP request as the trace records it (credentials masked)."""
    lines = "".join(f"{k}: {v}\r\n" for k, v in _masked(headers))
    head = f"{method} {target} HTTP/1.1\r\n" + lines
    return head.encode("latin-1", "replace") + b"\r\n" + body


def raw_http_response(status: int, headers: Sequence[tuple[str, str]], body: bytes) -> bytes:
    """An HTTP response as the trace records it (credentials masked)."""
    lines = "".join(f"{k}: {v}\r\n" for k, v in _masked(headers))
    head = f"HTTP/1.1 {status} {_reason(status)}\r\n" + lines
    return head.encode("latin-1", "replace") + b"\r\n" + body


@dataclass(frozen=True)
class HttpLimits:
    """What an MM7 endpoint takes from a peer, and for how long, before it gives up.

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

    Timers are milliseconds. An endpoint reads its limits when it accepts a
    connection, so a changed ``MM7Endpoint.limits`` applies to later connections.
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
    body = f"{_reason(status)}\n".encode()
    headers = [
        ("Content-Type", "text/plain"),
        ("Server", SERVER_NAME),
        ("Date", formatdate(usegmt=True)),
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
        self, manager: web.Server, *, limits: HttpLimits, notice: LimitNotice, **kwargs
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
        body = f"{status} {_reason(status)}\n".encode()
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
    """web.Server whose connections take the endpoint's limits as they are when accepted."""

    def __init__(self, endpoint: MM7Endpoint, handler, **kwargs) -> None:
        super().__init__(handler, **kwargs)
        self._endpoint = endpoint

    def __call__(self) -> RequestHandler:
        limits = self._endpoint.limits
        return _LimitedHandler(
            self,
            loop=self._loop,
            limits=limits,
            notice=self._endpoint._on_refused,
            max_line_size=limits.max_line_size,
            max_field_size=limits.max_field_size,
            max_headers=limits.max_header_count,
            keepalive_timeout=limits.idle_timeout_ms / 1000,
            lingering_time=min(10.0, limits.body_timeout_ms / 1000),
            **self._kwargs,
        )


class MM7Endpoint:
    """An HTTP listener dispatching MM7 requests by path to handlers.

    ``side`` says which error element this endpoint answers with: "rs" for a
    relay/server (RSErrorRsp), "vasp" for a VASP (VASPErrorRsp).
    """

    def __init__(
        self,
        service: Service,
        trace: TraceRecorder,
        routes: Mapping[str, tuple[str, Handler]],
        codec: mm7.CodecConfig,
        limits: HttpLimits | None = None,
    ) -> None:
        self.service = service
        self.trace = trace
        self.routes = dict(routes)
        self.codec = codec
        self.limits = limits or HttpLimits()
        self._server: asyncio.base_events.Server | None = None
        self._web: web.Server | None = None

    @property
    def faults(self) -> Faults:
        return self.service.faults

    async def listen(self) -> None:
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

        self._web = _LimitedServer(self, self._handle, request_factory=make_request)
        if not self.service.port:
            self.service.port = listen_port(self.service.host)
        self._server = await loop.create_server(
            self._web, self.service.host, self.service.port, reuse_address=True, backlog=1024
        )
        self.trace.register(self.service.role, self.service.host, self.service.port, embedded=True)

    def _on_refused(self, why: str, peer: tuple[str, int], answer: bytes | None) -> None:
        """A request or connection was refused (``why``): trace the answer, tell waiters."""
        if answer is not None:
            status = int(answer.split(b" ", 2)[1])
            summary = f"HTTP {status} {_reason(status)} ({why})"
            self.trace.record(self.service.address, peer, "HTTP", summary, answer)
        self.service.events.emit("http_refused", why=why, peer=peer)

    async def close(self) -> None:
        self.trace.unregister(self.service.host, self.service.port)
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

    def url(self, path: str) -> str:
        return f"http://{self.service.host}:{self.service.port}{path}"

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername")[:2] if request.transport else ("?", 0)
        own = self.service.address
        limits: HttpLimits = getattr(request.protocol, "_limits", self.limits)
        declared = request.content_length
        if declared is not None and declared > limits.max_body:
            return self._refuse(request, peer, 413, "max_body")
        try:
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
        raw = raw_http_request(request.method, request.path_qs, _header_pairs(request), body)
        if self.faults.drop:
            self.trace.record(peer, own, "MM7", f"{request.method} {request.path} (dropped)", raw)
            self.service.events.emit("dropped", path=request.path)
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=204)
        route = self.routes.get(request.path)
        content_type = request.headers.get("Content-Type", "")
        if request.method != "POST" or route is None:
            self.trace.record(peer, own, "HTTP", f"{request.method} {request.path}", raw)
            status = 405 if route is not None else 404
            return self._send_plain(peer, status, f"{_reason(status)}\n".encode())
        side, handler = route
        try:
            decoded = mm7.decode(
                body, content_type, soap_action=request.headers.get("SOAPAction"), config=self.codec
            )
        except mm7.MM7Error as err:
            self.trace.record(peer, own, "MM7", f"POST {request.path} rejected: {err}", raw)
            self.service.events.emit(
                "rejected", path=request.path, element=err.element, status=err.status
            )
            reply = fault_reply(side, _sniff_transaction_id(body), self.codec.namespace, err.status)
            return await self._send(peer, reply)
        self.trace.record(peer, own, "MM7", mm7.summary(decoded.message), raw)
        inbound = Inbound(
            message=decoded.message,
            deviations=decoded.deviations,
            peer=peer,
            path=request.path,
            headers=request.headers,
        )
        if self.faults.status is not None:
            envelope = decoded.message
            reply = fault_reply(
                side, envelope.transaction_id, envelope.namespace, self.faults.status
            )
        else:
            reply = await handler(inbound)
        return await self._send(peer, reply)

    async def _send(self, peer: tuple[str, int], reply: Reply) -> web.Response:
        if self.faults.slow_ms:
            await asyncio.sleep(self.faults.slow_ms / 1000)  # the fault *is* the delay
        encoded = mm7.encode(reply.message)
        headers = [
            ("Content-Type", encoded.content_type),
            ("SOAPAction", encoded.soap_action),
            ("Server", SERVER_NAME),
            ("Date", formatdate(usegmt=True)),
            *reply.headers.items(),
        ]
        raw = raw_http_response(
            reply.http_status, [*headers, ("Content-Length", str(len(encoded.body)))], encoded.body
        )
        self.trace.record(self.service.address, peer, "MM7", mm7.summary(reply.message), raw)
        return web.Response(status=reply.http_status, body=encoded.body, headers=dict(headers))

    def _refuse(
        self, request: web.BaseRequest, peer: tuple[str, int], status: int, why: str
    ) -> web.Response:
        """An HTTP error for a request whose body was not taken; the connection then closes."""
        head = raw_http_request(request.method, request.path_qs, _header_pairs(request), b"")
        self.trace.record(
            peer,
            self.service.address,
            "HTTP",
            f"{request.method} {request.path} refused ({why})",
            head,
        )
        self.service.events.emit("http_refused", why=why, peer=peer)
        response = self._send_plain(peer, status, f"{_reason(status)}\n".encode())
        response.force_close()
        return response

    def _send_plain(self, peer: tuple[str, int], status: int, body: bytes) -> web.Response:
        headers = [
            ("Content-Type", "text/plain"),
            ("Server", SERVER_NAME),
            ("Date", formatdate(usegmt=True)),
        ]
        raw = raw_http_response(status, [*headers, ("Content-Length", str(len(body)))], body)
        self.trace.record(
            self.service.address, peer, "HTTP", f"HTTP {status} {_reason(status)}", raw
        )
        return web.Response(status=status, body=body, headers=dict(headers))


def _header_pairs(request: web.BaseRequest) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers]


def _sniff_transaction_id(body: bytes) -> str:
    """Best effort: echo the TransactionID even when the envelope failed to decode."""
    start = body.find(b"TransactionID")
    if start < 0:
        return ""
    gt = body.find(b">", start)
    end = body.find(b"<", gt)
    if gt < 0 or end < 0 or end - gt > 200:
        return ""
    return body[gt + 1 : end].decode("utf-8", "replace").strip()


@dataclass
class Outcome:
    """What an MM7 POST came back with."""

    url: str
    http_status: int | None = None
    message: mm7.MM7Message | None = None
    error: str | None = None  # transport or decode failure, when there is no message
    elapsed_ms: float = 0.0

    @property
    def status(self) -> int | None:
        return mm7.status_of(self.message) if self.message is not None else None

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status // 1000 == 1

    @property
    def refused(self) -> bool:
        """The peer answered with a client error (2xxx): asking again will not help."""
        return self.status is not None and self.status // 1000 == 2

    @property
    def unreachable(self) -> bool:
        return self.error is not None and self.error.startswith("unreachable")


class MM7Client:
    """POSTs MM7 requests from the emulator's own address."""

    def __init__(
        self,
        service: Service,
        trace: TraceRecorder,
        codec: mm7.CodecConfig,
        timeout_ms: int = 5000,
        limit: int = 200,
    ) -> None:
        self.service = service
        self.trace = trace
        self.codec = codec
        self.timeout_ms = timeout_ms
        self.limit = limit
        self._session: aiohttp.ClientSession | None = None

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
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def post(
        self,
        url: str,
        message: mm7.MM7Message,
        *,
        parts: Sequence[mm7.ContentPart] = (),
        credentials: Credentials | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Outcome:
        encoded = mm7.encode(message, parts=parts)
        split = urlsplit(url)
        dst = (split.hostname or "", split.port or 80)
        headers = {
            "Content-Type": encoded.content_type,
            "SOAPAction": encoded.soap_action,
            "User-Agent": f"{SERVER_NAME}/{self.service.role}",
        }
        if credentials is not None:
            headers["Authorization"] = credentials.header()
        if extra_headers:
            headers.update(extra_headers)
        record = not self.trace.is_embedded(*dst)
        started = time.perf_counter()
        sent_at = time.time()
        session = self._session_for_loop()
        src = (self.service.host, 0)
        try:
            async with session.post(url, data=encoded.body, headers=headers) as resp:
                src = _source_of(resp) or src
                body = await resp.read()
                status = resp.status
                resp_headers = [
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in resp.raw_headers
                ]
                content_type = resp.headers.get("Content-Type", "")
        except aiohttp.ClientConnectorError as err:  # before ClientOSError, its base class
            return Outcome(
                url, error=f"unreachable: {err.os_error or err}", elapsed_ms=_ms(started)
            )
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as err:
            failure = f"disconnected: {err}"
        except TimeoutError:
            failure = f"timeout after {self.timeout_ms} ms"
        else:
            failure = None
        if record:
            self._record_request(src, dst, split, headers, encoded, message, sent_at)
        if failure is not None:
            return Outcome(url, error=failure, elapsed_ms=_ms(started))
        try:
            decoded = mm7.decode(body, content_type, config=self.codec)
        except mm7.MM7Error as err:
            decoded = None
            failure = f"undecodable: {err}"
        if record:
            summary = (
                f"HTTP {status}, {failure}" if decoded is None else mm7.summary(decoded.message)
            )
            raw = raw_http_response(status, resp_headers, body)
            self.trace.record(dst, src, "MM7", summary, raw)
        if decoded is None:
            return Outcome(url, http_status=status, error=failure, elapsed_ms=_ms(started))
        return Outcome(url, http_status=status, message=decoded.message, elapsed_ms=_ms(started))

    def _record_request(self, src, dst, split, headers, encoded, message, at) -> None:
        target = split.path or "/"
        pairs = [
            ("Host", split.netloc),
            *headers.items(),
            ("Content-Length", str(len(encoded.body))),
        ]
        raw = raw_http_request("POST", target, pairs, encoded.body)
        self.trace.record(src, dst, "MM7", mm7.summary(message), raw, at=at)


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
    return tuple(sockname[:2]) if sockname else None


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
