@mm4_pool
Feature: MM4 pool - a slow or dead destination does not stall the others, and nothing is lost
  Each destination has its own message pool and its own connections, so a
  destination that is slow, down for a while or down for good holds up only
  its own messages. A message a destination cannot take waits in its pool and
  is retried (at once when the destination comes back); after the relay's
  expiry (pixit.expiry_ms) it is dead-lettered and the originator gets a
  failure delivery report (MM4_delivery_report.REQ delivered to the core).
  Nothing accepted is lost: every message is delivered exactly once or
  reported failed, never both, to the end of the run. A relay that tells its
  counters (pics.pool_counters) shows one pool per destination and
  accepted = delivered + queued + dead-lettered in each.

  "Not held behind the slow one" is judged by the order of events: every
  message for the other destinations must arrive before the slow destination
  (1000 ms per SMTP command, so at least 3 s per message) has taken its first.

  Background:
    Given the MM4 pool network from the SUT profile

  @mp_message_pool @mp_bounded @controls_destinations
  Scenario: A slow destination does not hold the others back
    Given MMSC C answers every SMTP command 1000 ms late
    When the core hands the relay 150 messages spread over MMSC B, MMSC C and MMSC D
    Then every message for MMSC B and MMSC D arrives before MMSC C has taken its first
    When MMSC C answers on time again
    Then every message arrives at its destination MMSC exactly once

  @mp_message_pool @controls_destinations
  Scenario: A destination down for a while gets its messages when it comes back; the others are unaffected
    Given MMSC D is down
    When the core hands the relay 90 messages spread over MMSC B, MMSC C and MMSC D
    Then every message for MMSC B and MMSC C arrives exactly once while MMSC D is down
    And MMSC D has taken none of its messages
    When MMSC D comes back
    Then every message arrives at its destination MMSC exactly once

  @mp_message_pool @controls_destinations
  Scenario: A destination down past the expiry: its messages are dead-lettered and reported to the originator, none lost
    Given MMSC D is down
    When the core hands the relay 30 messages spread over MMSC B, MMSC C and MMSC D
    Then every message for MMSC B and MMSC C arrives exactly once while MMSC D is down
    And the core gets a failure delivery report for every message to MMSC D
    And no message is both delivered and reported failed, and none is missing
    When MMSC D comes back
    Then none of the messages for MMSC D arrives there, to the end of the run

  @mp_message_pool @needs_pool_counters @controls_destinations
  Scenario: The relay keeps one message pool per destination, and counts everything it took
    Given MMSC D is down
    When the core hands the relay 60 messages spread over MMSC B, MMSC C and MMSC D
    Then every message for MMSC B and MMSC C arrives exactly once while MMSC D is down
    And the relay's counters keep one message pool per destination, each balanced
    When MMSC D comes back
    Then every message arrives at its destination MMSC exactly once
    And the relay's counters keep one message pool per destination, each balanced
