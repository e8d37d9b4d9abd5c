"""A SIP endpoint over one UDP socket: server transactions answered once, client
transactions retransmitted until a final response (RFC 3261 §17, non-INVITE, UDP).

The handset's UA and the push gateway's registrar and push sender are built on
it. Requests and responses leave from the listening port (so a peer's answers
come back to it, and a Via names it). What arrives:

* a request is parsed (codecs/sip.py, strict or lenient); one that does not
  parse is answered 400 when enough of it reads (§21.4.1 and ``answer_malformed``)
  and dropped otherwise; a retransmission (same branch, method, Call-ID) gets
  the answer already given, and is counted as a copy, not a new request;
* a response is matched to its client transaction by branch and method;
  one that matches none is recorded as stray and dropped.

Timers are milliseconds: ``t1_ms`` (the first retransmission; doubling to
``4 * t1_ms``) and ``timeout_ms`` (Timer F: give up).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from mmsconf.emulators.codecs import sip
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.udp import Datagram, UdpAnswer, UdpHandled, UdpServer

log = logging.getLogger(__name__)

Address = tuple[str, int]


@dataclass
class Inbound:
    """A request as the owner's handler sees it."""

    request: sip.SipRequest
    peer: Address
    deviations: list[sip.Deviation]
    received_at: float


@dataclass
class Reply:
    """What the owner answers a request with (None: no answer at all), and how the trace
    names the request."""

    response: sip.SipResponse | None
    summary: str = ""
    stray: bool = False


RequestHandler = Callable[[Inbound], Awaitable[Reply]]


@dataclass
class Transaction:
    """A client transaction: what was sent, how often, and how it ended."""

    request: sip.SipRequest
    to: Address
    sent: int = 0
    response: sip.SipResponse | None = None
    provisional: list[sip.SipResponse] = field(default_factory=list)
    error: str | None = None  # "timeout after N ms", "unreachable: ..."
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def status(self) -> int | None:
        return self.response.status if self.response is not None else None


class SipEndpoint:
    """One UDP socket of a service that speaks SIP (a listener part of it)."""

    def __init__(
        self,
        service: Service,
        trace: TraceRecorder,
        on_request: RequestHandler,
        *,
        port: int | None = None,
        mode: sip.Mode = sip.Mode.LENIENT,
        t1_ms: int = 500,
        timeout_ms: int = 32_000,
        seed: int = 0,
    ) -> None:
        self.service = service
        self.on_request = on_request
        self.mode = mode
        self.t1_ms = t1_ms
        self.timeout_ms = timeout_ms
        self.udp = service.add_listener(
            UdpServer(service, trace, "SIP", self._handle, port=port, faults=True)
        )
        self._random = random.Random(seed)
        self._counter = itertools.count(1)
        self._pending: dict[tuple[str, str], Transaction] = {}
        # Answers given, by (branch, method, Call-ID): a retransmission gets the same.
        self._answered: OrderedDict[tuple[str, str, str], bytes | None] = OrderedDict()
        self.copies = 0  # retransmitted requests taken

    @property
    def address(self) -> Address:
        return self.udp.address

    @property
    def port(self) -> int:
        return self.udp.port

    # --- identifiers ---------------------------------------------------------------------
    def _token(self) -> str:
        return f"{next(self._counter):x}{self._random.getrandbits(40):010x}"

    def branch(self) -> str:
        return f"{sip.BRANCH_COOKIE}-{self._token()}"

    def tag(self) -> str:
        return self._token()

    def call_id(self) -> str:
        return f"{self._token()}@{self.service.host}"

    def via(self, branch: str | None = None) -> str:
        host, port = self.address
        return f"SIP/2.0/UDP {host}:{port};branch={branch or self.branch()};rport"

    # --- client transactions ---------------------------------------------------------------
    async def request(self, to: Address, request: sip.SipRequest, summary: str = "") -> Transaction:
        """Send ``request`` (its top Via must carry a branch) and retransmit until a final
        response or the timeout; the transaction says which."""
        t = Transaction(request, to)
        key = (request.branch, request.method)
        self._pending[key] = t
        data = sip.encode(request)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_ms / 1000
        interval = self.t1_ms / 1000
        try:
            while True:
                try:
                    self.udp.send(to, data, summary or request.summary)
                except (ConnectionError, OSError) as err:
                    t.error = f"unreachable: {err}"
                    break
                t.sent += 1
                remaining = deadline - loop.time()
                if remaining <= 0:
                    t.error = f"timeout after {self.timeout_ms} ms"
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(t.done.wait(), min(interval, remaining))
                if t.response is not None:
                    break
                if loop.time() >= deadline:
                    t.error = f"timeout after {self.timeout_ms} ms"
                    break
                interval = min(interval * 2, 4 * self.t1_ms / 1000)
        finally:
            self._pending.pop(key, None)
        return t

    # --- what arrives ---------------------------------------------------------------------
    async def _handle(self, datagram: Datagram) -> UdpHandled:
        data = datagram.data
        try:
            parsed = sip.parse(data, self.mode)
        except sip.SipError as err:
            self.service.events.emit("sip_malformed", peer=datagram.peer, error=str(err))
            answer = sip.answer_malformed(data, err, to_tag=self.tag())
            what = f"malformed SIP ({err.field}: {err.reason})"[:160]
            if answer is None:
                return UdpHandled(f"{what}; dropped")
            return UdpHandled(what, [UdpAnswer(answer, f"{err.status} (malformed request)")])
        message = parsed.message
        if isinstance(message, sip.SipResponse):
            return self._response(message)
        key = (message.branch, message.method, message.call_id)
        if key in self._answered:
            self.copies += 1
            self.service.events.emit("sip_copy", request=message)
            again = self._answered[key]
            answers = [UdpAnswer(again, "the same answer again")] if again else []
            return UdpHandled(f"{message.summary} (retransmission)", answers)
        try:
            reply = await self.on_request(
                Inbound(message, datagram.peer, parsed.deviations, datagram.received_at)
            )
        except Exception:  # a handler bug: 500, keep serving
            log.exception("%s: SIP request handler failed", self.service.role)
            reply = Reply(sip.response_to(message, 500, to_tag=self.tag()), message.summary)
        raw = sip.encode(reply.response) if reply.response is not None else None
        self._answered[key] = raw
        while len(self._answered) > 4096:
            self._answered.popitem(last=False)
        summary = reply.summary or message.summary
        if raw is None:
            return UdpHandled(summary, stray=reply.stray)
        assert reply.response is not None
        return UdpHandled(summary, [UdpAnswer(raw, reply.response.summary)], stray=reply.stray)

    def _response(self, response: sip.SipResponse) -> UdpHandled:
        _number, method = response.cseq
        t = self._pending.get((response.branch, method))
        if t is None:
            return UdpHandled(f"{response.summary} (no transaction)", stray=True)
        if response.status < 200:
            t.provisional.append(response)
        elif t.response is None:
            t.response = response
            t.done.set()
        return UdpHandled(response.summary)
