"""A QA engineer's path: read `mmsconf steps`, write a feature file with those
steps only, run it with `mmsconf run --features DIR`, read the verdicts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from mmsconf.fixtures.catalogue import catalogue
from mmsconf.fixtures.cli import features_dir


def test_catalogue_covers_every_shipped_step_and_has_examples(vendor) -> None:
    result = vendor.run_cli("steps")
    assert result.returncode == 0
    entries = catalogue(features_dir())
    assert len(entries) >= 25
    assert all(e.example for e in entries), [e.phrase for e in entries if not e.example]
    assert all(e.phrase in result.stdout for e in entries)
    step_line = re.compile(r"^\s*(?:Given|When|Then|And|But)\s+(.*\S)\s*$")
    for path in features_dir().rglob("*.feature"):
        for line in path.read_text().splitlines():
            if m := step_line.match(line):
                text = m.group(1)
                assert any(e.example and _parser_matches(e, text) for e in entries), text


def _parser_matches(entry: object, text: str) -> bool:
    if "(?P<" in entry.phrase:  # a regular-expression step (parsers.re): its phrase is the pattern
        return re.fullmatch(entry.phrase, text) is not None
    pattern = re.escape(entry.phrase)
    pattern = re.sub(r"\\\{\w+(?::\w+)?\\\}", ".+", pattern)
    return re.fullmatch(pattern, text) is not None


def test_every_catalogue_example_works_in_a_plain_scenario(tmp_path: Path, vendor) -> None:
    """Outline steps are shown with the first Examples row filled in: no <placeholder>
    is left, and a plain Scenario written from the examples passes ``mmsconf check``."""
    entries = [e for e in catalogue(features_dir()) if e.area == "report_routing"]
    assert not [e.example for e in entries if re.search(r"<\w+>", e.example or "")]
    states = next(e for e in entries if "{state}" in e.phrase and e.kind == "then")
    assert states.example.endswith('the state "Retrieved"'), states.example
    steps = "\n".join(
        f"    {e.kind.capitalize()} {e.example}" for e in entries if e.kind != "given"
    )
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "all.feature").write_text(
        "@report_routing @qa_examples\nFeature: every example\n\n  Background:\n"
        "    Given the report-routing network from the SUT profile\n\n"
        f"  @rr_msgid1\n  Scenario: all examples, one after the other\n{steps}\n"
    )
    result = vendor.run_cli("check", "--features", str(tmp_path / "f"))
    assert result.returncode == 0, result.stdout + result.stderr


FEATURE = """\
@report_routing @qa_own
Feature: A QA engineer's own scenarios, written from the step catalogue

  Background:
    Given the report-routing network from the SUT profile

  @rr_msgid2
  Scenario: A message to MMSC B's numbers goes to MMSC B
    When the SP submits a message to "+8613900000555, +8613900000556"
    Then the SP gets a SubmitRsp with status 1000 and its MSGID1
    And MMSC B receives the recipients "+8613900000555, +8613900000556"
    And every recipient reaches a final state at the SP exactly once

  @rr_msgid2
  Scenario: A wrong expectation is reported as a failure of the clause
    When the SP submits a message to "+8613900000557"
    Then MMSC A receives the recipients "+8613900000557"
"""


def test_own_feature_folder_runs_with_catalogue_steps(tmp_path: Path, vendor) -> None:
    folder = tmp_path / "my_features"
    folder.mkdir()
    (folder / "mine.feature").write_text(FEATURE)
    report = tmp_path / "r"
    result = vendor.run_cli(
        "run",
        "--features",
        str(folder),
        "--tags",
        "qa_own",
        "--report-dir",
        str(report),
        "--",
        "-q",
    )
    cases = {
        c.get("name"): next(
            (x.tag for x in c if x.tag in ("failure", "error", "skipped")), "passed"
        )
        for c in ET.parse(report / "junit.xml").getroot().iter("testcase")
    }
    assert cases == {
        "A message to MMSC B's numbers goes to MMSC B": "passed",
        "A wrong expectation is reported as a failure of the clause": "failure",
    }, result.stdout[-2000:]
    assert result.returncode == 1
    assert (
        "rr_msgid2: expected MMSC A gets ['+8613900000557']" in (report / "junit.xml").read_text()
    )


def test_run_refuses_a_missing_features_folder(tmp_path: Path, vendor) -> None:
    result = vendor.run_cli("run", "--features", str(tmp_path / "nope"))
    assert result.returncode == 3
    assert "no such folder" in result.stderr


UNDEFINED = """\
@report_routing @qa_undefined
Feature: A scenario with a step nobody wrote

  Background:
    Given the report-routing network from the SUT profile

  Scenario: A step nobody wrote
    When the SP submits a message to "+8613800000321"
    Then the SP dances the fandango
    And the SP gets a SubmitRsp with status 1000 and its MSGID1
"""


def test_run_refuses_a_feature_with_an_undefined_step_before_anything_runs(
    tmp_path: Path, vendor
) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "u.feature").write_text(UNDEFINED)
    report = tmp_path / "r"
    result = vendor.run_cli(
        "run", "--features", str(folder), "--tags", "qa_undefined", "--report-dir", str(report)
    )
    # The author's mistake, named with file:line; the SUT was never asked anything.
    assert result.returncode == 3, result.stdout + result.stderr
    line = 1 + next(n for n, t in enumerate(UNDEFINED.splitlines()) if "fandango" in t)
    assert f"u.feature:{line}: undefined-step" in result.stderr, result.stderr
    assert not (report / "junit.xml").exists()


def test_an_undefined_step_is_undefined_in_cucumber_and_an_error_in_junit(
    tmp_path: Path, vendor
) -> None:
    import json

    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "u.feature").write_text(UNDEFINED)
    report = tmp_path / "r"
    # With the check skipped, the run itself still keeps an undefined step an ERROR.
    result = vendor.run_cli(
        "run",
        "--no-check",
        "--features",
        str(folder),
        "--tags",
        "qa_undefined",
        "--report-dir",
        str(report),
        "--",
        "-q",
    )
    assert result.returncode == 2  # an error of the suite, not a failure of the SUT
    [feature] = json.loads((report / "cucumber.json").read_text())
    [element] = feature["elements"]
    statuses = [s["result"]["status"] for s in element["steps"]]
    assert statuses == ["passed", "passed", "undefined", "skipped"]
    [case] = ET.parse(report / "junit.xml").getroot().iter("testcase")
    assert [x.tag for x in case if x.tag != "system-out"] == ["error"]
