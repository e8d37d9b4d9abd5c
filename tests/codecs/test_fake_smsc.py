"""Kannel's fake SMSC line format (codecs/fake_smsc.py) against the line bearerbox 1.4.5 wrote
for an SI pushed to a PLMN address (KANNEL-NOTES §3), Kannel's URL encoding octet by octet,
every strict error by the field it names, every lenient deviation, and the line framer."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmsconf.emulators.codecs import fake_smsc as fs
from mmsconf.emulators.codecs import sms_udh, wsp_push
from mmsconf.emulators.codecs.fake_smsc import FakeSms, FakeSmscError, Kind, Mode

GOLDEN = Path(__file__).parent / "golden" / "fake_smsc"
KANNEL_LINE = (GOLDEN / "kannel_si_push.line").read_bytes()
PORT_UDH = bytes.fromhex("0605040b8423f0")


# --------------------------------------------------------------------------- the captured line


def test_kannel_line_decodes_to_a_wsp_push_to_port_2948() -> None:
    sms, deviations = fs.decode_line(KANNEL_LINE)
    assert deviations == ()
    assert (sms.sender, sms.receiver, sms.kind) == ("8888", "+8613800000001", Kind.UDH)
    assert sms.udh == PORT_UDH
    assert sms_udh.decode(sms.udh).ports == (2948, 9200)
    assert sms.data[:2] == b"\x01\x06"
    pdu = wsp_push.decode(sms.data)
    assert (pdu.tid, pdu.content_type) == (1, "application/vnd.wap.sic")
    assert pdu.application_id == "x-wap-application:push.sia"
    assert ("X-Wap-Initiator-URI", "http://127.0.0.1/pi") in pdu.headers
    assert pdu.data.endswith(b"\x03Hello\x00\x01\x01")


def test_kannel_line_is_what_the_encoder_writes() -> None:
    sms, _ = fs.decode_line(KANNEL_LINE)
    assert fs.encode_line(sms) == KANNEL_LINE
    assert fs.decode_line(KANNEL_LINE, Mode.LENIENT) == (sms, ())


# --------------------------------------------------------------------------- URL encoding

SAFE = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()"


def _kannel_escape(octet: int) -> bytes:
    """octstr_url_encode's rule, restated: space is +, the RFC 2396 unreserved set stays,
    everything else is %XX with upper-case hex digits."""
    if octet == 0x20:
        return b"+"
    if octet in SAFE:
        return bytes([octet])
    return b"%" + f"{octet:02X}".encode()


@pytest.mark.parametrize("octet", range(256))
def test_url_encode_every_octet_as_kannel(octet: int) -> None:
    assert fs.url_encode(bytes([octet])) == _kannel_escape(octet)
    assert fs.url_decode(fs.url_encode(bytes([octet])), "data") == bytes([octet])


def test_url_encode_examples() -> None:
    assert fs.url_encode(b"a b") == b"a+b"
    assert fs.url_encode(b"+") == b"%2B"
    assert fs.url_encode(b"%") == b"%25"
    assert fs.url_encode(b"http://x/?a=1&b") == b"http%3A%2F%2Fx%2F%3Fa%3D1%26b"
    assert fs.url_encode(b"-_.!~*'()") == b"-_.!~*'()"
    assert fs.url_encode(b"\x0b\xf0") == b"%0B%F0"  # upper-case hex
    assert fs.url_encode(b"") == b""
    everything = bytes(range(256))
    assert fs.url_decode(fs.url_encode(everything), "data") == everything


def test_url_decode_plus_is_space_not_plus() -> None:
    """The pitfall of KANNEL-NOTES §3: a plain unquote would give b'a+b'."""
    assert fs.url_decode(b"a+b", "data") == b"a b"
    assert fs.url_decode(b"a%2Bb", "data") == b"a+b"


# --------------------------------------------------------------------------- kinds, round trips

ROUND_TRIPS = [
    FakeSms("8888", "+8613800000001", Kind.UDH, b"\x01\x06 data +%", PORT_UDH),
    FakeSms("1234", "5550001", Kind.DATA, bytes(range(256))),
    FakeSms("1234", "5550001", Kind.DATA, b""),
    FakeSms("1234", "5550001", Kind.UCS2, "h\u00e9llo".encode("utf-16-be")),
    FakeSms("1234", "5550001", Kind.TEXT, b"hello world, 100% + more"),
    FakeSms("1234", "5550001", Kind.TEXT, b""),
    FakeSms("1234", "5550001", Kind.ROUTE, b"text for a box", route="smsbox-1"),
    FakeSms("1234", "5550001", Kind.DLR_MASK, b"report me", dlr_mask=31),
    FakeSms("1234", "5550001", Kind.DLR_MASK, b"", dlr_mask=0),
    FakeSms("SHORT*1#", "+1", Kind.DATA, b"x"),
]


@pytest.mark.parametrize("sms", ROUND_TRIPS, ids=lambda s: f"{s.kind.value}-{len(s.data)}")
def test_round_trip(sms: FakeSms) -> None:
    line = fs.encode_line(sms)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    for mode in Mode:
        assert fs.decode_line(line, mode) == (sms, ())
    assert fs.decode_line(line[:-1]) == (sms, ())  # without its LF


def test_kinds_as_kannel_writes_them() -> None:
    text, _ = fs.decode_line(b"1234 5550001 text hello  there\n")
    assert (text.kind, text.data) == (Kind.TEXT, b"hello  there")  # raw: spaces kept
    ucs2, _ = fs.decode_line(b"1234 5550001 ucs-2 %00h%00i\n")
    assert (ucs2.kind, ucs2.data) == (Kind.UCS2, b"\x00h\x00i")
    route, _ = fs.decode_line(b"1234 5550001 route box1 some text\n")
    assert (route.route, route.data) == ("box1", b"some text")
    dlr, _ = fs.decode_line(b"1234 5550001 dlr-mask 7 x y\n")
    assert (dlr.dlr_mask, dlr.data) == (7, b"x y")


# --------------------------------------------------------------------------- strict errors

STRICT_ERRORS = [
    (b"", "sender"),
    (b"\n", "sender"),
    (b" +8613800000001 data x", "sender"),
    (b"no/number +861 data x", "sender"),
    (b"8888", "receiver"),
    (b"8888 ", "receiver"),
    (b"8888 +86\xff1 data x", "receiver"),
    (b"8888 +861", "kind"),
    (b"8888 +861 fax x", "kind"),
    (b"8888 +861 DATA x", "kind"),
    (b"8888 +861 \xff x", "kind"),
    (b"8888 +861 data", "data"),
    (b"8888 +861 data %zz", "data"),
    (b"8888 +861 data abc%4", "data"),  # a % at the end
    (b"8888 +861 data abc%", "data"),
    (b"8888 +861 udh  data %01", "udh"),
    (b"8888 +861 udh %0G data %01", "udh"),
    (b"8888 +861 udh %06%05%04%0B%84%23%F", "udh"),
    (b"8888 +861 udh %06%05%04%0B%84%23%F0", "data"),
    (b"8888 +861 udh %06%05%04%0B%84%23%F0 data %0", "data"),
    (b"8888 +861 route  text", "route"),
    (b"8888 +861 route box", "data"),
    (b"8888 +861 dlr-mask x1 text", "dlr-mask"),
    (b"8888 +861 dlr-mask -1 text", "dlr-mask"),
    (b"8888 +861 dlr-mask 31", "data"),
    (b"8888 +861 text a\rb", "line"),
    (b"8888 +861 text a\nb", "line"),
    (b"8888 +861 data " + b"A" * fs.MAX_LINE, "line"),
    # what lenient decoding reads past is an error in strict mode, naming where it is
    (b"8888 +861 data %0b", "data"),
    (b"8888 +861 data a/b", "data"),
    (b"8888 +861 udh %06%05%04%0b%84%23%F0 data %01", "udh"),
    (b"8888 +861 udh %06%05%04%0B%84%23%F0 %01%06", "data"),
    (b"8888 +861 data %01\r\n", "line"),
]


@pytest.mark.parametrize(("line", "field"), STRICT_ERRORS, ids=repr)
def test_strict_errors_name_the_field(line: bytes, field: str) -> None:
    with pytest.raises(FakeSmscError) as caught:
        fs.decode_line(line, Mode.STRICT)
    assert caught.value.field == field, caught.value
    assert caught.value.reason and str(caught.value).startswith(f"{field}: ")


# --------------------------------------------------------------------------- lenient deviations

LENIENT = [
    (
        b"8888 +861 udh %06%05%04%0B%84%23%F0 %01%06\n",
        ("udh-without-data-word",),
        b"\x01\x06",
    ),
    (b"8888 +861 data %0b%f0\n", ("lowercase-escape",), b"\x0b\xf0"),
    (b"8888 +861 data %01\r\n", ("crlf",), b"\x01"),
    (b"8888 +861 data a/b:c\n", ("unescaped-octet",), b"a/b:c"),
    (b"8888 +861 data a\xffb\n", ("unescaped-octet",), b"a\xffb"),
    (
        b"8888 +861 udh %06%05%04%0b%84%23%f0 http://x%2f\r\n",
        ("crlf", "udh-without-data-word", "lowercase-escape", "unescaped-octet"),
        b"http://x/",
    ),
]


@pytest.mark.parametrize(("line", "codes", "data"), LENIENT, ids=repr)
def test_lenient_reads_past_and_names_each_deviation(
    line: bytes, codes: tuple[str, ...], data: bytes
) -> None:
    sms, deviations = fs.decode_line(line, Mode.LENIENT)
    assert sorted(deviations) == sorted(codes)
    assert sms.data == data
    with pytest.raises(FakeSmscError):
        fs.decode_line(line, Mode.STRICT)


def test_every_deviation_code_is_exercised() -> None:
    seen = {code for _line, codes, _data in LENIENT for code in codes}
    assert seen == set(fs.DEVIATION_CODES)


def test_lenient_still_refuses_what_cannot_be_read() -> None:
    for line, field in [
        (b"8888 +861 data abc%4", "data"),
        (b"8888 +861 udh  data %01", "udh"),
        (b"", "sender"),
        (b"8888 +861 fax x", "kind"),
    ]:
        with pytest.raises(FakeSmscError) as caught:
            fs.decode_line(line, Mode.LENIENT)
        assert caught.value.field == field


# --------------------------------------------------------------------------- encode refuses

ENCODE_ERRORS = [
    (FakeSms("88 88", "+861", Kind.DATA, b"x"), "sender"),
    (FakeSms("", "+861", Kind.DATA, b"x"), "sender"),
    (FakeSms("8888", "+86\u00e91", Kind.DATA, b"x"), "receiver"),
    (FakeSms("8888", "+861", Kind.TEXT, b"two\nlines"), "data"),
    (FakeSms("8888", "+861", Kind.ROUTE, b"x\r", route="box"), "data"),
    (FakeSms("8888", "+861", Kind.ROUTE, b"x", route="a box"), "route"),
    (FakeSms("8888", "+861", Kind.ROUTE, b"x", route=""), "route"),
    (FakeSms("8888", "+861", Kind.ROUTE, b"x", route="\u0101"), "route"),
    (FakeSms("8888", "+861", Kind.DLR_MASK, b"x"), "dlr-mask"),  # None would come back as 0
    (FakeSms("8888", "+861", Kind.DLR_MASK, b"x", dlr_mask=-1), "dlr-mask"),
    (FakeSms("8888", "+861", Kind.UDH, b"x"), "udh"),
    (FakeSms("8888", "+861", Kind.DATA, b"\xff" * fs.MAX_LINE), "line"),
]


@pytest.mark.parametrize(("sms", "field"), ENCODE_ERRORS, ids=repr)
def test_encode_refuses_what_would_not_read_back(sms: FakeSms, field: str) -> None:
    with pytest.raises(FakeSmscError) as caught:
        fs.encode_line(sms)
    assert caught.value.field == field


# --------------------------------------------------------------------------- framing


def _frame(chunks: list[bytes], max_line: int = fs.MAX_LINE) -> list[bytes | fs.Overlong]:
    framer = fs.LineFramer(max_line)
    out: list[bytes | fs.Overlong] = []
    for chunk in chunks:
        out += framer.feed(chunk)
    return out


def test_lines_split_across_feeds_at_every_point() -> None:
    stream = KANNEL_LINE + b"1234 5550001 text hi\n"
    for cut in range(len(stream) + 1):
        assert _frame([stream[:cut], stream[cut:]]) == [KANNEL_LINE, b"1234 5550001 text hi\n"]
    assert _frame([bytes([b]) for b in stream]) == [KANNEL_LINE, b"1234 5550001 text hi\n"]


def test_a_partial_line_waits() -> None:
    framer = fs.LineFramer()
    assert framer.feed(b"1234 5550001 te") == []
    assert framer.pending == 15
    assert framer.feed(b"xt hi\n") == [b"1234 5550001 text hi\n"]
    assert framer.pending == 0


def test_an_over_long_line_is_dropped_in_its_place_and_the_stream_goes_on() -> None:
    long_line = b"1234 5550001 data " + b"A" * 100 + b"\n"
    stream = b"a b text 1\n" + long_line + b"a b text 2\n"
    for chunks in (
        [stream],
        [bytes([b]) for b in stream],
        [stream[:20], stream[20:70], stream[70:]],
    ):
        framer = fs.LineFramer(max_line=40)
        out: list[bytes | fs.Overlong] = []
        for chunk in chunks:
            out += framer.feed(chunk)
        assert out == [b"a b text 1\n", fs.Overlong(long_line[:42]), b"a b text 2\n"], chunks
        assert framer.overflows == 1


def test_a_megabyte_line_costs_one_overflow_and_little_memory() -> None:
    framer = fs.LineFramer()
    out: list[bytes | fs.Overlong] = []
    for _ in range(16):
        out += framer.feed(b"x" * 65536)
        assert framer.pending <= fs.MAX_LINE + 2
    out += framer.feed(b"tail\n1234 5550001 text after\n")
    assert len(out) == 2 and isinstance(out[0], fs.Overlong)
    assert out[0].head == b"x" * fs.LineFramer.HEAD
    assert out[1] == b"1234 5550001 text after\n" and framer.overflows == 1


def test_the_longest_line_is_taken_however_it_is_cut() -> None:
    """max_line octets and CR LF: taken whole or in pieces (it once depended on the cut)."""
    line = b"a b text " + b"y" * (40 - 9) + b"\r\n"
    assert len(line) == 42
    for cut in range(len(line) + 1):
        assert _frame([line[:cut], line[cut:]], max_line=40) == [line], cut
    longer = b"a b text " + b"y" * (41 - 9) + b"\r\n"
    for cut in range(len(longer) + 1):
        got = _frame([longer[:cut], longer[cut:], b"a b text z\n"], max_line=40)
        assert got == [fs.Overlong(longer[:42]), b"a b text z\n"], cut


def test_many_short_lines_in_one_feed() -> None:
    stream = b"".join(b"1234 5550001 text %d\n" % n for n in range(10_000))
    out = fs.LineFramer().feed(stream)
    assert len(out) == 10_000 and out[-1] == b"1234 5550001 text 9999\n"
