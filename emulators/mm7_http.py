"""MM7 over HTTP: the server endpoint and the client every MM7 emulator uses.

Both sides speak through the sans-IO codec and write what crosses the
socket to the trace recorder. The server records the exchanges it takes
part in; the client records only those whose server is not an embedded
emulator (an external SUT), so each message is recorded once.
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
from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.service import Faults, Service
from mmsconf.fixtures.trace import TraceRecorder

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
    parts: tuple[mm7.ContentPart, ...] = ()

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


def raw_http_request(
    method: str, target: str, headers: Sequence[tuple[str, str]], body: bytes
) -> bytes:
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head.encode("latin-1", "replace") + b"\r\n" + body


def raw_http_response(status: int, headers: Sequence[tuple[str, str]], body: bytes) -> bytes:
    head = f"HTTP/1.1 {status} {_reason(status)}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head.encode("latin-1", "replace") + b"\r\n" + body


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
        max_body: int = 2_000_000,
    ) -> None:
        self.service = service
        self.trace = trace
        self.routes = dict(routes)
        self.codec = codec
        self.max_body = max_body
        self._server: asyncio.base_events.Server | None = None
        self._web: web.Server | None = None

    @property
    def faults(self) -> Faults:
        return self.service.faults

    async def listen(self) -> None:
        loop = asyncio.get_running_loop()
        max_body = self.max_body

        def make_request(message, payload, protocol, writer, task) -> web.BaseRequest:
            return web.BaseRequest(
                message, payload, protocol, writer, task, loop, client_max_size=max_body
            )

        self._web = web.Server(self._handle, request_factory=make_request)
        self._server = await loop.create_server(
            self._web, self.service.host, self.service.port, reuse_address=True, backlog=1024
        )
        self.service.port = self._server.sockets[0].getsockname()[1]
        self.trace.register(self.service.role, self.service.host, self.service.port, embedded=True)

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
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._send_plain(peer, 413, b"request body too large\n")
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
            parts=getattr(decoded.message, "parts", ()),
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
    deviations: tuple[mm7.Deviation, ...] = ()
    error: str | None = None  # transport or decode failure, when there is no message
    elapsed_ms: float = 0.0

    @property
    def status(self) -> int | None:
        return mm7.status_of(self.message) if self.message is not None else None

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status // 1000 == 1

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
        except aiohttp.ClientConnectorError as err:
            return Outcome(
                url, error=f"unreachable: {err.os_error or err}", elapsed_ms=_ms(started)
            )
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as err:
            if record:
                self._record_request(src, dst, split, headers, encoded, message, sent_at)
            return Outcome(url, error=f"disconnected: {err}", elapsed_ms=_ms(started))
        except TimeoutError:
            if record:
                self._record_request(src, dst, split, headers, encoded, message, sent_at)
            return Outcome(
                url, error=f"timeout after {self.timeout_ms} ms", elapsed_ms=_ms(started)
            )
        if record:
            self._record_request(src, dst, split, headers, encoded, message, sent_at)
        try:
            decoded = mm7.decode(body, content_type, config=self.codec)
        except mm7.MM7Error as err:
            if record:
                self.trace.record(
                    dst,
                    src,
                    "MM7",
                    f"HTTP {status}, undecodable: {err}",
                    raw_http_response(status, resp_headers, body),
                )
            return Outcome(
                url, http_status=status, error=f"undecodable: {err}", elapsed_ms=_ms(started)
            )
        if record:
            self.trace.record(
                dst,
                src,
                "MM7",
                mm7.summary(decoded.message),
                raw_http_response(status, resp_headers, body),
            )
        return Outcome(
            url,
            http_status=status,
            message=decoded.message,
            deviations=decoded.deviations,
            elapsed_ms=_ms(started),
        )

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
