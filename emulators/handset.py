"""The handset: a SIP user agent and a WDP listener, and the bearer-side count of pushes.

Its SIP UA registers with the push gateway (the registrar) with the OMA push
feature tag, ``+g.oma.pusheventapp="mms.ua"``, in its Contact, answers
OPTIONS, and answers a pushed MESSAGE with 200 when its push application is
registered (else 480). Its WDP listener takes connectionless WAP push on UDP
port 2948 of its own address (a PIXIT); WDP is never answered.

Pushes over SMS reach it through the harness's SMS centre (sms_centre.py),
which the network routes by number: ``take_sms`` takes one whole SMS (all
its parts), a WSP push PDU when its UDH addresses port 2948.

Every SIP MESSAGE, every WDP datagram and every SMS that reaches the handset
is an attempt, received or refused: the knobs ``offline`` (nothing is answered on
either bearer: the radio is off), ``sip_down`` and ``udp_down`` make it refuse
one bearer, but the datagram is still recorded, so the count of attempts per
push is the bearer side's, never the gateway's claim. A SIP retransmission
of a MESSAGE is the same attempt (counted as a copy). Each attempt is
attributed to a push by the reference its content carries (push_refs.py);
another scenario's push is answered as the protocol says and marked stray.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mmsconf.emulators import push_content
from mmsconf.emulators.codecs import sip
from mmsconf.emulators.push_refs import (
    SIP,
    SMS,
    UDP,
    WDP_PUSH_PORT,
    Ledger,
    PushRef,
    find_ref,
)
from mmsconf.emulators.service import Service
from mmsconf.emulators.sip_ua import Inbound, Reply, SipEndpoint, Transaction
from mmsconf.emulators.sms_centre import SmsDelivery
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.udp import Datagram, UdpHandled, UdpServer

Address = tuple[str, int]


@dataclass
class HandsetConfig:
    sip_port: int = 5060
    wdp_port: int = WDP_PUSH_PORT
    domain: str = "mmsconf.example"  # the registrar's domain: AORs are sip:<number>@<domain>
    expires_s: int = 3600
    t1_ms: int = 500
    timeout_ms: int = 4000
    mode: sip.Mode = sip.Mode.LENIENT
    seed: int = 0


@dataclass
class Attempt:
    """One push that reached the handset on one bearer."""

    bearer: str  # SIP, UDP or SMS
    order: int
    at: float
    peer: Address
    accepted: bool
    why: str  # what the handset did, in words
    ref: PushRef | None  # the push it carries (None: none could be read)
    stray: bool
    decoded: bool  # the content (and for UDP the WSP push PDU) decoded
    content: str  # what the content was, in words
    status: int | None = None  # the SIP answer given (None for WDP, or no answer)
    copies: int = 0  # SIP retransmissions of it
    deviations: tuple[str, ...] = ()
    call_id: str = ""


@dataclass
class Knobs:
    offline: bool = False
    sip_down: bool = False
    udp_down: bool = False

    def reset(self) -> None:
        self.offline = self.sip_down = self.udp_down = False


class Handset(Service):
    def __init__(
        self,
        trace: TraceRecorder,
        host: str,
        number: str,
        config: HandsetConfig | None = None,
        *,
        ledger: Callable[[], int] | None = None,
        role: str | None = None,
    ) -> None:
        super().__init__(role or f"handset-{host.rsplit('.', 1)[-1]}", host, 0)
        self.trace = trace
        self.config = config or HandsetConfig()
        self.ledger = ledger or Ledger()
        self.number = number
        self.knobs = Knobs()
        #: The push application is registered (REGISTER with the feature tag succeeded).
        self.push_app = False
        self.registered_with: Address | None = None
        self.scope = ""
        self.attempts: list[Attempt] = []
        self._by_call: dict[tuple[str, str], Attempt] = {}
        self.sip = SipEndpoint(
            self,
            trace,
            self._on_request,
            port=self.config.sip_port,
            mode=self.config.mode,
            t1_ms=self.config.t1_ms,
            timeout_ms=self.config.timeout_ms,
            seed=self.config.seed,
        )
        self.wdp = self.add_listener(
            UdpServer(self, trace, "WSP", self._on_datagram, port=self.config.wdp_port)
        )
        self._cseq = 0
        self._reg_call_id = ""

    # --- identity ------------------------------------------------------------------------
    @property
    def aor(self) -> str:
        return f"sip:{self.number}@{self.config.domain}"

    @property
    def contact_uri(self) -> str:
        return f"sip:{self.number}@{self.host}:{self.sip.port}"

    def contact(self, feature_tag: bool, expires: int) -> str:
        tag = f';{sip.PUSH_FEATURE_TAG}="{sip.MMS_PUSH_APP}"' if feature_tag else ""
        return f"<{self.contact_uri}>{tag};expires={expires}"

    @property
    def wdp_address(self) -> Address:
        return self.wdp.address

    @property
    def sip_address(self) -> Address:
        return self.sip.address

    def attempts_in(self, scope: str) -> list[Attempt]:
        return [a for a in self.attempts if not a.stray and (a.ref is None or a.ref.tag == scope)]

    # --- registration ----------------------------------------------------------------------
    async def register(
        self, registrar: Address, *, feature_tag: bool = True, expires: int | None = None
    ) -> Transaction:
        """REGISTER this handset's AOR at ``registrar`` (Expires 0: remove the binding)."""
        expires = self.config.expires_s if expires is None else expires
        if not self._reg_call_id:
            self._reg_call_id = self.sip.call_id()
        self._cseq += 1
        request = sip.SipRequest(
            "REGISTER",
            f"sip:{self.config.domain}",
            (
                ("Via", self.sip.via()),
                ("Max-Forwards", "70"),
                ("From", f"<{self.aor}>;tag={self.sip.tag()}"),
                ("To", f"<{self.aor}>"),
                ("Call-ID", self._reg_call_id),
                ("CSeq", f"{self._cseq} REGISTER"),
                ("Contact", self.contact(feature_tag, expires)),
                ("Expires", str(expires)),
                ("User-Agent", "mmsconf-handset"),
            ),
        )
        what = "" if expires else " (remove)"
        tag = " with the push feature tag" if feature_tag and expires else ""
        t = await self.sip.request(registrar, request, f"REGISTER {self.aor}{tag}{what}")
        ok = t.response is not None and 200 <= t.response.status < 300
        if ok:
            self.push_app = bool(feature_tag and expires)
            self.registered_with = registrar if expires else None
        self.events.emit("registered", ok=ok, status=t.status, expires=expires)
        return t

    async def unregister(self) -> Transaction | None:
        if self.registered_with is None:
            self.push_app = False
            return None
        t = await self.register(self.registered_with, feature_tag=False, expires=0)
        self.push_app = False
        self.registered_with = None
        return t

    def become(self, number: str, scope: str) -> None:
        """Take the identity a scenario gives it (a number carrying the scenario's block)."""
        self.number = number
        self.scope = scope
        self._reg_call_id = ""

    # --- SIP ----------------------------------------------------------------------------
    async def _on_request(self, inbound: Inbound) -> Reply:
        req = inbound.request
        if self.knobs.offline or self.knobs.sip_down:
            if req.method == "MESSAGE":
                self._attempt_sip(inbound, None, "offline" if self.knobs.offline else "SIP down")
            why = "offline" if self.knobs.offline else "SIP down"
            return Reply(None, f"{req.summary} (not answered: {why})")
        if req.method == "OPTIONS":
            return Reply(
                sip.response_to(
                    req,
                    200,
                    to_tag=self.sip.tag(),
                    headers=(
                        ("Allow", "MESSAGE, OPTIONS"),
                        ("Accept", "application/vnd.wap.mms-message, application/vnd.wap.sic"),
                        ("Contact", self.contact(True, self.config.expires_s)),
                    ),
                )
            )
        if req.method != "MESSAGE":
            return Reply(
                sip.response_to(
                    req, 405, to_tag=self.sip.tag(), headers=(("Allow", "MESSAGE, OPTIONS"),)
                )
            )
        user = sip.uri_user(req.uri)
        if user not in (self.number, ""):
            attempt = self._attempt_sip(inbound, 404, f"404: not this handset ({user})", stray=True)
            return Reply(
                sip.response_to(req, 404, to_tag=self.sip.tag()), _said(attempt), stray=True
            )
        if not self.push_app:
            attempt = self._attempt_sip(inbound, 480, "480: no push application registered")
            return Reply(
                sip.response_to(req, 480, to_tag=self.sip.tag()), _said(attempt), attempt.stray
            )
        attempt = self._attempt_sip(inbound, 200, "200: pushed content taken")
        return Reply(
            sip.response_to(req, 200, to_tag=self.sip.tag()), _said(attempt), attempt.stray
        )

    def _attempt_sip(
        self, inbound: Inbound, status: int | None, why: str, *, stray: bool = False
    ) -> Attempt:
        req = inbound.request
        seen = push_content.inspect(req.header("Content-Type") or "", req.body)
        ref = seen.ref
        stray = stray or (ref is not None and ref.tag != self.scope)
        attempt = Attempt(
            bearer=SIP,
            order=self.ledger(),
            at=inbound.received_at,
            peer=inbound.peer,
            accepted=status == 200,
            why=why if status is not None else f"{why}: not answered",
            ref=ref,
            stray=stray,
            decoded=seen.ok,
            content=seen.detail,
            status=status,
            deviations=tuple(d.code for d in inbound.deviations),
            call_id=req.call_id,
        )
        self.attempts.append(attempt)
        self.events.emit("attempt", attempt=attempt)
        return attempt

    # --- WDP ----------------------------------------------------------------------------
    async def _on_datagram(self, datagram: Datagram) -> UdpHandled:
        refused = "offline" if self.knobs.offline else "UDP down" if self.knobs.udp_down else ""
        seen = push_content.inspect_wdp(datagram.data)
        ref = seen.ref
        stray = ref is not None and ref.tag != self.scope
        attempt = Attempt(
            bearer=UDP,
            order=self.ledger(),
            at=datagram.received_at,
            peer=datagram.peer,
            accepted=not refused and seen.ok,
            why=f"not taken: {refused}" if refused else "taken" if seen.ok else "did not decode",
            ref=ref,
            stray=stray,
            decoded=seen.ok,
            content=seen.detail,
            deviations=seen.deviations,
        )
        self.attempts.append(attempt)
        self.events.emit("attempt", attempt=attempt)
        return UdpHandled(
            f"WAP push: {seen.detail}" + (f" ({attempt.why})" if refused else ""), stray=stray
        )

    # --- SMS ----------------------------------------------------------------------------
    def take_sms(self, delivery: SmsDelivery) -> Attempt:
        """One whole SMS for this handset's number: an attempt on the SMS bearer."""
        refused = "offline" if self.knobs.offline else ""
        port = delivery.ports[0] if delivery.ports is not None else None
        if port == self.config.wdp_port or port == WDP_PUSH_PORT:
            seen = push_content.inspect_wdp(delivery.payload)
        else:
            where = f"port {port}" if port is not None else "no port addressing"
            seen = push_content.Seen(
                False,
                f"an SMS of {len(delivery.payload)} octets to {where}, not WAP push (2948)",
                find_ref(delivery.payload),
            )
        ref = seen.ref
        stray = ref is not None and ref.tag != self.scope
        parts = f", {delivery.parts} parts" if delivery.parts > 1 else ""
        attempt = Attempt(
            bearer=SMS,
            order=self.ledger(),
            at=delivery.received_at,
            peer=delivery.peer,
            accepted=not refused and seen.ok,
            why=(f"not taken: {refused}" if refused else "taken" if seen.ok else "did not decode")
            + parts,
            ref=ref,
            stray=stray,
            decoded=seen.ok,
            content=seen.detail,
            deviations=seen.deviations + delivery.deviations,
        )
        self.attempts.append(attempt)
        self.events.emit("attempt", attempt=attempt)
        return attempt


def _said(attempt: Attempt) -> str:
    return f"MESSAGE: {attempt.content}"
