@mm4_pool
Feature: MM4 pool - a malformed MM4 message does not paralyse a destination
  A destination MMSC decodes each MM4 message it is sent; one that lacks a
  mandatory header (3GPP TS 23.140 §8.4) or names no MM4 message type gets a
  5xx answer naming the header at fault, and the destination keeps serving:
  the next message the relay sends it arrives. A peer MMSC (the harness's
  probe, from an address of its own) sends the malformed message; against a
  vendor's destination MMSC this checks the vendor's MM4 decoding.

  Background:
    Given the MM4 pool network from the SUT profile

  @mp_bounded
  Scenario Outline: A malformed MM4 message gets a 5xx naming the problem and the destination keeps serving
    When a peer MMSC sends MMSC B an MM4_forward.REQ <fault>
    Then it gets a 5xx answer naming "<field>"
    And MMSC B takes the next message the relay sends it

    Examples:
      | fault                                   | field                  |
      | without X-Mms-Message-ID                | X-Mms-Message-ID       |
      | without X-Mms-Transaction-ID            | X-Mms-Transaction-ID   |
      | without X-Mms-3GPP-MMS-Version          | X-Mms-3GPP-MMS-Version |
      | with X-Mms-Message-Type "MM4_bogus.REQ" | X-Mms-Message-Type     |
