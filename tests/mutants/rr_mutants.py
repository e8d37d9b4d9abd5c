"""Deliberately broken MMS gateways the conformance suite must catch, one per clause.

A pytest plugin (``-p rr_mutants``, this folder on PYTHONPATH) that registers
each broken gateway by name when pytest configures, before the profile is
read, so a profile can embed it (``gateway = "..."``). Importing the module
registers nothing: the registry is process-wide, and a test reading
``MUTANTS`` must not change what other tests' profiles may name.
Each is the reference server with ONE hook overridden: whatever the suite
catches, it catches that one fault. ``MUTANTS`` says which clause each
breaks; tests/mutants/test_mutants_caught.py runs the scenarios tagged with
that clause against each and requires a failure naming it.
"""

from __future__ import annotations

import pytest

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import Inbound, Reply
from mmsconf.emulators.mmsg import ControlRecord, MMSGServer, Placement, SpAccount
from mmsconf.fixtures.areas.report_routing.gateways import BASELINE, register_gateway


class NoAuthCheck(MMSGServer):
    """Takes every submission, whatever the credentials, VASPID or address."""

    def authenticate(self, inbound: Inbound, req: mm7.SubmitReq) -> Reply | SpAccount:
        return next(iter(self.accounts.values()))


class Msgid2NotUnique(MMSGServer):
    """Each server issues the same MSGID2 for every message (module and boot id only)."""

    def issue_msgid2(self) -> str:
        return f"{self.module}-{self._boot}-00000000"


class GroupNotSplit(MMSGServer):
    """Sends every destination of a message to the MMSC of its first destination."""

    def split_per_mmsc(self, destinations: list[str]) -> tuple[dict[str, list[str]], list[str]]:
        first = self.route(destinations[0]) if destinations else None
        if first is None:
            return {}, list(destinations)
        return {first: list(destinations)}, []


class ControlPerMsgid2(MMSGServer):
    """Finds the control record by MSGID2 alone: every destination maps to the first one's."""

    def find_record(self, msgid2: str, destination: str) -> ControlRecord | None:
        return next((r for (m, _d), r in self.records.items() if m == msgid2), None)


class Msgid2WithoutModule(MMSGServer):
    """MSGID2 names no server (boot id and sequence only): reports cannot find the issuer."""

    def issue_msgid2(self) -> str:
        return f"{self._boot}-{next(self._seq):08d}"


class NoReportForwarding(MMSGServer):
    """Answers 1000 to a report another server issued, and drops it."""

    async def forward_report(self, report: mm7.DeliveryReportReq, owner: int) -> Reply:
        return Reply(
            mm7.DeliveryReportRsp(transaction_id=report.transaction_id, namespace=report.namespace)
        )


class NoDuplicateSuppression(MMSGServer):
    """Delivers every report it is given to the SP, however often it was given."""

    def first_time(self, report: mm7.DeliveryReportReq, msgid2: str) -> bool:
        return True


class ReportsWithMsgid2(MMSGServer):
    """Reports to the SP under MSGID2 instead of mapping back to MSGID1."""

    def report_to_sp(
        self, record: ControlRecord, report: mm7.DeliveryReportReq
    ) -> mm7.DeliveryReportReq:
        plain = super().report_to_sp(record, report)
        return mm7.DeliveryReportReq(**{**plain.__dict__, "message_id": record.msgid2})


class ReportsAtEvenServersOnly(MMSGServer):
    """Only even-numbered servers have a report endpoint: the others answer 404."""

    def _routes(self) -> dict:
        routes = super()._routes()
        if self.module % 2:
            routes.pop("/mm7/dr")
        return routes


class DropsPriority(MMSGServer):
    """Forwards the SP's message without its priority."""

    def forward_request(self, req: mm7.SubmitReq, msgid2: str, dests: list[str]) -> mm7.SubmitReq:
        plain = super().forward_request(req, msgid2, dests)
        return mm7.SubmitReq(**{**plain.__dict__, "priority": None})


class MoWithoutContent(MMSGServer):
    """Passes a message from a handset on to the SP without its content."""

    def deliver_to_sp(self, req: mm7.DeliverReq, account: SpAccount) -> mm7.DeliverReq:
        plain = super().deliver_to_sp(req, account)
        return mm7.DeliverReq(**{**plain.__dict__, "parts": (), "content_href": None})


class CancelAtIssuerOnly(MMSGServer):
    """A server that did not issue the message answers 2005 instead of asking its peers."""

    async def find_holder(self, req: mm7.CancelReq | mm7.ReplaceReq) -> Reply | None:
        return None


class ReplaceWithoutContent(MMSGServer):
    """Passes the SP's ReplaceReq on to the MMSC without the new content."""

    def change_request(
        self, req: mm7.CancelReq | mm7.ReplaceReq, placement: Placement
    ) -> mm7.CancelReq | mm7.ReplaceReq:
        plain = super().change_request(req, placement)
        if isinstance(plain, mm7.ReplaceReq):
            return mm7.ReplaceReq(**{**plain.__dict__, "parts": (), "content_href": None})
        return plain


#: gateway name -> (its server class, the clause it breaks); None: registered elsewhere.
MUTANTS: dict[str, tuple[type[MMSGServer] | None, str]] = {
    "mutant-drops-priority": (DropsPriority, "rr_msgid1"),
    "mutant-no-auth-check": (NoAuthCheck, "rr_auth"),
    "mutant-msgid2-not-unique": (Msgid2NotUnique, "rr_msgid2"),
    "mutant-group-not-split": (GroupNotSplit, "rr_msgid2"),
    "mutant-control-per-msgid2": (ControlPerMsgid2, "rr_control"),
    "mutant-reports-at-even-servers-only": (ReportsAtEvenServersOnly, "rr_dr_any_server"),
    "mutant-msgid2-without-module": (Msgid2WithoutModule, "rr_dr_forward"),
    "mutant-no-report-forwarding": (NoReportForwarding, "rr_dr_forward"),
    "mutant-reports-with-msgid2": (ReportsWithMsgid2, "rr_dr_to_sp"),
    "mutant-no-duplicate-suppression": (NoDuplicateSuppression, "rr_final_state"),
    "mutant-mo-without-content": (MoWithoutContent, "rr_mo"),
    "mutant-cancel-at-issuer-only": (CancelAtIssuerOnly, "rr_cancel"),
    "mutant-replace-without-content": (ReplaceWithoutContent, "rr_replace"),
    # The prior art the clause was written against: routing by number ranges.
    BASELINE: (None, "rr_balance"),
}


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Before mmsconf's own configure loads the SUT profile, which may name a mutant."""
    for name, (server, clause) in MUTANTS.items():
        if server is not None:
            register_gateway(
                name, f"broken on purpose ({clause}): {server.__doc__}", server_class=server
            )
