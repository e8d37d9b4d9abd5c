"""Shared helpers for the emulator tests.

Test files are imported with --import-mode=importlib, so they cannot import
from each other or from this file: everything shared is handed out as a
fixture returning a plain callable or class.

Every test drives its emulators with ``asyncio.run`` (no pytest-asyncio);
timers are milliseconds and kept short so each test takes well under a
second.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import Inbound, MM7Client, MM7Endpoint, Outcome, Reply
from mmsconf.emulators.service import EventLog, Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.profile import ReportRoutingProfile, load_profile, shipped_profiles
from mmsconf.fixtures.report_routing import ReportRoutingNet

#: Timers every report-routing test runs with (ms): short, so expiry and retry are quick.
FAST_PIXIT: dict[str, int] = {
    "report_expiry_ms": 300,
    "report_retry_initial_ms": 10,
    "report_retry_max_ms": 50,
    "report_timeout_ms": 2000,
    "settle_ms": 50,
}

#: How long a test waits for something that must happen (ms); generous, never reached.
WAIT_MS = 3000

# Each echo service gets its own loopback address so tests never share a port.
_echo_hosts = itertools.count(1)


def make_profile(gateway: str = "reference", **pixit: Any) -> ReportRoutingProfile:
    """The shipped report-routing profile for ``gateway`` with fast timers."""
    if gateway == "baseline-last-two-digits":
        profile = load_profile(shipped_profiles()["baseline-report-routing.toml"])
    else:
        profile = load_profile()
    rr = profile.report_routing
    assert rr.gateway == gateway
    rr.pixit.update(FAST_PIXIT)
    rr.pixit.update(pixit)
    return rr


@asynccontextmanager
async def running_net(
    profile: ReportRoutingProfile | None = None, seed: int = 7, *, hold_reports: bool = False
) -> AsyncIterator[ReportRoutingNet]:
    """A started ReportRoutingNet, stopped on the way out whatever happened."""
    net = ReportRoutingNet(profile or make_profile(), TraceRecorder(), seed)
    for mmsc in net.mmscs.values():
        mmsc.hold_reports = hold_reports
    await net.start()
    try:
        yield net
    finally:
        await net.stop()


def instrument_posts(service: Any) -> None:
    """Emit a ``post_outcome`` event on ``service`` after each MM7 POST its client makes.

    The emulators say nothing when an attempt fails; tests that must see a
    retry happen wait on these events instead of polling.
    """
    client: MM7Client = service.client
    original = client.post

    async def post(url: str, message: mm7.MM7Message, **kw: Any) -> Outcome:
        outcome = await original(url, message, **kw)
        service.events.emit(
            "post_outcome",
            url=url,
            ok=outcome.ok,
            status=outcome.status,
            error=outcome.error,
            message=type(message).__name__,
        )
        return outcome

    client.post = post  # type: ignore[method-assign]


async def wait_until(log: EventLog, predicate: Callable[[], bool], what: str) -> None:
    """Wait on ``log`` until ``predicate()`` holds (TimeoutError after WAIT_MS)."""
    await log.wait_for(lambda _log: predicate(), WAIT_MS, what)


class EchoService(Service):
    """A minimal MM7 relay: answers every SubmitReq at /mm7 with SubmitRsp 1000."""

    def __init__(self, trace: TraceRecorder, host: str, port: int = 0) -> None:
        super().__init__("ECHO", host, port)
        self.codec = mm7.CodecConfig(namespace=mm7.DEFAULT_NAMESPACE, mode=mm7.Mode.LENIENT)
        self.endpoint = MM7Endpoint(self, trace, {"/mm7": ("rs", self._on_submit)}, self.codec)
        self.handled = 0

    @property
    def url(self) -> str:
        return self.endpoint.url("/mm7")

    async def _on_submit(self, inbound: Inbound) -> Reply:
        self.handled += 1
        req = inbound.message
        self.events.emit("handled", tid=req.transaction_id)
        return Reply(
            mm7.SubmitRsp(
                transaction_id=req.transaction_id, namespace=req.namespace, message_id="M1"
            )
        )


def echo_host() -> str:
    """A fresh loopback address for one echo service (127.0.40.N)."""
    return f"127.0.40.{next(_echo_hosts)}"


def submit_req(tid: str = "T1") -> mm7.SubmitReq:
    return mm7.SubmitReq(
        transaction_id=tid,
        namespace=mm7.DEFAULT_NAMESPACE,
        vasp_id="v1",
        to=(mm7.Address("+8613800000001"),),
        delivery_report=True,
        subject="hello",
        parts=(mm7.ContentPart("text-1", "text/plain; charset=utf-8", b"hello"),),
    )


@pytest.fixture
def profile() -> Callable[..., ReportRoutingProfile]:
    return make_profile


@pytest.fixture
def net() -> Callable[..., AbstractAsyncContextManager[ReportRoutingNet]]:
    return running_net


@pytest.fixture
def instrument() -> Callable[[Any], None]:
    return instrument_posts


@pytest.fixture
def wait() -> Callable[..., Any]:
    return wait_until


@pytest.fixture
def echo() -> Callable[..., EchoService]:
    """Factory: ``echo(trace, host=None, port=0)`` → an unstarted EchoService."""

    def make(trace: TraceRecorder, host: str | None = None, port: int = 0) -> EchoService:
        return EchoService(trace, host or echo_host(), port)

    return make


@pytest.fixture
def submit() -> Callable[[str], mm7.SubmitReq]:
    return submit_req


async def stays_false(log: EventLog, predicate: Callable[[], bool], ms: int) -> bool:
    """True when ``predicate()`` is still false after ``ms`` of events on ``log``.

    For checks that something does *not* happen (a duplicate, a late report):
    a bounded wait on the log, not a sleep.
    """
    try:
        await log.wait_for(lambda _log: predicate(), ms, "something that must not happen")
    except TimeoutError:
        return True
    return False


def report_accounting(farm: Any) -> tuple[int, int]:
    """(reports accepted, reports passed on + dead-lettered + still held) over the farm."""
    total = farm.counters()
    held = sum(len(s.held) for s in farm.servers.values())
    passed_on = total["delivered_to_sp"] + total["reports_forwarded"]
    return total["reports_accepted"], passed_on + total["dead_letters"] + held


@pytest.fixture
def quiet() -> Callable[..., Any]:
    return stays_false


@pytest.fixture
def accounting() -> Callable[[Any], tuple[int, int]]:
    return report_accounting
