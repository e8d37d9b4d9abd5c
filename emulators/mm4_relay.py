"""The source MMSC's MM4 relay (the reference): one message pool and one pre-established
SMTP sub-pool per destination MMSC.

One SMTP endpoint takes MM4 both ways, as an MMSC's MX does: the MMSC core
hands it the MM4 messages it generated (recipients in peer domains), and
peers send it what is addressed to its own domain (MM4_forward.RES, delivery
and read-reply reports), which it passes to the core. Every recipient's
domain is routed (``mm4_routing``: MX, static table as fallback); the message
goes into that destination's message pool (a ``StoreAndForward`` of its own)
and leaves over that destination's ``SubPool``. A temporary failure, a lost
connection, a destination that is down: the message stays in its pool and is
retried with backoff, at once when the destination comes back. After the
expiry it is dead-lettered and the originator gets a failure delivery report.
A .RES or report from a peer is correlated with what was sent (transaction
and message id) before it goes to the core.

Nothing accepted is lost: per destination and in total, ``accepted ==
delivered + queued + dead_lettered`` at any moment (``counters``).

The structure is a set of small hooks (``store_for``, ``make_pool``,
``connection_for``, ``after_send``, ``outcome``, ``take``) so that the prior-art baseline and the
test-only broken relays each override one.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field
from typing import Any

from mmsconf.emulators import mm4_ids
from mmsconf.emulators.codecs import mm4
from mmsconf.emulators.mm4_routing import Address, Route, Router
from mmsconf.emulators.mm4_subpool import Connection, PoolLimits, SubPool, transact
from mmsconf.emulators.retry import Attempt, Counters, Held, RetryPolicy, StoreAndForward
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.smtp import SmtpClient, SmtpServer

#: The destination name of the relay's own domain: messages for the MMSC core.
CORE = "core"


@dataclass
class RelayConfig:
    domain: str  # its own MMS domain
    core: Address  # where messages for its own domain go (the MMSC core's MM4 intake)
    static_routes: dict[str, Address]  # peer domain -> its MMSC's MM4 endpoint
    peers: tuple[str, ...]  # the peer domains it keeps sub-pools for from the start
    limits: PoolLimits
    retry: RetryPolicy
    smtp_port: int = 25  # where an MX host's MM4 endpoint listens
    command_timeout_ms: int = 5000
    failure_status: str = "Expired"  # the MM-Status-Code of a failure report after the expiry
    max_message: int = 10_000_000
    idle_timeout_ms: int = 60_000
    max_inbound_connections: int = 500

    @property
    def system_address(self) -> str:
        return f"system-user@{self.domain}"


@dataclass
class Item:
    """One message for one destination: the bytes as taken, and its envelope."""

    raw: bytes
    sender: str  # MAIL FROM
    recipients: tuple[str, ...]
    message: mm4.Mm4Message
    destination: str
    taken: int  # mm4_ids order when the relay took it


@dataclass
class Sent:
    """A forward the relay delivered, and the .RES that came back for it."""

    destination: str
    order: int
    connection: int
    res: mm4.Mm4Message | None = None


@dataclass
class RelayCounters:
    """Per destination and in total; ``balanced`` when nothing accepted is unaccounted for."""

    per_destination: dict[str, Counters]
    correlated: int  # .RES and reports from peers matched to something sent
    uncorrelated: int
    refused_inbound: int  # messages it answered 5xx (not accepted)
    total: Counters = field(init=False)

    def __post_init__(self) -> None:
        values = list(self.per_destination.values())
        self.total = Counters(
            sum(c.accepted for c in values),
            sum(c.delivered for c in values),
            sum(c.held for c in values),
            sum(c.dead_lettered for c in values),
        )

    @property
    def balanced(self) -> bool:
        return self.total.balanced and all(c.balanced for c in self.per_destination.values())

    def as_dict(self) -> dict[str, Any]:
        def one(c: Counters) -> dict[str, int]:
            return {
                "accepted": c.accepted,
                "delivered": c.delivered,
                "queued": c.held,
                "dead_lettered": c.dead_lettered,
            }

        return {
            "destinations": {name: one(c) for name, c in self.per_destination.items()},
            "total": one(self.total),
            "correlated": self.correlated,
            "uncorrelated": self.uncorrelated,
            "refused_inbound": self.refused_inbound,
        }


class _Hooks:
    """aiosmtpd's handler for the relay's one SMTP endpoint."""

    def __init__(self, relay: MM4Relay) -> None:
        self.relay = relay

    async def handle_RCPT(self, server, session, envelope, address: str, options: list) -> str:
        domain = address.rpartition("@")[2]
        route = await self.relay.route(domain)
        if route is None:
            return f"550 5.1.2 no MM4 route to {domain[:100]}"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        relay = self.relay
        return await relay.take(envelope.mail_from, envelope.rcpt_tos, envelope.original_content)

    async def handle_exception(self, error: Exception) -> str:
        self.relay.events.emit("smtp_exception", error=repr(error)[:300])
        return "451 4.3.0 internal error, try again"


class MM4Relay(Service):
    """The source MMSC's relay, ``RELAY``: its SMTP endpoint at ``host:port``."""

    codec = mm4.CodecConfig(mode=mm4.Mode.LENIENT)

    def __init__(
        self,
        trace: TraceRecorder,
        host: str,
        port: int,
        config: RelayConfig,
        *,
        router: Router | None = None,
        role: str = "RELAY",
    ) -> None:
        super().__init__(role, host, port)
        self.trace = trace
        self.config = config
        self.router = router or Router(
            config.static_routes, smtp_port=config.smtp_port, local={config.domain: config.core}
        )
        self.smtp = self.add_listener(
            SmtpServer(
                self,
                trace,
                _Hooks(self),
                protocol="MM4",
                hostname=f"relay.{config.domain}",
                max_message=config.max_message,
                idle_timeout_ms=config.idle_timeout_ms,
                max_connections=config.max_inbound_connections,
                describe=mm4.describe,
            )
        )
        self.client = self.add_client(
            SmtpClient(
                self,
                trace,
                protocol="MM4",
                timeout_ms=config.command_timeout_ms,
                local_hostname=f"relay.{config.domain}",
                describe=mm4.describe,
            )
        )
        self.pools: dict[str, SubPool] = {}
        self.stores: dict[str, StoreAndForward[Item]] = {}
        self.sent: dict[tuple[str, str], Sent] = {}  # (transaction id, message id) -> Sent
        self._sent_by_message_id: dict[str, Sent] = {}
        self.correlated = 0
        self.uncorrelated = 0
        self.refused_inbound = 0

    # --- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        await super().start()
        for domain in (self.config.domain, *self.config.peers):
            await self.route(domain)  # each destination's pools, ready from the start

    async def stop(self) -> None:
        for pool in self.pools.values():
            await pool.close()
        await super().stop()

    # --- routing and pools --------------------------------------------------------------
    async def route(self, domain: str) -> Route | None:
        route = await self.router.route(domain)
        if route is None:
            return None
        name = CORE if route.via == "local" else route.destination
        if name not in self.pools:
            self.stores[name] = self.store_for(name)
            self.pools[name] = self.make_pool(name, route.address)
            self.pools[name].start()
        return Route(name, route.address, route.via)

    def make_pool(self, name: str, address: Address) -> SubPool:
        """The sub-pool of one destination (hook: a baseline or mutant brings its own).
        When the destination comes back, its message pool is retried at once."""
        return SubPool(
            self, self.client, name, address, self.config.limits, on_up=self.stores[name].kick
        )

    def store_for(self, name: str) -> StoreAndForward[Item]:
        """The message pool of one destination (hook: a global queue is one for all)."""
        return StoreAndForward(
            self, self.config.retry, self._deliver, f"pool {name}", on_dead_letter=self._expired
        )

    # --- taking messages in ---------------------------------------------------------------
    async def take(self, mail_from: str | None, rcpt_tos: list[str], raw: bytes | None) -> str:
        """DATA: decode, correlate what answers us, hold one copy per destination."""
        raw = raw or b""
        try:
            message = mm4.decode(raw, config=self.codec).message
        except mm4.MM4Error as err:
            self.refused_inbound += 1
            return err.smtp_reply
        groups: dict[str, list[str]] = {}
        for rcpt in rcpt_tos:
            route = await self.route(rcpt.rpartition("@")[2])
            if route is None:  # a route that vanished since RCPT: not taken at all
                self.refused_inbound += 1
                return f"451 4.4.0 no MM4 route to {rcpt.rpartition('@')[2][:100]} now"
            groups.setdefault(route.destination, []).append(rcpt)
        if CORE in groups:
            self.correlate(message)
        taken = mm4_ids.next_order()
        for name, rcpts in groups.items():
            item = Item(raw, mail_from or "", tuple(rcpts), message, name, taken)
            self.stores[name].hold(item, name)
        self.events.emit("taken", message_id=message.message_id, destinations=list(groups))
        return "250 2.0.0 OK queued"

    def correlate(self, message: mm4.Mm4Message) -> None:
        """A .RES or report from a peer: is it about something this relay sent?"""
        if message.message_type == mm4.FORWARD_REQ:
            return
        sent = self.sent.get((message.transaction_id, message.message_id))
        if sent is None and message.is_request:
            # A report carries its own transaction id; the message id names the forward.
            sent = self._sent_by_message_id.get(message.message_id)
        if sent is None:
            self.uncorrelated += 1
            self.events.emit("uncorrelated", message_id=message.message_id)
            return
        self.correlated += 1
        if isinstance(message, mm4.ForwardRes):
            sent.res = message
        self.events.emit("correlated", message_id=message.message_id)

    # --- sending ---------------------------------------------------------------------------
    async def _deliver(self, held: Held[Item]) -> tuple[Attempt, str | None]:
        item = held.item
        remaining = self.config.retry.expiry_ms / 1000 - (time.monotonic() - held.accepted_at)
        if remaining <= 0:
            return Attempt.AGAIN, "expired waiting for a connection"
        connection = await self.connection_for(item.destination, remaining)
        if connection is None:
            return Attempt.AGAIN, f"no connection to {item.destination}"
        attempt, error, healthy, refused = await transact(
            connection, item.sender, item.recipients, item.raw
        )
        await self.after_send(item.destination, connection, healthy)
        attempt = self.outcome(attempt, healthy)
        if attempt is Attempt.DELIVERED:
            key = (item.message.transaction_id, item.message.message_id)
            if key not in self.sent:
                sent = Sent(item.destination, mm4_ids.next_order(), connection.number)
                self.sent[key] = self._sent_by_message_id[key[1]] = sent
            if refused:
                self.events.emit("recipients_refused", refused=refused)
        return attempt, error

    def outcome(self, attempt: Attempt, healthy: bool) -> Attempt:
        """What an attempt means for the message (hook): a connection lost mid-way is
        AGAIN, retried on another connection of the sub-pool."""
        return attempt

    async def connection_for(self, destination: str, timeout_s: float) -> Connection | None:
        """A connection of the destination's sub-pool (hook)."""
        return await self.pools[destination].acquire(timeout_s)

    async def after_send(self, destination: str, connection: Connection, healthy: bool) -> None:
        """The connection goes back to its sub-pool (hook)."""
        await self.pools[destination].release(connection, healthy=healthy)

    def _expired(self, held: Held[Item], why: str) -> None:
        """A dead letter: the originator of a forward gets a failure delivery report."""
        item = held.item
        message = item.message
        if not isinstance(message, mm4.ForwardReq) or message.sender is None:
            return
        if item.destination == CORE:
            return  # the core itself is unreachable: counted, nothing to report to
        date = email.utils.formatdate(localtime=False)
        for i, rcpt in enumerate(item.recipients, 1):
            try:
                recipient = mm4.Address.parse(rcpt)
            except mm4.MM4Error:
                continue
            report = mm4.DeliveryReportReq(
                f"DR-{message.transaction_id}-{i}",
                message.message_id,
                sender=recipient,
                to=(message.sender,),
                date=date,
                # A destination that refused it for good rejected it; else it expired.
                mm_status="Rejected" if why.startswith("refused") else self.config.failure_status,
                status_text=f"not delivered by the relay: {why}"[:200],
            )
            copy = Item(
                mm4.encode(report),
                self.config.system_address,
                (str(message.sender),),
                report,
                CORE,
                mm4_ids.next_order(),
            )
            self.stores[CORE].hold(copy, CORE)

    # --- what it can tell ------------------------------------------------------------------
    def counters(self) -> RelayCounters:
        """Per message pool: named after its destination, or after itself when several
        destinations share it (a store shared counts once)."""
        users: dict[int, list[str]] = {}
        stores: dict[int, StoreAndForward[Item]] = {}
        for name, store in self.stores.items():
            users.setdefault(id(store), []).append(name)
            stores[id(store)] = store
        per = {
            (names[0] if len(names) == 1 else stores[key].name): stores[key].counters
            for key, names in users.items()
        }
        return RelayCounters(per, self.correlated, self.uncorrelated, self.refused_inbound)

    def pool_sizes(self) -> dict[str, dict[str, int]]:
        return {
            name: {
                "open": pool.size,
                "idle": pool.idle,
                "waiting": pool.waiting,
                "opened": pool.counters.opened,
                "peak": pool.counters.peak,
            }
            for name, pool in self.pools.items()
        }
