@report_routing
Feature: Report routing - submission, MSGID1 and SP authentication
  The SP submits over MM7 with its own message id, MSGID1, to any server of
  the MMS gateway (MMSG) farm. The server authenticates the SP, issues MSGID2
  embedding its module number, keeps a control record per destination and
  forwards to the MMSC each destination belongs to (US 9,118,692).

  Every MSGID1 carries the scenario's tag, and the SP writes MSGID1 into the
  message's content and subject: the MMSCs count only this scenario's
  messages, and anything an earlier scenario left in the SUT is stray.

  MSGID carriers (PIXIT, report_routing.pixit): by default the SP sends MSGID1
  in SubmitReq/AuxApplicInfo and gets it back as the MessageID of its SubmitRsp
  and of every DeliveryReportReq; the gateway sends MSGID2 to the MMSC in
  SubmitReq/AuxApplicInfo and the MMSC echoes it in DeliveryReportReq/AuxApplicInfo.
  The alternatives are described in README.md, "MSGID1 and MSGID2 on the wire".

  Background:
    Given the report-routing network from the SUT profile

  @rr_msgid1 @rr_msgid2 @rr_control @rr_dr_to_sp @rr_final_state
  Scenario Outline: One submission comes back as one delivery report carrying MSGID1
    Given the MMSCs report the state "<state>"
    When the SP submits a message to "+8613800000001"
    Then the SP gets a SubmitRsp with status 1000 and its MSGID1
    And MMSC A receives one submission carrying an MSGID2
    And the SP receives exactly one delivery report for that message with its MSGID1 and the state "<state>"

    Examples:
      | state     |
      | Retrieved |
      | Rejected  |
      | Expired   |

  @rr_msgid1
  Scenario: Every server of the farm takes the SP's submission and forwards it as the SP wrote it
    When the SP submits a message with priority "High" through each server of the farm
    Then the SP gets a SubmitRsp with status 1000 and its MSGID1
    And MMSC A receives each message with the SP's subject, content and priority

  @rr_msgid2
  Scenario: A group message is split per destination MMSC, each part with its own MSGID2
    When the SP submits a message to "+8613800000011, +8613900000012, +8613800000013"
    Then the SP gets a SubmitRsp with status 1000 and its MSGID1
    And MMSC A receives the recipients "+8613800000011, +8613800000013"
    And MMSC B receives the recipients "+8613900000012"
    And every submission the MMSCs received carries a distinct MSGID2
    And every recipient reaches a final state at the SP exactly once

  @rr_msgid2
  Scenario: MSGID2 is unique in the farm: messages through every server carry distinct MSGID2s
    When the SP submits 20 messages of one recipient each, spread over the farm
    Then every submission the MMSCs received carries a distinct MSGID2
    And every recipient reaches a final state at the SP exactly once

  @rr_control @rr_dr_to_sp
  Scenario: Each destination of one message comes back with its own state: one control record per destination
    Given the MMSCs report the states "Retrieved, Rejected, Expired" to the recipients of a message
    When the SP submits a message to "+8613800000021, +8613800000022, +8613800000023"
    Then the SP receives each recipient of that message with its own state "Retrieved, Rejected, Expired"
    And every recipient reaches a final state at the SP exactly once

  @rr_auth
  Scenario Outline: An SP that fails authentication gets a failure response and nothing is forwarded
    When the SP submits a message to "+8613800000003" with <problem>
    Then the SP gets an MM7 authentication failure
    And no submission reaches any MMSC

    Examples:
      | problem                   |
      | a wrong password          |
      | an unknown VASPID         |
      | no credentials            |
      | an unconfigured address   |
