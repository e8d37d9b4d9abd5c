"""The handset side of MM1: submissions (m-send-req) through the WAP gateway, each judged.

It plays the handsets of a scenario: each submission gets a transaction id
and a submission id (written into the subject as "dr <id>") chosen by the
harness, goes to the WAP gateway with the MMS domain in the Host header, and
is judged on what came back (``mm1_http.judge``): only an m-send-conf for
its own transaction id counts as an answer; Ok is a success, an error status
a refusal, anything else (a 502 from the gateway, garbage, silence past the
timer) a failed submission.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mmsconf.emulators import mm1_http
from mmsconf.emulators.codecs import mm1
from mmsconf.emulators.codecs.wsp_encoding import ContentType, Part
from mmsconf.emulators.mm1_mmsc import SUBJECT_PREFIX
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.http_client import HttpClient

SMIL = b'<smil><body><par dur="5s"><text src="cid:text"/></par></body></smil>'


@dataclass(frozen=True)
class Order:
    """One submission to make: its transaction id, submission id and recipient."""

    tid: str
    key: str
    to: str


@dataclass(frozen=True)
class Sent:
    """One submission and what it came to."""

    order: Order
    sent_at: float  # time.time() when it left
    done_at: float
    verdict: mm1_http.Verdict
    why: str
    message_id: str | None = None
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.verdict is mm1_http.Verdict.ACCEPTED


def build_send_req(order: Order) -> mm1.SendReq:
    """A small multimedia message: a SMIL part and a text part naming the submission."""
    text = f"submission {order.key}".encode()
    return mm1.SendReq(
        transaction_id=order.tid,
        to=(f"{order.to}/TYPE=PLMN",),
        sender=None,  # the insert-address token: the network knows who sends
        subject=SUBJECT_PREFIX + order.key,
        date=int(time.time()),
        content_type=ContentType(
            "application/vnd.wap.multipart.related",
            (("type", "application/smil"), ("start", "<smil>")),
        ),
        parts=(
            Part(ContentType("application/smil"), SMIL, (("Content-ID", "<smil>"),)),
            Part(
                ContentType("text/plain", (("charset", "utf-8"),)),
                text,
                (("Content-ID", "<text>"), ("Content-Location", "text.txt")),
            ),
        ),
    )


class Mm1Handsets(Service):
    """Handsets at ``host`` submitting to ``target`` (the WAP gateway's URL) for the MMS
    domain ``host_header`` names."""

    def __init__(
        self,
        trace: TraceRecorder,
        host: str,
        target: str,
        host_header: str,
        *,
        timeout_ms: int = 8000,
        concurrency: int = 4,
        role: str = "handset",
    ) -> None:
        super().__init__(role, host, 0)
        self.trace = trace
        self.target = target
        self.host_header = host_header
        self.timeout_ms = timeout_ms
        self.concurrency = concurrency
        self.client = self.add_client(
            HttpClient(self, trace, timeout_ms=timeout_ms, limit=max(concurrency, 1) * 2)
        )
        self.sent: list[Sent] = []
        # No listener names this address in the trace: say who speaks from it.
        trace.register(role, host, 0, embedded=False)

    async def submit(self, order: Order, *, target: str | None = None) -> Sent:
        body = mm1.encode(build_send_req(order))
        started = time.time()
        result = await self.client.post(
            target or self.target,
            body,
            headers={"Content-Type": mm1_http.CONTENT_TYPE, "Host": self.host_header},
            protocol="MM1",
            summary=mm1_http.describe_body(body),
            describe=lambda r: mm1_http.describe_body(r.body),
        )
        judged = mm1_http.judge(result, order.tid, self.timeout_ms)
        sent = Sent(
            order,
            started,
            time.time(),
            judged.verdict,
            judged.why,
            judged.conf.message_id if judged.conf is not None else None,
            result.elapsed_ms,
        )
        self.sent.append(sent)
        self.events.emit("sent", sent=sent)
        return sent

    async def submit_all(
        self,
        orders: Sequence[Order],
        *,
        concurrency: int | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> list[Sent]:
        """Every order, ``concurrency`` in flight at once, in order of leaving; ``stop``
        (checked before each one leaves) ends the run early."""
        queue = list(reversed(orders))
        out: list[Sent] = []

        async def worker() -> None:
            while queue and not (stop is not None and stop()):
                out.append(await self.submit(queue.pop()))

        width = max(1, concurrency or self.concurrency)
        await asyncio.gather(*(worker() for _ in range(min(width, len(orders)) or 1)))
        return sorted(out, key=lambda s: s.sent_at)
