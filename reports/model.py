"""What a run produced, as the report writers read it.

The pytest plugin fills these in; ``html.py``, ``cucumber.py`` and
``junit.py`` turn them into files. Nothing here knows pytest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mmsconf.emulators.trace import TraceEvent

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

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(VERDICTS, 0)
        for s in self.scenarios:
            counts[s.verdict] = counts.get(s.verdict, 0) + 1
        return counts


def gherkin_tag(tag: str) -> str:
    """A tag as written in a feature file: with its "@"."""
    return tag if tag.startswith("@") else f"@{tag}"
