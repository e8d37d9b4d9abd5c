"""Shared by the transport tests: fresh loopback addresses, so tests never share a port.

Test files are imported with --import-mode=importlib and cannot import this
file: what they share is handed out by fixtures.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import Awaitable, Callable

import pytest

from mmsconf.emulators.trace import TraceEvent, TraceRecorder

# 127.0.90.0/24 .. 127.0.99.0/24: addresses no other test folder uses; one
# block per xdist worker so parallel workers never meet.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0) % 10
_hosts = itertools.count(1)


@pytest.fixture
def host() -> Callable[[], str]:
    """``host()``: a loopback address no other test in this run has used."""
    return lambda: f"127.0.{90 + _WORKER}.{next(_hosts) % 250 + 1}"


async def recorded(trace: TraceRecorder, count: int, timeout_ms: int = 3000) -> list[TraceEvent]:
    """Wait until ``trace`` holds ``count`` events (TimeoutError naming them otherwise).

    The recorder tells observers of each event; this wakes on those, no polling.
    """
    changed = asyncio.Event()
    trace.add_listener(lambda _event: changed.set())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_ms / 1000
    while len(trace.events()) < count:
        remaining = deadline - loop.time()
        if remaining <= 0:
            got = [e.summary for e in trace.events()]
            raise TimeoutError(f"waited {timeout_ms} ms for {count} trace events, got {got}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), remaining)
        changed.clear()
    return trace.events()


@pytest.fixture
def until_recorded() -> Callable[..., Awaitable[list[TraceEvent]]]:
    """``await until_recorded(trace, count, timeout_ms=3000)``: the events, once there are
    ``count``."""
    return recorded
