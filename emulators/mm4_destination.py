"""A destination MMSC on MM4: an SMTP server (aiosmtpd) that takes MM4 messages, counts
the connections its peers keep, and answers as 23.140 §8.4 says.

For each MM4_forward.REQ it accepts (250 after the message is decoded) it
sends an MM4_forward.RES, by a new SMTP message, to the request's
X-Mms-Originator-System when X-Mms-Ack-Request is Yes, and an
MM4_delivery_report.REQ to the originator when X-Mms-Delivery-Report is Yes.
A message that does not decode gets 554 5.6.0 naming the header at fault; a
recipient of a domain it does not serve gets 550 5.1.2. Where the answers go
(``return_routes``: domain -> host, port) is configuration, as an MMSC's peer
table is.

Knobs a scenario turns: ``faults.slow_ms`` (each command answered that much
later), ``pause``/``resume`` (every command waits until resumed),
``faults.status`` (MAIL answered with that code, e.g. 451: a temporary
failure), ``drop_next`` (the connection is cut at the end of the
next n DATA, before any answer: the message is not taken), the SMTP part's
``max_connections`` (421 past it), and ``go_down``/``come_up``. Connections are
counted where the relay cannot fudge them: here (open now, peak, total, and
each one's history), every event placed in ``mm4_ids.next_order()``.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from dataclasses import dataclass, field
from typing import Any

from mmsconf.emulators import mm4_ids
from mmsconf.emulators.codecs import mm4
from mmsconf.emulators.retry import Attempt, Held, RetryPolicy, StoreAndForward
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.smtp import SmtpClient, SmtpServer

Address = tuple[str, int]


@dataclass
class DestinationConfig:
    domains: tuple[str, ...]  # the MMS domains it serves (RCPT TO elsewhere: 550)
    #: domain -> (host, port) of the MMSC its .RES and delivery reports for that domain go to
    return_routes: dict[str, Address] = field(default_factory=dict)
    mode: mm4.Mode = mm4.Mode.STRICT
    max_message: int = 10_000_000
    idle_timeout_ms: int = 60_000
    max_connections: int = 1000
    send_timeout_ms: int = 5000
    report_status: str = "Retrieved"
    #: Retry of an answer (.RES, report) its peer did not take yet.
    answer_retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(50, 500, 15_000))

    @property
    def system_address(self) -> str:
        return f"system-user@{self.domains[0]}"


@dataclass
class Connection:
    """One SMTP connection a peer opened here, in the process-wide order of events."""

    number: int
    peer: Address
    opened: int
    closed: int | None = None
    messages: int = 0  # MM4 messages accepted on it

    @property
    def open(self) -> bool:
        return self.closed is None


@dataclass
class Arrival:
    """A message this MMSC took (answered 250)."""

    order: int
    message: mm4.Mm4Message
    connection: int
    peer: Address
    scope: str | None  # the scenario tag in its message id
    deviations: tuple[mm4.Deviation, ...] = ()
    at: float = field(default_factory=time.monotonic)

    @property
    def message_id(self) -> str:
        return self.message.message_id


@dataclass
class Refusal:
    """A DATA this MMSC answered 5xx (or cut), with why."""

    order: int
    reply: str
    connection: int
    scope: str | None
    message_id: str | None = None  # when it could be read at all


@dataclass
class Answer:
    """A .RES or report this MMSC sent back, and whether its peer took it."""

    message: mm4.Mm4Message
    target: Address
    held: Held[Any] | None = None


class _Hooks:
    """aiosmtpd's handler: every hook it finds on this object is one; nothing else here."""

    def __init__(self, mmsc: DestinationMmsc) -> None:
        self.mmsc = mmsc

    async def handle_EHLO(self, server, session, envelope, hostname: str, responses: list):
        await self.mmsc._slow()
        session.host_name = hostname
        return responses

    async def handle_NOOP(self, server, session, envelope, arg: str) -> str:
        await self.mmsc._slow()
        return "250 2.0.0 OK"

    async def handle_RSET(self, server, session, envelope) -> str:
        await self.mmsc._slow()
        return "250 2.0.0 OK"

    async def handle_MAIL(self, server, session, envelope, address: str, options: list) -> str:
        mmsc = self.mmsc
        await mmsc._slow()
        status = mmsc.faults.status
        if status is not None:
            klass = status // 100
            return f"{status} {klass}.3.0 MMSC {mmsc.name} answers {status} (fault knob)"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address: str, options: list) -> str:
        await self.mmsc._slow()
        domain = address.rpartition("@")[2].lower()
        if domain not in self.mmsc.domains:
            return f"550 5.1.2 {domain[:100]} is not a domain of MMSC {self.mmsc.name}"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        return await self.mmsc._data(server, session, envelope)

    async def handle_exception(self, error: Exception) -> str:
        # Never echo the exception: it may hold the peer's bytes.
        self.mmsc.events.emit("smtp_exception", error=repr(error)[:300])
        return "451 4.3.0 internal error, try again"


class DestinationMmsc(Service):
    """One destination MMSC, ``MMSC-<name>``, at its own loopback address."""

    def __init__(
        self, trace: TraceRecorder, name: str, host: str, port: int, config: DestinationConfig
    ) -> None:
        super().__init__(f"MMSC-{name}", host, port)
        self.name = name
        self.trace = trace
        self.config = config
        self.domains = {d.lower() for d in config.domains}
        self.codec = mm4.CodecConfig(mode=config.mode, max_size=config.max_message)
        self.smtp = self.add_listener(
            SmtpServer(
                self,
                trace,
                _Hooks(self),
                protocol="MM4",
                hostname=f"mmsc-{name.lower()}.{config.domains[0]}",
                max_message=config.max_message,
                idle_timeout_ms=config.idle_timeout_ms,
                max_connections=config.max_connections,
                describe=mm4.describe,
                on_connection=self._on_connection,
                is_stray=self._is_stray,
            )
        )
        self.client = self.add_client(
            SmtpClient(self, trace, protocol="MM4", timeout_ms=config.send_timeout_ms)
        )
        self.answers_store: StoreAndForward[Answer] = StoreAndForward(
            self, config.answer_retry, self._send_answer, f"{self.role} answers"
        )
        self.scope: str | None = None
        self.drop_next = 0
        self._open_gate: asyncio.Event | None = None  # set while paused
        self.connections: dict[int, Connection] = {}
        self._by_peer: dict[Address, int] = {}
        self.open_now = 0
        self.peak = 0
        self.refused = 0
        self.arrivals: list[Arrival] = []
        self.refusals: list[Refusal] = []
        self.responses: list[Arrival] = []  # .RES and reports it was sent (not arrivals)
        self.answers: list[Answer] = []

    # --- knobs ----------------------------------------------------------------------
    def reset_knobs(self) -> None:
        self.faults.reset()
        self.drop_next = 0
        self.resume()
        self.smtp.max_connections = self.config.max_connections

    def reset_peak(self) -> None:
        """The peak counts from now (a scenario's own peak)."""
        self.peak = self.open_now

    def pause(self) -> None:
        """Every command waits (unanswered) until ``resume``: a destination stalled."""
        self._open_gate = asyncio.Event()

    def resume(self) -> None:
        if self._open_gate is not None:
            self._open_gate.set()
            self._open_gate = None

    async def _slow(self) -> None:
        gate = self._open_gate
        if gate is not None:
            await gate.wait()
        if self.faults.slow_ms:
            # The fault knob whose purpose is the delay: the one allowed sleep.
            await asyncio.sleep(self.faults.slow_ms / 1000)

    # --- connections ----------------------------------------------------------------
    def _on_connection(self, what: str, peer: Address) -> None:
        if what == "refused":
            self.refused += 1
            self.events.emit("connection_refused", peer=peer, order=mm4_ids.next_order())
            return
        if what == "open":
            number = len(self.connections) + 1
            self.connections[number] = Connection(number, peer, mm4_ids.next_order())
            self._by_peer[peer] = number
            self.open_now += 1
            self.peak = max(self.peak, self.open_now)
            self.events.emit("connection_open", number=number, peer=peer)
            return
        number = self._by_peer.pop(peer, 0)
        connection = self.connections.get(number)
        if connection is not None:
            connection.closed = mm4_ids.next_order()
            self.open_now -= 1
            self.events.emit("connection_closed", number=number, peer=peer)

    def open_connections(self, from_host: str | None = None) -> list[Connection]:
        return [
            c
            for c in self.connections.values()
            if c.open and (from_host is None or c.peer[0] == from_host)
        ]

    # --- messages -------------------------------------------------------------------
    def _is_stray(self, raw: bytes) -> bool:
        return self.scope is not None and self.scope.encode() not in raw

    async def _data(self, server: Any, session: Any, envelope: Any) -> str:
        await self._slow()
        raw: bytes = envelope.original_content or b""
        connection = self._by_peer.get(session.peer, 0)
        try:
            decoded = mm4.decode(raw, config=self.codec)
        except mm4.MM4Error as err:
            found = mm4_ids.tag_of(raw[:4096].decode("ascii", "replace"))
            self.refusals.append(Refusal(mm4_ids.next_order(), err.smtp_reply, connection, found))
            self.events.emit("refused", reply=err.smtp_reply)
            return err.smtp_reply
        message = decoded.message
        if self.drop_next > 0:
            # Cut before any answer: by SMTP the message was not taken (RFC 5321 §4.1.1.4).
            self.drop_next -= 1
            self.refusals.append(
                Refusal(
                    mm4_ids.next_order(),
                    "(connection cut during DATA)",
                    connection,
                    mm4_ids.tag_of(message.message_id),
                    message.message_id,
                )
            )
            self.events.emit("dropped", message_id=message.message_id, connection=connection)
            server.transport.abort()
            return "451 4.4.2 connection cut (never sent)"
        arrival = Arrival(
            mm4_ids.next_order(),
            message,
            connection,
            session.peer,
            mm4_ids.tag_of(message.message_id),
            decoded.deviations,
        )
        if isinstance(message, mm4.ForwardReq):
            self.arrivals.append(arrival)
            if connection in self.connections:
                self.connections[connection].messages += 1
            self._answer(message)
            self.events.emit("arrival", message_id=message.message_id)
        else:
            self.responses.append(arrival)
            self.events.emit("response", message_id=message.message_id)
        return "250 2.0.0 OK"

    def _answer(self, request: mm4.ForwardReq) -> None:
        """The .RES when asked, and a delivery report per recipient when asked."""
        me = mm4.Address.parse(self.config.system_address)
        date = email.utils.formatdate(localtime=False)
        if request.ack_request and request.originator_system:
            to = mm4.Address.parse(request.originator_system)
            res = mm4.ForwardRes(
                request.transaction_id,
                request.message_id,
                status="Ok",
                sender=me,
                to=(to,),
                date=date,
            )
            self._queue(res, to.domain)
        if request.delivery_report and request.sender is not None:
            for i, recipient in enumerate(request.recipients, 1):
                if recipient.domain.lower() not in self.domains:
                    continue
                report = mm4.DeliveryReportReq(
                    f"DR-{request.transaction_id}-{i}",
                    request.message_id,
                    sender=recipient,
                    to=(request.sender,),
                    date=date,
                    mm_status=self.config.report_status,
                )
                self._queue(report, request.sender.domain)

    def _queue(self, message: mm4.Mm4Message, domain: str) -> None:
        target = self.config.return_routes.get(domain.lower())
        if target is None:
            self.events.emit("no_return_route", domain=domain, message_id=message.message_id)
            return
        answer = Answer(message, target)
        self.answers.append(answer)
        answer.held = self.answers_store.hold(answer, f"{target[0]}:{target[1]}")

    async def _send_answer(self, held: Held[Answer]) -> tuple[Attempt, str | None]:
        answer = held.item
        to = answer.message.to[0] if getattr(answer.message, "to", ()) else None
        result = await self.client.send(
            *answer.target,
            self.config.system_address,
            [str(to) if to is not None else self.config.system_address],
            mm4.encode(answer.message),
        )
        if result.ok:
            return Attempt.DELIVERED, None
        if result.code is not None and 500 <= result.code < 600:
            return Attempt.REFUSED, f"{result.code} {result.message}"
        return Attempt.AGAIN, result.error or f"{result.code} {result.message}"
