"""Deliberately broken MMS routers the conformance suite must catch, at least one per clause.

A pytest plugin (``-p dr_mutants``, this folder on PYTHONPATH) that registers
each broken router by name, so a profile can embed it (``router = "..."``).
Each is the reference with ONE hook overridden: whatever the suite catches,
it catches that one fault. ``MUTANTS`` says which clause each breaks;
test_dr_mutants_caught.py runs the scenarios tagged with that clause against
each and requires a failure naming it.
"""

from __future__ import annotations

from mmsconf.emulators import mm1_http
from mmsconf.emulators.codecs import mm1
from mmsconf.emulators.mms_dns import MmsDomainDns
from mmsconf.emulators.mms_router import Attempt, Health, MmsRouter
from mmsconf.emulators.transports.http_server import HttpAnswer
from mmsconf.fixtures.areas.disaster_recovery.implementations import BASELINE, register_router


class ProbesOnce(MmsRouter):
    """Probes each MMSC once at start and never again: a failure is never detected."""

    def keep_probing(self, health: Health) -> bool:
        return False


class NewTransactionIdOnRetry(MmsRouter):
    """Retries a failed attempt under a fresh transaction id: the MMSC cluster cannot tell a
    retry from a new message, and one that took the first attempt stores it twice."""

    def body_for_attempt(self, submission: mm1_http.Submission, attempt: int) -> bytes:
        if attempt == 1:
            return submission.body
        req = submission.req
        fresh = mm1.SendReq(
            **{**req.__dict__, "transaction_id": f"{req.transaction_id}-r{attempt}"}
        )
        return mm1.encode(fresh)


class DropsWhenNoneHealthy(MmsRouter):
    """With no MMSC left, closes the connection instead of answering an MM1 error status."""

    def answer_no_mmsc(self, submission: mm1_http.Submission, errors: list[str]) -> HttpAnswer:
        return HttpAnswer(0, request_summary=submission.summary, drop=True)


class NoRetry(MmsRouter):
    """Gives an MMSC's failure back to the handset instead of trying another MMSC."""

    def retry_after(self, attempt: Attempt) -> bool:
        return False


class NeverRejoins(MmsRouter):
    """Takes a failed MMSC out for good: passed probes never bring it back."""

    def note_probe(self, health: Health, passed: bool) -> None:
        if not health.healthy and passed:
            health.probes += 1
            return
        super().note_probe(health, passed)


class LateDetection(MmsRouter):
    """Takes an MMSC out only after three more failed probes than its PIXIT says."""

    def note_probe(self, health: Health, passed: bool) -> None:
        if (
            not passed
            and health.healthy
            and health.failures + 1 < (self.config.failure_threshold + 3)
        ):
            health.probes += 1
            health.failures, health.passes = health.failures + 1, 0
            return
        super().note_probe(health, passed)


class DomainToMmscB(MmsDomainDns):
    """The operator's DNS answers the MMS domain with MMSC B's address, not the router's."""

    def mms_address(self) -> str:
        return self.mmsc_addresses[1]


#: name -> the clause it breaks
MUTANTS: dict[str, str] = {}


def _register(name: str, clause: str, description: str | None, **kw) -> None:
    register_router(name, " ".join((description or name).split()), **kw)
    MUTANTS[name] = clause


_register("mutant-probes-once", "dr_forward_healthy", ProbesOnce.__doc__, router_class=ProbesOnce)
_register(
    "mutant-new-transaction-id",
    "dr_forward_healthy",
    NewTransactionIdOnRetry.__doc__,
    router_class=NewTransactionIdOnRetry,
)
_register(
    "mutant-drops-when-none-healthy",
    "dr_forward_healthy",
    DropsWhenNoneHealthy.__doc__,
    router_class=DropsWhenNoneHealthy,
)
_register("mutant-no-retry", "dr_no_failed_submit", NoRetry.__doc__, router_class=NoRetry)
_register(
    "mutant-never-rejoins", "dr_forward_healthy", NeverRejoins.__doc__, router_class=NeverRejoins
)
_register(
    "mutant-late-detection", "dr_forward_healthy", LateDetection.__doc__, router_class=LateDetection
)
_register(
    "mutant-domain-to-mmsc-b", "dr_dns_router", DomainToMmscB.__doc__, dns_class=DomainToMmscB
)
#: The prior art is caught like a mutant: by the outage scenario, for the same clause.
MUTANTS[BASELINE] = "dr_no_failed_submit"
