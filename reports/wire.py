"""Wire conformance of the SUT: every MM7 message a SUT role sent, decoded strictly
on the side, its deviations listed per scenario and summed per SUT role.

The scenarios judge behaviour (who got which report); this judges form. A
peer's lenient decoding lets a deviating message through, so a scenario can
pass on a message a stricter peer would refuse: the side decoder reads each
such message again with the codec in strict mode and keeps what it found.
Which trace roles are the SUT, and which release the SUT is configured for,
the area says (``WireView``): the report sums per role the SUT plays ("MMS
gateway"), whether an embedded reference, a baseline or a vendor's product
plays it.

Sans-IO like the codec: it reads recorded trace events, never a socket.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.trace import TraceEvent

#: The codes of an entry that is not a schema deviation but the reason nothing could be
#: read (not HTTP, no body, not MM7 at all): still a finding, counted like a deviation.
UNREADABLE = "unreadable-http"

#: How a profile treats a deviation: "warn" lists it, "fail" also fails clause ``wire``.
WIRE_MODES = ("warn", "fail")

#: The clause a scenario fails when ``[profile] wire = "fail"`` and its SUT deviated.
WIRE_CLAUSE = "wire"

# A release's name is the namespace's last segment (REL-6-MM7-1-4).
_RELEASE = re.compile(r"/(REL-\d+-MM7-\d+-\d+)$")
# Where a namespace is declared in bytes the codec refused before reading the body.
_NS_IN_XML = re.compile(
    rb"(http://www\.3gpp\.org/ftp/Specs/archive/23_series/23\.140/schema/"
    rb"REL-\d+-MM7-\d+-\d+)"
)
_OPERATION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z]+(?:Req|Rsp)|Fault)[\s/>]")


@dataclass(frozen=True)
class WireView:
    """How the side decoder reads one area's MM7 traffic.

    ``sut_role`` maps a trace role name (``MMSG-180``) to the SUT role it plays
    ("MMS gateway"), or None for the harness's own roles (the SP, the MMSCs),
    whose messages are not the SUT's to answer for. ``namespace`` is the
    release the SUT is configured for: a message in another release is one
    deviation (``namespace-mismatch``) and is judged by its own release's rules.
    """

    sut_role: Callable[[str], str | None]
    namespace: str = mm7.DEFAULT_NAMESPACE


@dataclass(frozen=True)
class WireFinding:
    """One deviation of one message (the codec's ``Deviation``, as the report shows it)."""

    code: str
    element: str
    detail: str


@dataclass(frozen=True)
class WireMessage:
    """One MM7 message a SUT role sent, as the strict side decoder judged it."""

    seq: int  # the trace event's sequence number: the ladder shows it
    role: str  # the SUT role it plays, e.g. "MMS gateway"
    sender: str  # the trace role that sent it, e.g. "MMSG-180"
    receiver: str
    operation: str  # "SubmitReq", "DeliveryReportRsp", "Fault", "?" when unreadable
    release: str  # "REL-6-MM7-1-4", or "?" when no MM7 namespace could be found
    findings: tuple[WireFinding, ...] = ()
    #: It arrived while another scenario ran: counted for the SUT, never against this scenario.
    stray: bool = False

    @property
    def clean(self) -> bool:
        return not self.findings

    def line(self) -> str:
        """One line for a failure and the report: "#12 SubmitReq MMSG-180 -> MMSC-A (...): ..."."""
        what = "; ".join(f"{f.code} at {f.element}" for f in self.findings) or "clean"
        route = f"{self.sender} -> {self.receiver}"
        return f"#{self.seq} {self.operation} {route} ({self.release}): {what}"


@dataclass
class RoleSummary:
    """What the SUT sent in one role, over the run."""

    role: str
    senders: set[str] = field(default_factory=set)
    judged: int = 0
    clean: int = 0
    releases: dict[str, int] = field(default_factory=dict)
    operations: dict[str, int] = field(default_factory=dict)
    #: code -> (messages with it, an example "element: detail", the example's seq)
    deviations: dict[str, tuple[int, str, int]] = field(default_factory=dict)
    scenarios_with_deviations: int = 0


# --------------------------------------------------------------------------- reading


def _http_parts(raw: bytes) -> tuple[dict[str, str], bytes] | None:
    """The headers (lower-cased names, last one wins) and body of one recorded HTTP message."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = raw.partition(b"\n\n")
        if not sep:
            return None
    lines = head.decode("latin-1").splitlines()
    if not lines or not (lines[0].startswith("HTTP/") or " HTTP/" in lines[0]):
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _dechunk(body)
    elif headers.get("content-length", "").isdigit():
        body = body[: int(headers["content-length"])]
    return headers, body


def _dechunk(body: bytes) -> bytes:
    """A chunked body's data (RFC 9112 §7.1); what cannot be read ends it."""
    out = bytearray()
    rest = body
    while rest:
        size_line, sep, rest = rest.partition(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip() or b"x", 16)
        except ValueError:
            break
        if not sep or size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2 :]
    return bytes(out)


def _release_of(namespace: str | None) -> str:
    if not namespace:
        return "?"
    m = _RELEASE.search(namespace)
    return m.group(1) if m else namespace


def judge_message(
    raw: bytes, namespace: str = mm7.DEFAULT_NAMESPACE
) -> tuple[str, str, tuple[WireFinding, ...]]:
    """(operation, release, findings) of one recorded MM7 HTTP message, decoded strictly.

    Every deviation strict decoding names is a finding (all of them, the
    codec lists them at once). The operation and release come from a lenient
    read when strict refuses, and from the bytes when even lenient cannot read
    them, so a refused message is still counted under its release.
    """
    parts = _http_parts(raw)
    if parts is None:
        return "?", "?", (WireFinding(UNREADABLE, "HTTP", "not an HTTP message with a body"),)
    headers, body = parts
    content_type = headers.get("content-type", "")
    # SOAPAction is a request header (SOAP 1.1 §6.1.1): on a response it means nothing,
    # so a response is not judged on it.
    soap_action = None if raw.startswith(b"HTTP/") else headers.get("soapaction")
    strict = mm7.CodecConfig(namespace=namespace, mode=mm7.Mode.STRICT)
    try:
        decoded = mm7.decode(body, content_type, soap_action=soap_action, config=strict)
    except mm7.MM7Error as err:
        findings = tuple(WireFinding(d.code, d.element, d.detail) for d in err.deviations)
    else:
        return _operation_of(decoded.message), _release_of(decoded.message.namespace), ()
    lenient = mm7.CodecConfig(namespace=namespace, mode=mm7.Mode.LENIENT)
    try:
        message = mm7.decode(body, content_type, soap_action=soap_action, config=lenient).message
    except mm7.MM7Error:
        ns = _NS_IN_XML.search(body)
        op = _OPERATION.search(body)
        return (
            op.group(1).decode() if op else "?",
            _release_of(ns.group(1).decode() if ns else None),
            findings,
        )
    return _operation_of(message), _release_of(message.namespace), findings


def _operation_of(message: mm7.MM7Message) -> str:
    return "Fault" if isinstance(message, mm7.SoapFault) else type(message).__name__


def judge_events(
    events: Iterable[TraceEvent], view: WireView, *, only_sut: bool = True
) -> list[WireMessage]:
    """Every MM7 message in ``events`` a SUT role sent, judged (in trace order).

    ``only_sut=False`` judges the harness's own messages too (a test of the
    reference's emulators), with the sender's role name as its role.
    """
    judged: list[WireMessage] = []
    for event in events:
        if event.protocol != "MM7":
            continue
        role = view.sut_role(event.src.role)
        if role is None:
            if only_sut:
                continue
            role = f"harness: {event.src.role}"
        operation, release, findings = judge_message(event.raw, view.namespace)
        judged.append(
            WireMessage(
                seq=event.seq,
                role=role,
                sender=event.src.role,
                receiver=event.dst.role,
                operation=operation,
                release=release,
                findings=findings,
                stray=event.stray,
            )
        )
    return judged


def counted(messages: Sequence[WireMessage]) -> list[WireMessage]:
    """The messages that count against the scenario: its own, not strays of another one."""
    return [m for m in messages if not m.stray and m.findings]


def wire_violation_text(messages: Sequence[WireMessage], limit: int = 3) -> tuple[str, str]:
    """(expected, seen) for clause ``wire``: how many deviated, naming the first few."""
    bad = counted(messages)
    shown = "; ".join(m.line() for m in bad[:limit])
    more = f"; and {len(bad) - limit} more" if len(bad) > limit else ""
    total = sum(1 for m in messages if not m.stray)
    return (
        "every MM7 message the SUT sends conforms to its release's schema (strict decoding)",
        f"{len(bad)} of {total} deviate: {shown}{more}",
    )


def summarize(per_scenario: Iterable[Sequence[WireMessage]]) -> list[RoleSummary]:
    """Per SUT role, over the run: messages judged, releases, each deviation's count."""
    roles: dict[str, RoleSummary] = {}
    for messages in per_scenario:
        deviated_in: set[str] = set()
        for m in messages:
            s = roles.setdefault(m.role, RoleSummary(m.role))
            s.senders.add(m.sender)
            s.judged += 1
            s.clean += m.clean
            s.releases[m.release] = s.releases.get(m.release, 0) + 1
            s.operations[m.operation] = s.operations.get(m.operation, 0) + 1
            seen_codes: set[str] = set()
            for f in m.findings:
                if f.code in seen_codes:
                    continue  # a count of messages, not of occurrences
                seen_codes.add(f.code)
                n, example, seq = s.deviations.get(f.code, (0, f"{f.element}: {f.detail}", m.seq))
                s.deviations[f.code] = (n + 1, example, seq)
            if m.findings and not m.stray:
                deviated_in.add(m.role)
        for role in deviated_in:
            roles[role].scenarios_with_deviations += 1
    return list(roles.values())
