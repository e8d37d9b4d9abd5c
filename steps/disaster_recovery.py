"""Steps for disaster recovery. Thin: they act through the area's driver and judge what
the harness's own roles (the handsets, the WAP gateway, the resolver, the MMSCs) saw on
the wire. The driver runs every change on the emulator loop; nothing here touches an
emulator directly."""

from __future__ import annotations

from collections import Counter

from pytest_bdd import given, parsers, then, when

from mmsconf.fixtures.areas.disaster_recovery.driver import DisasterRecoveryDriver

# How a scenario fails an MMSC (the feature file's words -> the network's knob).
_HOW = {
    "fails": "dead",
    "goes dead": "dead",
    "refuses connections": "refusing",
    "answers 503": "5xx",
    "is slower than the router waits": "slow",
}


def _notes(dr: DisasterRecoveryDriver, note) -> None:
    for line in dr.notes:
        note(line)
    dr.notes.clear()


# --- Given ----------------------------------------------------------------------------


@given("the disaster-recovery network from the SUT profile", target_fixture="dr")
def dr_network(disaster_recovery: DisasterRecoveryDriver) -> DisasterRecoveryDriver:
    return disaster_recovery


@given("the WAP gateway and the resolver hold no answer for the MMS domain")
def dns_forgotten(dr: DisasterRecoveryDriver) -> None:
    dr.forget_dns()


@given("the WAP gateway holds the MMS domain's address from the resolver")
def dns_held(dr: DisasterRecoveryDriver, mmsconf_note) -> None:
    held = dr.hold_answer()
    mmsconf_note(
        f"the WAP gateway holds {held.address} for {held.left_s():.0f} s more "
        f"(the resolver served TTL {held.ttl_s} s)"
    )


@given("the MMSC taking the next submission will close the connection in the middle of it")
def mid_request(dr: DisasterRecoveryDriver) -> None:
    dr.close_next_mid_request()


@given(parsers.parse("MMSC {name} has failed and the router's probes have detected it"))
def failed_and_detected(dr: DisasterRecoveryDriver, name: str) -> None:
    dr.fail(name, "dead")
    dr.send_during_outage(dr.pixit.handset_concurrency * 5, name)
    dr.stops_after_detection(name)


# --- When -------------------------------------------------------------------------------


# Only these phrasings: a looser "MMSC {name} {how}" would swallow other areas' MMSC steps.
_FAILING = "|".join(sorted(_HOW, key=len, reverse=True))


@when(parsers.re(rf"MMSC (?P<name>\w+) (?P<how>{_FAILING})"))
def mmsc_fails(dr: DisasterRecoveryDriver, name: str, how: str) -> None:
    """how: fails | goes dead | refuses connections | answers 503 | is slower than the
    router waits"""
    dr.fail(name, _HOW[how])


@when(parsers.re(r"MMSC (?P<name>\w+) recovers"))
def mmsc_recovers(dr: DisasterRecoveryDriver, name: str) -> None:
    dr.recover(name)


@when("every MMSC fails")
def every_mmsc_fails(dr: DisasterRecoveryDriver) -> None:
    for name in dr.mmsc_names:
        dr.fail(name, "dead")


@when(parsers.parse("the handsets send {count:d} submission"))
@when(parsers.parse("the handsets send {count:d} submissions"))
def handsets_send(dr: DisasterRecoveryDriver, count: int) -> None:
    dr.send(count)


@when(parsers.parse("the handsets send {count:d} submissions during MMSC {name}'s outage"))
def handsets_send_during_outage(
    dr: DisasterRecoveryDriver, count: int, name: str, mmsconf_note
) -> None:
    dr.send_during_outage(count, name)
    _notes(dr, mmsconf_note)


@when(parsers.parse("the handsets send submissions one at a time until MMSC {name} takes one"))
def handsets_until_taken(dr: DisasterRecoveryDriver, name: str, mmsconf_note) -> None:
    sent = dr.send_until_taken(name)
    mmsconf_note(f"{len(sent)} submission(s) sent until MMSC {name} took one")


# --- Then -------------------------------------------------------------------------------


@then("the submission is accepted")
@then("every submission is accepted")
def every_accepted(dr: DisasterRecoveryDriver) -> None:
    dr.every_accepted("sent")


@then(parsers.parse("every one of the submissions during MMSC {name}'s outage is accepted"))
def every_accepted_during_outage(
    dr: DisasterRecoveryDriver, name: str, mmsconf_note, mmsconf_evidence
) -> None:
    counts = Counter(s.verdict.value for s in dr.last)
    mmsconf_note(
        f"{len(dr.last)} submissions during MMSC {name}'s outage: "
        + ", ".join(f"{n} {k}" for k, n in counts.most_common())
    )
    dr.every_accepted(f"sent during MMSC {name}'s outage")


@then("the MMSCs accepted each submission exactly once, under the handset's transaction id")
def exactly_once(dr: DisasterRecoveryDriver) -> None:
    dr.exactly_once()


@then(
    parsers.parse("no submission reaches MMSC {name} once the router's probes detect its failure")
)
def stops_after_detection(dr: DisasterRecoveryDriver, name: str) -> None:
    """Event order at MMSC {name}: failure_threshold failed probes detect the failure; the
    probe after them leaves one probe period for submissions already on their way; after it
    no submission may arrive."""
    dr.stops_after_detection(name)


@then("the WAP gateway still holds the address it had before the outage")
def still_held(dr: DisasterRecoveryDriver, mmsconf_note) -> None:
    mmsconf_note(dr.dns_unchanged())


@then(parsers.parse("MMSC {name} takes submissions again, none before it passed detection"))
def rejoins(dr: DisasterRecoveryDriver, name: str) -> None:
    dr.rejoins(name)


@then("an MMSC stored the submission and closed the connection before its answer")
def closed_mid_request(dr: DisasterRecoveryDriver, mmsconf_note) -> None:
    mmsconf_note(dr.closed_mid_request())


@then("each submission gets an m-send-conf with an error status, none hangs")
def error_status(dr: DisasterRecoveryDriver) -> None:
    dr.error_status_for_each()


@then("no MMSC stored any of them")
def nothing_stored(dr: DisasterRecoveryDriver) -> None:
    dr.nothing_stored()


@then(
    "the wire shows the submission go from the handset to the WAP gateway, through the "
    "resolver to the authoritative DNS, and from the router to an MMSC"
)
def wire_path(dr: DisasterRecoveryDriver, mmsconf_note) -> None:
    for line in dr.wire_path():
        mmsconf_note(line)
