"""Readers of the operations in the Body: SubmitReq, SubmitRsp, DeliverReq,
DeliverRsp, CancelReq, ReplaceReq, DeliveryReportReq, ReadReplyReq, the REL-6
extended cancel and replace, and the generic responses (CancelRsp, ReplaceRsp,
DeliveryReportRsp, ReadReplyRsp, RSErrorRsp, VASPErrorRsp)."""

from __future__ import annotations

from lxml import etree

from .multipart import nested_content_ids
from .rules import (
    CANCEL_REQ_SEQUENCE,
    CHARGED_PARTIES,
    CONTENT_CLASSES,
    DELIVER_REQ_SEQUENCE,
    DELIVER_RSP_SEQUENCE,
    DELIVERY_REPORT_REQ_SEQUENCE,
    EXTENDED_CANCEL_REQ_SEQUENCE,
    EXTENDED_CANCEL_RSP_SEQUENCE,
    EXTENDED_REPLACE_REQ_SEQUENCE,
    EXTENDED_REPLACE_RSP_SEQUENCE,
    GENERIC_RSP_SEQUENCE,
    MESSAGE_CLASSES,
    MM_STATUS_EXTENSIONS,
    PRIORITIES,
    READ_REPLY_REQ_SEQUENCE,
    RECIPIENTS_SEQUENCE,
    REPLACE_REQ_SEQUENCE,
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
    if cls is ExtendedCancelRsp:
        seq = read_sequence(r, el, "extendedCancelRsp", EXTENDED_CANCEL_RSP_SEQUENCE)
    else:
        seq = read_sequence(r, el, cls.__name__, GENERIC_RSP_SEQUENCE)
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


def _applic(seq: Seq) -> dict[str, str | None]:
    return {
        "applic_id": opt_text(seq, "ApplicID"),
        "reply_applic_id": opt_text(seq, "ReplyApplicID"),
        "aux_applic_info": opt_text(seq, "AuxApplicInfo"),
    }


def read_deliver_req(
    r: Reader, el: etree._Element, tid: str, ns: str, parts: dict[str, ContentPart]
) -> DeliverReq:
    seq = read_sequence(r, el, "DeliverReq", DELIVER_REQ_SEQUENCE)
    version = read_version(r, seq)
    lists = _recipient_lists(r, one(seq, "Recipients"))
    # Schema elements the model does not carry are still checked, then dropped.
    for name in ("Previouslysentby", "Previouslysentdateandtime"):
        holder = one(seq, name)
        if holder is not None:
            no_text(holder, name)
    return DeliverReq(
        transaction_id=tid,
        namespace=ns,
        version=version,
        sender=read_address(r, seq["Sender"][0], "Sender"),
        relay_server_id=opt_text(seq, "MMSRelayServerID"),
        vasp_id=opt_text(seq, "VASPID"),
        vas_id=opt_text(seq, "VASID"),
        linked_id=opt_text(seq, "LinkedID"),
        to=lists.get("To", ()),
        cc=lists.get("Cc", ()),
        bcc=lists.get("Bcc", ()),
        timestamp=_opt_date(r, seq, "TimeStamp"),
        reply_charging_id=opt_text(seq, "ReplyChargingID"),
        priority=read_enum(seq, "Priority", PRIORITIES),
        subject=opt_text(seq, "Subject"),
        content_href=_content_href(r, one(seq, "Content"), parts),
        parts=tuple(parts.values()),
        **_applic(seq),
    )


def read_deliver_rsp(r: Reader, el: etree._Element, tid: str, ns: str) -> DeliverRsp:
    seq = read_sequence(r, el, "DeliverRsp", DELIVER_RSP_SEQUENCE)
    version = read_version(r, seq)
    status = read_status(r, seq["Status"][0])
    return DeliverRsp(tid, ns, version, status=status, service_code=opt_text(seq, "ServiceCode"))


def read_cancel_req(r: Reader, el: etree._Element, tid: str, ns: str) -> CancelReq:
    seq = read_sequence(r, el, "CancelReq", CANCEL_REQ_SEQUENCE)
    version = read_version(r, seq)
    vasp_id, vas_id, sender_address = _sender_identification(r, seq)
    _recipient_lists(r, one(seq, "Recipients"))  # checked, not carried
    return CancelReq(
        transaction_id=tid,
        namespace=ns,
        version=version,
        message_id=text_of(seq["MessageID"][0], "MessageID"),
        vasp_id=vasp_id,
        vas_id=vas_id,
        sender_address=sender_address,
        **_applic(seq),
    )


def read_replace_req(
    r: Reader, el: etree._Element, tid: str, ns: str, parts: dict[str, ContentPart]
) -> ReplaceReq:
    seq = read_sequence(r, el, "ReplaceReq", REPLACE_REQ_SEQUENCE)
    version = read_version(r, seq)
    vasp_id, vas_id, sender_address = _sender_identification(r, seq)
    read_opt_bool(r, seq, "DRMContent")
    read_enum(seq, "ContentClass", CONTENT_CLASSES)
    return ReplaceReq(
        transaction_id=tid,
        namespace=ns,
        version=version,
        message_id=text_of(seq["MessageID"][0], "MessageID"),
        vasp_id=vasp_id,
        vas_id=vas_id,
        sender_address=sender_address,
        service_code=opt_text(seq, "ServiceCode"),
        timestamp=_opt_date(r, seq, "TimeStamp"),
        read_reply=read_opt_bool(r, seq, "ReadReply"),
        earliest_delivery_time=_opt_time(r, seq, "EarliestDeliveryTime"),
        distribution_indicator=read_opt_bool(r, seq, "DistributionIndicator"),
        content_href=_content_href(r, one(seq, "Content"), parts),
        parts=tuple(parts.values()),
        **_applic(seq),
    )


def read_read_reply_req(r: Reader, el: etree._Element, tid: str, ns: str) -> ReadReplyReq:
    seq = read_sequence(
        r,
        el,
        "ReadReplyReq",
        READ_REPLY_REQ_SEQUENCE,
        aliases={"Recipients": ("Recipient", "recipients-for-recipient")},
    )
    version = read_version(r, seq)
    mm_status = text_of(seq["MMStatus"][0], "MMStatus").strip(XML_SPACE)
    if mm_status not in READ_STATUSES:
        if not mm_status.isdigit():
            raise MM7Error("MMStatus", f"{mm_status!r} is not one of {', '.join(READ_STATUSES)}")
        r.deviate("mmstatus-numeric", "MMStatus", f"numeric MMStatus {mm_status!r}")
    return ReadReplyReq(
        transaction_id=tid,
        namespace=ns,
        version=version,
        message_id=text_of(seq["MessageID"][0], "MessageID"),
        recipient=_report_recipient(r, seq["Recipient"][0]),
        sender=read_address(r, seq["Sender"][0], "Sender"),
        timestamp=read_date(r, seq["TimeStamp"][0], "TimeStamp"),
        mm_status=mm_status,
        relay_server_id=opt_text(seq, "MMSRelayServerID"),
        status_text=opt_text(seq, "StatusText"),
        **_applic(seq),
    )


def read_extended_cancel_req(r: Reader, el: etree._Element, tid: str, ns: str) -> ExtendedCancelReq:
    seq = read_sequence(r, el, "extendedCancelReq", EXTENDED_CANCEL_REQ_SEQUENCE)
    version = read_version(r, seq)
    vasp_id, vas_id, sender_address = _sender_identification(r, seq)
    return ExtendedCancelReq(
        transaction_id=tid,
        namespace=ns,
        version=version,
        cancel_id=text_of(seq["CancelID"][0], "CancelID"),
        vasp_id=vasp_id,
        vas_id=vas_id,
        sender_address=sender_address,
    )


def read_extended_replace_req(
    r: Reader, el: etree._Element, tid: str, ns: str, parts: dict[str, ContentPart]
) -> ExtendedReplaceReq:
    seq = read_sequence(r, el, "extendedReplaceReq", EXTENDED_REPLACE_REQ_SEQUENCE)
    version = read_version(r, seq)
    return ExtendedReplaceReq(
        transaction_id=tid,
        namespace=ns,
        version=version,
        vasp_id=opt_text(seq, "VASPID"),
        vas_id=opt_text(seq, "VASID"),
        service_code=opt_text(seq, "ServiceCode"),
        replace_id=opt_text(seq, "ReplaceID"),
        timestamp=_opt_date(r, seq, "TimeStamp"),
        earliest_delivery_time=_opt_time(r, seq, "EarliestDeliveryTime"),
        expiry_date=_opt_time(r, seq, "ExpiryDate"),
        read_reply=read_opt_bool(r, seq, "ReadReply"),
        delivery_report=read_opt_bool(r, seq, "DeliveryReport"),
        content_href=_content_href(r, one(seq, "Content"), parts),
        parts=tuple(parts.values()),
    )


def read_extended_replace_rsp(
    r: Reader, el: etree._Element, tid: str, ns: str
) -> ExtendedReplaceRsp:
    seq = read_sequence(r, el, "extendedReplaceRsp", EXTENDED_REPLACE_RSP_SEQUENCE)
    version = read_version(r, seq)
    status = read_status(r, seq["Status"][0])
    message_id = text_of(seq["MessageID"][0], "MessageID")
    return ExtendedReplaceRsp(tid, ns, version, status=status, message_id=message_id)
