@report_routing
Feature: Report routing - load spreads evenly and the farm scales out without re-mapping
  With MSGID2 carrying the issuing server's module number, which server
  handles a message does not depend on the destination number: load spreads
  evenly however the numbers fall, and a server added while running takes
  traffic at once with no number ranges to re-cut. Per-server load is what a
  black box shows: the MM7 requests each server sends to the harness (its
  SubmitReqs to the MMSCs and its delivery reports to the SP).

  Background:
    Given the report-routing network from the SUT profile

  @rr_balance @rr_final_state
  Scenario: A group message whose numbers share their last two digits spreads evenly over the farm
    When the SP sends a group message to 300 recipients whose numbers all end in "37"
    Then every recipient reaches a final state at the SP exactly once
    And the per-server load max/mean is within the profile's ratio

  @rr_balance @rr_dr_forward @needs_add_server_while_running
  Scenario: A server added while running takes submissions at once and its reports route correctly
    When MMSG server 182 joins the farm
    And the SP submits 30 messages of one recipient each, spread over the farm
    Then MMSG server 182 forwarded submissions to the MMSCs
    And every recipient reaches a final state at the SP exactly once
    And the delivery reports for messages MMSG server 182 took reached the SP

  @rr_final_state @rr_dr_to_sp
  Scenario: 1,000 submissions in flight at once all reach a final state, none lost, none duplicated
    When the SP submits 1000 messages of one recipient each at once, spread over the farm
    Then every recipient reaches a final state at the SP exactly once
    And the SP got no delivery report it did not ask for
