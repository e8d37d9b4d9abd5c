"""Typed MM7 messages (3GPP TS 23.140 SOAP binding), the codec's error, and the
one-line summaries traces show of them.

These are plain values: the rest of the package turns bytes into them and
back. Field names follow the schema's element names in snake case.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
_NS_BASE = "http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/"

#: The eleven MM7 namespaces seen in the field, oldest first: REL-5-MM7-1-0
#: to 1-5 and REL-6-MM7-1-0 to 1-4.
MM7_NAMESPACES: tuple[str, ...] = (
    *(f"{_NS_BASE}REL-5-MM7-1-{minor}" for minor in range(6)),
    *(f"{_NS_BASE}REL-6-MM7-1-{minor}" for minor in range(5)),
)

DEFAULT_NAMESPACE = f"{_NS_BASE}REL-6-MM7-1-4"
DEFAULT_VERSION = "6.8.0"


def is_rel6(namespace: str) -> bool:
    """REL-6 namespaces carry ApplicID / ReplyApplicID / AuxApplicInfo."""
    return "/REL-6-MM7-" in namespace


class StatusCode(enum.IntEnum):
    """MM7 request status codes (TS 23.140 Table 'Request status codes')."""

    SUCCESS = 1000
    PARTIAL_SUCCESS = 1100
    CLIENT_ERROR = 2000
    OPERATION_RESTRICTED = 2001
    ADDRESS_ERROR = 2002
    ADDRESS_NOT_FOUND = 2003
    MULTIMEDIA_CONTENT_REFUSED = 2004
    MESSAGE_ID_NOT_FOUND = 2005
    LINKED_ID_NOT_FOUND = 2006
    MESSAGE_FORMAT_CORRUPT = 2007
    SERVER_ERROR = 3000
    NOT_POSSIBLE = 3001
    MESSAGE_REJECTED = 3002
    MULTIPLE_ADDRESSES_NOT_SUPPORTED = 3003
    GENERAL_SERVICE_ERROR = 4000
    IMPROPER_IDENTIFICATION = 4001
    UNSUPPORTED_VERSION = 4002
    UNSUPPORTED_OPERATION = 4003
    VALIDATION_ERROR = 4004
    SERVICE_ERROR = 4005
    SERVICE_UNAVAILABLE = 4006
    SERVICE_DENIED = 4007


STATUS_TEXT: dict[int, str] = {
    1000: "Success",
    1100: "Partial success",
    2000: "Client error",
    2001: "Operation restricted",
    2002: "Address Error",
    2003: "Address Not Found",
    2004: "Multimedia content refused",
    2005: "Message ID Not found",
    2006: "LinkedID not found",
    2007: "Message format corrupt",
    3000: "Server Error",
    3001: "Not Possible",
    3002: "Message rejected",
    3003: "Multiple addresses not supported",
    4000: "General service error",
    4001: "Improper identification",
    4002: "Unsupported version",
    4003: "Unsupported operation",
    4004: "Validation error",
    4005: "Service error",
    4006: "Service unavailable",
    4007: "Service denied",
}

#: MMStatus of a ReadReplyReq (mmReadStatusType).
READ_STATUSES = ("Indeterminate", "Read", "Deleted")

MM_STATUSES = (
    "Expired",
    "Retrieved",
    "Rejected",
    "Indeterminate",
    "Forwarded",
    "DeliveryConditionNotMet",
    "Deferred",
    "Unrecognised",
)


class MM7Error(Exception):
    """A message the codec will not accept.

    ``element`` names the offending element or header (e.g. ``"MessageID"``,
    ``"TransactionID@mustUnderstand"``, ``"Content-Type"``), ``status`` is the
    MM7 status code the peer should receive for it.

    Strict decoding reads a message to its end and refuses it once, listing
    every deviation it found in ``deviations`` (so a vendor fixes them in one
    go); ``element``, ``reason`` and ``status`` are then the first one's. When
    reading stopped at something no mode can read past, that fault is the
    last entry, with the code ``"refused"``. An error that stopped reading
    before any deviation lists just itself.
    """

    def __init__(
        self,
        element: str,
        reason: str,
        status: int = StatusCode.VALIDATION_ERROR,
        *,
        deviations: tuple[Deviation, ...] = (),
    ):
        found = deviations or (Deviation(REFUSED, element, reason, int(status)),)
        text = f"{element}: {reason} (MM7 status {status})"
        if len(found) > 1:
            rest = "; ".join(f"{d.element}: {d.detail}" for d in found[1:])
            text += f"; {len(found) - 1} more: {rest}"
        super().__init__(text)
        self.element = element
        self.reason = reason
        self.status = int(status)
        self.deviations = found

    @classmethod
    def of(cls, deviations: tuple[Deviation, ...]) -> MM7Error:
        """One error for everything a strict decode found, the first one leading."""
        first = deviations[0]
        return cls(first.element, first.detail, first.status, deviations=deviations)


#: The code of the entry that stopped reading, in ``MM7Error.deviations``.
REFUSED = "refused"

# Characters XML 1.0 cannot carry (C0 controls but tab/LF/CR, surrogates, U+FFFE/F):
# a reason quoting a peer's bytes must not make the answer unwritable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def error_details(error: MM7Error, limit: int = 480) -> str:
    """What a fault's Status/Details tells the peer: each failing element and
    why, "element: reason; ...", in the order found.

    Details is xs:any in the schema; plain text is the part of it every peer
    reads. Each entry is cut at 120 characters and the whole at ``limit``, so
    the answer stays short whatever the request held.
    """
    entries = []
    for d in error.deviations:
        entry = f"{d.element}: {d.detail}"
        entries.append(entry if len(entry) <= 120 else entry[:119] + "\u2026")
    text = _NOT_XML.sub("?", "; ".join(entries))
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


@dataclass(frozen=True)
class Deviation:
    """A departure from the schema that lenient mode accepted and recorded."""

    code: str  # stable identifier, e.g. "soapaction-namespace", "status-before-version"
    element: str
    detail: str
    # The status strict mode refuses it with; not part of what was accepted.
    status: int = field(default=StatusCode.VALIDATION_ERROR, compare=False)


@dataclass(frozen=True)
class Address:
    """One address of an addressType: Number, RFC2822Address or ShortCode."""

    value: str
    kind: str = "Number"  # "Number" | "RFC2822Address" | "ShortCode"


@dataclass(frozen=True)
class Status:
    code: int
    text: str = ""
    details: str | None = None

    @classmethod
    def of(cls, code: int, text: str | None = None) -> Status:
        return cls(int(code), text if text is not None else STATUS_TEXT.get(int(code), ""))

    @property
    def ok(self) -> bool:
        return self.code // 1000 == 1


@dataclass(frozen=True)
class ContentPart:
    """A MIME part of a multipart/related MM7 request, referenced by cid:."""

    content_id: str  # without angle brackets
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Envelope:
    """What every MM7 message shares: the SOAP header and the namespace used."""

    transaction_id: str
    namespace: str = DEFAULT_NAMESPACE
    version: str = DEFAULT_VERSION


@dataclass(frozen=True)
class SubmitReq(Envelope):
    vasp_id: str | None = None
    vas_id: str | None = None
    sender_address: Address | None = None
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()
    service_code: str | None = None
    linked_id: str | None = None
    message_class: str | None = None
    delivery_report: bool | None = None
    read_reply: bool | None = None
    priority: str | None = None
    subject: str | None = None
    applic_id: str | None = None
    reply_applic_id: str | None = None
    aux_applic_info: str | None = None
    # xs:dateTime or xs:duration (e.g. "P2D") as on the wire.
    earliest_delivery_time: str | None = None
    expiry_date: str | None = None
    content_href: str | None = None  # "cid:..." as written in <Content href>
    parts: tuple[ContentPart, ...] = ()

    @property
    def recipients(self) -> tuple[Address, ...]:
        return self.to + self.cc + self.bcc


@dataclass(frozen=True)
class SubmitRsp(Envelope):
    status: Status = field(default_factory=lambda: Status.of(1000))
    message_id: str | None = None


@dataclass(frozen=True)
class DeliveryReportReq(Envelope):
    message_id: str = ""
    recipient: Address = Address("")
    sender: Address = Address("")
    date: str = ""  # xs:dateTime as on the wire
    mm_status: str = "Retrieved"
    relay_server_id: str | None = None
    status_text: str | None = None
    applic_id: str | None = None
    reply_applic_id: str | None = None
    aux_applic_info: str | None = None


@dataclass(frozen=True)
class DeliveryReportRsp(Envelope):
    status: Status = field(default_factory=lambda: Status.of(1000))


@dataclass(frozen=True)
class DeliverReq(Envelope):
    """A message from a handset to the SP (MM7_deliver.REQ), relay -> VASP."""

    sender: Address = Address("")
    relay_server_id: str | None = None
    vasp_id: str | None = None  # Rel-6
    vas_id: str | None = None  # Rel-6
    linked_id: str | None = None
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()
    timestamp: str | None = None  # xs:dateTime as on the wire
    reply_charging_id: str | None = None
    priority: str | None = None
    subject: str | None = None
    applic_id: str | None = None
    reply_applic_id: str | None = None
    aux_applic_info: str | None = None
    content_href: str | None = None
    parts: tuple[ContentPart, ...] = ()

    @property
    def recipients(self) -> tuple[Address, ...]:
        return self.to + self.cc + self.bcc


@dataclass(frozen=True)
class DeliverRsp(Envelope):
    status: Status = field(default_factory=lambda: Status.of(1000))
    service_code: str | None = None


@dataclass(frozen=True)
class CancelReq(Envelope):
    """Cancel a message the VASP submitted and the relay has not delivered yet."""

    message_id: str = ""
    vasp_id: str | None = None
    vas_id: str | None = None
    sender_address: Address | None = None
    applic_id: str | None = None
    reply_applic_id: str | None = None
    aux_applic_info: str | None = None


@dataclass(frozen=True)
class CancelRsp(Envelope):
    status: Status = field(default_factory=lambda: Status.of(1000))


@dataclass(frozen=True)
class ReplaceReq(Envelope):
    """Replace a message the VASP submitted; may carry new content."""

    message_id: str = ""
    vasp_id: str | None = None
    vas_id: str | None = None
    sender_address: Address | None = None
    service_code: str | None = None
    timestamp: str | None = None
    read_reply: bool | None = None
    earliest_delivery_time: str | None = None
    distribution_indicator: bool | None = None
    applic_id: str | None = None
    reply_applic_id: str | None = None
    aux_applic_info: str | None = None
    content_href: str | None = None
    parts: tuple[ContentPart, ...] = ()


@dataclass(frozen=True)
class ReplaceRsp(Envelope):
    status: Status = field(default_factory=lambda: Status.of(1000))


@dataclass(frozen=True)
class ReadReplyReq(Envelope):
    """A recipient's read report (MM7_read_reply.REQ), relay -> VASP."""

    message_id: str = ""
    recipient: Address = Address("")
    sender: Address = Address("")
    timestamp: str = ""  # xs:dateTime as on the wire (TimeStamp, not Date)
    mm_status: str = "Read"  # Indeterminate | Read | Deleted
    relay_server_id: str | None = None
    status_text: str | None = None
    applic_id: str | None = None
    reply_applic_id: str | None = None
    aux_applic_info: str | None = None


@dataclass(frozen=True)
class ReadReplyRsp(Envelope):
    status: Status = field(default_factory=lambda: Status.of(1000))


@dataclass(frozen=True)
class ExtendedCancelReq(Envelope):
    """REL-6 extendedCancelReq: cancel by CancelID (the wire name starts lower case)."""

    cancel_id: str = ""
    vasp_id: str | None = None
    vas_id: str | None = None
    sender_address: Address | None = None


@dataclass(frozen=True)
class ExtendedCancelRsp(Envelope):
    status: Status = field(default_factory=lambda: Status.of(1000))


@dataclass(frozen=True)
class ExtendedReplaceReq(Envelope):
    """REL-6 extendedReplaceReq: VASPID/VASID straight in it, no SenderIdentification."""

    vasp_id: str | None = None
    vas_id: str | None = None
    service_code: str | None = None
    replace_id: str | None = None
    timestamp: str | None = None
    earliest_delivery_time: str | None = None
    expiry_date: str | None = None
    read_reply: bool | None = None
    delivery_report: bool | None = None
    content_href: str | None = None
    parts: tuple[ContentPart, ...] = ()


@dataclass(frozen=True)
class ExtendedReplaceRsp(Envelope):
    """MessageID (mandatory) comes before Status here, unlike SubmitRsp."""

    status: Status = field(default_factory=lambda: Status.of(1000))
    message_id: str = ""


@dataclass(frozen=True)
class RSErrorRsp(Envelope):
    status: Status = field(default_factory=lambda: Status.of(3000))


@dataclass(frozen=True)
class VASPErrorRsp(Envelope):
    status: Status = field(default_factory=lambda: Status.of(3000))


@dataclass(frozen=True)
class SoapFault(Envelope):
    """A SOAP 1.1 Fault, whose detail holds RSErrorRsp or VASPErrorRsp."""

    faultcode: str = "env:Server"
    faultstring: str = "Server error"
    detail: RSErrorRsp | VASPErrorRsp | None = None

    @property
    def status(self) -> Status | None:
        return self.detail.status if self.detail is not None else None


MM7Message = (
    SubmitReq
    | SubmitRsp
    | DeliverReq
    | DeliverRsp
    | CancelReq
    | CancelRsp
    | ReplaceReq
    | ReplaceRsp
    | ReadReplyReq
    | ReadReplyRsp
    | ExtendedCancelReq
    | ExtendedCancelRsp
    | ExtendedReplaceReq
    | ExtendedReplaceRsp
    | DeliveryReportReq
    | DeliveryReportRsp
    | RSErrorRsp
    | VASPErrorRsp
    | SoapFault
)


@dataclass(frozen=True)
class Decoded:
    """A decoded message and the deviations lenient mode accepted on the way."""

    message: MM7Message
    deviations: tuple[Deviation, ...] = ()


@dataclass(frozen=True)
class Encoded:
    """Bytes ready for an HTTP body, with the headers they need."""

    content_type: str
    body: bytes
    soap_action: str = '""'


# --------------------------------------------------------------------------- traces


def status_of(message: MM7Message) -> int | None:
    """The StatusCode of a response or fault; None for requests and bare faults."""
    status = getattr(message, "status", None)
    return status.code if isinstance(status, Status) else None


def summary(message: MM7Message) -> str:
    """One line for traces, e.g. "SubmitRsp 1000 MessageID=M1 tid=T1"."""
    m = message
    if isinstance(m, SubmitReq):
        line = f"SubmitReq tid={m.transaction_id} to={len(m.recipients)}"
        if m.vasp_id is not None:
            line += f" VASPID={m.vasp_id}"
        if m.parts:
            line += f" parts={len(m.parts)}"
        return _one_line(line)
    if isinstance(m, SubmitRsp):
        line = f"SubmitRsp {m.status.code}"
        if m.message_id is not None:
            line += f" MessageID={m.message_id}"
    elif isinstance(m, DeliveryReportReq | ReadReplyReq):
        line = f"{type(m).__name__} MessageID={m.message_id} {m.mm_status}"
    elif isinstance(m, DeliverReq):
        line = f"DeliverReq from={m.sender.value} to={len(m.recipients)}"
        if m.parts:
            line += f" parts={len(m.parts)}"
    elif isinstance(m, CancelReq | ReplaceReq):
        line = f"{type(m).__name__} MessageID={m.message_id}"
        if isinstance(m, ReplaceReq) and m.parts:
            line += f" parts={len(m.parts)}"
    elif isinstance(m, ExtendedCancelReq):
        line = f"extendedCancelReq CancelID={m.cancel_id}"
    elif isinstance(m, ExtendedReplaceReq):
        line = f"extendedReplaceReq ReplaceID={m.replace_id}"
        if m.parts:
            line += f" parts={len(m.parts)}"
    elif isinstance(m, ExtendedReplaceRsp):
        line = f"extendedReplaceRsp {m.status.code}"
        if m.message_id is not None:
            line += f" MessageID={m.message_id}"
    elif isinstance(m, SoapFault):
        if m.detail is not None:
            line = f"Fault {m.detail.status.code} {m.detail.status.text}"
        else:
            line = f"Fault {m.faultcode} {m.faultstring}"
    else:
        name = type(m).__name__
        if name.startswith("Extended"):  # the wire name starts lower case
            name = "e" + name[1:]
        line = f"{name} {m.status.code} {m.status.text}"
    return _one_line(f"{line} tid={m.transaction_id}")


def _one_line(text: str) -> str:
    return " ".join(text.split())
