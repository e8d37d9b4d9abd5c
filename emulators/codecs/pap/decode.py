"""PAP documents from bytes: one message under ``<pap>``, checked element by element."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from lxml import etree

from . import xml
from .address import parse_address
from .types import (
    BAD_REQUEST,
    BEARERS,
    DELIVERY_METHODS,
    DEVIATION_CODES,
    MESSAGE_STATES,
    NETWORKS,
    PRIORITIES,
    BadMessageResponse,
    CancelMessage,
    CancelResponse,
    CancelResult,
    Decoded,
    Deviation,
    Mode,
    PapError,
    PapMessage,
    PushMessage,
    PushResponse,
    QualityOfService,
    ResponseResult,
    ResultNotificationMessage,
    ResultNotificationResponse,
    StatusQueryMessage,
    StatusQueryResponse,
    StatusQueryResult,
)

_PAP_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


class Reader:
    """Per-call state: the mode and the deviations so far."""

    def __init__(self, mode: Mode) -> None:
        self.strict = mode is Mode.STRICT
        self.deviations: list[Deviation] = []

    def deviate(self, code: str, field: str, detail: str) -> None:
        """Strict: refuse, naming the deviation. Lenient: record once per (code, field)."""
        assert code in DEVIATION_CODES, code
        if self.strict:
            raise PapError(field, f"{detail} ({code})", BAD_REQUEST, deviation=code)
        if not any(d.code == code and d.field == field for d in self.deviations):
            self.deviations.append(Deviation(code, field, detail))


# --- attributes ------------------------------------------------------------------------


class Attrs:
    """One element's attributes, taken one by one; what is left over is unknown."""

    def __init__(self, r: Reader, el: etree._Element, name: str) -> None:
        self.r = r
        self.name = name
        self.left = {str(k): str(v) for k, v in el.attrib.items()}

    def where(self, attr: str) -> str:
        return f"{self.name}@{attr}"

    def opt(self, attr: str) -> str | None:
        return self.left.pop(attr, None)

    def req(self, attr: str) -> str:
        value = self.left.pop(attr, None)
        if value is None or not value.strip():
            raise PapError(self.where(attr), "required attribute missing or empty")
        return value

    def code(self, attr: str = "code", required: bool = True) -> int | None:
        value = self.req(attr) if required else self.opt(attr)
        if value is None:
            return None
        text = value.strip()
        if not re.fullmatch(r"\d{4}", text):
            raise PapError(self.where(attr), f"{value!r} is not a four-digit PAP code")
        return int(text)

    def enum(self, attr: str, values: tuple[str, ...], default: str, code: str) -> str:
        value = self.opt(attr)
        if value is None:
            return default
        if value in values:
            return value
        folded = {v.lower(): v for v in values}
        canonical = folded.get(value.strip().lower())
        if canonical is None:
            raise PapError(self.where(attr), f"{value!r} is not one of {', '.join(values)}")
        self.r.deviate(code, self.where(attr), f"{value!r} for {canonical!r}")
        return canonical

    def boolean(self, attr: str, default: bool = False) -> bool:
        value = self.enum(attr, ("true", "false"), "true" if default else "false", "keyword-case")
        return value == "true"

    def time(self, attr: str) -> dt.datetime | None:
        value = self.opt(attr)
        if value is None:
            return None
        return parse_time(self.r, self.where(attr), value)

    def done(self) -> None:
        for attr in self.left:
            self.r.deviate("unknown-attribute", self.where(attr), "not defined by PAP; ignored")


def parse_time(r: Reader, where: str, value: str) -> dt.datetime:
    """PAP writes UTC as YYYY-MM-DDThh:mm:ssZ; lenient also takes other ISO 8601 forms."""
    text = value.strip()
    if _PAP_TIME.fullmatch(text):
        try:
            return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        except ValueError:
            raise PapError(where, f"{value!r} is not a date and time") from None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PapError(where, f"{value!r} is not a PAP timestamp (YYYY-MM-DDThh:mm:ssZ)") from None
    r.deviate("timestamp-format", where, f"{value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).replace(microsecond=0)


# --- elements --------------------------------------------------------------------------


def _children(r: Reader, el: etree._Element, name: str, allowed: tuple[str, ...]) -> list:
    """Element children in ``allowed``; text between them refused, others per mode."""
    out = []
    for piece in [el.text, *(c.tail for c in el)]:
        if piece and piece.strip():
            raise PapError(name, "unexpected text content")
    for child in el:
        if not isinstance(child.tag, str):
            continue  # comments, processing instructions
        tag = child.tag
        if tag in allowed:
            out.append(child)
        else:
            r.deviate("unknown-element", f"{name}/{tag}", "not allowed here; ignored")
    return out


def _addresses(r: Reader, children: list, name: str, *, required: bool) -> tuple[str, ...]:
    values = []
    for child in children:
        if child.tag != "address":
            continue
        a = Attrs(r, child, "address")
        value = a.req("address-value")
        a.done()
        _children(r, child, "address", ())
        parse_address(value, r.deviate)  # PapError(2002) when it is no address at all
        values.append(value)
    if required and not values:
        raise PapError(f"{name}/address", "at least one address is required")
    return tuple(values)


def _one(children: list, tag: str, name: str, *, required: bool) -> etree._Element | None:
    found = [c for c in children if c.tag == tag]
    if len(found) > 1:
        raise PapError(f"{name}/{tag}", "more than one")
    if required and not found:
        raise PapError(f"{name}/{tag}", "required element missing")
    return found[0] if found else None


def _qos(r: Reader, el: etree._Element | None) -> QualityOfService | None:
    if el is None:
        return None
    a = Attrs(r, el, "quality-of-service")
    qos = QualityOfService(
        priority=a.enum("priority", PRIORITIES, "medium", "keyword-case"),
        delivery_method=a.enum("delivery-method", DELIVERY_METHODS, "notspecified", "keyword-case"),
        network=a.enum("network", NETWORKS, "Any", "bearer-case"),
        network_required=a.boolean("network-required"),
        bearer=a.enum("bearer", BEARERS, "Any", "bearer-case"),
        bearer_required=a.boolean("bearer-required"),
    )
    a.done()
    _children(r, el, "quality-of-service", ())
    return qos


def _push_message(r: Reader, el: etree._Element) -> PushMessage:
    name = "push-message"
    a = Attrs(r, el, name)
    push_id = a.req("push-id")
    deliver_before = a.time("deliver-before-timestamp")
    deliver_after = a.time("deliver-after-timestamp")
    source_reference = a.opt("source-reference")
    progress = a.boolean("progress-notes-requested")
    notify = a.opt("ppg-notify-requested-to")
    a.done()
    children = _children(r, el, name, ("address", "quality-of-service"))
    addresses = _addresses(r, children, name, required=True)
    qos = _qos(r, _one(children, "quality-of-service", name, required=False))
    return PushMessage(
        push_id=push_id,
        addresses=addresses,
        deliver_before=deliver_before,
        deliver_after=deliver_after,
        source_reference=source_reference,
        progress_notes_requested=progress,
        ppg_notify_requested_to=notify.strip() if notify is not None else None,
        qos=qos,
    )


def _response_result(r: Reader, el: etree._Element, name: str) -> ResponseResult:
    a = Attrs(r, el, name)
    code = a.code()
    assert code is not None
    desc = a.opt("desc")
    a.done()
    _children(r, el, name, ())
    return ResponseResult(code, desc)


def _push_response(r: Reader, el: etree._Element) -> PushResponse:
    name = "push-response"
    a = Attrs(r, el, name)
    push_id = a.req("push-id")
    sender_address, sender_name = a.opt("sender-address"), a.opt("sender-name")
    reply_time = a.time("reply-time")
    a.done()
    children = _children(r, el, name, ("progress-note", "response-result"))
    result = _one(children, "response-result", name, required=True)
    assert result is not None
    return PushResponse(
        push_id,
        _response_result(r, result, "response-result"),
        sender_address,
        sender_name,
        reply_time,
    )


def _badmessage(r: Reader, el: etree._Element) -> BadMessageResponse:
    a = Attrs(r, el, "badmessage-response")
    code = a.code()
    assert code is not None
    out = BadMessageResponse(code, a.opt("desc"), a.opt("bad-message-fragment"))
    a.done()
    _children(r, el, "badmessage-response", ())
    return out


def _state(a: Attrs) -> str:
    return a.enum("message-state", MESSAGE_STATES, "unknown", "keyword-case")


def _result_notification(r: Reader, el: etree._Element) -> ResultNotificationMessage:
    name = "resultnotification-message"
    a = Attrs(r, el, name)
    push_id = a.req("push-id")
    sender_address, sender_name = a.opt("sender-address"), a.opt("sender-name")
    received, event = a.time("received-time"), a.time("event-time")
    if "message-state" not in a.left:
        raise PapError(a.where("message-state"), "required attribute missing or empty")
    state = _state(a)
    code = a.code()
    assert code is not None
    desc = a.opt("desc")
    a.done()
    children = _children(r, el, name, ("address", "quality-of-service"))
    addresses = _addresses(r, children, name, required=True)
    if len(addresses) != 1:
        raise PapError(f"{name}/address", "exactly one address is required")
    qos = _qos(r, _one(children, "quality-of-service", name, required=False))
    return ResultNotificationMessage(
        push_id, addresses[0], state, code, desc, sender_address, sender_name, received, event, qos
    )


def _result_notification_response(r: Reader, el: etree._Element) -> ResultNotificationResponse:
    name = "resultnotification-response"
    a = Attrs(r, el, name)
    push_id = a.req("push-id")
    code = a.code()
    assert code is not None
    desc = a.opt("desc")
    a.done()
    children = _children(r, el, name, ("address",))
    addresses = _addresses(r, children, name, required=False)
    return ResultNotificationResponse(push_id, code, desc, addresses[0] if addresses else None)


def _query_like(r: Reader, el: etree._Element, name: str) -> tuple[str, tuple[str, ...]]:
    a = Attrs(r, el, name)
    push_id = a.req("push-id")
    a.done()
    children = _children(r, el, name, ("address",))
    return push_id, _addresses(r, children, name, required=False)


def _statusquery_response(r: Reader, el: etree._Element) -> StatusQueryResponse:
    name = "statusquery-response"
    a = Attrs(r, el, name)
    push_id = a.req("push-id")
    a.done()
    results = []
    for child in _children(r, el, name, ("statusquery-result",)):
        b = Attrs(r, child, "statusquery-result")
        if "message-state" not in b.left:
            raise PapError(b.where("message-state"), "required attribute missing or empty")
        state = _state(b)
        code = b.code()
        assert code is not None
        desc, event = b.opt("desc"), b.time("event-time")
        b.done()
        kids = _children(r, child, "statusquery-result", ("address", "quality-of-service"))
        addresses = _addresses(r, kids, "statusquery-result", required=False)
        results.append(
            StatusQueryResult(state, code, desc, event, addresses[0] if addresses else None)
        )
    if not results:
        raise PapError(f"{name}/statusquery-result", "at least one result is required")
    return StatusQueryResponse(push_id, tuple(results))


def _cancel_response(r: Reader, el: etree._Element) -> CancelResponse:
    name = "cancel-response"
    a = Attrs(r, el, name)
    push_id = a.req("push-id")
    a.done()
    results = []
    for child in _children(r, el, name, ("cancel-result",)):
        b = Attrs(r, child, "cancel-result")
        code = b.code()
        assert code is not None
        desc = b.opt("desc")
        b.done()
        kids = _children(r, child, "cancel-result", ("address",))
        addresses = _addresses(r, kids, "cancel-result", required=False)
        results.append(CancelResult(code, desc, addresses[0] if addresses else None))
    if not results:
        raise PapError(f"{name}/cancel-result", "at least one result is required")
    return CancelResponse(push_id, tuple(results))


_READERS: dict[str, Callable[[Reader, etree._Element], PapMessage]] = {
    "push-message": _push_message,
    "push-response": _push_response,
    "badmessage-response": _badmessage,
    "resultnotification-message": _result_notification,
    "resultnotification-response": _result_notification_response,
    "statusquery-message": lambda r, el: StatusQueryMessage(
        *_query_like(r, el, "statusquery-message")
    ),
    "statusquery-response": _statusquery_response,
    "cancel-message": lambda r, el: CancelMessage(*_query_like(r, el, "cancel-message")),
    "cancel-response": _cancel_response,
}


# --- the document ----------------------------------------------------------------------


def _version(r: Reader, doctype: xml.Doctype | None) -> str | None:
    if doctype is None:
        r.deviate("doctype-missing", "pap@DOCTYPE", "no DOCTYPE")
        return None
    if doctype.name != "pap":
        raise PapError("pap@DOCTYPE", f"document type {doctype.name!r}, not pap")
    version = doctype.version
    if version is not None:
        return version
    public_id = (doctype.public_id or "").strip()
    if re.fullmatch(r"-//WAPFORUM//DTD PAP//EN", public_id):
        r.deviate("doctype-no-version", "pap@DOCTYPE", repr(public_id))
        return doctype.pap_ver_pi
    r.deviate("doctype-unknown", "pap@DOCTYPE", repr(public_id or doctype.system_id))
    return doctype.pap_ver_pi


def decode(data: bytes, mode: Mode | str = Mode.STRICT) -> Decoded:
    """A PAP document from its bytes; PapError naming the element or attribute."""
    r = Reader(Mode(mode))
    if len(data) > xml.MAX_DOCUMENT:
        raise PapError("pap", f"document over {xml.MAX_DOCUMENT} bytes")
    data = xml.transcode(data)
    doctype = xml.find_doctype(data)
    body = xml.blank(data, doctype.start, doctype.end) if doctype is not None else data
    try:
        root = xml.parse(body)
    except PapError:
        fixed = xml.fix_typographic_quotes(body)
        if fixed is None:
            raise
        body, attr = fixed
        root = xml.parse(body)  # still not well formed: that error
        r.deviate("typographic-quotes", attr, "attribute value in typographic quotes")
    if root.tag != "pap":
        raise PapError(str(root.tag), "the root element must be pap")
    version = _version(r, doctype)
    a = Attrs(r, root, "pap")
    product_name = a.opt("product-name")
    a.done()
    children = _children(r, root, "pap", tuple(_READERS))
    if len(children) != 1:
        raise PapError("pap", f"exactly one message element expected, found {len(children)}")
    child = children[0]
    message = _READERS[child.tag](r, child)
    return Decoded(message, version, r.deviations, product_name)
