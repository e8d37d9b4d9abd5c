@gateway_selection
Feature: Gateway selection - a stream under residual-traffic selection never overfills a gateway
  Each gateway reports as traffic its base load plus every message it took in
  the scenario; the selector counts each answer as traffic on its way to the
  gateway it named until the gateway's status shows it arrived (the status's
  optional "accepted" counter), so a burst between two heartbeats cannot push a
  gateway past its maximum. Halfway through, the stream pauses, two gateways'
  base loads change, and it goes on once the selector has heard every gateway
  twice since. A gateway is judged full when its traffic had reached
  max_traffic before the message arrived.

  Background:
    Given the gateway-selection network from the SUT profile

  @gs_residual_traffic @needs_residual_traffic
  Scenario: 1,000 messages while loads change: no gateway takes one over its maximum traffic
    Given the selector ranks by "residual_traffic, delay"
    And gw-1 reports a delay of 1 ms, traffic 0 of 500
    And gw-2 reports a delay of 1 ms, traffic 100 of 500
    And gw-3 reports a delay of 1 ms, traffic 200 of 500
    And the selector has heard every gateway since
    When the SP sends 1000 messages, and after 500 of them the base traffic of gw-1 becomes 200 and of gw-3 becomes 0
    Then no gateway took a message while at its maximum traffic, and every message was taken
