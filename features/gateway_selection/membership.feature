@gateway_selection
Feature: Gateway selection - failed gateways are dropped and new ones learned, the SP changing nothing
  Judged by the order of events, not by time: once a gateway has left
  missed_heartbeats (2) heartbeats unanswered it is out, and the next
  heartbeat can only leave after that (heartbeat_timeout_ms is shorter than
  heartbeat_period_ms). So no DNS query the SP sends after that next
  heartbeat reached the gateway may be answered with it. A new gateway is in
  once the selector has its first answer; every query sent after it answered
  its second heartbeat must get it when it is the best. Gateways join by
  registration (POST /gateways on the selector's HTTP port) or, when the
  selector does not claim pics.registration, by configuration: the spare
  gateway is then configured in the selector and silent until it joins.

  Background:
    Given the gateway-selection network from the SUT profile

  @gs_heartbeat @gs_failover @needs_delay
  Scenario: A gateway that stops answering heartbeats gets no more messages, and the SP changes nothing
    Given the selector ranks by "delay"
    And gw-1 reports a delay of 30 ms
    And gw-2 reports a delay of 5 ms
    And gw-3 reports a delay of 60 ms
    And the selector has heard every gateway since
    When the SP sends 4 messages
    Then gw-2 took messages
    When gw-2 stops answering heartbeats and the SP keeps sending
    Then no message reached gw-2 once the selector had missed its heartbeats
    And the SP asked the DNS for the same name before each message

  @gs_learn @gs_heartbeat @needs_delay
  Scenario: A gateway that joins takes traffic within one heartbeat period
    Given the selector ranks by "delay"
    And gw-1 reports a delay of 30 ms
    And gw-2 reports a delay of 20 ms
    And gw-3 reports a delay of 60 ms
    And the selector has heard every gateway since
    When the new gateway joins with a delay of 2 ms and the SP keeps sending
    Then every message asked for once it had answered two heartbeats went to the new gateway
    And the SP asked the DNS for the same name before each message

  @gs_heartbeat @gs_failover
  Scenario: With every gateway down the SP gets SERVFAIL, says so, and sends nothing anywhere
    When all the gateways stop answering heartbeats and the SP keeps sending
    Then once no gateway answered, every message got SERVFAIL, the SP said so and sent nothing
