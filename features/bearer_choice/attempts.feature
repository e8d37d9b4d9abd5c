@bearer_choice
Feature: Bearer choice - attempts per push over many pushes to clients in mixed states
  The figure the source's claim rests on ([0006], [0040]): a gateway that
  picks the bearer from the client's state makes exactly one delivery attempt
  per push, where the prior art (the PI's bearer, tried again and again) makes
  more. Attempts are counted at the handsets; clients that can take no bearer
  are not in the mix, so every push is deliverable in one attempt.

  Background:
    Given the bearer-choice network from the SUT profile

  @bc_select @bc_send @bc_no_retry @needs_sip_push
  Scenario: 200 pushes to clients in mixed states take exactly one attempt each
    Given clients in mixed states: registered for SIP push, not registered for SIP push, registered without the push feature tag
    When the push initiator pushes 200 MMS notifications over them, preferring no bearer, SIP and GPRS in turn
    Then the attempts per push are exactly 1.0
