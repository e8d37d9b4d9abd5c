"""An MMS gateway server with a module number, and the farm that groups them.

Reference behaviour (US 9,118,692): the server that takes a submission
authenticates the SP, issues MSGID2 embedding its own module number, keeps
one control record per destination and forwards to the MMSC each
destination belongs to. A delivery report may arrive at any server; that
server reads the module number out of MSGID2 and forwards the report to the
issuing server, which maps MSGID2 back to MSGID1 and reports to the SP.

The other MM7 operations a farm passes on:

- A message from a handset (DeliverReq, "MO") reaches any server from an
  MMSC. The server finds the SP it is for: the VASPID the MMSC named, else
  the SP whose short code is a recipient. It passes the message on under a
  LinkedID of its own (module number first, like MSGID2, so a reply could
  find the server again) and answers the MMSC with the SP's status.
- The SP cancels or replaces a message (CancelReq / ReplaceReq) by the
  MessageID its SubmitRsp gave it, MSGID1. MSGID1 is the SP's own id and
  names no server, so the server that takes the request looks for the
  control records itself and, if it issued nothing under that MSGID1, asks
  its peers once each (marked forwarded, so a peer never asks further).
  The issuing server sends the request on to the MMSC that holds each
  MSGID2, under the MMSC's own MessageID, and answers with the MMSC's status.

Store-and-forward: a report this server accepted but cannot pass on now
(issuing server or SP unreachable) is held and retried with backoff until
``report_expiry_ms``, then dead-lettered and counted, never dropped.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import (
    Credentials,
    Inbound,
    MM7Client,
    MM7Endpoint,
    Outcome,
    Reply,
    fault_reply,
)
from mmsconf.emulators.msgid import Msgid1Carrier, Msgid2Carrier
from mmsconf.emulators.retry import Attempt, Held, RetryPolicy, StoreAndForward
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder

#: Header a farm server puts on a report it forwards to a peer, so the peer
#: never forwards it a second time.
FORWARDED_BY = "X-MMSG-Forwarded-By"


@dataclass(frozen=True)
class SpAccount:
    """An SP the gateway is configured to serve."""

    vasp_id: str
    username: str
    password: str
    report_url: str  # where this SP takes delivery reports
    vas_ids: frozenset[str] | None = None  # None: any VASID
    allowed_hosts: frozenset[str] | None = None  # None: any source address
    sender_address: str = ""


@dataclass
class MmsgConfig:
    namespace: str = mm7.DEFAULT_NAMESPACE
    msgid1_carrier: Msgid1Carrier = Msgid1Carrier.AUX_APPLIC_INFO
    msgid2_carrier: Msgid2Carrier = Msgid2Carrier.AUX_APPLIC_INFO
    gateway_vasp_id: str = "mmsg"
    mmsc_credentials: Credentials | None = None
    mmsc_routes: list[tuple[str, str]] = field(default_factory=list)  # (number prefix, MMSC URL)
    default_mmsc: str | None = None
    retry_initial_ms: int = 50
    retry_max_ms: int = 1000
    report_expiry_ms: int = 10_000
    request_timeout_ms: int = 3000
    strict: bool = False  # codec mode toward peers


@dataclass
class ControlRecord:
    msgid1: str
    msgid2: str
    destination: str
    sp_report_url: str
    vasp_id: str
    sender: str


@dataclass(frozen=True)
class Placement:
    """Where the message issued as one MSGID2 went: the MMSC's URL and its MessageID there."""

    msgid2: str
    mmsc_url: str
    mmsc_message_id: str


@dataclass(frozen=True)
class ReportForward:
    """A delivery report this server took over: where it goes and with which headers."""

    report: mm7.DeliveryReportReq
    url: str
    headers: dict[str, str] = field(default_factory=dict)


class FarmDirectory:
    """Module number → report URL of each server in the farm.

    Servers look peers up here by the module number they read out of
    MSGID2; adding a server adds one entry and changes nothing else.
    """

    def __init__(self) -> None:
        self.report_urls: dict[int, str] = {}
        self.submit_urls: dict[int, str] = {}

    def add(self, module: int, submit_url: str, report_url: str) -> None:
        self.submit_urls[module] = submit_url
        self.report_urls[module] = report_url


def parse_module(msgid2: str) -> int | None:
    """The issuing server's module number: the digits before the first '-'."""
    head, sep, _ = msgid2.partition("-")
    # isdigit() alone admits other scripts' digits ("１８０"), which int() reads or rejects.
    if not sep or not (head.isascii() and head.isdigit()) or len(head) > 6:
        return None
    return int(head)


class MMSGServer(Service):
    def __init__(
        self,
        trace: TraceRecorder,
        module: int,
        host: str,
        port: int,
        accounts: dict[str, SpAccount],
        directory: FarmDirectory,
        config: MmsgConfig | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(f"MMSG-{module}", host, port)
        self.module = module
        self.trace = trace
        self.accounts = accounts
        self.directory = directory
        self.config = config or MmsgConfig()
        # Plain strings name carriers too; an unknown one fails here, at start.
        self.config.msgid1_carrier = Msgid1Carrier.named(
            self.config.msgid1_carrier, "msgid1_carrier"
        )
        self.config.msgid2_carrier = Msgid2Carrier.named(
            self.config.msgid2_carrier, "msgid2_carrier"
        )
        mode = mm7.Mode.STRICT if self.config.strict else mm7.Mode.LENIENT
        self.codec = mm7.CodecConfig(namespace=self.config.namespace, mode=mode)
        self.endpoint = MM7Endpoint(self, trace, self._routes(), self.codec)
        self.client = self.add_client(
            MM7Client(self, trace, self.codec, timeout_ms=self.config.request_timeout_ms)
        )
        self._boot = f"{random.Random(seed * 1000 + module).getrandbits(16):04x}"
        self._seq = itertools.count(1)
        self.records: dict[tuple[str, str], ControlRecord] = {}
        policy = RetryPolicy(
            self.config.retry_initial_ms, self.config.retry_max_ms, self.config.report_expiry_ms
        )
        self.store: StoreAndForward[ReportForward] = StoreAndForward(
            self, policy, self._pass_on, f"{self.role} reports", on_dead_letter=self._dead_lettered
        )
        # Reports already taken over, so a retried forward is answered, not delivered twice.
        self._accepted_reports: set[tuple[str, str, str]] = set()
        self.counters: Counter[str] = Counter()
        #: (VASPID, MSGID1) -> each MSGID2 issued for it and where that message went.
        self.placements: dict[tuple[str, str], list[Placement]] = {}
        #: LinkedID this server issued for a message from a handset -> the MMSC's LinkedID.
        self.mo_links: dict[str, str | None] = {}

    def _routes(self) -> dict:
        return {"/mm7": ("rs", self._on_submit), "/mm7/dr": ("vasp", self._on_report)}

    @property
    def submit_url(self) -> str:
        return self.endpoint.url("/mm7")

    @property
    def report_url(self) -> str:
        return self.endpoint.url("/mm7/dr")

    # --- MSGID2 -------------------------------------------------------------
    def issue_msgid2(self) -> str:
        """Unique in the farm: module number, boot id, sequence."""
        return f"{self.module}-{self._boot}-{next(self._seq):08d}"

    def report_owner(self, report: mm7.DeliveryReportReq, msgid2: str) -> int | None:
        """Which server must handle this report; None when it cannot be told."""
        return parse_module(msgid2)

    def msgid2_of(self, report: mm7.DeliveryReportReq) -> str:
        return self.config.msgid2_carrier.read_report(report)

    def msgid1_of(self, req: mm7.SubmitReq) -> str | None:
        return self.config.msgid1_carrier.read(req)

    # --- SP side: submissions -------------------------------------------------
    def authenticate(
        self, inbound: Inbound, req: mm7.SubmitReq | mm7.CancelReq | mm7.ReplaceReq
    ) -> Reply | SpAccount:
        """The SP's identity: configured VASPID, allowed address, HTTP Basic credentials."""
        account = self.accounts.get(req.vasp_id or "")
        tid, ns = req.transaction_id, req.namespace
        if account is None:
            self.counters["auth_failures"] += 1
            return fault_reply(
                "rs",
                tid,
                ns,
                4001,
                "SP not configured (VASPID unknown)",
                details=f"VASPID: {req.vasp_id!r} is not a configured SP",
            )
        if account.allowed_hosts is not None and inbound.peer[0] not in account.allowed_hosts:
            self.counters["auth_failures"] += 1
            return fault_reply("rs", tid, ns, 4007, "SP address not configured")
        if account.vas_ids is not None and (req.vas_id or "") not in account.vas_ids:
            self.counters["auth_failures"] += 1
            return fault_reply(
                "rs",
                tid,
                ns,
                4001,
                "VASID not configured for this SP",
                details=f"VASID: {req.vas_id!r} is not configured for this SP",
            )
        creds = inbound.credentials
        if creds is None or (creds.username, creds.password) != (
            account.username,
            account.password,
        ):
            self.counters["auth_failures"] += 1
            reply = fault_reply("rs", tid, ns, 4001, "authentication failed")
            reply.http_status = 401
            reply.headers["WWW-Authenticate"] = 'Basic realm="MM7"'
            return reply
        return account

    async def _on_submit(self, inbound: Inbound) -> Reply:
        req = inbound.message
        if isinstance(req, (mm7.CancelReq, mm7.ReplaceReq)):
            return await self._on_change(inbound, req)
        if not isinstance(req, mm7.SubmitReq):
            return fault_reply("rs", req.transaction_id, req.namespace, 4003)
        auth = self.authenticate(inbound, req)
        if isinstance(auth, Reply):
            self.events.emit("auth_failed", status=auth.message.status.code)
            return auth
        msgid1 = self.msgid1_of(req)
        if not msgid1:
            return fault_reply(
                "rs",
                req.transaction_id,
                req.namespace,
                4004,
                f"{self.config.msgid1_carrier} (MSGID1 carrier) missing",
                details=f"{self.config.msgid1_carrier}: missing (it carries the MSGID1)",
            )
        return await self.take_submission(req, auth, msgid1)

    async def take_submission(self, req: mm7.SubmitReq, account: SpAccount, msgid1: str) -> Reply:
        """An authenticated submission: this server issues MSGID2 for all of it."""
        return await self.accept_submission(req, account, msgid1, [a.value for a in req.recipients])

    def route(self, destination: str) -> str | None:
        """The MMSC a destination belongs to: longest matching number prefix."""
        best: tuple[int, str] | None = None
        for prefix, url in self.config.mmsc_routes:
            if destination.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), url)
        return best[1] if best else self.config.default_mmsc

    def split_per_mmsc(self, destinations: list[str]) -> tuple[dict[str, list[str]], list[str]]:
        """Destinations grouped by the MMSC each belongs to (URL -> numbers), and the
        numbers no MMSC takes. Each group gets its own MSGID2 and SubmitReq."""
        groups: dict[str, list[str]] = {}
        unroutable: list[str] = []
        for dest in destinations:
            url = self.route(dest)
            if url is None:
                unroutable.append(dest)
            else:
                groups.setdefault(url, []).append(dest)
        return groups, unroutable

    def keep_records(
        self, msgid1: str, msgid2: str, dests: list[str], account: SpAccount, sender: str
    ) -> None:
        """One control record per destination: MSGID1, MSGID2, destination, SP address."""
        for dest in dests:
            self.records[(msgid2, dest)] = ControlRecord(
                msgid1, msgid2, dest, account.report_url, account.vasp_id, sender
            )

    def find_record(self, msgid2: str, destination: str) -> ControlRecord | None:
        """The control record a delivery report for (MSGID2, destination) maps back to."""
        return self.records.get((msgid2, destination))

    async def accept_submission(
        self, req: mm7.SubmitReq, account: SpAccount, msgid1: str, destinations: list[str]
    ) -> Reply:
        """Issue MSGID2 per MMSC group, keep control records, forward, answer the SP."""
        self.counters["submissions"] += 1
        groups, unroutable = self.split_per_mmsc(destinations)
        if not groups:
            return fault_reply(
                "rs", req.transaction_id, req.namespace, 2002, "no MMSC for any recipient"
            )
        sender = req.sender_address.value if req.sender_address else account.sender_address
        forwards = []
        for url, dests in groups.items():
            msgid2 = self.issue_msgid2()
            # The records exist before the MMSC can possibly report on them.
            self.keep_records(msgid1, msgid2, dests, account, sender)
            forwards.append(self._forward_to_mmsc(url, req, msgid2, dests))
        results = await asyncio.gather(*forwards)
        failed = list(unroutable)
        first_error: int | None = None
        for (msgid2, dests), outcome in results:
            if outcome.ok:
                self.counters["forwarded_to_mmsc"] += len(dests)
                continue
            first_error = first_error or outcome.status or 3000
            failed.extend(dests)
            for dest in dests:
                self.records.pop((msgid2, dest), None)
        self.events.emit("submission", msgid1=msgid1, failed=len(failed))
        if len(failed) == len(destinations):
            return fault_reply("rs", req.transaction_id, req.namespace, first_error or 2002)
        status = mm7.Status.of(1000)
        if failed:
            status = mm7.Status(1100, "Partial success", "failed: " + ",".join(failed))
        return Reply(
            mm7.SubmitRsp(
                transaction_id=req.transaction_id,
                namespace=req.namespace,
                status=status,
                message_id=msgid1,
            )
        )

    def forward_request(self, req: mm7.SubmitReq, msgid2: str, dests: list[str]) -> mm7.SubmitReq:
        """The SubmitReq this server sends an MMSC: the SP's message (subject, content,
        priority) for ``dests``, under MSGID2 and the gateway's own VASPID."""
        return mm7.SubmitReq(
            namespace=self.config.namespace,
            vasp_id=self.config.gateway_vasp_id,
            sender_address=req.sender_address,
            to=tuple(mm7.Address(d) for d in dests),
            delivery_report=True,
            priority=req.priority,
            subject=req.subject,
            **self.config.msgid2_carrier.forward_fields(msgid2),
            content_href=req.content_href,
            parts=req.parts,
        )

    async def _forward_to_mmsc(
        self, url: str, req: mm7.SubmitReq, msgid2: str, dests: list[str]
    ) -> tuple[tuple[str, list[str]], Outcome]:
        forward = self.forward_request(req, msgid2, dests)
        outcome = await self.client.post(url, forward, credentials=self.config.mmsc_credentials)
        if outcome.ok and isinstance(outcome.message, mm7.SubmitRsp):
            # What a cancel or replace for this message must name at the MMSC.
            record = self.records[(msgid2, dests[0])]
            self.placements.setdefault((record.vasp_id, record.msgid1), []).append(
                Placement(msgid2, url, outcome.message.message_id or msgid2)
            )
        return (msgid2, dests), outcome

    # --- SP side: cancel and replace -------------------------------------------------
    def _from_peer(self, inbound: Inbound) -> bool:
        """A request another server of the farm passed on (header and source address agree)."""
        module = inbound.headers.get(FORWARDED_BY, "")
        # isdigit() alone admits other scripts' digits, which int() rejects.
        digits = module.isascii() and module.isdigit()
        url = self.directory.submit_urls.get(int(module)) if digits else None
        return url is not None and urlsplit(url).hostname == inbound.peer[0]

    async def _on_change(self, inbound: Inbound, req: mm7.CancelReq | mm7.ReplaceReq) -> Reply:
        """A CancelReq or ReplaceReq from the SP (or passed on by a peer) for MSGID1."""
        kind = "cancel" if isinstance(req, mm7.CancelReq) else "replace"
        forwarded = self._from_peer(inbound)
        if forwarded:
            account = self.accounts.get(req.vasp_id or "")
            if account is None:
                return fault_reply("rs", req.transaction_id, req.namespace, 4001)
        else:
            auth = self.authenticate(inbound, req)
            if isinstance(auth, Reply):
                return auth
            account = auth
        self.counters[f"{kind}_requests"] += 1
        placements = self.placements.get((account.vasp_id, req.message_id))
        if placements:
            return await self.change_at_mmscs(req, placements)
        if not forwarded:
            reply = await self.find_holder(req)
            if reply is not None:
                return reply
        return fault_reply(
            "rs",
            req.transaction_id,
            req.namespace,
            2005,
            f"no message {req.message_id!r} from {account.vasp_id} in this farm",
        )

    async def find_holder(self, req: mm7.CancelReq | mm7.ReplaceReq) -> Reply | None:
        """Ask each peer in turn; the first that knows the message answers for it. None: none
        of them issued it."""
        headers = {FORWARDED_BY: str(self.module)}
        for module, url in sorted(self.directory.submit_urls.items()):
            if module == self.module:
                continue
            outcome = await self.client.post(url, req, extra_headers=headers)
            if outcome.message is not None and outcome.status != 2005:
                self.counters["changes_forwarded"] += 1
                return Reply(outcome.message, http_status=outcome.http_status or 200)
        return None

    def change_request(
        self, req: mm7.CancelReq | mm7.ReplaceReq, placement: Placement
    ) -> mm7.CancelReq | mm7.ReplaceReq:
        """The SP's cancel or replace as the MMSC must see it: the MMSC's MessageID, the
        gateway's VASPID (the MMSC knows the gateway, not the SP)."""
        common = {
            "transaction_id": f"{req.transaction_id}-{placement.msgid2}",
            "namespace": self.config.namespace,
            "message_id": placement.mmsc_message_id,
            "vasp_id": self.config.gateway_vasp_id,
        }
        if isinstance(req, mm7.CancelReq):
            return mm7.CancelReq(**common)
        return mm7.ReplaceReq(
            **common,
            service_code=req.service_code,
            read_reply=req.read_reply,
            earliest_delivery_time=req.earliest_delivery_time,
            distribution_indicator=req.distribution_indicator,
            content_href=req.content_href,
            parts=req.parts,
        )

    async def change_at_mmscs(
        self, req: mm7.CancelReq | mm7.ReplaceReq, placements: list[Placement]
    ) -> Reply:
        """Each MMSC that holds part of the message is asked; the first refusal is the answer."""
        outcomes = await asyncio.gather(
            *(
                self.client.post(
                    p.mmsc_url,
                    self.change_request(req, p),
                    credentials=self.config.mmsc_credentials,
                )
                for p in placements
            )
        )
        tid, ns = req.transaction_id, req.namespace
        for outcome in outcomes:
            if not outcome.ok:
                return fault_reply("rs", tid, ns, outcome.status or 3000, outcome.error or "")
        self.events.emit("changed", message_id=req.message_id)
        if isinstance(req, mm7.CancelReq):
            return Reply(mm7.CancelRsp(transaction_id=tid, namespace=ns))
        return Reply(mm7.ReplaceRsp(transaction_id=tid, namespace=ns))

    # --- MMSC side: messages from handsets ----------------------------------------------
    def sp_for_deliver(self, req: mm7.DeliverReq) -> SpAccount | None:
        """The SP a message from a handset is for: the VASPID the MMSC named (REL-6), else the
        SP whose short code is one of the recipients."""
        if req.vasp_id:
            return self.accounts.get(req.vasp_id)
        to = {a.value for a in req.recipients}
        return next((a for a in self.accounts.values() if a.sender_address in to), None)

    def deliver_to_sp(self, req: mm7.DeliverReq, account: SpAccount) -> mm7.DeliverReq:
        """The message as the SP gets it: the handset's sender, recipients, subject, content;
        the SP's own VASPID/VASID; a LinkedID this server issued (module number first)."""
        linked = self.issue_msgid2()
        self.mo_links[linked] = req.linked_id
        rel6 = mm7.is_rel6(self.config.namespace)  # REL-5 DeliverReq has no VASPID / VASID
        vas_id = next(iter(sorted(account.vas_ids))) if account.vas_ids else None
        return mm7.DeliverReq(
            transaction_id=f"MO-{linked}",
            namespace=self.config.namespace,
            sender=req.sender,
            vasp_id=account.vasp_id if rel6 else None,
            vas_id=vas_id if rel6 else None,
            linked_id=linked,
            to=req.to,
            cc=req.cc,
            bcc=req.bcc,
            timestamp=req.timestamp,
            priority=req.priority,
            subject=req.subject,
            applic_id=req.applic_id,
            reply_applic_id=req.reply_applic_id,
            aux_applic_info=req.aux_applic_info,
            content_href=req.content_href,
            parts=req.parts,
        )

    async def _on_deliver(self, req: mm7.DeliverReq) -> Reply:
        tid, ns = req.transaction_id, req.namespace
        self.counters["mo_from_mmsc"] += 1
        account = self.sp_for_deliver(req)
        if account is None:
            return fault_reply(
                "vasp",
                tid,
                ns,
                2002,
                "no SP for these recipients",
                details="To: no SP's short code",
            )
        outcome = await self.client.post(account.report_url, self.deliver_to_sp(req, account))
        if outcome.ok:
            self.counters["mo_delivered"] += 1
            self.events.emit("mo_delivered", vasp_id=account.vasp_id)
            return Reply(mm7.DeliverRsp(transaction_id=tid, namespace=ns))
        # The SP refused (its status goes back as it is) or could not be reached (3000: the
        # MMSC may try again later).
        return fault_reply("vasp", tid, ns, outcome.status or 3000, outcome.error or "")

    # --- MMSC side: delivery reports -------------------------------------------
    async def _on_report(self, inbound: Inbound) -> Reply:
        report = inbound.message
        if isinstance(report, mm7.DeliverReq):
            return await self._on_deliver(report)
        if not isinstance(report, mm7.DeliveryReportReq):
            return fault_reply("vasp", report.transaction_id, report.namespace, 4003)
        forwarded = FORWARDED_BY in inbound.headers
        self.counters["reports_forwarded_in" if forwarded else "reports_from_mmsc"] += 1
        msgid2 = self.msgid2_of(report)
        owner = self.report_owner(report, msgid2)
        tid, ns = report.transaction_id, report.namespace
        if owner is None:
            self.counters["reports_unknown"] += 1
            return fault_reply("vasp", tid, ns, 2005, f"MSGID2 {msgid2!r} names no server")
        if owner == self.module:
            return self._report_own(report, msgid2)
        if forwarded or owner not in self.directory.report_urls:
            self.counters["reports_unknown"] += 1
            return fault_reply("vasp", tid, ns, 2005, f"no server {owner} in this farm")
        return await self.forward_report(report, owner)

    def first_time(self, report: mm7.DeliveryReportReq, msgid2: str) -> bool:
        """Whether this report is new here (and remember it): a report the MMSC sends
        again, or another server forwards again, is answered but not delivered twice."""
        key = (msgid2, report.recipient.value, report.mm_status)
        if key in self._accepted_reports:
            return False
        self._accepted_reports.add(key)
        return True

    def report_to_sp(
        self, record: ControlRecord, report: mm7.DeliveryReportReq
    ) -> mm7.DeliveryReportReq:
        """The report for the SP: MSGID1 and the destination from the control record, the
        state from the MMSC's report."""
        return mm7.DeliveryReportReq(
            transaction_id=f"DR-{record.msgid2}-{record.destination}",
            namespace=self.config.namespace,
            message_id=record.msgid1,
            recipient=mm7.Address(record.destination),
            sender=mm7.Address(record.sender, "ShortCode") if record.sender else report.sender,
            date=report.date,
            mm_status=report.mm_status,
            status_text=report.status_text,
        )

    def _report_own(self, report: mm7.DeliveryReportReq, msgid2: str) -> Reply:
        record = self.find_record(msgid2, report.recipient.value)
        if record is None:
            self.counters["reports_unknown"] += 1
            return fault_reply(
                "vasp",
                report.transaction_id,
                report.namespace,
                2005,
                f"no control record for {msgid2} / {report.recipient.value}",
            )
        if not self.first_time(report, msgid2):
            self.counters["reports_duplicate"] += 1
            return Reply(
                mm7.DeliveryReportRsp(
                    transaction_id=report.transaction_id, namespace=report.namespace
                )
            )
        self.counters["reports_accepted"] += 1
        self._hold(self.report_to_sp(record, report), record.sp_report_url, "SP")
        self.events.emit("report_accepted", msgid2=msgid2, recipient=report.recipient.value)
        return Reply(
            mm7.DeliveryReportRsp(transaction_id=report.transaction_id, namespace=report.namespace)
        )

    async def forward_report(self, report: mm7.DeliveryReportReq, owner: int) -> Reply:
        """A report whose MSGID2 another server issued: passed to that server, or taken
        over (held and retried) while it cannot be reached."""
        url = self.directory.report_urls[owner]
        headers = {FORWARDED_BY: str(self.module)}
        outcome = await self.client.post(url, report, extra_headers=headers)
        tid, ns = report.transaction_id, report.namespace
        if outcome.ok:
            self.counters["reports_forwarded"] += 1
            self.counters["reports_accepted"] += 1
            return Reply(mm7.DeliveryReportRsp(transaction_id=tid, namespace=ns))
        if outcome.refused:
            # The issuing server looked and said no: the MMSC hears the same.
            self.counters["reports_unknown"] += 1
            return fault_reply("vasp", tid, ns, outcome.status, "rejected by the issuing server")
        # Issuing server unreachable or failing: this server takes the report over.
        self.counters["reports_accepted"] += 1
        held = self._hold(report, url, f"MMSG-{owner}", headers=headers, tried=outcome.error)
        self.events.emit("report_held", id=held.id, owner=owner, error=outcome.error)
        return Reply(mm7.DeliveryReportRsp(transaction_id=tid, namespace=ns))

    # --- holding and retrying ----------------------------------------------------
    @property
    def held(self) -> dict[int, Held[ReportForward]]:
        """Reports taken over and not yet passed on, by id."""
        return self.store.held

    @property
    def dead_letters(self) -> list[Held[ReportForward]]:
        """Reports given up after ``report_expiry_ms`` or refused for good; counted."""
        return self.store.dead_letters

    def _hold(
        self,
        report: mm7.DeliveryReportReq,
        url: str,
        destination: str,
        headers: dict[str, str] | None = None,
        tried: str | None = None,
    ) -> Held[ReportForward]:
        return self.store.hold(ReportForward(report, url, headers or {}), destination, tried=tried)

    def retry_now(self) -> None:
        """A peer came back: what this server holds is tried again now."""
        self.store.kick()

    async def _pass_on(self, held: Held[ReportForward]) -> tuple[Attempt, str | None]:
        forward = held.item
        outcome = await self.client.post(forward.url, forward.report, extra_headers=forward.headers)
        if outcome.ok:
            self.counters[
                "delivered_to_sp" if held.destination == "SP" else "reports_forwarded"
            ] += 1
            return Attempt.DELIVERED, None
        error = outcome.error or f"MM7 status {outcome.status}"
        return (Attempt.REFUSED if outcome.refused else Attempt.AGAIN), error

    def _dead_lettered(self, held: Held[ReportForward], why: str) -> None:
        self.counters["dead_letters"] += 1


ServerFactory = Callable[..., MMSGServer]


class Farm:
    """Servers with module numbers behind one directory; one can join while running."""

    directory_class: type[FarmDirectory] = FarmDirectory

    def __init__(
        self,
        trace: TraceRecorder,
        accounts: dict[str, SpAccount],
        config: MmsgConfig,
        host_for: Callable[[int], str],
        seed: int = 0,
        server_class: type[MMSGServer] = MMSGServer,
        port_for: Callable[[int], int] | None = None,
    ) -> None:
        self.trace = trace
        self.accounts = accounts
        self.config = config
        self.host_for = host_for
        self.port_for = port_for or (lambda _module: 0)
        self.seed = seed
        self.server_class = server_class
        self.directory = self.directory_class()
        self.servers: dict[int, MMSGServer] = {}

    def _kick_all(self) -> None:
        """Tell every server's retry loop to try again now (a peer came back)."""
        for server in self.servers.values():
            server.retry_now()

    async def start(self, modules: list[int]) -> None:
        for module in modules:
            await self.add_server(module)

    async def add_server(self, module: int) -> MMSGServer:
        if module in self.servers:
            raise ValueError(f"server {module} is already in the farm")
        server = self.server_class(
            self.trace,
            module,
            self.host_for(module),
            self.port_for(module),
            self.accounts,
            self.directory,
            self.config,
            seed=self.seed,
        )
        await server.start()
        self.servers[module] = server
        self.directory.add(module, server.submit_url, server.report_url)
        return server

    async def remove_server(self, module: int) -> None:
        """Stop server ``module`` and drop it from the directory (what it held is lost)."""
        server = self.servers.pop(module)
        self.directory.submit_urls.pop(module, None)
        self.directory.report_urls.pop(module, None)
        await server.stop()

    async def take_down(self, module: int) -> None:
        await self.servers[module].go_down()

    async def bring_up(self, module: int) -> None:
        await self.servers[module].come_up()
        self._kick_all()

    async def stop(self) -> None:
        for server in self.servers.values():
            await server.stop()

    @property
    def submit_urls(self) -> list[str]:
        return [self.directory.submit_urls[m] for m in sorted(self.servers)]

    @property
    def report_urls(self) -> list[str]:
        return [self.directory.report_urls[m] for m in sorted(self.servers)]

    def counters(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for server in self.servers.values():
            total.update(server.counters)
        return total
