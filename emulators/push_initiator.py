"""The push initiator (PI): sends PAP push-messages over HTTP and takes result notifications.

Each push is named by a push reference (push_refs.py) that goes into its
push-id and into the content it pushes (an MMS notification, m-notification-ind,
whose transaction id and content location carry it), so every role can tell
which push and scenario a message belongs to. The push-message names the
client by a PLMN number or an IPv4 address (``WAPPUSH=…/TYPE=…@ppg``), may
name a preferred bearer (QoS ``bearer``, required or not), and asks for a
result notification at the PI's own ``/pap/notify``.

A result notification is answered with resultnotification-response 1000.
When it says the push was not delivered, the PI tries again (a new push-id,
``<ref>r<k>``) up to ``retries`` times: the prior-art PI's way, which a
gateway that picks a working bearer makes harmless.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from mmsconf.emulators import push_content
from mmsconf.emulators.codecs import pap
from mmsconf.emulators.push_refs import Ledger, PushRef, find_ref
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.http_client import HttpClient, HttpResult
from mmsconf.emulators.transports.http_server import HttpAnswer, HttpRequest, HttpServer

#: Message states after which a push is over.
NOT_DELIVERED = frozenset({"undeliverable", "expired", "aborted", "timeout", "cancelled"})


@dataclass
class PiConfig:
    ppg_url: str = ""
    notify_path: str = "/pap/notify"
    pap_version: str = "2.1"
    ppg_domain: str = "ppg.mmsconf.example"
    pi_domain: str = "pi.mmsconf.example"
    request_notifications: bool = True
    retries: int = 2
    request_timeout_ms: int = 5000
    content: str = "mms"  # "mms" (m-notification-ind) or "si" (text/vnd.wap.si)
    mode: pap.Mode = pap.Mode.LENIENT


@dataclass
class Sent:
    """One push-message and what the PPG answered."""

    ref: PushRef
    client: str
    order: int
    at: float
    result: HttpResult | None = None
    answer: pap.Decoded | None = None
    problem: str = ""  # why the answer is not one the PI understood ("" when it is)
    bearer: str | None = None
    required: bool = False

    @property
    def deviations(self) -> tuple[str, ...]:
        """What the PI read leniently in the answer (the codec's deviation codes)."""
        if self.answer is None:
            return ()
        return tuple(d.code for d in self.answer.deviations)

    @property
    def code(self) -> int | None:
        m = self.answer.message if self.answer is not None else None
        if isinstance(m, pap.PushResponse):
            return m.result.code
        if isinstance(m, pap.BadMessageResponse):
            return m.code
        return None


@dataclass
class Notification:
    """A result notification the PI took (or could not read)."""

    ref: PushRef | None
    order: int
    at: float
    peer: tuple[str, int]
    message: pap.ResultNotificationMessage | None
    problem: str
    stray: bool
    deviations: tuple[str, ...] = ()


@dataclass
class Retry:
    ref: PushRef
    client: str
    bearer: str | None
    required: bool
    network: str | None = None


class PushInitiator(Service):
    def __init__(
        self,
        trace: TraceRecorder,
        host: str,
        port: int = 0,
        config: PiConfig | None = None,
        *,
        ledger: Callable[[], int] | None = None,
        role: str = "PI",
    ) -> None:
        super().__init__(role, host, port)
        self.trace = trace
        self.config = config or PiConfig()
        self.ledger = ledger or Ledger()
        self.http = self.add_listener(HttpServer(self, trace))
        self.http.mount(self.config.notify_path, self._on_notify, protocol="PAP")
        self.client = self.add_client(HttpClient(self, trace, self.config.request_timeout_ms))
        self.sent: list[Sent] = []
        self.notifications: list[Notification] = []
        self.scope = ""
        #: Whether to notify-and-retry per push group (the prior-art PI), and how often left.
        self._tries: dict[str, int] = {}
        self._retry_of: dict[str, Retry] = {}

    @property
    def notify_url(self) -> str:
        return self.http.url(self.config.notify_path)

    def push_id(self, ref: PushRef) -> str:
        return f"{ref.text}@{self.config.pi_domain}"

    def address(self, client: str) -> str:
        kind = "IPv4" if client.count(".") == 3 and client.replace(".", "").isdigit() else "PLMN"
        return f"WAPPUSH={client}/TYPE={kind}@{self.config.ppg_domain}"

    def content(self, ref: PushRef) -> pap.ContentEntity:
        if self.config.content == "si":
            return push_content.si_text(ref)
        return push_content.mms_notification(ref)

    # --- pushing ------------------------------------------------------------------------
    async def push(
        self,
        ref: PushRef,
        client: str,
        *,
        bearer: str | None = None,
        required: bool = False,
        retries: int | None = None,
        network: str | None = None,
    ) -> Sent:
        """One push-message to the PPG; its answer judged as PAP (``problem`` says if not)."""
        group = ref.group
        if ref.retry == 0:
            self._tries[group] = self.config.retries if retries is None else retries
        self._retry_of[group] = Retry(ref, client, bearer, required, network)
        qos = None
        if bearer is not None:
            qos = pap.QualityOfService(bearer=bearer, bearer_required=required)
        if network is not None:
            # A network named with a required bearer is required too: a bearer is one
            # of a network's (Kannel refuses bearer-required without network-required).
            qos = replace(qos or pap.QualityOfService(), network=network, network_required=required)
        message = pap.PushMessage(
            self.push_id(ref),
            (self.address(client),),
            qos=qos,
            ppg_notify_requested_to=self.notify_url if self.config.request_notifications else None,
        )
        body = pap.build_push(message, self.content(ref), version=self.config.pap_version)
        sent = Sent(ref, client, self.ledger(), time.time(), bearer=bearer, required=required)
        self.sent.append(sent)
        sent.result = await self.client.post(
            self.config.ppg_url,
            body.body,
            headers={"Content-Type": body.content_type},
            protocol="PAP",
            summary=f"push-message {message.push_id}",
            describe=_describe_answer,
        )
        sent.problem = self._judge(sent, message.push_id)
        self.events.emit("answered", sent=sent)
        return sent

    def _judge(self, sent: Sent, push_id: str) -> str:
        r = sent.result
        assert r is not None
        if r.error is not None:
            return r.error
        if r.status not in (200, 202):
            return f"HTTP {r.status}, not 200/202 with a PAP document"
        try:
            sent.answer = pap.decode(r.body, self.config.mode)
        except pap.PapError as err:
            return f"the answer does not read as PAP: {err}"
        m = sent.answer.message
        if isinstance(m, pap.PushResponse) and m.push_id != push_id:
            return f"a push-response for push-id {m.push_id!r}, not {push_id!r}"
        if not isinstance(m, pap.PushResponse | pap.BadMessageResponse):
            return f"a {type(m).__name__}, not a push-response"
        return ""

    # --- notifications ------------------------------------------------------------------
    async def _on_notify(self, request: HttpRequest) -> HttpAnswer:
        order, at = self.ledger(), time.time()
        try:
            parsed = pap.split_request(
                request.headers.get("Content-Type", "application/xml"),
                request.body,
                self.config.mode,
            )
            message = parsed.message
            if not isinstance(message, pap.ResultNotificationMessage):
                raise pap.PapError("pap", f"{type(message).__name__} is no result notification")
        except pap.PapError as err:
            ref = find_ref(request.body)
            stray = ref is not None and ref.tag != self.scope
            self.notifications.append(
                Notification(ref, order, at, request.peer, None, str(err), stray)
            )
            self.events.emit("notification", ref=ref)
            bad = pap.BadMessageResponse(err.code, err.reason[:200])
            return HttpAnswer(
                200,
                [("Content-Type", "application/xml")],
                pap.encode(bad, version=self.config.pap_version),
                "result notification that does not read",
                f"badmessage-response {err.code}",
                stray=stray,
            )
        ref = find_ref(message.push_id)
        stray = ref is None or ref.tag != self.scope
        note = Notification(
            ref,
            order,
            at,
            request.peer,
            message,
            "",
            stray,
            tuple(d.code for d in parsed.all_deviations),
        )
        self.notifications.append(note)
        reply = pap.ResultNotificationResponse(message.push_id, pap.OK, "OK", message.address)
        if not stray and ref is not None and message.message_state in NOT_DELIVERED:
            self._maybe_retry(ref)
        self.events.emit("notification", ref=ref)
        return HttpAnswer(
            200,
            [("Content-Type", "application/xml")],
            pap.encode(reply, version=self.config.pap_version),
            f"resultnotification-message {message.message_state} {message.code} for "
            f"{message.push_id}",
            "resultnotification-response 1000",
            stray=stray,
        )

    def _maybe_retry(self, ref: PushRef) -> None:
        group = ref.group
        retry = self._retry_of.get(group)
        if retry is None or ref != retry.ref:
            return  # a notification for an older try: the latest one decides
        left = self._tries.get(group, 0)
        if left <= 0:
            return
        self._tries[group] = left - 1
        again = replace(retry, ref=ref.again())
        self._retry_of[group] = again  # the latest try, from now on
        self.spawn(
            self.push(
                again.ref,
                again.client,
                bearer=again.bearer,
                required=again.required,
                network=again.network,
            )
        )

    def settled(self, group: str) -> bool:
        """Whether the push ``group`` is over: its latest try was notified, and that said
        delivered or no retry is left."""
        retry = self._retry_of.get(group)
        if retry is None:
            return False
        done = [n for n in self.notifications if n.ref == retry.ref]
        if not done:
            return False
        last = done[-1].message
        return last is None or last.message_state not in NOT_DELIVERED or not self._tries.get(group)

    def notifications_for(self, group: str) -> list[Notification]:
        return [n for n in self.notifications if n.ref is not None and n.ref.group == group]

    def sent_for(self, group: str) -> list[Sent]:
        return [s for s in self.sent if s.ref.group == group]

    def pending_retries(self, group: str) -> int:
        return self._tries.get(group, 0)


def _describe_answer(result: HttpResult) -> str:
    try:
        m = pap.decode(result.body, pap.Mode.LENIENT).message
    except pap.PapError:
        return f"HTTP {result.status} (no PAP)"
    if isinstance(m, pap.PushResponse):
        return f"HTTP {result.status} push-response {m.result.code}"
    if isinstance(m, pap.BadMessageResponse):
        return f"HTTP {result.status} badmessage-response {m.code}"
    return f"HTTP {result.status} {type(m).__name__}"


__all__ = ["NOT_DELIVERED", "Notification", "PiConfig", "PushInitiator", "Sent"]
