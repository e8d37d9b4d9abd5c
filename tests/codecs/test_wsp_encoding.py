"""WSP encoding primitives: byte vectors written from the spec, strict errors naming
the field, lenient lapses, round trips.

The vectors are spelled out here with what each octet is; the golden multipart
under golden/wsp/ holds the same bytes as a file other tools can read.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmsconf.emulators.codecs.wsp_encoding import (
    ContentType,
    EncodedString,
    Part,
    Reader,
    WspError,
    encode_content_type,
    encode_encoded_string,
    encode_header,
    encode_integer_value,
    encode_long_integer,
    encode_multipart,
    encode_quoted_string,
    encode_short_integer,
    encode_text_string,
    encode_token_text,
    encode_uintvar,
    encode_value_length,
)

GOLDEN = Path(__file__).parent / "golden" / "wsp"


def h(text: str) -> bytes:
    """Hex with spaces and | separators, for vectors that read like the spec."""
    return bytes.fromhex(text.replace("|", " "))


# --- integers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (0, "00"),
        (127, "7F"),
        (128, "81 00"),
        (0x3FFF, "FF 7F"),
        (0x4000, "81 80 00"),
        (2**32 - 1, "8F FF FF FF 7F"),
    ],
)
def test_uintvar(value: int, wire: str) -> None:
    assert encode_uintvar(value) == h(wire)
    reader = Reader(h(wire))
    assert reader.uintvar("HeadersLen") == value
    assert reader.at_end


@pytest.mark.parametrize(
    ("wire", "why"),
    [
        ("81", "ends before its value"),
        ("81 81 81 81 81 01", "longer than 5 octets"),
        ("9F FF FF FF 7F", "exceeds 32 bits"),
    ],
)
def test_uintvar_refused_naming_the_field(wire: str, why: str) -> None:
    with pytest.raises(WspError, match=why) as err:
        Reader(h(wire)).uintvar("DataLen")
    assert err.value.field == "DataLen"


def test_uintvar_leading_zero_group_is_a_lapse() -> None:
    with pytest.raises(WspError, match="leading zero"):
        Reader(h("80 05")).uintvar("n")
    lenient = Reader(h("80 05"), strict=False)
    assert lenient.uintvar("n") == 5
    assert lenient.lapses == [("n", "uintvar with a leading zero group")]


def test_short_long_and_integer_values() -> None:
    assert encode_short_integer(0x3E) == h("BE")
    assert encode_long_integer(0) == h("01 00")
    assert encode_long_integer(0x1234) == h("02 12 34")
    assert encode_integer_value(106) == h("EA")
    assert encode_integer_value(1000) == h("02 03 E8")
    assert Reader(h("02 03 E8")).integer_value("charset") == 1000
    assert Reader(h("EA")).integer_value("charset") == 106
    with pytest.raises(WspError, match="short-integer"):
        encode_short_integer(128)
    with pytest.raises(WspError, match="expected a short-integer") as err:
        Reader(h("3E")).short_integer("X-Mms-Message-Type")
    assert err.value.field == "X-Mms-Message-Type"
    for bad in ("00", "1F 00"):
        with pytest.raises(WspError, match=r"outside 1\.\.30"):
            Reader(h(bad)).long_integer("Date")
    with pytest.raises(WspError, match="needs 4 octets, 2 left"):
        Reader(h("04 01 02")).long_integer("Date")
    with pytest.raises(WspError, match="expected an integer value"):
        Reader(h("41")).integer_value("Message-Size")


@pytest.mark.parametrize(
    ("length", "wire"), [(0, "00"), (30, "1E"), (31, "1F 1F"), (200, "1F 81 48")]
)
def test_value_length(length: int, wire: str) -> None:
    assert encode_value_length(length) == h(wire)
    assert Reader(h(wire)).value_length("From") == length


def test_value_length_refuses_a_text_octet() -> None:
    with pytest.raises(WspError, match="expected a value-length, got 0x41"):
        Reader(h("41")).value_length("From")


# --- strings ---------------------------------------------------------------------------


def test_text_string_and_its_quote() -> None:
    assert encode_text_string("abc") == h("61 62 63 00")
    assert encode_text_string("") == h("00")
    # A text whose first octet is >= 0x80 is quoted with 0x7F, so it cannot be
    # mistaken for a short-integer.
    assert encode_text_string("é") == h("7F C3 A9 00")
    assert Reader(h("7F C3 A9 00")).text_string("Subject") == "é"
    with pytest.raises(WspError, match="terminating NUL"):
        Reader(h("61 62")).text_string("X-Mms-Transaction-Id")
    with pytest.raises(WspError, match="coded value"):
        Reader(h("81 00")).text_string("Message-ID")
    with pytest.raises(WspError, match="NUL"):
        encode_text_string("a\x00b")
    with pytest.raises(WspError, match="control octet 0x1F"):
        encode_text_string("\x1fa")
    with pytest.raises(WspError, match="control octet 0x05"):
        Reader(h("05 61 00")).text_string("To")


def test_needless_quote_is_strict_error_lenient_lapse() -> None:
    with pytest.raises(WspError, match="does not need it"):
        Reader(h("7F 61 00")).text_string("To")
    lenient = Reader(h("7F 61 00"), strict=False)
    assert lenient.text_string("To") == "a"
    assert lenient.lapses[0][0] == "To"


def test_token_and_quoted_strings() -> None:
    assert encode_token_text("X-Note") == b"X-Note\x00"
    assert encode_quoted_string("<smil>") == h("22 3C 73 6D 69 6C 3E 00")
    assert Reader(h("22 3C 61 3E 00")).quoted_string("Content-ID") == "<a>"
    for bad in ("a b", "", "a/b"):
        with pytest.raises(WspError, match="not a token"):
            encode_token_text(bad)
    with pytest.raises(WspError, match="opening 0x22"):
        Reader(h("3C 61 3E 00")).quoted_string("Content-ID")


def test_encoded_string_value() -> None:
    assert encode_encoded_string("hello") == b"hello\x00"
    # value-length 6 | utf-8 (MIBenum 106 = short-integer 0xEA) | quoted text 中
    wire = h("06 | EA | 7F E4 B8 AD 00")
    assert encode_encoded_string("中") == wire
    assert Reader(wire).encoded_string("Subject") == EncodedString("中", 106)
    assert Reader(b"hi\x00").encoded_string("Subject") == EncodedString("hi")
    # ISO-8859-1 (MIBenum 4): octet 0xE9 is é
    assert Reader(h("04 84 7F E9 00")).encoded_string("Subject").text == "é"
    with pytest.raises(WspError, match="left over") as err:
        Reader(h("05 EA 61 00 62 63")).encoded_string("Subject")
    assert err.value.field == "Subject"
    with pytest.raises(WspError, match="unknown MIBenum 99"):
        Reader(h("03 E3 61 00")).encoded_string("Subject")


# --- content types and headers ---------------------------------------------------------


def test_well_known_content_types_on_the_wire() -> None:
    # WIRE-FACTS.md §4-5: 0xBE mms-message, 0xB3 multipart.related, 0xAE sic.
    assert encode_content_type(ContentType("application/vnd.wap.mms-message")) == h("BE")
    assert encode_content_type(ContentType("application/vnd.wap.multipart.related")) == h("B3")
    assert encode_content_type(ContentType("application/vnd.wap.sic")) == h("AE")
    assert encode_content_type(ContentType("application/smil")) == b"application/smil\x00"
    assert Reader(h("BE")).content_type("Content-Type").media == "application/vnd.wap.mms-message"


def test_content_type_with_parameters() -> None:
    ct = ContentType(
        "application/vnd.wap.multipart.related",
        (("type", "application/smil"), ("start", "<smil>")),
    )
    # value-length 27 | B3 | 0x89 Type: "application/smil" | 0x8A Start: "<smil>"
    wire = h("1B | B3 | 89") + b"application/smil\x00" + h("8A") + b"<smil>\x00"
    assert encode_content_type(ct) == wire
    assert Reader(wire).content_type("Content-Type") == ct
    plain = ContentType("text/plain", (("charset", "utf-8"),))
    assert encode_content_type(plain) == h("03 83 81 EA")
    assert Reader(h("03 83 81 EA")).content_type("Content-Type") == plain
    # Untyped parameters are a token and a text; the WSP 1.4 text-value Name (0x97) reads.
    odd = Reader(h("0B 83") + b"x-a\x00b\x00" + h("97") + b"nm\x00").content_type("CT")
    assert odd == ContentType("text/plain", (("x-a", "b"), ("name", "nm")))


def test_content_type_errors_name_the_field() -> None:
    with pytest.raises(WspError, match="unassigned parameter code 0x04") as err:
        Reader(h("03 83 84 80")).content_type("Content-Type")
    assert err.value.field == "Content-Type parameter"
    with pytest.raises(WspError, match="declares 9 octets"):
        Reader(h("09 83")).content_type("Content-Type")
    with pytest.raises(WspError, match="unassigned well-known media"):
        Reader(h("FF")).content_type("Content-Type")
    with pytest.raises(WspError, match="not a charset"):
        encode_content_type(ContentType("text/plain", (("charset", "klingon"),)))


def test_headers() -> None:
    assert encode_header("Content-ID", "<a>") == h("C0 22 3C 61 3E 00")
    assert encode_header("Content-Location", "a.txt") == h("8E") + b"a.txt\x00"
    # X-Wap-Application-Id: mms.ua (WIRE-FACTS.md §5: AF 84)
    assert encode_header("X-Wap-Application-Id", 4) == h("AF 84")
    assert encode_header("X-Note", "v") == b"X-Note\x00v\x00"
    assert encode_header("Content-Disposition", h("03 81 86 00")) == h("AE 03 81 86 00")
    wire = h("AF 84 | C0 22 3C 61 3E 00 | AE 03 81 86 00") + b"X-Note\x00v\x00"
    assert Reader(wire).headers("header") == (
        ("X-Wap-Application-Id", 4),
        ("Content-ID", "<a>"),
        ("Content-Disposition", h("03 81 86 00")),
        ("X-Note", "v"),
    )
    assert Reader(h("AF") + b"x-wap-application:mms.ua\x00").header("h") == (
        "X-Wap-Application-Id",
        "x-wap-application:mms.ua",
    )
    with pytest.raises(WspError, match="header field name, got 0x05"):
        Reader(h("05 61")).header("part 1 header")
    with pytest.raises(WspError, match="must be text"):
        encode_header("X-Note", 5)


# --- multipart -------------------------------------------------------------------------

SMIL = Part(
    ContentType("application/smil"),
    b"<smil/>",
    (("Content-ID", "<smil>"), ("Content-Location", "smil.xml")),
)
TEXT = Part(
    ContentType("text/plain", (("charset", "utf-8"),)), "héllo".encode(), (("Content-ID", "<t1>"),)
)

MULTIPART = h(
    "02"  # nEntries
    "| 24 07"  # part 1: HeadersLen 36, DataLen 7
    "| 61 70 70 6C 69 63 61 74 69 6F 6E 2F 73 6D 69 6C 00"  # "application/smil"
    "| C0 22 3C 73 6D 69 6C 3E 00"  # Content-ID: "<smil>"
    "| 8E 73 6D 69 6C 2E 78 6D 6C 00"  # Content-Location: smil.xml
    "| 3C 73 6D 69 6C 2F 3E"  # <smil/>
    "| 0B 06"  # part 2: HeadersLen 11, DataLen 6
    "| 03 83 81 EA"  # text/plain; charset=utf-8
    "| C0 22 3C 74 31 3E 00"  # Content-ID: "<t1>"
    "| 68 C3 A9 6C 6C 6F"  # héllo
)


def test_golden_multipart() -> None:
    assert encode_multipart([SMIL, TEXT]) == MULTIPART
    assert (GOLDEN / "multipart_two_parts.bin").read_bytes() == MULTIPART
    assert Reader(MULTIPART).multipart("body") == (SMIL, TEXT)


def test_multipart_errors() -> None:
    with pytest.raises(WspError, match="needs 7 octets") as err:
        Reader(MULTIPART[:40]).multipart("body")
    assert err.value.field == "body part 1 data"
    with pytest.raises(WspError, match="after the last part"):
        Reader(MULTIPART + b"x").multipart("body")
    lenient = Reader(MULTIPART + b"x", strict=False)
    assert len(lenient.multipart("body")) == 2 and lenient.lapses
    with pytest.raises(WspError, match="more than 1000"):
        Reader(encode_uintvar(5000)).multipart("body")
    # HeadersLen shorter than the content type it must hold
    with pytest.raises(WspError, match="body part 1 Content-Type"):
        Reader(h("01 02 00 1B B3 89")).multipart("body")


# --- round trips -----------------------------------------------------------------------


@given(st.integers(0, 2**32 - 1))
def test_uintvar_round_trip(value: int) -> None:
    assert Reader(encode_uintvar(value)).uintvar("n") == value


@given(st.integers(0, 2**64))
def test_integer_value_round_trip(value: int) -> None:
    assert Reader(encode_integer_value(value)).integer_value("n") == value


_text = st.text(
    st.characters(min_codepoint=0x20, blacklist_categories=("Cs",)), max_size=40
).filter(lambda t: not t.startswith("\x7f"))


@given(_text)
def test_text_and_encoded_string_round_trip(text: str) -> None:
    assert Reader(encode_text_string(text)).text_string("t") == text
    assert Reader(encode_encoded_string(text)).encoded_string("t").text == text


@given(st.lists(st.tuples(_text, st.binary(max_size=64)), max_size=5))
def test_multipart_round_trip(items: list[tuple[str, bytes]]) -> None:
    parts = tuple(
        Part(
            ContentType("text/plain", (("charset", "utf-8"),)), data, (("Content-Location", name),)
        )
        for name, data in items
    )
    assert Reader(encode_multipart(parts)).multipart("body") == parts
