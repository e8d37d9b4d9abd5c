"""Closed-loop load generation and the statistics every row reports.

Closed loop: ``concurrency`` workers each start an operation, wait for it to
finish, and start the next, until ``count`` operations were started or
``time_s`` ran out. Throughput is completed operations over the wall time
from the first start to the last finish; latency is per operation.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class LoadRun:
    completed: int = 0
    errors: int = 0
    elapsed_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    first_error: str | None = None
    stopped_by: str = "count"  # "count" or "time"

    @property
    def rate(self) -> float:
        return self.completed / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def p(self, pct: float) -> float | None:
        return percentile(self.latencies_ms, pct)

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures of this run."""

        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 3)

        return {
            "completed": self.completed,
            "errors": self.errors,
            "first_error": self.first_error,
            "elapsed_s": r(self.elapsed_s),
            "rate_per_s": r(self.rate),
            "p50_ms": r(self.p(50)),
            "p99_ms": r(self.p(99)),
            "max_ms": r(max(self.latencies_ms)) if self.latencies_ms else None,
            "stopped_by": self.stopped_by,
        }


async def closed_loop(
    op: Callable[[int], Awaitable[None]], *, count: int, concurrency: int, time_s: float
) -> LoadRun:
    """Run ``op(i)`` for i = 0, 1, … with ``concurrency`` in flight; see the module doc.

    An ``op`` that raises counts as an error (its latency is not kept); the
    first error's text is kept so a broken setup is visible in the report.
    """
    run = LoadRun()
    indices = itertools.count()
    started = time.perf_counter()
    deadline = started + time_s

    async def worker() -> None:
        while True:
            if time.perf_counter() >= deadline:
                run.stopped_by = "time"
                return
            i = next(indices)
            if i >= count:
                return
            t0 = time.perf_counter()
            try:
                await op(i)
            except Exception as err:  # a failed operation is a figure, not a crash
                run.errors += 1
                if run.first_error is None:
                    run.first_error = f"{type(err).__name__}: {err}"
                continue
            run.latencies_ms.append((time.perf_counter() - t0) * 1000)
            run.completed += 1

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, count)))))
    run.elapsed_s = time.perf_counter() - started
    return run
