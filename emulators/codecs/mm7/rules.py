"""What the codec holds peers to: configuration, releases, status classes, the
named deviations lenient mode may record, and the schema: its sequences, one
table per complex type, in WIRE-FACTS.md §1-3 order (ZXID's REL-6-MM7-1-4
grammar; REL-5 is the same order without the Rel-6 items), its value sets, and
which operations each namespace defines."""

from __future__ import annotations

import enum
from collections.abc import Container
from dataclasses import dataclass
from urllib.parse import unquote

from .types import DEFAULT_NAMESPACE, MM7_NAMESPACES, SOAP_ENV_NS, StatusCode


class Mode(enum.Enum):
    STRICT = "strict"
    LENIENT = "lenient"


@dataclass(frozen=True)
class CodecConfig:
    namespace: str = DEFAULT_NAMESPACE  # the namespace this peer is configured for
    mode: Mode = Mode.STRICT
    max_body: int = 2_000_000  # bytes; larger bodies are refused before parsing


DEFAULT_CONFIG = CodecConfig()

#: MM7Version values of the published releases (ZXID's versionType enumeration).
KNOWN_VERSIONS: tuple[str, ...] = (
    "5.3.0",
    "5.5.0",
    "5.6.0",
    "5.8.0",
    "5.10.0",
    "6.3.0",
    "6.4.0",
    "6.5.0",
    "6.6.0",
    "6.8.0",
)

#: Content-ID of the SOAP part in the multipart/related bodies we write.
ENVELOPE_CONTENT_ID = "mm7-envelope"

#: Every code lenient mode can record, with what it means. Strict mode refuses
#: a message that has any, with one MM7Error listing all it found.
DEVIATION_CODES: dict[str, str] = {
    "body-no-namespace": "the body element is in no namespace",
    "children-no-namespace": "the body element is qualified but its children are not",
    "namespace-mismatch": "a known MM7 namespace other than the configured one",
    "out-of-order": "an element out of schema order",
    "unknown-element": "an element the schema does not have at that place (skipped)",
    "vendor-element": "a non-schema element in SenderIdentification (skipped)",
    "rel6-element-in-rel5": "a Rel-6-only element in a REL-5 namespace",
    "operation-not-in-release": "an operation its namespace's release does not define (read by "
    "the release that does)",
    "transaction-id-missing": "no TransactionID header (transaction_id is '')",
    "transaction-id-empty": "TransactionID empty or blank",
    "transaction-id-whitespace": "TransactionID padded with whitespace (stripped)",
    "transaction-id-no-namespace": "TransactionID in no namespace",
    "mustunderstand-missing": "TransactionID without env:mustUnderstand",
    "mustunderstand-value": 'env:mustUnderstand on TransactionID is not "1"',
    "header-not-understood": "another header entry with mustUnderstand we do not know",
    "soapaction-namespace": 'SOAPAction is the namespace URI instead of ""',
    "soapaction-other": 'SOAPAction is neither "" nor the namespace URI',
    "content-type-application-xml": "application/xml instead of text/xml",
    "multipart-no-boundary": "multipart/related without boundary, body is a bare envelope",
    "content-id-no-brackets": "Content-ID (or start) without angle brackets",
    "content-id-missing": "a content part without Content-ID",
    "mime-no-blank-line": "a MIME part's headers end without a blank line after them",
    "mime-no-close-delimiter": "no close delimiter: the last part runs to the end of the body",
    "mime-close-delimiter-garbled": "a close delimiter written with a non-ASCII dash (the body "
    "ends there)",
    "unknown-version": "an MM7Version that matches no release",
    "mmstatus-numeric": "MMStatus given as a number (kept as written)",
    "timestamp-for-date": "TimeStamp where DeliveryReportReq has Date",
    "recipients-for-recipient": "Recipients (SubmitReq's list) where DeliveryReportReq has "
    "Recipient",
    "boolean-case": "a boolean written TRUE / False / ...",
    "date-format": "an RFC 822 or compact date instead of xs:dateTime (kept as written)",
    "date-invalid": "ExpiryDate / EarliestDeliveryTime neither a date nor a duration (ignored)",
    "error-outside-fault": "RSErrorRsp / VASPErrorRsp straight in the Body, not in a Fault",
    "space-before-xml-declaration": "white space (blank lines) before the XML declaration",
    "charset-mismatch": "the XML declaration's charset disagrees with the bytes (read as UTF-8)",
    "bare-address": "an address as bare text, not Number/RFC2822Address/ShortCode",
    "faultcode-unqualified": "faultcode not a QName in the SOAP envelope namespace",
    "fault-children-qualified": "faultcode/faultstring/detail namespace-qualified",
    "fault-children-namespaced": "faultcode/faultstring/detail in the MM7 namespace (a default "
    "xmlns on the Envelope)",
    "fault-detail-unknown": "a Fault detail entry that is not RSErrorRsp/VASPErrorRsp (skipped)",
}

# The status a refusal carries says which layer the fault is in.
STATUS_FORMAT = StatusCode.MESSAGE_FORMAT_CORRUPT  # 2007: bytes, MIME, XML, SOAPAction, size
STATUS_VERSION = StatusCode.UNSUPPORTED_VERSION  # 4002: namespaces and versions
STATUS_OPERATION = StatusCode.UNSUPPORTED_OPERATION  # 4003: unknown operations
STATUS_SCHEMA = StatusCode.VALIDATION_ERROR  # 4004: element-level schema problems

MUST_UNDERSTAND = f"{{{SOAP_ENV_NS}}}mustUnderstand"
# XML white space (S production, and what the XSD whiteSpace facets strip). Not
# str.strip()'s set, which also takes NBSP, U+2028, U+3000, ... off the ends.
XML_SPACE = " \t\r\n"
ADDRESS_KINDS = ("Number", "RFC2822Address", "ShortCode")
REL6_FIELDS = (
    ("ApplicID", "applic_id"),
    ("ReplyApplicID", "reply_applic_id"),
    ("AuxApplicInfo", "aux_applic_info"),
)
MESSAGE_CLASSES = ("Personal", "Informational", "Advertisement", "Auto")
PRIORITIES = ("Normal", "High", "Low")
CHARGED_PARTIES = ("Sender", "Recipient", "Both", "Neither", "ThirdParty", "Other")
CONTENT_CLASSES = (
    "text",
    "image-basic",
    "image-rich",
    "video-basic",
    "video-rich",
    "megapixel",
    "content-basic",
    "content-rich",
)
MM_STATUS_EXTENSIONS = ("RejectionByMMSRecipient", "RejectionByOtherRS")


def cid_of(href: str, ids: Container[str]) -> str | None:
    """The id in ``ids`` a ``cid:`` href names (as written or %-decoded); else None."""
    ref = href.strip(XML_SPACE)
    if ref[:4].lower() != "cid:":
        return None
    cid = ref[4:]
    if cid in ids:
        return cid
    return unquote(cid) if unquote(cid) in ids else None


# --------------------------------------------------------------------------- sequences


@dataclass(frozen=True)
class Slot:
    """One element of a schema sequence."""

    name: str
    required: bool = False
    many: bool = False
    rel6: bool = False


GENERIC_RSP_SEQUENCE = (
    Slot("MM7Version", True),
    Slot("Status", True),
    Slot("Extension", many=True),
)
SUBMIT_RSP_SEQUENCE = (*GENERIC_RSP_SEQUENCE, Slot("MessageID"))
STATUS_SEQUENCE = (Slot("StatusCode", True), Slot("StatusText"), Slot("Details"))
SENDER_IDENTIFICATION_SEQUENCE = (Slot("VASPID"), Slot("VASID"), Slot("SenderAddress"))
RECIPIENTS_SEQUENCE = (Slot("To"), Slot("Cc"), Slot("Bcc"))
FAULT_SEQUENCE = (
    Slot("faultcode", True),
    Slot("faultstring", True),
    Slot("faultactor"),
    Slot("detail"),
)
SUBMIT_REQ_SEQUENCE = (
    Slot("MM7Version", True),
    Slot("SenderIdentification", True),
    Slot("Extension", many=True),
    Slot("Recipients", True),
    Slot("ServiceCode"),
    Slot("LinkedID"),
    Slot("MessageClass"),
    Slot("TimeStamp"),
    Slot("ReplyCharging"),
    Slot("EarliestDeliveryTime"),
    Slot("ExpiryDate"),
    Slot("DeliveryReport"),
    Slot("ReadReply"),
    Slot("Priority"),
    Slot("Subject"),
    Slot("ChargedParty"),
    Slot("ChargedPartyID", rel6=True),
    Slot("ThirdPartyPayer", rel6=True),
    Slot("DistributionIndicator"),
    Slot("DeliveryCondition", rel6=True),
    Slot("ApplicID", rel6=True),
    Slot("ReplyApplicID", rel6=True),
    Slot("AuxApplicInfo", rel6=True),
    Slot("ContentClass", rel6=True),
    Slot("DRMContent", rel6=True),
    Slot("Content"),
)
DELIVERY_REPORT_REQ_SEQUENCE = (
    Slot("MM7Version", True),
    Slot("MMSRelayServerID"),
    Slot("Extension", many=True),
    Slot("MessageID", True),
    Slot("Recipient", True),
    Slot("Sender", True),
    Slot("Date", True),
    Slot("MMStatus", True),
    Slot("MMStatusExtension"),
    Slot("StatusText"),
    Slot("ApplicID", rel6=True),
    Slot("ReplyApplicID", rel6=True),
    Slot("AuxApplicInfo", rel6=True),
    Slot("UACapabilities"),
)
GENERIC_VASP_REQ_HEAD = (
    Slot("MM7Version", True),
    Slot("SenderIdentification", True),
    Slot("Extension", many=True),
)
GENERIC_RS_REQ_HEAD = (
    Slot("MM7Version", True),
    Slot("MMSRelayServerID"),
    Slot("Extension", many=True),
)
DELIVER_REQ_SEQUENCE = (
    *GENERIC_RS_REQ_HEAD,
    Slot("VASPID", rel6=True),
    Slot("VASID", rel6=True),
    Slot("LinkedID"),
    Slot("Sender", True),
    Slot("Recipients"),
    Slot("Previouslysentby", rel6=True),
    Slot("Previouslysentdateandtime", rel6=True),
    Slot("SenderSPI", rel6=True),
    Slot("RecipientSPI", rel6=True),
    Slot("TimeStamp"),
    Slot("ReplyChargingID"),
    Slot("Priority"),
    Slot("Subject"),
    Slot("ApplicID", rel6=True),
    Slot("ReplyApplicID", rel6=True),
    Slot("AuxApplicInfo", rel6=True),
    Slot("UACapabilities"),
    Slot("Content"),
)
DELIVER_RSP_SEQUENCE = (*GENERIC_RSP_SEQUENCE, Slot("ServiceCode"))
CANCEL_REQ_SEQUENCE = (
    *GENERIC_VASP_REQ_HEAD,
    Slot("MessageID", True),
    Slot("Recipients", rel6=True),
    Slot("ApplicID", rel6=True),
    Slot("ReplyApplicID", rel6=True),
    Slot("AuxApplicInfo", rel6=True),
)
REPLACE_REQ_SEQUENCE = (
    *GENERIC_VASP_REQ_HEAD,
    Slot("MessageID", True),
    Slot("ServiceCode"),
    Slot("TimeStamp"),
    Slot("ReadReply"),
    Slot("EarliestDeliveryTime"),
    Slot("DistributionIndicator"),
    Slot("ContentClass", rel6=True),
    Slot("DRMContent", rel6=True),
    Slot("ApplicID", rel6=True),
    Slot("ReplyApplicID", rel6=True),
    Slot("AuxApplicInfo", rel6=True),
    Slot("Content"),
)
READ_REPLY_REQ_SEQUENCE = (
    *GENERIC_RS_REQ_HEAD,
    Slot("MessageID", True),
    Slot("Recipient", True),
    Slot("Sender", True),
    Slot("TimeStamp", True),
    Slot("MMStatus", True),
    Slot("StatusText"),
    Slot("ApplicID", rel6=True),
    Slot("ReplyApplicID", rel6=True),
    Slot("AuxApplicInfo", rel6=True),
)
EXTENDED_CANCEL_REQ_SEQUENCE = (*GENERIC_VASP_REQ_HEAD, Slot("CancelID", True))
EXTENDED_CANCEL_RSP_SEQUENCE = (Slot("MM7Version", True), Slot("Status", True))
# ZXID's grammar: VASPID/VASID straight in it, no SenderIdentification, no Extension.
EXTENDED_REPLACE_REQ_SEQUENCE = (
    Slot("MM7Version", True),
    Slot("VASPID"),
    Slot("VASID"),
    Slot("ServiceCode"),
    Slot("ReplaceID"),
    Slot("TimeStamp"),
    Slot("EarliestDeliveryTime"),
    Slot("ExpiryDate"),
    Slot("ReadReply"),
    Slot("DeliveryReport"),
    Slot("Content"),
)
EXTENDED_REPLACE_RSP_SEQUENCE = (
    Slot("MM7Version", True),
    Slot("MessageID", True),
    Slot("Status", True),
)

#: The sequence of each operation element, by wire name (the Fault's is FAULT_SEQUENCE;
#: RSErrorRsp and VASPErrorRsp are generic responses). The codec writes and reads the
#: operations from these rows.
OPERATION_SEQUENCES: dict[str, tuple[Slot, ...]] = {
    "SubmitReq": SUBMIT_REQ_SEQUENCE,
    "SubmitRsp": SUBMIT_RSP_SEQUENCE,
    "DeliverReq": DELIVER_REQ_SEQUENCE,
    "DeliverRsp": DELIVER_RSP_SEQUENCE,
    "CancelReq": CANCEL_REQ_SEQUENCE,
    "CancelRsp": GENERIC_RSP_SEQUENCE,
    "ReplaceReq": REPLACE_REQ_SEQUENCE,
    "ReplaceRsp": GENERIC_RSP_SEQUENCE,
    "DeliveryReportReq": DELIVERY_REPORT_REQ_SEQUENCE,
    "DeliveryReportRsp": GENERIC_RSP_SEQUENCE,
    "ReadReplyReq": READ_REPLY_REQ_SEQUENCE,
    "ReadReplyRsp": GENERIC_RSP_SEQUENCE,
    "RSErrorRsp": GENERIC_RSP_SEQUENCE,
    "VASPErrorRsp": GENERIC_RSP_SEQUENCE,
    "extendedCancelReq": EXTENDED_CANCEL_REQ_SEQUENCE,
    "extendedCancelRsp": EXTENDED_CANCEL_RSP_SEQUENCE,
    "extendedReplaceReq": EXTENDED_REPLACE_REQ_SEQUENCE,
    "extendedReplaceRsp": EXTENDED_REPLACE_RSP_SEQUENCE,
}

#: The field of the typed messages that carries each element, the same in every
#: operation that has it (SenderIdentification: vasp_id, vas_id, sender_address;
#: Recipients: to, cc, bcc; Content: content_href). An element whose field a message
#: type lacks is not in its model (read, checked and dropped).
FIELD_OF: dict[str, str] = {
    "MMSRelayServerID": "relay_server_id",
    "SenderIdentification": "sender_address",
    "VASPID": "vasp_id",
    "VASID": "vas_id",
    "LinkedID": "linked_id",
    "Sender": "sender",
    "Recipient": "recipient",
    "Recipients": "to",
    "MessageID": "message_id",
    "CancelID": "cancel_id",
    "ReplaceID": "replace_id",
    "ServiceCode": "service_code",
    "TimeStamp": "timestamp",
    "ReplyChargingID": "reply_charging_id",
    "EarliestDeliveryTime": "earliest_delivery_time",
    "ExpiryDate": "expiry_date",
    "DeliveryReport": "delivery_report",
    "ReadReply": "read_reply",
    "DistributionIndicator": "distribution_indicator",
    "Priority": "priority",
    "Subject": "subject",
    "MMStatus": "mm_status",
    "StatusText": "status_text",
    "ApplicID": "applic_id",
    "ReplyApplicID": "reply_applic_id",
    "AuxApplicInfo": "aux_applic_info",
    "Status": "status",
    "Content": "content_href",
}


def release_of(namespace: str) -> str:
    """The release part of an MM7 namespace, e.g. "REL-6-MM7-1-4"."""
    return namespace.rsplit("/", 1)[1]


# --------------------------------------------------------------------------- operations

#: Every operation's element name as on the wire, in TS 23.140 order. The
#: extended ones start lower case in the schema (ZXID's REL-6-MM7-1-4 grammar,
#: and Eyeline's SCAG MMS gateway writes them so).
BASE_OPERATIONS: tuple[str, ...] = (
    "SubmitReq",
    "SubmitRsp",
    "DeliverReq",
    "DeliverRsp",
    "CancelReq",
    "CancelRsp",
    "ReplaceReq",
    "ReplaceRsp",
    "DeliveryReportReq",
    "DeliveryReportRsp",
    "ReadReplyReq",
    "ReadReplyRsp",
    "RSErrorRsp",
    "VASPErrorRsp",
)
EXTENDED_OPERATIONS: tuple[str, ...] = (
    "extendedCancelReq",
    "extendedCancelRsp",
    "extendedReplaceReq",
    "extendedReplaceRsp",
)
ALL_OPERATIONS: tuple[str, ...] = (*BASE_OPERATIONS, *EXTENDED_OPERATIONS)

#: The namespaces that define the extended cancel and replace. The only schema
#: copies found (ZXID's, SCAG's constants) are REL-6-MM7-1-4; no earlier REL-6
#: copy was found, so they are not assumed there (WIRE-FACTS.md §1).
EXTENDED_NAMESPACES: tuple[str, ...] = (MM7_NAMESPACES[-1],)


def operations_in(namespace: str) -> tuple[str, ...]:
    """The operations (wire element names) a namespace defines; () for an unknown one."""
    if namespace not in MM7_NAMESPACES:
        return ()
    return ALL_OPERATIONS if namespace in EXTENDED_NAMESPACES else BASE_OPERATIONS
