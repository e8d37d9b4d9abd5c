"""JUnit XML, the lowest common denominator every CI system reads.

A failure (the SUT broke a clause) and an error (the harness or the
environment broke) are reported as different elements so a CI dashboard
keeps them apart, as the report does.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import PurePosixPath

from mmsconf.emulators.trace import TraceEvent

from .evidence import evidence_lines, is_stray
from .ids import display_names
from .model import VERDICTS, RunResult, ScenarioResult

# XML 1.0 cannot carry most control characters, even escaped; a summary or
# log line with a stray NUL would otherwise make the whole file unparsable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def to_junit(run: RunResult) -> bytes:
    """The run as JUnit XML: one ``testcase`` per scenario, named as in the page.

    A run with no scenario still gives a valid file with ``tests="0"``.
    """
    counts = {"failed": 0, "error": 0, "skipped": 0}
    for s in run.scenarios:
        counts[_verdict(s)] = counts.get(_verdict(s), 0) + 1
    totals = {
        "tests": str(len(run.scenarios)),
        "failures": str(counts["failed"]),
        "errors": str(counts["error"]),
        "skipped": str(counts["skipped"]),
        "time": _secs(max(run.finished - run.started, 0.0)),
    }
    root = ET.Element("testsuites", {"name": "mmsconf", **totals})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": "mmsconf",
            **totals,
            "timestamp": datetime.fromtimestamp(run.started, tz=UTC).isoformat(timespec="seconds"),
        },
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("profile", run.profile_name),
        ("profile_path", run.profile_path or ""),
        ("seed", str(run.seed)),
        ("workers", str(run.workers)),
        ("tool_version", run.tool_version),
    ):
        ET.SubElement(props, "property", {"name": name, "value": _clean(value)})

    for s, name in zip(run.scenarios, display_names(run.scenarios), strict=True):
        suite.append(_testcase(s, name))

    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _verdict(s: ScenarioResult) -> str:
    # An unknown verdict means the harness produced something it should not
    # have; that is the harness's error, never a pass.
    return s.verdict if s.verdict in VERDICTS else "error"


def _testcase(s: ScenarioResult, name: str) -> ET.Element:
    stem = PurePosixPath(s.feature_file).stem
    classname = f"{s.area}.{stem}" if s.area else stem
    case = ET.Element(
        "testcase",
        {"classname": _clean(classname), "name": _clean(name), "time": _secs(s.duration_s)},
    )
    verdict = _verdict(s)
    if verdict == "failed":
        el = ET.SubElement(
            case,
            "failure",
            {"message": _clean(s.reason or "conformance failure"), "type": "ConformanceFailure"},
        )
        el.text = _clean(_failure_text(s))
    elif verdict == "error":
        el = ET.SubElement(
            case,
            "error",
            {"message": _clean(s.reason or f"harness error ({s.verdict})"), "type": "HarnessError"},
        )
        el.text = _clean(_error_text(s))
    elif verdict == "skipped":
        ET.SubElement(case, "skipped", {"message": _clean(s.reason or "skipped")})

    out = system_out(s)
    if out:
        ET.SubElement(case, "system-out").text = _clean(out)
    return case


def _failure_text(s: ScenarioResult) -> str:
    lines = [
        f"clause: {s.failed_clause or '(not named)'}",
        f"expected: {s.expected if s.expected is not None else '(not stated)'}",
        f"seen: {s.seen if s.seen is not None else '(not stated)'}",
        f"reason: {s.reason or '(none given)'}",
    ]
    lines.extend(_evidence(s))
    lines.extend(_step_errors(s))
    return "\n".join(lines)


def _error_text(s: ScenarioResult) -> str:
    lines = [s.reason or "(no message)"]
    lines.extend(_evidence(s))
    lines.extend(_step_errors(s))
    return "\n".join(lines)


def _evidence(s: ScenarioResult) -> list[str]:
    # The evidence is what a CI page can show of a large failing scenario
    # without the HTML report: the counts and the offending messages.
    if not s.evidence:
        return []
    return ["", "evidence:", *(f"  {line}" for line in evidence_lines(s.evidence, s.trace))]


def _step_errors(s: ScenarioResult) -> list[str]:
    return [
        f"\n{step.keyword} {step.text} (line {step.line}):\n{step.error}"
        for step in s.steps
        if step.error
    ]


def system_out(s: ScenarioResult) -> str:
    """The trace as one line per message, then the scenario's own log lines."""
    lines = trace_lines(s.trace)
    if s.log:
        if lines:
            lines.append("")
        lines.extend(s.log)
    return "\n".join(lines)


#: CI systems show system-out inline; past this many messages the HTML report has the rest.
MAX_TRACE_LINES = 400


def trace_lines(events: list[TraceEvent], limit: int = MAX_TRACE_LINES) -> list[str]:
    if not events:
        return []
    t0 = min(e.time for e in events)
    # A stray message (left over from an earlier scenario) is shown, marked,
    # so nobody counts it as this scenario's.
    lines = [
        f"+{(e.time - t0) * 1000:.1f}ms {'[stray] ' if is_stray(e) else ''}"
        f"{e.src.role} -> {e.dst.role} {e.protocol} {e.summary}"
        for e in events[:limit]
    ]
    if len(events) > limit:
        lines.append(f"... {len(events) - limit} more messages: see index.html")
    return lines


def _secs(seconds: float) -> str:
    return f"{max(seconds, 0.0):.3f}"


def _clean(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
