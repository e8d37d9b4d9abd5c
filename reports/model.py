"""What a run produced, as the report writers read it.

The pytest plugin fills these in; ``html.py``, ``cucumber.py`` and
``junit.py`` turn them into files. Nothing here knows pytest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mmsconf.emulators.trace import TraceEvent

from .wire import WireMessage

#: Verdicts, kept apart everywhere: passed; failed (the SUT did what the
#: behaviour forbids); skipped (a feature the SUT does not claim, with the
#: reason); error (the harness or the environment failed, not the SUT).
VERDICTS = ("passed", "failed", "skipped", "error")

#: Step statuses as Cucumber names them.
STEP_STATUSES = ("passed", "failed", "skipped", "undefined", "pending")


@dataclass
class StepResult:
    keyword: str  # "Given", "When", "Then", "And", "But"
    text: str
    line: int
    status: str = "skipped"
    duration_s: float = 0.0
    error: str | None = None


@dataclass
class Clause:
    area: str
    id: str
    requirement: str
    observable: str = ""


@dataclass
class BarChart:
    """Counts per key, drawn as bars: e.g. per-server load ``{180: 360, 181: 0}``."""

    title: str
    counts: dict[str | int, int | float]
    unit: str = ""  # what is counted, e.g. "submissions"
    # A value to compare the bars with (a mean, a limit), drawn as a line.
    reference: float | None = None
    reference_label: str = ""


@dataclass
class OffendingMessage:
    """One message that shows the fault: its trace ``seq`` and one line on why."""

    seq: int
    note: str = ""


@dataclass
class MessageTable:
    """The messages that broke the clause. The page draws their ladder before the
    rest of the trace, so the evidence of a 1,742-message scenario is not cut off."""

    title: str
    messages: list[OffendingMessage]


@dataclass
class Note:
    """A sentence or two of free text."""

    text: str
    title: str = ""


#: The kinds of evidence a step can attach to its scenario.
Evidence = BarChart | MessageTable | Note


@dataclass
class ScenarioResult:
    nodeid: str
    feature_name: str
    feature_file: str  # path relative to the features root, e.g. "report_routing/basic.feature"
    feature_description: str
    name: str
    line: int
    area: str
    clauses: list[str]
    tags: list[str]
    verdict: str = "error"  # one of VERDICTS
    reason: str | None = None  # skip reason, failure or error message
    failed_clause: str | None = None
    expected: str | None = None
    seen: str | None = None
    steps: list[StepResult] = field(default_factory=list)
    duration_s: float = 0.0
    started: float = 0.0
    trace: list[TraceEvent] = field(default_factory=list)
    # Notes the scenario wrote: seeds, measured figures.
    log: list[str] = field(default_factory=list)
    # The trace as a pcap, relative to the report folder (None: not written).
    pcap: str | None = None
    # A Scenario Outline row's values, column -> value ({} for a plain
    # Scenario). The report names the row by them, so outline rows that share
    # a scenario name stay apart in every format.
    example: dict[str, str] = field(default_factory=dict)
    # What a step attached to make a verdict readable at a glance (a chart of
    # per-server counts, the offending messages, a sentence); drawn first.
    evidence: list[Evidence] = field(default_factory=list)
    # Every MM7 message a SUT role sent in this scenario's trace, judged strictly on the
    # side (reports/wire.py); strays included, marked, and never counted against it.
    wire: list[WireMessage] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        """The scenario's name with its example values: what every report format shows."""
        return display_name(self.name, self.example)


@dataclass
class LoadRequests:
    """One request name's figures from Locust's statistics (the last row: "Aggregated")."""

    name: str
    requests: int
    failures: int
    rate: float  # requests/s over the run
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


@dataclass
class LoadResult:
    """A load run (``mmsconf load``): Locust's figures and the exactly-once check.

    ``checked`` False: no receiving role's counts were given, so lost and
    duplicated are unknown (never zero by default).
    """

    mode: str  # "--processes 2", "master with 2 workers"
    run_tag: str
    users: int
    workers: int
    requests: list[LoadRequests]
    accepted: int
    expected: int
    final_once: int
    lost: int
    duplicated: int
    unexpected: int = 0
    refused: int = 0
    unanswered: int = 0
    checked: bool = True
    complete: bool = True  # every worker reported what it accepted
    drain_ms: int = 0
    drained_ms: float = 0.0  # how long the check waited for stragglers
    rate_target: float | None = None
    wall_s: float = 0.0
    mmsc: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    #: Locust's own files beside the page, relative to it.
    files: list[str] = field(default_factory=list)
    verdict: str = "passed"  # passed | failed (lost/duplicated) | error
    note: str = ""


@dataclass
class RunResult:
    started: float
    finished: float
    profile_name: str
    profile_path: str | None
    seed: int
    scenarios: list[ScenarioResult]
    clauses: list[Clause]  # the whole catalogue, so the matrix can show holes
    tool_version: str = ""
    #: ``[profile] wire``: "warn" (deviations listed) or "fail" (they fail clause ``wire``).
    wire_mode: str = "warn"
    #: MM7 the SUT sent after the last scenario ended (late retries): judged, counted
    #: for the SUT, against no scenario.
    wire_after_run: list[WireMessage] = field(default_factory=list)
    #: A load run's section (``mmsconf load``); None for a conformance run.
    load: LoadResult | None = None
    #: Processes the scenarios ran in: 1 serially, N with ``mmsconf run -n N`` (the report
    #: is one either way; the verdicts are the same).
    workers: int = 1

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(VERDICTS, 0)
        for s in self.scenarios:
            counts[s.verdict] = counts.get(s.verdict, 0) + 1
        return counts


def display_name(name: str, example: dict[str, str]) -> str:
    """``name [col=value, ...]`` for an outline row, ``name`` for a plain scenario."""
    if not example:
        return name
    values = ", ".join(f"{key}={value}" for key, value in example.items())
    return f"{name} [{values}]"


def gherkin_tag(tag: str) -> str:
    """A tag as written in a feature file: with its "@"."""
    return tag if tag.startswith("@") else f"@{tag}"
