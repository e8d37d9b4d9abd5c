"""MIME multipart properties, with the standard ``email`` package as the oracle.

* the writer's bytes equal what the email package generates for the same
  parts, multipart/related and multipart/mixed alike;
* the splitter reads back every part of bodies the email package generates
  (arbitrary part bytes and headers, its own transfer encoders), with no notes;
* framing faults added to a good body are noted, and read past.

Round trip, junk and mutation properties run from the generic harness
(``test_codec_properties.py``, target "mime").
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import replace
from email import encoders, policy
from email.generator import BytesGenerator
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from types import ModuleType
from typing import Any

from hypothesis import given, note
from hypothesis import strategies as st

from mmsconf.emulators.codecs import mime

CRLF = policy.compat32.clone(linesep="\r\n", max_line_length=0)


def _flatten(container: Message) -> tuple[bytes, bytes]:
    """The email package's bytes for a message: (headers, body)."""
    out = io.BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=CRLF).flatten(container)
    head, _, body = out.getvalue().partition(b"\r\n\r\n")
    return head, body


def _wrapped_base64(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return b"\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


def _oracle_payload(part: mime.Part) -> bytes:
    """The part's payload as the oracle is given it. The email package writes a
    payload as given, apart from line breaks, which it makes CRLF."""
    if part.transfer_encoding == "base64":
        return _wrapped_base64(part.data)
    if part.transfer_encoding == "quoted-printable":
        # The same encoder as the writer's: what is checked is the framing.
        import binascii

        return binascii.b2a_qp(part.data, quotetabs=False, istext=False, header=False)
    return part.data  # 7bit and 8bit: line breaks are the generator's to make CRLF


def _email_package_body(body: Any, boundary: str) -> bytes:
    subparts = []
    for part in body.parts:
        message = Message()
        message["Content-Type"] = part.content_type
        if part.content_id is not None:
            message["Content-ID"] = f"<{part.content_id}>"
        message["Content-Transfer-Encoding"] = part.transfer_encoding
        for name, value in part.headers:
            message[name] = value
        message.set_payload(_oracle_payload(part).decode("ascii", "surrogateescape"))
        subparts.append(message)
    container = MIMEMultipart(body.subtype, boundary=boundary, _subparts=subparts, policy=CRLF)
    return _flatten(container)[1]


def _params(content_type: str) -> dict[str, str]:
    holder = Message()
    holder["Content-Type"] = content_type
    return {name: value for name, value in holder.get_params()[1:]}


@given(data=st.data())
def test_writer_matches_the_email_package(mimes: ModuleType, data: st.DataObject) -> None:
    body = data.draw(mimes.bodies(), label="body")
    # The email package rewrites every line break of a payload; binary data
    # is written as given, so it is drawn with CRLF line breaks only.
    body = replace(
        body,
        parts=tuple(
            replace(p, data=mimes.canonical_lines(p.data)) if p.transfer_encoding == "binary" else p
            for p in body.parts
        ),
    )
    built = mimes.build(body)
    note(f"content type: {built.content_type!r}")
    assert built.body == _email_package_body(body, built.boundary)
    params = _params(built.content_type)
    assert params["boundary"] == built.boundary
    if body.subtype == "related":
        assert built.content_type.startswith("multipart/related; ")
        assert params["type"] == body.root_type
        assert params.get("start") == (None if body.start is None else f"<{body.start}>")
    else:
        assert built.content_type == f'multipart/mixed; boundary="{built.boundary}"'


@st.composite
def _email_parts(draw: st.DrawFn, mimes: ModuleType) -> tuple[Message, bytes]:
    """A part as the email package makes it, and the data a reader must get back."""
    maintype, subtype = draw(mimes.media_types).split("/")
    part = MIMEBase(maintype, subtype, policy=CRLF)
    for name, value in draw(
        st.lists(st.tuples(mimes.header_names, mimes.header_values), max_size=3)
    ):
        part[name] = value
    if draw(st.booleans()):
        part["Content-ID"] = f"<{draw(mimes.content_ids)}>"
    payload = draw(st.binary(max_size=300))
    how = draw(st.sampled_from(("base64", "quoted-printable", "8bit", "binary", None)))
    if how in ("base64", "quoted-printable"):
        part.set_payload(payload)
        (encoders.encode_base64 if how == "base64" else encoders.encode_quopri)(part)
        return part, payload if how == "base64" else mimes.canonical_lines(payload)
    part.set_payload(payload.decode("ascii", "surrogateescape"))
    if how is not None:
        part["Content-Transfer-Encoding"] = how
    return part, mimes.canonical_lines(payload)


@given(data=st.data())
def test_splitter_reads_back_what_the_email_package_writes(
    mimes: ModuleType, data: st.DataObject
) -> None:
    made = data.draw(st.lists(_email_parts(mimes), min_size=1, max_size=4), label="parts")
    subtype = data.draw(st.sampled_from(("related", "mixed")))
    # The email package chooses the boundary, free of the content.
    container = MIMEMultipart(subtype, _subparts=[m for m, _ in made], policy=CRLF)
    _, body = _flatten(container)
    boundary = container.get_boundary()
    assert boundary is not None
    split = mime.split(body, boundary)
    assert split.notes == ()
    assert len(split.parts) == len(made)
    for got, (message, want) in zip(split.parts, made, strict=True):
        assert got.headers == tuple((name, str(value)) for name, value in message.items())
        assert got.content_id == message.get("Content-ID")
        assert got.media_type == message.get_content_type()
        assert got.data == want


_FAULTS = {
    "preamble": lambda body: b"This is a preamble.\r\n" + body,
    "epilogue": lambda body: body + b"This is an epilogue.\r\n",
    "no-close-delimiter": lambda body: body[: body.rstrip(b"\r\n").rfind(b"\r\n")],
}


@given(data=st.data())
def test_framing_faults_are_noted_and_read_past(mimes: ModuleType, data: st.DataObject) -> None:
    built = mimes.build(data.draw(mimes.bodies(), label="body"))
    clean = mime.split(built.body, built.boundary)
    assert clean.notes == ()
    code = data.draw(st.sampled_from(sorted(_FAULTS)), label="fault")
    damaged = mime.split(_FAULTS[code](built.body), built.boundary)
    assert [n.code for n in damaged.notes] == [code]
    assert damaged.parts == clean.parts
    assert [p.data for p in damaged.parts] == [p.data for p in clean.parts]


def test_the_fault_table_names_every_note() -> None:
    assert set(_FAULTS) <= set(mime.FRAMING_NOTES)
    assert all(re.fullmatch(r"[a-z0-9-]+", code) for code in mime.FRAMING_NOTES)


# --- the fast paths agree with the email package ---------------------------------------
#
# The splitter reads plain part headers, and parse_content_type plain parameters,
# without the email package (it was a third of decoding an MM7 message). On any input
# both must answer as the email package does; on anything not plain they hand over to it.

_PARAM_CHARS = st.sampled_from(list("abcXYZ019-_./:=<>\" ;\t()*\\'é"))
_NAMES = st.sampled_from(["boundary", "start", "type", "charset", "Boundary", "START", "x"])


@st.composite
def _content_type_values(draw: st.DrawFn) -> str:
    media = draw(st.sampled_from(["multipart/related", "text/xml", "Multipart/Mixed", "x", ""]))
    pieces = [media]
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            name = draw(_NAMES)
            raw = draw(st.text(_PARAM_CHARS, max_size=12))
            quote = draw(st.sampled_from(['"', "", "<"]))
            close = {'"': '"', "": "", "<": ">"}[quote]
            pad = draw(st.sampled_from(["", " ", "\t"]))
            pieces.append(f"{pad}{name}{pad}={pad}{quote}{raw}{close}{pad}")
        else:
            pieces.append(draw(st.text(_PARAM_CHARS, max_size=10)))
    return ";".join(pieces)


@given(value=_content_type_values())
def test_content_type_parameters_match_the_email_package(value: str) -> None:
    note(repr(value))
    ctype = mime.parse_content_type(value)
    holder = Message()
    holder["Content-Type"] = value
    for name in ("boundary", "start", "type", "charset", "x"):
        try:
            expected: Any = holder.get_param(name)
            if expected is not None and not isinstance(expected, str):
                from email.utils import collapse_rfc2231_value

                expected = collapse_rfc2231_value(expected)
        except (TypeError, ValueError, IndexError):
            expected = mime.MimeError
        try:
            got: Any = ctype.param(name)
        except mime.MimeError:
            got = mime.MimeError
        assert got == expected, (name, value)


_HEADER_BYTES = st.sampled_from(
    [
        b"a",
        b"Z",
        b"-",
        b":",
        b" ",
        b"\t",
        b"\r",
        b"\n",
        b"\r\n",
        b"<",
        b">",
        b";",
        b'"',
        b"\xe9",
        b"0",
    ]
)


@st.composite
def _header_blocks(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            name = draw(st.sampled_from([b"Content-Type", b"Content-ID", b"content-id", b"X-A"]))
            gap = draw(st.sampled_from([b"", b" ", b"  ", b"\t"]))
            value = b"".join(draw(st.lists(_HEADER_BYTES, max_size=8)))
            lines.append(name + b":" + gap + value)
        else:
            lines.append(b"".join(draw(st.lists(_HEADER_BYTES, max_size=10))))
    return b"".join(line + draw(st.sampled_from([b"\r\n", b"\n"])) for line in lines)


@given(head=_header_blocks(), body=st.binary(max_size=20))
def test_part_headers_match_the_email_package(head: bytes, body: bytes) -> None:
    data = head + b"\r\n" + body
    note(repr(data))
    part, _ = mime._split_part(data)
    # The oracle: the email package on the same header block, as the splitter cuts it.
    oracle = mime._HEADER_PARSER.parsebytes(data[: len(data) - len(part.raw) - 2])
    fields = [(name, str(value)) for name, value in oracle.items()]
    if part.raw != body:  # the block did not end where we put the blank line
        return
    assert part.headers == tuple((name, mime._unfold(value)) for name, value in fields)
    assert part.media_type == oracle.get_content_type()
    first = {name.lower(): value for name, value in reversed(fields)}
    assert part.content_id == first.get("content-id")
    ct = first.get("content-type")
    assert part.content_type == (None if ct is None else mime._unfold(ct))
