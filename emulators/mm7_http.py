"""MM7 over HTTP: the dispatch every MM7 emulator mounts on its HTTP server, and its client.

Both sides speak through the sans-IO codec. The dispatch (``MM7Endpoint``)
decodes a request, answers what it cannot decode with the MM7 fault of its
side (RSErrorRsp for a relay, VASPErrorRsp for a VASP), applies the
``status`` fault knob, and hands the rest to the emulator's handler. The
generic server (transports/http_server.py) owns the limits, the trace and
the ``drop``/``slow_ms`` knobs; the generic client (transports/http_client.py)
owns the source address and records only exchanges with an external SUT.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.service import Faults, Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.http_client import HttpClient, HttpResult
from mmsconf.emulators.transports.http_server import (
    HttpAnswer,
    HttpLimits,
    HttpRequest,
    HttpServer,
)

__all__ = [
    "Credentials",
    "Handler",
    "HttpLimits",
    "Inbound",
    "MM7Client",
    "MM7Endpoint",
    "Outcome",
    "Reply",
    "fault_reply",
    "parse_basic",
]


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
    side: str,
    transaction_id: str,
    namespace: str,
    status: int,
    text: str = "",
    details: str | None = None,
) -> Reply:
    """The error answer of a relay ("rs") or a VASP ("vasp"): a SOAP Fault over HTTP 500.

    ``details`` goes into Status/Details: which element failed and why, so
    the peer need not ask for our trace.
    """
    cls = mm7.RSErrorRsp if side == "rs" else mm7.VASPErrorRsp
    status_obj = mm7.Status(int(status), text or mm7.STATUS_TEXT.get(int(status), ""), details)
    detail = cls(transaction_id=transaction_id, namespace=namespace, status=status_obj)
    return Reply(detail, http_status=500)


class MM7Endpoint:
    """MM7 requests dispatched by path to handlers, on an HTTP server.

    ``routes`` maps a path to (side, handler): ``side`` says which error
    element the path answers with, "rs" for a relay/server (RSErrorRsp),
    "vasp" for a VASP (VASPErrorRsp). Without ``server``, the endpoint makes
    one (with ``limits``) and gives it to ``service`` as a listener; with
    one, it mounts its paths beside whatever else that server serves.
    """

    def __init__(
        self,
        service: Service,
        trace: TraceRecorder,
        routes: Mapping[str, tuple[str, Handler]],
        codec: mm7.CodecConfig,
        limits: HttpLimits | None = None,
        *,
        server: HttpServer | None = None,
    ) -> None:
        self.service = service
        self.trace = trace
        self.codec = codec
        if server is None:
            server = service.add_listener(HttpServer(service, trace, limits))
        elif limits is not None:
            server.limits = limits
        self.server = server
        self.routes = dict(routes)
        for path, (side, handler) in self.routes.items():
            server.mount(path, self._dispatch(path, side, handler), protocol="MM7", faults=True)

    @property
    def faults(self) -> Faults:
        return self.service.faults

    @property
    def limits(self) -> HttpLimits:
        return self.server.limits

    @limits.setter
    def limits(self, limits: HttpLimits) -> None:
        self.server.limits = limits

    def url(self, path: str) -> str:
        return self.server.url(path)

    def _dispatch(
        self, path: str, side: str, handler: Handler
    ) -> Callable[[HttpRequest], Awaitable[HttpAnswer]]:
        async def handle(request: HttpRequest) -> HttpAnswer:
            try:
                decoded = mm7.decode(
                    request.body,
                    request.headers.get("Content-Type", ""),
                    soap_action=request.headers.get("SOAPAction"),
                    config=self.codec,
                )
            except mm7.MM7Error as err:
                self.service.events.emit(
                    "rejected",
                    path=path,
                    element=err.element,
                    status=err.status,
                    elements=[d.element for d in err.deviations],
                )
                tid = _sniff_transaction_id(request.body)
                reply = fault_reply(
                    side, tid, self.codec.namespace, err.status, details=mm7.error_details(err)
                )
                return _answer(reply, f"POST {path} rejected: {err}")
            # Recorded before the handler runs: what it forwards comes after it in the trace.
            request.record(mm7.summary(decoded.message))
            message = decoded.message
            if self.faults.status is not None:
                reply = fault_reply(
                    side, message.transaction_id, message.namespace, self.faults.status
                )
            else:
                inbound = Inbound(
                    message=message,
                    deviations=decoded.deviations,
                    peer=request.peer,
                    path=path,
                    headers=request.headers,
                )
                reply = await handler(inbound)
            return _answer(reply)

        return handle


def _answer(reply: Reply, request_summary: str = "") -> HttpAnswer:
    encoded = mm7.encode(reply.message)
    headers = [
        ("Content-Type", encoded.content_type),
        ("SOAPAction", encoded.soap_action),
        *reply.headers.items(),
    ]
    return HttpAnswer(
        reply.http_status,
        headers,
        encoded.body,
        request_summary=request_summary,
        summary=mm7.summary(reply.message),
        protocol="MM7",
    )


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
    """A client part: POSTs MM7 requests from the emulator's own address."""

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
        self.http = HttpClient(service, trace, timeout_ms=timeout_ms, limit=limit)

    @property
    def timeout_ms(self) -> int:
        return self.http.timeout_ms

    @timeout_ms.setter
    def timeout_ms(self, value: int) -> None:
        self.http.timeout_ms = value  # read when the next connection pool is made

    async def start(self) -> None:
        await self.http.start()

    async def stop(self) -> None:
        await self.http.stop()

    async def close(self) -> None:
        await self.http.stop()

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
        headers = {"Content-Type": encoded.content_type, "SOAPAction": encoded.soap_action}
        if credentials is not None:
            headers["Authorization"] = credentials.header()
        if extra_headers:
            headers.update(extra_headers)
        decoded: list[tuple[mm7.MM7Message | None, str | None]] = []

        def describe(result: HttpResult) -> str:
            decoded.append(self._decode(result))
            message, failure = decoded[0]
            return (
                mm7.summary(message) if message is not None else f"HTTP {result.status}, {failure}"
            )

        result = await self.http.post(
            url,
            encoded.body,
            headers=headers,
            protocol="MM7",
            summary=mm7.summary(message),
            describe=describe,
        )
        if result.status is None:
            return Outcome(url, error=result.error, elapsed_ms=result.elapsed_ms)
        answer, failure = decoded[0] if decoded else self._decode(result)
        if answer is None:
            return Outcome(
                url, http_status=result.status, error=failure, elapsed_ms=result.elapsed_ms
            )
        return Outcome(url, http_status=result.status, message=answer, elapsed_ms=result.elapsed_ms)

    def _decode(self, result: HttpResult) -> tuple[mm7.MM7Message | None, str | None]:
        try:
            decoded = mm7.decode(result.body, result.content_type, config=self.codec)
        except mm7.MM7Error as err:
            return None, f"undecodable: {err}"
        return decoded.message, None
