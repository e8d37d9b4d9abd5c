@gateway_selection
Feature: Gateway selection - through the SP's caching resolver
  As deployed, the SP asks its local caching resolver, not the selector:
  here unbound (Debian package unbound), started with a config of its own and
  a stub zone sending pixit.zone to the selector. With TTL 0 it keeps no
  choice, so selection and failover work through it as they do directly.
  Without unbound the scenario is skipped, naming the package (it fails in CI).

  Background:
    Given the gateway-selection network from the SUT profile

  @gs_in_dns @gs_failover @gs_heartbeat @needs_delay
  Scenario: Through unbound with TTL 0, the best gateway is chosen and a failed one dropped
    Given the SP asks a caching resolver (unbound) in front of the DNS
    And the selector ranks by "delay"
    And gw-1 reports a delay of 30 ms
    And gw-2 reports a delay of 5 ms
    And gw-3 reports a delay of 60 ms
    And the selector has heard every gateway since
    When the SP sends 4 messages
    Then every message went to gw-2, the one with the shortest delay
    When gw-2 stops answering heartbeats and the SP keeps sending
    Then no message reached gw-2 once the selector had missed its heartbeats
