"""Driving the report-routing network (SP, MMSCs, gateway farm) from a benchmark.

The rows build the same ``ReportRoutingNet`` the conformance suite runs in,
from a shipped profile, and submit through the real SP over real sockets.
Nothing here changes emulator code: the rows only listen to the SP's events.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from mmsconf.emulators.trace import TraceEvent, TraceRecorder
from mmsconf.fixtures.areas.report_routing.network import ReportRoutingNet
from mmsconf.fixtures.areas.report_routing.profile import ReportRoutingSection
from mmsconf.fixtures.profile import load_profile

#: Routes in the shipped profiles: +86138… goes to MMSC A, +86139… to MMSC B.
MMSC_PREFIXES = ("+86138", "+86139")


class NullTraceRecorder(TraceRecorder):
    """Keeps who-is-who (the emulators need it) but records no message.

    For the trace-off variant of the MM7 row, and for the evenness row, whose
    figure is a count that tracing cannot change, and where 10,000 group
    messages' raw bytes would hold a few hundred MB for nothing.
    """

    def record(self, *args: Any, **kwargs: Any) -> TraceEvent:  # type: ignore[override]
        return None  # type: ignore[return-value]  # no emulator uses the returned event


def report_routing_profile(
    gateway: str = "reference", modules: list[int] | None = None
) -> ReportRoutingSection:
    """The shipped reference or last-two-digits profile, optionally with other modules."""
    if gateway == "baseline-last-two-digits":
        profile = load_profile("baseline-report-routing.toml")
    else:
        profile = load_profile()
    rr: ReportRoutingSection = profile.section("report_routing")
    if modules is not None:
        rr.modules = list(modules)
    return rr


T = TypeVar("T")


class ReportWaiter:
    """Futures resolved when the SP has received ``n`` delivery reports for a MSGID1.

    A future's result is the ``time.perf_counter()`` of the last report's arrival at
    the SP (its event), not of the moment the waiting task resumes: latency rows
    measure up to the report itself.

    Hooks the SP's event log (the ``report`` event carries the MSGID1). The
    suite's own ``wait_for(all_final)`` re-scans every tracked state on every
    event, which is quadratic over thousands of messages: fine for a
    scenario, not for a load generator.
    """

    def __init__(self, net: ReportRoutingNet) -> None:
        self._waiting: dict[str, tuple[asyncio.Future[float], list[int]]] = {}
        events = net.sp.events
        emit = events.emit

        def hooked(kind: str, **data: Any) -> Any:
            event = emit(kind, **data)
            if kind == "report":
                self._seen(data.get("message_id", ""))
            return event

        events.emit = hooked  # type: ignore[method-assign]

    def expect(self, msgid1: str, n: int) -> asyncio.Future[float]:
        """Register before submitting: a report can overtake the SubmitRsp."""
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[msgid1] = (fut, [n])
        return fut

    def forget(self, msgid1: str) -> None:
        self._waiting.pop(msgid1, None)

    def _seen(self, msgid1: str) -> None:
        entry = self._waiting.get(msgid1)
        if entry is None:
            return
        fut, left = entry
        left[0] -= 1
        if left[0] <= 0:
            del self._waiting[msgid1]
            if not fut.done():
                fut.set_result(time.perf_counter())


#: How often a load run moves what survived out of the collector's way (``GcSteward``).
GC_FREEZE_PERIOD_MS = 500


class GcSteward:
    """Keeps full garbage collections short while a load runs.

    The emulators keep a record of every message (the SP's ledger, the MMSCs'
    receipts, the event logs, the trace): tens of objects per submission, all
    live to the end. CPython's full collection walks every tracked object, and
    one comes each time the survivors grew by a quarter: 85-200 ms pauses after
    a few thousand submissions on this machine, which is the whole p99 of an
    open-loop run. Every ``period_ms`` the steward collects the young
    generations (cyclic garbage of the requests just done) and freezes what
    survived (``gc.freeze``: out of every later collection), as the conformance
    fixture does once when the network is up. ``stop`` unfreezes, so cycles that
    died after being frozen are collected then.
    """

    def __init__(self, period_ms: int = GC_FREEZE_PERIOD_MS) -> None:
        self.period_s = period_ms / 1000
        self.rounds = 0
        self.max_pause_ms = 0.0
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        gc.freeze()
        self._handle = asyncio.get_running_loop().call_later(self.period_s, self._round)

    def _round(self) -> None:
        started = time.perf_counter()
        gc.collect(1)
        gc.freeze()
        self.rounds += 1
        self.max_pause_ms = max(self.max_pause_ms, (time.perf_counter() - started) * 1000)
        self._handle = asyncio.get_running_loop().call_later(self.period_s, self._round)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        gc.unfreeze()


@asynccontextmanager
async def running_net(
    profile: ReportRoutingSection, trace: TraceRecorder, seed: int
) -> AsyncIterator[ReportRoutingNet]:
    net = ReportRoutingNet(profile, trace, seed)
    await net.start()
    # The long-lived emulators out of GC's way, as the conformance fixture does, and
    # then what each submission leaves behind (GcSteward).
    steward = GcSteward()
    steward.start()
    net.gc_steward = steward  # type: ignore[attr-defined]  # read by rows for their details
    try:
        yield net
    finally:
        steward.stop()
        await net.stop()


async def submit_and_wait(
    net: ReportRoutingNet,
    waiter: ReportWaiter,
    recipients: list[str],
    timeout_s: float,
) -> float:
    """One SubmitReq through the SP; returns once every recipient's report is back, with
    the ``time.perf_counter()`` at which the last one reached the SP.

    Raises on a refused submission or a report that does not come in time,
    so the load generator counts it as an error.
    """
    msgid1 = net.sp.next_msgid1()
    done = waiter.expect(msgid1, len(recipients))
    submission = await net.sp.submit(recipients, msgid1=msgid1)
    outcome = submission.outcome
    if outcome is None or not outcome.ok:
        waiter.forget(msgid1)
        why = "no outcome" if outcome is None else outcome.error or f"status {outcome.status}"
        raise RuntimeError(f"submission refused: {why}")
    try:
        return await asyncio.wait_for(done, timeout_s)
    except TimeoutError:
        waiter.forget(msgid1)
        raise TimeoutError(f"no delivery report for {msgid1} within {timeout_s} s") from None


async def on_standard_loop(factory: Callable[[], Awaitable[T]]) -> T:
    """``await factory()`` on a standard asyncio loop of its own, in a worker thread.

    For a row on the harness's loop (uvloop where installed) to measure the same
    thing on the standard loop in the same run. The row's loop only waits
    meanwhile. cProfile (``--profile``) sees the row's thread only, not this one.
    """

    def run() -> T:
        with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
            return runner.run(factory())  # type: ignore[arg-type]

    return await asyncio.to_thread(run)
