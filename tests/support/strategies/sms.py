"""Kannel's fake SMSC line (codecs/fake_smsc.py) and the SMS user data header
(codecs/sms_udh.py) for their fuzz targets.

Valid headers mix the port and concatenation elements (8- and 16-bit, repeated) with
unknown ones; their mutators make the UDHL or an element's length lie, or break a
concatenation's part numbers. Valid lines come from ``FakeSms`` values of every kind,
with user data over all 256 octets (those Kannel escapes and those it leaves, space,
``+`` and ``%`` among them). The line mutators damage what a sloppy or broken peer
would write: an escape in lower case or cut short, the word ``data`` left out, CR LF,
an unescaped octet, the kind word replaced, a field split by a space.
"""

from __future__ import annotations

import random
import re

from hypothesis import strategies as st

from mmsconf.emulators.codecs import fake_smsc as fs
from mmsconf.emulators.codecs import sms_udh

# --------------------------------------------------------------------------- user data headers


@st.composite
def _concat(draw: st.DrawFn, wide: bool) -> tuple[int, bytes]:
    total = draw(st.integers(1, 255))
    seq = draw(st.integers(1, total))
    if wide:
        return sms_udh.CONCAT_16, draw(st.integers(0, 65535)).to_bytes(2, "big") + bytes(
            (total, seq)
        )
    return sms_udh.concat_8(draw(st.integers(0, 255)), total, seq)


_KNOWN = frozenset((sms_udh.PORTS_16, sms_udh.PORTS_8, sms_udh.CONCAT_8, sms_udh.CONCAT_16))
ELEMENTS = st.one_of(
    st.builds(sms_udh.ports_16, st.integers(0, 65535), st.integers(0, 65535)),
    st.tuples(st.just(sms_udh.PORTS_8), st.binary(min_size=2, max_size=2)),
    _concat(False),
    _concat(True),
    st.tuples(st.integers(0, 255).filter(lambda i: i not in _KNOWN), st.binary(max_size=12)),
)
UDHS = (
    st.lists(ELEMENTS, min_size=1, max_size=6)
    .filter(lambda els: sum(2 + len(v) for _i, v in els) <= sms_udh.MAX_UDHL)
    .map(lambda els: sms_udh.Udh(tuple(els)))
)
#: Kannel's own two headers, often: ports alone, and ports with an 8-bit reference.
KANNEL_UDHS = st.one_of(
    st.just(sms_udh.Udh((sms_udh.ports_16(2948, 9200),))),
    _concat(False).map(lambda c: sms_udh.Udh((sms_udh.ports_16(2948, 9200), c))),
    UDHS,
)


def udhl_lies(rnd: random.Random, body: bytes) -> bytes:
    """The UDHL octet says another length."""
    if not body:
        return body
    return bytes([rnd.choice((0, 1, body[0] - 1, body[0] + 1, 140, 255)) % 256]) + body[1:]


def element_length_lies(rnd: random.Random, body: bytes) -> bytes:
    """The first element's length octet says another length."""
    if len(body) < 3:
        return body
    return body[:2] + bytes([rnd.choice((0, 1, body[2] - 1, body[2] + 1, 255)) % 256]) + body[3:]


def concat_numbers(rnd: random.Random, body: bytes) -> bytes:
    """A concatenation element's total or part number made 0 or past the total."""
    at = body.find(b"\x00\x03", 1)
    if at < 0 or len(body) < at + 5:
        return body
    out = bytearray(body)
    out[at + rnd.choice((3, 4))] = rnd.choice((0, 255, out[at + 3] + 1 & 0xFF))
    return bytes(out)


UDH_MUTATORS = (udhl_lies, element_length_lies, concat_numbers)
UDH_JUNK = st.one_of(
    st.binary(max_size=160),
    st.binary(max_size=12).map(lambda b: bytes([len(b)]) + b),  # UDHL right, elements junk
)

# --------------------------------------------------------------------------- fake SMSC lines

ADDRESSES = st.from_regex(re.compile(r"\+?[0-9A-Za-z*#.\-]{1,32}"), fullmatch=True)
#: Octets that are no line break: what a text, route or dlr-mask line may carry raw.
_TEXT = st.binary(max_size=200).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b""))
_ROUTE = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0xFF), min_size=1, max_size=20
).filter(lambda r: not any(c in r for c in " \r\n"))
_DATA = st.binary(max_size=300)

LINES = st.one_of(
    st.builds(
        fs.FakeSms,
        ADDRESSES,
        ADDRESSES,
        st.just(fs.Kind.UDH),
        _DATA,
        KANNEL_UDHS.map(sms_udh.encode),
    ),
    st.builds(
        fs.FakeSms, ADDRESSES, ADDRESSES, st.sampled_from((fs.Kind.DATA, fs.Kind.UCS2)), _DATA
    ),
    st.builds(fs.FakeSms, ADDRESSES, ADDRESSES, st.just(fs.Kind.TEXT), _TEXT),
    st.builds(fs.FakeSms, ADDRESSES, ADDRESSES, st.just(fs.Kind.ROUTE), _TEXT, route=_ROUTE),
    st.builds(
        fs.FakeSms,
        ADDRESSES,
        ADDRESSES,
        st.just(fs.Kind.DLR_MASK),
        _TEXT,
        dlr_mask=st.integers(0, 2**31),
    ),
)

_ESCAPE = re.compile(rb"%[0-9A-F]{2}")


def lowercase_escape(rnd: random.Random, body: bytes) -> bytes:
    """One %-escape in lower-case hex."""
    found = list(_ESCAPE.finditer(body))
    if not found:
        return body
    m = rnd.choice(found)
    return body[: m.start()] + m.group().lower() + body[m.end() :]


def cut_escape(rnd: random.Random, body: bytes) -> bytes:
    """A %-escape cut short, at the end of the line or before a space."""
    found = list(_ESCAPE.finditer(body))
    if not found:
        return body[:-1] + b"%\n"
    m = rnd.choice(found)
    return body[: m.start() + rnd.choice((1, 2))] + body[m.end() :]


def drop_data_word(rnd: random.Random, body: bytes) -> bytes:
    """The older form: the user data right after the UDH."""
    return body.replace(b" data ", b" ", 1)


def crlf(rnd: random.Random, body: bytes) -> bytes:
    return body[:-1] + b"\r\n" if body.endswith(b"\n") else body + b"\r\n"


def unescaped_octet(rnd: random.Random, body: bytes) -> bytes:
    """An octet Kannel escapes, written as it is."""
    i = rnd.randrange(len(body) + 1)
    return body[:i] + bytes([rnd.choice(b"/:@&=%+\x00\x7f\x80\xff\t")]) + body[i:]


def other_kind(rnd: random.Random, body: bytes) -> bytes:
    """The kind word (third field) replaced by another kind, a near miss, or nothing."""
    fields = body.split(b" ", 3)
    if len(fields) < 3:
        return body
    fields[2] = rnd.choice(
        [k.value.encode() for k in fs.Kind] + [b"DATA", b"ucs2", b"udh-data", b"", b"txt"]
    )
    return b" ".join(fields)


def split_field(rnd: random.Random, body: bytes) -> bytes:
    """A space inside a field: every field after it moves one place."""
    spaces = [i for i, c in enumerate(body) if c == 0x20]
    i = rnd.randrange(len(body) + 1) if not spaces else rnd.choice(spaces) + rnd.choice((-1, 1))
    i = max(0, min(len(body), i))
    return body[:i] + b" " + body[i:]


LINE_MUTATORS = (
    lowercase_escape,
    cut_escape,
    drop_data_word,
    crlf,
    unescaped_octet,
    other_kind,
    split_field,
)

_WORDS = st.sampled_from(
    [
        b"8888",
        b"+8613800000001",
        b"udh",
        b"data",
        b"text",
        b"ucs-2",
        b"route",
        b"dlr-mask",
        b"%06%05%04%0B%84%23%F0",
        b"%0",
        b"%",
        b"+",
        b"",
        b"\r",
        b"\xff",
        b"7",
        b"-1",
    ]
)
LINE_JUNK = st.one_of(
    st.binary(max_size=300),
    st.lists(_WORDS, max_size=8).map(lambda ws: b" ".join(ws) + b"\n"),
)
