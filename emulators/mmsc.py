"""An MMS centre on MM7: takes submissions, then returns a delivery report per recipient.

Each report goes to a server of the gateway farm picked at random (seeded),
as the source's "switch and router" would; if that server does not answer,
the MMSC tries the others in random order, as a load balancer with health
checks would. The report echoes the gateway's MSGID2 in the carrier the
``msgid2_carrier`` PIXIT names.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

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
from mmsconf.emulators.msgid import Msgid2Carrier
from mmsconf.emulators.retry import Attempt, RetryPolicy, StoreAndForward
from mmsconf.emulators.service import Service
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


@dataclass
class Received:
    """A SubmitReq as the MMSC saw it."""

    from_host: str
    msgid2: str
    message_id: str
    recipients: tuple[str, ...]


@dataclass
class PendingReport:
    """A report on its way to the farm: every server tried, and the last answer."""

    report: mm7.DeliveryReportReq
    tried: list[str]
    outcome: Outcome | None = None


@dataclass
class ReportResult:
    target: str
    msgid2: str
    recipient: str
    outcome: Outcome
    tried: list[str] = field(default_factory=list)


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
        self.endpoint = MM7Endpoint(self, trace, {"/mm7": ("rs", self._on_submit)}, codec)
        self.client = self.add_client(MM7Client(self, trace, codec))
        self.rng = random.Random(self.config.seed)
        self._ids = itertools.count(1)
        self.report_targets: list[str] = []
        self.pinned_targets: list[str] | None = None
        self.received: list[Received] = []
        self.reports: list[ReportResult] = []
        self.hold_reports = False
        self._withheld: list[tuple[Received, mm7.Address | None]] = []
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

    async def _on_submit(self, inbound: Inbound) -> Reply:
        req = inbound.message
        if not isinstance(req, mm7.SubmitReq):
            return fault_reply("rs", req.transaction_id, req.namespace, 4003)
        if self.config.credentials is not None:
            creds = inbound.credentials
            if creds != self.config.credentials:
                return fault_reply(
                    "rs", req.transaction_id, req.namespace, 4001, "authentication failed"
                )
        carrier = Msgid2Carrier.named(self.config.msgid2_carrier, "msgid2_carrier")
        msgid2 = carrier.read_submit(req)
        message_id = carrier.mmsc_message_id(msgid2, f"{self.name}{next(self._ids):09d}")
        recipients = tuple(a.value for a in req.recipients)
        got = Received(inbound.peer[0], msgid2, message_id, recipients)
        self.received.append(got)
        self.events.emit(
            "submit", from_host=got.from_host, msgid2=msgid2, recipients=len(recipients)
        )
        if self.hold_reports:
            self._withheld.append((got, req.sender_address))
        else:
            self.spawn(self._report_all(got, req.sender_address))
        return Reply(
            mm7.SubmitRsp(
                transaction_id=req.transaction_id, namespace=req.namespace, message_id=message_id
            )
        )

    async def _report_all(self, got: Received, sender: mm7.Address | None) -> None:
        if self.config.report_delay_ms:
            await asyncio.sleep(self.config.report_delay_ms / 1000)  # the configured delivery time
        await asyncio.gather(
            *(
                self.send_report(got.msgid2, r, message_id=got.message_id, sender=sender)
                for r in got.recipients
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
    ) -> ReportResult:
        """One DeliveryReportReq to a random farm server (or ``target``)."""
        report = self.build_report(
            msgid2, recipient, message_id=message_id, sender=sender, status=status
        )
        tried: list[str] = []
        if target is not None:
            # A scenario aiming at one server wants that server's answer, as it is.
            tried.append(target)
            outcome = await self.client.post(target, report)
        else:
            outcome = await self._deliver(PendingReport(report, tried))
        result = ReportResult(tried[-1], msgid2, recipient, outcome, tried)
        self.reports.append(result)
        self.events.emit(
            "report_sent", target=result.target, status=outcome.status, error=outcome.error
        )
        return result

    def _pool(self) -> list[str]:
        pool = list(self.pinned_targets if self.pinned_targets is not None else self.report_targets)
        if not pool:
            raise RuntimeError(f"{self.role} has no gateway to send reports to")
        self.rng.shuffle(pool)
        return pool

    async def _deliver(self, pending: PendingReport) -> Outcome:
        """One round over the farm now; if no server settled it, held and retried with backoff.

        Settled means accepted, or refused for good (2xxx, e.g. 2005). A server
        that took it and is asked again answers 1000 and delivers it once.
        """
        attempt, error = await self._one_round(pending)
        if attempt is Attempt.AGAIN:
            held = self.store.hold(pending, "farm", tried=error)
            await held.wait_settled()
        assert pending.outcome is not None  # a round posts at least once
        return pending.outcome

    async def _one_round(self, pending: PendingReport) -> tuple[Attempt, str | None]:
        """Random server first, then the others, until one settles the report."""
        for url in self._pool():
            pending.tried.append(url)
            outcome = pending.outcome = await self.client.post(url, pending.report)
            if outcome.ok:
                return Attempt.DELIVERED, None
            if outcome.refused:
                return Attempt.REFUSED, f"MM7 status {outcome.status}"
        assert pending.outcome is not None
        return Attempt.AGAIN, pending.outcome.error or f"MM7 status {pending.outcome.status}"

    async def release_reports(self) -> None:
        """Send the reports withheld while ``hold_reports`` was set."""
        self.hold_reports = False
        withheld, self._withheld = self._withheld, []
        await asyncio.gather(*(self._report_all(got, sender) for got, sender in withheld))
