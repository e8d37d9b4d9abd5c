"""MM1 (OMA MMS encapsulation, binary): strategies for valid PDUs, junk that looks like MM1,
and MM1-aware mutators.

``tests/support/targets/mm1.py`` makes them a fuzz target of the generic properties;
``tests/property/test_mm1_fuzz.py`` draws from them for the MM1-only properties.
"""

from __future__ import annotations

import random

from hypothesis import strategies as st

from mmsconf.emulators.codecs import mm1
from mmsconf.emulators.codecs.wsp_encoding import ContentType, Part
from tests.support.codec_target import Mutator

_text = st.text(
    st.characters(min_codepoint=0x20, blacklist_categories=("Cs",)), max_size=24
).filter(lambda s: not s.startswith("\x7f"))
_token = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=16)
_address = st.builds(
    lambda n, kind: f"+{n}/TYPE=PLMN" if kind else f"u{n}@mms.example",
    st.integers(1, 10**12),
    st.booleans(),
)
_media = st.sampled_from(
    ["text/plain", "image/jpeg", "application/smil", "audio/amr", "image/png", "text/x-vcard"]
)
_part = st.builds(
    lambda media, data, cid, loc: Part(
        ContentType(media, (("charset", "utf-8"),) if media == "text/plain" else ()),
        data,
        tuple(h for h in (("Content-ID", f"<{cid}>"), ("Content-Location", loc)) if h[1]),
    ),
    _media,
    st.binary(max_size=48),
    _token,
    st.sampled_from(["", "a.txt", "smil.xml"]),
)
_time = st.builds(mm1.TimeValue, st.integers(0, 2**40), st.booleans())
_status = st.sampled_from([int(s) for s in mm1.Status])
_version = st.sampled_from(["1.0", "1.1", "1.2", "1.3", "1"])

send_reqs = st.builds(
    mm1.SendReq,
    transaction_id=_token,
    to=st.lists(_address, min_size=1, max_size=3).map(tuple),
    cc=st.lists(_address, max_size=1).map(tuple),
    sender=st.none() | _address,
    subject=st.none() | _text,
    date=st.none() | st.integers(0, 2**40),
    message_class=st.none() | st.sampled_from(["personal", "advertisement", "auto"]),
    expiry=st.none() | _time,
    priority=st.none() | st.sampled_from(["low", "normal", "high"]),
    delivery_report=st.none() | st.booleans(),
    read_report=st.none() | st.booleans(),
    content_type=st.just(
        ContentType(
            "application/vnd.wap.multipart.related",
            (("type", "application/smil"), ("start", "<smil>")),
        )
    ),
    parts=st.lists(_part, max_size=3).map(tuple),
    version=_version,
)
send_confs = st.builds(
    mm1.SendConf,
    transaction_id=_token,
    response_status=_status,
    response_text=st.none() | _text,
    message_id=st.none() | _token,
    version=_version,
)
notifications = st.builds(
    mm1.NotificationInd,
    transaction_id=_token,
    content_location=_token.map(lambda t: f"http://mms.example/{t}"),
    message_size=st.integers(0, 2**31),
    expiry=_time,
    message_class=st.sampled_from(["personal", "informational"]),
    sender=st.none() | _address,
    subject=st.none() | _text,
    priority=st.none() | st.sampled_from(["low", "high"]),
    delivery_report=st.none() | st.booleans(),
    version=_version,
)
messages: st.SearchStrategy[mm1.Mm1Message] = st.one_of(send_reqs, send_confs, notifications)


# Junk that looks like MM1 often enough to get past the first octets.
junk: st.SearchStrategy[bytes] = st.one_of(
    st.binary(max_size=256),
    st.builds(
        lambda kind, rest: bytes([0x8C, kind]) + rest,
        st.sampled_from([0x80, 0x81, 0x82, 0x84, 0x99]),
        st.binary(max_size=256),
    ),
)


def _field_code(rnd: random.Random, body: bytes) -> bytes:
    """Turn one octet >= 0x80 into another header field code."""
    spots = [i for i, b in enumerate(body) if b >= 0x80]
    if not spots:
        return body
    i = rnd.choice(spots)
    return body[:i] + bytes([0x80 | rnd.randrange(0x40)]) + body[i + 1 :]


def _length(rnd: random.Random, body: bytes) -> bytes:
    """Make one small octet (a value-length or a uintvar) bigger or smaller."""
    spots = [i for i, b in enumerate(body) if b <= 0x1F]
    if not spots:
        return body
    i = rnd.choice(spots)
    return body[:i] + bytes([(body[i] + rnd.choice((-2, -1, 1, 2, 30))) % 256]) + body[i + 1 :]


def _retype(rnd: random.Random, body: bytes) -> bytes:
    """Another X-Mms-Message-Type value."""
    if len(body) < 2:
        return body
    return body[:1] + bytes([rnd.choice((0x80, 0x81, 0x82, 0x83, 0x7F, 0xFF))]) + body[2:]


def _repeat_head(rnd: random.Random, body: bytes) -> bytes:
    """The first few octets again somewhere (a repeated field)."""
    i = rnd.randrange(len(body) + 1)
    return body[:i] + body[: rnd.randint(1, 8)] + body[i:]


MUTATORS: tuple[Mutator, ...] = (_field_code, _length, _retype, _repeat_head)
