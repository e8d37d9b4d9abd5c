@gateway_selection
Feature: Gateway selection - the DNS answers the gateway name with the best gateway now
  The SP knows one name for "the MMS gateway" (pixit.gateway_name) and asks
  the DNS for it before each message; the selector answers with the chosen
  gateway's MM7 URL (a URI record, RFC 7553, or TXT "mm7=<url>", with the
  gateway's A record beside it), TTL pixit.ttl (0), and the SP submits there.

  Heartbeat and status exchange (README, "Gateway selection"): every
  heartbeat_period_ms the selector sends GET <status_url> to each gateway,
  which answers 200 with a JSON object: delay_ms, traffic, max_traffic,
  throughput, max_throughput, overloaded (and optionally gateway, accepted).
  Criteria: delay (shortest), residual_traffic (largest max - current),
  residual_throughput (largest max - current); the second and third break
  ties, two values being equal when floor(value / tolerance) is; the last
  tie-break is the gateway's name, ascending.

  The figures are chosen so that a plausible mistake picks another gateway:
  the lowest current traffic or throughput, the largest maximum, the lowest
  ratio, the longest delay, the first criterion alone, the gateway's name.

  Each check waits until the selector has heard every gateway twice since the
  figures changed (an answer given after the change has been processed), then
  judges every message the SP sends.

  Background:
    Given the gateway-selection network from the SUT profile

  @gs_query @gs_identifier @gs_in_dns @gs_delay @needs_delay
  Scenario: By delay, the gateway with the shortest service delay takes every message
    Given the selector ranks by "delay"
    And gw-1 reports a delay of 30 ms
    And gw-2 reports a delay of 5 ms
    And gw-3 reports a delay of 60 ms
    And the selector has heard every gateway since
    When the SP sends 8 messages
    Then every message went to gw-2, the one with the shortest delay

  @gs_query @gs_identifier @gs_in_dns @gs_residual_traffic @needs_residual_traffic
  Scenario: By residual traffic, the gateway with the most room takes every message
    Given the selector ranks by "residual_traffic"
    And gw-1 reports traffic 300 of 1000
    And gw-2 reports traffic 20 of 100
    And gw-3 reports traffic 600 of 1200
    And the selector has heard every gateway since
    When the SP sends 8 messages
    Then every message went to gw-1, the one with the largest residual traffic

  @gs_query @gs_identifier @gs_in_dns @gs_residual_throughput @needs_residual_throughput
  Scenario: By residual throughput, the gateway with the most spare throughput takes every message
    Given the selector ranks by "residual_throughput"
    And gw-1 reports throughput 900 of 1000
    And gw-2 reports throughput 100 of 500
    And gw-3 reports throughput 50 of 300
    And the selector has heard every gateway since
    When the SP sends 8 messages
    Then every message went to gw-2, the one with the largest residual throughput

  @gs_tiebreak @gs_delay @gs_residual_traffic @gs_query @needs_tiebreak
  Scenario: A tie on delay, within its tolerance, is broken by residual traffic
    Given the selector ranks by "delay, residual_traffic, residual_throughput" with a delay tolerance of 10
    And gw-1 reports a delay of 41 ms, traffic 60 of 100
    And gw-2 reports a delay of 45 ms, traffic 10 of 100
    And gw-3 reports a delay of 80 ms, traffic 0 of 100
    And the selector has heard every gateway since
    When the SP sends 8 messages
    Then every message went to gw-2, which wins the tie

  @gs_tiebreak @gs_residual_throughput @gs_query @needs_tiebreak
  Scenario: A tie on delay and on residual throughput is broken by the third criterion
    Given the selector ranks by "delay, residual_throughput, residual_traffic"
    And gw-1 reports a delay of 20 ms, throughput 500 of 1000, traffic 80 of 100
    And gw-2 reports a delay of 20 ms, throughput 500 of 1000, traffic 10 of 100
    And gw-3 reports a delay of 50 ms, throughput 0 of 1000, traffic 0 of 100
    And the selector has heard every gateway since
    When the SP sends 8 messages
    Then every message went to gw-2, which wins the tie
