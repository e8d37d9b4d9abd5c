"""Hypothesis strategies for MM4: valid messages of every type, and MM4-aware mutators.

The MM4 fuzz target (``tests/support/targets/mm4.py``) draws from here, and so
do the MM4-only properties (``tests/property/test_mm4_properties.py``).

"Valid" means what the strict decoder takes without a deviation, so that
``decode(encode(m)) == m`` holds in both modes: a forward that asks for an
acknowledgement always names X-Mms-Originator-System (strict refuses one that
does not), and free text never starts or ends with blanks (header unfolding
would eat them).
"""

from __future__ import annotations

import random

from hypothesis import strategies as st

from mmsconf.emulators.codecs import mime, mm4

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


def contents() -> st.SearchStrategy[mm4.Content]:
    """A text body, or a multipart one of one to three parts."""
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
        content=contents(),
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


def messages() -> st.SearchStrategy[mm4.Mm4Message]:
    """Every MM4 message type: forwards, reports, and the three .RES."""
    return forwards() | reports() | responses()


# --- MM4-aware damage (on top of the generic byte mutators) --------------------------------

#: What breaks RFC 5322 framing and MIME: line ends alone, NUL, 8-bit, header colons,
#: folding whitespace, an encoded-word opener, a boundary dash, a quote.
_INSERTS = (b"\r\n", b"\n", b"\r", b"\0", b"\xff", b":", b" ", b"\t", b"=?utf-8?b?", b"--", b'"')


def insert_framing(rnd: random.Random, body: bytes) -> bytes:
    i = rnd.randrange(len(body) + 1)
    return body[:i] + rnd.choice(_INSERTS) + body[i:]


def swap_lines(rnd: random.Random, body: bytes) -> bytes:
    """Two lines change places: a header moves into the body, or the body into the head."""
    lines = body.split(b"\r\n")
    i, j = rnd.randrange(len(lines)), rnd.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\r\n".join(lines)


def drop_line(rnd: random.Random, body: bytes) -> bytes:
    """One line goes: usually a mandatory header, or the blank line ending the head."""
    lines = body.split(b"\r\n")
    del lines[rnd.randrange(len(lines))]
    return b"\r\n".join(lines)


MUTATORS = (insert_framing, swap_lines, drop_line)
