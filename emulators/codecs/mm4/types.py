"""The MM4 messages as typed values, their addresses, errors and trace summaries.

Six messages (3GPP TS 23.140 §8.4): MM4_forward.REQ/.RES,
MM4_delivery_report.REQ/.RES, MM4_read_reply_report.REQ/.RES, each an RFC
5322 message whose X-Mms-* headers carry the information elements. Header
values are kept as written (dates, message ids), so a relay that decodes and
re-encodes changes nothing it did not mean to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: The 3GPP MMS version the harness writes (23.140 V6.10.0, the last Rel-6).
DEFAULT_VERSION = "6.10.0"

FORWARD_REQ = "MM4_forward.REQ"
FORWARD_RES = "MM4_forward.RES"
DELIVERY_REPORT_REQ = "MM4_delivery_report.REQ"
DELIVERY_REPORT_RES = "MM4_delivery_report.RES"
READ_REPLY_REQ = "MM4_read_reply_report.REQ"
READ_REPLY_RES = "MM4_read_reply_report.RES"
MESSAGE_TYPES = (
    FORWARD_REQ,
    FORWARD_RES,
    DELIVERY_REPORT_REQ,
    DELIVERY_REPORT_RES,
    READ_REPLY_REQ,
    READ_REPLY_RES,
)

#: X-Mms-Request-Status-Code values (23.140 §8.4.1.4 and after).
REQUEST_STATUSES = (
    "Ok",
    "Error-unspecified",
    "Error-service-denied",
    "Error-message-format-corrupt",
    "Error-sending-address-unresolved",
    "Error-message-not-found",
    "Error-network-problem",
    "Error-content-not-accepted",
    "Error-unsupported-message",
)
#: X-Mms-MM-Status-Code values of a delivery report.
MM_STATUSES = (
    "Expired",
    "Retrieved",
    "Rejected",
    "Deferred",
    "Indeterminate",
    "Forwarded",
    "Unrecognised",
)
#: X-Mms-Read-Status values of a read-reply report.
READ_STATUSES = ("Read", "Deleted")
PRIORITIES = ("Low", "Normal", "High")
MESSAGE_CLASSES = ("Personal", "Advertisement", "Informational", "Auto")
VISIBILITIES = ("Hide", "Show")


class MM4Error(Exception):
    """A message the codec will not accept (or cannot write).

    ``field`` names the header (``"X-Mms-Message-ID"``, ``"To"``,
    ``"Content-Type@boundary"``) or ``"message"`` for the whole; ``reason``
    says what is wrong. ``smtp_reply`` is what a receiving MMSC answers.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    @property
    def smtp_reply(self) -> str:
        """554 5.6.0 (RFC 3463: media error) naming the field: one line of printable ASCII
        (an SMTP reply is ASCII), at most 400 characters of text."""
        text = " ".join(f"MM4 {self.field}: {self.reason}".split())
        text = "".join(c if " " <= c <= "~" else "?" for c in text)
        return f"554 5.6.0 {text[:400]}"


@dataclass(frozen=True)
class Deviation:
    """A departure from 23.140 that lenient mode accepted and recorded."""

    code: str  # a key of rules.DEVIATION_CODES
    field: str
    detail: str


# --- addresses ----------------------------------------------------------------------------

_NUMBER = re.compile(r"\+?[0-9]{1,20}")
_IPV4 = re.compile(r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}")
_IPV6 = re.compile(r"[0-9A-Fa-f:.]{2,45}")
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_TYPED = re.compile(r"(?P<value>[^/]+)/TYPE=(?P<kind>[A-Za-z0-9]+)")


@dataclass(frozen=True)
class Address:
    """An MM4 address: ``+8613800000001/TYPE=PLMN@mms.mnc001.mcc460.gprs``, an IPv4 or
    IPv6 one (``/TYPE=IPv4``), or a plain RFC 5322 one (``system-user@mms...``)."""

    local: str  # the local part as written, with /TYPE=... when typed
    domain: str

    def __str__(self) -> str:
        return f"{self.local}@{self.domain}"

    @property
    def kind(self) -> str:
        """``PLMN``, ``IPv4``, ``IPv6`` or ``email``."""
        typed = _TYPED.fullmatch(self.local)
        return typed.group("kind") if typed else "email"

    @property
    def value(self) -> str:
        """The number (or IP address) without ``/TYPE=``; the local part for email."""
        typed = _TYPED.fullmatch(self.local)
        return typed.group("value") if typed else self.local

    @classmethod
    def plmn(cls, number: str, domain: str) -> Address:
        return cls(f"{number}/TYPE=PLMN", domain)

    @classmethod
    def parse(cls, text: str) -> Address:
        """``local@domain`` checked as 23.140 §8.4.x and RFC 5322 write it; MM4Error if not."""
        local, at, domain = text.strip().rpartition("@")
        if not at or not local:
            raise MM4Error("address", f"{_shown(text)} is not local@domain")
        if not _DOMAIN.fullmatch(domain):
            raise MM4Error("address", f"{_shown(domain)} is not a domain name")
        typed = _TYPED.fullmatch(local)
        if typed is not None:
            kind, value = typed.group("kind"), typed.group("value")
            check = {"PLMN": _NUMBER, "IPv4": _IPV4, "IPv6": _IPV6}.get(kind)
            if check is None:
                raise MM4Error("address", f"unknown address TYPE={kind} in {_shown(text)}")
            if not check.fullmatch(value):
                raise MM4Error("address", f"{_shown(value)} is not a {kind} address")
        elif not _DOT_ATOM.fullmatch(local):
            raise MM4Error("address", f"{_shown(local)} is not a valid local part")
        return cls(local, domain)


def mms_domain(mnc: int, mcc: int) -> str:
    """The MMS domain of an operator: ``mms.mnc001.mcc460.gprs`` (23.140 §8.4.5, 23.003)."""
    return f"mms.mnc{mnc:03d}.mcc{mcc:03d}.gprs"


def _shown(text: str) -> str:
    text = text if len(text) <= 60 else text[:57] + "..."
    return repr(text)


# --- content ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    """The body of a forwarded MM as on the wire: its Content-Type, its transfer encoding
    (None for a multipart, whose parts carry their own) and the bytes after the headers."""

    content_type: str
    body: bytes
    transfer_encoding: str | None = None


# --- the messages -------------------------------------------------------------------------

Header = tuple[str, str]


@dataclass(frozen=True)
class Mm4Message:
    """What every MM4 message has; ``extra`` holds the other headers (Received, Sender,
    Message-ID, ...) in order, as written."""

    transaction_id: str
    message_id: str
    version: str = DEFAULT_VERSION
    extra: tuple[Header, ...] = field(default=(), kw_only=True)

    message_type = ""  # each class's X-Mms-Message-Type

    @property
    def is_request(self) -> bool:
        return self.message_type.endswith(".REQ")


@dataclass(frozen=True)
class _Request(Mm4Message):
    sender: Address | None = field(default=None, kw_only=True)  # From
    to: tuple[Address, ...] = field(default=(), kw_only=True)
    date: str | None = field(default=None, kw_only=True)
    ack_request: bool | None = field(default=None, kw_only=True)
    originator_system: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class ForwardReq(_Request):
    cc: tuple[Address, ...] = field(default=(), kw_only=True)
    subject: str | None = field(default=None, kw_only=True)
    message_class: str | None = field(default=None, kw_only=True)
    priority: str | None = field(default=None, kw_only=True)
    expiry: str | None = field(default=None, kw_only=True)
    delivery_report: bool | None = field(default=None, kw_only=True)
    originator_rs_delivery_report: bool | None = field(default=None, kw_only=True)
    read_reply: bool | None = field(default=None, kw_only=True)
    sender_visibility: str | None = field(default=None, kw_only=True)
    forward_counter: int | None = field(default=None, kw_only=True)
    content: Content = field(default=Content("text/plain", b""), kw_only=True)

    message_type = FORWARD_REQ

    @property
    def recipients(self) -> tuple[Address, ...]:
        return self.to + self.cc


@dataclass(frozen=True)
class DeliveryReportReq(_Request):
    """From: the recipient of the original MM; To: its originator, who gets the report."""

    mm_status: str = field(default="Retrieved", kw_only=True)
    status_text: str | None = field(default=None, kw_only=True)

    message_type = DELIVERY_REPORT_REQ


@dataclass(frozen=True)
class ReadReplyReq(_Request):
    read_status: str = field(default="Read", kw_only=True)
    status_text: str | None = field(default=None, kw_only=True)

    message_type = READ_REPLY_REQ


@dataclass(frozen=True)
class _Response(Mm4Message):
    """A .RES goes by a new SMTP message to the request's X-Mms-Originator-System."""

    status: str = field(default="Ok", kw_only=True)  # X-Mms-Request-Status-Code
    status_text: str | None = field(default=None, kw_only=True)
    sender: Address | None = field(default=None, kw_only=True)  # From: the answering system
    to: tuple[Address, ...] = field(default=(), kw_only=True)  # the originator system
    date: str | None = field(default=None, kw_only=True)

    @property
    def ok(self) -> bool:
        return self.status == "Ok"


@dataclass(frozen=True)
class ForwardRes(_Response):
    message_type = FORWARD_RES


@dataclass(frozen=True)
class DeliveryReportRes(_Response):
    message_type = DELIVERY_REPORT_RES


@dataclass(frozen=True)
class ReadReplyRes(_Response):
    message_type = READ_REPLY_RES


MESSAGE_CLASSES_BY_TYPE: dict[str, type[Mm4Message]] = {
    FORWARD_REQ: ForwardReq,
    FORWARD_RES: ForwardRes,
    DELIVERY_REPORT_REQ: DeliveryReportReq,
    DELIVERY_REPORT_RES: DeliveryReportRes,
    READ_REPLY_REQ: ReadReplyReq,
    READ_REPLY_RES: ReadReplyRes,
}


@dataclass(frozen=True)
class Decoded:
    """A decoded message and the deviations lenient mode accepted on the way."""

    message: Mm4Message
    deviations: tuple[Deviation, ...] = ()


def summary(message: Mm4Message) -> str:
    """One line for traces: ``MM4_forward.REQ tid=T1 mid=M1 to=2 ack``."""
    m = message
    line = f"{m.message_type} tid={m.transaction_id} mid={m.message_id}"
    if isinstance(m, ForwardReq):
        line += f" to={len(m.recipients)}"
        if m.ack_request:
            line += " ack"
        if m.delivery_report:
            line += " dr"
    elif isinstance(m, DeliveryReportReq):
        line += f" {m.mm_status}"
    elif isinstance(m, ReadReplyReq):
        line += f" {m.read_status}"
    elif isinstance(m, _Response):
        line += f" {m.status}"
    return " ".join(line.split())
