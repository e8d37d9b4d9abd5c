"""How a benchmark row is declared, what it is handed and what it hands back.

A row is one function in one module under ``benchmarks/rows/``::

    @benchmark(
        name="mm7-e2e",
        title="MM7 end to end",
        unit="sub/s",
        baseline="bare aiohttp endpoint answering a canned SubmitRsp",
        target=Target(">=", 0.3, on="ratio"),
        budget_s=60,
    )
    async def run(ctx: Context) -> Result:
        ...
        return Result(figure=412.0, baseline=1510.0, details={...})

The runner fills in what the row leaves out: the ratio (figure / baseline)
and the verdict (the target checked against the ratio or the figure). A row
whose subject does not exist yet returns ``Result.pending(...)``, with the
baseline it could already measure.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Op = Literal[">=", "<="]
Subject = Literal["ratio", "figure"]
#: The event loop a row runs on: "asyncio" (the standard one), or "harness": the loop the
#: harness's own loop thread runs (uvloop where MMSCONF_LOOP=uvloop asks for it;
#: ``mmsconf.fixtures.loop``).
LoopKind = Literal["asyncio", "harness"]

#: Verdicts a row ends with.
MET, NOT_MET, PENDING, ERROR, NO_TARGET = "met", "not met", "pending", "error", "n/a"


@dataclass(frozen=True)
class Target:
    """What a row must reach: ``ratio >= 0.8`` or ``figure <= 60``."""

    op: Op
    value: float
    on: Subject = "ratio"

    def met(self, figure: float | None, ratio: float | None) -> bool | None:
        """None when the quantity the target is on was not measured."""
        subject = ratio if self.on == "ratio" else figure
        if subject is None:
            return None
        return subject >= self.value if self.op == ">=" else subject <= self.value

    def text(self, unit: str = "") -> str:
        sign = "≥" if self.op == ">=" else "≤"
        if self.on == "ratio":
            return f"{sign} {self.value:g}×"
        return f"{sign} {self.value:g}{' ' + unit if unit else ''}"


@dataclass
class Result:
    """What a row measured. ``figure`` and ``baseline`` are in the row's unit."""

    figure: float | None
    baseline: float | None = None
    ratio: float | None = None  # None: the runner computes figure / baseline
    passed: bool | None = None  # None: the runner checks the row's target
    verdict: str = ""  # set by the runner
    note: str = ""  # one line printed under the table
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def pending(
        cls, why: str, *, baseline: float | None = None, details: dict[str, Any] | None = None
    ) -> Result:
        """The row's subject does not exist yet; ``baseline`` is what could be measured."""
        return cls(None, baseline, verdict=PENDING, note=f"pending: {why}", details=details or {})

    @classmethod
    def error(cls, why: str, details: dict[str, Any] | None = None) -> Result:
        return cls(None, verdict=ERROR, note=f"error: {why}", details=details or {})


@dataclass
class Context:
    """What a row is handed: the run's seed, its size and its time budget."""

    name: str
    seed: int
    quick: bool
    budget_s: float
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        """Seconds left of this row's budget; rows stop starting work when it runs low."""
        return self.budget_s - (time.monotonic() - self.started)

    def rng(self, salt: str = "") -> random.Random:
        """A generator seeded by the run seed and the row (and ``salt``), so rows are
        independent of each other's consumption and of which rows were selected."""
        return random.Random(f"{self.seed}/{self.name}/{salt}")

    def log(self, message: str) -> None:
        # Progress goes to stderr so stdout carries only the table.
        print(f"  [{self.name}] {message}", file=sys.stderr, flush=True)


RowFunc = Callable[[Context], Awaitable[Result]]


@dataclass(frozen=True)
class Benchmark:
    name: str
    title: str
    unit: str
    baseline: str  # what the baseline is, in words; "" when the row has none
    target: Target | None
    budget_s: float
    order: int
    func: RowFunc
    module: str
    loop: LoopKind = "asyncio"
    #: Runs whole suites or fleets of processes for minutes: left out of a full run (its
    #: budget cannot be scaled down into the 5-minute bound and still measure anything);
    #: run with ``--long`` or ``--only NAME``.
    long: bool = False

    @property
    def target_text(self) -> str:
        """The target as the table shows it ("≥ 0.8×", "≤ 60 s"); "—" for a row without one."""
        return self.target.text(self.unit) if self.target else "—"

    def finish(self, result: Result) -> Result:
        """Fill in the ratio and the verdict the row left to the runner."""
        if result.verdict:  # pending / error: the row said so itself
            return result
        if result.ratio is None and result.figure is not None and result.baseline:
            result.ratio = result.figure / result.baseline
        if result.passed is None and self.target is not None:
            result.passed = self.target.met(result.figure, result.ratio)
        if result.passed is None:
            result.verdict = NO_TARGET
        else:
            result.verdict = MET if result.passed else NOT_MET
        return result


REGISTRY: dict[str, Benchmark] = {}


def benchmark(
    *,
    name: str,
    title: str,
    unit: str,
    baseline: str = "",
    target: Target | None = None,
    budget_s: float = 30.0,
    order: int = 100,
    loop: LoopKind = "asyncio",
    long: bool = False,
) -> Callable[[RowFunc], RowFunc]:
    """Register an ``async def row(ctx) -> Result`` as the benchmark row ``name``.

    ``budget_s`` is the row's time budget: the row must stop starting work
    when ``ctx.remaining()`` runs out, and the runner cancels it a little
    after. ``order`` places it in the table (lower first). ``loop``: "harness" runs the
    row on the loop the harness runs (uvloop where MMSCONF_LOOP=uvloop asks), for rows measuring the
    harness's own path; the default is the standard asyncio loop. ``long``: a row a full
    run leaves out (``--long`` or ``--only`` runs it).
    """

    def register(func: RowFunc) -> RowFunc:
        if name in REGISTRY:
            raise ValueError(f"benchmark row {name!r} is registered twice")
        REGISTRY[name] = Benchmark(
            name,
            title,
            unit,
            baseline,
            target,
            budget_s,
            order,
            func,
            func.__module__,
            loop,
            long,
        )
        return func

    return register


def rows() -> list[Benchmark]:
    """Every row in ``benchmarks/rows/``, in table order."""
    import benchmarks.rows  # noqa: F401  (importing the package registers every row)

    return sorted(REGISTRY.values(), key=lambda b: (b.order, b.name))
