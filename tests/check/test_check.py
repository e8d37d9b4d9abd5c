"""``mmsconf check``: one small feature file per class of mistake.

Each test writes a feature file under tmp_path and asserts the kind, the
line and what the message tells the writer. The step definitions are a
small module of their own, so the tests do not move when the shipped
phrases do; one test runs the check over the shipped suite, which must be
clean.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import pytest

from mmsconf.fixtures.check import (
    DUPLICATE_SCENARIO,
    MISSING_AREA,
    MISSING_SETUP,
    NO_EXAMPLES,
    NO_FEATURES,
    NO_SCENARIO,
    NO_STEPS,
    PLACEHOLDER,
    SYNTAX,
    UNDEFINED_STEP,
    UNKNOWN_AREA,
    UNKNOWN_CLAUSE,
    Problem,
    check_features,
    format_problems,
)

STEPS = """
from pytest_bdd import given, parsers, then, when


@given("the report-routing network from the SUT profile")
def network():
    pass


@given(parsers.parse('the MMSCs report the state "{state}"'))
def report_state(state):
    pass


@when(parsers.parse('the SP submits a message to "{numbers}"'))
def submit(numbers):
    pass


@when(parsers.parse('the SP submits a message to "{numbers}" through MMSG server {module:d}'))
def submit_through(numbers, module):
    pass


@then(parsers.parse("MMSC A gets the MM7 status {code:d} for that report"))
def status(code):
    pass


@then("no submission reaches any MMSC")
def nothing_reaches():
    pass
"""

AREAS = ("report_routing", "gateway_selection")
CLAUSES = ("rr_msgid1", "rr_auth", "rr_balance", "gs_query")
SETUP = {
    "report_routing": "the report-routing network from the SUT profile",
    "gateway_selection": None,
}


@pytest.fixture(scope="module")
def step_module(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("steps")
    name = "mmsconf_check_test_steps"
    (folder / f"{name}.py").write_text(STEPS)
    sys.path.insert(0, str(folder))
    try:
        importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))
    return name


def check(tmp_path: Path, step_module: str, text: str, name: str = "a.feature") -> list[Problem]:
    folder = tmp_path / "features"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return check_features(
        [folder], step_modules=[step_module], areas=AREAS, clause_ids=CLAUSES, setup_steps=SETUP
    )


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


GOOD = """
@report_routing
Feature: Submission
  Background:
    Given the report-routing network from the SUT profile

  @rr_msgid1
  Scenario Outline: One submission, one report
    Given the MMSCs report the state "<state>"
    When the SP submits a message to "+8613800000001"
    Then MMSC A gets the MM7 status 1000 for that report

    Examples:
      | state     |
      | Retrieved |
      | Rejected  |

  @rr_auth
  Scenario: A bad SP
    When the SP submits a message to "+8613800000003" through MMSG server 180
    Then no submission reaches any MMSC
"""


def test_a_good_file_has_no_problem(tmp_path: Path, step_module: str) -> None:
    assert check(tmp_path, step_module, GOOD) == []


def test_syntax_error_with_its_line(tmp_path: Path, step_module: str) -> None:
    text = """
    @report_routing
    Feature: Broken
      Scenario: a
        Given the report-routing network from the SUT profile
        this line is no step
    """
    p = only(check(tmp_path, step_module, text))
    assert (p.kind, p.line) == (SYNTAX, 5)
    assert "this line is no step" in p.message
    assert p.file.endswith("a.feature")


def test_first_step_and_is_refused_as_pytest_bdd_would(tmp_path: Path, step_module: str) -> None:
    text = """
    @report_routing
    Feature: And first
      Scenario: a
        And the report-routing network from the SUT profile
    """
    p = only(check(tmp_path, step_module, text))
    assert (p.kind, p.line) == (SYNTAX, 4)
    assert "must start with 'Given', 'When' or 'Then'" in p.message


def test_feature_without_scenario(tmp_path: Path, step_module: str) -> None:
    text = """
    @report_routing
    Feature: Nothing yet
      Some description, and no scenario.
    """
    p = only(check(tmp_path, step_module, text))
    assert (p.kind, p.line, p.message) == (NO_SCENARIO, 2, "the feature has no scenario")


def test_empty_file(tmp_path: Path, step_module: str) -> None:
    p = only(check(tmp_path, step_module, "# only a comment\n"))
    assert (p.kind, p.line) == (NO_SCENARIO, 1)
    assert "no Feature" in p.message


def test_undefined_step_suggests_the_closest_phrase(tmp_path: Path, step_module: str) -> None:
    text = GOOD.replace(
        'When the SP submits a message to "+8613800000003" through MMSG server 180',
        'When the SP submit a message to "+8613800000003" via MMSG server 180',
    )
    p = only(check(tmp_path, step_module, text))
    assert (p.kind, p.line) == (UNDEFINED_STEP, 19)
    assert p.message == (
        'no step definition matches When \'the SP submit a message to "+8613800000003" via '
        "MMSG server 180'; did you mean When "
        "'the SP submits a message to \"<numbers>\" through MMSG server <module>'?"
    )


def test_a_then_phrase_written_as_when(tmp_path: Path, step_module: str) -> None:
    text = GOOD.replace("    Then no submission", "    When no submission")
    p = only(check(tmp_path, step_module, text))
    assert (p.kind, p.line) == (UNDEFINED_STEP, 20)
    assert p.message.endswith("it is a Then step, written here as When")


def test_nothing_close_no_suggestion(tmp_path: Path, step_module: str) -> None:
    text = GOOD.replace("    Then no submission reaches any MMSC", "    Then the moon is blue")
    p = only(check(tmp_path, step_module, text))
    assert p.kind == UNDEFINED_STEP and "did you mean" not in p.message


def test_placeholder_outside_an_outline(tmp_path: Path, step_module: str) -> None:
    text = GOOD.replace(
        'When the SP submits a message to "+8613800000003" through MMSG server 180',
        'When the SP submits a message to "<number>" through MMSG server 180',
    )
    p = only(check(tmp_path, step_module, text))
    assert (p.kind, p.line) == (PLACEHOLDER, 19)
    assert p.message.startswith("<number> in a scenario without Examples (line 18)")


def test_placeholder_not_a_column(tmp_path: Path, step_module: str) -> None:
    text = GOOD.replace('report the state "<state>"', 'report the state "<status>"')
    p = only(check(tmp_path, step_module, text))
    assert (p.kind, p.line) == (PLACEHOLDER, 8)
    assert p.message == "<status> is not a column of the Examples at line 12 (columns: state)"


def test_an_example_value_no_step_accepts_is_reported_at_its_row(
    tmp_path: Path, step_module: str
) -> None:
    text = """
    @report_routing
    Feature: Statuses
      Background:
        Given the report-routing network from the SUT profile

      @rr_msgid1
      Scenario Outline: status
        Then MMSC A gets the MM7 status <code> for that report

        Examples:
          | code |
          | 1000 |
          | abc  |
    """
    p = only(check(tmp_path, step_module, text))
    assert (p.kind, p.line) == (UNDEFINED_STEP, 13)
    assert "'MMSC A gets the MM7 status abc for that report' (Examples row at line 13)" in (
        p.message
    )


def test_outline_without_rows(tmp_path: Path, step_module: str) -> None:
    text = GOOD.replace("      | Retrieved |\n      | Rejected  |\n", "")
    p = only(check(tmp_path, step_module, text))
    assert (p.kind, p.line) == (NO_EXAMPLES, 7)


def test_unknown_clause_tag(tmp_path: Path, step_module: str) -> None:
    p = only(check(tmp_path, step_module, GOOD.replace("@rr_auth", "@rr_atuh")))
    assert (p.kind, p.line) == (UNKNOWN_CLAUSE, 17)
    assert p.message == "@rr_atuh is not a known clause id; did you mean @rr_auth?"


def test_other_tags_are_left_alone(tmp_path: Path, step_module: str) -> None:
    text = GOOD.replace("@rr_auth", "@rr_auth @smoke @needs_server_control @wip_today")
    assert check(tmp_path, step_module, text) == []


def test_unknown_area_tag(tmp_path: Path, step_module: str) -> None:
    p = only(check(tmp_path, step_module, GOOD.replace("@report_routing", "@report_routng")))
    assert (p.kind, p.line) == (UNKNOWN_AREA, 1)
    assert p.message == "@report_routng is not a known area; did you mean @report_routing?"


def test_scenario_without_area(tmp_path: Path, step_module: str) -> None:
    problems = check(tmp_path, step_module, GOOD.replace("@report_routing\n", ""))
    assert [(p.kind, p.line) for p in problems] == [(MISSING_AREA, 6), (MISSING_AREA, 17)]
    assert "known areas: @gateway_selection, @report_routing" in problems[0].message


def test_missing_setup_step(tmp_path: Path, step_module: str) -> None:
    text = GOOD.replace(
        "  Background:\n    Given the report-routing network from the SUT profile\n", ""
    )
    problems = check(tmp_path, step_module, text)
    assert [(p.kind, p.line) for p in problems] == [(MISSING_SETUP, 5), (MISSING_SETUP, 16)]
    assert problems[0].message == (
        "a scenario of area report_routing needs its setup step "
        "'Given the report-routing network from the SUT profile' "
        "(in the Background or first in the scenario)"
    )


def test_setup_step_in_the_scenario_is_enough(tmp_path: Path, step_module: str) -> None:
    text = """
    @report_routing
    Feature: Own setup
      @rr_auth
      Scenario: a
        Given the report-routing network from the SUT profile
        Then no submission reaches any MMSC
    """
    assert check(tmp_path, step_module, text) == []


def test_duplicate_scenario_names(tmp_path: Path, step_module: str) -> None:
    text = GOOD.replace("Scenario: A bad SP", "Scenario: One submission, one report")
    p = only(check(tmp_path, step_module, text))
    assert (p.kind, p.line) == (DUPLICATE_SCENARIO, 18)
    assert "is at line 7; pytest-bdd runs only the last one" in p.message


def test_scenario_without_steps(tmp_path: Path, step_module: str) -> None:
    text = """
    @report_routing
    Feature: Empty scenario
      Background:
        Given the report-routing network from the SUT profile

      @rr_auth
      Scenario: nothing to do
    """
    p = only(check(tmp_path, step_module, text))
    assert (p.kind, p.line) == (NO_STEPS, 7)


def test_rules_inherit_background_and_tags(tmp_path: Path, step_module: str) -> None:
    text = """
    Feature: Rules
      Background:
        Given the report-routing network from the SUT profile

      @report_routing
      Rule: auth
        @rr_auth
        Scenario: a
          Then no submission reaches any MMSC
    """
    assert check(tmp_path, step_module, text) == []


def test_folders_without_features(tmp_path: Path, step_module: str) -> None:
    (tmp_path / "empty").mkdir()
    problems = check_features(
        [tmp_path / "empty", tmp_path / "missing"], step_modules=[step_module]
    )
    assert [(p.kind, p.line, p.message) for p in problems] == [
        (NO_FEATURES, 0, "no .feature file in it"),
        (NO_FEATURES, 0, "no such folder"),
    ]


def test_problems_print_as_file_line(tmp_path: Path, step_module: str) -> None:
    problems = check(tmp_path, step_module, GOOD.replace("@rr_auth", "@rr_atuh"), name="x.feature")
    out = format_problems(problems)
    first, count = out.splitlines()
    assert first == f"{tmp_path / 'features' / 'x.feature'}:17: unknown-clause: " + (
        "@rr_atuh is not a known clause id; did you mean @rr_auth?"
    )
    assert count == "1 problem(s) in 1 file(s)"
    assert format_problems([]) == "no problems found\n"


def test_the_shipped_suite_is_clean() -> None:
    from mmsconf.fixtures.cli import features_dir

    known = _shipped_known()
    problems = check_features([features_dir()], **known)
    assert problems == [], format_problems(problems)


def _shipped_known() -> dict:
    """The shipped areas, clause ids, setup phrases and step modules.

    Read from the area registry where it exists, else from the clause table
    it replaces.
    """
    try:
        from mmsconf.fixtures.areas import areas  # type: ignore[import-not-found]

        registered = list(areas())
        return {
            "step_modules": ["mmsconf.steps.common"]
            + [a.step_module for a in registered if a.step_module],
            "areas": [a.name for a in registered],
            "clause_ids": [c.id for a in registered for c in a.clauses],
            "setup_steps": {a.name: a.setup_step for a in registered},
        }
    except ImportError:
        from mmsconf.fixtures.catalogue import STEP_MODULES
        from mmsconf.fixtures.clauses import AREAS, CLAUSE_IDS

        return {
            "step_modules": list(STEP_MODULES),
            "areas": AREAS,
            "clause_ids": CLAUSE_IDS,
            "setup_steps": {"report_routing": "the report-routing network from the SUT profile"},
        }
