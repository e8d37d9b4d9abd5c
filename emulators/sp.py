"""The service provider (VASP): submits over MM7 and tracks each message to a final state.

The SP chooses its own message id, MSGID1, and carries it in the element
the ``msgid1_carrier`` PIXIT names. It expects MSGID1 back as the
MessageID of its SubmitRsp and of every DeliveryReportReq. It spreads
submissions over the gateway addresses it was given the way the source's
"switch and router" does: randomly and evenly (a seeded shuffle per round).

Every MSGID1 carries the running scenario's tag (``scope``) and is written
into the message's content and subject too (see ``scopes.py``), so a report
or a forwarded submission that arrives during a later scenario is told
apart, kept in the run-wide ledger under its own scenario and marked stray.

A submission counts as done only on an answer the SP understood: a SubmitRsp
(accepted) or a decoded MM7 refusal (the final state ``SubmitFailed``).
Anything else — no answer within ``request_timeout_ms`` (counted from when
the request is sent, not while it waits for one of ``max_connections``), a
closed connection, bytes that do not decode, an answer of the wrong kind —
leaves its recipients without a final state, and says why.

The SP also takes messages from handsets (DeliverReq, at the URL it takes
reports at: one VASP endpoint, as an SP is configured at a gateway) and
answers DeliverRsp 1000; and it cancels or replaces a message it submitted
(CancelReq / ReplaceReq naming MSGID1, the MessageID its SubmitRsp gave).
A cancelled recipient's final state is ``Cancelled``; a delivery report
for it afterwards breaks ``rr_cancel``.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import Credentials, Inbound, MM7Client, Outcome, Reply, fault_reply
from mmsconf.emulators.msgid import Msgid1Carrier
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
from mmsconf.emulators.trace import TraceRecorder

#: Delivery-report states after which nothing more is expected for a recipient.
FINAL_MM_STATUSES = frozenset(
    {"Retrieved", "Rejected", "Expired", "DeliveryConditionNotMet", "Indeterminate", "Unrecognised"}
)
#: Final state of a recipient whose submission the gateway refused (a decoded MM7 fault).
SUBMIT_FAILED = "SubmitFailed"
#: Final state of a recipient whose message the SP cancelled (a CancelRsp with success).
CANCELLED = "Cancelled"

Key = tuple[str, str]  # (MSGID1, recipient)


def _is_final(state: str) -> bool:
    return state in FINAL_MM_STATUSES or state in (SUBMIT_FAILED, CANCELLED)


@dataclass
class SpConfig:
    vasp_id: str = "sp001"
    vas_id: str = "svc001"
    username: str = "sp001"
    password: str = "sp-secret"
    sender_address: str = "10658000"  # short code
    namespace: str = mm7.DEFAULT_NAMESPACE
    msgid1_carrier: Msgid1Carrier = Msgid1Carrier.AUX_APPLIC_INFO
    max_recipients_per_submit: int = 10
    seed: int = 0
    #: How long the SP waits for each SubmitRsp, from when the request is sent.
    request_timeout_ms: int = 5000
    #: Submissions in flight at once (one connection each); the rest wait their turn.
    max_connections: int = 200


class Answer(StrEnum):
    """What became of one submission, as the SP understood it."""

    ACCEPTED = "accepted"  # a SubmitRsp with a success status
    REFUSED = "refused"  # a decoded MM7 refusal: the recipients end SubmitFailed
    ABANDONED = "abandoned"  # no answer the SP understood: never counted as done
    UNREACHABLE = "unreachable"  # nothing accepted the connection
    UNSENT = "unsent"  # not sent: an earlier submission of the batch was abandoned


def judge_answer(outcome: Outcome | None, expected: type, timeout_ms: int) -> tuple[Answer, str]:
    """Classify an MM7 exchange's outcome and say why, in words a verdict can quote.

    ``expected`` is the response type the request calls for (SubmitRsp,
    DeliveryReportRsp); a SOAP Fault with an MM7 status is a refusal.
    """
    if outcome is None:
        return Answer.UNSENT, "not sent"
    if outcome.message is None:
        error = outcome.error or "no answer"
        if outcome.unreachable:
            return Answer.UNREACHABLE, error
        if error.startswith("timeout"):
            return Answer.ABANDONED, f"no answer within {timeout_ms} ms"
        if error.startswith("disconnected"):
            return Answer.ABANDONED, f"the connection closed without an answer ({error})"
        return Answer.ABANDONED, f"HTTP {outcome.http_status} with a body that is not MM7 ({error})"
    message = outcome.message
    if isinstance(message, mm7.SoapFault) and message.status is not None:
        return Answer.REFUSED, f"MM7 status {message.status.code} {message.status.text or ''}"
    if not isinstance(message, expected):
        return Answer.ABANDONED, (
            f"an MM7 {type(message).__name__} where a {expected.__name__} belongs "
            f"({mm7.summary(message)})"
        )
    status = outcome.status
    if status is not None and status // 1000 == 1:
        return Answer.ACCEPTED, f"MM7 status {status}"
    return Answer.REFUSED, f"MM7 status {status}"


@dataclass
class ReportSeen:
    """A DeliveryReportReq as the SP received it, kept for the whole run."""

    message_id: str
    recipient: str
    mm_status: str
    from_host: str
    scope: str | None = None  # the scenario tag in its MSGID1; None: not one of this run's
    stray: bool = False  # arrived while another scenario ran (or cannot be attributed)
    at: float = 0.0  # time.monotonic() on arrival

    @property
    def key(self) -> Key:
        return (self.message_id, self.recipient)


@dataclass
class MoSeen:
    """A message from a handset (DeliverReq) as the SP received it, kept for the run."""

    mo_id: str | None  # as the MMSC wrote it into the content; None: not found
    sender: str
    recipients: tuple[str, ...]
    subject: str | None
    content: str
    linked_id: str | None
    from_host: str
    scope: str | None = None
    stray: bool = False
    at: float = 0.0


@dataclass
class Change:
    """A CancelReq or ReplaceReq the SP sent, and how it was answered."""

    kind: str  # "cancel" | "replace"
    msgid1: str
    target: str
    scope: str
    content: str = ""  # the replacement's text
    outcome: Outcome | None = None
    answer: Answer = Answer.UNSENT
    why: str = "not sent"


@dataclass
class Submission:
    msgid1: str
    recipients: tuple[str, ...]
    target: str
    outcome: Outcome | None = None
    scope: str = ""
    subject: str = ""
    priority: str | None = None
    content: str = ""
    answer: Answer = Answer.UNSENT
    why: str = "not sent"
    sent_at: float = 0.0  # time.monotonic() when the request left


@dataclass
class Tracking:
    """Per (MSGID1, recipient): every state the SP was told, in order."""

    states: dict[Key, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, key: Key, state: str) -> None:
        self.states[key].append(state)

    def is_final(self, key: Key) -> bool:
        return any(_is_final(s) for s in self.states.get(key, ()))

    def final(self) -> dict[Key, str]:
        """The first final state of each key that has one."""
        out = {}
        for key, states in self.states.items():
            first = next((s for s in states if _is_final(s)), None)
            if first is not None:
                out[key] = first
        return out

    def duplicates(self) -> dict[Key, int]:
        counts = {k: sum(1 for s in v if s in FINAL_MM_STATUSES) for k, v in self.states.items()}
        return {k: n for k, n in counts.items() if n > 1}


class ServiceProvider(Service):
    def __init__(
        self,
        trace: TraceRecorder,
        host: str,
        port: int = 0,
        config: SpConfig | None = None,
        role: str = "SP",
    ) -> None:
        super().__init__(role, host, port)
        self.config = config or SpConfig()
        # A plain string names a carrier too; an unknown one fails here, at start.
        self.config.msgid1_carrier = Msgid1Carrier.named(
            self.config.msgid1_carrier, "msgid1_carrier"
        )
        self.trace = trace
        codec = mm7.CodecConfig(namespace=self.config.namespace, mode=mm7.Mode.LENIENT)
        self.endpoint = ScopedEndpoint(
            self, trace, {"/mm7/dr": ("vasp", self._on_request)}, codec, self._is_stray
        )
        self.codec = codec
        self.client = self.add_client(self._new_client(self))
        self._other_clients: dict[str, MM7Client] = {}
        self._slots: asyncio.Semaphore | None = None
        self.targets: list[str] = []
        self.rng = random.Random(self.config.seed)
        self._round: list[str] = []
        self._ids = itertools.count(1)
        #: The running scenario's tag: it goes into every MSGID1 from now on.
        self.scope = f"{self.config.seed:x}"
        self.submissions: list[Submission] = []
        #: Every delivery report of the run, strays included: the exactly-once ledger.
        self.reports: list[ReportSeen] = []
        #: Every message from a handset of the run, strays too.
        self.delivered: list[MoSeen] = []
        self.changes: list[Change] = []
        self.tracking = Tracking()
        self.expected: set[Key] = set()
        # Expected pairs without a final state yet, per scenario: kept as states arrive,
        # so waiting for "all final" costs nothing per event however many are tracked.
        self.pending: dict[str, set[Key]] = defaultdict(set)
        #: Keys that may get no delivery report at all (their submission was refused, or
        #: the scenario requires the report dead-lettered), with the clause a report breaks.
        self.forbidden: dict[Key, str] = {}

    def _new_client(self, service: Service) -> MM7Client:
        return MM7Client(
            service,
            self.trace,
            self.codec,
            timeout_ms=self.config.request_timeout_ms,
            limit=self.config.max_connections,
        )

    @property
    def report_url(self) -> str:
        return self.endpoint.url("/mm7/dr")

    def _client_from(self, host: str | None) -> MM7Client:
        """A client bound to another local address: a source the gateway does not expect."""
        if host is None or host == self.host:
            return self.client
        if host not in self._other_clients:
            stand_in = Service(f"{self.role}@{host}", host)
            # Owned by the SP all the same: closed when the SP stops.
            self._other_clients[host] = self.add_client(self._new_client(stand_in))
        return self._other_clients[host]

    # --- submitting -------------------------------------------------------
    def next_msgid1(self) -> str:
        return make_msgid1(self.config.vasp_id, self.scope, next(self._ids))

    def add_target(self, url: str) -> None:
        """One more gateway address; the next pick starts a new shuffled round."""
        self.targets.append(url)
        self._round = []

    def remove_target(self, url: str) -> None:
        self.targets = [t for t in self.targets if t != url]
        self._round = []

    def _pick_target(self) -> str:
        if not self.targets:
            raise RuntimeError("the SP has no gateway address to submit to")
        if not self._round:
            self._round = list(self.targets)
            self.rng.shuffle(self._round)
        return self._round.pop()

    def build_submit(
        self,
        msgid1: str,
        recipients: list[str],
        subject: str = "mmsconf",
        vasp_id: str | None = None,
        priority: str = "Normal",
    ) -> mm7.SubmitReq:
        return mm7.SubmitReq(
            namespace=self.config.namespace,
            vasp_id=vasp_id if vasp_id is not None else self.config.vasp_id,
            vas_id=self.config.vas_id,
            sender_address=mm7.Address(self.config.sender_address, "ShortCode"),
            to=tuple(mm7.Address(r) for r in recipients),
            delivery_report=True,
            priority=priority,
            subject=subject_with(subject, msgid1),
            **self.config.msgid1_carrier.submit_fields(msgid1),
            parts=(
                mm7.ContentPart(
                    "text-1", "text/plain; charset=utf-8", content_text(msgid1).encode()
                ),
            ),
        )

    def _gate(self) -> asyncio.Semaphore:
        if self._slots is None:  # made on the loop that uses it
            self._slots = asyncio.Semaphore(max(1, self.config.max_connections))
        return self._slots

    async def submit(
        self,
        recipients: list[str],
        *,
        subject: str = "mmsconf",
        priority: str = "Normal",
        target: str | None = None,
        credentials: Credentials | None = None,
        send_credentials: bool = True,
        vasp_id: str | None = None,
        msgid1: str | None = None,
        source_host: str | None = None,
        give_up: asyncio.Event | None = None,
    ) -> Submission:
        """One SubmitReq; the recipients' states are tracked under its MSGID1.

        ``give_up``: set by a batch once one of its submissions was abandoned; a
        submission still waiting for a connection then is not sent at all.
        """
        msgid1 = msgid1 or self.next_msgid1()
        target = target or self._pick_target()
        request = self.build_submit(msgid1, recipients, subject, vasp_id, priority)
        submission = Submission(
            msgid1,
            tuple(recipients),
            target,
            scope=self.scope,
            subject=request.subject or "",
            priority=priority,
            content=content_text(msgid1),
        )
        self.submissions.append(submission)
        creds = credentials or Credentials(self.config.username, self.config.password)
        client = self._client_from(source_host)
        async with self._gate():
            if give_up is not None and give_up.is_set():
                self.events.emit("state")
                return submission
            for r in recipients:
                self.expected.add((msgid1, r))
                if not self.tracking.is_final((msgid1, r)):
                    self.pending[submission.scope].add((msgid1, r))
            submission.sent_at = time.monotonic()
            outcome = await client.post(
                target, request, credentials=creds if send_credentials else None
            )
        submission.outcome = outcome
        submission.answer, submission.why = judge_answer(
            outcome, mm7.SubmitRsp, self.config.request_timeout_ms
        )
        self.events.emit("submitted", msgid1=msgid1, status=outcome.status, error=outcome.error)
        if submission.answer is Answer.REFUSED:
            for r in recipients:
                key = (msgid1, r)
                self.tracking.add(key, SUBMIT_FAILED)
                self.pending[submission.scope].discard(key)
                # The flow ended with the refusal: a report for it would break rr_auth.
                self.forbidden.setdefault(key, "rr_auth")
        elif submission.answer is not Answer.ACCEPTED and give_up is not None:
            give_up.set()
        self.events.emit("state")
        return submission

    async def submit_batch(
        self, groups: Sequence[list[str]], *, subject: str = "mmsconf"
    ) -> list[Submission]:
        """One submission per recipient list, all at once (``max_connections`` in flight).

        Once one is abandoned (no answer the SP understood) the ones still waiting for a
        connection are not sent: the verdict is known, and a silent SUT would otherwise
        cost a full timeout per connection round.
        """
        give_up = asyncio.Event()
        return list(
            await asyncio.gather(
                *(self.submit(g, subject=subject, give_up=give_up) for g in groups)
            )
        )

    async def submit_group(
        self, recipients: list[str], *, subject: str = "group"
    ) -> list[Submission]:
        """A group message, cut into SubmitReqs of at most ``max_recipients_per_submit``."""
        size = max(1, self.config.max_recipients_per_submit)
        chunks = [recipients[i : i + size] for i in range(0, len(recipients), size)]
        return await self.submit_batch(chunks, subject=subject)

    # --- cancelling and replacing ----------------------------------------------
    def build_change(
        self, kind: str, msgid1: str, content: str = ""
    ) -> mm7.CancelReq | mm7.ReplaceReq:
        """A CancelReq or ReplaceReq for the message the SP submitted as ``msgid1``."""
        common = {
            "transaction_id": f"{kind[0].upper()}-{msgid1}-{next(self._ids)}",
            "namespace": self.config.namespace,
            "message_id": msgid1,
            "vasp_id": self.config.vasp_id,
            "vas_id": self.config.vas_id,
            "sender_address": mm7.Address(self.config.sender_address, "ShortCode"),
        }
        if kind == "cancel":
            return mm7.CancelReq(**common)
        part = mm7.ContentPart("text-1", "text/plain; charset=utf-8", content.encode())
        return mm7.ReplaceReq(**common, parts=(part,))

    async def change(
        self, kind: str, msgid1: str, *, content: str = "", target: str | None = None
    ) -> Change:
        """Cancel or replace (``kind``) the message ``msgid1`` through any server of the farm.

        A replacement's text should name MSGID1 (``content_text``) so the MMSC can still
        tell which scenario the message belongs to.
        """
        target = target or self._pick_target()
        change = Change(kind, msgid1, target, self.scope, content)
        self.changes.append(change)
        request = self.build_change(kind, msgid1, content)
        creds = Credentials(self.config.username, self.config.password)
        async with self._gate():
            change.outcome = await self.client.post(target, request, credentials=creds)
        expected = mm7.CancelRsp if kind == "cancel" else mm7.ReplaceRsp
        change.answer, change.why = judge_answer(
            change.outcome, expected, self.config.request_timeout_ms
        )
        if kind == "cancel" and change.answer is Answer.ACCEPTED:
            for sub in self.submissions:
                if sub.msgid1 != msgid1:
                    continue
                for r in sub.recipients:
                    key = (msgid1, r)
                    self.tracking.add(key, CANCELLED)
                    self.pending[sub.scope].discard(key)
                    # Cancelled before delivery: a report saying otherwise breaks rr_cancel.
                    self.forbidden.setdefault(key, "rr_cancel")
        self.events.emit("changed", operation=kind, msgid1=msgid1, answer=str(change.answer))
        self.events.emit("state")
        return change

    # --- receiving reports and messages from handsets ------------------------------
    def _is_stray(self, message: mm7.MM7Message) -> bool:
        if isinstance(message, mm7.DeliverReq):
            return tag_of(msgid1_in(message)) != self.scope
        if not isinstance(message, mm7.DeliveryReportReq):
            return False
        return tag_of(message.message_id) != self.scope

    async def _on_request(self, inbound: Inbound) -> Reply:
        if isinstance(inbound.message, mm7.DeliverReq):
            return self._on_deliver(inbound, inbound.message)
        return await self._on_report(inbound)

    def _on_deliver(self, inbound: Inbound, msg: mm7.DeliverReq) -> Reply:
        mo_id = msgid1_in(msg)
        scope = tag_of(mo_id)
        self.delivered.append(
            MoSeen(
                mo_id=mo_id,
                sender=msg.sender.value,
                recipients=tuple(a.value for a in msg.recipients),
                subject=msg.subject,
                content=content_of(msg),
                linked_id=msg.linked_id,
                from_host=inbound.peer[0],
                scope=scope,
                stray=scope != self.scope,
                at=time.monotonic(),
            )
        )
        self.events.emit("deliver", mo_id=mo_id)
        # Taken whoever it is for: a refused message would be delivered again and again.
        return Reply(mm7.DeliverRsp(transaction_id=msg.transaction_id, namespace=msg.namespace))

    async def _on_report(self, inbound: Inbound) -> Reply:
        msg = inbound.message
        if not isinstance(msg, mm7.DeliveryReportReq):
            return _vasp_fault(msg, 4003)
        scope = tag_of(msg.message_id)
        seen = ReportSeen(
            message_id=msg.message_id,
            recipient=msg.recipient.value,
            mm_status=msg.mm_status,
            from_host=inbound.peer[0],
            scope=scope,
            stray=scope != self.scope,
            at=time.monotonic(),
        )
        # Every report goes into the run's ledger, strays too: exactly-once holds to the
        # end of the run, and a late duplicate is judged against its own scenario.
        self.reports.append(seen)
        key = seen.key
        self.tracking.add(key, msg.mm_status)
        if self.tracking.is_final(key) and scope is not None:
            self.pending[scope].discard(key)
        self.events.emit("report", message_id=msg.message_id, recipient=seen.recipient)
        self.events.emit("state")
        # A report is acknowledged whoever it belongs to: the protocol's answer to a
        # well-formed report is a receipt, and a refused one would be retried for ever.
        return Reply(
            mm7.DeliveryReportRsp(transaction_id=msg.transaction_id, namespace=msg.namespace)
        )

    # --- what steps read ------------------------------------------------------
    def final_states(self) -> dict[Key, str]:
        return self.tracking.final()

    def all_final(self, scope: str | None = None) -> bool:
        return not self.pending.get(self.scope if scope is None else scope)

    def expected_in(self, scope: str) -> set[Key]:
        return {k for s in self.submissions_in(scope) for k in _keys(s) if k in self.expected}

    def submissions_in(self, scope: str) -> list[Submission]:
        return [s for s in self.submissions if s.scope == scope]

    def reports_in(self, scope: str) -> list[ReportSeen]:
        return [r for r in self.reports if r.scope == scope]

    def unattributable(self, since: float) -> list[ReportSeen]:
        """Reports since ``since`` whose MessageID is no MSGID1 the SP could have made."""
        return [r for r in self.reports if r.scope is None and r.at >= since]

    def unknown_reports(self) -> list[ReportSeen]:
        """Reports whose MessageID/recipient pair the SP never submitted."""
        return [r for r in self.reports if r.key not in self.expected]

    def reports_by_host(self) -> Counter[str]:
        return Counter(r.from_host for r in self.reports)


def _keys(submission: Submission) -> list[Key]:
    return [(submission.msgid1, r) for r in submission.recipients]


def _vasp_fault(msg: mm7.MM7Message, status: int) -> Reply:
    return fault_reply(
        "vasp", getattr(msg, "transaction_id", ""), getattr(msg, "namespace", ""), status
    )
