"""MM7 over HTTP under hostile input: MM7 answers, MM7 bodies, and the network they hit.

``mm7_cases(valid)`` is the MM7 battery: ``http_cases`` with an MM7 valid
request (``valid_mm7``), MM7 Faults as the content error and the MM7 content
cases (``mm7_bodies``). ``hostile_net()`` starts the embedded report-routing
network with short timers; ``endpoints_of(net)`` lists every MM7 endpoint
in it (SP, MMSCs, MMSG farm servers).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import Credentials, HttpLimits
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.profile import ReportRoutingProfile, load_profile
from mmsconf.fixtures.report_routing import ReportRoutingNet
from tests.support.hostile.http import (
    HttpAnswer,
    ValidRequest,
    describe_http,
    http_answers,
    http_cases,
)
from tests.support.hostile.wire import Case, Check, Observed

# --------------------------------------------------------------------------- answers


#: Answers are read the way the emulators' peers read them: leniently. (The fault an
#: endpoint answers to a body without a TransactionID carries an empty one.)
LENIENT = mm7.CodecConfig(mode=mm7.Mode.LENIENT)


def _mm7_of(a: HttpAnswer) -> tuple[int | None, str | None]:
    """(MM7 status, None) of an answer, or (None, why it is not MM7)."""
    try:
        decoded = mm7.decode(a.body, a.headers.get("content-type", ""), config=LENIENT)
    except mm7.MM7Error as err:
        return None, f"HTTP {a.status} with a body that is not MM7: {err}"
    return mm7.status_of(decoded.message), None


def mm7_answer(*statuses: int) -> Check:
    """An MM7 Fault whose status is one of ``statuses``, over HTTP 500."""

    def check(o: Observed) -> str | None:
        answers = http_answers(o.data)
        if not answers:
            return f"no HTTP answer (closed={o.closed}, got {o.data[:80]!r})"
        status, problem = _mm7_of(answers[0])
        if problem:
            return problem
        if answers[0].status != 500 or status not in statuses:
            return (
                f"HTTP {answers[0].status} MM7 {status}, expected HTTP 500 with one of {statuses}"
            )
        return None

    return check


def any_mm7_answer(o: Observed) -> str | None:
    """Any MM7 response or Fault, its HTTP status matching (200 for 1xxx, else an error)."""
    answers = http_answers(o.data)
    if not answers:
        return f"no HTTP answer (closed={o.closed}, got {o.data[:80]!r})"
    status, problem = _mm7_of(answers[0])
    if problem:
        return problem
    if status is None or (answers[0].status == 200) != (status // 1000 == 1):
        return f"HTTP {answers[0].status} with MM7 status {status}"
    return None


def mm7_successes(o: Observed) -> int:
    """Answers in ``o`` that tell the sender its MM7 request was taken."""
    return sum(1 for a in http_answers(o.data) if a.status == 200 and _mm7_of(a)[0] == 1000)


def describe_mm7(o: Observed) -> str:
    base = describe_http(o)
    statuses = [_mm7_of(a)[0] for a in http_answers(o.data) if a.body.lstrip().startswith(b"<")]
    return f"MM7 {'/'.join(map(str, statuses))} ({base})" if statuses else base


#: What every MM7 endpoint answers to a body it cannot take: Message format corrupt,
#: or, when the envelope parsed, a validation / unsupported-operation / version error.
MM7_CONTENT_FAULTS = (2007, 4002, 4003, 4004)


# --------------------------------------------------------------------------- the battery


def valid_mm7(
    path: str, message: mm7.MM7Message, credentials: Credentials | None = None
) -> ValidRequest:
    encoded = mm7.encode(message, parts=getattr(message, "parts", ()))
    headers = [("SOAPAction", encoded.soap_action)]
    if credentials is not None:
        headers.append(("Authorization", credentials.header()))
    return ValidRequest(path, encoded.body, encoded.content_type, tuple(headers))


def mm7_bodies(valid: ValidRequest) -> dict[str, tuple[str, bytes, bool]]:
    """Content cases: right framing, wrong body. The valid body carries 'é' in a text field.

    Each is (content type, body, may pass): the lenient codec reads a few odd
    but unambiguous bodies (no Content-Type, UTF-16 declared in the XML, a
    Latin-1 declaration over UTF-8 bytes) and notes a deviation.
    """
    text = valid.body.decode("utf-8")
    assert "é" in text, "the valid MM7 body must carry a non-ASCII character"
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>'), "a bare SOAP envelope"
    xml_ct = "text/xml; charset=utf-8"
    latin1_declared = text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"', 1)
    return {
        "Content-Type text/plain": ("text/plain", valid.body, False),
        "Content-Type application/json": ("application/json", valid.body, False),
        "Content-Type image/gif": ("image/gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", False),
        "no Content-Type": ("", valid.body, True),
        "empty body": (xml_ct, b"", False),
        "body not XML": (xml_ct, b"hello, this is not XML at all\r\n", False),
        "XML, not SOAP": (xml_ct, b'<?xml version="1.0"?><note><to>mm7</to></note>', False),
        "SOAP, empty Body": (
            xml_ct,
            b'<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">'
            b"<env:Body/></env:Envelope>",
            False,
        ),
        "invalid UTF-8": (xml_ct, valid.body.replace("é".encode(), b"\xff\xfe\xc3("), False),
        "UTF-16 without BOM": (
            "text/xml; charset=utf-16",
            text.replace('encoding="UTF-8"', 'encoding="UTF-16"', 1).encode("utf-16-le"),
            True,
        ),
        "charset lie: UTF-8 said, Latin-1 sent": (xml_ct, text.encode("latin-1"), False),
        "charset lie: Latin-1 said, UTF-8 sent": (xml_ct, latin1_declared.encode(), True),
        "DTD / entity expansion": (
            xml_ct,
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>',
            False,
        ),
    }


def mm7_cases(valid: ValidRequest, limits: HttpLimits | None = None) -> list[Case]:
    """The battery for an MM7 endpoint that takes ``valid``: HTTP framing and MM7 content."""
    return http_cases(
        valid,
        limits or TEST_LIMITS,
        mm7_answer(*MM7_CONTENT_FAULTS),
        f"HTTP 500 + Fault {'/'.join(map(str, MM7_CONTENT_FAULTS))}",
        answer=any_mm7_answer,
        bodies=mm7_bodies(valid),
    )


# --------------------------------------------------------------------------- the network

#: Limits the hostile tests run with: short timers so timeouts are seen quickly.
TEST_LIMITS = HttpLimits(header_timeout_ms=500, body_timeout_ms=800)

#: Report-routing timers (ms) for the hostile tests.
PIXIT: dict[str, int] = {
    "report_expiry_ms": 5000,
    "report_retry_initial_ms": 10,
    "report_retry_max_ms": 100,
    "report_timeout_ms": 5000,
    "settle_ms": 50,
}

#: How long a probe waits for what must happen (ms): generous, normally never reached.
WAIT_MS = 10_000


def make_profile(**pixit: Any) -> ReportRoutingProfile:
    rr = load_profile().report_routing
    rr.pixit.update(PIXIT)
    rr.pixit.update(pixit)
    return rr


def endpoints_of(net: ReportRoutingNet) -> list[Any]:
    """Every MM7Endpoint the embedded network listens with."""
    services: list[Any] = [net.sp, *net.mmscs.values()]
    if net.farm is not None:
        services += list(net.farm.servers.values())
    return [s.endpoint for s in services]


@asynccontextmanager
async def hostile_net(
    limits: HttpLimits = TEST_LIMITS, seed: int = 11, **pixit: Any
) -> AsyncIterator[ReportRoutingNet]:
    """A started embedded network whose endpoints take ``limits`` from now on."""
    net = ReportRoutingNet(make_profile(**pixit), TraceRecorder(), seed)
    await net.start()
    for endpoint in endpoints_of(net):
        endpoint.limits = limits
    try:
        yield net
    finally:
        await net.stop()
