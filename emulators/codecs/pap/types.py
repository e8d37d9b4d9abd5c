"""PAP (WAP Push Access Protocol 1.0 / 2.0 / 2.1) as typed values: messages, codes, deviations.

Facts: shared/WIRE-FACTS.md §6 (element and attribute names as Kannel's PAP
compiler knows them, the result codes Kannel uses, the DOCTYPE public ids
seen in the field). PAP has no XML namespace; every message is one child of
``<pap>``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Mode(StrEnum):
    """``strict`` refuses every deviation, naming it; ``lenient`` accepts and records it."""

    STRICT = "strict"
    LENIENT = "lenient"


# --- result codes ---------------------------------------------------------------------
# 1xxx success, 2xxx client (PI) errors, 3xxx server (PPG) errors, 4xxx service
# failures, 5xxx mobile device aborts. The ones Kannel uses are confirmed
# (WIRE-FACTS §6, H); the others are recalled from the PAP specification (L).
OK = 1000
ACCEPTED = 1001
BAD_REQUEST = 2000
FORBIDDEN = 2001
ADDRESS_ERROR = 2002
ADDRESS_NOT_FOUND = 2003
PUSH_ID_NOT_FOUND = 2004
CAPABILITIES_MISMATCH = 2005
REQUIRED_CAPABILITIES_NOT_SUPPORTED = 2006
DUPLICATE_PUSH_ID = 2007
CANCELLATION_NOT_POSSIBLE = 2008
INTERNAL_SERVER_ERROR = 3000
NOT_IMPLEMENTED = 3001
VERSION_NOT_SUPPORTED = 3002
NOT_POSSIBLE = 3003
TRANSFORMATION_FAILURE = 3006
REQUIRED_BEARER_NOT_AVAILABLE = 3010
SERVICE_FAILURE = 4000
SERVICE_UNAVAILABLE = 4001
CLIENT_ABORTED = 5000

RESULT_CODES: dict[int, str] = {
    OK: "The request succeeded",
    ACCEPTED: "The request has been accepted for processing",
    BAD_REQUEST: "Not understood due to malformed syntax",
    FORBIDDEN: "Request was refused",
    ADDRESS_ERROR: "The client specified was not recognised",
    ADDRESS_NOT_FOUND: "Address not found",
    PUSH_ID_NOT_FOUND: "Push id not found",
    CAPABILITIES_MISMATCH: "Capabilities assumed by PI were not acceptable for the client",
    REQUIRED_CAPABILITIES_NOT_SUPPORTED: "Required capabilities not supported",
    DUPLICATE_PUSH_ID: "Push id supplied was not unique",
    CANCELLATION_NOT_POSSIBLE: "Cancellation not possible",
    INTERNAL_SERVER_ERROR: "Internal server error",
    NOT_IMPLEMENTED: "Not implemented",
    VERSION_NOT_SUPPORTED: "Version not supported",
    NOT_POSSIBLE: "Not possible",
    TRANSFORMATION_FAILURE: "PPG was unable to perform a transformation of the message",
    REQUIRED_BEARER_NOT_AVAILABLE: "Required bearer not available",
    SERVICE_FAILURE: "The service failed",
    SERVICE_UNAVAILABLE: "The server is busy",
    CLIENT_ABORTED: "The mobile client aborted the operation",
}


def code_class(code: int) -> str:
    """'success', 'client-error', 'server-error', 'service-failure', 'client-aborted'."""
    return {
        1: "success",
        2: "client-error",
        3: "server-error",
        4: "service-failure",
        5: "client-aborted",
    }.get(code // 1000, "unknown")


#: resultnotification-message / statusquery-result message-state values.
MESSAGE_STATES = (
    "undeliverable",
    "pending",
    "expired",
    "delivered",
    "aborted",
    "timeout",
    "cancelled",
    "unknown",
)
PRIORITIES = ("high", "medium", "low")
DELIVERY_METHODS = ("confirmed", "preferconfirmed", "unconfirmed", "notspecified")
#: WDP Appendix C bearer names as PAP writes them, plus "SIP": no WDP bearer, the name
#: this kit's PI and PPG use for OMA push over SIP (a PPG that does not know it says so).
BEARERS = (
    "Any",
    "USSD",
    "SMS",
    "GUTS/R-Data",
    "CSD",
    "Packet Data",
    "GPRS",
    "CDPD",
    "FLEX",
    "SDS",
    "ReFLEX",
    "MPAK",
    "GHOST/R_DATA",
    "SIP",
)
NETWORKS = (
    "Any",
    "GSM",
    "ANSI-136",
    "IS-95 CDMA",
    "AMPS",
    "PDC",
    "IDEN",
    "Paging network",
    "PHS",
    "TETRA",
    "Mobitex",
)
#: PAP versions and the DOCTYPE each is written with.
DOCTYPES: dict[str, tuple[str, str]] = {
    "1.0": ("-//WAPFORUM//DTD PAP 1.0//EN", "http://www.wapforum.org/DTD/pap_1.0.dtd"),
    "2.0": ("-//WAPFORUM//DTD PAP 2.0//EN", "http://www.wapforum.org/DTD/pap_2.0.dtd"),
    "2.1": (
        "-//WAPFORUM//DTD PAP 2.1//EN",
        "http://www.openmobilealliance.org/tech/DTD/pap_2.1.dtd",
    ),
}
#: The media type of the PAP control entity.
PAP_MEDIA_TYPE = "application/xml"

#: Every deviation lenient mode accepts and records, and strict mode refuses naming it.
DEVIATION_CODES: dict[str, str] = {
    "doctype-missing": "no DOCTYPE: the PAP version is not declared",
    "doctype-no-version": 'a DOCTYPE public id without a version ("-//WAPFORUM//DTD PAP//EN")',
    "doctype-unknown": "a DOCTYPE public id no PAP version uses",
    "bearer-case": "a bearer or network name not in its registered spelling (e.g. 'sms')",
    "keyword-case": "an enumerated attribute value in the wrong case (TRUE, High, ...)",
    "typographic-quotes": "an attribute value delimited by typographic quotes (“…”)",
    "timestamp-format": "a timestamp not in the PAP form YYYY-MM-DDThh:mm:ssZ",
    "address-bare": "an address value that is a bare e-mail address, not WAPPUSH=…/TYPE=…@ppg",
    "address-keyword-case": "'wappush=' or '/type=' in lower case in an address value",
    "unknown-attribute": "an attribute PAP does not define on that element",
    "unknown-element": "an element PAP does not define at that place",
    "start-unquoted": "the multipart start parameter unquoted (start=<cid>)",
    "pap-not-first": "the PAP entity is not the first part of the multipart/related body",
    "pap-nested": "the PAP entity is inside a nested multipart",
    "pap-media-type": "the PAP entity labelled text/xml (or another XML type), not application/xml",
    "related-type-missing": "multipart/related without its type parameter",
}


class PapError(Exception):
    """A PAP document or request that cannot be accepted.

    ``field`` names the element or attribute ("push-message@push-id",
    "address@address-value", "multipart@start"); ``code`` is the PAP result
    code a PPG answers with (2000 for anything not well formed).
    """

    def __init__(
        self, field: str, reason: str, code: int = BAD_REQUEST, deviation: str | None = None
    ) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.code = code
        #: When strict mode refused a deviation: its code in DEVIATION_CODES.
        self.deviation = deviation


@dataclass(frozen=True)
class Deviation:
    code: str  # a key of DEVIATION_CODES
    field: str
    detail: str


# --- addresses -------------------------------------------------------------------------

ADDRESS_TYPES = ("PLMN", "IPv4", "IPv6", "USER")


@dataclass(frozen=True)
class ClientAddress:
    """``WAPPUSH=<client>/TYPE=<type>@<ppg>`` taken apart."""

    client: str  # "+8613800000001", "127.0.60.1", "alice"
    type: str  # one of ADDRESS_TYPES, or a user-defined type name
    ppg: str = ""  # the PPG specifier after "@" (may be empty)

    @property
    def value(self) -> str:
        return f"WAPPUSH={self.client}/TYPE={self.type}@{self.ppg}"


# --- messages -------------------------------------------------------------------------


@dataclass(frozen=True)
class QualityOfService:
    priority: str = "medium"
    delivery_method: str = "notspecified"
    network: str = "Any"
    network_required: bool = False
    bearer: str = "Any"
    bearer_required: bool = False

    @property
    def preferred_bearer(self) -> str | None:
        """The bearer the PI asks for, required or not (None: any)."""
        return None if self.bearer == "Any" else self.bearer


@dataclass(frozen=True)
class PushMessage:
    push_id: str
    addresses: tuple[str, ...]  # address-value attributes, as written
    deliver_before: dt.datetime | None = None
    deliver_after: dt.datetime | None = None
    source_reference: str | None = None
    progress_notes_requested: bool = False
    ppg_notify_requested_to: str | None = None
    qos: QualityOfService | None = None


@dataclass(frozen=True)
class ResponseResult:
    code: int
    desc: str | None = None


@dataclass(frozen=True)
class PushResponse:
    push_id: str
    result: ResponseResult
    sender_address: str | None = None
    sender_name: str | None = None
    reply_time: dt.datetime | None = None


@dataclass(frozen=True)
class BadMessageResponse:
    code: int
    desc: str | None = None
    bad_message_fragment: str | None = None


@dataclass(frozen=True)
class ResultNotificationMessage:
    push_id: str
    address: str
    message_state: str
    code: int
    desc: str | None = None
    sender_address: str | None = None
    sender_name: str | None = None
    received_time: dt.datetime | None = None
    event_time: dt.datetime | None = None
    qos: QualityOfService | None = None


@dataclass(frozen=True)
class ResultNotificationResponse:
    push_id: str
    code: int
    desc: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class StatusQueryMessage:
    push_id: str
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatusQueryResult:
    message_state: str
    code: int
    desc: str | None = None
    event_time: dt.datetime | None = None
    address: str | None = None


@dataclass(frozen=True)
class StatusQueryResponse:
    push_id: str
    results: tuple[StatusQueryResult, ...]


@dataclass(frozen=True)
class CancelMessage:
    push_id: str
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class CancelResult:
    code: int
    desc: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class CancelResponse:
    push_id: str
    results: tuple[CancelResult, ...]


PapMessage = (
    PushMessage
    | PushResponse
    | BadMessageResponse
    | ResultNotificationMessage
    | ResultNotificationResponse
    | StatusQueryMessage
    | StatusQueryResponse
    | CancelMessage
    | CancelResponse
)


@dataclass
class Decoded:
    """A decoded PAP document: the message, the declared version (None: not declared) and
    what lenient mode read past."""

    message: PapMessage
    version: str | None
    deviations: list[Deviation] = field(default_factory=list)
    product_name: str | None = None

    def has(self, code: str) -> bool:
        return any(d.code == code for d in self.deviations)
