"""A typed MM4 message -> the bytes DATA carries (CRLF lines, no dot-stuffing: the SMTP
client does that).

Header order: the four common X-Mms headers first (version, type,
transaction id, message id), then the addresses and date, then the rest of
the message's own headers, then ``extra`` as given, then MIME-Version and
Content-Type before a forward's body. Long address lists are folded, one
address a line; a subject that is not plain ASCII goes as RFC 2047 words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.header import Header

from . import rules as r
from .types import (
    Address,
    DeliveryReportReq,
    ForwardReq,
    MM4Error,
    Mm4Message,
    ReadReplyReq,
    _Request,
    _Response,
)

_TEXT = re.compile(r"[\x20-\x7e]*")
_NAME = re.compile(r"[\x21-\x39\x3b-\x7e]+")
_BARE = re.compile(rb"\r(?!\n)|(?<!\r)\n")
#: Fold an address list when its one-line form would pass this (RFC 5322 §2.1.1: 78).
FOLD_AT = 78


def _value(name: str, value: str) -> str:
    if not _TEXT.fullmatch(value) or value != value.strip(" "):
        raise MM4Error(name, f"{value[:40]!r} is not unpadded printable ASCII")
    return value


def _addresses(name: str, addresses: Iterable[Address]) -> str:
    texts = [_value(name, str(a)) for a in addresses]
    one_line = ", ".join(texts)
    if len(name) + 2 + len(one_line) <= FOLD_AT:
        return one_line
    return ",\r\n ".join(texts)


def _text(name: str, value: str) -> str:
    """Unstructured text: as is when it is plain ASCII, else RFC 2047 (UTF-8, B)."""
    if _TEXT.fullmatch(value) and value == value.strip(" ") and "=?" not in value:
        return value
    return Header(value, "utf-8", header_name=name).encode(linesep="\r\n")


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def encode(message: Mm4Message) -> bytes:
    """The message as RFC 5322 bytes; MM4Error names a field that cannot be written."""
    m = message
    headers: list[tuple[str, str]] = [
        (r.VERSION, _value(r.VERSION, m.version)),
        (r.MESSAGE_TYPE, m.message_type),
        (r.TRANSACTION_ID, _value(r.TRANSACTION_ID, m.transaction_id)),
        (r.MESSAGE_ID, _value(r.MESSAGE_ID, m.message_id)),
    ]
    if not m.transaction_id or not m.message_id:
        raise MM4Error(r.TRANSACTION_ID if not m.transaction_id else r.MESSAGE_ID, "empty")
    if isinstance(m, _Request):
        headers += _request_headers(m)
    elif isinstance(m, _Response):
        headers += _response_headers(m)
    for name, value in m.extra:
        if not _NAME.fullmatch(name) or name.lower() in r.KNOWN:
            raise MM4Error(name, "not a header an MM4 message may carry as extra")
        headers.append((name, _value(name, value)))
    body = b""
    if isinstance(m, ForwardReq):
        content = m.content
        headers.append((r.MIME_VERSION, "1.0"))
        headers.append((r.CONTENT_TYPE, _value(r.CONTENT_TYPE, content.content_type)))
        if content.transfer_encoding is not None:
            headers.append(
                (r.TRANSFER_ENCODING, _value(r.TRANSFER_ENCODING, content.transfer_encoding))
            )
        if _BARE.search(content.body):
            raise MM4Error("body", "a bare CR or LF: line endings must be CRLF")
        body = content.body
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return head.encode("ascii") + b"\r\n" + body


def _request_headers(m: _Request) -> list[tuple[str, str]]:
    if m.sender is None:
        raise MM4Error(r.FROM, "missing (every MM4 request has a sender)")
    out = [(r.FROM, _value(r.FROM, str(m.sender)))]
    if m.to:
        out.append((r.TO, _addresses(r.TO, m.to)))
    if isinstance(m, ForwardReq) and m.cc:
        out.append((r.CC, _addresses(r.CC, m.cc)))
    if not m.to and not (isinstance(m, ForwardReq) and m.cc):
        raise MM4Error(r.TO, "no recipient")
    if m.date is not None:
        out.append((r.DATE, _value(r.DATE, m.date)))
    if m.ack_request is not None:
        out.append((r.ACK_REQUEST, _yes_no(m.ack_request)))
    if m.originator_system is not None:
        out.append((r.ORIGINATOR_SYSTEM, _value(r.ORIGINATOR_SYSTEM, m.originator_system)))
    if isinstance(m, ForwardReq):
        out += _forward_headers(m)
    elif isinstance(m, DeliveryReportReq):
        out.append((r.MM_STATUS, _value(r.MM_STATUS, m.mm_status)))
        if m.status_text is not None:
            out.append((r.STATUS_TEXT, _text(r.STATUS_TEXT, m.status_text)))
    elif isinstance(m, ReadReplyReq):
        out.append((r.READ_STATUS, _value(r.READ_STATUS, m.read_status)))
        if m.status_text is not None:
            out.append((r.STATUS_TEXT, _text(r.STATUS_TEXT, m.status_text)))
    return out


def _forward_headers(m: ForwardReq) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, value in (
        (r.MESSAGE_CLASS, m.message_class),
        (r.PRIORITY, m.priority),
        (r.EXPIRY, m.expiry),
        (r.SENDER_VISIBILITY, m.sender_visibility),
    ):
        if value is not None:
            out.append((name, _value(name, value)))
    for name, flag in (
        (r.DELIVERY_REPORT, m.delivery_report),
        (r.RS_DELIVERY_REPORT, m.originator_rs_delivery_report),
        (r.READ_REPLY, m.read_reply),
    ):
        if flag is not None:
            out.append((name, _yes_no(flag)))
    if m.forward_counter is not None:
        if m.forward_counter < 0:
            raise MM4Error(r.FORWARD_COUNTER, "negative")
        out.append((r.FORWARD_COUNTER, str(m.forward_counter)))
    if m.subject is not None:
        out.append((r.SUBJECT, _text(r.SUBJECT, m.subject)))
    return out


def _response_headers(m: _Response) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if m.sender is not None:
        out.append((r.FROM, _value(r.FROM, str(m.sender))))
    if m.to:
        out.append((r.TO, _addresses(r.TO, m.to)))
    if m.date is not None:
        out.append((r.DATE, _value(r.DATE, m.date)))
    out.append((r.REQUEST_STATUS, _value(r.REQUEST_STATUS, m.status)))
    if m.status_text is not None:
        out.append((r.STATUS_TEXT, _text(r.STATUS_TEXT, m.status_text)))
    return out
