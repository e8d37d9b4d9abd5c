@toy
Feature: Toy area, registered from the test tree

  Background:
    Given the toy network from the SUT profile

  @toy_echo
  Scenario: The toy echo greets what it hears
    When the toy client says "ping"
    Then the toy echo answers "hello ping"

  @toy_echo @needs_shout
  Scenario: The toy echo shouts when the SUT claims it
    When the toy client says "ping"
    Then the toy echo answers "HELLO PING"
