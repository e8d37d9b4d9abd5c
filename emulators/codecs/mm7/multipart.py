"""The MIME side of MM7 (SOAP with attachments): how the codec judges the
splitter's framing notes, and Content-IDs inside nested multiparts.

``codecs.mime`` reads a damaged body the way receivers in the field do and
notes each framing fault; here each note becomes a named deviation (strict
names it, lenient reads on) or, where the bytes no longer say where a part
ends, a refusal in both modes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .. import mime
from .rules import STATUS_FORMAT
from .types import ContentPart, MM7Error
from .xml import Reader

# How deep a Content href may point into multiparts inside multiparts; deeper
# nesting is not looked into (a message is no place for a MIME bomb).
_MAX_DEPTH = 3


def split_judged(r: Reader, body: bytes, boundary: str) -> tuple[mime.SplitPart, ...]:
    """The parts of a multipart body, its framing faults judged.

    A close delimiter written with a non-ASCII dash is, to the splitter,
    content of the last part. When it is the last delimiter-like line of
    the body (no delimiter after it), the body ends there, as its writer
    meant: the line is cut off, so it never ends up in a part's data. In a
    preamble it is ignored with the preamble (RFC 2046). Anywhere else,
    further delimiters follow it and the bytes do not say which is meant:
    refused in both modes.
    """
    split = mime.split(body, boundary)
    codes = {note.code for note in split.notes}
    garbled = [n.offset for n in split.notes if n.code == "close-delimiter-non-ascii-dash"]
    if garbled:
        delimiter = re.compile(rb"(?:\A|\n)--" + re.escape(boundary.encode("ascii")))
        first = delimiter.search(body)
        in_part = [at for at in garbled if first is not None and at > first.start()]
        if in_part:
            last = in_part[-1]
            if "no-close-delimiter" not in codes or delimiter.search(body, last):
                raise MM7Error(
                    "MIME close delimiter",
                    "a close delimiter with a non-ASCII dash before further delimiters",
                    STATUS_FORMAT,
                )
            r.deviate(
                "mime-close-delimiter-garbled",
                "MIME close delimiter",
                "close delimiter written with a non-ASCII dash",
                STATUS_FORMAT,
            )
            # The CRLF before the delimiter line belongs to it (RFC 2046 §5.1.1).
            closed = body[:last] + f"--{boundary}--\r\n".encode("ascii")
            split = mime.split(closed, boundary)
            codes = {note.code for note in split.notes}
    if "no-close-delimiter" in codes:
        r.deviate(
            "mime-no-close-delimiter",
            "MIME close delimiter",
            "no close delimiter: the last part runs to the end of the body",
            STATUS_FORMAT,
        )
    for note in split.notes:
        if note.code == "no-blank-line-after-headers":
            r.deviate("mime-no-blank-line", "MIME part headers", note.detail, STATUS_FORMAT)
    # Preamble and epilogue are legal (RFC 2046) and ignored.
    return split.parts


def _unbracketed(content_id: str) -> str:
    value = content_id.strip()
    return value[1:-1] if len(value) >= 2 and value[0] == "<" and value[-1] == ">" else value


def _nested(content_type: str, data: bytes, depth: int) -> set[str]:
    try:
        header = mime.parse_content_type(content_type)
        boundary = header.param("boundary") if header.media_type.startswith("multipart/") else None
    except mime.MimeError:
        return set()
    if not boundary or depth > _MAX_DEPTH:
        return set()
    found: set[str] = set()
    for part in mime.split(data, boundary).parts:
        if part.content_id is not None:
            found.add(_unbracketed(part.content_id))
        if part.content_type is not None:
            found |= _nested(part.content_type, part.raw, depth + 1)
    return found


def nested_content_ids(parts: Iterable[ContentPart]) -> set[str]:
    """Content-IDs of the parts inside multipart content parts (not the parts'
    own), which a Content href may name.

    RFC 2392 cid: URLs name a body part by its Content-ID wherever it is in
    the message (Content-IDs are world-unique, RFC 2045 §7), and the MM7
    schema types href as xs:anyURI: a reference into a multipart/related or
    multipart/mixed content part is legal, not a deviation. The nested parts
    are kept as sent (in the outer part's data) for the receiver to unpack.
    """
    found: set[str] = set()
    for part in parts:
        found |= _nested(part.content_type, part.data, 1)
    return found
