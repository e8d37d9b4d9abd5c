"""codecs/mime.py: building and splitting multipart bodies, and each framing note."""

from __future__ import annotations

import re

import pytest

from mmsconf.emulators.codecs import mime
from mmsconf.emulators.codecs.mime import (
    FRAMING_NOTES,
    MimeError,
    Part,
    build_mixed,
    build_related,
    parse_content_type,
    split,
)

XML = Part('text/xml; charset="utf-8"', b"<a/>\r\n", "root", "binary")
GIF = Part("image/gif", b"GIF89a\x01\x00\r\n\n\r\x00;", "img")
TEXT = Part("text/plain", "hello\nwörld".encode(), None, "8bit", (("Content-Location", "t.txt"),))


def body(*parts: bytes, close: bytes = b"--b--\r\n") -> bytes:
    """A multipart body with boundary "b" from each part's bytes (headers and all)."""
    return b"".join(b"--b\r\n" + part + b"\r\n" for part in parts) + close


def codes(notes: tuple[mime.FramingNote, ...]) -> list[str]:
    return [note.code for note in notes]


# --------------------------------------------------------------------------- build


def test_related_content_type_and_body() -> None:
    built = build_related([XML, GIF], root_type="text/xml", start="root", boundary="bb")
    assert built.content_type == 'multipart/related; type="text/xml"; boundary="bb"; start="<root>"'
    assert built.boundary == "bb"
    assert built.body == (
        b"--bb\r\n"
        b'Content-Type: text/xml; charset="utf-8"\r\nContent-ID: <root>\r\n'
        b"Content-Transfer-Encoding: binary\r\n\r\n<a/>\r\n"
        b"\r\n--bb\r\n"
        b"Content-Type: image/gif\r\nContent-ID: <img>\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nR0lGODlhAQANCgoNADs=\r\n"
        b"--bb--\r\n"
    )


def test_mixed_content_type_and_line_oriented_parts() -> None:
    built = build_mixed([TEXT, Part("text/plain", b"a\rb\n", None, "7bit")], boundary="bb")
    assert built.content_type == 'multipart/mixed; boundary="bb"'
    assert (
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n"
        b"Content-Location: t.txt\r\n\r\nhello\r\nw\xc3\xb6rld\r\n--bb\r\n"
    ) in built.body
    assert b"\r\n\r\na\r\nb\r\n\r\n--bb--\r\n" in built.body


def test_related_without_start_takes_the_first_part_as_root() -> None:
    built = build_related([XML, GIF], root_type="text/xml", boundary="bb")
    assert built.content_type == 'multipart/related; type="text/xml"; boundary="bb"'


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"root_type": "image/gif"}, "Content-Type@type"),
        ({"root_type": "image/gif", "start": "img"}, None),
        ({"root_type": "text/xml", "start": "nope"}, "Content-Type@start"),
        ({"root_type": ""}, "Content-Type@type"),
        ({"root_type": 'text/"xml'}, "Content-Type@type"),
    ],
)
def test_related_root_rules(kwargs: dict[str, str], field: str | None) -> None:
    if field is None:
        build_related([XML, GIF], **kwargs)
        return
    with pytest.raises(MimeError) as err:
        build_related([XML, GIF], **kwargs)
    assert err.value.field == field


def test_no_parts_refused() -> None:
    with pytest.raises(MimeError):
        build_mixed([])
    with pytest.raises(MimeError):
        build_related([], root_type="text/xml")


def test_derived_boundary_is_stable_and_free_of_the_content() -> None:
    one = build_mixed([XML], boundary_seed="T1")
    assert one == build_mixed([XML], boundary_seed="T1")
    assert one.boundary != build_mixed([XML], boundary_seed="T2").boundary
    assert one.boundary.startswith("mime-boundary-")
    clash = Part("application/octet-stream", one.boundary.encode(), None, "binary")
    other = build_mixed([clash], boundary_seed="T1")
    assert other.boundary != one.boundary and other.boundary.encode() not in clash.data
    # base64 cannot hold "--", so its text never clashes.
    assert build_mixed([Part("x/y", b"", None, "base64")], boundary_seed="T1").boundary == (
        one.boundary
    )
    assert build_mixed([XML], boundary_seed="T1", boundary_prefix="p-").boundary.startswith("p-")
    with pytest.raises(MimeError) as err:
        build_mixed([XML], boundary_prefix="bad prefix with spaces and far too long " * 2)
    assert err.value.field == "Content-Type@boundary"


@pytest.mark.parametrize("boundary", ["", "x" * 71, "ends with space ", "new\r\nline", "é", "<a/>"])
def test_unusable_boundaries_refused(boundary: str) -> None:
    with pytest.raises(MimeError) as err:
        build_mixed([XML], boundary=boundary)
    assert err.value.field == "Content-Type@boundary"


@pytest.mark.parametrize(
    ("part", "field"),
    [
        (Part("text/plain", b"", "a>b"), "Content-ID"),
        (Part("text/plain", b"", "caf\u00e9"), "Content-ID"),
        (Part(" text/plain", b""), "Content-Type"),
        (Part("text/plain\r\nX-Evil: 1", b""), "Content-Type"),
        (Part("text/<plain>", b""), "Content-Type"),
        (Part("text/plain", b"", transfer_encoding="uuencode"), "Content-Transfer-Encoding"),
        (Part("text/plain", "é".encode(), transfer_encoding="7bit"), "Content-Transfer-Encoding"),
        (Part("text/plain", b"a\0b", transfer_encoding="8bit"), "Content-Transfer-Encoding"),
        (Part("text/plain", b"x" * 999, transfer_encoding="8bit"), "Content-Transfer-Encoding"),
        (Part("text/plain", b"", headers=(("Content-Type", "x"),)), "Content-Type"),
        (Part("text/plain", b"", headers=(("--b", "x"),)), "--b"),
        (Part("text/plain", b"", headers=(("X-A", "two\r\nlines"),)), "X-A"),
    ],
)
def test_unwritable_parts_refused(part: Part, field: str) -> None:
    with pytest.raises(MimeError) as err:
        build_mixed([part])
    assert err.value.field == field


@pytest.mark.parametrize("encoding", mime.TRANSFER_ENCODINGS)
def test_every_transfer_encoding_reads_back(encoding: str) -> None:
    data = b"line one  \nline two\t\r\n.\r\nFrom here\n" + bytes(range(1, 128))
    if encoding != "7bit":
        data += bytes(range(128, 256))
    built = build_mixed([Part("text/plain", data, "p", encoding)], boundary="bb")
    [part] = split(built.body, "bb").parts
    assert part.transfer_encoding == encoding
    lines = re.sub(rb"\r\n|\r|\n", b"\r\n", data)  # every line break CRLF
    assert part.data == (lines if encoding in ("7bit", "8bit") else data)


# --------------------------------------------------------------------------- split


def test_split_reads_headers_ids_types_and_data() -> None:
    raw = body(
        b"Content-Type: text/xml;\r\n charset=utf-8\r\nContent-ID: <e>\r\n\r\n<a/>",
        b"content-id: c1\r\nContent-Transfer-Encoding: BASE64\r\nX-A: 1\r\n\r\nR0lG\r\nODlh",
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\na=3Db=\r\nc",
    )
    result = split(raw, "b")
    assert result.notes == ()
    xml, gif, qp = result.parts
    assert xml.headers == (("Content-Type", "text/xml; charset=utf-8"), ("Content-ID", "<e>"))
    assert (xml.content_id, xml.content_type, xml.media_type) == (
        "<e>",
        "text/xml; charset=utf-8",
        "text/xml",
    )
    assert xml.raw == xml.data == b"<a/>"
    assert gif.content_id == "c1" and gif.header("CONTENT-ID") == "c1"
    assert (gif.content_type, gif.media_type, gif.transfer_encoding) == (
        None,
        "text/plain",
        "base64",
    )
    assert gif.header("x-a") == "1" and gif.header("X-B") is None
    assert gif.data == b"GIF89a"
    assert qp.data == b"a=bc"


def test_bad_base64_is_refused_only_when_the_data_is_read() -> None:
    [part] = split(body(b"Content-Transfer-Encoding: base64\r\n\r\n!!not*base64"), "b").parts
    assert part.raw == b"!!not*base64"
    with pytest.raises(MimeError) as err:
        _ = part.data
    assert (err.value.field, err.value.reason) == ("Content-Transfer-Encoding", "invalid base64")


def test_nested_multipart_is_kept_as_sent() -> None:
    inner = b"--i\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD\r\n--i--"
    [part] = split(
        body(
            b"Content-Type: multipart/mixed; boundary=i\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + inner
        ),
        "b",
    ).parts
    assert part.data == inner


def test_delimiters_only_at_line_starts_with_nothing_but_padding_after() -> None:
    raw = body(b"\r\nx --b y\r\n--bb\r\n--b z", close=b"--b-- \t\r\n")
    [part] = split(raw, "b").parts
    assert part.data == b"x --b y\r\n--bb\r\n--b z"


def test_a_boundary_that_is_not_ascii_matches_nothing() -> None:
    assert split("--é\r\n\r\nx\r\n--é--\r\n".encode(), "é") == mime.Split(())


def test_empty_and_header_only_parts_are_fine() -> None:
    raw = b"--b\r\n--b\r\nContent-Type: text/plain\r\n\r\n--b--\r\n"
    result = split(raw, "b")
    assert result.notes == ()
    assert [(p.headers, p.raw) for p in result.parts] == [
        ((), b""),
        ((("Content-Type", "text/plain"),), b""),
    ]


# --------------------------------------------------------------------------- framing notes


def test_every_note_code_is_documented() -> None:
    assert set(FRAMING_NOTES) == {
        "preamble",
        "epilogue",
        "no-blank-line-after-headers",
        "no-close-delimiter",
        "close-delimiter-non-ascii-dash",
    }


def test_preamble_is_noted() -> None:
    raw = b"This is a preamble.\r\n" + body(b"\r\nhello")
    result = split(raw, "b")
    assert [p.data for p in result.parts] == [b"hello"]
    assert codes(result.notes) == ["preamble"]
    assert result.notes[0].offset == 0 and "19 bytes" in result.notes[0].detail


@pytest.mark.parametrize("lead", [b"\r\n", b"\n"])
def test_a_line_break_before_the_first_delimiter_is_no_preamble(lead: bytes) -> None:
    assert split(lead + body(b"\r\nhello"), "b").notes == ()


def test_epilogue_is_noted() -> None:
    raw = body(b"\r\nhello") + b"trailing words"
    result = split(raw, "b")
    assert [p.data for p in result.parts] == [b"hello"]
    assert codes(result.notes) == ["epilogue"]
    assert result.notes[0].offset == len(raw) - len(b"trailing words")


@pytest.mark.parametrize("close", [b"--b--\r\n", b"--b--", b"--b--\n", b"--b--  \r\n"])
def test_a_close_delimiter_line_is_no_epilogue(close: bytes) -> None:
    assert split(body(b"\r\nhello", close=close), "b").notes == ()


@pytest.mark.parametrize(
    "part",
    [
        b"Content-Type: text/plain\r\nhello",  # a line that is no header starts the body
        b"Content-Type: text/plain",  # the part ends inside its last header line
    ],
)
def test_no_blank_line_after_headers_is_noted(part: bytes) -> None:
    raw = body(b"\r\nfirst", part)
    result = split(raw, "b")
    assert codes(result.notes) == ["no-blank-line-after-headers"]
    assert result.notes[0].offset == raw.index(b"Content-Type")
    assert "part 2" in result.notes[0].detail
    second = result.parts[1]
    assert second.content_type == "text/plain"
    assert second.raw == part.removeprefix(b"Content-Type: text/plain").removeprefix(b"\r\n")


def test_no_close_delimiter_is_noted() -> None:
    raw = b"--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n"
    result = split(raw, "b")
    assert [p.data for p in result.parts] == [b"one", b"two\r\n"]
    assert codes(result.notes) == ["no-close-delimiter"]
    assert result.notes[0].offset == len(raw)


@pytest.mark.parametrize(
    "close",
    [
        "--b\u2013",  # en dash for the closing "--"
        "--b\u2014",  # em dash
        "\u2013b\u2013",  # both pairs turned into en dashes
        "\u2014b--",
        "--b\u2010\u2010",
        "--b\u2212  ",
    ],
)
def test_close_delimiter_with_a_typographic_dash_is_noted(close: str) -> None:
    line = close.encode("utf-8") + b"\r\n"
    raw = b"--b\r\n\r\nhello\r\n" + line
    result = split(raw, "b")
    # Read as today: the line is content of the last part, which runs to the end.
    assert [p.raw for p in result.parts] == [b"hello\r\n" + line]
    assert codes(result.notes) == ["close-delimiter-non-ascii-dash", "no-close-delimiter"]
    assert result.notes[0].offset == raw.index(line)


def test_windows_1252_dashes_are_typographic_too() -> None:
    raw = b"--b\r\n\r\nhello\r\n--b\x96\r\n--b--\r\n"
    result = split(raw, "b")
    assert codes(result.notes) == ["close-delimiter-non-ascii-dash"]
    assert [p.raw for p in result.parts] == [b"hello\r\n--b\x96"]


@pytest.mark.parametrize(
    "line",
    [
        b"--b--\r\n",
        b"x--b\xe2\x80\x93\r\n",
        b"--b\xe2\x80\x93x\r\n",
        b"--bc\xe2\x80\x93\r\n",
        b"\xe2\x80\x93b\r\n",
    ],
)
def test_lines_that_are_no_dash_lookalike(line: bytes) -> None:
    raw = b"--b\r\n\r\nhello\r\n" + line + b"--b--\r\n"
    assert "close-delimiter-non-ascii-dash" not in codes(split(raw, "b").notes)


def test_after_the_close_delimiter_a_dash_lookalike_is_only_epilogue() -> None:
    raw = body(b"\r\nhello") + "--b\u2013\r\n".encode()
    assert codes(split(raw, "b").notes) == ["epilogue"]


def test_notes_come_in_body_order() -> None:
    raw = b"pre\r\n--b\r\nX: 1\r\nbody\r\n--b\xe2\x80\x93\r\n"
    assert codes(split(raw, "b").notes) == [
        "preamble",
        "no-blank-line-after-headers",
        "close-delimiter-non-ascii-dash",
        "no-close-delimiter",
    ]


# --------------------------------------------------------------------------- Content-Type


def test_parse_content_type() -> None:
    header = parse_content_type('Multipart/Related ; boundary="a b"; start*0="<x"; start*1=">"')
    assert header.media_type == "multipart/related"
    assert header.param("boundary") == "a b"
    assert header.param("start") == "<x>"
    assert header.param("type") is None


def test_parse_content_type_refusals() -> None:
    for value in ("text/xml\r\nX-Evil: 1", "text/xml\0"):
        with pytest.raises(MimeError) as err:
            parse_content_type(value)
        assert err.value.field == "Content-Type"
    header = parse_content_type("multipart/related; boundary*=; boundary*0=")
    with pytest.raises(MimeError) as err:
        header.param("boundary")
    assert (err.value.field, err.value.reason) == ("Content-Type", "malformed boundary parameter")
