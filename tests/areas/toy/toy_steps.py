"""Steps of the toy area: they talk to the echo only through its driver."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from mmsconf.fixtures.verdicts import check


@given("the toy network from the SUT profile", target_fixture="echo")
def toy_network(toy):
    return toy


@when(parsers.parse('the toy client says "{line}"'))
def client_says(echo, line: str) -> None:
    echo.say(line)


@then(parsers.parse('the toy echo answers "{answer}"'))
def echo_answers(echo, answer: str) -> None:
    check(echo.last_answer == answer, "toy_echo", repr(answer), repr(echo.last_answer))
    check(bool(echo.heard()), "toy_echo", "the echo heard the line", "nothing")
