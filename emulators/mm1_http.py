"""MM1 over HTTP: what every MM1 element needs around the codec.

An MM1 PDU travels as an HTTP POST body of type
``application/vnd.wap.mms-message``; the answer to an ``m-send-req`` is an
``m-send-conf`` in a 200 answer, whatever its Response-Status. This module
reads a submission off a request (or says which answer refuses it), builds
the ``m-send-conf`` answers, and judges what came back to a client: an MM1
answer it understood, an HTTP error, garbage, or nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from mmsconf.emulators.codecs import mm1
from mmsconf.emulators.transports.http_client import HttpResult
from mmsconf.emulators.transports.http_server import HttpAnswer, HttpRequest

CONTENT_TYPE = mm1.CONTENT_TYPE
HEADERS = (("Content-Type", CONTENT_TYPE),)


def is_mm1(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == CONTENT_TYPE


def describe_body(body: bytes) -> str:
    """A PDU's one-line summary for the trace (never raises)."""
    try:
        return mm1.summary(mm1.decode(body, lenient=True).message)
    except mm1.MM1Error as err:
        return f"{len(body)} bytes, not MM1 ({err})"


def conf_answer(
    conf: mm1.SendConf, *, request_summary: str = "", stray: bool = False, close: bool = False
) -> HttpAnswer:
    """An m-send-conf in a 200 answer, named in the trace by its summary."""
    return HttpAnswer(
        200,
        HEADERS,
        mm1.encode(conf),
        request_summary=request_summary,
        summary=mm1.summary(conf),
        protocol="MM1",
        stray=stray,
        close=close,
    )


@dataclass(frozen=True)
class Submission:
    """An m-send-req read off a request, with its summary for the trace."""

    req: mm1.SendReq
    body: bytes
    summary: str


def read_submission(request: HttpRequest, *, label: str = "") -> Submission | HttpAnswer:
    """The m-send-req a POST carries, or the answer that refuses it: 415 for another
    content type, an m-send-conf with the codec's status for a PDU that does not decode
    (the transaction id echoed when it could be read), message-format-corrupt for
    another PDU type."""
    suffix = f" ({label})" if label else ""
    if not is_mm1(request.headers.get("Content-Type", "")):
        got = request.headers.get("Content-Type", "none")
        return HttpAnswer(
            415,
            (("Content-Type", "text/plain"),),
            f"MM1 wants {CONTENT_TYPE}, not {got}\n".encode(),
            request_summary=f"POST {request.path}: Content-Type {got[:60]}{suffix}",
            protocol="MM1",
        )
    try:
        decoded = mm1.decode(request.body)
    except mm1.MM1Error as err:
        tid = _tid_of(request.body)
        conf = mm1.SendConf(tid, err.status, response_text=str(err)[:200])
        return conf_answer(conf, request_summary=f"{len(request.body)} bytes, rejected: {err}")
    if not isinstance(decoded.message, mm1.SendReq):
        conf = mm1.SendConf(
            decoded.message.transaction_id,
            mm1.Status.PERMANENT_FAILURE,
            response_text=f"{decoded.message.type.label} is not a submission",
        )
        said = mm1.summary(decoded.message)
        return conf_answer(conf, request_summary=f"{said} rejected: not an m-send-req")
    return Submission(decoded.message, request.body, mm1.summary(decoded.message) + suffix)


def _tid_of(body: bytes) -> str:
    """The transaction id of a PDU the strict codec refused, if lenient reading finds it."""
    try:
        return mm1.decode(body, lenient=True).message.transaction_id
    except mm1.MM1Error:
        return ""


class Verdict(Enum):
    """What one submission came to, as the side that sent it sees it."""

    ACCEPTED = "accepted"  # m-send-conf Ok, its own transaction id
    REFUSED = "refused"  # m-send-conf with an error status, its own transaction id
    HTTP_ERROR = "http error"  # an HTTP status other than 200 (a gateway's 502, ...)
    GARBAGE = "garbage"  # a 200 whose body is no m-send-conf for this transaction
    NO_ANSWER = "no answer"  # the connection closed, refused, or the timer ran out


@dataclass(frozen=True)
class Judged:
    verdict: Verdict
    why: str
    conf: mm1.SendConf | None = None


def judge(result: HttpResult, tid: str, timeout_ms: int) -> Judged:
    """What ``result`` (the answer to an m-send-req with ``tid``) means."""
    if result.status is None:
        error = result.error or "no answer"
        if error.startswith("timeout"):
            error = f"no answer within {timeout_ms} ms"
        return Judged(Verdict.NO_ANSWER, error)
    if result.status != 200:
        snippet = result.body[:80].decode("latin-1", "replace").strip()
        return Judged(Verdict.HTTP_ERROR, f"HTTP {result.status} {snippet}".strip())
    if not is_mm1(result.content_type):
        return Judged(Verdict.GARBAGE, f"a 200 of type {result.content_type or 'none'}")
    try:
        message = mm1.decode(result.body).message
    except mm1.MM1Error as err:
        return Judged(Verdict.GARBAGE, f"an answer that does not decode: {err}")
    if not isinstance(message, mm1.SendConf):
        return Judged(Verdict.GARBAGE, f"{message.type.label} instead of an m-send-conf")
    if message.transaction_id != tid:
        return Judged(Verdict.GARBAGE, f"an m-send-conf for transaction {message.transaction_id!r}")
    if not message.ok:
        why = mm1.status_name(message.response_status)
        if message.response_text:
            why += f" ({message.response_text})"
        return Judged(Verdict.REFUSED, why, message)
    return Judged(Verdict.ACCEPTED, "ok", message)
