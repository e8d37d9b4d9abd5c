from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lxml.html

from mmsconf.reports.cucumber import to_cucumber
from mmsconf.reports.junit import to_junit
from mmsconf.reports.model import RunResult, ScenarioResult, StepResult
from mmsconf.reports.write import write_report

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


# --- names, evidence, strays, empty runs ---------------------------------------


def test_names_are_unique_and_carry_the_example_in_all_three_formats(
    outline_run: RunResult, tmp_path: Path
) -> None:
    out = write_report(outline_run, tmp_path)
    page = lxml.html.fromstring(out["html"].read_bytes())
    html_names = page.xpath("//section[contains(@class, 'scenario')]//summary/span[@class='name']")
    html_names = [n.text_content() for n in html_names]
    cases = list(ET.parse(out["junit"]).getroot().iter("testcase"))
    junit_names = [c.get("name") for c in cases]
    features = json.loads(out["cucumber"].read_text(encoding="utf-8"))
    elements = [el for f in features for el in f["elements"]]
    cucumber_names = [el["name"] for el in elements]

    expected = "One submission comes back as one delivery report carrying MSGID1 [state=Rejected]"
    for names in (html_names, junit_names, cucumber_names):
        assert len(names) == len(outline_run.scenarios) == 8
        assert len(set(names)) == len(names), names
        assert expected in names
        assert (
            "An SP that fails authentication gets a failure response [problem=no credentials]"
            in (names)
        )
    # The JUnit key a CI dashboard uses, and Cucumber's element ids, are unique too.
    assert len({(c.get("classname"), c.get("name")) for c in cases}) == 8
    assert len({el["id"] for el in elements}) == 8
    assert [el["keyword"] for el in elements[:6]] == ["Scenario Outline"] * 6
    assert elements[-1]["keyword"] == "Scenario"


def test_evidence_and_strays_reach_junit_and_cucumber(
    run: RunResult, big_failure: Callable[..., ScenarioResult]
) -> None:
    big = big_failure()
    run.scenarios.append(big)
    (case,) = [
        c for c in ET.fromstring(to_junit(run)).iter("testcase") if c.get("name") == big.name
    ]
    text = case.find("failure").text
    assert "Per-server load (submissions): 180=360, 181=0; mean 180" in text
    assert "#1500 MM7 DeliveryReportReq MSGID1=sp-0007 (twice) - second report for sp-0007" in text
    assert "#1601 [stray] MM7 DeliveryReportReq from run 1" in text
    assert "#99999 (not in the trace) - a seq the trace lacks" in text
    assert "Server 181 took <nothing>" in text
    out = case.findtext("system-out")
    # Only the first 400 messages are listed there; build a short trace with a stray.
    assert "[stray]" not in out
    big.trace = big.trace[1595:1605]
    (case,) = [
        c for c in ET.fromstring(to_junit(run)).iter("testcase") if c.get("name") == big.name
    ]
    strays = [line for line in case.findtext("system-out").splitlines() if "[stray]" in line]
    assert len(strays) == 1 and "DeliveryReportReq from run 1" in strays[0]

    (el,) = [e for e in _elements(to_cucumber(run)).values() if e["name"] == big.name]
    hook = el["before"][0]["result"]["error_message"]
    assert "evidence:" in hook and "Per-server load" in hook


def test_empty_run_gives_valid_junit_and_cucumber(run: RunResult) -> None:
    run.scenarios = []
    root = ET.fromstring(to_junit(run))
    assert root.get("tests") == "0" and root.get("failures") == "0"
    assert to_cucumber(run) == []
