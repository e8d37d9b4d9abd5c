"""Hypothesis strategies and mutators for the MIME multipart module (codecs/mime.py).

A "message" here is a ``Body``: the subtype, the parts and, for
multipart/related, the root's type and the ``start`` Content-ID. It goes on
the wire as body bytes plus the Content-Type header value (``meta``).

The MIME fuzz target (``tests/support/targets/mime.py``) draws from here; the
MIME property tests reach it through the ``mimes`` fixture or import it.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace

from hypothesis import strategies as st

from mmsconf.emulators.codecs import mime

_OWN = ("content-type", "content-id", "content-transfer-encoding")
_ANY_NEWLINE = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True)
class Body:
    subtype: str  # "related" | "mixed"
    parts: tuple[mime.Part, ...]
    root_type: str | None = None
    start: str | None = None


def canonical_lines(data: bytes) -> bytes:
    """What a line-oriented writer (ours for 7bit/8bit, the email package for
    any payload) makes of the data: every line break CRLF."""
    return _ANY_NEWLINE.sub(b"\r\n", data)


# Printable ASCII, not padded: what a header value may be without encoding or folding.
header_values = st.from_regex(r"([!-~]([ -~]{0,24}[!-~])?)?", fullmatch=True)
header_names = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,12}", fullmatch=True).filter(
    lambda name: name.lower() not in _OWN
)
content_ids = st.from_regex(r"[ -~]{0,16}", fullmatch=True).filter(
    lambda cid: "<" not in cid and ">" not in cid
)
_tokens = st.from_regex(r"[a-z0-9][a-z0-9.+-]{0,10}", fullmatch=True)
media_types = st.builds(lambda a, b: f"{a}/{b}", _tokens, _tokens).filter(
    lambda t: not t.startswith(("multipart/", "message/"))
)
# Arbitrary text a Content-Type may hold, and typed ones with parameters.
_no_angles = header_values.filter(lambda v: "<" not in v and ">" not in v)
content_types = st.one_of(
    media_types,
    st.builds(lambda t, p: f"{t}; {p}", media_types, _no_angles.filter(bool)),
    _no_angles,
).filter(lambda t: _maintype(t) not in ("multipart", "message"))


def _maintype(content_type: str) -> str:
    """The main type the email package and the splitter take the value for."""
    from email.message import Message

    holder = Message()
    holder["Content-Type"] = content_type
    return holder.get_content_maintype()


@st.composite
def part_data(draw: st.DrawFn, encoding: str) -> bytes:
    if encoding == "7bit":
        data = draw(st.binary(max_size=200).map(lambda b: bytes(c & 0x7F for c in b)))
    else:
        data = draw(st.binary(max_size=200))
    if encoding in ("7bit", "8bit"):
        data = data.replace(b"\0", b"")
    return data


@st.composite
def parts(draw: st.DrawFn) -> mime.Part:
    encoding = draw(st.sampled_from(mime.TRANSFER_ENCODINGS))
    return mime.Part(
        content_type=draw(content_types),
        data=draw(part_data(encoding)),
        content_id=draw(st.none() | content_ids),
        transfer_encoding=encoding,
        headers=tuple(draw(st.lists(st.tuples(header_names, header_values), max_size=3))),
    )


@st.composite
def bodies(draw: st.DrawFn, subtype: str | None = None) -> Body:
    subtype = subtype or draw(st.sampled_from(("related", "mixed")))
    listed = draw(st.lists(parts(), min_size=1, max_size=4))
    if subtype == "mixed":
        return Body("mixed", tuple(listed))
    # The root's type is the related body's "type": a plain media type. With
    # a "start" (an id that fits in a quoted parameter) the root is the one
    # part with that id, anywhere; without, it is the first part.
    root_id = draw(st.none() | content_ids.filter(lambda c: '"' not in c and "\\" not in c))
    at = draw(st.integers(0, len(listed) - 1)) if root_id is not None else 0
    root_type = draw(media_types)
    root_ct = draw(st.sampled_from((root_type, f'{root_type}; charset="utf-8"')))
    listed[at] = replace(listed[at], content_type=root_ct, content_id=root_id)
    if root_id is not None:
        listed = [
            p if i == at or p.content_id != root_id else replace(p, content_id=None)
            for i, p in enumerate(listed)
        ]
    return Body("related", tuple(listed), root_type, root_id)


def expected(body: Body) -> Body:
    """What splitting the built body gives back: line-oriented data has CRLF lines."""
    return replace(
        body,
        parts=tuple(
            replace(p, data=canonical_lines(p.data))
            if p.transfer_encoding in ("7bit", "8bit")
            else p
            for p in body.parts
        ),
    )


def build(body: Body, *, boundary: str | None = None) -> mime.Multipart:
    if body.subtype == "mixed":
        return mime.build_mixed(body.parts, boundary=boundary, boundary_seed="seed")
    assert body.root_type is not None
    return mime.build_related(
        body.parts,
        root_type=body.root_type,
        start=body.start,
        boundary=boundary,
        boundary_seed="seed",
    )


def _unbracket(value: str) -> str:
    bare = value.strip()
    return bare[1:-1] if bare.startswith("<") and bare.endswith(">") else bare


def read(body: bytes, content_type: str) -> tuple[Body, tuple[mime.FramingNote, ...]]:
    """Split a body as a receiver would, back into a ``Body`` and the notes."""
    header = mime.parse_content_type(content_type)
    boundary = header.param("boundary")
    if not header.media_type.startswith("multipart/") or not boundary:
        raise mime.MimeError("Content-Type", "not a multipart with a boundary")
    split = mime.split(body, boundary)
    listed = tuple(
        mime.Part(
            content_type=part.content_type if part.content_type is not None else "",
            data=part.data,
            content_id=None if part.content_id is None else _unbracket(part.content_id),
            transfer_encoding=part.transfer_encoding,
            headers=tuple((k, v) for k, v in part.headers if k.lower() not in _OWN),
        )
        for part in split.parts
    )
    start = header.param("start")
    return Body(
        header.media_type.removeprefix("multipart/"),
        listed,
        header.param("type"),
        None if start is None else _unbracket(start),
    ), split.notes


# --------------------------------------------------------------------------- junk


boundaries = st.one_of(
    st.sampled_from(("b", "XYZ", "mime-boundary-1", "é", "")), st.text(max_size=12)
)
junk_content_types = st.one_of(
    st.builds(lambda b: f'multipart/mixed; boundary="{b}"', boundaries),
    st.builds(lambda b: f"multipart/related; boundary={b}; type=text/xml; start=<a>", boundaries),
    st.text(max_size=40),
)


@st.composite
def junk_bodies(draw: st.DrawFn) -> bytes:
    """Bytes made of MIME-ish pieces: delimiters, headers, blank lines, dashes."""
    pieces = st.sampled_from(
        (
            b"--b\r\n",
            b"--b--\r\n",
            b"--b\xe2\x80\x93\r\n",
            b"\xe2\x80\x93b\xe2\x80\x93\n",
            b"--XYZ\n",
            b"--XYZ--",
            b"Content-Type: text/plain\r\n",
            b"Content-ID: <a>\r\n",
            b"Content-Transfer-Encoding: base64\r\n",
            b"Content-Transfer-Encoding: quoted-printable\n",
            b"\r\n",
            b"\n",
            b"\r",
            b"QUJD\r\n",
            b"=41=\r\n",
            b"x: y",
            b" folded\r\n",
            b"-",
            b"\x00",
        )
    )
    chunks = draw(st.lists(st.one_of(pieces, st.binary(max_size=16)), max_size=24))
    return b"".join(chunks)


# --------------------------------------------------------------------------- mutators


def _lines_with(body: bytes, needle: bytes) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(needle), body)]


def add_preamble(rnd: random.Random, body: bytes) -> bytes:
    return rnd.choice((b"preamble\r\n", b"\r\n\r\n", b"x")) + body


def add_epilogue(rnd: random.Random, body: bytes) -> bytes:
    return body + rnd.choice((b"epilogue", b"\r\n", b"--\r\n"))


def drop_close_delimiter(rnd: random.Random, body: bytes) -> bytes:
    at = body.rfind(b"--\r\n")
    return body if at < 0 else body[:at] + rnd.choice((b"", b"\r\n", b"\xe2\x80\x93\r\n"))


def drop_blank_line(rnd: random.Random, body: bytes) -> bytes:
    spots = _lines_with(body, b"\r\n\r\n")
    if not spots:
        return body
    at = rnd.choice(spots)
    return body[:at] + body[at + 2 :]


def typographic_dash(rnd: random.Random, body: bytes) -> bytes:
    spots = _lines_with(body, b"--")
    if not spots:
        return body
    at = rnd.choice(spots)
    dash = rnd.choice(("\u2013", "\u2014", "\u2212")).encode("utf-8")
    return body[:at] + dash + body[at + 2 :]


MUTATORS = (add_preamble, add_epilogue, drop_close_delimiter, drop_blank_line, typographic_dash)
