"""WSP/WAP binary encoding primitives (WAP-230-WSP §8.4), shared by MM1 and WAP push.

Sans-IO and strict: ``Reader`` walks bytes and every read names the field it
reads for, so a malformed value fails with ``WspError(field, reason)``; the
``encode_*`` functions write the canonical form. What is here:

* integers: uintvar, short-integer, long-integer, integer-value, value-length;
* strings: text-string (with the 0x7F quote), token-text, quoted-string,
  encoded-string-value (with a charset), text-value;
* content types: the well-known media codes (Table 40), typed parameters
  (Table 38), content-type-value in its constrained and general forms;
* headers: the well-known field names (Table 39) for the few fields both
  users need (Content-ID, Content-Location, X-Wap-Application-Id), any other
  field kept as its raw value bytes, application headers as text;
* WSP multipart: nEntries, then HeadersLen, DataLen, content type, headers, data.

The assigned numbers are facts of the WAP/OMA registries (WIRE-FACTS.md §4-5
pins the ones seen on the wire: 0xB3, 0xBE, 0xAE, 0xAF).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mmsconf.emulators.codecs.wsp_tables import (  # noqa: F401 (re-exported)
    _PARAM_CODES,
    _PARAMS,
    _PY_CODEC,
    _TOKEN_SEPARATORS,
    _URI_HEADERS,
    APPLICATION_IDS,
    CHARSET_CODES,
    CHARSETS,
    CONTENT_TYPE_CODES,
    CONTENT_TYPES,
    HEADER_CODES,
    HEADER_FIELDS,
    MMS_MESSAGE,
    MULTIPART_MIXED,
    MULTIPART_RELATED,
    SIC,
    UTF8,
)

#: Uintvars are at most five octets (32 bits of value).
MAX_UINTVAR_OCTETS = 5
MAX_UINTVAR = 2**32 - 1
#: A long-integer's length is a short-length (1..30 octets).
MAX_LONG_OCTETS = 30
QUOTE = 0x7F  # before a text-string whose first octet is >= 0x80
QUOTED_STRING = 0x22  # starts a quoted-string
LENGTH_QUOTE = 31  # value-length: a uintvar length follows
NO_VALUE = 0x00


class WspError(ValueError):
    """Bytes that are not what the field they sit in must be."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


# --- values ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ContentType:
    """A media type and its parameters, in order (``charset`` by name, e.g. "utf-8")."""

    media: str
    params: tuple[tuple[str, str], ...] = ()

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.params if k == name), None)

    @property
    def is_multipart(self) -> bool:
        return self.media.startswith(("application/vnd.wap.multipart.", "multipart/"))

    def __str__(self) -> str:
        return "; ".join([self.media, *(f"{k}={v}" for k, v in self.params)])


#: A header: (field name, value). The value is text for the fields this module
#: interprets and for application headers, an int for a coded application id,
#: and the raw value bytes for any other well-known field.
Header = tuple[str, "str | int | bytes"]


@dataclass(frozen=True)
class Part:
    """One entry of a WSP multipart."""

    content_type: ContentType
    data: bytes
    headers: tuple[Header, ...] = ()

    def header(self, name: str) -> str | int | bytes | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class EncodedString:
    """An encoded-string-value: its text, and the charset it came in (None: none given)."""

    text: str
    charset: int | None = None


# --- encoding --------------------------------------------------------------------------


def encode_uintvar(value: int) -> bytes:
    if not 0 <= value <= MAX_UINTVAR:
        raise WspError("uintvar", f"{value} is outside 0..{MAX_UINTVAR}")
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def encode_short_integer(value: int) -> bytes:
    if not 0 <= value <= 0x7F:
        raise WspError("short-integer", f"{value} is outside 0..127")
    return bytes([0x80 | value])


def encode_long_integer(value: int) -> bytes:
    if value < 0:
        raise WspError("long-integer", f"{value} is negative")
    digits = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    if len(digits) > MAX_LONG_OCTETS:
        raise WspError("long-integer", f"{value} needs more than {MAX_LONG_OCTETS} octets")
    return bytes([len(digits)]) + digits


def encode_integer_value(value: int) -> bytes:
    """A short-integer when it fits, else a long-integer."""
    return encode_short_integer(value) if 0 <= value <= 0x7F else encode_long_integer(value)


def encode_value_length(length: int) -> bytes:
    if length < 0:
        raise WspError("value-length", f"{length} is negative")
    return bytes([length]) if length <= 30 else bytes([LENGTH_QUOTE]) + encode_uintvar(length)


def with_length(value: bytes) -> bytes:
    """``value`` preceded by its value-length."""
    return encode_value_length(len(value)) + value


def _text_bytes(text: str | bytes, what: str) -> bytes:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    if b"\x00" in raw:
        raise WspError(what, "contains a NUL octet")
    return raw


def encode_text_string(text: str | bytes) -> bytes:
    raw = _text_bytes(text, "text-string")
    if raw[:1] and (raw[0] < 0x20 or raw[0] == QUOTE):
        # A reader would take the octet for a length or the quote.
        raise WspError("text-string", f"starts with the control octet 0x{raw[0]:02X}")
    quote = bytes([QUOTE]) if raw[:1] and raw[0] >= 0x80 else b""
    return quote + raw + b"\x00"


def encode_token_text(token: str) -> bytes:
    raw = _text_bytes(token, "token-text")
    if not raw or any(b < 0x21 or b > 0x7E or b in _TOKEN_SEPARATORS for b in raw):
        raise WspError("token-text", f"{token!r} is not a token")
    return raw + b"\x00"


def encode_quoted_string(text: str) -> bytes:
    return bytes([QUOTED_STRING]) + _text_bytes(text, "quoted-string") + b"\x00"


def encode_encoded_string(text: str) -> bytes:
    """A plain text-string when ``text`` is ASCII, else value-length + UTF-8 + text."""
    if text.isascii():
        return encode_text_string(text)
    return with_length(encode_integer_value(UTF8) + encode_text_string(text))


def encode_media(media: str) -> bytes:
    """A constrained-encoding: the well-known short-integer, or the extension text."""
    code = CONTENT_TYPE_CODES.get(media.lower())
    return encode_short_integer(code) if code is not None else encode_text_string(media)


def _encode_param(name: str, value: str) -> bytes:
    known = _PARAM_CODES.get(name.lower())
    if known is None:
        return encode_token_text(name) + encode_text_string(value)
    code, kind = known
    head = encode_short_integer(code)
    if kind == "charset":
        charset = CHARSET_CODES.get(value.lower())
        if charset is None:
            raise WspError("Content-Type charset", f"{value!r} is not a charset with a MIBenum")
        return head + encode_integer_value(charset)
    if kind == "constrained":
        return head + encode_media(value)
    return head + encode_text_string(value)


def encode_content_type(ct: ContentType) -> bytes:
    """Content-type-value: constrained when there are no parameters, else the general form."""
    media = encode_media(ct.media)
    if not ct.params:
        return media
    return with_length(media + b"".join(_encode_param(k, v) for k, v in ct.params))


def encode_header(name: str, value: str | int | bytes) -> bytes:
    """One header: the well-known field code and its value, or an application header."""
    code = HEADER_CODES.get(name.lower())
    if code is None:
        if not isinstance(value, str):
            raise WspError(name, "an application header's value must be text")
        return encode_token_text(name) + encode_text_string(value)
    key = encode_short_integer(code)
    lowered = name.lower()
    if isinstance(value, bytes):
        return key + value
    if lowered == "content-id" and isinstance(value, str):
        return key + encode_quoted_string(value)
    if lowered in _URI_HEADERS and isinstance(value, str):
        return key + encode_text_string(value)
    if lowered == "x-wap-application-id":
        if isinstance(value, int):
            return key + encode_integer_value(value)
        return key + encode_text_string(value)
    raise WspError(name, f"give the value as its encoded bytes, not {type(value).__name__}")


def encode_headers(headers: tuple[Header, ...] | list[Header]) -> bytes:
    return b"".join(encode_header(k, v) for k, v in headers)


def encode_multipart(parts: tuple[Part, ...] | list[Part]) -> bytes:
    out = bytearray(encode_uintvar(len(parts)))
    for part in parts:
        head = encode_content_type(part.content_type) + encode_headers(part.headers)
        out += encode_uintvar(len(head)) + encode_uintvar(len(part.data)) + head + part.data
    return bytes(out)


def decode_text(raw: bytes, charset: int | None = None) -> str:
    """Octets as text: in ``charset`` when given (UTF-8 else), latin-1 if they are not that."""
    name = CHARSETS.get(charset, "utf-8") if charset is not None else "utf-8"
    try:
        return raw.decode(_PY_CODEC.get(name, name))
    except (UnicodeDecodeError, LookupError):
        return raw.decode("latin-1")


# --- decoding --------------------------------------------------------------------------


@dataclass
class Reader:
    """A cursor over ``data[pos:end]``; each read names the field it reads for."""

    data: bytes
    pos: int = 0
    end: int = -1
    strict: bool = True
    #: What lenient reads accepted that strict ones refuse: (field, detail).
    lapses: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.end < 0:
            self.end = len(self.data)

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    @property
    def at_end(self) -> bool:
        return self.pos >= self.end

    def lapse(self, field: str, detail: str) -> None:
        """Strict: the error. Lenient: noted, and the read goes on."""
        if self.strict:
            raise WspError(field, detail)
        self.lapses.append((field, detail))

    def peek(self, field: str) -> int:
        if self.pos >= self.end:
            raise WspError(field, "ends before its value")
        return self.data[self.pos]

    def byte(self, field: str) -> int:
        value = self.peek(field)
        self.pos += 1
        return value

    def take(self, n: int, field: str) -> bytes:
        if n < 0 or n > self.remaining:
            raise WspError(field, f"needs {n} octets, {self.remaining} left")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def sub(self, length: int, field: str) -> Reader:
        """A reader over the next ``length`` octets (consumed here)."""
        if length > self.remaining:
            raise WspError(field, f"declares {length} octets, {self.remaining} left")
        inner = Reader(self.data, self.pos, self.pos + length, self.strict, self.lapses)
        self.pos += length
        return inner

    def done(self, field: str) -> None:
        """A length-delimited value read whole: octets left over are an error."""
        if not self.at_end:
            self.lapse(field, f"{self.remaining} octet(s) left over after its value")
            self.pos = self.end

    # --- integers ---------------------------------------------------------------------
    def uintvar(self, field: str) -> int:
        value = 0
        for i in range(MAX_UINTVAR_OCTETS):
            octet = self.byte(field)
            if i == 0 and octet == 0x80:
                self.lapse(field, "uintvar with a leading zero group")
            value = (value << 7) | (octet & 0x7F)
            if not octet & 0x80:
                if value > MAX_UINTVAR:
                    raise WspError(field, f"uintvar {value} exceeds 32 bits")
                return value
        raise WspError(field, f"uintvar longer than {MAX_UINTVAR_OCTETS} octets")

    def short_integer(self, field: str) -> int:
        octet = self.byte(field)
        if not octet & 0x80:
            raise WspError(field, f"expected a short-integer (>= 0x80), got 0x{octet:02X}")
        return octet & 0x7F

    def long_integer(self, field: str) -> int:
        length = self.byte(field)
        if not 1 <= length <= MAX_LONG_OCTETS:
            raise WspError(field, f"long-integer length {length} is outside 1..30")
        return int.from_bytes(self.take(length, field), "big")

    def integer_value(self, field: str) -> int:
        octet = self.peek(field)
        if octet & 0x80:
            return self.short_integer(field)
        if octet <= MAX_LONG_OCTETS:
            return self.long_integer(field)
        raise WspError(field, f"expected an integer value, got 0x{octet:02X}")

    def value_length(self, field: str) -> int:
        octet = self.byte(field)
        if octet <= 30:
            return octet
        if octet == LENGTH_QUOTE:
            return self.uintvar(field)
        raise WspError(field, f"expected a value-length, got 0x{octet:02X}")

    def length_value(self, field: str) -> Reader:
        """The value-length and a reader over exactly that many octets."""
        return self.sub(self.value_length(field), field)

    # --- strings ----------------------------------------------------------------------
    def _until_nul(self, field: str) -> bytes:
        stop = self.data.find(b"\x00", self.pos, self.end)
        if stop < 0:
            raise WspError(field, "text without its terminating NUL")
        raw = self.data[self.pos : stop]
        self.pos = stop + 1
        return raw

    def text_bytes(self, field: str) -> bytes:
        first = self.peek(field)
        if first == QUOTE:
            self.pos += 1
            raw = self._until_nul(field)
            if raw[:1] and raw[0] < 0x80:
                self.lapse(field, "the 0x7F quote before a text that does not need it")
            return raw
        if 0x01 <= first < 0x20:
            raise WspError(field, f"expected text, got control octet 0x{first:02X}")
        if first >= 0x80:
            raise WspError(field, f"expected text, got 0x{first:02X} (a coded value)")
        return self._until_nul(field)

    def text_string(self, field: str, charset: int | None = None) -> str:
        return decode_text(self.text_bytes(field), charset)

    def token_text(self, field: str) -> str:
        raw = self._until_nul(field)
        if not raw or any(b < 0x21 or b > 0x7E or b in _TOKEN_SEPARATORS for b in raw):
            self.lapse(field, f"{raw[:40]!r} is not a token")
        return raw.decode("latin-1")

    def quoted_string(self, field: str) -> str:
        if self.peek(field) != QUOTED_STRING:
            self.lapse(field, "a quoted-string without its opening 0x22")
            return self.text_string(field)
        self.pos += 1
        return decode_text(self._until_nul(field))

    def text_value(self, field: str) -> str:
        """No-value | Token-text | Quoted-string."""
        first = self.peek(field)
        if first == NO_VALUE:
            self.pos += 1
            return ""
        if first == QUOTED_STRING:
            return self.quoted_string(field)
        return self.token_text(field)

    def encoded_string(self, field: str) -> EncodedString:
        """Encoded-string-value: a text-string, or value-length charset text-string."""
        first = self.peek(field)
        if first == 0:  # the empty text-string (value-length 0 would leave no charset)
            self.pos += 1
            return EncodedString("")
        if first > 30 and first != LENGTH_QUOTE:
            return EncodedString(self.text_string(field))
        inner = self.length_value(field)
        charset = inner.integer_value(f"{field} charset")
        if charset != 0 and charset not in CHARSETS:
            inner.lapse(f"{field} charset", f"unknown MIBenum {charset}")
        text = inner.text_string(field, charset or None)
        inner.done(field)
        return EncodedString(text, charset)

    # --- content types ----------------------------------------------------------------
    def media(self, field: str) -> str:
        """Constrained-encoding: a well-known short-integer or an extension media text."""
        first = self.peek(field)
        if first & 0x80:
            code = self.short_integer(field)
            if code not in CONTENT_TYPES:
                self.lapse(field, f"unassigned well-known media code 0x{code:02X}")
                return f"application/x-wsp-0x{code:02x}"
            return CONTENT_TYPES[code]
        return self.text_string(field)

    def content_type(self, field: str) -> ContentType:
        first = self.peek(field)
        if first > 30 and first != LENGTH_QUOTE:
            return ContentType(self.media(field))
        inner = self.length_value(field)
        first = inner.peek(field)
        if first & 0x80 or first > 30:
            media = inner.media(field)
        else:  # a well-known media as a long-integer
            code = inner.long_integer(field)
            media = CONTENT_TYPES.get(code, f"application/x-wsp-0x{code:02x}")
        params = []
        while not inner.at_end:
            params.append(inner.parameter(f"{field} parameter"))
        return ContentType(media, tuple(params))

    def parameter(self, field: str) -> tuple[str, str]:
        first = self.peek(field)
        if first & 0x80 or first <= 30:
            code = self.integer_value(field)
            known = _PARAMS.get(code)
            if known is None:
                self.lapse(field, f"unassigned parameter code 0x{code:02X}")
                return f"x-wsp-param-{code}", self.raw_value(field).hex()
            name, kind = known
            return name, self._param_value(kind, f"{field} {name}")
        name = self.token_text(field)
        return name.lower(), self._untyped_value(f"{field} {name}")

    def _param_value(self, kind: str, field: str) -> str:
        if kind == "charset":
            if self.peek(field) == 0x80:  # Any-charset
                self.pos += 1
                return "*"
            code = self.integer_value(field)
            if code not in CHARSETS:
                self.lapse(field, f"unknown MIBenum {code}")
            return CHARSETS.get(code, str(code))
        if kind == "constrained":
            return self.media(field)
        if kind in ("integer", "q"):
            return str(self.uintvar(field) if kind == "q" else self.integer_value(field))
        if kind == "short":
            return str(self.short_integer(field))
        if kind == "novalue":
            if self.byte(field) != NO_VALUE:
                raise WspError(field, "expected No-value (0x00)")
            return ""
        if kind == "version":
            if self.peek(field) & 0x80:
                v = self.short_integer(field)
                return f"{v >> 4}" if v & 0x0F == 0x0F else f"{v >> 4}.{v & 0x0F}"
            return self.text_string(field)
        if kind == "text_value":
            return self.text_value(field)
        if kind == "field":
            return self.raw_value(field).hex()
        return self.text_string(field)

    def _untyped_value(self, field: str) -> str:
        first = self.peek(field)
        if first & 0x80 or first <= 30:
            return str(self.integer_value(field))
        return self.text_string(field)

    def raw_value(self, field: str) -> bytes:
        """Any WSP field value, skipped by its first octet (WSP 8.4.1.2): 0-30 a length
        follows, 31 a uintvar length, 32-127 text to its NUL, 128-255 one octet."""
        start = self.pos
        first = self.peek(field)
        if first <= 30 or first == LENGTH_QUOTE:
            self.take(self.value_length(field), field)
        elif first < 0x80:
            self._until_nul(field)
        else:
            self.pos += 1
        return self.data[start : self.pos]

    # --- headers and multipart --------------------------------------------------------
    def header(self, field: str) -> Header:
        first = self.peek(field)
        if first & 0x80:
            code = self.short_integer(field)
            name = HEADER_FIELDS.get(code, f"x-wsp-header-0x{code:02x}")
            lowered = name.lower()
            if lowered == "content-id":
                return name, self.quoted_string(name)
            if lowered in _URI_HEADERS:
                return name, self.text_string(name)
            if lowered == "x-wap-application-id":
                nxt = self.peek(name)
                if nxt & 0x80 or nxt <= 30:
                    return name, self.integer_value(name)
                return name, self.text_string(name)
            return name, self.raw_value(name)
        if first < 0x20 or first == QUOTE:
            raise WspError(field, f"expected a header field name, got 0x{first:02X}")
        name = self.token_text(field)
        return name, self.text_string(name)

    def headers(self, field: str) -> tuple[Header, ...]:
        """Headers up to the end of this reader."""
        out = []
        while not self.at_end:
            out.append(self.header(field))
        return tuple(out)

    def multipart(self, field: str, max_parts: int = 1000) -> tuple[Part, ...]:
        count = self.uintvar(f"{field} nEntries")
        if count > max_parts:
            raise WspError(f"{field} nEntries", f"{count} parts, more than {max_parts}")
        parts = []
        for i in range(count):
            where = f"{field} part {i + 1}"
            head_len = self.uintvar(f"{where} HeadersLen")
            data_len = self.uintvar(f"{where} DataLen")
            head = self.sub(head_len, f"{where} headers")
            ct = head.content_type(f"{where} Content-Type")
            headers = head.headers(f"{where} header")
            parts.append(Part(ct, self.take(data_len, f"{where} data"), headers))
        if not self.at_end:
            self.lapse(field, f"{self.remaining} octet(s) after the last part")
            self.pos = self.end
        return tuple(parts)
