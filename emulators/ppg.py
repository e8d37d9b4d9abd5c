"""The push gateway (PPG with a SIP push sender): the reference of the bearer-choice SUT.

It takes PAP over HTTP (``/wappush``) and answers each push-message at once
with a push-response: 1001, accepted for processing (HTTP 202, as Kannel
does), or 2000 (badmessage-response) for what is not well formed, 2002 for an
address that is none, 2007 for a push id still pending. Then, per push:

1. ``client_info``: it asks the client-information server (presence,
   ``GET <presence_url>/<client>``, a PIDF document) before anything is sent;
2. ``select_bearer``: SIP push if the client is registered for SIP push (its
   SIP tuple open with the push feature tag, and this gateway's registrar
   holding its contact); else WAP push over WDP/UDP if its UDP tuple is open;
   else undeliverable, without any attempt. The PI's preferred bearer only
   breaks a tie; a *required* bearer the client cannot take is 3010;
3. ``send``: once, on that bearer: a SIP MESSAGE (retransmitted over UDP
   inside its one transaction) or one WSP push PDU to <ip>:2948 from port 9200;
4. ``notify``: a resultnotification-message to ``ppg-notify-requested-to``
   saying delivered or undeliverable, the bearer used in its
   quality-of-service, and in ``desc`` why.

When the presence server cannot be asked (down, an error, no answer in
``presence_timeout_ms``), the documented fallback (``fallback``) decides:
``registrar`` (the default) pushes over SIP if its registrar holds a binding
with the push feature tag, else over WDP/UDP to the address it knows (the
binding's contact host, or an IPv4 PAP address), else undeliverable;
``wap-push`` pushes over WDP/UDP if an address is known; ``none`` reports
undeliverable. The result notification's desc then starts with "fallback:".

It is also the SIP registrar its clients register with (sip_registrar.py).
The prior art (baselines/fixed_bearer.py) and the test-only mutants override
one hook each.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from mmsconf.emulators import push_content
from mmsconf.emulators.codecs import pap, pidf, si, sip, wsp_push
from mmsconf.emulators.push_refs import SIP, UDP, WDP_PUSH_PORT, WSP_SERVER_PORT
from mmsconf.emulators.service import Service
from mmsconf.emulators.sip_registrar import Registrar
from mmsconf.emulators.sip_ua import Inbound, Reply, SipEndpoint
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.http_client import HttpClient
from mmsconf.emulators.transports.http_server import HttpAnswer, HttpRequest, HttpServer
from mmsconf.emulators.transports.udp import Datagram, UdpHandled, UdpServer

log = logging.getLogger(__name__)

Address = tuple[str, int]
#: PAP bearer names that are WDP over IP: a preference for any of them is one for UDP.
IP_BEARERS = frozenset({"GPRS", "Packet Data", "CSD", "CDPD"})
#: The PAP bearer names a push may require here (any other required bearer is 3010 at once).
SERVED_BEARERS = IP_BEARERS | {"SIP", "Any", None}
#: The code a result notification of an undeliverable push carries (no PAP code says
#: "the client is offline"; 4000 is the service failing to deliver).
UNDELIVERABLE = pap.SERVICE_FAILURE
MAX_FRAGMENT = 400


class Fallback(StrEnum):
    """What the gateway does when the client-information server cannot be asked."""

    REGISTRAR = "registrar"
    WAP_PUSH = "wap-push"
    NONE = "none"


@dataclass
class PpgConfig:
    pap_path: str = "/wappush"
    pap_mode: pap.Mode = pap.Mode.LENIENT
    http_status: int = 202
    pap_version: str = "2.1"
    sip_port: int = 5060
    wsp_port: int = WSP_SERVER_PORT
    client_wdp_port: int = WDP_PUSH_PORT
    client_sip_port: int = 5060  # where a client's UA listens when no contact says otherwise
    domain: str = "mmsconf.example"
    presence_url: str = ""
    presence_timeout_ms: int = 1000
    notify_timeout_ms: int = 2000
    sip_t1_ms: int = 500
    sip_timeout_ms: int = 4000
    fallback: Fallback = Fallback.REGISTRAR
    sender_name: str = "mmsconf PPG"
    seed: int = 0


@dataclass
class ClientInfo:
    """What the gateway knows of a client when it chooses."""

    source: str  # "presence" or "fallback: <why the server could not be asked>"
    online: bool = True
    sip_push: bool = False
    sip_contact: str | None = None
    wap_push: bool = False
    wdp_address: Address | None = None

    @property
    def fallback(self) -> bool:
        return self.source.startswith("fallback")


@dataclass
class Decision:
    bearer: str | None  # SIP, UDP, or None: no attempt
    why: str
    target: Address | None = None
    uri: str | None = None  # the SIP Request-URI
    code: int = pap.OK  # the result code when there is no attempt


@dataclass
class Outcome:
    state: str  # a PAP message-state
    code: int
    desc: str
    bearer: str | None = None


@dataclass
class Push:
    """One accepted push, from the PAP request to the result notification."""

    message: pap.PushMessage
    address: pap.ClientAddress
    content: pap.ContentEntity
    received: dt.datetime
    peer: Address
    info: ClientInfo | None = None
    decision: Decision | None = None
    outcome: Outcome | None = None

    @property
    def push_id(self) -> str:
        return self.message.push_id

    @property
    def preferred(self) -> str | None:
        """The bearer the PI prefers, as SIP or UDP (None: none, or one this gateway lacks)."""
        qos = self.message.qos
        if qos is None or qos.preferred_bearer is None:
            return None
        if qos.bearer == "SIP":
            return SIP
        return UDP if qos.bearer in IP_BEARERS else None

    @property
    def required(self) -> bool:
        return bool(self.message.qos and self.message.qos.bearer_required)


class PushGateway(Service):
    def __init__(
        self,
        trace: TraceRecorder,
        host: str,
        port: int = 0,
        config: PpgConfig | None = None,
        *,
        role: str = "PPG",
        directory: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__(role, host, port)
        self.trace = trace
        self.config = config or PpgConfig()
        #: The operator's provisioning: a client's IP address by number (the prior art's).
        self.directory = directory or (lambda _client: None)
        self.http = self.add_listener(HttpServer(self, trace))
        self.http.mount(self.config.pap_path, self._on_pap, protocol="PAP", faults=True)
        self.sip = SipEndpoint(
            self,
            trace,
            self._on_sip,
            port=self.config.sip_port,
            t1_ms=self.config.sip_t1_ms,
            timeout_ms=self.config.sip_timeout_ms,
            seed=self.config.seed,
        )
        self.wsp = self.add_listener(
            UdpServer(self, trace, "WSP", self._on_wsp, port=self.config.wsp_port)
        )
        self.client = self.add_client(
            HttpClient(
                self,
                trace,
                timeout_ms=max(self.config.presence_timeout_ms, self.config.notify_timeout_ms),
            )
        )
        self.registrar = Registrar(self.config.domain)
        self.pushes: OrderedDict[str, Push] = OrderedDict()
        self._tid = itertools.count(0)

    @property
    def pap_url(self) -> str:
        return self.http.url(self.config.pap_path)

    # --- PAP --------------------------------------------------------------------------
    def _now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)

    def _answer(self, message: pap.PapMessage, summary: str) -> HttpAnswer:
        body = pap.encode(message, version=self.config.pap_version)
        return HttpAnswer(
            self.config.http_status,
            [("Content-Type", "application/xml")],
            body,
            summary=summary,
        )

    def _bad(self, err: pap.PapError, fragment: bytes, what: str) -> HttpAnswer:
        text = fragment[:MAX_FRAGMENT].decode("utf-8", "replace")
        bad = pap.BadMessageResponse(err.code, f"{err.field}: {err.reason}"[:200], _printable(text))
        return self._answer(bad, f"badmessage-response {err.code} ({what})")

    def _response(self, push_id: str, code: int, desc: str | None = None) -> HttpAnswer:
        response = pap.PushResponse(
            push_id,
            pap.ResponseResult(code, desc or pap.RESULT_CODES.get(code)),
            sender_address=self.pap_url,
            sender_name=self.config.sender_name,
            reply_time=self._now(),
        )
        return self._answer(response, f"push-response {code} for {push_id}")

    async def _on_pap(self, request: HttpRequest) -> HttpAnswer:
        ctype = request.headers.get("Content-Type", "")
        try:
            parsed = pap.split_request(ctype, request.body, self.config.pap_mode)
        except pap.PapError as err:
            request.record(f"PAP that does not read ({err.field})")
            return self._bad(err, request.body, err.reason[:80])
        message = parsed.message
        if isinstance(message, pap.StatusQueryMessage):
            request.record(f"statusquery-message {message.push_id}")
            return self._status(message)
        if isinstance(message, pap.CancelMessage):
            request.record(f"cancel-message {message.push_id}")
            return self._cancel(message)
        if not isinstance(message, pap.PushMessage):
            err = pap.PapError("pap", f"{type(message).__name__} is not a request a PPG takes")
            request.record("PAP that is no request")
            return self._bad(err, request.body, "not a request")
        request.record(f"push-message {message.push_id}")
        if len(message.addresses) != 1:
            return self._response(message.push_id, 3005, "Multiple addresses not supported")
        try:
            address = pap.parse_address(message.addresses[0], lambda *_a: None)
        except pap.PapError as err:
            return self._response(message.push_id, err.code, err.reason[:200])
        known = self.pushes.get(message.push_id)
        if known is not None and known.outcome is None:
            return self._response(message.push_id, pap.DUPLICATE_PUSH_ID)
        assert parsed.content is not None
        try:
            push_content.for_the_air(parsed.content)
        except si.SiError as err:
            return self._response(message.push_id, pap.TRANSFORMATION_FAILURE, str(err)[:200])
        qos = message.qos
        if qos is not None and qos.bearer_required and not self.serves(qos.bearer):
            # Known at once: no client state can make a bearer this gateway lacks usable.
            return self._response(
                message.push_id,
                pap.REQUIRED_BEARER_NOT_AVAILABLE,
                f"the required bearer {qos.bearer} is not one this gateway serves",
            )
        push = Push(message, address, parsed.content, self._now(), request.peer)
        self.pushes[message.push_id] = push
        self.pushes.move_to_end(message.push_id)
        while len(self.pushes) > 10_000:
            self.pushes.popitem(last=False)
        self.events.emit("push", push=push)
        self.spawn(self._process(push))
        return self._response(message.push_id, pap.ACCEPTED)

    def serves(self, bearer: str | None) -> bool:
        """Whether a push may require ``bearer`` here (SIP, WDP over IP, or any)."""
        return bearer in SERVED_BEARERS

    def _status(self, message: pap.StatusQueryMessage) -> HttpAnswer:
        push = self.pushes.get(message.push_id)
        if push is None:
            result = pap.StatusQueryResult("unknown", pap.PUSH_ID_NOT_FOUND)
        elif push.outcome is None:
            result = pap.StatusQueryResult(
                "pending", pap.ACCEPTED, address=push.message.addresses[0]
            )
        else:
            o = push.outcome
            result = pap.StatusQueryResult(
                o.state, o.code, o.desc[:200], address=push.message.addresses[0]
            )
        reply = pap.StatusQueryResponse(message.push_id, (result,))
        return self._answer(reply, f"statusquery-response {result.message_state}")

    def _cancel(self, message: pap.CancelMessage) -> HttpAnswer:
        push = self.pushes.get(message.push_id)
        code = pap.PUSH_ID_NOT_FOUND if push is None else pap.CANCELLATION_NOT_POSSIBLE
        reply = pap.CancelResponse(message.push_id, (pap.CancelResult(code),))
        return self._answer(reply, f"cancel-response {code}")

    # --- one push ---------------------------------------------------------------------
    async def _process(self, push: Push) -> None:
        try:
            push.info = await self.client_info(push)
            push.decision = self.select_bearer(push, push.info)
            push.outcome = await self.send(push, push.decision)
        except Exception as err:  # a bug here still ends the push with a notification
            log.exception("%s: push %s failed", self.role, push.push_id)
            push.outcome = Outcome("undeliverable", pap.INTERNAL_SERVER_ERROR, f"internal: {err}")
        self.events.emit("outcome", push=push)
        await self.notify(push, push.outcome)

    async def client_info(self, push: Push) -> ClientInfo:
        """Ask the client-information server; the fallback's view when it cannot be asked."""
        base = self.config.presence_url
        if not base:
            return self.fallback_info(push, "no client-information server configured")
        url = f"{base.rstrip('/')}/{quote(push.address.client, safe='+')}"
        result = await self.client.get(
            url,
            headers={"Accept": pidf.MEDIA_TYPE},
            summary=f"GET presence of {push.address.client}",
        )
        if result.error is not None:
            return self.fallback_info(push, f"presence server: {result.error}")
        if result.status != 200:
            return self.fallback_info(push, f"presence server answered HTTP {result.status}")
        try:
            presence = pidf.decode(result.body, pidf.Mode.LENIENT).presence
        except pidf.PidfError as err:
            return self.fallback_info(push, f"presence document did not read: {err}")
        return read_presence(presence)

    def fallback_info(self, push: Push, why: str) -> ClientInfo:
        """The documented fallback: what this gateway knows without the server."""
        info = ClientInfo(source=f"fallback: {why}")
        mode = self.config.fallback
        if mode is Fallback.NONE:
            info.online = False
            return info
        binding = self._binding(push)
        host = push.address.client if push.address.type == "IPv4" else None
        if binding is not None:
            host = sip.uri_hostport(binding.contact)[0]
            if binding.push and mode is Fallback.REGISTRAR:
                info.sip_push, info.sip_contact = True, binding.contact
        if host is not None:
            info.wap_push, info.wdp_address = True, (host, self.config.client_wdp_port)
        info.online = info.sip_push or info.wap_push
        return info

    def _binding(self, push: Push):
        if push.address.type == "IPv4":
            return self.registrar.binding_at(push.address.client)
        return self.registrar.binding_for_number(push.address.client)

    def select_bearer(self, push: Push, info: ClientInfo) -> Decision:
        """SIP push if registered for it, else WAP push over UDP, else no attempt."""
        if not info.online:
            return Decision(None, "the client is offline", code=UNDELIVERABLE)
        usable: dict[str, Decision] = {}
        binding = self._binding(push)
        if info.sip_push:
            contact = binding.contact if binding is not None and binding.push else info.sip_contact
            if contact is not None:
                usable[SIP] = Decision(
                    SIP, "registered for SIP push", sip.uri_hostport(contact), contact
                )
        if info.wap_push and info.wdp_address is not None:
            usable[UDP] = Decision(UDP, "takes WAP push over WDP/UDP", info.wdp_address)
        preferred = push.preferred
        if push.required:
            if preferred is not None and preferred in usable:
                return usable[preferred]
            return Decision(
                None,
                f"the required bearer {push.message.qos.bearer} cannot reach the client",
                code=pap.REQUIRED_BEARER_NOT_AVAILABLE,
            )
        if preferred in usable:
            return usable[preferred]
        for bearer in (SIP, UDP):
            if bearer in usable:
                return usable[bearer]
        return Decision(None, "no bearer can reach the client now", code=UNDELIVERABLE)

    async def send(self, push: Push, decision: Decision) -> Outcome:
        """One attempt on the chosen bearer (none without one)."""
        info = push.info
        prefix = ""
        if info is not None and info.fallback:
            prefix = f"fallback ({info.source.removeprefix('fallback: ')}): "
        if decision.bearer is None:
            return Outcome(
                "undeliverable",
                decision.code,
                f"{prefix}undeliverable: {decision.why}; no delivery attempt",
            )
        if decision.bearer == SIP:
            status, why = await self.push_sip(push, decision)
            if status is not None and 200 <= status < 300:
                return Outcome("delivered", pap.OK, f"{prefix}delivered by SIP push", SIP)
            return Outcome("undeliverable", UNDELIVERABLE, f"{prefix}SIP push failed: {why}", SIP)
        why = self.push_wdp(push, decision)
        if why:
            return Outcome("undeliverable", UNDELIVERABLE, f"{prefix}WAP push failed: {why}", UDP)
        return Outcome("delivered", pap.OK, f"{prefix}delivered by WAP push over UDP", UDP)

    async def push_sip(self, push: Push, decision: Decision) -> tuple[int | None, str]:
        assert decision.target is not None and decision.uri is not None
        aor = f"sip:{sip.uri_user(decision.uri) or push.address.client}@{self.config.domain}"
        content = push.content
        request = sip.SipRequest(
            "MESSAGE",
            decision.uri,
            (
                ("Via", self.sip.via()),
                ("Max-Forwards", "70"),
                ("From", f"<sip:ppg@{self.config.domain}>;tag={self.sip.tag()}"),
                ("To", f"<{aor}>"),
                ("Call-ID", self.sip.call_id()),
                ("CSeq", "1 MESSAGE"),
                (
                    "Accept-Contact",
                    f'*;{sip.PUSH_FEATURE_TAG}="{sip.MMS_PUSH_APP}";require;explicit',
                ),
                ("Content-Type", content.content_type),
            ),
            content.data,
        )
        t = await self.sip.request(decision.target, request, f"MESSAGE push {push.push_id}")
        if t.response is not None:
            return t.response.status, f"{t.response.status} {t.response.reason}"
        return None, t.error or "no answer"

    def push_wdp(self, push: Push, decision: Decision) -> str:
        """One WSP push PDU to the client's WDP port; "" when it left, else why not."""
        assert decision.target is not None
        content = push.content
        try:
            media, body = push_content.for_the_air(content)
            pdu = wsp_push.PushPdu(
                next(self._tid) % 256, media, body, application_id=_app_id(content.application_id)
            )
            data = wsp_push.encode(pdu)
            self.wsp.send(decision.target, data, f"WAP push {push.push_id}")
        except (wsp_push.WspError, si.SiError, OSError) as err:
            return str(err)
        return ""

    async def notify(self, push: Push, outcome: Outcome) -> None:
        url = push.message.ppg_notify_requested_to
        if not url:
            return
        bearer = {SIP: "SIP", UDP: "GPRS"}.get(outcome.bearer or "")
        note = pap.ResultNotificationMessage(
            push.push_id,
            push.message.addresses[0],
            outcome.state,
            outcome.code,
            outcome.desc[:300],
            self.pap_url,
            self.config.sender_name,
            push.received,
            self._now(),
            pap.QualityOfService(bearer=bearer) if bearer else None,
        )
        body = pap.encode(note, version=self.config.pap_version)
        result = await self.client.post(
            url,
            body,
            headers={"Content-Type": "application/xml"},
            protocol="PAP",
            summary=f"resultnotification-message {outcome.state} for {push.push_id}",
        )
        self.events.emit("notified", push=push, status=result.status, error=result.error)

    # --- SIP --------------------------------------------------------------------------
    async def _on_sip(self, inbound: Inbound) -> Reply:
        req = inbound.request
        tag = self.sip.tag()
        if req.method == "REGISTER":
            response, said = self.registrar.handle(req, tag)
            self.events.emit("register", request=req, status=response.status)
            return Reply(response, said)
        if req.method == "OPTIONS":
            return Reply(
                sip.response_to(req, 200, to_tag=tag, headers=(("Allow", "REGISTER, OPTIONS"),))
            )
        return Reply(
            sip.response_to(req, 405, to_tag=tag, headers=(("Allow", "REGISTER, OPTIONS"),))
        )

    async def _on_wsp(self, datagram: Datagram) -> UdpHandled:
        return UdpHandled(f"{len(datagram.data)} bytes to the push sender's port (ignored)")


def read_presence(presence: pidf.Presence) -> ClientInfo:
    """A PIDF document as the choice needs it."""
    info = ClientInfo(source="presence")
    sip_tuple = presence.bearer(SIP)
    if sip_tuple is not None and sip_tuple.open:
        tagged = any(
            sip.PUSH_FEATURE_TAG in t and sip.MMS_PUSH_APP in t for t in sip_tuple.feature_tags
        )
        info.sip_push = tagged and sip_tuple.contact is not None
        info.sip_contact = sip_tuple.contact
    udp = presence.bearer(UDP)
    if udp is not None and udp.open and udp.contact:
        address = _udp_contact(udp.contact)
        if address is not None:
            info.wap_push, info.wdp_address = True, address
    info.online = any(t.open for t in presence.tuples)
    return info


def _udp_contact(contact: str) -> Address | None:
    rest = contact.removeprefix("udp://").rstrip("/")
    host, _c, port = rest.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host, int(port)


def _app_id(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return wsp_push.APPLICATION_IDS.get(int(value), value)
    if ":" not in value:
        return f"x-wap-application:{value}"
    return value


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() or c in "\t\n" else "?" for c in text)


__all__ = [
    "ClientInfo",
    "Decision",
    "Fallback",
    "Outcome",
    "PpgConfig",
    "Push",
    "PushGateway",
    "read_presence",
]
