"""PAP documents to bytes: the XML declaration, the DOCTYPE of the version, one message.

Attributes are written in a fixed order and escaped; optional ones that are
None are left out, as are QoS values equal to PAP's defaults, so the bytes
are stable (golden vectors, traces).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from .types import (
    DOCTYPES,
    BadMessageResponse,
    CancelMessage,
    CancelResponse,
    PapError,
    PapMessage,
    PushMessage,
    PushResponse,
    QualityOfService,
    ResultNotificationMessage,
    ResultNotificationResponse,
    StatusQueryMessage,
    StatusQueryResponse,
)

_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "\r": "&#13;",
    "\n": "&#10;",
    "\t": "&#9;",
}


def _escape(value: str) -> str:
    for ch in value:
        if (
            (ord(ch) < 0x20 and ch not in "\t\r\n")
            or ch in "\ufffe\uffff"
            or 0xD800 <= ord(ch) <= 0xDFFF
        ):
            raise PapError("pap", f"character U+{ord(ch):04X} cannot be written in XML")
    return "".join(_ESCAPES.get(ch, ch) for ch in value)


def format_time(value: dt.datetime) -> str:
    """PAP's UTC form: YYYY-MM-DDThh:mm:ssZ."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _attrs(pairs: Iterable[tuple[str, object]]) -> str:
    out = []
    for name, value in pairs:
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, dt.datetime):
            text = format_time(value)
        else:
            text = str(value)
        out.append(f' {name}="{_escape(text)}"')
    return "".join(out)


def _empty(name: str, pairs: Iterable[tuple[str, object]]) -> str:
    return f"<{name}{_attrs(pairs)}/>"


def _address(value: str) -> str:
    return _empty("address", [("address-value", value)])


def _qos(qos: QualityOfService | None) -> str:
    if qos is None:
        return ""
    default = QualityOfService()
    pairs = [
        ("priority", qos.priority),
        ("delivery-method", qos.delivery_method),
        ("network", qos.network),
        ("network-required", qos.network_required),
        ("bearer", qos.bearer),
        ("bearer-required", qos.bearer_required),
    ]
    keep = [(n, v) for n, v in pairs if v != getattr(default, n.replace("-", "_"))]
    return _empty("quality-of-service", keep)


def _element(message: PapMessage) -> str:
    m = message
    if isinstance(m, PushMessage):
        head = _attrs(
            [
                ("push-id", m.push_id),
                ("deliver-before-timestamp", m.deliver_before),
                ("deliver-after-timestamp", m.deliver_after),
                ("source-reference", m.source_reference),
                ("progress-notes-requested", True if m.progress_notes_requested else None),
                ("ppg-notify-requested-to", m.ppg_notify_requested_to),
            ]
        )
        inner = "".join(_address(a) for a in m.addresses) + _qos(m.qos)
        return f"<push-message{head}>{inner}</push-message>"
    if isinstance(m, PushResponse):
        head = _attrs(
            [
                ("push-id", m.push_id),
                ("sender-address", m.sender_address),
                ("sender-name", m.sender_name),
                ("reply-time", m.reply_time),
            ]
        )
        result = _empty("response-result", [("code", m.result.code), ("desc", m.result.desc)])
        return f"<push-response{head}>{result}</push-response>"
    if isinstance(m, BadMessageResponse):
        return _empty(
            "badmessage-response",
            [("code", m.code), ("desc", m.desc), ("bad-message-fragment", m.bad_message_fragment)],
        )
    if isinstance(m, ResultNotificationMessage):
        head = _attrs(
            [
                ("push-id", m.push_id),
                ("sender-address", m.sender_address),
                ("sender-name", m.sender_name),
                ("received-time", m.received_time),
                ("event-time", m.event_time),
                ("message-state", m.message_state),
                ("code", m.code),
                ("desc", m.desc),
            ]
        )
        inner = _address(m.address) + _qos(m.qos)
        return f"<resultnotification-message{head}>{inner}</resultnotification-message>"
    if isinstance(m, ResultNotificationResponse):
        head = _attrs([("push-id", m.push_id), ("code", m.code), ("desc", m.desc)])
        inner = _address(m.address) if m.address is not None else ""
        return f"<resultnotification-response{head}>{inner}</resultnotification-response>"
    if isinstance(m, StatusQueryMessage | CancelMessage):
        name = "statusquery-message" if isinstance(m, StatusQueryMessage) else "cancel-message"
        inner = "".join(_address(a) for a in m.addresses)
        return f"<{name}{_attrs([('push-id', m.push_id)])}>{inner}</{name}>"
    if isinstance(m, StatusQueryResponse):
        rows = []
        for r in m.results:
            head = _attrs(
                [
                    ("event-time", r.event_time),
                    ("message-state", r.message_state),
                    ("code", r.code),
                    ("desc", r.desc),
                ]
            )
            inner = _address(r.address) if r.address is not None else ""
            rows.append(f"<statusquery-result{head}>{inner}</statusquery-result>")
        head = _attrs([("push-id", m.push_id)])
        return f"<statusquery-response{head}>{''.join(rows)}</statusquery-response>"
    if isinstance(m, CancelResponse):
        rows = []
        for r in m.results:
            inner = _address(r.address) if r.address is not None else ""
            head = _attrs([("code", r.code), ("desc", r.desc)])
            rows.append(f"<cancel-result{head}>{inner}</cancel-result>")
        return (
            f"<cancel-response{_attrs([('push-id', m.push_id)])}>{''.join(rows)}</cancel-response>"
        )
    raise TypeError(f"not a PAP message: {type(message).__name__}")


def encode(message: PapMessage, *, version: str = "2.1", product_name: str | None = None) -> bytes:
    """The document for ``message`` in PAP ``version`` (1.0, 2.0 or 2.1)."""
    try:
        public_id, system_id = DOCTYPES[version]
    except KeyError:
        raise PapError("pap@DOCTYPE", f"no PAP version {version!r}") from None
    subset = f' [<?wap-pap-ver supported-versions="{version}"?>]' if version == "2.0" else ""
    doctype = f'<!DOCTYPE pap PUBLIC "{public_id}" "{system_id}"{subset}>'
    root = f"<pap{_attrs([('product-name', product_name)])}>"
    text = f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n{root}{_element(message)}</pap>\n'
    return text.encode("utf-8")
