"""An MMS gateway that a DNS selector can choose: the report-routing MMSG server, extended.

On top of MMSGServer (MM7 from the SP, authentication, MSGID2, forwarding to
the MMSC) it

- serves the status exchange, ``GET /status`` on its MM7 HTTP port, with the
  figures its knobs set (codecs/gateway_status.py documents the document);
- resolves the MMSC through DNS before forwarding each submission (the
  source's steps 604-606): the MMSC's name, type ``record`` (URI: the MM7
  URL; TXT: ``mm7=<url>``), from the DNS at ``dns_server``;
- counts what it accepts: ``traffic`` is the base load the ``figures`` knob
  sets plus the messages it holds in service (each accepted submission,
  until ``release()``), ``accepted`` the submissions it took since it
  started. Each arrival is kept with the traffic it found, so a check can
  tell one that came while the gateway was full.

Knobs: ``figures`` (delay_ms, traffic, max_traffic, throughput,
max_throughput, overloaded), ``heartbeat`` (answer, silent: read the request
and never answer, drop: close the connection, error: HTTP 503, garbage: 200
with a body that is not a status document), and ``delay_ms`` also delays
each MM7 answer (the reported delay is real).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, replace
from enum import StrEnum

from mmsconf.emulators.codecs import gateway_status as gs
from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.dns_resolver import DnsResult, StubResolver
from mmsconf.emulators.mm7_dns import mm7_url_of
from mmsconf.emulators.mm7_http import Outcome, Reply
from mmsconf.emulators.mmsg import FarmDirectory, MmsgConfig, MMSGServer, SpAccount
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.http_server import HttpAnswer, HttpRequest

STATUS_PATH = "/status"
#: How long a silent status request is held before the connection is dropped.
SILENT_HOLD_MS = 30_000


class Heartbeat(StrEnum):
    ANSWER = "answer"
    SILENT = "silent"
    DROP = "drop"
    ERROR = "error"
    GARBAGE = "garbage"


@dataclass(frozen=True)
class Figures:
    delay_ms: float = 10
    traffic: int = 0  # base load, besides the messages held in service
    max_traffic: int = 10_000
    throughput: float = 0
    max_throughput: float = 100_000
    overloaded: bool = False


@dataclass(frozen=True)
class ArrivalSeen:
    """A submission the gateway accepted: its MSGID1, the traffic it found, when."""

    msgid1: str
    traffic_before: int
    max_traffic: int
    trace_mark: int  # the trace position just after its SubmitReq was recorded

    @property
    def over(self) -> bool:
        return self.traffic_before >= self.max_traffic


@dataclass(frozen=True)
class HeartbeatSeen:
    trace_seq: int  # the status request's position in the trace
    mode: Heartbeat
    status: gs.GatewayStatus | None  # what it answered (None: no status document)


@dataclass(frozen=True)
class LookupSeen:
    """One MMSC lookup before a forward."""

    msgid1: str
    name: str
    result: DnsResult
    trace_mark: int  # the trace position when the query left


class SelectableGateway(MMSGServer):
    def __init__(
        self,
        trace: TraceRecorder,
        name: str,
        module: int,
        host: str,
        port: int,
        accounts: dict[str, SpAccount],
        directory: FarmDirectory,
        config: MmsgConfig,
        *,
        dns_server: tuple[str, int],
        mmsc_names: dict[str, str],
        record: str = "URI",
        dns_timeout_ms: int = 1000,
        dns_retries: int = 1,
        figures: Figures | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(trace, module, host, port, accounts, directory, config, seed=seed)
        self.role = name
        self.name = name
        self.endpoint.server.mount(
            STATUS_PATH, self._on_status, methods=("GET",), protocol="STATUS"
        )
        self.resolver = self.add_client(
            StubResolver(
                self, trace, dns_server, timeout_ms=dns_timeout_ms, retries=dns_retries, seed=seed
            )
        )
        #: Number prefix -> the MMSC's DNS name ("" : every number).
        self.mmsc_names = dict(mmsc_names)
        self.record = record.upper()
        self.default_figures = figures or Figures()
        self.figures = self.default_figures
        self.heartbeat = Heartbeat.ANSWER
        self.in_service = 0
        self.accepted = 0
        self.arrivals: list[ArrivalSeen] = []
        self.heartbeats: list[HeartbeatSeen] = []
        self.lookups: list[LookupSeen] = []
        self._knobs_changed = asyncio.Event()
        self.apply_delay()

    @property
    def status_url(self) -> str:
        return self.endpoint.url(STATUS_PATH)

    # --- knobs ------------------------------------------------------------------------
    def set_figures(self, **changes: float | int | bool) -> None:
        self.figures = replace(self.figures, **changes)
        self.apply_delay()

    def apply_delay(self) -> None:
        # The delay it reports is the delay it has: each MM7 answer waits this long.
        self.faults.slow_ms = int(self.figures.delay_ms)

    def set_heartbeat(self, mode: Heartbeat | str) -> None:
        self.heartbeat = Heartbeat(mode)
        self._knobs_changed.set()
        self._knobs_changed = asyncio.Event()

    def release(self) -> None:
        """Every message held in service is done: traffic back to the base load."""
        self.in_service = 0

    def reset_knobs(self) -> None:
        self.figures = self.default_figures
        self.apply_delay()
        self.set_heartbeat(Heartbeat.ANSWER)
        self.release()

    @property
    def traffic(self) -> int:
        return self.figures.traffic + self.in_service

    def status(self) -> gs.GatewayStatus:
        f = self.figures
        return gs.GatewayStatus(
            delay_ms=f.delay_ms,
            traffic=self.traffic,
            max_traffic=f.max_traffic,
            throughput=f.throughput,
            max_throughput=f.max_throughput,
            overloaded=f.overloaded,
            gateway=self.name,
            accepted=self.accepted,
        )

    # --- the status exchange ---------------------------------------------------------
    async def _on_status(self, request: HttpRequest) -> HttpAnswer:
        mode = self.heartbeat
        status = self.status() if mode in (Heartbeat.ANSWER,) else None
        said = "heartbeat" + ("" if mode is Heartbeat.ANSWER else f" ({mode.value})")
        request.record(said)
        self.heartbeats.append(HeartbeatSeen(self.trace.mark(), mode, status))
        self.events.emit("heartbeat", mode=mode.value)
        if mode is Heartbeat.SILENT:
            changed = self._knobs_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), SILENT_HOLD_MS / 1000)
            return HttpAnswer(200, drop=True)
        if mode is Heartbeat.DROP:
            return HttpAnswer(200, drop=True)
        if mode is Heartbeat.ERROR:
            return HttpAnswer(503, [("Content-Type", "text/plain")], b"busy\n")
        if mode is Heartbeat.GARBAGE:
            return HttpAnswer(200, [("Content-Type", gs.CONTENT_TYPE)], b'{"delay_ms": "soon"')
        assert status is not None
        return HttpAnswer(
            200,
            [("Content-Type", gs.CONTENT_TYPE)],
            gs.encode_status(status),
            summary=f"HTTP 200 status: {status.summary()}",
        )

    # --- submissions: counted, then the MMSC looked up and the message forwarded -------
    async def take_submission(self, req: mm7.SubmitReq, account: SpAccount, msgid1: str) -> Reply:
        before = self.traffic
        self.accepted += 1
        self.in_service += 1
        seen = ArrivalSeen(msgid1, before, self.figures.max_traffic, self.trace.mark())
        self.arrivals.append(seen)
        self.events.emit("arrival", msgid1=msgid1, over=seen.over)
        return await super().take_submission(req, account, msgid1)

    def route(self, destination: str) -> str | None:
        """The DNS name of the MMSC a destination belongs to (longest prefix; "" for any)."""
        best = max((p for p in self.mmsc_names if destination.startswith(p)), key=len, default=None)
        return self.mmsc_names[best] if best is not None else None

    async def _forward_to_mmsc(
        self, url: str, req: mm7.SubmitReq, msgid2: str, dests: list[str]
    ) -> tuple[tuple[str, list[str]], Outcome]:
        name = url  # route() gave the MMSC's DNS name: resolve it now, before each forward
        target, why = await self.find_mmsc(name, self.msgid1_of(req) or "")
        if target is None:
            self.events.emit("mmsc_lookup_failed", name=name, why=why)
            return (msgid2, dests), Outcome(f"dns:{name}", error=why)
        return await super()._forward_to_mmsc(target, req, msgid2, dests)

    async def find_mmsc(self, name: str, msgid1: str) -> tuple[str | None, str]:
        """The MMSC's MM7 URL, asked of the DNS now (TTL 0: nothing kept); or None and why."""
        mark = self.trace.mark()
        result = await self.resolver.query(name, self.record)
        self.lookups.append(LookupSeen(msgid1, name, result, mark))
        target = mm7_url_of(result, self.record)
        return target, f"DNS gave no MMSC for {name}: {result.describe()}"
