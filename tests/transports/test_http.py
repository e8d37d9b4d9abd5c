"""The generic HTTP server and client, over real sockets: routes beside MM7, and the trace."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import Inbound, MM7Client, MM7Endpoint, Reply
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.http_client import HttpClient
from mmsconf.emulators.transports.http_server import HttpAnswer, HttpRequest, HttpServer

CODEC = mm7.CodecConfig(namespace=mm7.DEFAULT_NAMESPACE, mode=mm7.Mode.LENIENT)


def submit(tid: str) -> mm7.SubmitReq:
    return mm7.SubmitReq(
        transaction_id=tid,
        namespace=mm7.DEFAULT_NAMESPACE,
        vasp_id="v1",
        to=(mm7.Address("+8613800000001"),),
        subject="hi",
        parts=(mm7.ContentPart("text-1", "text/plain", b"hi"),),
    )


class Relay(Service):
    """MM7 at /mm7 and a JSON status resource at /status, on one HTTP server and port."""

    def __init__(self, trace: TraceRecorder, host: str) -> None:
        super().__init__("RELAY", host)
        self.http = self.add_listener(HttpServer(self, trace))
        self.endpoint = MM7Endpoint(
            self, trace, {"/mm7": ("rs", self._on_submit)}, CODEC, server=self.http
        )
        self.http.mount("/status", self._status, methods=("GET",), protocol="STATUS")
        self.submissions = 0

    async def _on_submit(self, inbound: Inbound) -> Reply:
        self.submissions += 1
        req = inbound.message
        return Reply(
            mm7.SubmitRsp(
                transaction_id=req.transaction_id, namespace=req.namespace, message_id="M1"
            )
        )

    async def _status(self, request: HttpRequest) -> HttpAnswer:
        body = json.dumps({"submissions": self.submissions, "query": request.query}).encode()
        return HttpAnswer(
            200,
            [("Content-Type", "application/json")],
            body,
            request_summary="status?",
            summary=f"status: {self.submissions} submissions",
        )


def test_a_status_resource_beside_mm7_on_one_server(host: Callable[[], str]) -> None:
    async def main() -> None:
        trace = TraceRecorder()
        relay = Relay(trace, host())
        await relay.start()
        caller = Service("CALLER", host())
        mm7_client = caller.add_client(MM7Client(caller, trace, CODEC))
        http = caller.add_client(HttpClient(caller, trace))
        try:
            assert relay.endpoint.url("/mm7") == relay.http.url("/mm7")
            outcome = await mm7_client.post(relay.endpoint.url("/mm7"), submit("T1"))
            assert outcome.ok, outcome
            status = await http.get(relay.http.url("/status?verbose=1"))
            assert status.status == 200 and status.error is None
            assert json.loads(status.body) == {"submissions": 1, "query": "verbose=1"}
            assert status.src[0] == caller.host  # bound to the caller's own address
            # Faults are MM7's: a dropping relay still answers its status.
            relay.faults.drop = True
            dropped = await mm7_client.post(relay.endpoint.url("/mm7"), submit("T2"))
            assert dropped.error is not None and dropped.error.startswith("disconnected")
            assert (await http.get(relay.http.url("/status"))).status == 200
        finally:
            await caller.stop()
            await relay.stop()
        events = trace.events()
        said = [(e.protocol, " ".join(e.summary.split()[:2])) for e in events]
        assert said[:4] == [
            ("MM7", "SubmitReq tid=T1"),
            ("MM7", "SubmitRsp 1000"),
            ("STATUS", "status?"),
            ("STATUS", "status: 1"),
        ], said
        assert [e.summary for e in events[4:]] == [
            "POST /mm7 (dropped)",
            "status?",
            "status: 1 submissions",
        ]
        # Recorded by the server only (its peer is embedded), each naming the server as listener.
        assert all(e.listener == relay.address for e in events)
        assert len(events) == 7

    asyncio.run(main())


def test_unknown_path_404_wrong_method_405_handler_failure_500(host: Callable[[], str]) -> None:
    async def main() -> None:
        trace = TraceRecorder()
        relay = Relay(trace, host())

        async def broken(_request: HttpRequest) -> HttpAnswer:
            raise RuntimeError("bug")

        relay.http.mount("/broken", broken, methods=("GET",))
        await relay.start()
        caller = Service("CALLER", host())
        http = caller.add_client(HttpClient(caller, trace))
        try:
            missing = await http.get(relay.http.url("/nothing"))
            assert missing.status == 404
            wrong = await http.post(relay.http.url("/status"), b"x")
            assert wrong.status == 405 and ("Allow", "GET") in wrong.headers
            failed = await http.get(relay.http.url("/broken"))
            assert failed.status == 500
            # ... and it keeps serving.
            assert (await http.get(relay.http.url("/status"))).status == 200
        finally:
            await caller.stop()
            await relay.stop()
        said = [e.summary for e in trace.events()]
        assert said[:6] == [
            "GET /nothing",
            "HTTP 404 Not Found",
            "POST /status",
            "HTTP 405 Method Not Allowed",
            "GET /broken (handler failed)",
            "HTTP 500 Internal Server Error",
        ]

    asyncio.run(main())


def test_a_prefix_mount_serves_everything_under_it_and_exact_paths_win(
    host: Callable[[], str],
) -> None:
    async def main() -> None:
        trace = TraceRecorder()
        service = Service("API", host())
        server = service.add_listener(HttpServer(service, trace))

        def answering(text: str) -> Callable[[HttpRequest], object]:
            async def handler(request: HttpRequest) -> HttpAnswer:
                return HttpAnswer(
                    200, [("Content-Type", "text/plain")], f"{text} {request.path}".encode()
                )

            return handler

        server.mount("/farm/", answering("prefix"), methods=("GET", "POST"))
        server.mount("/farm/servers", answering("exact"), methods=("GET",))
        await service.start()
        http = service.add_client(HttpClient(service, trace))
        try:
            deep = await http.post(server.url("/farm/servers/180/down"), b"")
            exact = await http.get(server.url("/farm/servers"))
            assert (deep.body, exact.body) == (
                b"prefix /farm/servers/180/down",
                b"exact /farm/servers",
            )
        finally:
            await service.stop()

    asyncio.run(main())


def test_a_handler_that_records_early_comes_before_what_it_caused(host: Callable[[], str]) -> None:
    """The front asks the back while handling: its request is traced before that question."""

    async def main() -> None:
        trace = TraceRecorder()
        back = Service("BACK", host())
        back_http = back.add_listener(HttpServer(back, trace))

        async def answer(_request: HttpRequest) -> HttpAnswer:
            return HttpAnswer(200, [("Content-Type", "text/plain")], b"42", summary="42")

        back_http.mount("/answer", answer, methods=("GET",))
        front = Service("FRONT", host())
        front_http = front.add_listener(HttpServer(front, trace))
        asker = front.add_client(HttpClient(front, trace))

        async def ask(request: HttpRequest) -> HttpAnswer:
            request.record("question")
            got = await asker.get(back_http.url("/answer"))
            return HttpAnswer(
                200, [("Content-Type", "text/plain")], got.body, request_summary="ignored"
            )

        front_http.mount("/ask", ask, methods=("GET",))
        await back.start()
        await front.start()
        outside = Service("USER", host())
        http = outside.add_client(HttpClient(outside, trace))
        try:
            assert (await http.get(front_http.url("/ask"))).body == b"42"
        finally:
            await outside.stop()
            await front.stop()
            await back.stop()
        assert [e.summary for e in trace.events()] == [
            "question",
            "GET /answer",
            "42",
            "HTTP 200 OK",
        ]

    asyncio.run(main())


def test_the_client_records_an_external_peer_once_with_the_listener(
    host: Callable[[], str],
) -> None:
    async def main() -> tuple[TraceRecorder, TraceRecorder, tuple[str, int]]:
        ours, theirs = TraceRecorder(), TraceRecorder()
        relay = Relay(theirs, host())
        await relay.start()
        ours.register("SUT", *relay.address, embedded=False)
        caller = Service("CALLER", host())
        http = caller.add_client(HttpClient(caller, ours))
        try:
            got = await http.get(
                relay.http.url("/status"),
                headers={"Authorization": 'Digest username="u", response="abc"'},
                summary="how are you?",
                describe=lambda r: f"{len(r.body)} bytes",
            )
            assert got.status == 200
        finally:
            await caller.stop()
            await relay.stop()
        return ours, theirs, relay.address

    ours, theirs, where = asyncio.run(main())
    request, answer = ours.events()
    body = answer.raw.split(b"\r\n\r\n", 1)[1]
    assert (request.summary, answer.summary) == ("how are you?", f"{len(body)} bytes")
    assert request.listener == answer.listener == where
    assert request.dst.role == answer.src.role == "SUT"
    # The same source port the server saw; the credentials masked in both traces.
    assert (request.src.host, request.src.port) == (
        theirs.events()[0].src.host,
        theirs.events()[0].src.port,
    )
    for event in (request, theirs.events()[0]):
        assert b"Authorization: Digest ********\r\n" in event.raw and b"abc" not in event.raw


def test_the_client_says_unreachable_and_records_nothing(host: Callable[[], str]) -> None:
    async def main() -> None:
        trace = TraceRecorder()
        caller = Service("CALLER", host())
        http = caller.add_client(HttpClient(caller, trace, timeout_ms=2000))
        try:
            got = await http.get(f"http://{host()}:9/nowhere")
            assert got.unreachable and got.status is None, got
        finally:
            await caller.stop()
        assert trace.events() == []

    asyncio.run(main())


def test_a_get_the_peer_hangs_up_on_is_sent_once_not_retried(host: Callable[[], str]) -> None:
    """aiohttp would send an idempotent request again, silently, after the peer closed the
    connection without an answer; the trace would then show one request where the peer got
    two. The client turns that off: one request, one attempt, 'disconnected'."""

    async def main() -> int:
        trace = TraceRecorder()
        peer = Service("PEER", host())
        http_server = peer.add_listener(HttpServer(peer, trace))
        got: list[str] = []

        async def hang_up(request: HttpRequest) -> HttpAnswer:
            got.append(request.method)
            return HttpAnswer(0, drop=True)

        http_server.mount("/probe", hang_up, methods=("GET",))
        await peer.start()
        caller = Service("CALLER", host())
        http = caller.add_client(HttpClient(caller, trace, timeout_ms=2000))
        try:
            for _ in range(3):
                result = await http.get(http_server.url("/probe"))
                assert result.status is None and result.error.startswith("disconnected"), result
        finally:
            await caller.stop()
            await peer.stop()
        return len(got)

    assert asyncio.run(main()) == 3
