@wire
Feature: Wire conformance - the MMS gateway's answers conform to the MM7 schema of their release
  Each MM7 request an MMS gateway must answer is sent to it (a SubmitReq from
  the SP, a DeliveryReportReq from an MMSC), and each answer it gives is
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
