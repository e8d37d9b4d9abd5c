"""encode: a typed message -> an HTTP body (text/xml, or multipart/related when
there are content parts) and its Content-Type."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import fields, replace

from lxml import etree

from .. import mime
from . import types as _types
from .multipart import nested_content_ids
from .rules import (
    ADDRESS_KINDS,
    ENVELOPE_CONTENT_ID,
    FIELD_OF,
    MUST_UNDERSTAND,
    OPERATION_SEQUENCES,
    REL6_FIELDS,
    STATUS_FORMAT,
    STATUS_OPERATION,
    cid_of,
    operations_in,
    release_of,
)
from .types import (
    MM7_NAMESPACES,
    SOAP_ENV_NS,
    STATUS_TEXT,
    Address,
    CancelReq,
    ContentPart,
    DeliverReq,
    DeliveryReportReq,
    Encoded,
    ExtendedCancelReq,
    ExtendedReplaceReq,
    MM7Error,
    MM7Message,
    ReadReplyReq,
    ReplaceReq,
    RSErrorRsp,
    SoapFault,
    Status,
    SubmitReq,
    SubmitRsp,
    VASPErrorRsp,
    is_rel6,
)

#: Text and attribute values the fast serialiser writes as they are: printable ASCII
#: without the characters XML escapes (& < > "). Anything else goes through lxml, which
#: escapes it and refuses what XML 1.0 cannot carry.
_PLAIN = re.compile(r"[\x20\x21\x23-\x25\x27-\x3b\x3d\x3f-\x7e]*")


def _lxml_accepts_text(text: str) -> None:
    """ValueError where lxml would refuse ``text`` as element text (what the writer checks)."""
    etree.Element("x").text = text


class _Node:
    """An element being written: its local name (in the writer's namespace), text,
    attributes and children. Built in the order lxml would be, then serialised straight to
    bytes when every value is plain (``_serialise``), else through lxml (``_to_lxml``)."""

    __slots__ = ("attrs", "children", "name", "nsmap", "text")

    def __init__(self, name: str, text: str | None = None, nsmap: bool = False) -> None:
        self.name = name
        self.text = text
        self.attrs: list[tuple[str, str]] = []
        self.children: list[_Node] = []
        self.nsmap = nsmap  # declares xmlns:mm7 (an operation element)

    def set(self, name: str, value: str) -> None:
        """An attribute; ValueError where lxml would refuse the value."""
        if not _PLAIN.fullmatch(value):
            etree.Element("x").set(name, value)
        self.attrs.append((name, value))


class _Writer:
    """Builds MM7 elements in one namespace, all with the mm7 prefix."""

    def __init__(self, ns: str) -> None:
        self.ns = ns

    def add(self, parent: _Node, name: str, text: str | None = None) -> _Node:
        if text is not None and not _PLAIN.fullmatch(text):
            try:
                _lxml_accepts_text(text)
            except ValueError:  # control characters XML 1.0 cannot carry
                raise MM7Error(name, "text is not XML-compatible") from None
        el = _Node(name, text)
        parent.children.append(el)
        return el

    def opt(self, parent: _Node, name: str, value: str | bool | None) -> None:
        if isinstance(value, bool):
            self.add(parent, name, "true" if value else "false")
        elif value is not None:
            self.add(parent, name, value)

    def address_into(self, holder: _Node, address: Address) -> None:
        if address.kind not in ADDRESS_KINDS:
            raise MM7Error(
                holder.name,
                f"address kind {address.kind!r} is not one of {ADDRESS_KINDS}",
            )
        self.add(holder, address.kind, address.value)

    def address(self, parent: _Node, name: str, address: Address) -> None:
        self.address_into(self.add(parent, name), address)

    def status(self, parent: _Node, status: Status) -> None:
        if status.code <= 0:
            raise MM7Error("StatusCode", f"{status.code} is not a positive integer")
        holder = self.add(parent, "Status")
        self.add(holder, "StatusCode", str(status.code))
        self.add(holder, "StatusText", status.text)  # mandatory in responseStatusType
        self.opt(holder, "Details", status.details)

    def op(self, parent: _Node, name: str, version: str) -> _Node:
        el = _Node(name, nsmap=True)
        parent.children.append(el)
        self.add(el, "MM7Version", version)
        return el


def _to_lxml(node: _Node, parent: etree._Element, ns: str) -> None:
    """``node`` and what it holds as lxml elements under ``parent`` (values already checked)."""
    nsmap = {"mm7": ns} if node.nsmap else None
    el = etree.SubElement(parent, f"{{{ns}}}{node.name}", nsmap=nsmap)
    if node.text is not None:
        el.text = node.text
    for name, value in node.attrs:
        el.set(name, value)
    for child in node.children:
        _to_lxml(child, el, ns)


def _serialise(node: _Node, indent: str, out: list[str]) -> bool:
    """Append ``node`` as lxml's pretty_print writes it; False (out unusable) where a value
    is not plain or the node has both text and children."""
    attrs = ""
    for name, value in node.attrs:
        if not _PLAIN.fullmatch(value):
            return False
        attrs += f' {name}="{value}"'
    if node.nsmap:
        attrs = f' xmlns:mm7="{_NS_PLACEHOLDER}"' + attrs
    tag = "mm7:" + node.name
    text = node.text
    if node.children:
        if text is not None:
            return False
        out.append(f"{indent}<{tag}{attrs}>\n")
        inner = indent + "  "
        for child in node.children:
            if not _serialise(child, inner, out):
                return False
        out.append(f"{indent}</{tag}>\n")
    elif text is None:
        out.append(f"{indent}<{tag}{attrs}/>\n")
    elif _PLAIN.fullmatch(text):
        out.append(f"{indent}<{tag}{attrs}>{text}</{tag}>\n")
    else:
        return False
    return True


# Written where an operation element declares the mm7 prefix, then replaced by the
# namespace (one replace for the whole envelope; it cannot occur in a plain value).
_NS_PLACEHOLDER = "\x00ns\x00"


WithApplic = SubmitReq | DeliveryReportReq | DeliverReq | CancelReq | ReplaceReq | ReadReplyReq
WithContent = SubmitReq | DeliverReq | ReplaceReq | ExtendedReplaceReq


def _check_rel5(message: SubmitReq | DeliveryReportReq) -> None:
    if is_rel6(message.namespace):
        return
    for element, attr in REL6_FIELDS:
        if getattr(message, attr) is not None:
            raise MM7Error(element, "not in REL-5")


def _applic(w: _Writer, el: _Node, message: WithApplic) -> None:
    for element, attr in REL6_FIELDS:
        w.opt(el, element, getattr(message, attr))


def _sender_identification(
    w: _Writer, el: _Node, m: CancelReq | ReplaceReq | ExtendedCancelReq
) -> None:
    sender = w.add(el, "SenderIdentification")
    w.opt(sender, "VASPID", m.vasp_id)
    w.opt(sender, "VASID", m.vas_id)
    if m.sender_address is not None:
        w.address(sender, "SenderAddress", m.sender_address)


def _recipients(w: _Writer, el: _Node, m: SubmitReq | DeliverReq, *, required: bool) -> None:
    if not (required or m.to or m.cc or m.bcc):
        return
    recipients = w.add(el, "Recipients")
    for name, addresses in (("To", m.to), ("Cc", m.cc), ("Bcc", m.bcc)):
        if addresses:
            holder = w.add(recipients, name)
            for address in addresses:
                w.address_into(holder, address)


def _content(w: _Writer, el: _Node, m: WithContent) -> None:
    if m.content_href is not None:
        try:
            w.add(el, "Content").set("href", m.content_href)
        except ValueError:  # control characters, lone surrogates
            raise MM7Error("Content@href", "not XML-compatible", STATUS_FORMAT) from None


#: How a writer step writes its element.
_TEXT, _REQUIRED, _ADDRESS, _SENDER_ID, _RECIPIENTS, _STATUS, _CONTENT = range(7)
_KIND_OF = {
    "Sender": _ADDRESS,
    "Recipient": _ADDRESS,
    "SenderIdentification": _SENDER_ID,
    "Recipients": _RECIPIENTS,
    "Status": _STATUS,
    "Content": _CONTENT,
}

#: A writer step: the element, the field that carries it, how it is written, and
#: whether the slot is mandatory (Recipients).
_Step = tuple[str, str, int, bool]


def _steps(cls: type, wire: str) -> tuple[tuple[str, ...], tuple[_Step, ...]]:
    """Table row of an operation, from its sequence in the rules: the Rel-6 elements the
    model carries (refused in a REL-5 namespace, in sequence order), and a step for each
    element it carries, in sequence order (MM7Version is written by ``_Writer.op``)."""
    carried = {f.name for f in fields(cls)}
    rel6: list[str] = []
    steps: list[_Step] = []
    for slot in OPERATION_SEQUENCES[wire]:
        attr = FIELD_OF.get(slot.name)
        if attr is None or attr not in carried:
            continue
        if slot.rel6:
            rel6.append(slot.name)
        kind = _KIND_OF.get(slot.name, _REQUIRED if slot.required else _TEXT)
        steps.append((slot.name, attr, kind, slot.required))
    return tuple(rel6), tuple(steps)


def _write_op(
    w: _Writer,
    body: _Node,
    m: MM7Message,
    wire: str,
    rel6: tuple[str, ...],
    steps: tuple[_Step, ...],
) -> None:
    if rel6 and not is_rel6(m.namespace):
        for element in rel6:
            if getattr(m, FIELD_OF[element]) is not None:
                raise MM7Error(element, "not in REL-5")
    el = w.op(body, wire, m.version)
    for name, attr, kind, required in steps:
        if kind == _TEXT:
            w.opt(el, name, getattr(m, attr))
        elif kind == _REQUIRED:
            w.add(el, name, getattr(m, attr))
        elif kind == _ADDRESS:
            w.address(el, name, getattr(m, attr))
        elif kind == _SENDER_ID:
            _sender_identification(w, el, m)  # type: ignore[arg-type]
        elif kind == _RECIPIENTS:
            _recipients(w, el, m, required=required)  # type: ignore[arg-type]
        elif kind == _STATUS:
            w.status(el, m.status)  # type: ignore[union-attr]
        else:
            _content(w, el, m)  # type: ignore[arg-type]


#: The operations written by hand (the hot path) or inside a Fault (the error responses).
_BY_HAND = ("SubmitReq", "SubmitRsp", "DeliveryReportReq", "RSErrorRsp", "VASPErrorRsp")


def _type_of(wire: str) -> type:
    """The message type of an operation (the extended ones' class names start upper case)."""
    cls: type = getattr(_types, wire[0].upper() + wire[1:])
    return cls


#: The other operations, written from their row (``_steps``) by message type: one per
#: wire name in rules.OPERATION_SEQUENCES.
_TABLE: dict[type, tuple[str, tuple[str, ...], tuple[_Step, ...]]] = {
    _type_of(wire): (wire, *_steps(_type_of(wire), wire))
    for wire in OPERATION_SEQUENCES
    if wire not in _BY_HAND
}

#: Wire names of the operations whose name is not the class name.
_WIRE_NAME: dict[type, str] = {cls: row[0] for cls, row in _TABLE.items() if cls.__name__ != row[0]}

#: The responses that are MM7Version + Status (+ Extension): their row writes only Status.
_GENERIC_RSPS = frozenset(
    cls for cls, row in _TABLE.items() if [s[0] for s in row[2]] == ["Status"]
)


def _subclass_row(message: MM7Message) -> tuple[str, tuple[str, ...], tuple[_Step, ...]] | None:
    """The row of a subclass of a request, DeliverRsp or extendedReplaceRsp (written as
    their base); a generic response is written only as itself."""
    for cls in type(message).__mro__[1:]:
        if cls in _TABLE and cls not in _GENERIC_RSPS:
            return _TABLE[cls]
    return None


def _write_submit_req(w: _Writer, body: _Node, m: SubmitReq) -> None:
    _check_rel5(m)
    el = w.op(body, "SubmitReq", m.version)
    sender = w.add(el, "SenderIdentification")
    w.opt(sender, "VASPID", m.vasp_id)
    w.opt(sender, "VASID", m.vas_id)
    if m.sender_address is not None:
        w.address(sender, "SenderAddress", m.sender_address)
    _recipients(w, el, m, required=True)
    w.opt(el, "ServiceCode", m.service_code)
    w.opt(el, "LinkedID", m.linked_id)
    w.opt(el, "MessageClass", m.message_class)
    w.opt(el, "EarliestDeliveryTime", m.earliest_delivery_time)
    w.opt(el, "ExpiryDate", m.expiry_date)
    w.opt(el, "DeliveryReport", m.delivery_report)
    w.opt(el, "ReadReply", m.read_reply)
    w.opt(el, "Priority", m.priority)
    w.opt(el, "Subject", m.subject)
    _applic(w, el, m)
    _content(w, el, m)


def _write_delivery_report_req(w: _Writer, body: _Node, m: DeliveryReportReq) -> None:
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
        holder = _Node("detail")
        w.status(w.op(holder, type(m.detail).__name__, m.detail.version), m.detail.status)
        for child in holder.children:
            _to_lxml(child, detail, m.detail.namespace)


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


_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def _lxml_envelope(ns: str, transaction_id: str) -> tuple[etree._Element, etree._Element]:
    """The Envelope with its Header (TransactionID) as lxml elements, and the empty Body."""
    root = etree.Element(f"{{{SOAP_ENV_NS}}}Envelope", nsmap={"env": SOAP_ENV_NS})
    header = etree.SubElement(root, f"{{{SOAP_ENV_NS}}}Header")
    tid = etree.SubElement(header, f"{{{ns}}}TransactionID", nsmap={"mm7": ns})
    tid.set(MUST_UNDERSTAND, "1")
    try:
        tid.text = transaction_id
    except ValueError:
        raise MM7Error("TransactionID", "text is not XML-compatible") from None
    return root, etree.SubElement(root, f"{{{SOAP_ENV_NS}}}Body")


def _fast_envelope(ns: str, transaction_id: str, body: _Node) -> bytes | None:
    """The envelope as lxml's pretty_print writes it, without lxml; None when a value is
    not plain (then lxml writes it). A known MM7 namespace only: its URI needs no escaping
    and is no other prefix's."""
    if not _PLAIN.fullmatch(transaction_id):
        return None
    out = [
        f'<env:Envelope xmlns:env="{SOAP_ENV_NS}">\n  <env:Header>\n'
        f'    <mm7:TransactionID xmlns:mm7="{ns}" env:mustUnderstand="1">'
        f"{transaction_id}</mm7:TransactionID>\n  </env:Header>\n  <env:Body>\n"
    ]
    for child in body.children:
        if not _serialise(child, "    ", out):
            return None
    out.append("  </env:Body>\n</env:Envelope>\n")
    text = "".join(out).replace(_NS_PLACEHOLDER, ns)
    return _XML_DECLARATION + text.encode("ascii")


def _envelope_bytes(message: MM7Message) -> bytes:
    ns = message.namespace
    if not ns:
        raise MM7Error(type(message).__name__, "no namespace")
    # A known namespace and no Fault: written without lxml when every value is plain
    # (_fast_envelope; the bytes are lxml's, a property test holds them equal). Else
    # as before: lxml builds and writes it, and refuses what XML cannot carry.
    fast = ns in MM7_NAMESPACES and not isinstance(message, SoapFault)
    root: etree._Element | None = None
    if fast:
        if not _PLAIN.fullmatch(message.transaction_id):
            try:
                _lxml_accepts_text(message.transaction_id)
            except ValueError:
                raise MM7Error("TransactionID", "text is not XML-compatible") from None
    else:
        root, lxml_body = _lxml_envelope(ns, message.transaction_id)
    body = _Node("Body")
    w = _Writer(ns)
    wire = _WIRE_NAME.get(type(message), type(message).__name__)
    if ns in MM7_NAMESPACES and wire.endswith(("Req", "Rsp")) and wire not in operations_in(ns):
        raise MM7Error(wire, f"not in {release_of(ns)}", STATUS_OPERATION)
    if isinstance(message, SoapFault):
        _write_fault(lxml_body, message)
    elif isinstance(message, SubmitReq):
        _write_submit_req(w, body, message)
    elif isinstance(message, DeliveryReportReq):
        _write_delivery_report_req(w, body, message)
    elif isinstance(message, SubmitRsp):
        el = w.op(body, "SubmitRsp", message.version)
        w.status(el, message.status)
        w.opt(el, "MessageID", message.message_id)
    else:
        row = _TABLE.get(type(message)) or _subclass_row(message)
        if row is None:
            raise TypeError(f"not an MM7 message: {type(message).__name__}")
        _write_op(w, body, message, *row)
    if fast:
        written = _fast_envelope(ns, message.transaction_id, body)
        if written is not None:
            return written
        root, lxml_body = _lxml_envelope(ns, message.transaction_id)
    assert root is not None
    for child in body.children:
        _to_lxml(child, lxml_body, ns)
    return _XML_DECLARATION + etree.tostring(
        root, encoding="UTF-8", xml_declaration=False, pretty_print=True
    )


_ANY_NEWLINE = re.compile(rb"\r\n|\r|\n")


def _transfer_encoding(part: ContentPart) -> str:
    media = part.content_type.split(";", 1)[0].strip().lower()
    return "binary" if media.startswith("multipart/") else "base64"


def _multipart(
    envelope: bytes, parts: Sequence[ContentPart], boundary: str | None, transaction_id: str
) -> Encoded:
    # Every line of the body ends in CRLF, the envelope's too, although its
    # part says binary (which keeps the bytes as given).
    soap = mime.Part(
        'text/xml; charset="utf-8"',
        _ANY_NEWLINE.sub(b"\r\n", envelope),
        ENVELOPE_CONTENT_ID,
        "binary",
    )
    # base64 for every content part: binary-safe, and line endings cannot be
    # rewritten. Not for a multipart (e.g. the MM's multipart/mixed): RFC 2045
    # §6.4 allows it no encoding but 7bit, 8bit or binary, and a receiver
    # must see its inner parts (a Content href may name one) as sent.
    content = [
        mime.Part(p.content_type, p.data, p.content_id, _transfer_encoding(p)) for p in parts
    ]
    try:
        built = mime.build_related(
            [soap, *content],
            root_type="text/xml",
            start=ENVELOPE_CONTENT_ID,
            boundary=boundary,
            # From the transaction ID: the same message gives the same (golden) bytes.
            boundary_seed=transaction_id,
            boundary_prefix="mm7-boundary-",
        )
    except mime.MimeError as exc:
        raise MM7Error(exc.field, exc.reason, STATUS_FORMAT) from None
    return Encoded(built.content_type, built.body)


def encode(
    message: MM7Message, *, parts: Sequence[ContentPart] = (), boundary: str | None = None
) -> Encoded:
    """Turn a typed message into an HTTP body with its Content-Type.

    RSErrorRsp / VASPErrorRsp are always sent inside a SOAP Fault. ``parts``
    (or the ``parts`` of a SubmitReq, DeliverReq, ReplaceReq or
    extendedReplaceReq) make the body multipart/related, and the request's
    Content href defaults to the first part. An operation the message's
    namespace does not define (the extended ones before REL-6-MM7-1-4) is
    refused with 4003.
    """
    if isinstance(message, RSErrorRsp | VASPErrorRsp):
        message = _as_fault(message)
    all_parts = tuple(parts) or (message.parts if isinstance(message, WithContent) else ())
    if isinstance(message, WithContent):
        if all_parts and message.content_href is None:
            message = replace(message, content_href=f"cid:{all_parts[0].content_id}")
        href = message.content_href
        ids = {part.content_id for part in all_parts}
        if href is not None and cid_of(href, ids | nested_content_ids(all_parts)) is None:
            raise MM7Error("Content@href", f"{href!r} names no part", STATUS_FORMAT)
    envelope = _envelope_bytes(message)
    if not all_parts:
        return Encoded('text/xml; charset="utf-8"', envelope)
    return _multipart(envelope, all_parts, boundary, message.transaction_id)
