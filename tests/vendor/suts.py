"""Misbehaving systems under test, each run as its own process at a profile's addresses.

    python tests/vendor/suts.py KIND --profile P.toml [--upstream U.toml] [--delay-ms N]

It prints one line per listening address, then ``ready``, and serves until
SIGTERM/SIGINT, like ``mmsconf emulate``. The harness is pointed at it with
the same profile, out of process, exactly as a vendor's product would be.

Kinds (the gateway farm's servers are the SUT; the harness plays SP and MMSCs):

    garbage        HTTP 200 with a body that is not MM7, to every request
    silent         accepts TCP connections, reads, never answers
    accept-only    a valid MM7 SubmitRsp 1000 to everything; forwards nothing, reports nothing
    hangup         reads the request, closes the connection without an answer
    delay-proxy    a byte proxy to the farm of --upstream, answers --delay-ms late
    farm:NAME      a farm of the registered gateway NAME with the control API (the
                   reference, or one of the vendor farms registered below)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from urllib.parse import urlsplit

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import Reply, fault_reply
from mmsconf.emulators.mmsg import FORWARDED_BY, MMSGServer
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.areas.report_routing.emulate import farm_role
from mmsconf.fixtures.areas.report_routing.gateways import register_gateway
from mmsconf.fixtures.profile import load_profile

Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


# --- vendor farms: down/up work, something else does not ------------------------------


class NoStoreAndForward(MMSGServer):
    """Passes a report on only while its issuing server answers: when that server is
    down the report is refused (3000), not kept and retried."""

    async def forward_report(self, report: mm7.DeliveryReportReq, owner: int) -> Reply:
        url = self.directory.report_urls[owner]
        outcome = await self.client.post(
            url, report, extra_headers={FORWARDED_BY: str(self.module)}
        )
        tid, ns = report.transaction_id, report.namespace
        if outcome.ok:
            return Reply(mm7.DeliveryReportRsp(transaction_id=tid, namespace=ns))
        return fault_reply("vasp", tid, ns, outcome.status or 3000, "issuing server unavailable")


class ReplaysOldReport(MMSGServer):
    """Delivers every report to the SP once, but sends the first one it ever delivered
    again, once, when the next submission arrives: during the next scenario."""

    async def take_submission(self, req: mm7.SubmitReq, account, msgid1: str) -> Reply:
        state = self.directory.__dict__.setdefault("replay", {"report": None, "done": False})
        first = state["report"]
        if first is not None and not state["done"] and first[0].message_id != msgid1:
            state["done"] = True
            await self.client.post(first[1], first[0])
        return await super().take_submission(req, account, msgid1)

    async def _pass_on(self, held):
        result = await super()._pass_on(held)
        state = self.directory.__dict__.setdefault("replay", {"report": None, "done": False})
        if held.destination == "SP" and state["report"] is None:
            state["report"] = (held.item.report, held.item.url)
        return result


class SoapActionNamespace(MMSGServer):
    """Routes like the reference, but writes the MM7 namespace as the SOAPAction of every
    SubmitReq it forwards to an MMSC (a deviation real gateways have: SOAPAction must be
    ""). The harness's MMSCs read leniently, so only wire conformance can see it."""

    async def _forward_to_mmsc(self, url, req, msgid2, dests):
        forward = self.forward_request(req, msgid2, dests)
        outcome = await self.client.post(
            url,
            forward,
            credentials=self.config.mmsc_credentials,
            extra_headers={"SOAPAction": f'"{forward.namespace}"'},
        )
        return (msgid2, dests), outcome


class PaddedReportAnswers(MMSGServer):
    """Routes like the reference, but pads the TransactionID of every DeliveryReportRsp it
    answers an MMSC with white space (the MMSCs strip it and read on): a deviation only
    wire conformance sees, in an answer."""

    async def _on_report(self, inbound):
        reply = await super()._on_report(inbound)
        if isinstance(reply.message, mm7.DeliveryReportRsp):
            padded = replace(reply.message, transaction_id=f" {reply.message.transaction_id} ")
            return replace(reply, message=padded)
        return reply


register_gateway(
    "vendor-padded-report-answers",
    "a farm that pads the TransactionID of its DeliveryReportRsps with white space",
    server_class=PaddedReportAnswers,
)
register_gateway(
    "vendor-soapaction-namespace",
    "a farm that writes the namespace as SOAPAction toward the MMSCs",
    server_class=SoapActionNamespace,
)
register_gateway(
    "vendor-no-store-and-forward",
    "a farm that refuses reports while their issuing server is down",
    server_class=NoStoreAndForward,
)
register_gateway(
    "vendor-replays-old-report",
    "a farm that sends its first report to the SP a second time, later",
    server_class=ReplaysOldReport,
)


# --- raw misbehaviour -----------------------------------------------------------------


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    """One HTTP request (head and Content-Length body); None when the peer hung up."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or 0)
    try:
        body = await reader.readexactly(length)
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    return head + body


def _response(status: int, content_type: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status} OK\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def garbage() -> Serve:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await _read_request(reader) is not None:
            writer.write(_response(200, "text/html", b"<html><body>It works!</body></html>"))
            await writer.drain()
        writer.close()

    return serve


def silent() -> Serve:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(65536):
            pass  # read everything, answer nothing
        writer.close()

    return serve


def hangup() -> Serve:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.close()

    return serve


def accept_only() -> Serve:
    ids = itertools.count(1)
    codec = mm7.CodecConfig(mode=mm7.Mode.LENIENT)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (raw := await _read_request(reader)) is not None:
            head, _, body = raw.partition(b"\r\n\r\n")
            content_type = ""
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-type:"):
                    content_type = line.split(b":", 1)[1].strip().decode()
            try:
                request = mm7.decode(body, content_type, config=codec).message
                tid, ns = request.transaction_id, request.namespace
            except mm7.MM7Error:
                tid, ns = "0", mm7.DEFAULT_NAMESPACE
            encoded = mm7.encode(
                mm7.SubmitRsp(transaction_id=tid, namespace=ns, message_id=f"acc-{next(ids)}")
            )
            writer.write(_response(200, encoded.content_type, encoded.body))
            await writer.drain()
        writer.close()

    return serve


def delay_proxy(upstream: dict[tuple[str, int], tuple[str, int]], delay_ms: int):
    def for_address(listen: tuple[str, int]) -> Serve:
        target = upstream[listen]

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            peer_host = writer.get_extra_info("peername")[0]
            try:
                # From the client's own address: the farm checks where its SP submits from.
                up_reader, up_writer = await asyncio.open_connection(
                    *target, local_addr=(peer_host, 0)
                )
            except OSError:
                writer.close()
                return

            async def forward() -> None:
                while data := await reader.read(65536):
                    up_writer.write(data)
                    await up_writer.drain()
                up_writer.close()

            async def back() -> None:
                loop = asyncio.get_running_loop()
                due: asyncio.Queue = asyncio.Queue()

                async def deliver() -> None:
                    while (item := await due.get()) is not None:
                        at, data = item
                        await asyncio.sleep(max(0.0, at - loop.time()))  # the delay is the fault
                        writer.write(data)
                        await writer.drain()
                    writer.close()

                sender = asyncio.ensure_future(deliver())
                while data := await up_reader.read(65536):
                    due.put_nowait((loop.time() + delay_ms / 1000, data))
                due.put_nowait(None)
                await sender

            try:
                await asyncio.gather(forward(), back())
            except (ConnectionError, OSError):
                writer.close()

        return serve

    return for_address


def _addresses(profile) -> list[tuple[str, int]]:
    out = []
    for server in profile.report_routing.servers:
        split = urlsplit(server.submit_url)
        out.append((split.hostname or "", split.port or 80))
    return list(dict.fromkeys(out))


async def _serve_raw(addresses: list[tuple[str, int]], make: Callable[[tuple[str, int]], Serve]):
    servers = []
    for host, port in addresses:
        servers.append(await asyncio.start_server(make((host, port)), host, port))
        print(f"listening {host}:{port}", flush=True)
    return servers


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind")
    parser.add_argument("--profile", required=True)
    parser.add_argument("--upstream")
    parser.add_argument("--delay-ms", type=int, default=2000)
    args = parser.parse_args(argv)
    profile = load_profile(args.profile)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    running = None
    servers: list[asyncio.Server] = []
    raw = {"garbage": garbage, "silent": silent, "hangup": hangup, "accept-only": accept_only}
    if args.kind in raw:
        serve = raw[args.kind]()
        servers = await _serve_raw(_addresses(profile), lambda _address: serve)
    elif args.kind == "delay-proxy":
        upstream = _addresses(load_profile(args.upstream))
        mapping = dict(zip(_addresses(profile), upstream, strict=True))
        servers = await _serve_raw(list(mapping), delay_proxy(mapping, args.delay_ms))
    elif args.kind.startswith("farm:"):
        start = farm_role(args.kind.removeprefix("farm:"))
        running = await start(
            profile.report_routing, 1, TraceRecorder(), lambda line: print(line, flush=True)
        )
    else:
        parser.error(f"unknown kind {args.kind}")
    print("ready", flush=True)
    await stop.wait()
    for server in servers:
        server.close()
    if running is not None:
        await running.stop()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
