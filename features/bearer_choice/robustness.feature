@bearer_choice
Feature: Bearer choice - a push gateway answers bad input as its protocol says and keeps serving
  Malformed PAP gets the PAP error code (2000 for anything not well formed or
  not a push; 2002 for an address that is none - a gateway answering 2000 for
  it, as Kannel does, is read leniently), and a DTD is never expanded; a push
  that requires a bearer the gateway does not serve (GHOST/R_DATA, a WDP bearer no
  push gateway here has) is refused at once with 3010; a
  malformed SIP request to its registrar gets 400 Bad Request. Each time the
  gateway then takes and delivers a valid push.

  Background:
    Given the bearer-choice network from the SUT profile

  @bc_via_server
  Scenario Outline: Malformed PAP gets the PAP error code, and the gateway keeps serving
    Given a client not registered for SIP push
    When a push initiator sends the gateway <what>
    Then the gateway answers with PAP code <codes>
    And the gateway still takes a valid push and delivers it

    Examples:
      | what                                        | codes       |
      | a PAP document that is not well-formed XML  | 2000        |
      | a push-message whose address is no address  | 2002 or 2000 |
      | a PAP document that declares an entity      | 2000        |
      | a push-message without its content          | 2000        |
      | a body that is not PAP at all               | 2000        |

  @bc_via_server @bc_no_retry
  Scenario: A push that requires a bearer the gateway does not serve is refused with 3010, and nothing is sent
    Given a client not registered for SIP push
    When the push initiator pushes an MMS notification to the client, requiring the bearer "GHOST/R_DATA" on the network "GSM"
    Then the gateway refuses the push at once with PAP code 3010, and no attempt reaches the client

  @bc_get_info @needs_sip_push
  Scenario Outline: Malformed SIP to the gateway's registrar gets 400, and it keeps serving
    When a SIP peer sends the gateway's registrar <what>
    Then the registrar answers 400
    And a client still registers with the gateway's registrar

    Examples:
      | what                                                   |
      | a REGISTER whose CSeq names another method             |
      | a REGISTER without Call-ID                             |
      | a REGISTER whose Content-Length is longer than its body |
      | a REGISTER whose To is no address                      |
