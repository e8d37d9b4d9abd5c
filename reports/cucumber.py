"""Cucumber JSON, for CI systems and dashboards that read Cucumber's format.

The step list a CI shows must agree with the verdict: a scenario that
failed or errored shows exactly one element that did not pass (a step, or
a hook when the failure lies outside every step), and nothing after it ran.
"""

from __future__ import annotations

import re
from typing import Any

from .evidence import evidence_lines
from .ids import display_names
from .model import RunResult, ScenarioResult, StepResult, gherkin_tag

_NS = 1_000_000_000


def to_cucumber(run: RunResult) -> list[dict[str, Any]]:
    """One feature per feature file, in the order the run first met them.

    An outline row is named with its example values, as in the page. A run
    with no scenario gives ``[]``, which Cucumber readers accept.
    """
    features: dict[str, dict[str, Any]] = {}
    for scenario, name in zip(run.scenarios, display_names(run.scenarios), strict=True):
        feature = features.get(scenario.feature_file)
        if feature is None:
            feature = features[scenario.feature_file] = _feature(scenario)
        feature["elements"].append(_scenario(scenario, name, feature["id"]))
    return list(features.values())


def _feature(s: ScenarioResult) -> dict[str, Any]:
    return {
        "uri": s.feature_file,
        "id": _slug(s.feature_name or s.feature_file),
        "name": s.feature_name,
        "description": s.feature_description,
        "keyword": "Feature",
        # The model keeps no line for the Feature keyword; by convention it
        # opens the file.
        "line": 1,
        "elements": [],
    }


def _scenario(s: ScenarioResult, name: str, feature_id: str) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "scenario",
        "keyword": "Scenario Outline" if s.example else "Scenario",
        "id": f"{feature_id};{_slug(name)}",
        "name": name,
        "description": "",
        "line": s.line,
        # Tags sit on the line above the scenario in every feature file the
        # suite writes; the model does not keep their exact line.
        "tags": [{"name": gherkin_tag(t), "line": max(s.line - 1, 1)} for t in s.tags],
    }
    steps, before, after = _steps(s)
    if before:
        element["before"] = before
    element["steps"] = steps
    if after:
        element["after"] = after
    return element


def _steps(
    s: ScenarioResult,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    statuses = [step.status for step in s.steps]
    errors: list[str | None] = [step.error for step in s.steps]
    before: list[dict[str, Any]] = []
    after: list[dict[str, Any]] = []

    if s.verdict == "skipped":
        statuses = ["skipped"] * len(s.steps)
        errors = [None] * len(s.steps)
    elif s.verdict != "passed":
        # failed, error, or anything unknown (treated as error).
        message = _failure_message(s)
        culprit = _culprit(s.steps)
        if culprit is None and not any(st == "passed" for st in statuses):
            # Nothing ran: the scenario broke in setup (a fixture, the
            # profile, an emulator that would not start).
            before.append(_hook("setup", message))
        elif culprit is None and all(st == "passed" for st in statuses):
            # Every step passed, so the failure came after them (teardown,
            # a check run once the scenario ended).
            after.append(_hook("teardown", message))
        else:
            if culprit is None:
                culprit = next(i for i, st in enumerate(statuses) if st != "passed")
            # A step with no definition (or one marked pending) is reported
            # as such: CI tools count those apart from failures, and the
            # message still says why the scenario stopped there.
            if statuses[culprit] not in ("undefined", "pending"):
                statuses[culprit] = "failed"
            errors[culprit] = _join(errors[culprit], message)
            for i in range(culprit + 1, len(statuses)):
                # "undefined" describes the step text (no definition exists),
                # not how far the run got, so it survives.
                if statuses[i] != "undefined":
                    statuses[i] = "skipped"
                errors[i] = None

    steps = []
    for step, status, error in zip(s.steps, statuses, errors, strict=True):
        result: dict[str, Any] = {"status": status, "duration": _ns(step.duration_s)}
        if status in ("failed", "undefined", "pending") and error:
            result["error_message"] = error
        steps.append(
            {
                "keyword": step.keyword.strip() + " ",
                "name": step.text,
                "line": step.line,
                "result": result,
            }
        )
    return steps, before, after


def _culprit(steps: list[StepResult]) -> int | None:
    for i, step in enumerate(steps):
        if step.status in ("failed", "undefined", "pending"):
            return i
    for i, step in enumerate(steps):
        if step.error:
            return i
    return None


def _failure_message(s: ScenarioResult) -> str:
    lines = [s.reason or f"scenario {s.verdict}"]
    if s.failed_clause:
        lines.append(f"clause: {s.failed_clause}")
    if s.expected is not None:
        lines.append(f"expected: {s.expected}")
    if s.seen is not None:
        lines.append(f"seen: {s.seen}")
    if s.evidence:
        lines.append("evidence:")
        lines.extend(f"  {line}" for line in evidence_lines(s.evidence, s.trace))
    return "\n".join(lines)


def _join(step_error: str | None, message: str) -> str:
    if not step_error:
        return message
    if step_error in message:
        return message
    return f"{message}\n\n{step_error}"


def _hook(where: str, message: str) -> dict[str, Any]:
    return {
        "match": {"location": f"mmsconf {where}"},
        "result": {"status": "failed", "duration": 0, "error_message": message},
    }


def _ns(seconds: float) -> int:
    return max(round(seconds * _NS), 0)


def _slug(text: str) -> str:
    # Cucumber's own ids: lower case, runs of anything else become one dash.
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unnamed"
