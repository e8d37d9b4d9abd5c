@report_routing
Feature: Report routing - messages from handsets, and the SP's cancel and replace, through the farm
  Besides submissions and reports, a gateway farm passes the other MM7
  operations between its SP and the MMSCs (3GPP TS 23.140).

  A message from a handset (DeliverReq) reaches any server from an MMSC; the
  server passes it to the SP it is for (the VASPID the MMSC names, else the
  SP whose short code is a recipient: the profile's sp.sender_address) at
  the SP's MM7 URL (the one it takes reports at), and answers the MMSC with
  the SP's status.

  The SP cancels or replaces a message (CancelReq / ReplaceReq) naming the
  MessageID its SubmitRsp gave it: MSGID1. It sends them to any server, as
  it submits. MSGID1 is the SP's own id and names no server, so the server
  that takes the request must find the one that issued MSGID2 for it (the
  reference asks its peers); that server has the MMSC that holds each
  MSGID2 cancel or replace it, under the MessageID the MMSC gave. A message
  can be cancelled or replaced while the MMSC still holds it, so these
  scenarios have the MMSCs hold their delivery reports first.

  Background:
    Given the report-routing network from the SUT profile

  @rr_mo
  Scenario Outline: A message from a handset reaches the SP once, whichever server the MMSC gives it to
    When MMSC A delivers a message from "+8613800000101" to the SP's short code through MMSG server <module>
    Then MMSC A gets a DeliverRsp with status 1000
    And the SP receives that message once, with its sender and content

    Examples:
      | module |
      | 180    |
      | 181    |

  @rr_cancel
  Scenario: A message the SP cancels through another server is cancelled at its MMSC and never reported
    Given the MMSCs hold their delivery reports
    When the SP submits a message to "+8613800000201" through MMSG server 180
    And the SP cancels that message through MMSG server 181
    Then the SP gets a CancelRsp with status 1000
    And every MMSC that holds that message has cancelled it
    When the MMSCs release their delivery reports
    Then no delivery report for that message reaches the SP

  @rr_replace
  Scenario: A message the SP replaces through another server has the new content at each of its MMSCs
    Given the MMSCs hold their delivery reports
    When the SP submits a message to "+8613800000301, +8613900000301" through MMSG server 181
    And the SP replaces the content of that message through MMSG server 180
    Then the SP gets a ReplaceRsp with status 1000
    And every MMSC that holds that message has the new content
    When the MMSCs release their delivery reports
    Then every recipient reaches a final state at the SP exactly once
