"""MM7 codec: SOAP 1.1 envelopes (text/xml or multipart/related) <-> typed messages.

Sans-IO: ``decode`` takes the HTTP body, its Content-Type and SOAPAction and
returns a typed message (plus the deviations lenient mode accepted);
``encode`` does the reverse. Nothing here touches sockets, clocks or threads.

Element orders follow WIRE-FACTS.md §1-3 (ZXID's REL-6-MM7-1-4 grammar; REL-5
is the same order without the Rel-6 items). Status codes on errors: 2007 for
byte/transport-level problems (content type, charset, XML well-formedness,
DTDs, MIME structure, SOAPAction, size), 4002 for namespaces and versions,
4003 for unknown operations, 4004 for element-level schema problems.
"""

from __future__ import annotations

import codecs
import enum
import re
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from email.utils import parsedate_tz
from urllib.parse import unquote

from lxml import etree

from . import mime
from .mm7_types import (
    DEFAULT_NAMESPACE,
    DEFAULT_VERSION,
    MM7_NAMESPACES,
    MM_STATUSES,
    SOAP_ENV_NS,
    STATUS_TEXT,
    Address,
    ContentPart,
    Decoded,
    DeliveryReportReq,
    DeliveryReportRsp,
    Deviation,
    Encoded,
    Envelope,
    MM7Error,
    MM7Message,
    RSErrorRsp,
    SoapFault,
    Status,
    StatusCode,
    SubmitReq,
    SubmitRsp,
    VASPErrorRsp,
    is_rel6,
)

__all__ = [
    "DEFAULT_NAMESPACE",
    "DEFAULT_VERSION",
    "DEVIATION_CODES",
    "ENVELOPE_CONTENT_ID",
    "KNOWN_VERSIONS",
    "MM7_NAMESPACES",
    "MM_STATUSES",
    "SOAP_ENV_NS",
    "STATUS_TEXT",
    "Address",
    "CodecConfig",
    "ContentPart",
    "Decoded",
    "DeliveryReportReq",
    "DeliveryReportRsp",
    "Deviation",
    "Encoded",
    "Envelope",
    "MM7Error",
    "MM7Message",
    "Mode",
    "RSErrorRsp",
    "SoapFault",
    "Status",
    "StatusCode",
    "SubmitReq",
    "SubmitRsp",
    "VASPErrorRsp",
    "decode",
    "encode",
    "is_rel6",
    "status_of",
    "summary",
]


class Mode(enum.Enum):
    STRICT = "strict"
    LENIENT = "lenient"


@dataclass(frozen=True)
class CodecConfig:
    namespace: str = DEFAULT_NAMESPACE  # the namespace this peer is configured for
    mode: Mode = Mode.STRICT
    max_body: int = 2_000_000  # bytes; larger bodies are refused before parsing


_DEFAULT_CONFIG = CodecConfig()

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

#: Every code lenient mode can record, with what it means. Strict mode raises
#: MM7Error for each of these instead.
DEVIATION_CODES: dict[str, str] = {
    "body-no-namespace": "the body element is in no namespace",
    "children-no-namespace": "the body element is qualified but its children are not",
    "namespace-mismatch": "a known MM7 namespace other than the configured one",
    "out-of-order": "an element out of schema order",
    "unknown-element": "an element the schema does not have at that place (skipped)",
    "vendor-element": "a non-schema element in SenderIdentification (skipped)",
    "rel6-element-in-rel5": "a Rel-6-only element in a REL-5 namespace",
    "transaction-id-missing": "no TransactionID header (transaction_id is '')",
    "transaction-id-empty": "TransactionID empty or blank",
    "transaction-id-whitespace": "TransactionID padded with whitespace (stripped)",
    "transaction-id-no-namespace": "TransactionID in no namespace",
    "mustunderstand-missing": "TransactionID without env:mustUnderstand",
    "mustunderstand-value": "env:mustUnderstand on TransactionID is not \"1\"",
    "header-not-understood": "another header entry with mustUnderstand we do not know",
    "soapaction-namespace": "SOAPAction is the namespace URI instead of \"\"",
    "soapaction-other": "SOAPAction is neither \"\" nor the namespace URI",
    "content-type-application-xml": "application/xml instead of text/xml",
    "multipart-no-boundary": "multipart/related without boundary, body is a bare envelope",
    "content-id-no-brackets": "Content-ID (or start) without angle brackets",
    "content-id-missing": "a content part without Content-ID",
    "unknown-version": "an MM7Version that matches no release",
    "mmstatus-numeric": "MMStatus given as a number (kept as written)",
    "timestamp-for-date": "TimeStamp where DeliveryReportReq has Date",
    "boolean-case": "a boolean written TRUE / False / ...",
    "date-format": "an RFC 822 or compact date instead of xs:dateTime (kept as written)",
    "error-outside-fault": "RSErrorRsp / VASPErrorRsp straight in the Body, not in a Fault",
    "charset-mismatch": "the XML declaration's charset disagrees with the bytes (read as UTF-8)",
    "bare-address": "an address as bare text, not Number/RFC2822Address/ShortCode",
    "faultcode-unqualified": "faultcode not a QName in the SOAP envelope namespace",
    "fault-children-qualified": "faultcode/faultstring/detail namespace-qualified",
    "fault-detail-unknown": "a Fault detail entry that is not RSErrorRsp/VASPErrorRsp (skipped)",
}

_FORMAT = StatusCode.MESSAGE_FORMAT_CORRUPT  # 2007
_VERSION = StatusCode.UNSUPPORTED_VERSION  # 4002
_OPERATION = StatusCode.UNSUPPORTED_OPERATION  # 4003
_SCHEMA = StatusCode.VALIDATION_ERROR  # 4004

_MUST_UNDERSTAND = f"{{{SOAP_ENV_NS}}}mustUnderstand"
_MAX_DIGITS = 40  # significant digits a StatusCode may have
# XML white space (S production, and what the XSD whiteSpace facets strip). Not
# str.strip()'s set, which also takes NBSP, U+2028, U+3000, ... off the ends.
_XML_SPACE = " \t\r\n"
_ADDRESS_KINDS = ("Number", "RFC2822Address", "ShortCode")
_REL6_FIELDS = (("ApplicID", "applic_id"), ("ReplyApplicID", "reply_applic_id"),
                ("AuxApplicInfo", "aux_applic_info"))
_MESSAGE_CLASSES = ("Personal", "Informational", "Advertisement", "Auto")
_PRIORITIES = ("Normal", "High", "Low")
_CHARGED_PARTIES = ("Sender", "Recipient", "Both", "Neither", "ThirdParty", "Other")
_CONTENT_CLASSES = ("text", "image-basic", "image-rich", "video-basic", "video-rich",
                    "megapixel", "content-basic", "content-rich")
_MM_STATUS_EXTENSIONS = ("RejectionByMMSRecipient", "RejectionByOtherRS")

# xs:dateTime, with field ranges so "2024-13-40T..." is not taken for a date.
_XS_DATETIME = re.compile(
    r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?"
    r"(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))?",
    re.ASCII,  # \d is [0-9]: "٢٠٢٤" is no year
)
# Dates real peers send instead: 20240501T100000Z, "2024-05-01 10:00:00", +0100 offsets.
_LOOSE_DATES = (
    re.compile(r"(\d{4})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?(?:Z|[+-]\d{2}:?\d{2})?",
               re.ASCII),
    re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*"
               r"(?:Z|[+-]\d{2}:?\d{2})?", re.ASCII),
)
_XML_DECL_ENCODING = re.compile(
    rb"\A(?:\xef\xbb\xbf)?<\?xml\s[^>]*?\bencoding\s*=\s*([\"'])([A-Za-z][A-Za-z0-9._:-]*)\1"
)



# --------------------------------------------------------------------------- decode


class _Reader:
    """Per-call state: mode, the namespace being read and the deviations so far."""

    def __init__(self, config: CodecConfig) -> None:
        self.config = config
        self.strict = config.mode is Mode.STRICT
        self.deviations: list[Deviation] = []
        self.ns: str | None = config.namespace  # namespace of the MM7 elements being read
        self.rel5 = False

    def deviate(
        self, code: str, element: str, detail: str, status: int = _SCHEMA, *, once: bool = False
    ) -> None:
        """Strict: refuse. Lenient: record once per (code, element), or per code
        with ``once``, and go on."""
        if self.strict:
            raise MM7Error(element, detail, status)
        if any(d.code == code and (once or d.element == element) for d in self.deviations):
            return
        self.deviations.append(Deviation(code, element, detail))

    def mm7_name(self, el: etree._Element) -> str | None:
        """Local name of an MM7 child element, or None for a foreign element."""
        qn = etree.QName(el)
        if qn.namespace == self.ns:
            return qn.localname
        if qn.namespace is None:
            # Peers that do this do it for every child: record it once per message.
            self.deviate("children-no-namespace", qn.localname,
                         f"{qn.localname} (and siblings) in no namespace, expected {self.ns}",
                         once=True)
            return qn.localname
        return None

    def fault_name(self, el: etree._Element) -> str | None:
        """SOAP 1.1 Fault children are unqualified; some toolkits qualify them."""
        qn = etree.QName(el)
        if qn.namespace is None:
            return qn.localname
        if qn.namespace == SOAP_ENV_NS:
            self.deviate("fault-children-qualified", qn.localname,
                         f"{qn.localname} qualified, SOAP 1.1 has it unqualified", once=True)
            return qn.localname
        return None


@dataclass(frozen=True)
class _Slot:
    """One element of a schema sequence."""

    name: str
    required: bool = False
    many: bool = False
    rel6: bool = False


_GENERIC_RSP = (_Slot("MM7Version", True), _Slot("Status", True), _Slot("Extension", many=True))
_SUBMIT_RSP = (*_GENERIC_RSP, _Slot("MessageID"))
_STATUS = (_Slot("StatusCode", True), _Slot("StatusText"), _Slot("Details"))
_SENDER_IDENTIFICATION = (_Slot("VASPID"), _Slot("VASID"), _Slot("SenderAddress"))
_RECIPIENTS = (_Slot("To"), _Slot("Cc"), _Slot("Bcc"))
_FAULT = (_Slot("faultcode", True), _Slot("faultstring", True), _Slot("faultactor"),
          _Slot("detail"))
_SUBMIT_REQ = (
    _Slot("MM7Version", True),
    _Slot("SenderIdentification", True),
    _Slot("Extension", many=True),
    _Slot("Recipients", True),
    _Slot("ServiceCode"),
    _Slot("LinkedID"),
    _Slot("MessageClass"),
    _Slot("TimeStamp"),
    _Slot("ReplyCharging"),
    _Slot("EarliestDeliveryTime"),
    _Slot("ExpiryDate"),
    _Slot("DeliveryReport"),
    _Slot("ReadReply"),
    _Slot("Priority"),
    _Slot("Subject"),
    _Slot("ChargedParty"),
    _Slot("ChargedPartyID", rel6=True),
    _Slot("ThirdPartyPayer", rel6=True),
    _Slot("DistributionIndicator"),
    _Slot("DeliveryCondition", rel6=True),
    _Slot("ApplicID", rel6=True),
    _Slot("ReplyApplicID", rel6=True),
    _Slot("AuxApplicInfo", rel6=True),
    _Slot("ContentClass", rel6=True),
    _Slot("DRMContent", rel6=True),
    _Slot("Content"),
)
_DELIVERY_REPORT_REQ = (
    _Slot("MM7Version", True),
    _Slot("MMSRelayServerID"),
    _Slot("Extension", many=True),
    _Slot("MessageID", True),
    _Slot("Recipient", True),
    _Slot("Sender", True),
    _Slot("Date", True),
    _Slot("MMStatus", True),
    _Slot("MMStatusExtension"),
    _Slot("StatusText"),
    _Slot("ApplicID", rel6=True),
    _Slot("ReplyApplicID", rel6=True),
    _Slot("AuxApplicInfo", rel6=True),
    _Slot("UACapabilities"),
)

_Seq = dict[str, list[etree._Element]]


def _elements(el: etree._Element) -> list[etree._Element]:
    # Comments and processing instructions have a non-str tag.
    return [child for child in el if isinstance(child.tag, str)]


def _no_text(el: etree._Element, name: str, status: int = _SCHEMA) -> None:
    """Complex elements carry only whitespace between their children."""
    pieces = [el.text or "", *(child.tail or "" for child in el)]
    if any(piece.strip(_XML_SPACE) for piece in pieces):
        raise MM7Error(name, "unexpected text content", status)


def _text(el: etree._Element, name: str) -> str:
    """Text of a simple element; comments inside are dropped, child elements refused."""
    pieces = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str):
            raise MM7Error(name, f"unexpected child element {etree.QName(child).localname}")
        pieces.append(child.tail or "")
    return "".join(pieces)


def _read_sequence(
    r: _Reader,
    parent: etree._Element,
    where: str,
    slots: Sequence[_Slot],
    *,
    name_of: Callable[[etree._Element], str | None] | None = None,
    foreign: str = "unknown-element",
    aliases: dict[str, tuple[str, str]] | None = None,
) -> _Seq:
    """Check the children of ``parent`` against a schema sequence.

    Returns the children by slot name. Unknown elements are skipped (lenient)
    or refused (strict); order and Rel-6 membership are checked the same way;
    duplicates and missing mandatory elements are refused in both modes.
    ``aliases`` maps a wrong element name to (slot, deviation code), used only
    when the right element is absent.
    """
    name_of = name_of or r.mm7_name
    _no_text(parent, where)
    index = {slot.name: i for i, slot in enumerate(slots)}
    children = [(child, name_of(child)) for child in _elements(parent)]
    present = {name for _, name in children}
    seen: _Seq = {}
    high = -1
    for child, name in children:
        if aliases and name in aliases and aliases[name][0] not in present:
            target, code = aliases[name]
            r.deviate(code, name, f"{name} where {where} has {target}")
            name = target
        if name is None or name not in index:
            shown = name or etree.QName(child).localname
            r.deviate(foreign, shown, f"{shown} is not an element of {where}")
            continue
        slot = slots[index[name]]
        if name in seen and not slot.many:
            raise MM7Error(name, f"duplicate in {where}")
        if slot.rel6 and r.rel5:
            r.deviate("rel6-element-in-rel5", name, f"{name} is not in REL-5")
        if index[name] < high:
            r.deviate("out-of-order", name, f"{name} out of order in {where}")
        high = max(high, index[name])
        seen.setdefault(name, []).append(child)
    for slot in slots:
        if slot.required and slot.name not in seen:
            raise MM7Error(slot.name, f"missing in {where}")
    return seen


def _one(seq: _Seq, name: str) -> etree._Element | None:
    found = seq.get(name)
    return found[0] if found else None


def _opt_text(seq: _Seq, name: str) -> str | None:
    el = _one(seq, name)
    return None if el is None else _text(el, name)


def _version(r: _Reader, seq: _Seq) -> str:
    el = seq["MM7Version"][0]
    value = _text(el, "MM7Version").strip(_XML_SPACE)
    if value not in KNOWN_VERSIONS:
        r.deviate("unknown-version", "MM7Version", f"MM7Version {value!r} matches no release",
                  _VERSION)
    return value


def _bool_value(r: _Reader, raw: str, name: str) -> bool:
    value = raw.strip(_XML_SPACE)
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    if value.lower() in ("true", "false"):
        r.deviate("boolean-case", name, f"{value!r} is not an xs:boolean literal")
        return value.lower() == "true"
    raise MM7Error(name, f"{value!r} is not a boolean")


def _opt_bool(r: _Reader, seq: _Seq, name: str) -> bool | None:
    el = _one(seq, name)
    return None if el is None else _bool_value(r, _text(el, name), name)


def _enum(seq: _Seq, name: str, allowed: Sequence[str]) -> str | None:
    el = _one(seq, name)
    if el is None:
        return None
    value = _text(el, name).strip(_XML_SPACE)
    if value not in allowed:
        raise MM7Error(name, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def _date(r: _Reader, el: etree._Element, name: str) -> str:
    value = _text(el, name).strip(_XML_SPACE)
    if _XS_DATETIME.fullmatch(value):
        return value
    if _loose_date(value):
        r.deviate("date-format", name, f"{value!r} is not an xs:dateTime")
        return value
    raise MM7Error(name, f"{value!r} is not a date")


def _loose_date(value: str) -> bool:
    """An RFC 822 or compact date whose fields make a real date and time."""
    fields: tuple[int, ...] | None = None
    if any(c.isalpha() for c in value):
        parsed = parsedate_tz(value)
        fields = None if parsed is None else tuple(parsed[:6])
    else:
        for pattern in _LOOSE_DATES:
            match = pattern.fullmatch(value)
            if match:
                fields = tuple(int(g or 0) for g in match.groups())
                break
    if fields is None:
        return False
    try:
        datetime(*fields)  # range check only; the value is kept as written
    except ValueError:
        return False
    return True


def _int(el: etree._Element, name: str) -> int:
    value = _text(el, name).strip(_XML_SPACE)
    digits = value.removeprefix("+").lstrip("0")
    # Bounded before int(): Python refuses to convert more than 4300 digits
    # (ValueError), and no status code needs more than a handful.
    if not re.fullmatch(r"\+?[0-9]+", value) or not digits or len(digits) > _MAX_DIGITS:
        raise MM7Error(name, f"{value[:50]!r} is not a positive integer")
    return int(digits)


def _bare_address(r: _Reader, el: etree._Element, name: str) -> Address | None:
    """Rel-5 <= 5.1 peers write the address as the element's text."""
    if _elements(el):
        return None
    value = _text(el, name).strip(_XML_SPACE)
    if not value:
        raise MM7Error(name, "empty address")
    kind = "RFC2822Address" if "@" in value else "Number"
    r.deviate("bare-address", name, f"bare text address {value!r} (read as {kind})")
    return Address(value, kind)


def _addresses(r: _Reader, el: etree._Element, name: str) -> tuple[Address, ...]:
    bare = _bare_address(r, el, name)
    if bare is not None:
        return (bare,)
    _no_text(el, name)
    found: list[Address] = []
    for child in _elements(el):
        kind = r.mm7_name(child)
        if kind not in _ADDRESS_KINDS:
            shown = kind or etree.QName(child).localname
            r.deviate("unknown-element", shown, f"{shown} is not an address element")
            continue
        value = _text(child, kind)
        if not value.strip(_XML_SPACE):
            raise MM7Error(kind, f"empty address in {name}")
        found.append(Address(value, kind))
    if not found:
        raise MM7Error(name, "no address")
    return tuple(found)


def _address(r: _Reader, el: etree._Element, name: str) -> Address:
    found = _addresses(r, el, name)
    if len(found) > 1:
        raise MM7Error(name, "more than one address")
    return found[0]


def _status(r: _Reader, el: etree._Element) -> Status:
    seq = _read_sequence(r, el, "Status", _STATUS)
    code = _int(seq["StatusCode"][0], "StatusCode")
    text = _opt_text(seq, "StatusText")
    details_el = _one(seq, "Details")
    details = None if details_el is None else _details(details_el)
    return Status(code, text or "", details)


def _details(el: etree._Element) -> str:
    """Details is xs:any: keep markup, each child element with just the namespace
    declarations it uses (exclusive C14N), so nothing is lost.

    Comments and processing instructions straight under Details are dropped, as
    in simple elements: C14N of such a node on its own crashes libxml2 (SIGSEGV).
    """
    pieces = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str):
            try:
                pieces.append(etree.tostring(child, method="c14n", exclusive=True)
                              .decode("utf-8"))
            except etree.C14NError:  # e.g. a relative namespace URI, which C14N refuses
                raise MM7Error("Details", "markup that cannot be canonicalised") from None
        pieces.append(child.tail or "")
    return "".join(pieces)


def _read_submit_req(
    r: _Reader, el: etree._Element, tid: str, ns: str, parts: dict[str, ContentPart]
) -> SubmitReq:
    seq = _read_sequence(r, el, "SubmitReq", _SUBMIT_REQ)
    version = _version(r, seq)
    sender = _read_sequence(r, seq["SenderIdentification"][0], "SenderIdentification",
                            _SENDER_IDENTIFICATION, foreign="vendor-element")
    sender_address_el = _one(sender, "SenderAddress")
    recipients = _read_sequence(r, seq["Recipients"][0], "Recipients", _RECIPIENTS)
    lists = {name: _addresses(r, els[0], name) for name, els in recipients.items()}
    if not lists:
        raise MM7Error("Recipients", "no recipient address")
    # Schema elements the model does not carry are still checked, then dropped.
    timestamp = _one(seq, "TimeStamp")
    if timestamp is not None:
        _date(r, timestamp, "TimeStamp")
    for name in ("DistributionIndicator", "DRMContent"):
        _opt_bool(r, seq, name)
    _enum(seq, "ChargedParty", _CHARGED_PARTIES)
    _enum(seq, "ContentClass", _CONTENT_CLASSES)
    return SubmitReq(
        transaction_id=tid,
        namespace=ns,
        version=version,
        vasp_id=_opt_text(sender, "VASPID"),
        vas_id=_opt_text(sender, "VASID"),
        sender_address=(None if sender_address_el is None
                        else _address(r, sender_address_el, "SenderAddress")),
        to=lists.get("To", ()),
        cc=lists.get("Cc", ()),
        bcc=lists.get("Bcc", ()),
        service_code=_opt_text(seq, "ServiceCode"),
        linked_id=_opt_text(seq, "LinkedID"),
        message_class=_enum(seq, "MessageClass", _MESSAGE_CLASSES),
        delivery_report=_opt_bool(r, seq, "DeliveryReport"),
        read_reply=_opt_bool(r, seq, "ReadReply"),
        priority=_enum(seq, "Priority", _PRIORITIES),
        subject=_opt_text(seq, "Subject"),
        applic_id=_opt_text(seq, "ApplicID"),
        reply_applic_id=_opt_text(seq, "ReplyApplicID"),
        aux_applic_info=_opt_text(seq, "AuxApplicInfo"),
        content_href=_content_href(r, _one(seq, "Content"), parts),
        parts=tuple(parts.values()),
    )


def _cid_of(href: str, ids: Container[str]) -> str | None:
    """The id in ``ids`` a ``cid:`` href names (as written or %-decoded); else None."""
    ref = href.strip(_XML_SPACE)
    if ref[:4].lower() != "cid:":
        return None
    cid = ref[4:]
    if cid in ids:
        return cid
    return unquote(cid) if unquote(cid) in ids else None


def _content_href(
    r: _Reader, el: etree._Element | None, parts: dict[str, ContentPart]
) -> str | None:
    if el is None:
        return None
    href = el.get("href")
    if href is None:
        raise MM7Error("Content@href", "missing")
    adapt = el.get("allowAdaptations")
    if adapt is not None:
        _bool_value(r, adapt, "Content@allowAdaptations")
    if _cid_of(href, parts) is None:
        ref = href.strip(_XML_SPACE)
        if ref[:4].lower() != "cid:":
            raise MM7Error("Content@href", f"{href!r} is not a cid: reference", _FORMAT)
        raise MM7Error("Content@href", f"no MIME part with Content-ID <{ref[4:]}>", _FORMAT)
    return href


def _read_delivery_report_req(r: _Reader, el: etree._Element, tid: str, ns: str
                              ) -> DeliveryReportReq:
    seq = _read_sequence(r, el, "DeliveryReportReq", _DELIVERY_REPORT_REQ,
                         aliases={"TimeStamp": ("Date", "timestamp-for-date")})
    version = _version(r, seq)
    mm_status = _text(seq["MMStatus"][0], "MMStatus").strip(_XML_SPACE)
    if mm_status not in MM_STATUSES:
        if not mm_status.isdigit():
            raise MM7Error("MMStatus", f"{mm_status!r} is not one of {', '.join(MM_STATUSES)}")
        r.deviate("mmstatus-numeric", "MMStatus", f"numeric MMStatus {mm_status!r}")
    _enum(seq, "MMStatusExtension", _MM_STATUS_EXTENSIONS)
    return DeliveryReportReq(
        transaction_id=tid,
        namespace=ns,
        version=version,
        message_id=_text(seq["MessageID"][0], "MessageID"),
        recipient=_address(r, seq["Recipient"][0], "Recipient"),
        sender=_address(r, seq["Sender"][0], "Sender"),
        date=_date(r, seq["Date"][0], "Date"),
        mm_status=mm_status,
        relay_server_id=_opt_text(seq, "MMSRelayServerID"),
        status_text=_opt_text(seq, "StatusText"),
        applic_id=_opt_text(seq, "ApplicID"),
        reply_applic_id=_opt_text(seq, "ReplyApplicID"),
        aux_applic_info=_opt_text(seq, "AuxApplicInfo"),
    )


def _read_submit_rsp(r: _Reader, el: etree._Element, tid: str, ns: str) -> SubmitRsp:
    seq = _read_sequence(r, el, "SubmitRsp", _SUBMIT_RSP)
    version = _version(r, seq)
    status = _status(r, seq["Status"][0])
    message_id = _opt_text(seq, "MessageID")
    if message_id is None and status.ok:
        raise MM7Error("MessageID", "missing in a successful SubmitRsp")
    return SubmitRsp(tid, ns, version, status=status, message_id=message_id)


_GenericRsp = type[DeliveryReportRsp] | type[RSErrorRsp] | type[VASPErrorRsp]


def _read_generic_rsp(r: _Reader, el: etree._Element, tid: str, ns: str, cls: _GenericRsp
                      ) -> DeliveryReportRsp | RSErrorRsp | VASPErrorRsp:
    seq = _read_sequence(r, el, cls.__name__, _GENERIC_RSP)
    version = _version(r, seq)
    return cls(tid, ns, version, status=_status(r, seq["Status"][0]))


def _op_namespace(r: _Reader, name: str, ns: str | None, fallback: str) -> str:
    """Check the namespace of an operation element; return the message's namespace.

    Also points the reader at the namespace its children must carry.
    """
    r.ns = ns
    if ns is None:
        r.deviate("body-no-namespace", name, f"{name} in no namespace")
        resolved = fallback
    elif ns == r.config.namespace:
        resolved = ns
    elif ns in MM7_NAMESPACES:
        r.deviate("namespace-mismatch", name, f"namespace {ns}, expected {r.config.namespace}",
                  _VERSION)
        resolved = ns
    else:
        raise MM7Error(name, f"namespace {ns}, expected {r.config.namespace}", _VERSION)
    r.rel5 = not is_rel6(resolved)
    return resolved


def _find_transaction_id(r: _Reader, header: etree._Element | None) -> etree._Element | None:
    if header is None:
        return None
    _no_text(header, "Header", _FORMAT)
    found = None
    for child in _elements(header):
        local = etree.QName(child).localname
        if local == "TransactionID":
            if found is not None:
                raise MM7Error("TransactionID", "duplicate")
            found = child
        elif (child.get(_MUST_UNDERSTAND) or "").strip(_XML_SPACE) in ("1", "true"):
            r.deviate("header-not-understood", local, f"mustUnderstand header {local} unknown")
    return found


def _transaction_id(r: _Reader, el: etree._Element | None, expected_ns: str) -> str:
    name = "TransactionID"
    if el is None:
        r.deviate("transaction-id-missing", name, "missing")
        return ""
    ns = etree.QName(el).namespace
    if ns is None:
        r.deviate("transaction-id-no-namespace", name, f"in no namespace, expected {expected_ns}")
    elif ns != expected_ns:
        if ns not in MM7_NAMESPACES and ns != r.config.namespace:
            raise MM7Error(name, f"namespace {ns}, expected {expected_ns}", _VERSION)
        r.deviate("namespace-mismatch", name, f"namespace {ns}, expected {expected_ns}", _VERSION)
    must = el.get(_MUST_UNDERSTAND)
    if must is None:
        how = "unqualified" if el.get("mustUnderstand") is not None else "missing"
        r.deviate("mustunderstand-missing", f"{name}@mustUnderstand", f"env:mustUnderstand {how}")
    elif must.strip(_XML_SPACE) != "1":
        r.deviate("mustunderstand-value", f"{name}@mustUnderstand",
                  f"mustUnderstand={must!r}, expected \"1\"")
    text = _text(el, name)
    if not text.strip(_XML_SPACE):
        r.deviate("transaction-id-empty", name, "empty")
        return ""
    if text != text.strip(_XML_SPACE):
        r.deviate("transaction-id-whitespace", name, f"{text!r} padded with whitespace")
    return text.strip(_XML_SPACE)


def _faultcode(r: _Reader, el: etree._Element) -> str:
    """Normalise a SOAP-namespace faultcode to the prefix we write ("env:")."""
    raw = _text(el, "faultcode").strip(_XML_SPACE)
    prefix, colon, local = raw.rpartition(":")
    ns = el.nsmap.get(prefix) if colon else None
    if ns == SOAP_ENV_NS:
        return f"env:{local}"
    if ns is None:
        r.deviate("faultcode-unqualified", "faultcode", f"{raw!r} is not a SOAP envelope QName")
        return raw
    return f"{{{ns}}}{local}"  # an application-defined fault code, in Clark notation


def _read_fault(r: _Reader, fault: etree._Element, tid_el: etree._Element | None) -> SoapFault:
    seq = _read_sequence(r, fault, "Fault", _FAULT, name_of=r.fault_name)
    faultcode = _faultcode(r, seq["faultcode"][0])
    faultstring = _text(seq["faultstring"][0], "faultstring")
    entry: etree._Element | None = None
    detail_el = _one(seq, "detail")
    for child in [] if detail_el is None else _elements(detail_el):
        local = etree.QName(child).localname
        if local not in ("RSErrorRsp", "VASPErrorRsp"):
            r.deviate("fault-detail-unknown", local, f"{local} in Fault detail")
        elif entry is not None:
            raise MM7Error(local, "more than one error response in Fault detail")
        else:
            entry = child
    tid_ns = None if tid_el is None else etree.QName(tid_el).namespace
    header_ns = tid_ns if tid_ns in MM7_NAMESPACES else None
    if entry is None:
        # No MM7 element in the body: the header alone says which namespace.
        tid = _transaction_id(r, tid_el, r.config.namespace)
        return SoapFault(tid, header_ns or r.config.namespace, faultcode=faultcode,
                         faultstring=faultstring)
    qn = etree.QName(entry)
    ns = _op_namespace(r, qn.localname, qn.namespace, header_ns or r.config.namespace)
    tid = _transaction_id(r, tid_el, ns)
    cls = RSErrorRsp if qn.localname == "RSErrorRsp" else VASPErrorRsp
    detail = _read_generic_rsp(r, entry, tid, ns, cls)
    assert isinstance(detail, RSErrorRsp | VASPErrorRsp)
    return SoapFault(tid, header_ns or ns, detail.version, faultcode=faultcode,
                     faultstring=faultstring, detail=detail)


def _read_envelope(r: _Reader, root: etree._Element, parts: dict[str, ContentPart]
                   ) -> MM7Message:
    qn = etree.QName(root)
    if qn.namespace != SOAP_ENV_NS or qn.localname != "Envelope":
        raise MM7Error("Envelope", f"root is {{{qn.namespace}}}{qn.localname}, not a SOAP 1.1 "
                       "Envelope", _FORMAT)
    _no_text(root, "Envelope", _FORMAT)
    header = body = None
    for child in _elements(root):
        cq = etree.QName(child)
        first = header is None and body is None
        if cq.namespace == SOAP_ENV_NS and cq.localname == "Header" and first:
            header = child
        elif cq.namespace == SOAP_ENV_NS and cq.localname == "Body" and body is None:
            body = child
        else:
            raise MM7Error("Envelope", f"unexpected {cq.localname} in Envelope", _FORMAT)
    if body is None:
        raise MM7Error("Body", "missing", _FORMAT)
    _no_text(body, "Body", _FORMAT)
    entries = _elements(body)
    if len(entries) != 1:
        raise MM7Error("Body", f"{len(entries)} body entries, expected one", _FORMAT)
    op_el = entries[0]
    tid_el = _find_transaction_id(r, header)
    oq = etree.QName(op_el)
    if oq.namespace == SOAP_ENV_NS:
        if oq.localname == "Fault":
            return _read_fault(r, op_el, tid_el)
        raise MM7Error(oq.localname, "unsupported operation", _OPERATION)
    tid_ns = None if tid_el is None else etree.QName(tid_el).namespace
    fallback = tid_ns if tid_ns in MM7_NAMESPACES else r.config.namespace
    ns = _op_namespace(r, oq.localname, oq.namespace, fallback)
    op = oq.localname
    if op not in ("SubmitReq", "SubmitRsp", "DeliveryReportReq", "DeliveryReportRsp",
                  "RSErrorRsp", "VASPErrorRsp"):
        raise MM7Error(op, "unsupported operation", _OPERATION)
    tid = _transaction_id(r, tid_el, ns)
    if op == "SubmitReq":
        return _read_submit_req(r, op_el, tid, ns, parts)
    if op == "SubmitRsp":
        return _read_submit_rsp(r, op_el, tid, ns)
    if op == "DeliveryReportReq":
        return _read_delivery_report_req(r, op_el, tid, ns)
    if op == "DeliveryReportRsp":
        return _read_generic_rsp(r, op_el, tid, ns, DeliveryReportRsp)
    r.deviate("error-outside-fault", op, f"{op} straight in the Body, not inside a SOAP Fault")
    return _read_generic_rsp(r, op_el, tid, ns, RSErrorRsp if op == "RSErrorRsp" else VASPErrorRsp)


def _check_soap_action(r: _Reader, value: str | None) -> None:
    if value is None:
        return
    bare = value.strip()
    if len(bare) >= 2 and bare[0] == bare[-1] == '"':
        bare = bare[1:-1].strip()
    if bare == "":
        return
    if bare in MM7_NAMESPACES or bare == r.config.namespace:
        r.deviate("soapaction-namespace", "SOAPAction", f"{value!r}, expected \"\"", _FORMAT)
    else:
        r.deviate("soapaction-other", "SOAPAction", f"{value!r}, expected \"\"", _FORMAT)


def _unbracket(r: _Reader, raw: str, element: str) -> str:
    value = raw.strip()
    if len(value) >= 2 and value[0] == "<" and value[-1] == ">":
        return value[1:-1]
    r.deviate("content-id-no-brackets", element, f"{raw!r} without angle brackets", _FORMAT)
    return value


def _xml_type(r: _Reader, media_type: str, element: str) -> None:
    if media_type == "text/xml":
        return
    if media_type == "application/xml":
        r.deviate("content-type-application-xml", element, "application/xml, expected text/xml",
                  _FORMAT)
        return
    raise MM7Error(element, f"{media_type}, expected text/xml", _FORMAT)


def _split_body(r: _Reader, body: bytes, content_type: str
                ) -> tuple[bytes, dict[str, ContentPart]]:
    """Return the SOAP envelope bytes and the content parts by Content-ID."""
    header = mime.parse_content_type(content_type)
    if header.media_type != "multipart/related":
        _xml_type(r, header.media_type, "Content-Type")
        return body, {}
    boundary = header.param("boundary")
    if not boundary:
        if body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            r.deviate("multipart-no-boundary", "Content-Type@boundary",
                      "multipart/related without boundary", _FORMAT)
            return body, {}
        raise MM7Error("Content-Type@boundary", "multipart/related without boundary", _FORMAT)
    try:
        content_type.encode("latin-1")
    except UnicodeEncodeError:
        raise MM7Error("Content-Type", "not latin-1", _FORMAT) from None
    # The split's framing notes are not judged here yet: MM7 reads past them,
    # as it always has, until they become named deviations.
    subparts = mime.split(body, boundary).parts
    if not subparts:
        raise MM7Error("Content-Type@boundary", f"no MIME part with boundary {boundary!r}",
                       _FORMAT)
    start_raw = header.param("start")
    start = None if start_raw is None else _unbracket(r, start_raw, "Content-Type@start")
    envelope: mime.SplitPart | None = None
    parts: dict[str, ContentPart] = {}
    for part in subparts:
        cid = None if part.content_id is None else _unbracket(r, part.content_id, "Content-ID")
        if envelope is None and (cid == start if start is not None else True):
            envelope = part
            continue
        if cid is None:
            r.deviate("content-id-missing", "Content-ID", "content part without Content-ID",
                      _FORMAT)
            cid = ""
        if cid in parts:
            raise MM7Error("Content-ID", f"duplicate Content-ID <{cid}>", _FORMAT)
        ctype = part.media_type if part.content_type is None else part.content_type
        parts[cid] = ContentPart(cid, ctype, part.data)
    if envelope is None:
        raise MM7Error("Content-Type@start", f"no MIME part with Content-ID <{start}>", _FORMAT)
    _xml_type(r, envelope.media_type, "Content-Type")
    return envelope.data, parts


def _charset_override(r: _Reader, data: bytes) -> str | None:
    """Detect a declaration that says e.g. ISO-8859-1 over bytes that are UTF-8."""
    match = _XML_DECL_ENCODING.match(data)
    if match is None:
        return None
    declared = match.group(2).decode("ascii")
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        raise MM7Error("xml@encoding", f"unknown charset {declared!r}", _FORMAT) from None
    if name.startswith(("utf-8", "utf-16", "utf-32")) or data.isascii():
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None  # not UTF-8 either: trust the declaration
    r.deviate("charset-mismatch", "xml@encoding",
              f"declares {declared} but the bytes are UTF-8", _FORMAT)
    return "utf-8"


def _parse_xml(r: _Reader, data: bytes) -> etree._Element:
    # Refuse DTDs before libxml2 sees them, so no entity can be declared,
    # let alone expanded (XXE, billion laughs). The post-parse check below
    # catches DTDs the byte scan misses (e.g. UTF-16 documents).
    if b"<!DOCTYPE" in data:
        raise MM7Error("Envelope", "DTD not allowed", _FORMAT)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        remove_blank_text=False,
        load_dtd=False,
        encoding=_charset_override(r, data),
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise MM7Error("Envelope", f"malformed XML: {exc}", _FORMAT) from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise MM7Error("Envelope", "DTD not allowed", _FORMAT)
    return root


def decode(
    body: bytes,
    content_type: str,
    *,
    soap_action: str | None = None,
    config: CodecConfig = _DEFAULT_CONFIG,
) -> Decoded:
    """Turn an MM7 HTTP body into a typed message, or raise MM7Error."""
    if len(body) > config.max_body:
        raise MM7Error("Envelope", "body too large", _FORMAT)
    r = _Reader(config)
    _check_soap_action(r, soap_action)
    try:
        xml, parts = _split_body(r, bytes(body), content_type)
    except mime.MimeError as exc:
        # Whatever the MIME layer cannot read is a corrupt message format to MM7.
        raise MM7Error(exc.field, exc.reason, _FORMAT) from None
    message = _read_envelope(r, _parse_xml(r, xml), parts)
    return Decoded(message, tuple(r.deviations))


# --------------------------------------------------------------------------- encode


class _Writer:
    """Builds MM7 elements in one namespace, all with the mm7 prefix."""

    def __init__(self, ns: str) -> None:
        self.ns = ns

    def add(self, parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        el = etree.SubElement(parent, f"{{{self.ns}}}{name}")
        if text is not None:
            try:
                el.text = text
            except ValueError:  # control characters XML 1.0 cannot carry
                raise MM7Error(name, "text is not XML-compatible") from None
        return el

    def opt(self, parent: etree._Element, name: str, value: str | bool | None) -> None:
        if isinstance(value, bool):
            self.add(parent, name, "true" if value else "false")
        elif value is not None:
            self.add(parent, name, value)

    def address_into(self, holder: etree._Element, address: Address) -> None:
        if address.kind not in _ADDRESS_KINDS:
            raise MM7Error(etree.QName(holder).localname,
                           f"address kind {address.kind!r} is not one of {_ADDRESS_KINDS}")
        self.add(holder, address.kind, address.value)

    def address(self, parent: etree._Element, name: str, address: Address) -> None:
        self.address_into(self.add(parent, name), address)

    def status(self, parent: etree._Element, status: Status) -> None:
        if status.code <= 0:
            raise MM7Error("StatusCode", f"{status.code} is not a positive integer")
        holder = self.add(parent, "Status")
        self.add(holder, "StatusCode", str(status.code))
        self.add(holder, "StatusText", status.text)  # mandatory in responseStatusType
        self.opt(holder, "Details", status.details)

    def op(self, parent: etree._Element, name: str, version: str) -> etree._Element:
        el = etree.SubElement(parent, f"{{{self.ns}}}{name}", nsmap={"mm7": self.ns})
        self.add(el, "MM7Version", version)
        return el


def _check_rel5(message: SubmitReq | DeliveryReportReq) -> None:
    if is_rel6(message.namespace):
        return
    for element, attr in _REL6_FIELDS:
        if getattr(message, attr) is not None:
            raise MM7Error(element, "not in REL-5")


def _applic(w: _Writer, el: etree._Element, message: SubmitReq | DeliveryReportReq) -> None:
    for element, attr in _REL6_FIELDS:
        w.opt(el, element, getattr(message, attr))


def _write_submit_req(w: _Writer, body: etree._Element, m: SubmitReq) -> None:
    _check_rel5(m)
    el = w.op(body, "SubmitReq", m.version)
    sender = w.add(el, "SenderIdentification")
    w.opt(sender, "VASPID", m.vasp_id)
    w.opt(sender, "VASID", m.vas_id)
    if m.sender_address is not None:
        w.address(sender, "SenderAddress", m.sender_address)
    recipients = w.add(el, "Recipients")
    for name, addresses in (("To", m.to), ("Cc", m.cc), ("Bcc", m.bcc)):
        if addresses:
            holder = w.add(recipients, name)
            for address in addresses:
                w.address_into(holder, address)
    w.opt(el, "ServiceCode", m.service_code)
    w.opt(el, "LinkedID", m.linked_id)
    w.opt(el, "MessageClass", m.message_class)
    w.opt(el, "DeliveryReport", m.delivery_report)
    w.opt(el, "ReadReply", m.read_reply)
    w.opt(el, "Priority", m.priority)
    w.opt(el, "Subject", m.subject)
    _applic(w, el, m)
    if m.content_href is not None:
        try:
            w.add(el, "Content").set("href", m.content_href)
        except ValueError:  # control characters, lone surrogates
            raise MM7Error("Content@href", "not XML-compatible", _FORMAT) from None


def _write_delivery_report_req(w: _Writer, body: etree._Element, m: DeliveryReportReq) -> None:
    _check_rel5(m)
    el = w.op(body, "DeliveryReportReq", m.version)
    w.opt(el, "MMSRelayServerID", m.relay_server_id)
    w.add(el, "MessageID", m.message_id)
    w.address(el, "Recipient", m.recipient)
    w.address(el, "Sender", m.sender)
    w.add(el, "Date", m.date)
    w.add(el, "MMStatus", m.mm_status)
    w.opt(el, "StatusText", m.status_text)
    _applic(w, el, m)


def _write_fault(body: etree._Element, m: SoapFault) -> None:
    prefix, colon, local = m.faultcode.rpartition(":")
    if colon and prefix != "env":
        # The only prefix bound in what we write is env (the SOAP envelope).
        raise MM7Error("faultcode", f"{m.faultcode!r}: use env:{local} or a bare name")
    fault = etree.SubElement(body, f"{{{SOAP_ENV_NS}}}Fault")
    for name, text in (("faultcode", f"env:{local}"), ("faultstring", m.faultstring)):
        try:
            etree.SubElement(fault, name).text = text
        except ValueError:
            raise MM7Error(name, "text is not XML-compatible") from None
    if m.detail is not None:
        detail = etree.SubElement(fault, "detail")
        w = _Writer(m.detail.namespace)
        w.status(w.op(detail, type(m.detail).__name__, m.detail.version), m.detail.status)


def _as_fault(message: RSErrorRsp | VASPErrorRsp) -> SoapFault:
    """Error responses travel inside a SOAP Fault (WIRE-FACTS §3)."""
    code = message.status.code
    return SoapFault(
        transaction_id=message.transaction_id,
        namespace=message.namespace,
        version=message.version,
        faultcode="env:Client" if code // 1000 == 2 else "env:Server",
        faultstring=message.status.text or STATUS_TEXT.get(code, "Error"),
        detail=message,
    )


def _envelope_bytes(message: MM7Message) -> bytes:
    ns = message.namespace
    if not ns:
        raise MM7Error(type(message).__name__, "no namespace")
    root = etree.Element(f"{{{SOAP_ENV_NS}}}Envelope", nsmap={"env": SOAP_ENV_NS})
    header = etree.SubElement(root, f"{{{SOAP_ENV_NS}}}Header")
    tid = etree.SubElement(header, f"{{{ns}}}TransactionID", nsmap={"mm7": ns})
    tid.set(_MUST_UNDERSTAND, "1")
    try:
        tid.text = message.transaction_id
    except ValueError:
        raise MM7Error("TransactionID", "text is not XML-compatible") from None
    body = etree.SubElement(root, f"{{{SOAP_ENV_NS}}}Body")
    w = _Writer(ns)
    if isinstance(message, SoapFault):
        _write_fault(body, message)
    elif isinstance(message, SubmitReq):
        _write_submit_req(w, body, message)
    elif isinstance(message, DeliveryReportReq):
        _write_delivery_report_req(w, body, message)
    elif isinstance(message, SubmitRsp):
        el = w.op(body, "SubmitRsp", message.version)
        w.status(el, message.status)
        w.opt(el, "MessageID", message.message_id)
    elif isinstance(message, DeliveryReportRsp):
        w.status(w.op(body, "DeliveryReportRsp", message.version), message.status)
    else:
        raise TypeError(f"not an MM7 message: {type(message).__name__}")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(
        root, encoding="UTF-8", xml_declaration=False, pretty_print=True
    )


_ANY_NEWLINE = re.compile(rb"\r\n|\r|\n")


def _multipart(envelope: bytes, parts: Sequence[ContentPart], boundary: str | None,
               transaction_id: str) -> Encoded:
    # Every line of the body ends in CRLF, the envelope's too, although its
    # part says binary (which keeps the bytes as given).
    soap = mime.Part('text/xml; charset="utf-8"', _ANY_NEWLINE.sub(b"\r\n", envelope),
                     ENVELOPE_CONTENT_ID, "binary")
    # base64 for every content part: binary-safe, and line endings cannot be rewritten.
    content = [mime.Part(p.content_type, p.data, p.content_id, "base64") for p in parts]
    try:
        built = mime.build_related(
            [soap, *content], root_type="text/xml", start=ENVELOPE_CONTENT_ID,
            boundary=boundary,
            # From the transaction ID: the same message gives the same (golden) bytes.
            boundary_seed=transaction_id, boundary_prefix="mm7-boundary-")
    except mime.MimeError as exc:
        raise MM7Error(exc.field, exc.reason, _FORMAT) from None
    return Encoded(built.content_type, built.body)


def encode(
    message: MM7Message, *, parts: Sequence[ContentPart] = (), boundary: str | None = None
) -> Encoded:
    """Turn a typed message into an HTTP body with its Content-Type.

    RSErrorRsp / VASPErrorRsp are always sent inside a SOAP Fault. ``parts``
    (or a SubmitReq's own ``parts``) make the body multipart/related.
    """
    if isinstance(message, RSErrorRsp | VASPErrorRsp):
        message = _as_fault(message)
    all_parts = tuple(parts) or (message.parts if isinstance(message, SubmitReq) else ())
    if isinstance(message, SubmitReq):
        if all_parts and message.content_href is None:
            message = replace(message, content_href=f"cid:{all_parts[0].content_id}")
        href = message.content_href
        if href is not None and _cid_of(href, {part.content_id for part in all_parts}) is None:
            raise MM7Error("Content@href", f"{href!r} names no part", _FORMAT)
    envelope = _envelope_bytes(message)
    if not all_parts:
        return Encoded('text/xml; charset="utf-8"', envelope)
    return _multipart(envelope, all_parts, boundary, message.transaction_id)


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
    elif isinstance(m, DeliveryReportReq):
        line = f"DeliveryReportReq MessageID={m.message_id} {m.mm_status}"
    elif isinstance(m, SoapFault):
        if m.detail is not None:
            line = f"Fault {m.detail.status.code} {m.detail.status.text}"
        else:
            line = f"Fault {m.faultcode} {m.faultstring}"
    else:
        line = f"{type(m).__name__} {m.status.code} {m.status.text}"
    return _one_line(f"{line} tid={m.transaction_id}")


def _one_line(text: str) -> str:
    return " ".join(text.split())
