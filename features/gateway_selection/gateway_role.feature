@gateway_selection
Feature: Gateway selection - the gateway's part: the status exchange and the MMSC lookup
  The gateway under test is a vendor's when the profile names one
  ([gateway_selection.vendor_gateway]), else the harness's spare gateway (the
  reference). The harness's selector learns it by configuration and probes it;
  every answer must be HTTP 200 with a status document that parses strictly
  (README, "Gateway selection"). Then the harness's own gateways report
  themselves overloaded, so every message goes to the gateway under test, which
  must take it and ask the DNS for the MMSC before each forward (TTL 0).

  Background:
    Given the gateway-selection network from the SUT profile

  @gs_heartbeat
  Scenario: The gateway under test answers every heartbeat with a valid status document
    Given the gateway under test joins the selector
    When the selector has sent the gateway under test 4 heartbeats
    Then it answered each with a valid status document

  @gs_mmsc_lookup @gs_identifier @gs_heartbeat
  Scenario: Steered to the gateway under test, each message is taken and the MMSC looked up first
    Given the harness's own gateways report themselves overloaded
    And the gateway under test joins the selector
    And the selector has heard every gateway since
    When the selector has sent the gateway under test 3 heartbeats
    And the SP sends 4 messages
    Then every message went to the gateway under test, was taken, and each forward followed a lookup
