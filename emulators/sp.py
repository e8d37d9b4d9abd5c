"""The service provider (VASP): submits over MM7 and tracks each message to a final state.

The SP chooses its own message id, MSGID1, and carries it in the element
the ``msgid1_carrier`` PIXIT names. It expects MSGID1 back as the
MessageID of its SubmitRsp and of every DeliveryReportReq. It spreads
submissions over the gateway addresses it was given the way the source's
"switch and router" does: randomly and evenly (a seeded shuffle per round).
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field

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
from mmsconf.emulators.msgid import Msgid1Carrier
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder

#: Delivery-report states after which nothing more is expected for a recipient.
FINAL_MM_STATUSES = frozenset(
    {"Retrieved", "Rejected", "Expired", "DeliveryConditionNotMet", "Indeterminate", "Unrecognised"}
)
#: Final state of a recipient whose submission the gateway refused.
SUBMIT_FAILED = "SubmitFailed"


def _is_final(state: str) -> bool:
    return state in FINAL_MM_STATUSES or state == SUBMIT_FAILED


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


@dataclass
class ReportSeen:
    """A DeliveryReportReq as the SP received it."""

    message_id: str
    recipient: str
    mm_status: str
    from_host: str


@dataclass
class Submission:
    msgid1: str
    recipients: tuple[str, ...]
    target: str
    outcome: Outcome | None = None


@dataclass
class Tracking:
    """Per (MSGID1, recipient): every state the SP was told, in order."""

    states: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, key: tuple[str, str], state: str) -> None:
        self.states[key].append(state)

    def is_final(self, key: tuple[str, str]) -> bool:
        return any(_is_final(s) for s in self.states.get(key, ()))

    def final(self) -> dict[tuple[str, str], str]:
        """The first final state of each key that has one."""
        out = {}
        for key, states in self.states.items():
            first = next((s for s in states if _is_final(s)), None)
            if first is not None:
                out[key] = first
        return out

    def duplicates(self) -> dict[tuple[str, str], int]:
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
        self.endpoint = MM7Endpoint(self, trace, {"/mm7/dr": ("vasp", self._on_report)}, codec)
        self.codec = codec
        self.client = self.add_client(MM7Client(self, trace, codec))
        self._other_clients: dict[str, MM7Client] = {}
        self.targets: list[str] = []
        self.rng = random.Random(self.config.seed)
        self._round: list[str] = []
        self._ids = itertools.count(1)
        self.submissions: list[Submission] = []
        self.reports: list[ReportSeen] = []
        self.tracking = Tracking()
        self.expected: set[tuple[str, str]] = set()
        # Expected pairs without a final state yet: kept as states arrive, so waiting
        # for "all final" costs nothing per event however many messages are tracked.
        self.pending: set[tuple[str, str]] = set()

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
            self._other_clients[host] = self.add_client(MM7Client(stand_in, self.trace, self.codec))
        return self._other_clients[host]

    # --- submitting -------------------------------------------------------
    def next_msgid1(self) -> str:
        return f"{self.config.vasp_id}-{self.config.seed:x}-{next(self._ids):06d}"

    def add_target(self, url: str) -> None:
        """One more gateway address; the next pick starts a new shuffled round."""
        self.targets.append(url)
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
    ) -> mm7.SubmitReq:
        return mm7.SubmitReq(
            namespace=self.config.namespace,
            vasp_id=vasp_id if vasp_id is not None else self.config.vasp_id,
            vas_id=self.config.vas_id,
            sender_address=mm7.Address(self.config.sender_address, "ShortCode"),
            to=tuple(mm7.Address(r) for r in recipients),
            delivery_report=True,
            priority="Normal",
            subject=subject,
            **self.config.msgid1_carrier.submit_fields(msgid1),
            parts=(mm7.ContentPart("text-1", "text/plain; charset=utf-8", subject.encode()),),
        )

    async def submit(
        self,
        recipients: list[str],
        *,
        subject: str = "mmsconf",
        target: str | None = None,
        credentials: Credentials | None = None,
        send_credentials: bool = True,
        vasp_id: str | None = None,
        msgid1: str | None = None,
        source_host: str | None = None,
    ) -> Submission:
        """One SubmitReq; the recipients' states are tracked under its MSGID1."""
        msgid1 = msgid1 or self.next_msgid1()
        target = target or self._pick_target()
        request = self.build_submit(msgid1, recipients, subject, vasp_id)
        submission = Submission(msgid1, tuple(recipients), target)
        self.submissions.append(submission)
        for r in recipients:
            self.expected.add((msgid1, r))
            if not self.tracking.is_final((msgid1, r)):
                self.pending.add((msgid1, r))
        creds = credentials or Credentials(self.config.username, self.config.password)
        client = self._client_from(source_host)
        outcome = await client.post(
            target, request, credentials=creds if send_credentials else None
        )
        submission.outcome = outcome
        self.events.emit("submitted", msgid1=msgid1, status=outcome.status, error=outcome.error)
        if not outcome.ok:
            for r in recipients:
                self.tracking.add((msgid1, r), SUBMIT_FAILED)
                self.pending.discard((msgid1, r))
        self.events.emit("state")
        return submission

    async def submit_group(
        self, recipients: list[str], *, subject: str = "group"
    ) -> list[Submission]:
        """A group message, cut into SubmitReqs of at most ``max_recipients_per_submit``."""
        size = max(1, self.config.max_recipients_per_submit)
        chunks = [recipients[i : i + size] for i in range(0, len(recipients), size)]
        return list(await asyncio.gather(*(self.submit(c, subject=subject) for c in chunks)))

    # --- receiving reports -------------------------------------------------
    async def _on_report(self, inbound: Inbound) -> Reply:
        msg = inbound.message
        if not isinstance(msg, mm7.DeliveryReportReq):
            return _vasp_fault(msg, 4003)
        seen = ReportSeen(
            message_id=msg.message_id,
            recipient=msg.recipient.value,
            mm_status=msg.mm_status,
            from_host=inbound.peer[0],
        )
        self.reports.append(seen)
        key = (msg.message_id, msg.recipient.value)
        self.tracking.add(key, msg.mm_status)
        if self.tracking.is_final(key):
            self.pending.discard(key)
        self.events.emit("report", message_id=msg.message_id, recipient=seen.recipient)
        self.events.emit("state")
        return Reply(
            mm7.DeliveryReportRsp(transaction_id=msg.transaction_id, namespace=msg.namespace)
        )

    # --- what steps read ------------------------------------------------------
    def final_states(self) -> dict[tuple[str, str], str]:
        return self.tracking.final()

    def all_final(self) -> bool:
        return not self.pending

    def unknown_reports(self) -> list[ReportSeen]:
        """Reports whose MessageID/recipient pair the SP never submitted."""
        return [r for r in self.reports if (r.message_id, r.recipient) not in self.expected]

    def reports_by_host(self) -> Counter[str]:
        return Counter(r.from_host for r in self.reports)


def _vasp_fault(msg: mm7.MM7Message, status: int) -> Reply:
    return fault_reply(
        "vasp", getattr(msg, "transaction_id", ""), getattr(msg, "namespace", ""), status
    )
