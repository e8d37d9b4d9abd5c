"""The presence / capability server: a client-information server a push gateway asks.

The exchange (README, "Bearer choice: the client-information exchange"):

    GET <base>/<client>        Accept: application/pidf+xml
    200 application/pidf+xml   a PIDF document (codecs/pidf.py) with one tuple per push
                               bearer: <push:bearer>SIP</push:bearer> (open: registered for SIP
                               push and reachable; its feature tags and contact) and
                               <push:bearer>UDP</push:bearer> (open: takes WAP push over WDP/UDP
                               now; contact udp://<ip>:<port>). A client that is offline has
                               every tuple closed.
    404                        the server knows no such client

``<client>`` is the client part of the PAP address, URL-encoded: a PLMN
number (+8613800100001) or an IPv4 address. Knobs: per client registered,
online, SIP push capable, WAP push capable; for the server down (its socket
closed), an error status, slow answers.

Each query is recorded with the ledger's order number and attributed to the
scenario whose client it names; a query for another scenario's client is
answered all the same and marked stray.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from mmsconf.emulators.codecs import pidf
from mmsconf.emulators.codecs.sip import MMS_PUSH_APP, PUSH_FEATURE_TAG
from mmsconf.emulators.push_refs import SIP, UDP, WDP_PUSH_PORT, Ledger
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.http_server import HttpAnswer, HttpRequest, HttpServer

PUSH_TAG_VALUE = f'{PUSH_FEATURE_TAG}="{MMS_PUSH_APP}"'


@dataclass
class ClientState:
    """What the server knows of one client (the knobs a scenario turns)."""

    number: str  # "+8613800100001"
    host: str  # the handset's IP address
    sip_port: int = 5060
    wdp_port: int = WDP_PUSH_PORT
    online: bool = True
    registered: bool = False  # registered for SIP push
    sip_capable: bool = True  # its SIP UA registers the push feature tag
    wap_capable: bool = True  # takes WAP push over WDP/UDP
    scope: str = ""  # the scenario the client belongs to now
    domain: str = "mmsconf.example"

    @property
    def names(self) -> tuple[str, str]:
        """How a PPG may ask for it: its number or its IP address."""
        return (self.number, self.host)

    def document(self) -> pidf.Presence:
        sip_open = self.online and self.registered
        udp_open = self.online and self.wap_capable
        tags = (PUSH_TAG_VALUE,) if self.sip_capable else ()
        tuples = [
            pidf.Tuple(
                "sip-push",
                "open" if sip_open else "closed",
                f"sip:{self.number}@{self.host}:{self.sip_port}",
                bearer=SIP,
                feature_tags=tags,
                methods=("MESSAGE", "OPTIONS") if sip_open else (),
            )
        ]
        if self.wap_capable:
            tuples.append(
                pidf.Tuple(
                    "wap-push",
                    "open" if udp_open else "closed",
                    f"udp://{self.host}:{self.wdp_port}",
                    bearer=UDP,
                )
            )
        return pidf.Presence(f"tel:{self.number}", tuple(tuples))


@dataclass(frozen=True)
class Query:
    """One GET the server took."""

    client: str  # as asked (decoded)
    peer: tuple[str, int]
    order: int
    at: float
    status: int
    scope: str  # the scenario of the client asked for ("" when unknown)
    stray: bool


@dataclass
class PresenceConfig:
    path: str = "/presence/"
    media_type: str = pidf.MEDIA_TYPE


class PresenceServer(Service):
    def __init__(
        self,
        trace: TraceRecorder,
        host: str,
        port: int = 0,
        config: PresenceConfig | None = None,
        *,
        ledger: Callable[[], int] | None = None,
        role: str = "presence",
    ) -> None:
        super().__init__(role, host, port)
        self.trace = trace
        self.config = config or PresenceConfig()
        self.ledger = ledger or Ledger()
        self.known: dict[str, ClientState] = {}
        self.queries: list[Query] = []
        #: The scenario running now: a query for a client of another one is stray.
        self.scope = ""
        self.http = self.add_listener(HttpServer(self, trace))
        self.http.mount(self.config.path, self._get, methods=("GET",), protocol="HTTP", faults=True)

    @property
    def base_url(self) -> str:
        return self.http.url(self.config.path.rstrip("/"))

    def url_for(self, client: str) -> str:
        return f"{self.base_url}/{quote(client, safe='+')}"

    def put(self, state: ClientState) -> ClientState:
        """Know ``state`` (replacing what was known under its number or address)."""
        for name in state.names:
            old = self.known.get(name)
            if old is not None:
                for other in old.names:
                    self.known.pop(other, None)
        for name in state.names:
            self.known[name] = state
        return state

    def forget(self, number: str) -> None:
        state = self.known.get(number)
        if state is not None:
            for name in state.names:
                self.known.pop(name, None)

    def queries_for(self, names: set[str]) -> list[Query]:
        return [q for q in self.queries if q.client in names and not q.stray]

    async def _get(self, request: HttpRequest) -> HttpAnswer:
        order, at = self.ledger(), time.time()
        client = unquote(request.path[len(self.config.path) :])
        state = self.known.get(client)
        scope = state.scope if state is not None else ""
        stray = state is None or scope != self.scope
        summary = f"GET presence of {client}"
        if self.faults.status is not None:
            status = self.faults.status
            self._log(client, request, order, at, status, scope, stray)
            return HttpAnswer(
                status,
                [("Content-Type", "text/plain")],
                b"unavailable\n",
                summary,
                f"HTTP {status} (the server's error knob)",
                stray=stray,
            )
        if state is None:
            self._log(client, request, order, at, 404, scope, stray)
            return HttpAnswer(
                404,
                [("Content-Type", "text/plain")],
                b"no such client\n",
                summary,
                "404 no such client",
                stray=stray,
            )
        body = pidf.encode(state.document())
        self._log(client, request, order, at, 200, scope, stray)
        return HttpAnswer(
            200,
            [("Content-Type", self.config.media_type), ("Cache-Control", "no-store")],
            body,
            summary,
            f"200 PIDF: {_describe(state)}",
            stray=stray,
        )

    def _log(
        self,
        client: str,
        request: HttpRequest,
        order: int,
        at: float,
        status: int,
        scope: str,
        stray: bool,
    ) -> None:
        query = Query(client, request.peer, order, at, status, scope, stray)
        self.queries.append(query)
        self.events.emit("query", query=query)


def _describe(state: ClientState) -> str:
    if not state.online:
        return "offline"
    sip = "SIP push open" if state.registered and state.sip_capable else "SIP push closed"
    if state.registered and not state.sip_capable:
        sip = "SIP open without the push feature tag"
    udp = "UDP open" if state.wap_capable else "no UDP"
    return f"{sip}, {udp}"
