"""MIME multipart bodies on bytes: build and split multipart/related and multipart/mixed.

Sans-IO and protocol-neutral: MM7 (SOAP with attachments) uses it, and so
will MM4, PAP and MM1 over HTTP. Nothing here knows which protocol carries
the body; each caller maps ``MimeError`` onto its own error and status.

Building writes bytes directly (RFC 2046 §5.1.1): no header folding, no
re-quoting, every line ending CRLF, base64 in 76-column lines; the result is
byte for byte what the standard ``email`` package generates for the same
parts, without its cost on large bodies.

Splitting works on the bytes too; only part headers go through the ``email``
package. It is tolerant the way receivers in the field are (a missing close
delimiter, no blank line after a part's headers, ...), and reports each such
framing fault as a ``FramingNote`` so that a caller can judge it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import collapse_rfc2231_value
from functools import cached_property, lru_cache

__all__ = [
    "FRAMING_NOTES",
    "TRANSFER_ENCODINGS",
    "ContentType",
    "FramingNote",
    "MimeError",
    "Multipart",
    "Part",
    "Split",
    "SplitPart",
    "build_mixed",
    "build_related",
    "parse_content_type",
    "split",
]


class MimeError(Exception):
    """A body or part the MIME layer will not write, or a value it cannot read.

    ``field`` names the header, or the header and parameter as
    ``"Content-Type@boundary"``; ``reason`` says what is wrong with it.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


#: Content-Transfer-Encodings the writer produces (and the splitter reads).
TRANSFER_ENCODINGS: tuple[str, ...] = ("base64", "quoted-printable", "8bit", "7bit", "binary")

#: Every framing fault the splitter tolerates and reports, with what it means.
FRAMING_NOTES: dict[str, str] = {
    "preamble": "bytes before the first delimiter (RFC 2046 lets them be, and ignored)",
    "epilogue": "bytes after the close delimiter line (RFC 2046 lets them be, and ignored)",
    "no-blank-line-after-headers": "a part's headers end without a blank line after them",
    "no-close-delimiter": "no close delimiter: the last part runs to the end of the body",
    "close-delimiter-non-ascii-dash": "a close delimiter with a typographic dash (U+2013, ...)",
}


@dataclass(frozen=True)
class FramingNote:
    """A framing fault the splitter read past; ``offset`` is where it is in the body."""

    code: str  # a key of FRAMING_NOTES
    offset: int
    detail: str


# --------------------------------------------------------------------------- Content-Type


@dataclass(frozen=True)
class ContentType:
    """A Content-Type header value: its media type, and its parameters on demand.

    Parameters are read one at a time so that a caller checks them in its own
    order (a malformed ``start`` need not hide a missing ``boundary``).
    """

    value: str
    media_type: str  # "type/subtype" as written before the first ";", lower case
    _holder: Message | None = field(repr=False, compare=False)
    # The parameters of a plain value (``_simple_params``), read without the email package.
    _simple: dict[str, str] | None = field(default=None, repr=False, compare=False)

    def param(self, name: str) -> str | None:
        """The parameter's value (RFC 2231 continuations joined), or None if absent."""
        if self._simple is not None:
            return self._simple.get(name.lower())
        holder = self._holder
        if holder is None:
            holder = Message()
            holder["Content-Type"] = self.value
        try:
            value = holder.get_param(name)
        except (TypeError, ValueError, IndexError):
            # e.g. "boundary*=; boundary*0=": the email package's RFC 2231 decoder
            # sorts None against 0 and raises TypeError.
            raise MimeError("Content-Type", f"malformed {name} parameter") from None
        if value is None or isinstance(value, str):
            return value
        return collapse_rfc2231_value(value)


def _unquote(value: str) -> str:
    """email.utils.unquote without backslashes (a plain value has none): one pair of
    quotes or of angle brackets off."""
    if len(value) > 1 and (
        (value[0] == '"' and value[-1] == '"') or (value[0] == "<" and value[-1] == ">")
    ):
        return value[1:-1]
    return value


def _simple_params(value: str) -> dict[str, str] | None:
    """The parameters of a plain Content-Type value, as the email package reads them;
    None for a value that is not plain (it then goes through the email package).

    Plain: no backslash, no RFC 2231 ``*`` or comment parenthesis, every parameter
    ``name=value`` with its quotes (if any) around the whole value. On such a value the
    email package's parameter reader comes down to what is done here: split on ";",
    name stripped and lower-cased, value stripped and unquoted once (quotes or angle
    brackets), the first of a repeated name kept. A property test holds both to the
    same answers (tests/property/test_mime_properties.py).
    """
    if "\\" in value or "*" in value or "(" in value:
        return None
    params: dict[str, str] = {}
    for segment in value.split(";"):
        name, eq, raw = segment.partition("=")
        if '"' in name:
            return None
        if not eq:
            # The media type, an empty piece (";;") or a bare word: to the email package
            # each is a parameter of that name with the value "".
            params.setdefault(segment.strip().lower(), "")
            continue
        if not params:
            return None  # "name=value" first: the email package keeps it undecoded
        raw = raw.strip()
        quotes = raw.count('"')
        if quotes and not (quotes == 2 and raw[0] == '"' and raw[-1] == '"'):
            return None
        params.setdefault(name.strip().lower(), _unquote(raw))
    return params


def parse_content_type(value: str) -> ContentType:
    """Read a Content-Type header value; a value with line breaks or NUL is refused.

    Cached for plain str values: a ContentType is immutable, and most values repeat
    (every text/xml answer).
    """
    if type(value) is str:
        return _parse_content_type_cached(value)
    return _parse_content_type(value)


@lru_cache(maxsize=256)
def _parse_content_type_cached(value: str) -> ContentType:
    return _parse_content_type(value)


def _parse_content_type(value: str) -> ContentType:
    if any(c in value for c in "\r\n\0"):
        raise MimeError("Content-Type", "control characters in Content-Type")
    media_type = value.split(";", 1)[0].strip().lower()
    simple = _simple_params(value)
    if simple is not None:
        return ContentType(value, media_type, None, simple)
    # A throwaway header, to let the email package parse the parameters.
    holder = Message()
    holder["Content-Type"] = value
    return ContentType(value, media_type, holder)


# --------------------------------------------------------------------------- build


@dataclass(frozen=True)
class Part:
    """A body part to write. ``content_id`` is without angle brackets; ``headers``
    are written after Content-Type, Content-ID and Content-Transfer-Encoding."""

    content_type: str
    data: bytes
    content_id: str | None = None
    transfer_encoding: str = "base64"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Multipart:
    """A built body, with the Content-Type header value that goes with it."""

    content_type: str
    body: bytes
    boundary: str


# RFC 2046 bchars: 1-70 characters, not ending in a space.
_BCHAR = r"[0-9A-Za-z'()+_,./:=?-]"
_BOUNDARY_OK = re.compile(rf"{_BCHAR}([0-9A-Za-z'()+_,./:=? -]{{0,68}}{_BCHAR})?")
_HEADER_TEXT = re.compile(r"[\x20-\x7e]*")
# Header names as they are in practice. RFC 5322 allows more, but a name that
# starts with "--" could read as a delimiter, and only the payloads are
# searched for the boundary.
_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
_OWN_HEADERS = ("content-type", "content-id", "content-transfer-encoding")
_ANY_NEWLINE = re.compile(rb"\r\n|\r|\n")
_MAX_LINE = 998  # octets before CRLF in 7bit and 8bit data (RFC 2045 §2.7, §2.8)


def _check_part(part: Part) -> None:
    # Printable ASCII only: anything else would need RFC 2047 encoding (or
    # folding), and the receiver would read a different value.
    cid = part.content_id
    if cid is not None and ("<" in cid or ">" in cid or not _HEADER_TEXT.fullmatch(cid)):
        raise MimeError("Content-ID", f"{cid!r} is not printable ASCII without angle brackets")
    ctype = part.content_type
    if (
        "<" in ctype
        or ">" in ctype
        or not _HEADER_TEXT.fullmatch(ctype)
        or ctype != ctype.strip(" ")
    ):
        raise MimeError(
            "Content-Type", f"{ctype!r} is not unpadded printable ASCII without angle brackets"
        )
    if part.transfer_encoding not in TRANSFER_ENCODINGS:
        raise MimeError(
            "Content-Transfer-Encoding",
            f"{part.transfer_encoding!r} is not one of {', '.join(TRANSFER_ENCODINGS)}",
        )
    for name, value in part.headers:
        if not _HEADER_NAME.fullmatch(name) or name.lower() in _OWN_HEADERS:
            raise MimeError(name, "not a header name the part may carry")
        if not _HEADER_TEXT.fullmatch(value) or value != value.strip(" "):
            raise MimeError(name, f"{value!r} is not unpadded printable ASCII")


def _lines(data: bytes, encoding: str) -> bytes:
    """7bit and 8bit data are lines: every line break becomes CRLF."""
    if b"\0" in data or (encoding == "7bit" and not data.isascii()):
        raise MimeError("Content-Transfer-Encoding", f"data is not {encoding} text")
    text = _ANY_NEWLINE.sub(b"\r\n", data)
    if any(len(line) > _MAX_LINE for line in text.split(b"\r\n")):
        raise MimeError("Content-Transfer-Encoding", f"a line over {_MAX_LINE} octets")
    return text


def _payload(part: Part) -> bytes:
    encoding = part.transfer_encoding
    if encoding == "base64":
        return base64.encodebytes(part.data).rstrip(b"\n").replace(b"\n", b"\r\n")
    if encoding == "quoted-printable":
        # istext=False encodes CR and LF too, so the data comes back byte for
        # byte; the only line breaks left are soft ones.
        encoded = binascii.b2a_qp(part.data, quotetabs=False, istext=False, header=False)
        return _ANY_NEWLINE.sub(b"\r\n", encoded)
    if encoding == "binary":
        return part.data
    return _lines(part.data, encoding)


def _part_head(part: Part) -> bytes:
    fields = [("Content-Type", part.content_type)]
    if part.content_id is not None:
        fields.append(("Content-ID", f"<{part.content_id}>"))
    fields.append(("Content-Transfer-Encoding", part.transfer_encoding))
    fields.extend(part.headers)
    return b"".join(f"{name}: {value}\r\n".encode("ascii") for name, value in fields) + b"\r\n"


def _clashes(boundary: str, payloads: Sequence[tuple[str, bytes]]) -> bool:
    """Whether the boundary occurs in a payload (anywhere: cheaper than at line
    starts, and still safe). base64 is skipped: it cannot hold the "--"."""
    needle = boundary.encode("ascii")
    return any(encoding != "base64" and needle in payload for encoding, payload in payloads)


def _choose_boundary(seed: str, prefix: str, payloads: Sequence[tuple[str, bytes]]) -> str:
    """Derived from the seed, so the same parts give the same bytes (golden
    vectors, stable traces); re-hashed on a clash with the content."""
    seed_bytes = seed.encode("utf-8", "surrogatepass")
    for attempt in range(100):
        digest = hashlib.sha256(seed_bytes + attempt.to_bytes(2, "big")).hexdigest()[:24]
        boundary = f"{prefix}{digest}"
        if not _BOUNDARY_OK.fullmatch(boundary):
            raise MimeError("Content-Type@boundary", f"unusable boundary prefix {prefix!r}")
        if not _clashes(boundary, payloads):
            return boundary
    raise MimeError("Content-Type@boundary", "no boundary free of the content")


def _quotable(value: str, name: str) -> str:
    if not value or not _HEADER_TEXT.fullmatch(value) or '"' in value or "\\" in value:
        raise MimeError(f"Content-Type@{name}", f"{value!r} cannot be a quoted parameter")
    return value


def _encode_parts(parts: Sequence[Part], subtype: str) -> list[tuple[Part, bytes]]:
    if not parts:
        raise MimeError("Content-Type", f"multipart/{subtype} needs at least one part")
    encoded = []
    for part in parts:
        _check_part(part)
        encoded.append((part, _payload(part)))
    return encoded


def _frame(
    encoded: Sequence[tuple[Part, bytes]], boundary: str | None, seed: str, prefix: str
) -> tuple[str, bytes]:
    """Choose or check the boundary and join the parts: (boundary, body)."""
    payloads = [(part.transfer_encoding, payload) for part, payload in encoded]
    if boundary is None:
        boundary = _choose_boundary(seed, prefix, payloads)
    elif not _BOUNDARY_OK.fullmatch(boundary) or _clashes(boundary, payloads):
        raise MimeError("Content-Type@boundary", f"unusable boundary {boundary!r}")
    delimiter = f"--{boundary}".encode("ascii")
    body = (
        delimiter
        + b"\r\n"
        + (b"\r\n" + delimiter + b"\r\n").join(
            _part_head(part) + payload for part, payload in encoded
        )
        + b"\r\n"
        + delimiter
        + b"--\r\n"
    )
    return boundary, body


def build_related(
    parts: Sequence[Part],
    *,
    root_type: str,
    start: str | None = None,
    boundary: str | None = None,
    boundary_seed: str = "",
    boundary_prefix: str = "mime-boundary-",
) -> Multipart:
    """multipart/related (RFC 2387): ``root_type`` is written as the ``type``
    parameter and must be the media type of the root part, which is the part
    whose Content-ID is ``start`` (without brackets), else the first part.

    Without ``boundary``, one is derived from ``boundary_seed`` and
    ``boundary_prefix`` and chosen free of the content.
    """
    encoded = _encode_parts(parts, "related")
    type_param = f'type="{_quotable(root_type, "type")}"'
    root, start_param = parts[0], ""
    if start is not None:
        found = [part for part in parts if part.content_id == start]
        if not found:
            raise MimeError("Content-Type@start", f"no part with Content-ID <{start}>")
        root = found[0]
        start_param = f'; start="{_quotable("<" + start + ">", "start")}"'
    if root.content_type.split(";", 1)[0].strip().lower() != root_type.lower():
        raise MimeError("Content-Type@type", f"{root_type!r} is not the root part's type")
    boundary, body = _frame(encoded, boundary, boundary_seed, boundary_prefix)
    content_type = f'multipart/related; {type_param}; boundary="{boundary}"{start_param}'
    return Multipart(content_type, body, boundary)


def build_mixed(
    parts: Sequence[Part],
    *,
    boundary: str | None = None,
    boundary_seed: str = "",
    boundary_prefix: str = "mime-boundary-",
) -> Multipart:
    """multipart/mixed (RFC 2046 §5.1.3); the boundary as in ``build_related``."""
    encoded = _encode_parts(parts, "mixed")
    boundary, body = _frame(encoded, boundary, boundary_seed, boundary_prefix)
    return Multipart(f'multipart/mixed; boundary="{boundary}"', body, boundary)


# --------------------------------------------------------------------------- split


def _unfold(value: str) -> str:
    if "\n" not in value:  # the usual case, without the regex
        return value.strip()
    return re.sub(r"\r?\n[ \t]+", " ", value).strip()


@dataclass(frozen=True)
class SplitPart:
    """One body part as received.

    ``headers`` are (name, value) in order, values unfolded; ``content_id`` is
    the Content-ID value as written (brackets and all); ``content_type`` the
    Content-Type value unfolded; both None when absent. ``media_type`` is what
    the part is taken for: the Content-Type's type/subtype in lower case, or
    text/plain when that is absent or unreadable (RFC 2045 §5.2). ``raw`` is
    the body as on the wire; ``data`` undoes the transfer encoding.
    """

    headers: tuple[tuple[str, str], ...]
    content_id: str | None
    content_type: str | None
    media_type: str
    transfer_encoding: str  # lower case; "" when absent
    raw: bytes

    def header(self, name: str) -> str | None:
        """The first value of the named header (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    @cached_property
    def data(self) -> bytes:
        """The body with its transfer encoding undone; MimeError if it does not decode.

        Decoded on first use, so a caller that refuses the body for another
        reason first says so, and one that forwards ``raw`` never pays.
        """
        if self.media_type.split("/", 1)[0] == "multipart":
            # A nested multipart (e.g. multipart/mixed holding the MMS content) is
            # kept as sent, boundaries included, for the receiver to unpack.
            return self.raw
        if self.transfer_encoding == "base64":
            text = self.raw.translate(None, b"\r\n")
            try:
                if len(text) % 4:  # strict_mode lets a stray "=" after whole quads through
                    raise binascii.Error("length")
                return binascii.a2b_base64(text, strict_mode=True)
            except binascii.Error:
                raise MimeError("Content-Transfer-Encoding", "invalid base64") from None
        if self.transfer_encoding == "quoted-printable":
            return binascii.a2b_qp(self.raw)
        return self.raw  # 7bit, 8bit, binary, or a transfer encoding we do not undo


@dataclass(frozen=True)
class Split:
    """The parts of a multipart body, and the framing faults read past on the way."""

    parts: tuple[SplitPart, ...]
    notes: tuple[FramingNote, ...] = ()


# A header field or continuation line, as the email package's feed parser sees one.
_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]*:|[ \t]")
_HEADER_PARSER = BytesHeaderParser(policy=email_policy.compat32)


# A header line of the plain kind: a name of printable ASCII but ":", then the value.
_PLAIN_FIELD = re.compile(rb"([\x21-\x39\x3b-\x7e]+):[ \t]*([^\r\n]*)\Z")


def _plain_header_fields(head: bytes) -> list[tuple[str, str]] | None:
    """The (name, value) fields of a plain header block, as the email package's compat32
    parser gives them; None for any other block (it then goes through that parser).

    Plain: ASCII, every line ending in CRLF, no continuation line, every line
    "name: value". There the parser comes down to this: the name as written, the
    value with the blanks after the colon taken off. The envelope and content parts
    of every MM7 message the harness writes are plain; the email package costs a
    third of decoding one. A property test holds both to the same answers.
    """
    if not head:
        return []
    if not head.isascii() or not head.endswith(b"\r\n"):
        return None
    fields = []
    for line in head[:-2].split(b"\r\n"):
        match = _PLAIN_FIELD.match(line)
        if match is None:
            return None
        fields.append((match.group(1).decode("ascii"), match.group(2).decode("ascii")))
    return fields


def _content_type_of(value: str | None) -> str:
    """Message.get_content_type() on the first Content-Type value (compat32): the media
    type in lower case, text/plain when absent or not type/subtype."""
    if value is None:
        return "text/plain"
    media = value.partition(";")[0].strip().lower()
    return media if media.count("/") == 1 else "text/plain"


def _split_part(data: bytes) -> tuple[SplitPart, bool]:
    """One body part, and whether its headers ended as they should.

    The headers end at the first blank line or, as in the email package, at
    the first line that is not a header. A part that is headers only is
    fine (RFC 2046's body-part has an optional body) if its last header line
    is complete.
    """
    at = 0
    head_end = body_start = len(data)
    well_ended = not data or data.endswith(b"\n")
    while at < len(data):
        eol = data.find(b"\n", at)
        line_end = len(data) if eol < 0 else eol + 1
        line = data[at:line_end]
        if line in (b"\r\n", b"\n"):
            head_end, body_start, well_ended = at, line_end, True
            break
        if not _HEADER_LINE.match(line):
            head_end, body_start, well_ended = at, at, False
            break
        at = line_end
    fields = _plain_header_fields(data[:head_end])
    if fields is None:
        message = _HEADER_PARSER.parsebytes(data[:head_end])
        # A value with 8-bit bytes comes back as an email.header.Header: str() it.
        fields = [(name, str(value)) for name, value in message.items()]
    headers = []
    found: dict[str, str] = {}  # the first value of each name, as Message.get has it
    for name, text in fields:
        headers.append((name, _unfold(text)))
        found.setdefault(name.lower(), text)
    content_id = found.get("content-id")
    content_type = found.get("content-type")
    part = SplitPart(
        headers=tuple(headers),
        content_id=content_id,
        content_type=None if content_type is None else _unfold(content_type),
        media_type=_content_type_of(content_type),
        transfer_encoding=found.get("content-transfer-encoding", "").strip().lower(),
        raw=data[body_start:],
    )
    return part, well_ended


# Typographic dashes a word processor puts where "--" was: U+2010-U+2015, U+2212,
# U+FE58, U+FE63, U+FF0D in UTF-8, and the en and em dash of windows-1252.
_NON_ASCII_DASH = rb"\xe2\x80[\x90-\x95]|\xe2\x88\x92|\xef\xb9[\x98\xa3]|\xef\xbc\x8d|[\x96\x97]"
_DASHES = rb"(?:-|" + _NON_ASCII_DASH + rb"){1,2}"
_DASHES_BEFORE = re.compile(rb"\n(" + _DASHES + rb")\Z")
_DASHES_AFTER = re.compile(rb"(" + _DASHES + rb")[ \t]*(?:\r?\n|\Z)")

# A delimiter line: where it starts, where the next line starts, whether it closes.
_Mark = tuple[int, int, bool]


def _lookalike_start(body: bytes, at: int, end: int) -> int | None:
    """Where the line holding the boundary text at ``at:end`` starts if it is
    a close delimiter with a typographic dash ("--b–", "–b–", "–b--")."""
    # At most two dashes of three bytes before the boundary, and the line break.
    window = (b"\n" if at <= 7 else b"") + body[max(0, at - 7) : at]
    before = _DASHES_BEFORE.search(window)
    after = _DASHES_AFTER.match(body, end)
    if before is None or after is None or (before.group(1) + after.group(1)).isascii():
        return None
    return at - len(before.group(1))


def _scan(body: bytes, boundary: bytes) -> tuple[list[_Mark], list[int]]:
    """The delimiter lines, up to the close delimiter, and the lines before it
    that look like a close delimiter with a typographic dash.

    One pass over the occurrences of the boundary text (found by bytes.find,
    so the cost follows them rather than every byte of the body).
    """
    marks: list[_Mark] = []
    lookalikes: list[int] = []
    at = body.find(boundary)
    while at >= 0:
        end = at + len(boundary)
        start = at - 2
        # A delimiter is "--" and the boundary at the start of a line.
        if start >= 0 and body[start:at] == b"--" and (start == 0 or body[start - 1] == 0x0A):
            closing = body.startswith(b"--", end)
            eol = body.find(b"\n", end)
            line_end = len(body) if eol < 0 else eol + 1
            if not body[end + 2 * closing : line_end].strip(b" \t\r\n"):
                marks.append((start, line_end, closing))
                if closing:
                    break
                at = body.find(boundary, at + 1)
                continue
        if at and (body[at - 1] == 0x2D or body[at - 1] >= 0x80):  # a dash may come before
            line_start = _lookalike_start(body, at, end)
            if line_start is not None:
                lookalikes.append(line_start)
        at = body.find(boundary, at + 1)
    return marks, lookalikes


def split(body: bytes, boundary: str) -> Split:
    """The body parts of a multipart body (RFC 2046 §5.1.1), split on the bytes.

    Only the part headers go through the email package: its parser copies the
    body line by line (about 9x the body size at the peak for a 10 MB
    attachment), this costs about 3x. Nested multiparts are not split.

    Read as receivers in the field read it, each fault noted (FRAMING_NOTES):
    preamble and epilogue are dropped, a part whose headers lack the blank line
    after them gets its body from the first line that is not a header, a
    missing close delimiter ends the last part at the end of the body, and a
    close delimiter with a typographic dash is content. A boundary that is not
    ASCII matches nothing (RFC 2046 bchars are ASCII): no parts.
    """
    if not boundary.isascii():
        return Split(())
    marks, lookalikes = _scan(body, boundary.encode("ascii"))
    notes = [
        FramingNote(
            "close-delimiter-non-ascii-dash",
            offset,
            "a close delimiter written with a typographic dash (read as content)",
        )
        for offset in lookalikes
    ]
    parts: list[SplitPart] = []
    for i, (_, line_end, closing) in enumerate(marks):
        if closing:
            break
        if i + 1 < len(marks):
            # The line break before a delimiter belongs to the delimiter.
            stop = marks[i + 1][0]
            if body[stop - 2 : stop] == b"\r\n" and stop - 2 >= line_end:
                stop -= 2
            elif body[stop - 1 : stop] in (b"\n", b"\r") and stop - 1 >= line_end:
                stop -= 1
        else:
            stop = len(body)  # no close delimiter: the part runs to the end
        part, well_ended = _split_part(body[line_end:stop])
        if not well_ended:
            notes.append(
                FramingNote(
                    "no-blank-line-after-headers",
                    line_end,
                    f"part {len(parts) + 1}: no blank line after its headers",
                )
            )
        parts.append(part)
    if marks:
        notes.extend(_outside_notes(body, marks))
    return Split(tuple(parts), tuple(sorted(notes, key=lambda note: note.offset)))


def _outside_notes(body: bytes, marks: list[_Mark]) -> list[FramingNote]:
    """Preamble, epilogue and a missing close delimiter."""
    notes = []
    first = marks[0][0]
    # The line break before the first delimiter belongs to it, as for the others.
    preamble = first - (2 if body[first - 2 : first] == b"\r\n" else 1 if first else 0)
    if preamble > 0:
        notes.append(FramingNote("preamble", 0, f"{preamble} bytes before the first delimiter"))
    _, line_end, closing = marks[-1]
    if not closing:
        notes.append(
            FramingNote(
                "no-close-delimiter", len(body), f"no close delimiter after part {len(marks)}"
            )
        )
    elif line_end < len(body):
        notes.append(
            FramingNote(
                "epilogue", line_end, f"{len(body) - line_end} bytes after the close delimiter"
            )
        )
    return notes
