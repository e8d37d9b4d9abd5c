"""Readers of the SOAP envelope: the Header's TransactionID, the namespace of
the operation, the Fault, and the Envelope that holds them."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from .operations import (
    ROW_OPERATIONS,
    read_delivery_report_req,
    read_generic_rsp,
    read_operation,
    read_submit_req,
    read_submit_rsp,
)
from .rules import (
    ALL_OPERATIONS,
    EXTENDED_NAMESPACES,
    FAULT_SEQUENCE,
    MUST_UNDERSTAND,
    STATUS_FORMAT,
    STATUS_OPERATION,
    STATUS_VERSION,
    XML_SPACE,
    operations_in,
    release_of,
)
from .types import (
    MM7_NAMESPACES,
    SOAP_ENV_NS,
    CancelRsp,
    ContentPart,
    DeliveryReportRsp,
    ExtendedCancelRsp,
    MM7Error,
    MM7Message,
    ReadReplyRsp,
    ReplaceRsp,
    RSErrorRsp,
    SoapFault,
    VASPErrorRsp,
    is_rel6,
)
from .xml import Reader, child_elements, no_text, one, read_sequence, split_tag, text_of

#: The hand-written readers (the hot path), by wire name; SubmitReq reads the MIME
#: parts, the others ignore them. The generic responses and the error responses are
#: read by read_generic_rsp, the other operations from their rows (read_operation).
_READERS: dict[
    str, Callable[[Reader, etree._Element, str, str, dict[str, ContentPart]], MM7Message]
] = {
    "SubmitReq": read_submit_req,
    "SubmitRsp": lambda r, el, tid, ns, _parts: read_submit_rsp(r, el, tid, ns),
    "DeliveryReportReq": lambda r, el, tid, ns, _parts: read_delivery_report_req(r, el, tid, ns),
}

_GENERIC = {
    "CancelRsp": CancelRsp,
    "ReplaceRsp": ReplaceRsp,
    "DeliveryReportRsp": DeliveryReportRsp,
    "ReadReplyRsp": ReadReplyRsp,
    "extendedCancelRsp": ExtendedCancelRsp,
}


def _op_namespace(r: Reader, name: str, ns: str | None, fallback: str) -> str:
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
        r.deviate(
            "namespace-mismatch",
            name,
            f"namespace {ns}, expected {r.config.namespace}",
            STATUS_VERSION,
        )
        resolved = ns
    else:
        raise MM7Error(name, f"namespace {ns}, expected {r.config.namespace}", STATUS_VERSION)
    r.rel5 = not is_rel6(resolved)
    return resolved


def _find_transaction_id(r: Reader, header: etree._Element | None) -> etree._Element | None:
    if header is None:
        return None
    no_text(header, "Header", STATUS_FORMAT)
    found = None
    for child in child_elements(header):
        local = split_tag(child.tag)[1]
        if local == "TransactionID":
            if found is not None:
                raise MM7Error("TransactionID", "duplicate")
            found = child
        elif (child.get(MUST_UNDERSTAND) or "").strip(XML_SPACE) in ("1", "true"):
            r.deviate("header-not-understood", local, f"mustUnderstand header {local} unknown")
    return found


def _transaction_id(r: Reader, el: etree._Element | None, expected_ns: str) -> str:
    name = "TransactionID"
    if el is None:
        r.deviate("transaction-id-missing", name, "missing")
        return ""
    ns = split_tag(el.tag)[0]
    if ns is None:
        r.deviate("transaction-id-no-namespace", name, f"in no namespace, expected {expected_ns}")
    elif ns != expected_ns:
        if ns not in MM7_NAMESPACES and ns != r.config.namespace:
            raise MM7Error(name, f"namespace {ns}, expected {expected_ns}", STATUS_VERSION)
        r.deviate(
            "namespace-mismatch", name, f"namespace {ns}, expected {expected_ns}", STATUS_VERSION
        )
    must = el.get(MUST_UNDERSTAND)
    if must is None:
        how = "unqualified" if el.get("mustUnderstand") is not None else "missing"
        r.deviate("mustunderstand-missing", f"{name}@mustUnderstand", f"env:mustUnderstand {how}")
    elif must.strip(XML_SPACE) != "1":
        r.deviate(
            "mustunderstand-value",
            f"{name}@mustUnderstand",
            f'mustUnderstand={must!r}, expected "1"',
        )
    text = text_of(el, name)
    if not text.strip(XML_SPACE):
        r.deviate("transaction-id-empty", name, "empty")
        return ""
    if text != text.strip(XML_SPACE):
        r.deviate("transaction-id-whitespace", name, f"{text!r} padded with whitespace")
    return text.strip(XML_SPACE)


def _faultcode(r: Reader, el: etree._Element) -> str:
    """Normalise a SOAP-namespace faultcode to the prefix we write ("env:")."""
    raw = text_of(el, "faultcode").strip(XML_SPACE)
    prefix, colon, local = raw.rpartition(":")
    ns = el.nsmap.get(prefix) if colon else None
    if ns == SOAP_ENV_NS:
        return f"env:{local}"
    if ns is None:
        r.deviate("faultcode-unqualified", "faultcode", f"{raw!r} is not a SOAP envelope QName")
        return raw
    return f"{{{ns}}}{local}"  # an application-defined fault code, in Clark notation


def _read_fault(r: Reader, fault: etree._Element, tid_el: etree._Element | None) -> SoapFault:
    seq = read_sequence(r, fault, "Fault", FAULT_SEQUENCE, name_of=r.fault_name)
    faultcode = _faultcode(r, seq["faultcode"][0])
    faultstring = text_of(seq["faultstring"][0], "faultstring")
    entry: etree._Element | None = None
    detail_el = one(seq, "detail")
    for child in [] if detail_el is None else child_elements(detail_el):
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
        return SoapFault(
            tid, header_ns or r.config.namespace, faultcode=faultcode, faultstring=faultstring
        )
    qn = etree.QName(entry)
    ns = _op_namespace(r, qn.localname, qn.namespace, header_ns or r.config.namespace)
    tid = _transaction_id(r, tid_el, ns)
    cls = RSErrorRsp if qn.localname == "RSErrorRsp" else VASPErrorRsp
    detail = read_generic_rsp(r, entry, tid, ns, cls)
    assert isinstance(detail, RSErrorRsp | VASPErrorRsp)
    return SoapFault(
        tid,
        header_ns or ns,
        detail.version,
        faultcode=faultcode,
        faultstring=faultstring,
        detail=detail,
    )


def read_envelope(r: Reader, root: etree._Element, parts: dict[str, ContentPart]) -> MM7Message:
    root_ns, root_local = split_tag(root.tag)
    if root_ns != SOAP_ENV_NS or root_local != "Envelope":
        raise MM7Error(
            "Envelope",
            f"root is {{{root_ns}}}{root_local}, not a SOAP 1.1 Envelope",
            STATUS_FORMAT,
        )
    no_text(root, "Envelope", STATUS_FORMAT)
    header = body = None
    for child in child_elements(root):
        c_ns, c_local = split_tag(child.tag)
        first = header is None and body is None
        if c_ns == SOAP_ENV_NS and c_local == "Header" and first:
            header = child
        elif c_ns == SOAP_ENV_NS and c_local == "Body" and body is None:
            body = child
        else:
            raise MM7Error("Envelope", f"unexpected {c_local} in Envelope", STATUS_FORMAT)
    if body is None:
        raise MM7Error("Body", "missing", STATUS_FORMAT)
    no_text(body, "Body", STATUS_FORMAT)
    entries = child_elements(body)
    if len(entries) != 1:
        raise MM7Error("Body", f"{len(entries)} body entries, expected one", STATUS_FORMAT)
    op_el = entries[0]
    tid_el = _find_transaction_id(r, header)
    op_ns, op = split_tag(op_el.tag)
    if op_ns == SOAP_ENV_NS:
        if op == "Fault":
            return _read_fault(r, op_el, tid_el)
        raise MM7Error(op, "unsupported operation", STATUS_OPERATION)
    tid_ns = None if tid_el is None else split_tag(tid_el.tag)[0]
    fallback = tid_ns if tid_ns in MM7_NAMESPACES else r.config.namespace
    ns = _op_namespace(r, op, op_ns, fallback)
    if op not in ALL_OPERATIONS:
        raise MM7Error(op, "unsupported operation", STATUS_OPERATION)
    if ns in MM7_NAMESPACES and op not in operations_in(ns):
        # Judged by its own release: an operation a later release added.
        first = release_of(EXTENDED_NAMESPACES[0])
        r.deviate(
            "operation-not-in-release",
            op,
            f"{op} is not in {release_of(ns)} (first in {first})",
            STATUS_OPERATION,
        )
    tid = _transaction_id(r, tid_el, ns)
    reader = _READERS.get(op)
    if reader is not None:
        return reader(r, op_el, tid, ns, parts)
    if op in _GENERIC:
        return read_generic_rsp(r, op_el, tid, ns, _GENERIC[op])
    if op in ROW_OPERATIONS:
        return read_operation(r, op_el, tid, ns, parts, op)
    r.deviate("error-outside-fault", op, f"{op} straight in the Body, not inside a SOAP Fault")
    return read_generic_rsp(r, op_el, tid, ns, RSErrorRsp if op == "RSErrorRsp" else VASPErrorRsp)
