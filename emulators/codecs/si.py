"""Service Indication (WAP-167 SI 1.0): the textual document and its tokenised form (SIC).

A PPG compiles the textual SI (text/vnd.wap.si) a PI pushes into WBXML
(application/vnd.wap.sic, 0xAE) before it goes over the air; Kannel does so
(KANNEL-NOTES §2 has the bytes). Tokenised: WBXML version 1.2 (0x02), public
id 0x05 (SI 1.0), charset 0x6A (UTF-8), an empty string table, then
``si`` (0x05) holding one ``indication`` (0x06) with attributes and text.

Attributes: href (with the URL-prefix tokens 0x0C-0x0F and the value tokens
.com/ .edu/ .net/ .org/), si-id (0x11), class (0x12), action (0x05-0x09),
created (0x0A) and si-expires (0x10) as OPAQUE dates (YYYYMMDDhhmmss in
BCD, trailing zero octets dropped). Sans-IO, strict: ``SiError`` names the
field. The textual form is parsed with the PAP codec's DTD-free reader: its
DOCTYPE is read by hand and never fetched or expanded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .pap import xml as safe_xml
from .pap.types import PapError

MEDIA_TYPE = "text/vnd.wap.si"
SIC_MEDIA_TYPE = "application/vnd.wap.sic"
PUBLIC_ID = "-//WAPFORUM//DTD SI 1.0//EN"
SYSTEM_ID = "http://www.wapforum.org/DTD/si.dtd"
ACTIONS = ("signal-none", "signal-low", "signal-medium", "signal-high", "delete")
MAX_DOCUMENT = 64_000

# WBXML global tokens.
END, STR_I, OPAQUE = 0x01, 0x03, 0xC3
WBXML_1_2, SI_PUBLIC_ID, UTF_8 = 0x02, 0x05, 0x6A
TAG_SI, TAG_INDICATION, TAG_INFO, TAG_ITEM = 0x05, 0x06, 0x07, 0x08
HAS_ATTRS, HAS_CONTENT = 0x80, 0x40

_ACTION_TOKENS = {name: 0x05 + i for i, name in enumerate(ACTIONS)}
_HREF_PREFIXES = {
    0x0B: "",
    0x0C: "http://",
    0x0D: "http://www.",
    0x0E: "https://",
    0x0F: "https://www.",
}
_VALUE_TOKENS = {0x85: ".com/", 0x86: ".edu/", 0x87: ".net/", 0x88: ".org/"}
_CREATED, _EXPIRES, _SI_ID, _CLASS = 0x0A, 0x10, 0x11, 0x12
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z")


class SiError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Si:
    """One SI document: one indication."""

    href: str | None = None
    si_id: str | None = None
    action: str = "signal-medium"
    text: str = ""
    created: str | None = None  # YYYY-MM-DDThh:mm:ssZ
    expires: str | None = None
    si_class: str | None = None


# --- textual -----------------------------------------------------------------------------


def _esc(value: str) -> str:
    if any(ord(c) < 0x20 and c not in "\t\r\n" for c in value):
        raise SiError("si", "control characters cannot be written")
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def encode_text(si: Si) -> bytes:
    attrs = [
        ("href", si.href),
        ("si-id", si.si_id),
        ("created", si.created),
        ("si-expires", si.expires),
        ("action", si.action if si.action != "signal-medium" else None),
        ("class", si.si_class),
    ]
    shown = "".join(f' {k}="{_esc(v)}"' for k, v in attrs if v is not None)
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE si PUBLIC "{PUBLIC_ID}" "{SYSTEM_ID}">\n'
        f"<si><indication{shown}>{_esc(si.text)}</indication></si>\n"
    ).encode()


def decode_text(data: bytes) -> Si:
    """A textual SI; SiError naming the element or attribute."""
    if len(data) > MAX_DOCUMENT:
        raise SiError("si", f"over {MAX_DOCUMENT} bytes")
    try:
        data = safe_xml.transcode(data)
        doctype = safe_xml.find_doctype(data)
        if doctype is not None:
            if doctype.name != "si":
                raise SiError("si@DOCTYPE", f"document type {doctype.name!r}")
            data = safe_xml.blank(data, doctype.start, doctype.end)
        root = safe_xml.parse(data)
    except PapError as err:
        raise SiError("si", err.reason) from None
    if root.tag != "si":
        raise SiError(str(root.tag), "the root element must be si")
    kids = [c for c in root if isinstance(c.tag, str)]
    if len(kids) != 1 or kids[0].tag != "indication":
        raise SiError("si", "exactly one indication is expected")
    ind = kids[0]
    known = {"href", "si-id", "created", "si-expires", "action", "class"}
    unknown = set(ind.attrib) - known
    if unknown:
        raise SiError(f"indication@{sorted(unknown)[0]}", "not an SI attribute")
    action = ind.get("action", "signal-medium")
    if action not in ACTIONS:
        raise SiError("indication@action", f"{action!r} is not one of {', '.join(ACTIONS)}")
    for name in ("created", "si-expires"):
        value = ind.get(name)
        if value is not None and not _DATE.fullmatch(value):
            raise SiError(f"indication@{name}", f"{value!r} is not YYYY-MM-DDThh:mm:ssZ")
    if any(isinstance(c.tag, str) and c.tag != "info" for c in ind):
        raise SiError("indication", "only text (and info) inside an indication")
    return Si(
        href=ind.get("href"),
        si_id=ind.get("si-id"),
        action=action,
        text=(ind.text or "").strip(),
        created=ind.get("created"),
        expires=ind.get("si-expires"),
        si_class=ind.get("class"),
    )


# --- tokenised ---------------------------------------------------------------------------


def _str_i(value: str) -> bytes:
    raw = value.encode("utf-8")
    if b"\x00" in raw:
        raise SiError("si", "NUL in a string")
    return bytes([STR_I]) + raw + b"\x00"


def _href(value: str) -> bytes:
    token, rest = 0x0B, value
    for code, prefix in sorted(_HREF_PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if prefix and value.startswith(prefix):
            token, rest = code, value[len(prefix) :]
            break
    out = bytearray([token])
    while rest:
        cut = min(
            ((rest.find(t), t, c) for c, t in _VALUE_TOKENS.items() if t in rest),
            default=None,
        )
        if cut is None:
            out += _str_i(rest)
            break
        at, text, code = cut
        if at:
            out += _str_i(rest[:at])
        out.append(code)
        rest = rest[at + len(text) :]
    return bytes(out)


def _date(value: str) -> bytes:
    m = _DATE.fullmatch(value)
    if m is None:
        raise SiError("si date", f"{value!r} is not YYYY-MM-DDThh:mm:ssZ")
    digits = "".join(m.groups())
    octets = bytes(int(digits[i : i + 2], 16) for i in range(0, 14, 2)).rstrip(b"\x00")
    return bytes([OPAQUE, len(octets)]) + octets


def encode_tokens(si: Si) -> bytes:
    """The SIC bytes (WBXML 1.2, public id SI 1.0, UTF-8, no string table)."""
    attrs = bytearray()
    if si.href is not None:
        attrs += _href(si.href)
    if si.si_id is not None:
        attrs += bytes([_SI_ID]) + _str_i(si.si_id)
    if si.created is not None:
        attrs += bytes([_CREATED]) + _date(si.created)
    if si.expires is not None:
        attrs += bytes([_EXPIRES]) + _date(si.expires)
    if si.action not in _ACTION_TOKENS:
        raise SiError("indication@action", f"{si.action!r}")
    attrs.append(_ACTION_TOKENS[si.action])
    if si.si_class is not None:
        attrs += bytes([_CLASS]) + _str_i(si.si_class)
    head = bytes([WBXML_1_2, SI_PUBLIC_ID, UTF_8, 0x00, TAG_SI | HAS_CONTENT])
    content = _str_i(si.text) if si.text else b""
    flags = HAS_ATTRS | (HAS_CONTENT if content else 0)
    body = bytes([TAG_INDICATION | flags]) + bytes(attrs) + bytes([END]) + content
    return head + body + (bytes([END]) if content else b"") + bytes([END])


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self, what: str) -> int:
        if self.pos >= len(self.data):
            raise SiError(what, "the document ends early")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def peek(self, what: str) -> int:
        if self.pos >= len(self.data):
            raise SiError(what, "the document ends early")
        return self.data[self.pos]

    def mb_uint(self, what: str) -> int:
        value = 0
        for _ in range(5):
            octet = self.byte(what)
            value = (value << 7) | (octet & 0x7F)
            if not octet & 0x80:
                return value
        raise SiError(what, "mb_u_int32 longer than 5 octets")

    def str_i(self, what: str) -> str:
        stop = self.data.find(b"\x00", self.pos)
        if stop < 0:
            raise SiError(what, "inline string without its NUL")
        raw = self.data[self.pos : stop]
        self.pos = stop + 1
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SiError(what, "inline string is not UTF-8") from None

    def opaque_date(self, what: str) -> str:
        if self.byte(what) != OPAQUE:
            raise SiError(what, "a date is OPAQUE (0xC3)")
        length = self.mb_uint(what)
        if not 0 < length <= 7 or self.pos + length > len(self.data):
            raise SiError(what, f"date of {length} octets")
        octets = self.data[self.pos : self.pos + length].ljust(7, b"\x00")
        self.pos += length
        digits = octets.hex()
        if not digits.isdigit():
            raise SiError(what, "a date is BCD digits")
        d = digits
        return f"{d[0:4]}-{d[4:6]}-{d[6:8]}T{d[8:10]}:{d[10:12]}:{d[12:14]}Z"


def decode_tokens(data: bytes) -> Si:
    """A tokenised SI; SiError naming the token or attribute."""
    if len(data) > MAX_DOCUMENT:
        raise SiError("sic", f"over {MAX_DOCUMENT} bytes")
    c = _Cursor(data)
    version = c.byte("version")
    if version not in (0x01, 0x02, 0x03):
        raise SiError("version", f"WBXML version 0x{version:02X}")
    public_id = c.mb_uint("publicid")
    if public_id == 0:
        c.mb_uint("publicid index")
    elif public_id != SI_PUBLIC_ID:
        raise SiError("publicid", f"0x{public_id:02X} is not SI 1.0 (0x05)")
    charset = c.mb_uint("charset")
    if charset not in (UTF_8, 0x04, 0x03):
        raise SiError("charset", f"MIBenum {charset}: only UTF-8, US-ASCII, Latin-1 are read")
    table = c.mb_uint("strtbl")
    if table:
        raise SiError("strtbl", "a string table (STR_T) is not read")
    if c.byte("si") != TAG_SI | HAS_CONTENT:
        raise SiError("si", "expected the si tag with content (0x45)")
    tag = c.byte("indication")
    if tag & 0x3F != TAG_INDICATION or not tag & HAS_ATTRS:
        raise SiError("indication", f"expected indication with attributes, got 0x{tag:02X}")
    fields: dict[str, str] = {}
    action = "signal-medium"
    while True:
        token = c.byte("indication attribute")
        if token == END:
            break
        if token in _HREF_PREFIXES:
            parts = [_HREF_PREFIXES[token]]
            while c.peek("href") in (STR_I, *_VALUE_TOKENS):
                t = c.byte("href")
                parts.append(c.str_i("href") if t == STR_I else _VALUE_TOKENS[t])
            fields["href"] = "".join(parts)
        elif token in _ACTION_TOKENS.values():
            action = ACTIONS[token - 0x05]
        elif token in (_SI_ID, _CLASS):
            if c.byte("attribute value") != STR_I:
                raise SiError("si-id" if token == _SI_ID else "class", "expected an inline string")
            fields["si-id" if token == _SI_ID else "class"] = c.str_i("attribute value")
        elif token in (_CREATED, _EXPIRES):
            fields["created" if token == _CREATED else "si-expires"] = c.opaque_date("date")
        else:
            raise SiError("indication attribute", f"unknown token 0x{token:02X}")
    text = ""
    if tag & HAS_CONTENT:
        pieces = []
        while (t := c.byte("indication content")) != END:
            if t != STR_I:
                raise SiError("indication content", f"token 0x{t:02X} (only inline text read)")
            pieces.append(c.str_i("indication text"))
        text = "".join(pieces)
    if c.byte("si end") != END:
        raise SiError("si", "expected END after the indication")
    if c.pos != len(data):
        raise SiError("sic", f"{len(data) - c.pos} octets after the document")
    return Si(
        fields.get("href"),
        fields.get("si-id"),
        action,
        text,
        fields.get("created"),
        fields.get("si-expires"),
        fields.get("class"),
    )
