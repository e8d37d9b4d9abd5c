@wire
Feature: Wire conformance - the MMS gateway's answers conform to the MM7 schema of their release
  Each MM7 request an MMS gateway must answer is sent to it (a SubmitReq, a
  CancelReq and a ReplaceReq from the SP; a DeliveryReportReq and a DeliverReq
  from an MMSC), and each answer it gives - and each request it passes on - is
  decoded strictly on the side: any deviation fails clause wire here, whatever
  [profile] wire says. The gateway farm of the report-routing network is the
  SUT; its answers are judged against the release of pixit.namespace.

  Background:
    Given the report-routing network from the SUT profile

  Scenario Outline: A SubmitReq from the SP is answered with a SubmitRsp that conforms
    When the SP submits a message to "+8613800000031" through MMSG server <module>
    Then the SP gets a SubmitRsp with status 1000 and its MSGID1
    And every SubmitRsp the SUT sent conforms to the MM7 schema of its release

    Examples:
      | module |
      | 180    |
      | 181    |

  Scenario: A SubmitReq that fails authentication is refused with a Fault that conforms
    When the SP submits a message to "+8613800000032" with a wrong password
    Then the SP gets an MM7 authentication failure
    And every Fault the SUT sent conforms to the MM7 schema of its release

  Scenario: A DeliveryReportReq from an MMSC is answered with a DeliveryReportRsp that conforms
    When the SP submits a message to "+8613800000033" through MMSG server 180
    Then the SP receives exactly one delivery report for that message with its MSGID1 and the state "Retrieved"
    And every DeliveryReportRsp the SUT sent conforms to the MM7 schema of its release

  Scenario: A DeliveryReportReq for an unknown MSGID2 is refused with a Fault that conforms
    When MMSC A sends MMSG server 181 a delivery report for MSGID2 "181-ffff-99999998"
    Then MMSC A gets the MM7 status 2005 for that report
    And every Fault the SUT sent conforms to the MM7 schema of its release

  Scenario: A DeliverReq from an MMSC is answered with a DeliverRsp that conforms, and passed on as one that conforms
    When MMSC A delivers a message from "+8613800000041" to the SP's short code through MMSG server 180
    Then MMSC A gets a DeliverRsp with status 1000
    And the SP receives that message once, with its sender and content
    And every DeliverRsp the SUT sent conforms to the MM7 schema of its release
    And every DeliverReq the SUT sent conforms to the MM7 schema of its release

  Scenario: A CancelReq from the SP is answered with a CancelRsp that conforms, and passed on as one that conforms
    Given the MMSCs hold their delivery reports
    When the SP submits a message to "+8613800000042" through MMSG server 180
    And the SP cancels that message through MMSG server 181
    Then the SP gets a CancelRsp with status 1000
    And every CancelRsp the SUT sent conforms to the MM7 schema of its release
    And every CancelReq the SUT sent conforms to the MM7 schema of its release
    When the MMSCs release their delivery reports
    Then no delivery report for that message reaches the SP

  Scenario: A ReplaceReq from the SP is answered with a ReplaceRsp that conforms, and passed on as one that conforms
    Given the MMSCs hold their delivery reports
    When the SP submits a message to "+8613800000043" through MMSG server 181
    And the SP replaces the content of that message through MMSG server 180
    Then the SP gets a ReplaceRsp with status 1000
    And every ReplaceRsp the SUT sent conforms to the MM7 schema of its release
    And every ReplaceReq the SUT sent conforms to the MM7 schema of its release
    When the MMSCs release their delivery reports
    Then every recipient reaches a final state at the SP exactly once
