@report_routing
Feature: Report routing - delivery reports reach the issuing server, whichever server gets them
  The MMSC returns each delivery report to any server of the farm. That server
  reads the issuing server's module number out of MSGID2 and forwards the
  report to it; the issuing server maps MSGID2 back to MSGID1 and reports to
  the SP. A report that cannot be passed on now is kept and retried until the
  expiry (PIXIT report_expiry_ms), then dead-lettered: never silently dropped.

  Exactly once holds to the end of the run: after the last scenario the
  harness keeps listening for the SUT's retry horizon (PIXIT retry_horizon_ms),
  and a second report for a recipient, whenever it comes, fails the scenario
  whose message it was.

  Background:
    Given the report-routing network from the SUT profile

  @rr_dr_any_server @rr_dr_forward @rr_dr_to_sp
  Scenario: A report landing on a server that did not issue MSGID2 still reaches the SP once
    Given the MMSCs send every delivery report to MMSG server 181
    When the SP submits a message to "+8613800000002" through MMSG server 180
    Then the SP receives exactly one delivery report for that message with its MSGID1 and the state "Retrieved"
    And that delivery report came to the SP from MMSG server 180

  @rr_dr_any_server @rr_dr_forward @rr_final_state
  Scenario: Reports spread at random over all servers; each of 300 messages reaches one final state
    When the SP submits 300 messages of one recipient each, spread over the farm
    Then every recipient reaches a final state at the SP exactly once
    And the MMSCs sent delivery reports to every server of the farm

  @rr_dr_forward @rr_final_state
  Scenario: A report sent again because its answer was lost reaches the SP once
    Given the MMSCs lose the answer to each delivery report and send it again
    When the SP submits a message to "+8613800000006"
    Then the SP receives exactly one delivery report for that message with its MSGID1 and the state "Retrieved"

  @rr_dr_any_server @rr_dr_forward @rr_final_state
  Scenario: A report the MMSC sends again later, to another server, reaches the SP once
    Given the MMSCs send every delivery report to MMSG server 181
    When the SP submits a message to "+8613800000007" through MMSG server 180
    Then the SP receives exactly one delivery report for that message with its MSGID1 and the state "Retrieved"
    When MMSC A sends that delivery report again, unchanged, to MMSG server 180
    Then the SP receives no further delivery report for that message

  @rr_dr_forward
  Scenario Outline: A report for an unknown or malformed MSGID2 gets 2005 and the server keeps serving
    When MMSC A sends MMSG server 181 a delivery report for MSGID2 "<msgid2>"
    Then MMSC A gets the MM7 status 2005 for that report
    And a message the SP submits next to MMSG server 181 reaches a final state exactly once

    Examples:
      | msgid2             |
      | 180-ffff-99999999  |
      | 181-ffff-99999999  |
      | 999-0000-00000001  |
      | garbage            |

  @rr_dr_forward @rr_dr_to_sp @needs_server_control
  Scenario: The issuing server is down when its report arrives; the report reaches the SP once it is back
    Given the MMSCs hold their delivery reports
    And the MMSCs send every delivery report to MMSG server 181
    When the SP submits a message to "+8613800000004" through MMSG server 180
    And MMSG server 180 goes down
    And the MMSCs release their delivery reports
    Then MMSC A gets the MM7 status 1000 for that report
    And the SP has no delivery report for that message yet
    When MMSG server 180 comes back
    Then the SP receives exactly one delivery report for that message with its MSGID1 and the state "Retrieved"

  @rr_dr_forward @needs_server_control
  Scenario: A report whose issuing server stays down past the expiry is dead-lettered, never delivered late
    Given the MMSCs hold their delivery reports
    And the MMSCs send every delivery report to MMSG server 181
    When the SP submits a message to "+8613800000005" through MMSG server 180
    And MMSG server 180 goes down
    And the MMSCs release their delivery reports
    Then MMSC A gets the MM7 status 1000 for that report
    And the SP receives no delivery report for that message within the report expiry
    When MMSG server 180 comes back
    Then the SP still has no delivery report for that message after the retry interval
