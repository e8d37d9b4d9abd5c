"""The source MMSC's core, as the harness plays it: it hands the MM4 messages it
generated to the relay, and takes what the relay passes back for its own domain.

Handing over is SMTP to the relay's endpoint, ``connections`` at a time (the
core's own pool is not what is judged). Each hand-over is placed in
``mm4_ids.next_order()`` before its MAIL, so a scenario can tell what the relay
did before the first message came. The inbox (an SMTP server) takes the
MM4_forward.RES, delivery reports and read-reply reports the relay delivers
to the core, and answers a delivery report that asks for it with an
MM4_delivery_report.RES, through the relay.
"""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiosmtplib

from mmsconf.emulators import mm4_ids
from mmsconf.emulators.codecs import mm4
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.smtp import SmtpClient, SmtpResult, SmtpServer, SmtpSession

Address = tuple[str, int]


@dataclass
class OriginatorConfig:
    domain: str  # the source MMSC's MMS domain
    relay: Address  # the relay's SMTP endpoint
    connections: int = 8  # hand-overs in flight at once
    timeout_ms: int = 5000  # per SMTP command
    max_message: int = 10_000_000
    idle_timeout_ms: int = 60_000

    @property
    def system_address(self) -> str:
        return f"system-user@{self.domain}"


@dataclass
class Handed:
    """One message handed to the relay, and how the relay answered."""

    message: mm4.ForwardReq
    started: int  # mm4_ids order before its MAIL
    code: int | None = None
    answer: str = ""
    error: str | None = None
    finished: int | None = None

    @property
    def accepted(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


@dataclass
class Received:
    """Something the relay delivered to the core."""

    order: int
    message: mm4.Mm4Message
    peer: Address
    scope: str | None
    deviations: tuple[mm4.Deviation, ...] = ()


@dataclass
class Rejected:
    order: int
    reply: str
    raw: bytes = field(repr=False, default=b"")


class _Hooks:
    def __init__(self, core: Originator) -> None:
        self.core = core

    async def handle_RCPT(self, server, session, envelope, address: str, options: list) -> str:
        domain = address.rpartition("@")[2].lower()
        if domain != self.core.config.domain.lower():
            return f"550 5.1.2 {domain[:100]} is not this MMSC's domain"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        return self.core._take(envelope.original_content or b"", session.peer)

    async def handle_exception(self, error: Exception) -> str:
        self.core.events.emit("smtp_exception", error=repr(error)[:300])
        return "451 4.3.0 internal error, try again"


class Originator(Service):
    """``MMSC-A``: the source MMSC's core; its inbox listens at ``host:port``."""

    def __init__(
        self, trace: TraceRecorder, host: str, port: int, config: OriginatorConfig
    ) -> None:
        super().__init__("MMSC-A", host, port)
        self.trace = trace
        self.config = config
        self.codec = mm4.CodecConfig(mode=mm4.Mode.LENIENT, max_size=config.max_message)
        self.inbox = self.add_listener(
            SmtpServer(
                self,
                trace,
                _Hooks(self),
                protocol="MM4",
                hostname=f"core.{config.domain}",
                max_message=config.max_message,
                idle_timeout_ms=config.idle_timeout_ms,
                describe=mm4.describe,
                is_stray=self._is_stray,
            )
        )
        self.client = self.add_client(
            SmtpClient(
                self,
                trace,
                protocol="MM4",
                timeout_ms=config.timeout_ms,
                local_hostname=f"core.{config.domain}",
                describe=mm4.describe,
            )
        )
        self.scope: str | None = None
        self.handed: list[Handed] = []
        self.received: list[Received] = []
        self.rejected: list[Rejected] = []

    # --- handing messages to the relay ------------------------------------------------------
    async def hand(self, messages: Sequence[mm4.ForwardReq]) -> list[Handed]:
        """Hand every message to the relay, ``connections`` at a time, in order."""
        queue: asyncio.Queue[Handed] = asyncio.Queue()
        out = []
        for message in messages:
            handed = Handed(message, 0)
            out.append(handed)
            queue.put_nowait(handed)
        self.handed.extend(out)
        workers = min(self.config.connections, len(out)) or 1
        await asyncio.gather(*(self._worker(queue) for _ in range(workers)))
        return out

    async def _worker(self, queue: asyncio.Queue[Handed]) -> None:
        session: SmtpSession | None = None
        try:
            while not queue.empty():
                handed = queue.get_nowait()
                handed.started = mm4_ids.next_order()
                if session is None or session.closed or not session.smtp.is_connected:
                    session = await self._connect(handed)
                    if session is None:
                        continue
                result = await self._send(session, handed.message)
                handed.code, handed.answer, handed.error = result.code, result.message, result.error
                handed.finished = mm4_ids.next_order()
                if result.error and not result.code:
                    await session.close()
                    session = None
        finally:
            if session is not None:
                await session.close()

    async def _connect(self, handed: Handed) -> SmtpSession | None:
        try:
            session = await self.client.connect(*self.config.relay)
            await session.smtp.ehlo()
            return session
        except Exception as err:  # unreachable, refused greeting, timeout: said per message
            handed.error = f"unreachable: {type(err).__name__}: {err}"
            handed.finished = mm4_ids.next_order()
            return None

    async def _send(self, session: SmtpSession, message: mm4.Mm4Message) -> SmtpResult:
        result = SmtpResult(src=session.src)
        sender = str(message.sender) if getattr(message, "sender", None) else ""
        recipients = [str(a) for a in getattr(message, "recipients", getattr(message, "to", ()))]
        try:
            _refused, said = await session.smtp.sendmail(sender, recipients, mm4.encode(message))
            result.ok, result.code, result.message = True, 250, said
        except aiosmtplib.SMTPRecipientsRefused as err:
            first = err.recipients[0]
            result.error, result.code, result.message = "refused", first.code, first.message
        except aiosmtplib.SMTPResponseException as err:
            result.error, result.code, result.message = "refused", err.code, err.message
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as err:
            result.error = f"{type(err).__name__}: {err}"
        return result

    # --- what the relay passes back ---------------------------------------------------------
    def _is_stray(self, raw: bytes) -> bool:
        return self.scope is not None and self.scope.encode() not in raw

    def _take(self, raw: bytes, peer: Address) -> str:
        try:
            decoded = mm4.decode(raw, config=self.codec)
        except mm4.MM4Error as err:
            self.rejected.append(Rejected(mm4_ids.next_order(), err.smtp_reply, raw))
            self.events.emit("rejected", reply=err.smtp_reply)
            return err.smtp_reply
        message = decoded.message
        scope = mm4_ids.tag_of(message.message_id) or mm4_ids.tag_of(message.transaction_id)
        self.received.append(
            Received(mm4_ids.next_order(), message, peer, scope, decoded.deviations)
        )
        self.events.emit("received", type=message.message_type, message_id=message.message_id)
        if isinstance(message, mm4.DeliveryReportReq) and message.ack_request:
            self.spawn(self._acknowledge(message))
        return "250 2.0.0 OK"

    async def _acknowledge(self, report: mm4.DeliveryReportReq) -> None:
        """MM4_delivery_report.RES for a report that asked for one, through the relay."""
        if not report.originator_system:
            return
        res = mm4.DeliveryReportRes(
            report.transaction_id,
            report.message_id,
            status="Ok",
            sender=mm4.Address.parse(self.config.system_address),
            to=(mm4.Address.parse(report.originator_system),),
            date=email.utils.formatdate(localtime=False),
        )
        await self.client.send(
            *self.config.relay,
            self.config.system_address,
            [report.originator_system],
            mm4.encode(res),
        )
