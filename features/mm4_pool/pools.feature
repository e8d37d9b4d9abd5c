@mm4_pool
Feature: MM4 pool - one message pool and one pre-established SMTP sub-pool per destination MMSC
  The source MMSC's relay keeps, per destination MMSC, a message pool and a
  sub-pool of SMTP connections established in advance; messages for a
  destination wait in its pool and leave over its sub-pool's connections
  (CN patent, seed 003, [0049]-[0050]).

  The harness plays the source MMSC's core (MMSC-A), which hands the relay MM4
  messages (MM4_forward.REQ, X-Mms-Ack-Request: Yes, X-Mms-Originator-System
  system-user@<source domain>) over SMTP, and three destination MMSCs B, C and
  D, each at its own loopback address on one SMTP port and named by an MX
  record in the harness's DNS. The relay routes each recipient's domain by MX
  (its static table as fallback). Connections are counted at the destinations,
  where the relay cannot fudge them; each open, close, hand-over and arrival
  takes its place in one order of events, so scenarios judge order and counts,
  never wall-clock margins. Every message id carries the scenario's tag.

  A destination may be the vendor's own MMSC (external in the profile): the
  harness cannot count connections there (@counts_at_destinations) nor turn its
  knobs (@controls_destinations), so those scenarios are skipped; its arrivals
  are the MM4_forward.RES it sends back.

  Background:
    Given the MM4 pool network from the SUT profile

  @mp_message_pool @mp_sub_pool
  Scenario: 300 messages to three destinations all arrive, each acknowledged by its MM4_forward.RES
    When the core hands the relay 300 messages spread over MMSC B, MMSC C and MMSC D
    Then every message arrives at its destination MMSC exactly once
    And the core gets one MM4_forward.RES "Ok" for every message, correlated by transaction and message id

  @mp_sub_pool @mp_bounded @counts_at_destinations
  Scenario: A burst is carried on a bounded number of reused connections
    When the core hands the relay 300 messages spread over MMSC B, MMSC C and MMSC D
    Then every message arrives at its destination MMSC exactly once
    And no destination MMSC had more connections from the relay open at once than the sub-pool's maximum
    And the relay opened far fewer connections than it sent messages

  @mp_preestablished @counts_at_destinations
  Scenario: The sub-pools' connections are open before the first message
    Then every destination MMSC holds the sub-pool's minimum of connections from the relay
    When the core hands the relay 30 messages spread over MMSC B, MMSC C and MMSC D
    Then every message arrives at its destination MMSC exactly once
    And the first message at each destination MMSC came on a connection opened before the first hand-over

  @mp_sub_pool @controls_destinations @counts_at_destinations
  Scenario: A connection cut during DATA is replaced; the message goes again on another and arrives once
    Given MMSC B cuts the connection during DATA of the next 3 messages
    When the core hands the relay 30 messages for MMSC B
    Then every message arrives at its destination MMSC exactly once, on a connection of its sub-pool
    And each message whose DATA was cut arrived on another connection
    And MMSC B holds the sub-pool's minimum of connections from the relay again
