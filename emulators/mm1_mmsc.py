"""An MMSC's MM1 side: takes m-send-req submissions over HTTP and answers health probes.

Not ``mmsc.py``: that is the MM7 side the report-routing area drives. This
one is what handsets reach (through a WAP gateway, or an MMS router): POST
an m-send-req to its MM1 URL, get an m-send-conf; GET or HEAD that URL, get
200 while the MMSC is well (the health probe an MMS router sends).

The MMSCs of one operator share a message store (``MessageStore``), as a
redundant MMSC cluster does: a submission is accepted once per transaction
id, whichever MMSC takes it; the same transaction id again (an MMS router
retrying a request whose answer was lost) is answered with the message id
already issued, and not stored twice. A retry under a *new* transaction id
is a new message: the store then holds the same submission twice, which is
what the exactly-once judgement counts (by the submission id the harness
writes into the subject).

Knobs (``Mm1Knobs``), as scenarios fail an MMSC:

* ``dead``: the MMSC process is gone while its host still takes TCP: every
  request (probe or submission) is read, recorded, and the connection closed
  unanswered; nothing is stored.
* ``refusing``: the listener closed (``go_down``): connections are refused.
* ``status``: every request answered with this HTTP status (a 5xx); nothing stored.
* ``slow_ms``: every answer delayed this long (a submission is stored first).
* ``close_mid_request``: the next N submissions are stored, then their
  connection closed before the answer (the answer lost mid-request); the
  store's ``close_next_mid_request`` does the same for whichever MMSC of
  the cluster takes the next submission.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from dataclasses import dataclass

from mmsconf.emulators import mm1_http
from mmsconf.emulators.codecs import mm1
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.http_server import (
    HttpAnswer,
    HttpLimits,
    HttpRequest,
    HttpServer,
)

MMS_PATH = "/mms"


@dataclass(frozen=True)
class Stored:
    """One message the MMSC cluster accepted."""

    transaction_id: str
    key: str  # the submission id the sender wrote in the subject ("" when none)
    mmsc: str  # the MMSC that took it first
    message_id: str
    scope: str | None
    at: float  # time.time()
    to: tuple[str, ...] = ()


class MessageStore:
    """What the operator's MMSCs hold, shared: accepted once per transaction id."""

    def __init__(self) -> None:
        self.by_tid: dict[str, Stored] = {}
        self.messages: list[Stored] = []
        self._ids = itertools.count(1)
        #: A cluster-wide knob: the next N submissions, whichever MMSC takes them, are
        #: stored and their connection closed before the answer.
        self.close_next_mid_request = 0

    def take_mid_request_close(self) -> bool:
        """Whether the submission being taken is one the cluster knob closes mid-request."""
        if self.close_next_mid_request > 0:
            self.close_next_mid_request -= 1
            return True
        return False

    def accept(self, req: mm1.SendReq, mmsc: str, scope: str | None) -> tuple[Stored, bool]:
        """(the stored message, whether it is new): a known transaction id is not stored again."""
        known = self.by_tid.get(req.transaction_id)
        if known is not None:
            return known, False
        stored = Stored(
            req.transaction_id,
            submission_key(req),
            mmsc,
            f"{mmsc}-{next(self._ids):06d}",
            scope,
            time.time(),
            req.to + req.cc + req.bcc,
        )
        self.by_tid[req.transaction_id] = stored
        self.messages.append(stored)
        return stored, True

    def copies(self, scope: str | None = None) -> Counter[str]:
        """Messages stored per submission id (in ``scope``; None: all)."""
        return Counter(m.key for m in self.messages if scope is None or m.scope == scope)


#: The subject the harness writes: "dr <submission id>"; the id carries the scope tag.
SUBJECT_PREFIX = "dr "


def submission_key(req: mm1.SendReq) -> str:
    subject = req.subject or ""
    return subject[len(SUBJECT_PREFIX) :] if subject.startswith(SUBJECT_PREFIX) else ""


@dataclass
class Mm1Knobs:
    dead: bool = False
    status: int | None = None
    slow_ms: int = 0
    close_mid_request: int = 0

    def reset(self) -> None:
        self.dead, self.status, self.slow_ms, self.close_mid_request = False, None, 0, 0

    @property
    def normal(self) -> bool:
        return self == Mm1Knobs()


@dataclass(frozen=True)
class Seen:
    """One request the MMSC got, as the harness judges it: a probe or a submission."""

    kind: str  # "probe" | "submission"
    at: float  # time.time() the request arrived
    answered: bool  # an answer went back that says the MMSC is well (200 / m-send-conf)
    how: str  # "answered", "dead", "status 503", "closed mid-request", "duplicate", ...
    from_host: str
    transaction_id: str = ""
    scope: str | None = None
    stray: bool = False
    done_at: float = 0.0  # when the answer (or the close) went out


class Mm1Mmsc(Service):
    """One MMSC of the cluster sharing ``store``, listening at ``host:port``."""

    def __init__(
        self,
        trace: TraceRecorder,
        name: str,
        host: str,
        port: int,
        store: MessageStore,
        *,
        path: str = MMS_PATH,
        max_connections: int = 256,
    ) -> None:
        super().__init__(f"MMSC {name}", host, port)
        self.name = name
        self.trace = trace
        self.store = store
        self.path = path
        self.knobs = Mm1Knobs()
        #: The running scenario's tag: submissions whose transaction id lacks it are strays.
        self.scope: str | None = None
        self.seen: list[Seen] = []
        self.http = self.add_listener(
            HttpServer(self, trace, HttpLimits(max_connections=max_connections))
        )
        # The MM1 URL takes submissions (POST) and health probes (GET, HEAD).
        self.http.mount(path, self._handle, methods=("GET", "HEAD", "POST"), protocol="MM1")

    @property
    def url(self) -> str:
        return self.http.url(self.path)

    def reset_knobs(self) -> None:
        self.knobs.reset()

    def _note(self, seen: Seen) -> None:
        self.seen.append(seen)
        self.events.emit(seen.kind, seen=seen)

    async def _handle(self, request: HttpRequest) -> HttpAnswer:
        if request.method in ("GET", "HEAD"):
            return await self._probe(request)
        return await self._submission(request)

    async def _probe(self, request: HttpRequest) -> HttpAnswer:
        what = f"{request.method} {request.path} (health probe)"
        arrived = request.received_at or time.time()
        knobs = self.knobs
        if knobs.dead:
            self._note(Seen("probe", arrived, False, "dead", request.peer[0], done_at=time.time()))
            return HttpAnswer(0, request_summary=f"{what}: MMSC dead, closed", drop=True)
        if knobs.slow_ms:
            await asyncio.sleep(knobs.slow_ms / 1000)  # the fault is the delay
        if knobs.status is not None:
            self._note(
                Seen("probe", arrived, False, f"status {knobs.status}", request.peer[0],
                     done_at=time.time())
            )  # fmt: skip
            return HttpAnswer(
                knobs.status,
                (("Content-Type", "text/plain"),),
                b"MMSC failing\n",
                request_summary=what,
                protocol="HTTP",
            )
        self._note(Seen("probe", arrived, True, "answered", request.peer[0], done_at=time.time()))
        body = b"" if request.method == "HEAD" else f"MMSC {self.name} up\n".encode()
        return HttpAnswer(
            200,
            (("Content-Type", "text/plain"),),
            body,
            request_summary=what,
            summary=f"HTTP 200 MMSC {self.name} up",
            protocol="HTTP",
        )

    async def _submission(self, request: HttpRequest) -> HttpAnswer:
        arrived = request.received_at or time.time()
        peer = request.peer[0]
        read = mm1_http.read_submission(request)
        knobs = self.knobs
        if isinstance(read, HttpAnswer):
            self._note(Seen("submission", arrived, False, "undecodable", peer, done_at=time.time()))
            return read
        req = read.req
        stray = self.scope is None or self.scope not in req.transaction_id
        scope = None if stray else self.scope
        tid = req.transaction_id

        def seen(answered: bool, how: str) -> Seen:
            return Seen("submission", arrived, answered, how, peer, tid, scope, stray, time.time())

        if knobs.dead:
            self._note(seen(False, "dead"))
            return HttpAnswer(0, request_summary=f"{read.summary}: MMSC dead, closed", drop=True)
        if knobs.status is not None:
            self._note(seen(False, f"status {knobs.status}"))
            return HttpAnswer(
                knobs.status,
                (("Content-Type", "text/plain"),),
                b"MMSC failing\n",
                request_summary=read.summary,
                protocol="MM1",
                stray=stray,
            )
        stored, new = self.store.accept(req, self.name, scope)
        if knobs.close_mid_request > 0 or self.store.take_mid_request_close():
            knobs.close_mid_request = max(knobs.close_mid_request - 1, 0)
            self._note(seen(False, "closed mid-request" + ("" if new else " (a duplicate)")))
            said = f"{read.summary}: stored as {stored.message_id}, closed before the answer"
            return HttpAnswer(0, request_summary=said, drop=True, stray=stray)
        slow = knobs.slow_ms
        if slow:
            await asyncio.sleep(slow / 1000)  # the fault is the delay
        how = "accepted" if new else f"duplicate of {stored.mmsc}'s {stored.message_id}"
        if slow:
            how += f", answered {slow} ms late"
        self._note(seen(True, how))
        conf = mm1.SendConf(tid, mm1.Status.OK, message_id=stored.message_id)
        said = read.summary if new else f"{read.summary} (already stored: {stored.message_id})"
        return mm1_http.conf_answer(conf, request_summary=said, stray=stray)
