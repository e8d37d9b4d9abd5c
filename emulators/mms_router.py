"""The MMS router: the reference behaviour of the disaster-recovery area's SUT.

The operator's DNS answers the MMS domain with the router's address, so WAP
gateways post every MM1 submission here whatever they cache. The router
forwards each one to an MMSC that passes its health detection:

* it probes every MMSC (HTTP GET on its MM1 URL) each ``probe_period_ms``; a
  probe not answered 200 within ``probe_timeout_ms`` failed.
  ``failure_threshold`` failed probes in a row take an MMSC out,
  ``recovery_threshold`` passed probes in a row bring it back;
* a submission goes to the next healthy MMSC (round robin); an MMSC that
  gives no MM1 answer (refused, closed mid-request, timed out, HTTP error,
  garbage) is retried on another healthy one with the SAME bytes, so the
  same transaction id: an MMSC cluster that already took it answers with the
  message id it issued instead of storing it twice;
* an MMSC's m-send-conf, whatever its status, goes back to the gateway as
  it came; with no MMSC left it answers an m-send-conf with
  Error-transient-network-problem itself, never a dropped connection.

Nothing accepted is lost: ``counters`` keeps accepted = forwarded (accepted
by an MMSC) + refused (answered with an error status) + in flight.

Each behaviour is one small hook, so a prior-art variant or a test-only
broken router overrides exactly one: ``keep_probing``, ``probe_passed``,
``choose``, ``body_for_attempt``, ``retry_after``, ``answer_no_mmsc``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from enum import Enum

from mmsconf.emulators import mm1_http
from mmsconf.emulators.codecs import mm1
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.http_client import HttpClient, HttpResult
from mmsconf.emulators.transports.http_server import (
    HttpAnswer,
    HttpLimits,
    HttpRequest,
    HttpServer,
)

MMS_PATH = "/mms"


@dataclass(frozen=True)
class RouterConfig:
    #: MMSC name -> its MM1 URL (submissions are POSTed there, probes GET it).
    mmscs: dict[str, str]
    probe_period_ms: int = 100
    probe_timeout_ms: int = 1000
    failure_threshold: int = 2
    recovery_threshold: int = 2
    forward_timeout_ms: int = 3000
    path: str = MMS_PATH
    max_connections: int = 512


@dataclass
class Health:
    """What the router knows of one MMSC."""

    name: str
    url: str
    healthy: bool = True  # optimistic until probes say otherwise
    failures: int = 0  # failed probes in a row
    passes: int = 0  # passed probes in a row
    probes: int = 0
    changed_at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Counters:
    accepted: int  # m-send-req decoded and taken on
    forwarded: int  # accepted by an MMSC
    refused: int  # answered with an error status (the router's, or an MMSC's)
    in_flight: int
    malformed: int  # not a submission at all: answered, never counted as accepted

    @property
    def balanced(self) -> bool:
        return self.accepted == self.forwarded + self.refused + self.in_flight


class Outcome(Enum):
    ACCEPTED = "accepted"  # m-send-conf Ok
    REFUSED = "refused"  # m-send-conf with an error status
    FAILED = "failed"  # no MM1 answer: worth another MMSC


@dataclass(frozen=True)
class Attempt:
    mmsc: str
    outcome: Outcome
    why: str
    conf: mm1.SendConf | None = None
    body: bytes = b""


class MmsRouter(Service):
    def __init__(
        self,
        trace: TraceRecorder,
        host: str,
        port: int,
        config: RouterConfig,
        *,
        role: str = "MMS router",
    ) -> None:
        super().__init__(role, host, port)
        self.trace = trace
        self.config = config
        self.health = {name: Health(name, url) for name, url in config.mmscs.items()}
        self.http = self.add_listener(
            HttpServer(self, trace, HttpLimits(max_connections=config.max_connections))
        )
        self.http.mount(config.path, self._on_submission, protocol="MM1")
        self.http.mount("/status", self._on_status, methods=("GET",), protocol="STATUS")
        self.forwarder = self.add_client(
            HttpClient(self, trace, timeout_ms=config.forward_timeout_ms, limit=256)
        )
        self.prober = self.add_client(HttpClient(self, trace, timeout_ms=config.probe_timeout_ms))
        self._turn = itertools.count()
        self._stopping: asyncio.Event | None = None
        self._accepted = self._forwarded = self._refused = self._malformed = 0

    @property
    def url(self) -> str:
        return self.http.url(self.config.path)

    @property
    def counters(self) -> Counters:
        in_flight = self._accepted - self._forwarded - self._refused
        return Counters(self._accepted, self._forwarded, self._refused, in_flight, self._malformed)

    async def start(self) -> None:
        await super().start()
        self._stopping = asyncio.Event()
        for health in self.health.values():
            self.spawn(self._probe_loop(health))

    async def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        await super().stop()

    # --- health detection ---------------------------------------------------------------
    def keep_probing(self, health: Health) -> bool:
        """Whether to go on probing ``health``'s MMSC after a probe."""
        return True

    def probe_passed(self, result: HttpResult) -> bool:
        return result.status == 200

    async def probe(self, health: Health) -> bool:
        result = await self.prober.get(
            health.url,
            protocol="HTTP",
            summary=f"GET {self.config.path} (health probe of MMSC {health.name})",
        )
        return self.probe_passed(result)

    def note_probe(self, health: Health, passed: bool) -> None:
        health.probes += 1
        if passed:
            health.passes, health.failures = health.passes + 1, 0
            if not health.healthy and health.passes >= self.config.recovery_threshold:
                health.healthy, health.changed_at = True, time.time()
                self.events.emit("mmsc_up", mmsc=health.name)
        else:
            health.failures, health.passes = health.failures + 1, 0
            if health.healthy and health.failures >= self.config.failure_threshold:
                health.healthy, health.changed_at = False, time.time()
                self.events.emit("mmsc_down", mmsc=health.name)

    async def _probe_loop(self, health: Health) -> None:
        assert self._stopping is not None
        while not self._stopping.is_set():
            started = asyncio.get_running_loop().time()
            self.note_probe(health, await self.probe(health))
            if not self.keep_probing(health):
                return
            # The next probe one period after this one began (or at once if it overran).
            wait = self.config.probe_period_ms / 1000 - (
                asyncio.get_running_loop().time() - started
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), max(wait, 0))

    # --- forwarding ---------------------------------------------------------------------
    def choose(self, tried: set[str]) -> Health | None:
        """The next healthy MMSC not tried for this submission (round robin), or None."""
        ready = [h for h in self.health.values() if h.healthy and h.name not in tried]
        if not ready:
            return None
        return ready[next(self._turn) % len(ready)]

    def body_for_attempt(self, submission: mm1_http.Submission, attempt: int) -> bytes:
        """What attempt ``attempt`` (1, 2, ...) sends: the submission unchanged, so its
        transaction id tells the MMSCs a retry from a new message."""
        return submission.body

    def retry_after(self, attempt: Attempt) -> bool:
        """Whether a failed attempt is tried on another MMSC."""
        return attempt.outcome is Outcome.FAILED

    def answer_no_mmsc(self, submission: mm1_http.Submission, errors: list[str]) -> HttpAnswer:
        """No MMSC took it: an MM1 error status the handset can act on."""
        why = "; ".join(errors) if errors else "no MMSC passes health detection"
        conf = mm1.SendConf(
            submission.req.transaction_id,
            mm1.Status.TRANSIENT_NETWORK_PROBLEM,
            response_text=f"no MMSC available ({why})"[:200],
        )
        return mm1_http.conf_answer(conf)

    async def forward(self, health: Health, body: bytes, tid: str, summary: str) -> Attempt:
        """POST ``body`` (transaction ``tid``) to ``health``'s MMSC and judge its answer."""
        result = await self.forwarder.post(
            health.url,
            body,
            headers={"Content-Type": mm1_http.CONTENT_TYPE},
            protocol="MM1",
            summary=summary,
            describe=lambda r: mm1_http.describe_body(r.body),
        )
        judged = mm1_http.judge(result, tid, self.config.forward_timeout_ms)
        if judged.verdict is mm1_http.Verdict.ACCEPTED:
            return Attempt(health.name, Outcome.ACCEPTED, "ok", judged.conf, result.body)
        if judged.verdict is mm1_http.Verdict.REFUSED:
            return Attempt(health.name, Outcome.REFUSED, judged.why, judged.conf, result.body)
        return Attempt(health.name, Outcome.FAILED, judged.why)

    async def _on_submission(self, request: HttpRequest) -> HttpAnswer:
        read = mm1_http.read_submission(request)
        if isinstance(read, HttpAnswer):
            self._malformed += 1
            return read
        request.record(read.summary)  # before the forwards it causes
        self._accepted += 1
        tried: set[str] = set()
        errors: list[str] = []
        try:
            while (health := self.choose(tried)) is not None:
                tried.add(health.name)
                body = self.body_for_attempt(read, len(tried))
                tid = read.req.transaction_id if body is read.body else _tid(body)
                attempt = await self.forward(health, body, tid, read.summary)
                if attempt.outcome is not Outcome.FAILED:
                    return self._relay(read, attempt)
                errors.append(f"MMSC {attempt.mmsc}: {attempt.why}")
                self.events.emit("forward_failed", mmsc=attempt.mmsc, why=attempt.why)
                if not self.retry_after(attempt):
                    break
        except BaseException:
            self._refused += 1  # cancelled (the service stops): nothing went out
            raise
        self._refused += 1
        self.events.emit("no_mmsc", tid=read.req.transaction_id, errors=errors)
        return self.answer_no_mmsc(read, errors)

    def _relay(self, read: mm1_http.Submission, attempt: Attempt) -> HttpAnswer:
        """The MMSC's m-send-conf back to the gateway, for the gateway's transaction id."""
        assert attempt.conf is not None
        if attempt.outcome is Outcome.ACCEPTED:
            self._forwarded += 1
        else:
            self._refused += 1
        self.events.emit(
            "forwarded", tid=read.req.transaction_id, mmsc=attempt.mmsc, outcome=attempt.outcome
        )
        conf = attempt.conf
        if conf.transaction_id != read.req.transaction_id:
            conf = mm1.SendConf(
                read.req.transaction_id,
                conf.response_status,
                conf.response_text,
                conf.message_id,
                conf.version,
                conf.extra,
            )
            return mm1_http.conf_answer(conf)
        answer = mm1_http.conf_answer(conf)
        answer.body = attempt.body
        return answer

    async def _on_status(self, request: HttpRequest) -> HttpAnswer:
        """The router's view for people and scripts: each MMSC's health, the counters."""
        c = self.counters
        state = {
            "mmscs": {
                h.name: {"healthy": h.healthy, "failures": h.failures, "passes": h.passes}
                for h in self.health.values()
            },
            "counters": {
                "accepted": c.accepted,
                "forwarded": c.forwarded,
                "refused": c.refused,
                "in_flight": c.in_flight,
                "malformed": c.malformed,
            },
        }
        body = json.dumps(state, sort_keys=True).encode()
        return HttpAnswer(200, (("Content-Type", "application/json"),), body, protocol="STATUS")


def _tid(body: bytes) -> str:
    try:
        return mm1.decode(body, lenient=True).message.transaction_id
    except mm1.MM1Error:
        return ""
