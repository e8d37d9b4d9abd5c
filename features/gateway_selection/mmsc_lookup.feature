@gateway_selection
Feature: Gateway selection - the chosen gateway asks the DNS for the MMSC before forwarding
  Steps 604-606 of the source: the gateway asks the DNS for the MMSC
  (pixit.mmsc_name, record type pixit.record) and forwards to the URL the
  answer carries. With TTL 0 nothing may be reused: each forward is preceded
  by its own answer, seen on the wire. Four messages over three gateways: one
  gateway at least forwards twice, so a kept answer would show.

  Background:
    Given the gateway-selection network from the SUT profile

  @gs_mmsc_lookup @gs_in_dns @gs_query
  Scenario: Each forward to the MMSC follows a DNS answer for the MMSC's name
    When the SP sends 4 messages
    Then before each forward to the MMSC the gateway got a DNS answer for the MMSC's name
