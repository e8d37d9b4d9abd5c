"""An MMS centre on MM7: takes submissions, then returns a delivery report per recipient.

Each report goes to a server of the gateway farm picked at random (seeded),
as the source's "switch and router" would; if that server does not answer,
the MMSC tries the others in random order, as a load balancer with health
checks would. The report echoes the gateway's MSGID2 in the carrier the
``msgid2_carrier`` PIXIT names.

A forwarded SubmitReq is attributed to the scenario whose MSGID1 its content
(or subject) names (see ``scopes.py``). The knobs a scenario turns (hold,
pin, the states reported, repeating a report) apply to its own messages
only: a stray submission is answered and reported as the protocol says.
Every attempt to pass a report on is kept with the answer it got, so a
verdict can say which server refused, lost or never answered a report.

The MMSC also plays the MM7 operations around a message: it delivers a
message from a handset to the farm (DeliverReq, to a random server, the
next on no answer), and it cancels or replaces a message it still holds
(CancelReq / ReplaceReq naming the MessageID of its SubmitRsp). A message
is held while its delivery reports are withheld (``hold_reports``); once
reported it counts as delivered, and a cancel or replace gets 2001.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import Credentials, Inbound, MM7Client, Outcome, Reply, fault_reply
from mmsconf.emulators.msgid import Msgid2Carrier
from mmsconf.emulators.retry import Attempt, RetryPolicy, StoreAndForward
from mmsconf.emulators.scopes import (
    ScopedEndpoint,
    content_of,
    content_text,
    make_msgid1,
    msgid1_in,
    subject_with,
    tag_of,
)
from mmsconf.emulators.service import Service
from mmsconf.emulators.sp import Answer, judge_answer
from mmsconf.emulators.trace import TraceRecorder


@dataclass
class MmscConfig:
    namespace: str = mm7.DEFAULT_NAMESPACE
    msgid2_carrier: Msgid2Carrier = Msgid2Carrier.AUX_APPLIC_INFO
    report_status: str = "Retrieved"
    report_delay_ms: int = 0
    credentials: Credentials | None = None  # what gateways must present; None: no check
    seed: int = 0
    # A report no server accepted (all down or answering a temporary fault) is
    # tried again with backoff until the expiry, then given up.
    report_retry_initial_ms: int = 50
    report_retry_max_ms: int = 1000
    report_expiry_ms: int = 10_000
    #: How long the MMSC waits for each DeliveryReportRsp, from when the report is sent.
    request_timeout_ms: int = 5000
    #: Reports in flight at once (one connection each); the rest wait their turn.
    max_connections: int = 200


@dataclass
class Received:
    """A SubmitReq as the MMSC saw it."""

    from_host: str
    msgid2: str
    message_id: str
    recipients: tuple[str, ...]
    msgid1: str | None = None  # as the SP wrote it into the content; None: not found
    scope: str | None = None
    stray: bool = False
    subject: str | None = None
    priority: str | None = None
    content: str = ""
    #: Cancelled by the gateway before delivery: it is never reported.
    cancelled: bool = False
    #: The content of each replacement, in order (``content`` is the latest).
    replaced: list[str] = field(default_factory=list)


@dataclass
class MoResult:
    """A message from a handset the MMSC delivered to the farm, and how it went."""

    mo_id: str  # written into the content, as the SP's MSGID1 is: it names the scenario
    sender: str
    to: tuple[str, ...]
    subject: str
    content: str
    scope: str | None
    outcome: Outcome | None = None
    tried: list[str] = field(default_factory=list)
    answer: Answer = Answer.UNSENT
    why: str = "not sent"


@dataclass
class PendingReport:
    """A report on its way to the farm: every server tried, and the last answer."""

    report: mm7.DeliveryReportReq
    tried: list[str]
    outcome: Outcome | None = None
    attempts: list[tuple[str, Outcome]] = field(default_factory=list)


@dataclass
class ReportResult:
    target: str
    msgid2: str
    recipient: str
    outcome: Outcome
    tried: list[str] = field(default_factory=list)
    #: Every POST of this report, in order: (server's report URL, what came back).
    attempts: list[tuple[str, Outcome]] = field(default_factory=list)
    msgid1: str | None = None
    scope: str | None = None
    state: str = ""
    transaction_id: str = ""


class MMSC(Service):
    def __init__(
        self,
        trace: TraceRecorder,
        name: str,
        host: str,
        port: int = 0,
        config: MmscConfig | None = None,
    ) -> None:
        super().__init__(f"MMSC-{name}", host, port)
        self.name = name
        self.trace = trace
        self.config = config or MmscConfig()
        codec = mm7.CodecConfig(namespace=self.config.namespace, mode=mm7.Mode.LENIENT)
        self.endpoint = ScopedEndpoint(
            self, trace, {"/mm7": ("rs", self._on_request)}, codec, self._is_stray
        )
        self.client = self.add_client(
            MM7Client(
                self,
                trace,
                codec,
                timeout_ms=self.config.request_timeout_ms,
                limit=self.config.max_connections,
            )
        )
        self._slots: asyncio.Semaphore | None = None
        self.rng = random.Random(self.config.seed)
        self._ids = itertools.count(1)
        self.report_targets: list[str] = []
        #: The running scenario's tag; None: no scenarios, nothing is stray.
        self.scope: str | None = None
        self.received: list[Received] = []
        #: The messages taken, by the MessageID the SubmitRsp gave: what a cancel names.
        self.by_message_id: dict[str, Received] = {}
        #: Messages from handsets delivered to the farm, in order.
        self.mo_sent: list[MoResult] = []
        self.reports: list[ReportResult] = []
        # --- knobs a scenario turns; reset_knobs() puts them back --------------------
        self.pinned_targets: list[str] | None = None
        self.hold_reports = False
        #: States reported to the recipients of a message in turn (None: report_status).
        self.states_in_turn: list[str] | None = None
        #: Send each report, ignore the answer (as if lost), and send it again.
        self.resend_lost_answers = False
        self._withheld: list[tuple[Received, mm7.Address | None]] = []
        #: The last report built for each (MSGID2, recipient), to send the very same again.
        self.sent: dict[tuple[str, str], ReportResult] = {}
        self._built: dict[tuple[str, str], mm7.DeliveryReportReq] = {}
        # Reports no server accepted yet (all down, or answering a temporary fault).
        policy = RetryPolicy(
            self.config.report_retry_initial_ms,
            self.config.report_retry_max_ms,
            self.config.report_expiry_ms,
        )
        self.store: StoreAndForward[PendingReport] = StoreAndForward(
            self, policy, lambda held: self._one_round(held.item), f"{self.role} reports"
        )

    @property
    def submit_url(self) -> str:
        return self.endpoint.url("/mm7")

    def reset_knobs(self, report_status: str) -> None:
        """Back to how the run started: what a scenario turned is undone, and reports it
        held back are dropped (an MMSC never owes a report; the SUT is not told)."""
        self.pinned_targets = None
        self.hold_reports = False
        self.states_in_turn = None
        self.resend_lost_answers = False
        self.config.report_status = report_status
        self._withheld = []
        self.faults.reset()

    def _is_stray(self, message: mm7.MM7Message) -> bool:
        if self.scope is None:
            return False
        if isinstance(message, (mm7.CancelReq, mm7.ReplaceReq)):
            held = self.by_message_id.get(message.message_id)
            return held is None or held.scope != self.scope
        if not isinstance(message, mm7.SubmitReq):
            return False
        return tag_of(msgid1_in(message)) != self.scope

    async def _on_request(self, inbound: Inbound) -> Reply:
        req = inbound.message
        if not isinstance(req, (mm7.SubmitReq, mm7.CancelReq, mm7.ReplaceReq)):
            return fault_reply("rs", req.transaction_id, req.namespace, 4003)
        if self.config.credentials is not None:
            creds = inbound.credentials
            if creds != self.config.credentials:
                return fault_reply(
                    "rs", req.transaction_id, req.namespace, 4001, "authentication failed"
                )
        if isinstance(req, mm7.SubmitReq):
            return await self._on_submit(inbound, req)
        return self._on_change(req)

    def _on_change(self, req: mm7.CancelReq | mm7.ReplaceReq) -> Reply:
        """Cancel or replace a message still held here (its reports withheld)."""
        tid, ns = req.transaction_id, req.namespace
        got = self.by_message_id.get(req.message_id)
        if got is None or got.cancelled:
            return fault_reply("rs", tid, ns, 2005, f"no message {req.message_id!r} here")
        held = [(g, sender) for g, sender in self._withheld if g is got]
        if not held:
            # Reported already: the handset has it, nothing is left to cancel or replace.
            return fault_reply("rs", tid, ns, 2001, f"{req.message_id} was delivered already")
        if isinstance(req, mm7.CancelReq):
            got.cancelled = True
            self._withheld = [(g, sender) for g, sender in self._withheld if g is not got]
            self.events.emit("cancelled", message_id=req.message_id)
            return Reply(mm7.CancelRsp(transaction_id=tid, namespace=ns))
        if req.parts:
            # A ReplaceReq without content changes other things only: the content stays.
            got.content = content_of(req)
        got.replaced.append(got.content)
        self.events.emit("replaced", message_id=req.message_id)
        return Reply(mm7.ReplaceRsp(transaction_id=tid, namespace=ns))

    async def _on_submit(self, inbound: Inbound, req: mm7.SubmitReq) -> Reply:
        carrier = Msgid2Carrier.named(self.config.msgid2_carrier, "msgid2_carrier")
        msgid2 = carrier.read_submit(req)
        message_id = carrier.mmsc_message_id(msgid2, f"{self.name}{next(self._ids):09d}")
        recipients = tuple(a.value for a in req.recipients)
        msgid1 = msgid1_in(req)
        scope = tag_of(msgid1)
        got = Received(
            inbound.peer[0],
            msgid2,
            message_id,
            recipients,
            msgid1=msgid1,
            scope=scope,
            stray=self.scope is not None and scope != self.scope,
            subject=req.subject,
            priority=req.priority,
            content=content_of(req),
        )
        self.received.append(got)
        self.by_message_id[message_id] = got
        self.events.emit(
            "submit", from_host=got.from_host, msgid2=msgid2, recipients=len(recipients)
        )
        if got.stray:
            # Not this scenario's: delivered and reported as the protocol says, whatever
            # the running scenario asked of this MMSC.
            self.spawn(self._report_all(got, req.sender_address, plain=True))
        elif self.hold_reports:
            self._withheld.append((got, req.sender_address))
        else:
            self.spawn(self._report_all(got, req.sender_address))
        return Reply(
            mm7.SubmitRsp(
                transaction_id=req.transaction_id, namespace=req.namespace, message_id=message_id
            )
        )

    def _state_for(self, index: int, plain: bool) -> str:
        if not plain and self.states_in_turn:
            return self.states_in_turn[index % len(self.states_in_turn)]
        return self.config.report_status

    async def _report_all(
        self, got: Received, sender: mm7.Address | None, *, plain: bool = False
    ) -> None:
        if self.config.report_delay_ms:
            await asyncio.sleep(self.config.report_delay_ms / 1000)  # the configured delivery time
        await asyncio.gather(
            *(
                self.send_report(
                    got.msgid2,
                    r,
                    message_id=got.message_id,
                    sender=sender,
                    status=self._state_for(i, plain),
                    msgid1=got.msgid1,
                    scope=got.scope,
                    plain=plain,
                )
                for i, r in enumerate(got.recipients)
            )
        )

    def build_report(
        self,
        msgid2: str,
        recipient: str,
        *,
        message_id: str | None = None,
        sender: mm7.Address | None = None,
        status: str | None = None,
    ) -> mm7.DeliveryReportReq:
        carrier = Msgid2Carrier.named(self.config.msgid2_carrier, "msgid2_carrier")
        return mm7.DeliveryReportReq(
            transaction_id=f"{self.name}-DR{next(self._ids):09d}",
            namespace=self.config.namespace,
            recipient=mm7.Address(recipient),
            sender=sender or mm7.Address("mmsc", "ShortCode"),
            date=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            mm_status=status or self.config.report_status,
            **carrier.report_fields(msgid2, message_id or msgid2),
        )

    async def send_report(
        self,
        msgid2: str,
        recipient: str,
        *,
        message_id: str | None = None,
        sender: mm7.Address | None = None,
        status: str | None = None,
        target: str | None = None,
        msgid1: str | None = None,
        scope: str | None = None,
        plain: bool = False,
    ) -> ReportResult:
        """One DeliveryReportReq to a random farm server (or ``target``)."""
        report = self.build_report(
            msgid2, recipient, message_id=message_id, sender=sender, status=status
        )
        return await self._send(report, msgid2, msgid1, scope, target, plain)

    async def send_again(self, msgid2: str, recipient: str, target: str) -> ReportResult:
        """The very report sent before for (``msgid2``, ``recipient``), again, to ``target``."""
        first = self.sent[(msgid2, recipient)]
        report = self._built[(msgid2, recipient)]
        return await self._send(report, msgid2, first.msgid1, first.scope, target, plain=True)

    async def _send(
        self,
        report: mm7.DeliveryReportReq,
        msgid2: str,
        msgid1: str | None,
        scope: str | None,
        target: str | None,
        plain: bool,
    ) -> ReportResult:
        recipient = report.recipient.value
        self._built[(msgid2, recipient)] = report
        pending = PendingReport(report, [])
        if target is not None:
            # A scenario aiming at one server wants that server's answer, as it is.
            pending.tried.append(target)
            outcome = await self._post(target, pending)
        else:
            outcome = await self._deliver(pending, repeat=self.resend_lost_answers and not plain)
        result = ReportResult(
            pending.tried[-1],
            msgid2,
            recipient,
            outcome,
            pending.tried,
            pending.attempts,
            msgid1=msgid1,
            # A report the scenario itself sends (no MSGID1 behind it) is the scenario's;
            # one for a stray submission keeps the stray's scope, or none.
            scope=scope if (msgid1 is not None or plain) else self.scope,
            state=report.mm_status,
            transaction_id=report.transaction_id,
        )
        self.reports.append(result)
        self.sent[(msgid2, recipient)] = result
        self.events.emit(
            "report_sent", target=result.target, status=outcome.status, error=outcome.error
        )
        return result

    def _gate(self) -> asyncio.Semaphore:
        if self._slots is None:  # made on the loop that uses it
            self._slots = asyncio.Semaphore(max(1, self.config.max_connections))
        return self._slots

    async def _post(self, url: str, pending: PendingReport) -> Outcome:
        # The timeout counts from when the report is sent, not while it waits for a slot.
        async with self._gate():
            outcome = await self.client.post(url, pending.report)
        pending.attempts.append((url, outcome))
        pending.outcome = outcome
        return outcome

    def _pool(self) -> list[str]:
        pool = list(self.pinned_targets if self.pinned_targets is not None else self.report_targets)
        if not pool:
            raise RuntimeError(f"{self.role} has no gateway to send reports to")
        self.rng.shuffle(pool)
        return pool

    async def _deliver(self, pending: PendingReport, *, repeat: bool = False) -> Outcome:
        """One round over the farm now; if no server settled it, held and retried with backoff.

        Settled means accepted, or refused for good (2xxx, e.g. 2005). A server
        that took it and is asked again answers 1000 and delivers it once.
        ``repeat``: the first answer is lost; the same report goes to the same server again.
        """
        attempt, error = await self._one_round(pending, repeat=repeat)
        if attempt is Attempt.AGAIN:
            held = self.store.hold(pending, "farm", tried=error)
            await held.wait_settled()
        assert pending.outcome is not None  # a round posts at least once
        return pending.outcome

    async def _one_round(
        self, pending: PendingReport, *, repeat: bool = False
    ) -> tuple[Attempt, str | None]:
        """Random server first, then the others, until one settles the report."""
        for url in self._pool():
            pending.tried.append(url)
            if repeat:
                await self._post(url, pending)  # its answer is lost on the way back
            outcome = await self._post(url, pending)
            answer, why = judge_answer(
                outcome, mm7.DeliveryReportRsp, self.config.request_timeout_ms
            )
            if answer is Answer.ACCEPTED:
                return Attempt.DELIVERED, None
            if answer is Answer.REFUSED and outcome.refused:
                return Attempt.REFUSED, why
        assert pending.outcome is not None
        return Attempt.AGAIN, pending.outcome.error or f"MM7 status {pending.outcome.status}"

    # --- messages from handsets ------------------------------------------------------------
    def build_deliver(self, mo_id: str, sender: str, to: list[str], subject: str) -> mm7.DeliverReq:
        """A message from handset ``sender`` to ``to`` (an SP's short code, usually)."""
        return mm7.DeliverReq(
            transaction_id=f"{self.name}-MO{next(self._ids):09d}",
            namespace=self.config.namespace,
            sender=mm7.Address(sender),
            linked_id=f"{self.name}-L{mo_id}",
            to=tuple(mm7.Address(t, "ShortCode" if t.isdigit() else "Number") for t in to),
            timestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            priority="Normal",
            subject=subject_with(subject, mo_id),
            parts=(
                mm7.ContentPart(
                    "text-1", "text/plain; charset=utf-8", content_text(mo_id).encode()
                ),
            ),
        )

    async def deliver_mo(
        self, sender: str, to: list[str], *, subject: str = "mo", target: str | None = None
    ) -> MoResult:
        """One DeliverReq to a random farm server (or ``target``); on no answer, the next."""
        mo_id = make_msgid1("mo", self.scope or "", next(self._ids) % 1_000_000)
        req = self.build_deliver(mo_id, sender, to, subject)
        result = MoResult(
            mo_id, sender, tuple(to), req.subject or "", content_text(mo_id), self.scope
        )
        self.mo_sent.append(result)
        for url in [target] if target is not None else self._pool():
            result.tried.append(url)
            async with self._gate():
                result.outcome = await self.client.post(url, req)
            result.answer, result.why = judge_answer(
                result.outcome, mm7.DeliverRsp, self.config.request_timeout_ms
            )
            if result.answer in (Answer.ACCEPTED, Answer.REFUSED):
                break
        self.events.emit("mo_sent", mo_id=mo_id, answer=str(result.answer))
        return result

    async def release_reports(self) -> None:
        """Send the reports withheld while ``hold_reports`` was set."""
        self.hold_reports = False
        withheld, self._withheld = self._withheld, []
        await asyncio.gather(*(self._report_all(got, sender) for got, sender in withheld))
