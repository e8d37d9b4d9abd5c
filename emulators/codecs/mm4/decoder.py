"""Bytes (an RFC 5322 message as DATA carried it) -> a typed MM4 message.

Headers are read here, not by the ``email`` package: its parser accepts and
repairs what strict mode must name (a duplicate header, a bare LF, a header
line that is not ``name: value``). The ``email`` package still decodes RFC
2047 words and addresses, and ``codecs.mime`` checks a multipart body.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from mmsconf.emulators.codecs import mime

from . import rules as r
from .rules import DEFAULT_CONFIG, DEVIATION_CODES, MANDATORY, CodecConfig, Mode
from .types import (
    FORWARD_REQ,
    MESSAGE_CLASSES,
    MESSAGE_CLASSES_BY_TYPE,
    MESSAGE_TYPES,
    MM_STATUSES,
    PRIORITIES,
    READ_STATUSES,
    REQUEST_STATUSES,
    VISIBILITIES,
    Address,
    Content,
    Decoded,
    DeliveryReportReq,
    Deviation,
    ForwardReq,
    MM4Error,
    Mm4Message,
    ReadReplyReq,
)

_FIELD_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]+")
_BARE_LF = re.compile(rb"(?<!\r)\n")
_VERSION = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}")
_PLAIN_NUMBER = re.compile(r"\+?[0-9]{1,20}")


class _Reader:
    """One message's headers, and the deviations lenient mode accepted while reading them."""

    def __init__(self, fields: list[tuple[str, str]], config: CodecConfig) -> None:
        self.lenient = config.mode is Mode.LENIENT
        self.deviations: list[Deviation] = []
        self.fields = fields
        self.by_name: dict[str, list[str]] = {}
        self._told: set[str] = set()  # duplicated headers already recorded
        for name, value in fields:
            self.by_name.setdefault(name.lower(), []).append(value)

    def deviate(self, code: str, field: str, detail: str) -> None:
        """Accept in lenient mode (recorded), refuse naming ``field`` in strict mode."""
        assert code in DEVIATION_CODES, code
        if not self.lenient:
            raise MM4Error(field, detail)
        self.deviations.append(Deviation(code, field, detail))

    def get(self, name: str) -> str | None:
        values = self.by_name.get(name.lower())
        if not values:
            return None
        if len(values) > 1 and name.lower() not in self._told:
            self._told.add(name.lower())
            self.deviate("duplicate-header", name, f"given {len(values)} times")
        return values[0]

    def need(self, name: str, message_type: str) -> str:
        value = self.get(name)
        if value is None or not value:
            what = "missing" if value is None else "empty"
            raise MM4Error(name, f"{what} (mandatory in {message_type})")
        return value

    def yes_no(self, name: str) -> bool | None:
        value = self.get(name)
        if value is None:
            return None
        if value in ("Yes", "No"):
            return value == "Yes"
        if value.lower() in ("yes", "no"):
            self.deviate("yes-no-case", name, f"{value!r} is not Yes or No")
            return value.lower() == "yes"
        raise MM4Error(name, f"{_shown(value)} is not Yes or No")

    def choice(self, name: str, allowed: tuple[str, ...], *, open_set: bool = False) -> str | None:
        """One of ``allowed``; ``open_set``: a value outside the table is a deviation
        (kept as written), not an error."""
        value = self.get(name)
        if value is None or value in allowed:
            return value
        folded = {a.lower(): a for a in allowed}
        if value.lower() in folded:
            self.deviate("value-case", name, f"{value!r} is not written as 23.140 writes it")
            return folded[value.lower()]
        if open_set:
            self.deviate("status-unknown", name, f"{_shown(value)} is not in 23.140's table")
            return value
        raise MM4Error(name, f"{_shown(value)} is not one of {', '.join(allowed)}")

    def date(self, name: str, *, required_in: str | None = None) -> str | None:
        value = self.get(name)
        if value is None:
            if required_in is not None:
                self.deviate("date-missing", name, f"missing (mandatory in {required_in})")
            return None
        try:
            parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            self.deviate("date-format", name, f"{_shown(value)} is not an RFC 5322 date")
        return value

    def identifier(self, name: str, message_type: str) -> str:
        value = self.need(name, message_type)
        if len(value) >= 2 and value[0] == value[-1] == '"':
            self.deviate("message-id-quoted", name, "in double quotes")
            value = value[1:-1].strip()
            if not value:
                raise MM4Error(name, f"empty (mandatory in {message_type})")
        return value

    def addresses(self, name: str) -> tuple[Address, ...]:
        value = self.get(name)
        if value is None:
            return ()
        return tuple(self.address(name, text) for text in _address_texts(name, value))

    def address(self, name: str, text: str) -> Address:
        try:
            address = Address.parse(text)
        except MM4Error as err:
            raise MM4Error(name, err.reason) from None
        if address.kind == "email" and _PLAIN_NUMBER.fullmatch(address.local):
            self.deviate("address-no-type", name, f"number {address.local} without /TYPE=PLMN")
            return Address.plmn(address.local, address.domain)
        return address

    def text(self, name: str) -> str | None:
        """An unstructured value, RFC 2047 encoded words decoded."""
        value = self.get(name)
        if value is None or "=?" not in value:
            return value
        try:
            return str(make_header(decode_header(value)))
        except (HeaderParseError, LookupError, UnicodeError, ValueError) as err:
            raise MM4Error(name, f"an RFC 2047 encoded word does not decode ({err})") from None


def _shown(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


def _address_texts(name: str, value: str) -> list[str]:
    """The addr-specs of an address list (display names dropped)."""
    if "\0" in value:
        raise MM4Error(name, "NUL in an address list")
    if not any(c in value for c in '"<>()\\;:'):
        # Bare addr-specs, as MM4 writes them: no display names or comments to parse.
        texts = [t.strip() for t in value.split(",")]
        if all(texts):
            return texts
    pairs = getaddresses([value])
    texts = [addr for _display, addr in pairs]
    if not texts or any(not t for t in texts):
        raise MM4Error(name, f"{_shown(value)} is not an address list")
    return texts


# --- the header block -----------------------------------------------------------------------


def _split(raw: bytes, reader_lenient: bool, deviations: list[Deviation]) -> tuple[bytes, bytes]:
    """(header block, body): the blank line between them belongs to neither."""
    head_end = raw.find(b"\r\n\r\n")
    bare = raw.find(b"\n\n")
    if bare >= 0 and (head_end < 0 or bare < head_end) and raw[bare - 1 : bare] != b"\r":
        head_end = -1  # the header block ends at a bare LF: handled as bare LF below
    if _BARE_LF.search(raw, 0, len(raw) if head_end < 0 else head_end + 4):
        detail = "a line ends in LF alone (RFC 5322 section 2.1 wants CRLF)"
        if not reader_lenient:
            raise MM4Error("message", detail)
        deviations.append(Deviation("bare-lf", "message", detail))
        raw = _BARE_LF.sub(b"\r\n", raw)
        head_end = raw.find(b"\r\n\r\n")
    if raw.startswith(b"\r\n"):
        raise MM4Error("message", "no header before the blank line")
    if head_end < 0:
        # Headers only, with no blank line (a response may have no body at all).
        return (raw if raw.endswith(b"\r\n") else raw + b"\r\n"), b""
    return raw[: head_end + 2], raw[head_end + 4 :]


def _fields(head: bytes) -> list[tuple[str, str]]:
    """``name: value`` pairs in order, values unfolded (RFC 5322 §2.2.3) and stripped."""
    out: list[tuple[str, bytearray]] = []
    for line in head.split(b"\r\n")[:-1]:
        if line[:1] in (b" ", b"\t"):
            if not out:
                raise MM4Error("message", "a continuation line before any header")
            out[-1][1].extend(line)
            continue
        name, colon, value = line.partition(b":")
        name = name.rstrip(b" \t")
        if not colon or not _FIELD_NAME.fullmatch(name):
            shown = line[:40].decode("ascii", "replace")
            raise MM4Error("message", f"{shown!r} is not a header line (name: value)")
        out.append((name.decode("ascii"), bytearray(value)))
    fields = []
    for name, value in out:
        if not value.isascii() or b"\0" in value:
            raise MM4Error(name, "not ASCII text (8-bit or NUL bytes in a header)")
        fields.append((name, value.decode("ascii").strip()))
    return fields


# --- the message ----------------------------------------------------------------------------


def decode(raw: bytes, *, config: CodecConfig = DEFAULT_CONFIG) -> Decoded:
    """The MM4 message in ``raw`` (what follows DATA, dot-unstuffed, without the final dot).

    MM4Error names the header at fault; lenient mode accepts the deviations of
    ``DEVIATION_CODES`` and lists them on the result.
    """
    if len(raw) > config.max_size:
        raise MM4Error("message", f"{len(raw)} bytes, over the {config.max_size} byte limit")
    lenient = config.mode is Mode.LENIENT
    early: list[Deviation] = []
    head, body = _split(raw, lenient, early)
    reader = _Reader(_fields(head), config)
    reader.deviations.extend(early)
    message_type = _message_type(reader)
    for name in MANDATORY[message_type]:
        if name == r.VERSION and reader.get(r.VERSION) is None:
            continue  # read below, with its stand-in
        if name == r.DATE:
            continue  # a missing Date is a named deviation, read below
        reader.need(name, message_type)
    common = _common(reader, message_type)
    build = _BUILDERS.get(message_type, _response)
    message = build(reader, message_type, common, body)
    return Decoded(message, tuple(reader.deviations))


def _message_type(reader: _Reader) -> str:
    value = reader.get(r.MESSAGE_TYPE)
    if value is None or not value:
        raise MM4Error(r.MESSAGE_TYPE, "missing (every MM4 message has one)")
    if value in MESSAGE_TYPES:
        return value
    folded = {t.lower(): t for t in MESSAGE_TYPES}
    if value.lower() in folded:
        reader.deviate("message-type-case", r.MESSAGE_TYPE, f"{value!r} in another case")
        return folded[value.lower()]
    raise MM4Error(r.MESSAGE_TYPE, f"{_shown(value)} is not an MM4 message type")


def _common(reader: _Reader, message_type: str) -> dict[str, Any]:
    version = reader.get(r.VERSION)
    if version is None:
        version = reader.get(r.MMS_VERSION)
        if version is None:
            raise MM4Error(r.VERSION, f"missing (mandatory in {message_type})")
        reader.deviate("version-from-mms-version", r.VERSION, "missing; X-Mms-MMS-Version given")
    if not _VERSION.fullmatch(version):
        reader.deviate("version-format", r.VERSION, f"{_shown(version)} is not x.y.z")
    extra = tuple((n, v) for n, v in reader.fields if n.lower() not in r.KNOWN)
    return {
        "transaction_id": reader.identifier(r.TRANSACTION_ID, message_type),
        "message_id": reader.identifier(r.MESSAGE_ID, message_type),
        "version": version,
        "extra": extra,
    }


def _request(reader: _Reader, message_type: str) -> dict[str, Any]:
    """From, To, Date, X-Mms-Ack-Request, X-Mms-Originator-System."""
    sender = reader.addresses(r.FROM)
    if len(sender) != 1:
        raise MM4Error(r.FROM, f"{len(sender)} addresses; From names exactly one")
    ack = reader.yes_no(r.ACK_REQUEST)
    system = reader.get(r.ORIGINATOR_SYSTEM)
    if system is not None:
        reader.address(r.ORIGINATOR_SYSTEM, system)  # routable, or MM4Error
    elif ack:
        stand_in = reader.get("Sender") or str(sender[0])
        reader.deviate(
            "originator-system-missing",
            r.ORIGINATOR_SYSTEM,
            "missing while X-Mms-Ack-Request is Yes (the .RES has nowhere to go)",
        )
        system = _address_texts(r.ORIGINATOR_SYSTEM, stand_in)[0]
    return {
        "sender": sender[0],
        "to": reader.addresses(r.TO),
        "date": reader.date(r.DATE, required_in=message_type),
        "ack_request": ack,
        "originator_system": system,
    }


def _forward(reader: _Reader, message_type: str, common: dict, body: bytes) -> Mm4Message:
    fields = _request(reader, message_type)
    cc = reader.addresses(r.CC)
    if not fields["to"] and not cc:
        raise MM4Error(r.TO, f"no recipient in To or Cc (mandatory in {FORWARD_REQ})")
    counter = reader.get(r.FORWARD_COUNTER)
    if counter is not None and not (counter.isascii() and counter.isdigit() and len(counter) < 9):
        raise MM4Error(r.FORWARD_COUNTER, f"{_shown(counter)} is not a whole number")
    return ForwardReq(
        **common,
        **fields,
        cc=cc,
        subject=reader.text(r.SUBJECT),
        message_class=reader.choice(r.MESSAGE_CLASS, MESSAGE_CLASSES),
        priority=reader.choice(r.PRIORITY, PRIORITIES),
        expiry=reader.date(r.EXPIRY),
        delivery_report=reader.yes_no(r.DELIVERY_REPORT),
        originator_rs_delivery_report=reader.yes_no(r.RS_DELIVERY_REPORT),
        read_reply=reader.yes_no(r.READ_REPLY),
        sender_visibility=reader.choice(r.SENDER_VISIBILITY, VISIBILITIES),
        forward_counter=None if counter is None else int(counter),
        content=_content(reader, body),
    )


def _content(reader: _Reader, body: bytes) -> Content:
    value = reader.get(r.CONTENT_TYPE) or ""
    try:
        ctype = mime.parse_content_type(value)
        boundary = ctype.param("boundary") if ctype.media_type.startswith("multipart/") else None
    except mime.MimeError as err:
        raise MM4Error(r.CONTENT_TYPE, err.reason) from None
    if "/" not in ctype.media_type:
        raise MM4Error(r.CONTENT_TYPE, f"{_shown(value)} is not type/subtype")
    encoding = reader.get(r.TRANSFER_ENCODING)
    if ctype.media_type.startswith("multipart/"):
        if not boundary:
            raise MM4Error(f"{r.CONTENT_TYPE}@boundary", "a multipart body without a boundary")
        split = mime.split(body, boundary)
        if not split.parts:
            raise MM4Error("body", "no part delimited by the Content-Type boundary")
        faults = [n for n in split.notes if n.code not in ("preamble", "epilogue")]
        if faults:
            reader.deviate("mime-framing", "body", faults[0].detail)
        if encoding is not None and encoding.lower() not in ("7bit", "8bit", "binary"):
            raise MM4Error(r.TRANSFER_ENCODING, f"{encoding!r} on a multipart body")
    elif encoding is not None and encoding.lower() not in mime.TRANSFER_ENCODINGS:
        raise MM4Error(r.TRANSFER_ENCODING, f"{_shown(encoding)} is not a transfer encoding")
    return Content(value, body, encoding)


def _report(reader: _Reader, message_type: str, common: dict, body: bytes) -> Mm4Message:
    fields = _request(reader, message_type)
    if not fields["to"]:
        raise MM4Error(r.TO, f"no recipient (mandatory in {message_type})")
    if MESSAGE_CLASSES_BY_TYPE[message_type] is DeliveryReportReq:
        status = reader.choice(r.MM_STATUS, MM_STATUSES, open_set=True)
        return DeliveryReportReq(
            **common, **fields, mm_status=status or "", status_text=reader.text(r.STATUS_TEXT)
        )
    status = reader.choice(r.READ_STATUS, READ_STATUSES, open_set=True)
    return ReadReplyReq(
        **common, **fields, read_status=status or "", status_text=reader.text(r.STATUS_TEXT)
    )


def _response(reader: _Reader, message_type: str, common: dict, body: bytes) -> Mm4Message:
    cls = MESSAGE_CLASSES_BY_TYPE[message_type]
    sender = reader.addresses(r.FROM)
    if len(sender) > 1:
        raise MM4Error(r.FROM, f"{len(sender)} addresses; From names one")
    return cls(
        **common,
        status=reader.choice(r.REQUEST_STATUS, REQUEST_STATUSES, open_set=True) or "",
        status_text=reader.text(r.STATUS_TEXT),
        sender=sender[0] if sender else None,
        to=reader.addresses(r.TO),
        date=reader.date(r.DATE),
    )


_Builder = Callable[[_Reader, str, dict, bytes], Mm4Message]
_BUILDERS: dict[str, _Builder] = {
    FORWARD_REQ: _forward,
    "MM4_delivery_report.REQ": _report,
    "MM4_read_reply_report.REQ": _report,
}
