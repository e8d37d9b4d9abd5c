"""Readers of the operations in the Body: SubmitReq, SubmitRsp, DeliverReq,
DeliverRsp, CancelReq, ReplaceReq, DeliveryReportReq, ReadReplyReq, the REL-6
extended cancel and replace, and the generic responses (CancelRsp, ReplaceRsp,
DeliveryReportRsp, ReadReplyRsp, RSErrorRsp, VASPErrorRsp)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from lxml import etree

from .multipart import nested_content_ids
from .rules import (
    CHARGED_PARTIES,
    CONTENT_CLASSES,
    DELIVERY_REPORT_REQ_SEQUENCE,
    FIELD_OF,
    MESSAGE_CLASSES,
    MM_STATUS_EXTENSIONS,
    OPERATION_SEQUENCES,
    PRIORITIES,
    RECIPIENTS_SEQUENCE,
    SENDER_IDENTIFICATION_SEQUENCE,
    STATUS_FORMAT,
    SUBMIT_REQ_SEQUENCE,
    SUBMIT_RSP_SEQUENCE,
    XML_SPACE,
    cid_of,
)
from .types import (
    MM_STATUSES,
    READ_STATUSES,
    Address,
    CancelReq,
    CancelRsp,
    ContentPart,
    DeliverReq,
    DeliverRsp,
    DeliveryReportReq,
    DeliveryReportRsp,
    ExtendedCancelReq,
    ExtendedCancelRsp,
    ExtendedReplaceReq,
    ExtendedReplaceRsp,
    MM7Error,
    ReadReplyReq,
    ReadReplyRsp,
    ReplaceReq,
    ReplaceRsp,
    RSErrorRsp,
    SubmitReq,
    SubmitRsp,
    VASPErrorRsp,
)
from .values import (
    read_address,
    read_addresses,
    read_bool,
    read_date,
    read_enum,
    read_opt_bool,
    read_status,
    read_time,
    read_version,
)
from .xml import Reader, Seq, child_elements, no_text, one, opt_text, read_sequence, text_of

if TYPE_CHECKING:
    from .types import MM7Message


def read_submit_req(
    r: Reader, el: etree._Element, tid: str, ns: str, parts: dict[str, ContentPart]
) -> SubmitReq:
    seq = read_sequence(r, el, "SubmitReq", SUBMIT_REQ_SEQUENCE)
    version = read_version(r, seq)
    sender = read_sequence(
        r,
        seq["SenderIdentification"][0],
        "SenderIdentification",
        SENDER_IDENTIFICATION_SEQUENCE,
        foreign="vendor-element",
    )
    sender_address_el = one(sender, "SenderAddress")
    recipients = read_sequence(r, seq["Recipients"][0], "Recipients", RECIPIENTS_SEQUENCE)
    lists = {name: read_addresses(r, els[0], name) for name, els in recipients.items()}
    if not lists:
        raise MM7Error("Recipients", "no recipient address")
    # Schema elements the model does not carry are still checked, then dropped.
    timestamp = one(seq, "TimeStamp")
    if timestamp is not None:
        read_date(r, timestamp, "TimeStamp")
    for name in ("DistributionIndicator", "DRMContent"):
        read_opt_bool(r, seq, name)
    read_enum(seq, "ChargedParty", CHARGED_PARTIES)
    read_enum(seq, "ContentClass", CONTENT_CLASSES)
    return SubmitReq(
        transaction_id=tid,
        namespace=ns,
        version=version,
        vasp_id=opt_text(sender, "VASPID"),
        vas_id=opt_text(sender, "VASID"),
        sender_address=(
            None
            if sender_address_el is None
            else read_address(r, sender_address_el, "SenderAddress")
        ),
        to=lists.get("To", ()),
        cc=lists.get("Cc", ()),
        bcc=lists.get("Bcc", ()),
        service_code=opt_text(seq, "ServiceCode"),
        linked_id=opt_text(seq, "LinkedID"),
        message_class=read_enum(seq, "MessageClass", MESSAGE_CLASSES),
        delivery_report=read_opt_bool(r, seq, "DeliveryReport"),
        read_reply=read_opt_bool(r, seq, "ReadReply"),
        priority=read_enum(seq, "Priority", PRIORITIES),
        subject=opt_text(seq, "Subject"),
        applic_id=opt_text(seq, "ApplicID"),
        reply_applic_id=opt_text(seq, "ReplyApplicID"),
        aux_applic_info=opt_text(seq, "AuxApplicInfo"),
        earliest_delivery_time=_opt_time(r, seq, "EarliestDeliveryTime"),
        expiry_date=_opt_time(r, seq, "ExpiryDate"),
        content_href=_content_href(r, one(seq, "Content"), parts),
        parts=tuple(parts.values()),
    )


def _opt_time(r: Reader, seq: Seq, name: str) -> str | None:
    el = one(seq, name)
    return None if el is None else read_time(r, el, name)


def _content_href(
    r: Reader, el: etree._Element | None, parts: dict[str, ContentPart]
) -> str | None:
    if el is None:
        return None
    href = el.get("href")
    if href is None:
        raise MM7Error("Content@href", "missing")
    adapt = el.get("allowAdaptations")
    if adapt is not None:
        read_bool(r, adapt, "Content@allowAdaptations")
    if cid_of(href, parts) is None and cid_of(href, nested_content_ids(parts.values())) is None:
        ref = href.strip(XML_SPACE)
        if ref[:4].lower() != "cid:":
            raise MM7Error("Content@href", f"{href!r} is not a cid: reference", STATUS_FORMAT)
        raise MM7Error("Content@href", f"no MIME part with Content-ID <{ref[4:]}>", STATUS_FORMAT)
    return href


def read_delivery_report_req(r: Reader, el: etree._Element, tid: str, ns: str) -> DeliveryReportReq:
    seq = read_sequence(
        r,
        el,
        "DeliveryReportReq",
        DELIVERY_REPORT_REQ_SEQUENCE,
        aliases={
            "TimeStamp": ("Date", "timestamp-for-date"),
            "Recipients": ("Recipient", "recipients-for-recipient"),
        },
    )
    version = read_version(r, seq)
    mm_status = text_of(seq["MMStatus"][0], "MMStatus").strip(XML_SPACE)
    if mm_status not in MM_STATUSES:
        if not mm_status.isdigit():
            raise MM7Error("MMStatus", f"{mm_status!r} is not one of {', '.join(MM_STATUSES)}")
        r.deviate("mmstatus-numeric", "MMStatus", f"numeric MMStatus {mm_status!r}")
    read_enum(seq, "MMStatusExtension", MM_STATUS_EXTENSIONS)
    return DeliveryReportReq(
        transaction_id=tid,
        namespace=ns,
        version=version,
        message_id=text_of(seq["MessageID"][0], "MessageID"),
        recipient=_report_recipient(r, seq["Recipient"][0]),
        sender=read_address(r, seq["Sender"][0], "Sender"),
        date=read_date(r, seq["Date"][0], "Date"),
        mm_status=mm_status,
        relay_server_id=opt_text(seq, "MMSRelayServerID"),
        status_text=opt_text(seq, "StatusText"),
        applic_id=opt_text(seq, "ApplicID"),
        reply_applic_id=opt_text(seq, "ReplyApplicID"),
        aux_applic_info=opt_text(seq, "AuxApplicInfo"),
    )


def _report_recipient(r: Reader, el: etree._Element) -> Address:
    """Recipient, or the SubmitReq-style Recipients some peers write in its
    place (already recorded): its one address, bare or in one To/Cc/Bcc."""
    if r.mm7_name(el) == "Recipients":
        holders = [c for c in child_elements(el) if r.mm7_name(c) in ("To", "Cc", "Bcc")]
        if len(holders) > 1:
            raise MM7Error("Recipients", "more than one address list where Recipient has one")
        if holders:
            return read_address(r, holders[0], "Recipients")
    return read_address(r, el, "Recipient")


def read_submit_rsp(r: Reader, el: etree._Element, tid: str, ns: str) -> SubmitRsp:
    seq = read_sequence(r, el, "SubmitRsp", SUBMIT_RSP_SEQUENCE)
    version = read_version(r, seq)
    status = read_status(r, seq["Status"][0])
    message_id = opt_text(seq, "MessageID")
    if message_id is None and status.ok:
        raise MM7Error("MessageID", "missing in a successful SubmitRsp")
    return SubmitRsp(tid, ns, version, status=status, message_id=message_id)


GenericRspType = (
    DeliveryReportRsp
    | RSErrorRsp
    | VASPErrorRsp
    | CancelRsp
    | ReplaceRsp
    | ReadReplyRsp
    | ExtendedCancelRsp
)
GenericRsp = (
    type[DeliveryReportRsp]
    | type[RSErrorRsp]
    | type[VASPErrorRsp]
    | type[CancelRsp]
    | type[ReplaceRsp]
    | type[ReadReplyRsp]
    | type[ExtendedCancelRsp]
)


def read_generic_rsp(
    r: Reader, el: etree._Element, tid: str, ns: str, cls: GenericRsp
) -> GenericRspType:
    wire = "extendedCancelRsp" if cls is ExtendedCancelRsp else cls.__name__
    seq = read_sequence(r, el, wire, OPERATION_SEQUENCES[wire])
    version = read_version(r, seq)
    return cls(tid, ns, version, status=read_status(r, seq["Status"][0]))


# --------------------------------------------------------------------------- the rest


def _sender_identification(r: Reader, seq: Seq) -> tuple[str | None, str | None, Address | None]:
    """VASPID, VASID and SenderAddress of a VASP request's SenderIdentification."""
    sender = read_sequence(
        r,
        seq["SenderIdentification"][0],
        "SenderIdentification",
        SENDER_IDENTIFICATION_SEQUENCE,
        foreign="vendor-element",
    )
    address_el = one(sender, "SenderAddress")
    address = None if address_el is None else read_address(r, address_el, "SenderAddress")
    return opt_text(sender, "VASPID"), opt_text(sender, "VASID"), address


def _recipient_lists(r: Reader, el: etree._Element | None) -> dict[str, tuple[Address, ...]]:
    if el is None:
        return {}
    recipients = read_sequence(r, el, "Recipients", RECIPIENTS_SEQUENCE)
    lists = {name: read_addresses(r, els[0], name) for name, els in recipients.items()}
    if not lists:
        raise MM7Error("Recipients", "no recipient address")
    return lists


def _opt_date(r: Reader, seq: Seq, name: str) -> str | None:
    el = one(seq, name)
    return None if el is None else read_date(r, el, name)


# --------------------------------------------------------------------------- the table


def _none(_r: Reader, _seq: Seq, name: str, _parts: dict[str, ContentPart]) -> Any:
    """In _READ where no sequence has the element so (optional or mandatory); _row refuses
    a row that would use it, at import."""
    raise AssertionError(f"{name}: no reader for it so")


#: Reads one element of an operation: (reader, seq, element name, MIME parts) -> its value.
_Read = Callable[[Reader, Seq, str, dict[str, ContentPart]], Any]


def _sender_fields(r: Reader, seq: Seq, _name: str, _parts: dict[str, ContentPart]) -> Any:
    vasp_id, vas_id, sender_address = _sender_identification(r, seq)
    return {"vasp_id": vasp_id, "vas_id": vas_id, "sender_address": sender_address}


def _recipient_fields(r: Reader, seq: Seq, name: str, _parts: dict[str, ContentPart]) -> Any:
    lists = _recipient_lists(r, one(seq, name))
    return {"to": lists.get("To", ()), "cc": lists.get("Cc", ()), "bcc": lists.get("Bcc", ())}


def _content_fields(r: Reader, seq: Seq, name: str, parts: dict[str, ContentPart]) -> Any:
    return {
        "content_href": _content_href(r, one(seq, name), parts),
        "parts": tuple(parts.values()),
    }


def _no_text(_r: Reader, seq: Seq, name: str, _parts: dict[str, ContentPart]) -> Any:
    holder = one(seq, name)
    if holder is not None:
        no_text(holder, name)


def _read_status(r: Reader, el: etree._Element, allowed: tuple[str, ...]) -> str:
    """MMStatus: one of ``allowed``, or (recorded) a number."""
    mm_status = text_of(el, "MMStatus").strip(XML_SPACE)
    if mm_status not in allowed:
        if not mm_status.isdigit():
            raise MM7Error("MMStatus", f"{mm_status!r} is not one of {', '.join(allowed)}")
        r.deviate("mmstatus-numeric", "MMStatus", f"numeric MMStatus {mm_status!r}")
    return mm_status


#: Elements that fill several fields (a dict of them), or none.
_MULTI: dict[str, _Read] = {
    "SenderIdentification": _sender_fields,
    "Recipients": _recipient_fields,
    "Content": _content_fields,
    "Previouslysentby": _no_text,
    "Previouslysentdateandtime": _no_text,
}
#: How an element is read, the same in every operation that has it: (optional, mandatory).
_READ: dict[str, tuple[_Read, _Read]] = {
    "Sender": (_none, lambda r, seq, name, _p: read_address(r, seq[name][0], name)),
    "Recipient": (_none, lambda r, seq, name, _p: _report_recipient(r, seq[name][0])),
    "TimeStamp": (
        lambda r, seq, name, _p: _opt_date(r, seq, name),
        lambda r, seq, name, _p: read_date(r, seq[name][0], name),
    ),
    "EarliestDeliveryTime": (lambda r, seq, name, _p: _opt_time(r, seq, name), _none),
    "ExpiryDate": (lambda r, seq, name, _p: _opt_time(r, seq, name), _none),
    "Priority": (lambda _r, seq, name, _p: read_enum(seq, name, PRIORITIES), _none),
    "ContentClass": (lambda _r, seq, name, _p: read_enum(seq, name, CONTENT_CLASSES), _none),
    "MMStatus": (_none, lambda r, seq, name, _p: _read_status(r, seq[name][0], READ_STATUSES)),
    "Status": (_none, lambda r, seq, name, _p: read_status(r, seq[name][0])),
    **dict.fromkeys(
        ("ReadReply", "DeliveryReport", "DistributionIndicator", "DRMContent"),
        (lambda r, seq, name, _p: read_opt_bool(r, seq, name), _none),
    ),
}
_TEXT: tuple[_Read, _Read] = (
    lambda _r, seq, name, _p: opt_text(seq, name),
    lambda _r, seq, name, _p: text_of(seq[name][0], name),
)

_APPLIC = ("ApplicID", "ReplyApplicID", "AuxApplicInfo")

#: The operations read from a row: wire name -> the message type, aliases for
#: read_sequence, and the order its elements are read in after MM7Version (the order
#: refusals and deviations come in). How each is read is the element's (_MULTI, _READ,
#: else text; mandatory as its slot in the operation's sequence); an element whose field
#: the type lacks is read, checked and dropped. SubmitReq, SubmitRsp, DeliveryReportReq
#: and the generic responses have readers of their own, above.
_ORDER: dict[str, tuple[type[MM7Message], dict[str, tuple[str, str]] | None, tuple[str, ...]]] = {
    "DeliverReq": (
        DeliverReq,
        None,
        (
            "Recipients",
            "Previouslysentby",
            "Previouslysentdateandtime",
            "Sender",
            "MMSRelayServerID",
            "VASPID",
            "VASID",
            "LinkedID",
            "TimeStamp",
            "ReplyChargingID",
            "Priority",
            "Subject",
            "Content",
            *_APPLIC,
        ),
    ),
    "DeliverRsp": (DeliverRsp, None, ("Status", "ServiceCode")),
    "CancelReq": (CancelReq, None, ("SenderIdentification", "Recipients", "MessageID", *_APPLIC)),
    "ReplaceReq": (
        ReplaceReq,
        None,
        (
            "SenderIdentification",
            "DRMContent",
            "ContentClass",
            "MessageID",
            "ServiceCode",
            "TimeStamp",
            "ReadReply",
            "EarliestDeliveryTime",
            "DistributionIndicator",
            "Content",
            *_APPLIC,
        ),
    ),
    "ReadReplyReq": (
        ReadReplyReq,
        {"Recipients": ("Recipient", "recipients-for-recipient")},
        (
            "MMStatus",
            "MessageID",
            "Recipient",
            "Sender",
            "TimeStamp",
            "MMSRelayServerID",
            "StatusText",
            *_APPLIC,
        ),
    ),
    "extendedCancelReq": (ExtendedCancelReq, None, ("SenderIdentification", "CancelID")),
    "extendedReplaceReq": (
        ExtendedReplaceReq,
        None,
        (
            "VASPID",
            "VASID",
            "ServiceCode",
            "ReplaceID",
            "TimeStamp",
            "EarliestDeliveryTime",
            "ExpiryDate",
            "ReadReply",
            "DeliveryReport",
            "Content",
        ),
    ),
    "extendedReplaceRsp": (ExtendedReplaceRsp, None, ("Status", "MessageID")),
}

#: A read step: the element, its reader, and the field it fills ("*": the fields the
#: reader returns; None: checked and dropped).
_Step = tuple[str, _Read, str | None]


def _row(op: str) -> tuple[type[MM7Message], dict[str, tuple[str, str]] | None, tuple[_Step, ...]]:
    cls, aliases, order = _ORDER[op]
    carried = {f.name for f in fields(cls)}
    required = {slot.name for slot in OPERATION_SEQUENCES[op] if slot.required}
    steps: list[_Step] = []
    for name in order:
        attr = FIELD_OF.get(name)
        kept = attr if attr in carried else None
        if name in _MULTI:
            steps.append((name, _MULTI[name], "*" if kept else None))
        else:
            read = _READ.get(name, _TEXT)[name in required]
            if read is _none:
                raise AssertionError(f"{op}: no reader for {name} (mandatory: {name in required})")
            steps.append((name, read, kept))
    return cls, aliases, tuple(steps)


_ROWS = {op: _row(op) for op in _ORDER}


def read_operation(
    r: Reader, el: etree._Element, tid: str, ns: str, parts: dict[str, ContentPart], op: str
) -> MM7Message:
    """Read one of the operations in ``_ORDER`` from its row."""
    cls, aliases, steps = _ROWS[op]
    seq = read_sequence(r, el, op, OPERATION_SEQUENCES[op], aliases=aliases)
    version = read_version(r, seq)
    values: dict[str, Any] = {}
    for name, read, attr in steps:
        value = read(r, seq, name, parts)
        if attr == "*":
            values.update(value)
        elif attr is not None:
            values[attr] = value
    return cls(transaction_id=tid, namespace=ns, version=version, **values)


#: The wire names read_operation reads.
ROW_OPERATIONS = frozenset(_ORDER)
