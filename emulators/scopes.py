"""Which scenario a message of the harness's own roles belongs to.

A real SUT is never reset between scenarios and keeps retrying for minutes,
so a message reaching the harness's SP or MMSC may belong to an earlier
scenario (or an earlier run). The harness's SP writes the scenario's tag
into every MSGID1 (``<vasp_id>-<tag>-<sequence>``) and writes MSGID1 into
the content and the subject of the message, so that:

- the SP reads the scenario of a delivery report from its MessageID (MSGID1);
- an MMSC reads the scenario of a forwarded SubmitReq from its content or
  subject, which a gateway passes on unchanged.

A role that gets a message of another scenario, or one it cannot attribute,
answers it as the protocol says and marks it stray in the trace
(``ScopedEndpoint``); the scenario's expectations never count it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import Handler, Inbound, MM7Endpoint, Reply
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.http_server import HttpAnswer, HttpLimits, HttpRequest

#: How the SP's content part names MSGID1 (the MMSC looks for it there first).
CONTENT_MARK = "MSGID1="
_IN_CONTENT = re.compile(r"MSGID1=([^\s<>]+)")
_IN_SUBJECT = re.compile(r"\[([^\[\]\s]+)\]\s*$")
_SEQUENCE = re.compile(r"\d{6}")


def make_msgid1(vasp_id: str, tag: str, sequence: int) -> str:
    """MSGID1 as the harness's SP writes it: ``sp001-k3x9a007-000042``."""
    return f"{vasp_id}-{tag}-{sequence:06d}"


def tag_of(msgid1: str | None) -> str | None:
    """The scenario tag inside an MSGID1 the harness made; None for anything else."""
    if not msgid1:
        return None
    parts = msgid1.rsplit("-", 2)
    if len(parts) != 3 or not parts[1] or not _SEQUENCE.fullmatch(parts[2]):
        return None
    return parts[1]


def content_text(msgid1: str) -> str:
    """The text the SP sends as the message's content: it names MSGID1."""
    return f"mmsconf test message {CONTENT_MARK}{msgid1}"


def subject_with(subject: str, msgid1: str) -> str:
    """The subject the SP sends: the scenario's subject and MSGID1 in brackets."""
    return f"{subject} [{msgid1}]"


#: The messages with content a harness role writes an id into.
WithContent = mm7.SubmitReq | mm7.DeliverReq | mm7.ReplaceReq


def msgid1_in(req: WithContent) -> str | None:
    """MSGID1 as the SP wrote it into a message's content (or, failing that, its subject)."""
    for part in req.parts:
        if part.content_type.lower().startswith("text/"):
            found = _IN_CONTENT.search(part.data.decode("utf-8", "replace"))
            if found:
                return found.group(1)
    found = _IN_SUBJECT.search(getattr(req, "subject", None) or "")  # ReplaceReq has none
    return found.group(1) if found else None


def content_of(req: WithContent) -> str:
    """The text parts of a message, joined: what the recipient would read."""
    return "\n".join(
        p.data.decode("utf-8", "replace")
        for p in req.parts
        if p.content_type.lower().startswith("text/")
    )


#: Says whether a decoded request belongs to another scenario (or to none).
StrayTest = Callable[[mm7.MM7Message], bool]


class ScopedEndpoint(MM7Endpoint):
    """An MM7 endpoint of a harness role whose requests are judged stray or not.

    The generic dispatch records a request before its handler runs. Here the
    record waits until the handler has run (the harness's roles forward
    nothing from inside a handler, so the order of the trace is unchanged),
    and the request and its answer are recorded stray when ``is_stray`` says
    the request belongs to another scenario.
    """

    def __init__(
        self,
        service: Service,
        trace: TraceRecorder,
        routes: Mapping[str, tuple[str, Handler]],
        codec: mm7.CodecConfig,
        is_stray: StrayTest,
        limits: HttpLimits | None = None,
    ) -> None:
        self.is_stray = is_stray  # read by _dispatch, which the base calls while mounting
        super().__init__(service, trace, routes, codec, limits)

    def _dispatch(
        self, path: str, side: str, handler: Handler
    ) -> Callable[[HttpRequest], Awaitable[HttpAnswer]]:
        async def handle(request: HttpRequest) -> HttpAnswer:
            verdict = {"stray": False}

            async def judged(inbound: Inbound) -> Reply:
                verdict["stray"] = self.is_stray(inbound.message)
                return await handler(inbound)

            deferred: list[tuple[str, dict[str, Any]]] = []
            record = request.record
            request.record = lambda summary, **kw: deferred.append((summary, kw))  # type: ignore[method-assign]
            try:
                answer = await MM7Endpoint._dispatch(self, path, side, judged)(request)
            finally:
                request.record = record  # type: ignore[method-assign]
            if deferred:
                summary, kw = deferred[0]
                record(summary, **{**kw, "stray": verdict["stray"]})
            answer.stray = verdict["stray"]
            return answer

        return handle
