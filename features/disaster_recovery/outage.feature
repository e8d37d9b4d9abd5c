@disaster_recovery
Feature: Disaster recovery - a failed MMSC costs no failed submission
  MMSC A fails while the resolver and the WAP gateway hold the MMS domain's
  answer for its TTL. The prior art (the domain resolves straight to MMSC A)
  loses every submission until the cache expires; through the MMS router none
  is lost: the router's health probes (probe_period_ms, failure_threshold)
  take A out, and a submission that reaches A before that is retried on
  another MMSC with the same transaction id.

  Judged by the order of events at the MMSCs, not by wall-clock margins: a
  failed MMSC is detected by its failure_threshold-th failed probe; the probe
  after it leaves one probe period for submissions already on their way, and
  none may arrive after that. A recovered MMSC takes no submission before its
  recovery_threshold-th passed probe. The MMSCs share one message store, as a
  redundant cluster does: a transaction id is accepted once, whichever MMSC
  takes it, so a retry under the same transaction id is never a second copy.

  Background:
    Given the disaster-recovery network from the SUT profile

  @dr_no_failed_submit @dr_forward_healthy
  Scenario: MMSC A fails while the resolver and the WAP gateway hold the cached answer
    Given the WAP gateway holds the MMS domain's address from the resolver
    When MMSC A fails
    And the handsets send 200 submissions during MMSC A's outage
    Then every one of the submissions during MMSC A's outage is accepted
    And the MMSCs accepted each submission exactly once, under the handset's transaction id
    And no submission reaches MMSC A once the router's probes detect its failure
    And the WAP gateway still holds the address it had before the outage

  @dr_forward_healthy
  Scenario: MMSC A recovers and takes submissions again once it passes detection
    Given MMSC A has failed and the router's probes have detected it
    When MMSC A recovers
    And the handsets send submissions one at a time until MMSC A takes one
    Then MMSC A takes submissions again, none before it passed detection
    And every submission is accepted

  @dr_no_failed_submit @dr_forward_healthy
  Scenario: The MMSC taking a submission fails in the middle of it and the handset still gets exactly one success
    Given the MMSC taking the next submission will close the connection in the middle of it
    When the handsets send 1 submission
    Then an MMSC stored the submission and closed the connection before its answer
    And the submission is accepted
    And the MMSCs accepted each submission exactly once, under the handset's transaction id

  @dr_forward_healthy
  Scenario: With every MMSC down each submission gets an MM1 error status and none hangs
    When every MMSC fails
    And the handsets send 20 submissions
    Then each submission gets an m-send-conf with an error status, none hangs
    And no MMSC stored any of them
