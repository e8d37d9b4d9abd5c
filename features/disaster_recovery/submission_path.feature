@disaster_recovery
Feature: Disaster recovery - the MMS domain resolves to the MMS router
  Handsets reach the MMSC through a WAP gateway, which resolves the MMS domain
  (mms.operator.example by default) through the operator's caching resolver
  (unbound, or pdns-recursor) and holds the answer for its TTL, two days in the
  field. The authoritative DNS answers the MMS domain with the MMS router's
  address; the router forwards each submission to an MMSC that passes its
  health detection (CN seed 002, steps 201-203).

  On the wire: MM1 (OMA MMS encapsulation, application/vnd.wap.mms-message) over
  HTTP from the handsets to the WAP gateway, the gateway to the router, the
  router to the MMSCs; DNS from the gateway to the resolver and from the
  resolver to the authority; the router's health probes (HTTP GET on each
  MMSC's MM1 URL) beside them.

  Background:
    Given the disaster-recovery network from the SUT profile

  @dr_dns_router @dr_forward_healthy
  Scenario: A submission goes from the handset through the WAP gateway and the router to an MMSC
    Given the WAP gateway and the resolver hold no answer for the MMS domain
    When the handsets send 1 submission
    Then the submission is accepted
    And the wire shows the submission go from the handset to the WAP gateway, through the resolver to the authoritative DNS, and from the router to an MMSC
    And the MMSCs accepted each submission exactly once, under the handset's transaction id
