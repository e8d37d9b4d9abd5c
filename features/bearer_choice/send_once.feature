@bearer_choice
Feature: Bearer choice - the push gateway learns the client's state, picks a bearer, sends once
  A push initiator (PI) sends the push gateway (PPG) a PAP push-message for a
  client. Before it pushes, the gateway asks the client-information server
  (presence: GET <presence URL>/<client>, a PIDF document with one tuple per
  push bearer) and the registrar it keeps; it then picks the bearer the client
  can receive on now - SIP push when the client is registered for it (its
  contact registered +g.oma.pusheventapp="mms.ua" and presence says so), else
  WAP push over WDP/UDP (port 2948), else none - and sends once (seed 004,
  [0036]-[0043], [0067]-[0068]).

  Every push is counted where it arrives: each SIP MESSAGE and each WDP
  datagram that reaches the client's handset, taken or refused, is one
  attempt; a SIP retransmission is the same attempt. Each push carries the
  scenario's tag, so an earlier scenario's late push is stray, never counted.
  Every failure says what the gateway did with the push.

  Background:
    Given the bearer-choice network from the SUT profile

  @bc_get_info @bc_select @bc_send @bc_no_retry @needs_sip_push
  Scenario: A client registered for SIP push gets one SIP MESSAGE and no WAP push
    Given a client registered for SIP push
    When the push initiator pushes an MMS notification to the client
    Then the push reaches the client by SIP push in exactly one attempt

  @bc_get_info @bc_select @bc_send @bc_no_retry
  Scenario: A client not registered for SIP push gets one WAP push over UDP and no SIP attempt
    Given a client not registered for SIP push
    When the push initiator pushes an MMS notification to the client
    Then the push reaches the client by WAP push over UDP in exactly one attempt

  @bc_via_server @bc_select @bc_no_retry
  Scenario: The initiator prefers SIP and the client cannot take it: WAP push, one attempt in all
    Given a client not registered for SIP push
    When the push initiator pushes an MMS notification to the client, preferring the bearer "SIP"
    Then the push reaches the client by WAP push over UDP in exactly one attempt

  @bc_via_server @bc_select @bc_no_retry @needs_sip_push
  Scenario: The initiator prefers SIP and the client registered without the push feature tag: WAP push, one attempt
    Given a client registered without the push feature tag
    When the push initiator pushes an MMS notification to the client, preferring the bearer "SIP"
    Then the push reaches the client by WAP push over UDP in exactly one attempt

  @bc_select @bc_no_retry
  Scenario: The initiator requires SIP and the client cannot take it: no attempt at all
    Given a client not registered for SIP push
    When the push initiator pushes an MMS notification to the client, requiring the bearer "SIP"
    Then no delivery attempt reaches the client

  @bc_get_info @bc_no_retry @needs_sip_push
  Scenario: A client that went offline while registered for SIP push gets no delivery attempt at all
    Given a client that is offline
    When the push initiator pushes an MMS notification to the client
    Then no delivery attempt reaches the client

  @bc_no_retry @needs_sip_push @needs_result_notifications
  Scenario: The initiator of a push to an offline client gets a result notification saying undeliverable
    Given a client that is offline
    When the push initiator pushes an MMS notification to the client
    Then the push initiator gets a result notification saying "undeliverable"

  @bc_get_info @bc_send @needs_sip_push @needs_result_notifications
  Scenario: The client-information server is down: the documented fallback is used and reported
    Given a client registered for SIP push
    And the client-information server is down
    When the push initiator pushes an MMS notification to the client
    Then the push reaches the client by the documented fallback
    And the result notification reports the fallback
