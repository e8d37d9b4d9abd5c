"""The connectionless WSP push PDU (WAP-230 §8.2.4.1) as WDP carries it to port 2948.

    TID (1 octet) | PDU type 0x06 (Push) | HeadersLen (uintvar) |
    Content-Type + headers (HeadersLen octets) | data

Facts: shared/WIRE-FACTS.md §5 (Mbuni's ``ct, 06, 03, BE, AF, 84``; a real
handset's PDU with a textual content type; Kannel's headers). The content
type is a well-known short integer (0xBE application/vnd.wap.mms-message,
0xAE application/vnd.wap.sic, ...), a text string, or the general form with
parameters; header fields are well-known codes (X-Wap-Application-Id 0xAF,
its value 0x84 for mms.ua) or text. A receiver takes the textual forms as
well as the short ones (Kannel writes the MMS type as text).

Sans-IO and strict; ``decode`` names the field it could not read. The WSP
value encodings come from codecs/wsp_encoding.py when it is there; the few
this module needs are read here, bounded by the PDU.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PUSH = 0x06
CONFIRMED_PUSH = 0x07

#: Well-known content types this kit pushes or meets (WAP-230 Appendix A, Table 40).
CONTENT_TYPES: dict[int, str] = {
    0x00: "*/*",
    0x03: "text/plain",
    0x08: "text/vnd.wap.wml",
    0x10: "application/vnd.wap.wmlc",
    0x2D: "text/vnd.wap.si",
    0x2E: "application/vnd.wap.sic",
    0x2F: "text/vnd.wap.sl",
    0x30: "application/vnd.wap.slc",
    0x33: "application/vnd.wap.multipart.related",
    0x3E: "application/vnd.wap.mms-message",
}
_CONTENT_CODES = {v: k for k, v in CONTENT_TYPES.items()}
#: Push application ids (OMNA registry): x-wap-application:<name> -> code.
APPLICATION_IDS: dict[int, str] = {
    0x00: "x-wap-application:*",
    0x01: "x-wap-application:push.sia",
    0x02: "x-wap-application:wml.ua",
    0x03: "x-wap-application:wta.ua",
    0x04: "x-wap-application:mms.ua",
    0x05: "x-wap-application:push.syncml",
    0x06: "x-wap-application:loc.ua",
}
_APP_CODES = {v: k for k, v in APPLICATION_IDS.items()}
#: Well-known header fields (WSP 1.2-1.4 codes) this kit writes or names.
HEADER_FIELDS: dict[int, str] = {
    0x0D: "Content-Length",
    0x29: "User-Agent",
    0x2F: "X-Wap-Application-Id",
    0x31: "X-Wap-Initiator-URI",
    0x43: "Encoding-Version",
    0x44: "Content-Uri",
}
X_WAP_APPLICATION_ID = 0x2F
MAX_PDU = 65_507


class WspError(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class PushPdu:
    tid: int
    content_type: str  # media type (parameters as "; name=value")
    data: bytes
    application_id: str | None = None  # "x-wap-application:mms.ua"
    headers: tuple[tuple[str, str], ...] = ()  # other header fields, as text
    confirmed: bool = False
    #: How the content type was written: "short", "text" or "general".
    content_type_form: str = field(default="short", compare=False)


# --- primitives (WAP-230 §8.1.2, §8.4.2.1) ------------------------------------------------


def encode_uintvar(value: int) -> bytes:
    if value < 0 or value >= 2**32:
        raise WspError("uintvar", f"{value} out of range")
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _uintvar(data: bytes, i: int, where: str) -> tuple[int, int]:
    value = 0
    for n in range(5):
        if i + n >= len(data):
            raise WspError(where, "uintvar runs past the end")
        octet = data[i + n]
        value = (value << 7) | (octet & 0x7F)
        if not octet & 0x80:
            if value >= 2**32:
                raise WspError(where, "uintvar over 32 bits")
            return value, i + n + 1
    raise WspError(where, "uintvar longer than 5 octets")


def _text(data: bytes, i: int, end: int, where: str) -> tuple[str, int]:
    stop = data.find(b"\x00", i, end)
    if stop < 0:
        raise WspError(where, "text-string without its NUL")
    raw = data[i:stop]
    if raw.startswith(b'"') or raw.startswith(b"\x7f"):  # quoted-string / quote
        raw = raw[1:]
    try:
        return raw.decode("utf-8"), stop + 1
    except UnicodeDecodeError:
        raise WspError(where, "text-string is not UTF-8") from None


def _encode_text(value: str) -> bytes:
    raw = value.encode("utf-8")
    if b"\x00" in raw:
        raise WspError("text-string", "NUL in text")
    if raw and raw[0] >= 0x80:
        raw = b"\x7f" + raw  # Quote: a text that starts high must not read as a short integer
    return raw + b"\x00"


def _value(data: bytes, i: int, end: int, where: str) -> tuple[bytes | int | str, int]:
    """A field value in WSP's general shape: short integer, text, or value-length + octets."""
    if i >= end:
        raise WspError(where, "value missing")
    octet = data[i]
    if octet >= 0x80:
        return octet & 0x7F, i + 1
    if octet >= 0x20:
        return _text(data, i, end, where)
    if octet == 0x1F:
        length, j = _uintvar(data, i + 1, where)
    else:
        length, j = octet, i + 1
    if j + length > end:
        raise WspError(where, f"value-length {length} runs past the headers")
    return data[j : j + length], j + length


# --- the PDU -----------------------------------------------------------------------------


def _content_type(data: bytes, i: int, end: int) -> tuple[str, str, int]:
    where = "Content-Type"
    value, j = _value(data, i, end, where)
    if isinstance(value, int):
        if value not in CONTENT_TYPES:
            raise WspError(where, f"unknown well-known content type 0x{value | 0x80:02X}")
        return CONTENT_TYPES[value], "short", j
    if isinstance(value, str):
        return value, "text", j
    # General form: Media-type (short integer or text) then parameters (kept as octets).
    if not value:
        raise WspError(where, "empty general form")
    if value[0] >= 0x80:
        code = value[0] & 0x7F
        media = CONTENT_TYPES.get(code)
        if media is None:
            raise WspError(where, f"unknown well-known content type 0x{value[0]:02X}")
    elif value[0] >= 0x20 or value[0] == 0:
        media, _k = _text(value, 0, len(value), where)
    else:
        raise WspError(where, "integer media types are not read")
    return media, "general", j


def decode(data: bytes) -> PushPdu:
    """A push PDU from a WDP datagram's payload; WspError naming the field otherwise."""
    if len(data) > MAX_PDU:
        raise WspError("PDU", f"over {MAX_PDU} octets")
    if len(data) < 3:
        raise WspError("PDU", f"{len(data)} octets: shorter than TID, type and length")
    tid, kind = data[0], data[1]
    if kind not in (PUSH, CONFIRMED_PUSH):
        raise WspError("PDU type", f"0x{kind:02X} is not Push (0x06)")
    length, i = _uintvar(data, 2, "HeadersLen")
    end = i + length
    if end > len(data):
        raise WspError("HeadersLen", f"{length} octets of headers, {len(data) - i} present")
    if length == 0:
        raise WspError("Content-Type", "missing")
    media, form, i = _content_type(data, i, end)
    app_id = None
    headers: list[tuple[str, str]] = []
    while i < end:
        octet = data[i]
        if octet >= 0x80:
            code = octet & 0x7F
            name = HEADER_FIELDS.get(code, f"0x{octet:02X}")
            value, i = _value(data, i + 1, end, name)
            if code == X_WAP_APPLICATION_ID:
                if isinstance(value, int):
                    app_id = APPLICATION_IDS.get(value, f"x-wap-application:{value}")
                elif isinstance(value, str):
                    app_id = value
                else:
                    raise WspError(name, "an application id is a short integer or text")
            else:
                headers.append((name, _shown(value)))
        elif octet >= 0x20:
            name, i = _text(data, i, end, "header name")
            value, i = _value(data, i, end, name)
            headers.append((name, _shown(value)))
        else:
            raise WspError("headers", f"0x{octet:02X} starts no header field (shift codes unread)")
    return PushPdu(tid, media, data[end:], app_id, tuple(headers), kind == CONFIRMED_PUSH, form)


def _shown(value: bytes | int | str) -> str:
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    return value.hex()


def encode(pdu: PushPdu) -> bytes:
    """The PDU with the short forms where one exists (content type, application id)."""
    if not 0 <= pdu.tid <= 255:
        raise WspError("TID", f"{pdu.tid} is not one octet")
    media = pdu.content_type.split(";", 1)[0].strip().lower()
    code = _CONTENT_CODES.get(media)
    if code is not None and pdu.content_type_form != "text":
        head = bytes([0x80 | code])
    else:
        head = _encode_text(pdu.content_type)
    if pdu.application_id is not None:
        app = _APP_CODES.get(pdu.application_id.strip())
        value = bytes([0x80 | app]) if app is not None else _encode_text(pdu.application_id)
        head += bytes([0x80 | X_WAP_APPLICATION_ID]) + value
    for name, value in pdu.headers:
        head += _encode_text(name) + _encode_text(value)
    kind = CONFIRMED_PUSH if pdu.confirmed else PUSH
    return bytes([pdu.tid, kind]) + encode_uintvar(len(head)) + head + pdu.data
