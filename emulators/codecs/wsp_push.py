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

Sans-IO and strict, on the shared WSP primitives (wsp_encoding.py): ``decode``
names the field it could not read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .wsp_encoding import (
    APPLICATION_IDS,
    CONTENT_TYPE_CODES,
    ContentType,
    Reader,
    WspError,
    encode_content_type,
    encode_header,
    encode_text_string,
    encode_uintvar,
)

__all__ = ["APPLICATION_IDS", "PUSH", "PushPdu", "WspError", "decode", "encode"]

PUSH = 0x06
CONFIRMED_PUSH = 0x07
MAX_PDU = 65_507
_APP_CODES = {name: code for code, name in APPLICATION_IDS.items()}


@dataclass(frozen=True)
class PushPdu:
    tid: int
    content_type: str  # media type, parameters as "; name=value"
    data: bytes
    application_id: str | None = None  # "x-wap-application:mms.ua"
    headers: tuple[tuple[str, str], ...] = ()  # other header fields, values shown as text
    confirmed: bool = False
    #: How the content type was written: "short", "text" or "general".
    content_type_form: str = field(default="short", compare=False)

    @property
    def media_type(self) -> str:
        return self.content_type.split(";", 1)[0].strip().lower()


def _shown(value: str | int | bytes) -> str:
    return value.hex() if isinstance(value, bytes) else str(value)


def decode(data: bytes) -> PushPdu:
    """A push PDU from a WDP datagram's payload; WspError naming the field otherwise."""
    if len(data) > MAX_PDU:
        raise WspError("PDU", f"over {MAX_PDU} octets")
    reader = Reader(data)
    tid = reader.byte("TID")
    kind = reader.byte("PDU type")
    if kind not in (PUSH, CONFIRMED_PUSH):
        raise WspError("PDU type", f"0x{kind:02X} is not Push (0x06)")
    length = reader.uintvar("HeadersLen")
    if length == 0:
        raise WspError("Content-Type", "missing (HeadersLen 0)")
    head = reader.sub(length, "HeadersLen")
    first = head.peek("Content-Type")
    form = "short" if first & 0x80 else "text" if first > 30 else "general"
    ct = head.content_type("Content-Type")
    app_id = None
    headers: list[tuple[str, str]] = []
    for name, value in head.headers("header"):
        if name.lower() == "x-wap-application-id":
            if isinstance(value, int):
                app_id = APPLICATION_IDS.get(value, f"x-wap-application:{value}")
            else:
                app_id = _shown(value)
        else:
            headers.append((name, _shown(value)))
    body = data[reader.pos :]
    return PushPdu(tid, str(ct), body, app_id, tuple(headers), kind == CONFIRMED_PUSH, form)


def _content_type(text: str) -> ContentType:
    media, *params = [p.strip() for p in text.split(";")]
    pairs = []
    for p in params:
        name, _eq, value = p.partition("=")
        pairs.append((name.strip().lower(), value.strip().strip('"')))
    return ContentType(media.lower(), tuple(pairs))


def encode(pdu: PushPdu) -> bytes:
    """The PDU with the short forms where one exists (content type, application id); a
    ``content_type_form`` of "text" writes the media type as text, as Kannel does."""
    if not 0 <= pdu.tid <= 255:
        raise WspError("TID", f"{pdu.tid} is not one octet")
    ct = _content_type(pdu.content_type)
    if pdu.content_type_form == "text" and not ct.params:
        head = encode_text_string(ct.media)
    else:
        head = encode_content_type(ct)
    if pdu.application_id is not None:
        app = pdu.application_id.strip()
        code = _APP_CODES.get(app)
        head += encode_header("X-Wap-Application-Id", code if code is not None else app)
    for name, value in pdu.headers:
        head += encode_header(name, value)
    kind = CONFIRMED_PUSH if pdu.confirmed else PUSH
    return bytes([pdu.tid, kind]) + encode_uintvar(len(head)) + head + pdu.data


def media_code(media: str) -> int | None:
    """The well-known code of a media type (None: written as text)."""
    return CONTENT_TYPE_CODES.get(media.lower())
