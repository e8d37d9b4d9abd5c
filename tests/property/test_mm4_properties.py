"""MM4 codec as a fuzz target: round trip, junk, damaged encodings, well-formed errors.

The generic properties of test_codec_properties.py, for MM4 (its own module until
the shared tests/support/targets lands: then this becomes an ``mm4`` CodecTarget):

* round trip: ``decode(encode(m)) == m`` for every message type, strict and lenient,
  with no deviation; ``encode`` is deterministic;
* junk and damaged encodings (bit flips, cuts, inserted CR/LF/NUL/8-bit bytes, moved
  spans, header lines swapped or dropped) decode or raise ``MM4Error`` — never any
  other exception, in either mode;
* every error names a field and a reason, and its SMTP reply is one 554 5.6.0 line;
* what strict mode accepts, lenient mode accepts as the same message;
* a deviation lenient mode records is one of DEVIATION_CODES.

``tox -e fuzz`` runs it at 10,000 cases a property (HYPOTHESIS_PROFILE=fuzz).
"""

from __future__ import annotations

import random

from hypothesis import given, note
from hypothesis import strategies as st

from mmsconf.emulators.codecs import mime, mm4

LENIENT = mm4.CodecConfig(mode=mm4.Mode.LENIENT)

# --- valid messages --------------------------------------------------------------------

_TOKEN = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters='"'),
    min_size=1,
    max_size=24,
)
_DOMAINS = st.builds(mm4.mms_domain, st.integers(0, 999), st.integers(0, 999)) | st.sampled_from(
    ["mms.example", "mms.operator-b.example"]
)
# Drawn as integers (cheap for Hypothesis), written as E.164 numbers with or without "+".
_NUMBERS = st.builds(
    lambda plus, n: ("+" if plus else "") + str(n), st.booleans(), st.integers(0, 10**20 - 1)
)
_PLMN = st.builds(mm4.Address.plmn, _NUMBERS, _DOMAINS)
_SYSTEM = st.builds(lambda d: f"system-user@{d}", _DOMAINS)
_DATES = st.sampled_from(
    ["Wed, 01 May 2024 10:15:30 +0800", "Thu, 02 Jan 2025 00:00:00 +0000", "1 Jan 2024 12:00 -0500"]
)
_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=60
).filter(lambda t: t == t.strip())
_OPT_BOOL = st.none() | st.booleans()


def _parts() -> st.SearchStrategy[mm4.Content]:
    part = st.builds(
        mime.Part,
        st.sampled_from(["text/plain; charset=utf-8", "image/gif", "application/octet-stream"]),
        st.binary(max_size=120),
        st.none() | st.integers(0, 10**6).map(lambda n: f"part-{n}"),
    )
    many = st.lists(part, min_size=1, max_size=3).map(
        lambda ps: mm4.multipart_content(ps, boundary_seed="fuzz")
    )
    return many | _TEXT.map(mm4.text_content)


def _common() -> dict:
    return {"transaction_id": _TOKEN, "message_id": _TOKEN, "version": st.just("6.10.0")}


def forwards() -> st.SearchStrategy[mm4.ForwardReq]:
    return st.builds(
        mm4.ForwardReq,
        **_common(),
        sender=_PLMN,
        to=st.lists(_PLMN, min_size=1, max_size=3).map(tuple),
        cc=st.lists(_PLMN, max_size=2).map(tuple),
        date=_DATES,
        ack_request=_OPT_BOOL,
        originator_system=st.none() | _SYSTEM,
        subject=st.none() | _TEXT,
        message_class=st.none() | st.sampled_from(mm4.MESSAGE_CLASSES),
        priority=st.none() | st.sampled_from(mm4.PRIORITIES),
        delivery_report=_OPT_BOOL,
        read_reply=_OPT_BOOL,
        sender_visibility=st.none() | st.sampled_from(mm4.VISIBILITIES),
        forward_counter=st.none() | st.integers(0, 99),
        content=_parts(),
    ).filter(lambda m: not (m.ack_request and m.originator_system is None))


def reports() -> st.SearchStrategy[mm4.Mm4Message]:
    delivery = st.builds(
        mm4.DeliveryReportReq,
        **_common(),
        sender=_PLMN,
        to=st.tuples(_PLMN),
        date=_DATES,
        mm_status=st.sampled_from(mm4.MM_STATUSES),
        status_text=st.none() | _TEXT,
    )
    read = st.builds(
        mm4.ReadReplyReq,
        **_common(),
        sender=_PLMN,
        to=st.tuples(_PLMN),
        date=_DATES,
        read_status=st.sampled_from(mm4.READ_STATUSES),
    )
    return delivery | read


def responses() -> st.SearchStrategy[mm4.Mm4Message]:
    return st.sampled_from([mm4.ForwardRes, mm4.DeliveryReportRes, mm4.ReadReplyRes]).flatmap(
        lambda cls: st.builds(
            cls,
            **_common(),
            status=st.sampled_from(mm4.REQUEST_STATUSES),
            status_text=st.none() | _TEXT,
            sender=st.none() | _SYSTEM.map(mm4.Address.parse),
            to=st.lists(_SYSTEM.map(mm4.Address.parse), max_size=1).map(tuple),
            date=st.none() | _DATES,
        )
    )


MESSAGES = forwards() | reports() | responses()

# --- damage ------------------------------------------------------------------------------

_INSERTS = (b"\r\n", b"\n", b"\r", b"\0", b"\xff", b":", b" ", b"\t", b"=?utf-8?b?", b"--", b'"')


def _span(rnd: random.Random, body: bytes) -> tuple[int, int]:
    a = rnd.randrange(len(body) + 1)
    return a, min(len(body), a + rnd.choice((1, 2, 8, 64, 512)))


def damage(rnd: random.Random, body: bytes) -> bytes:
    kind = rnd.randrange(7)
    if not body:
        return rnd.choice(_INSERTS)
    if kind == 0:
        i = rnd.randrange(len(body))
        return body[:i] + bytes([body[i] ^ (1 << rnd.randrange(8))]) + body[i + 1 :]
    if kind == 1:
        return body[: rnd.randrange(len(body) + 1)]
    if kind == 2:
        i = rnd.randrange(len(body) + 1)
        return body[:i] + rnd.choice(_INSERTS) + body[i:]
    if kind == 3:
        a, b = _span(rnd, body)
        return body[:a] + body[b:]
    if kind == 4:
        a, b = _span(rnd, body)
        return body[:b] + body[a:b] + body[b:]
    lines = body.split(b"\r\n")
    i, j = rnd.randrange(len(lines)), rnd.randrange(len(lines))
    if kind == 5:
        lines[i], lines[j] = lines[j], lines[i]
    else:
        del lines[i]
    return b"\r\n".join(lines)


# --- the properties ------------------------------------------------------------------------


def _decode_or_error(raw: bytes, config: mm4.CodecConfig) -> mm4.Decoded | None:
    try:
        decoded = mm4.decode(raw, config=config)
    except mm4.MM4Error as err:
        assert err.field.strip() and err.reason.strip(), err
        reply = err.smtp_reply
        assert reply.startswith("554 5.6.0 ") and reply.isascii() and reply.isprintable()
        return None
    assert all(d.code in mm4.DEVIATION_CODES for d in decoded.deviations), decoded.deviations
    return decoded


@given(MESSAGES)
def test_round_trip(message: mm4.Mm4Message) -> None:
    wire = mm4.encode(message)
    assert mm4.encode(message) == wire
    for config in (mm4.CodecConfig(), LENIENT):
        decoded = mm4.decode(wire, config=config)
        assert decoded.message == message
        assert decoded.deviations == ()


@given(st.binary(max_size=1024))
def test_junk_never_crashes(body: bytes) -> None:
    for config in (mm4.CodecConfig(), LENIENT):
        _decode_or_error(body, config)


@given(st.data())
def test_damaged_encodings_never_crash(data: st.DataObject) -> None:
    message = data.draw(MESSAGES, label="message")
    rnd = data.draw(st.randoms(use_true_random=False), label="rnd")
    raw = mm4.encode(message)
    for _ in range(data.draw(st.integers(1, 3), label="damages")):
        raw = damage(rnd, raw)
    note(repr(raw[:300]))
    strict = _decode_or_error(raw, mm4.CodecConfig())
    lenient = _decode_or_error(raw, LENIENT)
    if strict is not None:  # what strict takes, lenient takes as the same message
        assert lenient is not None and lenient.message == strict.message
