from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from mmsconf.reports.cucumber import to_cucumber
from mmsconf.reports.junit import to_junit
from mmsconf.reports.model import RunResult, StepResult

# --- JUnit -----------------------------------------------------------------


def _cases(root: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name"): case for case in root.iter("testcase")}


def test_junit_suite_totals(report: dict[str, Path]) -> None:
    root = ET.parse(report["junit"]).getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "mmsconf"
    assert {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped", "time")} == {
        "tests": "4",
        "failures": "1",
        "errors": "1",
        "skipped": "1",
        "time": "4.500",
    }
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["seed"] == "42" and props["profile"] == "embedded-default"


def test_junit_one_testcase_per_scenario(run: RunResult) -> None:
    root = ET.fromstring(to_junit(run))
    cases = _cases(root)
    assert len(list(root.iter("testcase"))) == len(run.scenarios) == len(cases)
    passed, failed, skipped, error = (cases[s.name] for s in run.scenarios)

    assert passed.get("classname") == "report_routing.basic"
    assert passed.get("time") == "0.031"
    assert [c.tag for c in passed] == ["system-out"]

    (failure,) = failed.findall("failure")
    assert failure.get("type") == "ConformanceFailure"
    assert failure.get("message") == run.scenarios[1].reason
    for part in (
        "clause: RR-2",
        "expected: DeliveryReportReq",
        "seen: DeliveryReportReq",
        "reason: report for MSGID2",
    ):
        assert part in failure.text
    assert failed.find("error") is None and failed.find("skipped") is None

    (skip,) = skipped.findall("skipped")
    assert skip.get("message") == "SUT does not claim PICS bearer_choice.sip_push"
    assert skipped.get("classname") == "bearer_choice.sip"

    (err,) = error.findall("error")
    assert err.get("type") == "HarnessError"
    assert err.get("message").startswith("ConnectionRefusedError")
    assert error.find("failure") is None


def test_junit_system_out_has_trace_and_log(run: RunResult) -> None:
    cases = _cases(ET.fromstring(to_junit(run)))
    out = cases[run.scenarios[1].name].findtext("system-out").splitlines()
    assert out[0] == "+0.0ms SP -> MMSG-180 MM7 SubmitReq MSGID1=sp-0001"
    assert out[1] == "+12.3ms MMSG-180 -> MMSC MM4 MM4_forward.REQ MSGID2=180-000001"
    assert len([line for line in out if line.startswith("+")]) == 5
    assert out[-1] == "measured: 1 report"
    # A control byte in a log line must not break the XML; it shows escaped.
    assert "\\x00stray control byte" in cases[run.scenarios[3].name].findtext("system-out")


# --- Cucumber --------------------------------------------------------------


def _elements(features: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {el["name"]: el for f in features for el in f["elements"]}


def _statuses(element: dict[str, Any]) -> list[str]:
    return [s["result"]["status"] for s in element["steps"]]


def test_cucumber_loads_and_groups_by_feature(report: dict[str, Path]) -> None:
    features = json.loads(report["cucumber"].read_text(encoding="utf-8"))
    assert [f["uri"] for f in features] == [
        "report_routing/basic.feature",
        "bearer_choice/sip.feature",
        "gateway_selection/pick.feature",
    ]
    rr = features[0]
    assert rr["keyword"] == "Feature" and rr["name"] == "Delivery reports find their way back"
    assert rr["description"] == "The MMSG routes reports by MSGID2."
    assert rr["id"] == "delivery-reports-find-their-way-back"
    assert len(rr["elements"]) == 2
    el = rr["elements"][1]
    assert el["type"] == "scenario" and el["keyword"] == "Scenario"
    assert (
        el["id"]
        == "delivery-reports-find-their-way-back;a-delivery-report-returns-to-the-issuing-server"
    )
    assert el["line"] == 15
    assert el["tags"] == [{"name": "@report_routing", "line": 14}, {"name": "@RR-2", "line": 14}]


def test_cucumber_steps(run: RunResult) -> None:
    elements = _elements(to_cucumber(run))
    passed, failed, skipped, error = (elements[s.name] for s in run.scenarios)

    assert _statuses(passed) == ["passed"] * 3
    assert [s["keyword"] for s in passed["steps"]] == ["Given ", "When ", "Then "]
    assert passed["steps"][1]["name"] == "the SP submits a message"
    assert passed["steps"][1]["line"] == 10

    assert _statuses(failed) == ["passed", "passed", "failed", "skipped"]
    message = failed["steps"][2]["result"]["error_message"]
    assert "not forwarded" in message and "clause: RR-2" in message and "boom" in message

    # The skip fired in step two, but a skipped scenario shows nothing as run.
    assert _statuses(skipped) == ["skipped", "skipped"]

    # The errored step carried only a message; it becomes the failed step.
    assert _statuses(error) == ["passed", "failed", "skipped"]
    assert "ConnectionRefusedError" in error["steps"][1]["result"]["error_message"]
    for el in (passed, skipped):
        assert all("error_message" not in s["result"] for s in el["steps"])


def test_cucumber_durations_are_integer_nanoseconds(run: RunResult) -> None:
    for el in _elements(to_cucumber(run)).values():
        for step in el["steps"]:
            assert type(step["result"]["duration"]) is int
    passed = _elements(to_cucumber(run))[run.scenarios[0].name]
    assert passed["steps"][1]["result"]["duration"] == 20_300_000


def test_cucumber_error_before_any_step_is_a_failed_before_hook(run: RunResult) -> None:
    scenario = run.scenarios[3]
    scenario.steps = [StepResult("Given", "three gateways", 13), StepResult("When", "x", 14)]
    (el,) = [e for e in _elements(to_cucumber(run)).values() if e["name"] == scenario.name]
    assert _statuses(el) == ["skipped", "skipped"]
    (hook,) = el["before"]
    assert hook["result"]["status"] == "failed"
    assert "ConnectionRefusedError" in hook["result"]["error_message"]


def test_cucumber_failure_after_all_steps_is_a_failed_after_hook(run: RunResult) -> None:
    scenario = run.scenarios[1]
    for step in scenario.steps:
        step.status, step.error = "passed", None
    (el,) = [e for e in _elements(to_cucumber(run)).values() if e["name"] == scenario.name]
    assert _statuses(el) == ["passed"] * 4
    assert el["after"][0]["result"]["status"] == "failed"


def test_cucumber_undefined_step_stays_undefined(run: RunResult) -> None:
    scenario = run.scenarios[3]
    scenario.reason = "StepDefinitionNotFoundError: gateway B reports load 10"
    scenario.steps[1].status, scenario.steps[1].error = "undefined", None
    (el,) = [e for e in _elements(to_cucumber(run)).values() if e["name"] == scenario.name]
    assert _statuses(el) == ["passed", "undefined", "skipped"]
    assert "StepDefinitionNotFoundError" in el["steps"][1]["result"]["error_message"]
