@gateway_selection
Feature: Gateway selection - the apparatus is a real DNS server
  The selector answers DNS over UDP (and TCP, when it claims pics.tcp) as RFC
  1035 has it: FORMERR for a query it cannot parse (echoing the ID), REFUSED
  for a name outside its zone (pixit.zone), and it keeps answering: the next
  valid query gets the gateway.

  Background:
    Given the gateway-selection network from the SUT profile

  @gs_in_dns
  Scenario Outline: A malformed query gets FORMERR and the next query is answered
    When the SP's address sends the DNS <query> over UDP
    Then the DNS answers FORMERR with the query's ID
    And the next query for the gateway name is answered with a gateway

    Examples:
      | query                                                  |
      | a query whose name is a compression-pointer loop       |
      | a query with two questions                             |
      | a query whose counts announce more records than it has |
      | a query cut short in its question                      |

  @gs_in_dns
  Scenario: A query outside the zone gets REFUSED and the next query is answered
    When the SP's address asks the DNS for "mmsc.example.com" A over UDP
    Then the DNS answers REFUSED with the query's ID
    And the next query for the gateway name is answered with a gateway

  @gs_in_dns @gs_identifier @needs_tcp
  Scenario: The gateway name over TCP is answered like over UDP
    When the SP's address asks the DNS for "mmsg.operator.example" URI over TCP
    Then the DNS answers NOERROR with the query's ID
    And that answer is a URI record naming one of the gateways, with TTL 0
