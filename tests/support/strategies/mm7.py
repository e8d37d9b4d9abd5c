"""Hypothesis strategies for MM7: valid messages of every operation, and mutators.

The MM7 fuzz target (``tests/support/targets/mm7.py``) draws from here; the
MM7 property tests reach it through the ``mm7s`` fixture or import it.

"Valid" means: what the strict decoder accepts without a deviation, so that
``decode(encode(m)) == expected(m)`` must hold. The few places where the model
can say more than the wire (see ``expected``) are spelled out there.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, NamedTuple
from urllib.parse import quote

from hypothesis import strategies as st
from lxml import etree

from mmsconf.emulators.codecs.mm7 import (
    DEFAULT_VERSION,
    KNOWN_VERSIONS,
    MM7_NAMESPACES,
    MM_STATUSES,
    READ_STATUSES,
    SOAP_ENV_NS,
    STATUS_TEXT,
    Address,
    CancelReq,
    CancelRsp,
    ContentPart,
    DeliverReq,
    DeliverRsp,
    DeliveryReportReq,
    DeliveryReportRsp,
    ExtendedCancelReq,
    ExtendedCancelRsp,
    ExtendedReplaceReq,
    ExtendedReplaceRsp,
    MM7Message,
    ReadReplyReq,
    ReadReplyRsp,
    ReplaceReq,
    ReplaceRsp,
    RSErrorRsp,
    SoapFault,
    Status,
    SubmitReq,
    SubmitRsp,
    VASPErrorRsp,
    is_rel6,
    operations_in,
)

#: The four characters XML calls white space (the XSD whiteSpace facet strips only these).
XML_SPACE = " \t\r\n"

#: The operations the round trip covers; "SubmitReq+parts" is SubmitReq as multipart/related.
OPERATIONS: tuple[str, ...] = (
    "SubmitReq",
    "SubmitReq+parts",
    "SubmitRsp",
    "DeliveryReportReq",
    "DeliveryReportRsp",
    "RSErrorRsp",
    "VASPErrorRsp",
    "SoapFault",
)

#: The operations added for issue 16 (item 1); "+parts" is multipart/related.
#: Wire names, except the "+parts" suffix: the extended ones start lower case.
MORE_OPERATIONS: tuple[str, ...] = (
    "DeliverReq",
    "DeliverReq+parts",
    "DeliverRsp",
    "CancelReq",
    "CancelRsp",
    "ReplaceReq",
    "ReplaceReq+parts",
    "ReplaceRsp",
    "ReadReplyReq",
    "ReadReplyRsp",
    "extendedCancelReq",
    "extendedCancelRsp",
    "extendedReplaceReq",
    "extendedReplaceReq+parts",
    "extendedReplaceRsp",
)

REL6_FIELDS = ("applic_id", "reply_applic_id", "aux_applic_info")


def namespaces_of(op: str) -> tuple[str, ...]:
    """The namespaces that define an operation (``+parts`` ignored; SoapFault: all)."""
    wire = op.removesuffix("+parts")
    if wire == "SoapFault":
        return MM7_NAMESPACES
    return tuple(ns for ns in MM7_NAMESPACES if wire in operations_in(ns))


def is_xml_char(c: str) -> bool:
    """The XML 1.0 Char production."""
    o = ord(c)
    return (
        o in (0x9, 0xA, 0xD)
        or 0x20 <= o <= 0xD7FF
        or 0xE000 <= o <= 0xFFFD
        or 0x10000 <= o <= 0x10FFFF
    )


def xml_ok(text: str) -> bool:
    return all(is_xml_char(c) for c in text)


# --------------------------------------------------------------------------- text

_NOT_XML = [chr(o) for o in range(0x20) if o not in (0x9, 0xA, 0xD)] + ["\ufffe", "\uffff"]

#: Any character XML 1.0 can carry (surrogates are excluded by default).
XML_CHARS = st.characters(exclude_categories=("Cs",), exclude_characters=_NOT_XML)

#: Pieces that break naive escaping or whitespace handling.
SPECIALS: tuple[str, ...] = (
    "<",
    ">",
    "&",
    "]]>",
    "&amp;",
    "&#x41;",
    "&lt;",
    '"',
    "'",
    "<!--",
    "-->",
    "<?pi x?>",
    "<![CDATA[x]]>",
    "</mm7:Subject>",
    "cid:",
    "%20",
    "=?utf-8?q?x?=",
    " ",
    "  ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\n\r",
    "\u00a0",
    "\u2028",
    "\u0085",
    "\u3000",
    "\ufeff",
    "\u200b",
    "\x7f",
    "\x9f",
    "é",
    "ß",
    "Grüße",
    "漢字",
    "😀",
    "\U0010fffd",
    "\ufffd",
    "\ufdd0",
    "\U0001fffe",
)

_fragment = st.one_of(st.sampled_from(SPECIALS), st.text(XML_CHARS, min_size=1, max_size=6))


def xml_text(*, min_size: int = 0, max_size: int = 10) -> st.SearchStrategy[str]:
    """Text XML 1.0 can carry, rich in markup characters, non-ASCII and white space."""
    return st.lists(_fragment, min_size=min_size, max_size=max_size).map("".join)


def non_blank() -> st.SearchStrategy[str]:
    """Text with something besides XML white space in it (leading/trailing space kept)."""
    return xml_text(min_size=1).filter(lambda s: s.strip(XML_SPACE) != "")


def unpadded() -> st.SearchStrategy[str]:
    """Non-empty text with no XML white space at either end (TransactionID)."""
    return xml_text(min_size=1).map(lambda s: s.strip(XML_SPACE)).filter(bool)


def any_text(*, max_size: int = 12) -> st.SearchStrategy[str]:
    """Any str at all: control characters, lone surrogates, U+FFFE, ..."""
    return st.one_of(
        xml_text(max_size=max_size),
        st.text(st.characters(exclude_categories=()), max_size=max_size),
        st.lists(
            st.one_of(
                _fragment,
                st.sampled_from(["\x00", "\x07", "\x1b", "\ud800", "\udfff", "\ufffe", "\uffff"]),
            ),
            min_size=1,
            max_size=max_size,
        ).map("".join),
    )


# --------------------------------------------------------------------------- values

NAMESPACES = st.sampled_from(MM7_NAMESPACES)
VERSIONS = st.sampled_from(KNOWN_VERSIONS)


def addresses() -> st.SearchStrategy[Address]:
    return st.builds(
        Address, non_blank(), st.sampled_from(("Number", "RFC2822Address", "ShortCode"))
    )


def status_codes() -> st.SearchStrategy[int]:
    """Codes of the MM7 table, and any other positive integer (xs:positiveInteger)."""
    return st.one_of(st.sampled_from(sorted(STATUS_TEXT)), st.integers(1, 10**30))


def statuses(codes: st.SearchStrategy[int] | None = None) -> st.SearchStrategy[Status]:
    return st.builds(Status, codes or status_codes(), xml_text(), st.none() | xml_text())


@st.composite
def xs_datetimes(draw: st.DrawFn) -> str:
    """xs:dateTime values, with and without fraction and zone."""
    year = draw(st.sampled_from(("1970", "2024", "1999", "9999", "0001", "12345", "-0044")))
    month, day = draw(st.integers(1, 12)), draw(st.integers(1, 28))
    hh, mm, ss = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
    frac = draw(st.sampled_from(("", ".0", ".5", ".123456789")))
    zone = draw(
        st.one_of(
            st.sampled_from(("", "Z", "+14:00", "-00:00")),
            st.builds(
                "{}{:02d}:{:02d}".format,
                st.sampled_from("+-"),
                st.integers(0, 13),
                st.integers(0, 59),
            ),
        )
    )
    return f"{year}-{month:02d}-{day:02d}T{hh:02d}:{mm:02d}:{ss:02d}{frac}{zone}"


def _applic(ns: str) -> st.SearchStrategy[dict[str, str | None]]:
    if not is_rel6(ns):
        return st.just(dict.fromkeys(REL6_FIELDS))  # REL-5 has no Applic* elements
    return st.fixed_dictionaries({f: st.none() | xml_text() for f in REL6_FIELDS})


_content_ids = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="<>"),
    min_size=1,
    max_size=20,
)
_content_types = st.one_of(
    st.sampled_from(
        (
            "text/plain",
            "text/plain; charset=utf-8",
            "image/gif",
            "image/jpeg",
            "application/smil",
            'application/smil; name="pres.smil"',
            "audio/amr",
            "video/3gpp",
            "application/octet-stream",
            'text/plain; charset="iso-8859-1"; name="a b.txt"',
        )
    ),
    st.from_regex(r"[a-z]{1,10}/[a-z0-9.+-]{1,12}", fullmatch=True),
)


@st.composite
def content_parts(draw: st.DrawFn) -> tuple[ContentPart, ...]:
    ids = draw(st.lists(_content_ids, min_size=1, max_size=3, unique=True))
    return tuple(
        ContentPart(cid, draw(_content_types), draw(st.binary(max_size=600))) for cid in ids
    )


# --------------------------------------------------------------------------- messages


# ExpiryDate / EarliestDeliveryTime: absolute or relative, as strict mode takes them.
_TIMES = (
    "2024-05-01T10:00:00Z",
    "2024-05-01T10:00:00.5+02:00",
    "P2D",
    "PT1H30M",
    "P1Y2M3DT4H5M6.7S",
)


@st.composite
def submit_reqs(draw: st.DrawFn, ns: str, *, multipart: bool) -> SubmitReq:
    recipients = st.lists(addresses(), max_size=3).map(tuple)
    to, cc, bcc = draw(recipients), draw(recipients), draw(recipients)
    if not (to or cc or bcc):  # Recipients needs at least one address
        to = (draw(addresses()),)
    parts: tuple[ContentPart, ...] = ()
    href = None
    if multipart:
        parts = draw(content_parts())
        cid = draw(st.sampled_from([p.content_id for p in parts]))
        # As the encoder defaults it, or written by the caller in any form that resolves.
        href = draw(
            st.sampled_from(
                (None, f"cid:{cid}", f"CID:{cid}", f" cid:{cid} ", f"cid:{quote(cid, safe='')}")
            )
        )
    m = SubmitReq(
        transaction_id=draw(unpadded()),
        namespace=ns,
        version=draw(VERSIONS),
        vasp_id=draw(st.none() | xml_text()),
        vas_id=draw(st.none() | xml_text()),
        sender_address=draw(st.none() | addresses()),
        to=to,
        cc=cc,
        bcc=bcc,
        service_code=draw(st.none() | xml_text()),
        linked_id=draw(st.none() | xml_text()),
        message_class=draw(
            st.none() | st.sampled_from(("Personal", "Informational", "Advertisement", "Auto"))
        ),
        delivery_report=draw(st.none() | st.booleans()),
        read_reply=draw(st.none() | st.booleans()),
        priority=draw(st.none() | st.sampled_from(("Normal", "High", "Low"))),
        subject=draw(st.none() | xml_text(max_size=20)),
        earliest_delivery_time=draw(st.none() | st.sampled_from(_TIMES)),
        expiry_date=draw(st.none() | st.sampled_from(_TIMES)),
        content_href=href,
        parts=parts,
        **draw(_applic(ns)),
    )
    return m


@st.composite
def submit_rsps(draw: st.DrawFn, ns: str) -> SubmitRsp:
    status = draw(statuses())
    # A successful SubmitRsp must carry the MessageID the relay assigned.
    message_id = draw(xml_text() if status.ok else st.none() | xml_text())
    return SubmitRsp(draw(unpadded()), ns, draw(VERSIONS), status=status, message_id=message_id)


@st.composite
def delivery_report_reqs(draw: st.DrawFn, ns: str) -> DeliveryReportReq:
    return DeliveryReportReq(
        draw(unpadded()),
        ns,
        draw(VERSIONS),
        message_id=draw(xml_text()),
        recipient=draw(addresses()),
        sender=draw(addresses()),
        date=draw(xs_datetimes()),
        mm_status=draw(st.sampled_from(MM_STATUSES)),
        relay_server_id=draw(st.none() | xml_text()),
        status_text=draw(st.none() | xml_text()),
        **draw(_applic(ns)),
    )


_FAULT_LOCALS = st.one_of(
    st.sampled_from(("Server", "Client", "MustUnderstand", "VersionMismatch", "Server.MM7")),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,12}", fullmatch=True),
)


@st.composite
def soap_faults(draw: st.DrawFn, ns: str) -> SoapFault:
    tid = draw(unpadded())
    faultcode = "env:" + draw(_FAULT_LOCALS)
    faultstring = draw(xml_text())
    if draw(st.booleans()):
        # A bare Fault carries no MM7Version: it decodes with the default one.
        return SoapFault(tid, ns, DEFAULT_VERSION, faultcode=faultcode, faultstring=faultstring)
    cls = draw(st.sampled_from((RSErrorRsp, VASPErrorRsp)))
    detail = cls(tid, ns, draw(VERSIONS), status=draw(statuses()))
    return SoapFault(
        tid, ns, detail.version, faultcode=faultcode, faultstring=faultstring, detail=detail
    )


def _parts_and_href(draw: st.DrawFn) -> tuple[tuple[ContentPart, ...], str | None]:
    parts = draw(content_parts())
    cid = draw(st.sampled_from([p.content_id for p in parts]))
    href = draw(
        st.sampled_from(
            (None, f"cid:{cid}", f"CID:{cid}", f" cid:{cid} ", f"cid:{quote(cid, safe='')}")
        )
    )
    return parts, href


_PRIORITIES = st.sampled_from(("Normal", "High", "Low"))


# Field strategies the requests share: most of their elements are optional.
_OPT_TEXT = st.none() | xml_text()
_OPT_ADDRESS = st.none() | addresses()
_OPT_DATETIME = st.none() | xs_datetimes()
_OPT_BOOL = st.none() | st.booleans()
_OPT_TIME = st.none() | st.sampled_from(_TIMES)
_RECIPIENTS = st.lists(addresses(), max_size=2).map(tuple)


class _Rel6Only(NamedTuple):
    """A field the namespaces define from REL-6 on: None before, with nothing drawn."""

    strategy: st.SearchStrategy[Any]


@dataclass(frozen=True)
class _Request:
    """How to draw one request operation.

    The draw order is: the parts (``+parts`` only), the transaction id, the
    version, ``fields`` in the order given, then the Applic* fields when
    ``applic``. Keep that order: it is what fixes the examples a seed gives.
    """

    cls: type[MM7Message]
    fields: tuple[tuple[str, st.SearchStrategy[Any] | _Rel6Only], ...]
    content: bool = False  # has content_href and parts (and so a "+parts" variant)
    applic: bool = True


_REQUESTS: dict[str, _Request] = {
    "DeliverReq": _Request(
        DeliverReq,
        (
            ("sender", addresses()),
            ("relay_server_id", _OPT_TEXT),
            ("vasp_id", _Rel6Only(_OPT_TEXT)),
            ("vas_id", _Rel6Only(_OPT_TEXT)),
            ("linked_id", _OPT_TEXT),
            ("to", _RECIPIENTS),
            ("cc", _RECIPIENTS),
            ("bcc", _RECIPIENTS),
            ("timestamp", _OPT_DATETIME),
            ("reply_charging_id", _OPT_TEXT),
            ("priority", st.none() | _PRIORITIES),
            ("subject", st.none() | xml_text(max_size=20)),
        ),
        content=True,
    ),
    "CancelReq": _Request(
        CancelReq,
        (
            ("message_id", xml_text()),
            ("vasp_id", _OPT_TEXT),
            ("vas_id", _OPT_TEXT),
            ("sender_address", _OPT_ADDRESS),
        ),
    ),
    "ReplaceReq": _Request(
        ReplaceReq,
        (
            ("message_id", xml_text()),
            ("vasp_id", _OPT_TEXT),
            ("vas_id", _OPT_TEXT),
            ("sender_address", _OPT_ADDRESS),
            ("service_code", _OPT_TEXT),
            ("timestamp", _OPT_DATETIME),
            ("read_reply", _OPT_BOOL),
            ("earliest_delivery_time", _OPT_TIME),
            ("distribution_indicator", _OPT_BOOL),
        ),
        content=True,
    ),
    "ReadReplyReq": _Request(
        ReadReplyReq,
        (
            ("message_id", xml_text()),
            ("recipient", addresses()),
            ("sender", addresses()),
            ("timestamp", xs_datetimes()),
            ("mm_status", st.sampled_from(READ_STATUSES)),
            ("relay_server_id", _OPT_TEXT),
            ("status_text", _OPT_TEXT),
        ),
    ),
    "extendedCancelReq": _Request(
        ExtendedCancelReq,
        (
            ("cancel_id", xml_text()),
            ("vasp_id", _OPT_TEXT),
            ("vas_id", _OPT_TEXT),
            ("sender_address", _OPT_ADDRESS),
        ),
        applic=False,
    ),
    "extendedReplaceReq": _Request(
        ExtendedReplaceReq,
        (
            ("vasp_id", _OPT_TEXT),
            ("vas_id", _OPT_TEXT),
            ("service_code", _OPT_TEXT),
            ("replace_id", _OPT_TEXT),
            ("timestamp", _OPT_DATETIME),
            ("earliest_delivery_time", _OPT_TIME),
            ("expiry_date", _OPT_TIME),
            ("read_reply", _OPT_BOOL),
            ("delivery_report", _OPT_BOOL),
        ),
        content=True,
        applic=False,
    ),
}


@st.composite
def requests(draw: st.DrawFn, op: str, ns: str, *, multipart: bool = False) -> MM7Message:
    """Valid requests of ``op`` (a key of ``_REQUESTS``) in ``ns``; ``multipart``: with parts."""
    spec = _REQUESTS[op]
    parts, href = _parts_and_href(draw) if multipart else ((), None)
    tid, version = draw(unpadded()), draw(VERSIONS)
    rel6 = is_rel6(ns)
    fields: dict[str, Any] = {}
    for name, strategy in spec.fields:
        if isinstance(strategy, _Rel6Only):
            fields[name] = draw(strategy.strategy) if rel6 else None
        else:
            fields[name] = draw(strategy)
    if spec.content:
        fields.update(content_href=href, parts=parts)
    if spec.applic:
        fields.update(draw(_applic(ns)))
    return spec.cls(tid, ns, version, **fields)


def message(op: str, ns: str) -> st.SearchStrategy[MM7Message]:
    """Valid messages of one operation in one namespace."""
    generic = {
        "DeliveryReportRsp": DeliveryReportRsp,
        "RSErrorRsp": RSErrorRsp,
        "VASPErrorRsp": VASPErrorRsp,
        "CancelRsp": CancelRsp,
        "ReplaceRsp": ReplaceRsp,
        "ReadReplyRsp": ReadReplyRsp,
        "extendedCancelRsp": ExtendedCancelRsp,
    }
    if op in generic:
        cls = generic[op]
        return st.builds(
            lambda tid, v, s: cls(tid, ns, v, status=s), unpadded(), VERSIONS, statuses()
        )
    if op.removesuffix("+parts") in _REQUESTS:
        return requests(op.removesuffix("+parts"), ns, multipart=op.endswith("+parts"))
    builders: dict[str, Callable[[], st.SearchStrategy[MM7Message]]] = {
        "SubmitReq": lambda: submit_reqs(ns, multipart=False),
        "SubmitReq+parts": lambda: submit_reqs(ns, multipart=True),
        "SubmitRsp": lambda: submit_rsps(ns),
        "DeliveryReportReq": lambda: delivery_report_reqs(ns),
        "SoapFault": lambda: soap_faults(ns),
        "DeliverRsp": lambda: st.builds(
            lambda tid, v, s, sc: DeliverRsp(tid, ns, v, status=s, service_code=sc),
            unpadded(),
            VERSIONS,
            statuses(),
            st.none() | xml_text(),
        ),
        "extendedReplaceRsp": lambda: st.builds(
            lambda tid, v, s, mid: ExtendedReplaceRsp(tid, ns, v, status=s, message_id=mid),
            unpadded(),
            VERSIONS,
            statuses(),
            xml_text(),
        ),
    }
    return builders[op]()


def messages(operations: tuple[str, ...] = OPERATIONS) -> st.SearchStrategy[MM7Message]:
    """Valid messages of the given operations (default: those before issue 16's)
    in every namespace that defines them."""
    return st.one_of(
        [
            st.sampled_from(namespaces_of(op)).flatmap(lambda ns, op=op: message(op, ns))
            for op in operations
        ]
    )


def expected(m: MM7Message) -> MM7Message:
    """What decoding ``encode(m)`` must give back.

    Error responses travel inside a SOAP Fault (faultcode Client for 2xxx,
    Server otherwise; faultstring the status text, else the table's text);
    a SubmitReq with parts and no href points at the first part.
    """
    if isinstance(m, RSErrorRsp | VASPErrorRsp):
        code = m.status.code
        return SoapFault(
            m.transaction_id,
            m.namespace,
            m.version,
            faultcode="env:Client" if 2000 <= code < 3000 else "env:Server",
            faultstring=m.status.text or STATUS_TEXT.get(code, "Error"),
            detail=m,
        )
    with_content = SubmitReq | DeliverReq | ReplaceReq | ExtendedReplaceReq
    if isinstance(m, with_content) and m.parts and m.content_href is None:
        return replace(m, content_href=f"cid:{m.parts[0].content_id}")
    return m


# --------------------------------------------------------------------------- junk input


def content_types() -> st.SearchStrategy[str]:
    """Content-Type values: the right ones, near misses, and anything at all."""
    boundary = st.one_of(st.text(max_size=12), st.sampled_from(("XYZ", "b", "", '"')))
    param = st.sampled_from(
        ("type", "start", "boundary", "charset", "boundary*", "boundary*0", "start*", "x")
    )
    params = st.lists(
        st.tuples(
            param,
            st.one_of(
                st.text(max_size=10),
                boundary,
                st.sampled_from(('"<mm7-envelope>"', "utf-8''%41", '"text/xml"')),
            ),
        ),
        max_size=4,
    )
    base = st.sampled_from(
        (
            "text/xml",
            "multipart/related",
            "application/xml",
            "Multipart/Related",
            "text/plain",
            "multipart/mixed",
            "",
            "/",
            ";",
        )
    )
    structured = st.builds(lambda b, ps: b + "".join(f"; {k}={v}" for k, v in ps), base, params)
    return st.one_of(
        structured,
        st.text(max_size=40),
        st.sampled_from(
            (
                'text/xml; charset="utf-8"',
                'multipart/related; boundary="XYZ"; type="text/xml"',
                "multipart/related; boundary=XYZ; start=<e>",
                # RFC 2231 continuations the email package trips on
                "multipart/related; boundary*=; boundary*0=",
                "multipart/related; boundary=XYZ; start*0=a; start*=b",
            )
        ),
    )


def soap_actions() -> st.SearchStrategy[str | None]:
    return st.one_of(
        st.none(),
        st.sampled_from(('""', "", '"urn:x"', *MM7_NAMESPACES[-2:])),
        st.text(max_size=20),
    )


@st.composite
def junk_bodies(draw: st.DrawFn) -> bytes:
    """Bytes that get past the first checks now and then: MIME-ish and XML-ish."""
    xmlish = st.lists(
        st.sampled_from(
            (
                b"<?xml version='1.0'?>",
                f'<env:Envelope xmlns:env="{SOAP_ENV_NS}">'.encode(),
                b"<env:Header>",
                b"</env:Header>",
                b"<env:Body>",
                b"</env:Body>",
                b"</env:Envelope>",
                f'<SubmitReq xmlns="{MM7_NAMESPACES[-1]}">'.encode(),
                b"<MM7Version>6.8.0</MM7Version>",
                b"<env:Fault>",
                b"<faultcode>env:Server</faultcode>",
                b"<Status>",
                b"<StatusCode>",
                b"</StatusCode>",
                b"</Status>",
                b"<!--x-->",
                b"<![CDATA[",
                b"]]>",
                b"&amp;",
                b"&x;",
                b"\xef\xbb\xbf",
                b"\xff\xfe",
                b"\x00",
                b"<a>",
                b"</a>",
            )
        ),
        max_size=14,
    ).map(b"".join)
    mimeish = st.lists(
        st.one_of(
            st.sampled_from(
                (
                    b"--XYZ\r\n",
                    b"--XYZ--\r\n",
                    b"Content-Type: text/xml\r\n",
                    b"Content-ID: <e>\r\n",
                    b"Content-Type: multipart/mixed; boundary=XYZ\r\n",
                    b"\r\n",
                    b"Content-Transfer-Encoding: base64\r\n",
                    b"Content-Transfer-Encoding: quoted-printable\r\n",
                    b"Content-ID: <mm7-envelope>\r\n",
                    b"=\r\n",
                    b"=4",
                    b"R0lGODlh",
                    b"!!",
                )
            ),
            xmlish,
        ),
        max_size=12,
    ).map(b"".join)
    return draw(st.one_of(st.binary(max_size=300), xmlish, mimeish))


# --------------------------------------------------------------------------- mutators
#
# A mutator takes a random.Random and a valid body and returns a damaged body.
# Hypothesis draws the Random (st.randoms), so failures shrink and replay.

Mutator = Callable[[random.Random, bytes], bytes]
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _envelope_span(body: bytes) -> tuple[int, int]:
    """Where the SOAP envelope sits in a body (the whole body, or the first MIME part)."""
    start = body.find(b"<?xml")
    end = body.find(b"</env:Envelope>")
    if start < 0 or end < 0:
        return 0, len(body)
    return start, end + len(b"</env:Envelope>")


def _on_tree(change: Callable[[random.Random, etree._Element], None]) -> Mutator:
    """A mutator that edits the envelope's element tree and writes it back in place."""

    def mutate(rnd: random.Random, body: bytes) -> bytes:
        start, end = _envelope_span(body)
        try:
            root = etree.fromstring(body[start:end], _PARSER)
        except etree.XMLSyntaxError:
            return body
        change(rnd, root)
        xml = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
        return body[:start] + xml + body[end:]

    mutate.__name__ = change.__name__.lstrip("_")
    return mutate


def _pick(rnd: random.Random, root: etree._Element) -> etree._Element:
    elements = [el for el in root.iter() if isinstance(el.tag, str) and el is not root]
    return rnd.choice(elements) if elements else root


def _duplicate_element(rnd: random.Random, root: etree._Element) -> None:
    el = _pick(rnd, root)
    if el.getparent() is not None:
        el.addnext(etree.fromstring(etree.tostring(el, with_tail=False)))


def _swap_elements(rnd: random.Random, root: etree._Element) -> None:
    parents = [
        el
        for el in root.iter()
        if isinstance(el.tag, str) and len([c for c in el if isinstance(c.tag, str)]) >= 2
    ]
    if not parents:
        return
    parent = rnd.choice(parents)
    kids = [c for c in parent if isinstance(c.tag, str)]
    a, b = rnd.sample(kids, 2)
    ia, ib = parent.index(a), parent.index(b)
    parent.remove(a)
    parent.insert(ib - 1 if ib > ia else ib, a)
    parent.remove(b)
    parent.insert(ia, b)


def _remove_element(rnd: random.Random, root: etree._Element) -> None:
    el = _pick(rnd, root)
    parent = el.getparent()
    if parent is not None:
        parent.remove(el)


_OTHER_NAMESPACES = (
    *MM7_NAMESPACES,
    SOAP_ENV_NS,
    "http://www.w3.org/2003/05/soap-envelope",
    "urn:vendor",
    "rel/ative",
    "",
)


def _rename_namespace(rnd: random.Random, root: etree._Element) -> None:
    el = _pick(rnd, root) if rnd.random() < 0.8 else root
    ns = rnd.choice(_OTHER_NAMESPACES)
    local = etree.QName(el).localname
    el.tag = f"{{{ns}}}{local}" if ns else local


def _unicode_text(rnd: random.Random, root: etree._Element) -> None:
    el = _pick(rnd, root)
    pieces = [rnd.choice(SPECIALS) for _ in range(rnd.randint(1, 6))]
    pieces += [
        chr(
            rnd.choice(
                (
                    rnd.randint(0x20, 0xD7FF),
                    rnd.randint(0xE000, 0xFFFD),
                    rnd.randint(0x10000, 0x10FFFF),
                )
            )
        )
        for _ in range(3)
    ]
    rnd.shuffle(pieces)
    text = "".join(pieces)
    if rnd.random() < 0.5 or len(el):
        el.text = text
    else:
        el.tail = text


def _huge_text(rnd: random.Random, root: etree._Element) -> None:
    el = _pick(rnd, root)
    fill = rnd.choice(("x", "9", " ", "é", "0", "+"))
    el.text = fill * rnd.choice((5_000, 100_000, 1_100_000, 2_100_000))


def _insert_nodes(rnd: random.Random, root: etree._Element) -> None:
    """Comments, PIs and foreign elements where the schema has none (also in xs:any)."""
    el = _pick(rnd, root)
    kind = rnd.randrange(4)
    if kind == 0:
        node: etree._Element = etree.Comment("c")
    elif kind == 1:
        node = etree.ProcessingInstruction("pi", "x")
    else:
        ns = rnd.choice(_OTHER_NAMESPACES)
        node = etree.Element(f"{{{ns}}}Extra" if ns else "Extra")
        node.text = "1"
    el.insert(rnd.randint(0, len(el)), node)


def _sprinkle_nodes(rnd: random.Random, root: etree._Element) -> None:
    """Comments and PIs in many elements at once: a reader must skip them anywhere."""
    share = rnd.choice((0.2, 0.5, 1.0))
    for el in [e for e in root.iter() if isinstance(e.tag, str)]:
        if rnd.random() < share:
            node = (
                etree.Comment(" c ")
                if rnd.random() < 0.5
                else etree.ProcessingInstruction("pi", "x")
            )
            el.insert(rnd.randint(0, len(el)), node)


def _attribute(rnd: random.Random, root: etree._Element) -> None:
    el = _pick(rnd, root)
    keys = list(el.attrib)
    if keys and rnd.random() < 0.5:
        del el.attrib[rnd.choice(keys)]
    else:
        name = rnd.choice(
            (
                f"{{{SOAP_ENV_NS}}}mustUnderstand",
                "href",
                "allowAdaptations",
                "mustUnderstand",
                "{urn:x}a",
            )
        )
        el.set(name, rnd.choice(("1", "0", "true", "", "cid:", "cid:nope", " x ", "é")))


TYPED_LEAVES = (
    "MM7Version",
    "StatusCode",
    "Date",
    "TimeStamp",
    "MMStatus",
    "DeliveryReport",
    "ReadReply",
    "Priority",
    "MessageClass",
    "faultcode",
)

#: Values typed leaves get wrong: signs, scripts, sizes, case, padding, ranges.
NEAR_MISSES: tuple[str, ...] = (
    "",
    " ",
    "0",
    "-1",
    "+1000",
    "00001000",
    "1e3",
    "١٠٠٠",
    "9" * 5000,
    "0" * 4999 + "1",
    "TRUE",
    "yes",
    "2024-02-30T00:00:00Z",
    "2024-05-01T24:00:00Z",
    "٢٠٢٤-05-01T10:00:00Z",
    "Wed, 01 May 2024 10:00:00 +0000",
    "20240501",
    "5.3.0 ",
    "1.0",
    "Retrieved ",
    "1",
    "env:Client",
    "x:Server",
    ":",
    "cid:",
    "Informational\u00a0",
    "\u00a0T1",
)


def _semantic_text(rnd: random.Random, root: etree._Element) -> None:
    """Typed leaves (codes, dates, booleans, enums) set to near-miss values."""
    leaves = [el for el in root.iter() if isinstance(el.tag, str) and len(el) == 0]
    typed = [el for el in leaves if etree.QName(el).localname in TYPED_LEAVES]
    if not leaves:
        return
    rnd.choice(typed if typed and rnd.random() < 0.7 else leaves).text = rnd.choice(NEAR_MISSES)


def namespace_swap_bytes(rnd: random.Random, body: bytes) -> bytes:
    """Replace one namespace URI occurrence with another, at the byte level."""
    uris = [u.encode() for u in (*MM7_NAMESPACES, SOAP_ENV_NS) if u.encode() in body]
    if not uris:
        return body
    old = rnd.choice(uris)
    new = rnd.choice(_OTHER_NAMESPACES).encode()
    count = rnd.choice((1, -1))
    return body.replace(old, new, count)


def base64_damage(rnd: random.Random, body: bytes) -> bytes:
    """Damage a base64 MIME part body (padding, alphabet, length)."""
    marker = b"Content-Transfer-Encoding: base64\r\n\r\n"
    at = body.find(marker)
    if at < 0:
        return body
    at += len(marker)
    cut = body.find(b"\r\n--", at)
    cut = len(body) if cut < 0 else cut
    payload = body[at:cut]
    damaged = rnd.choice(
        (
            payload + b"=",
            payload[:-1],
            payload.replace(b"A", b"*", 1),
            b"",
            base64.b64encode(b"\x00" * rnd.randint(0, 9)) + b"!",
            payload + b"\r\n" + payload,
        )
    )
    return body[:at] + damaged + body[cut:]


MUTATORS: tuple[Mutator, ...] = (
    _on_tree(_duplicate_element),
    _on_tree(_swap_elements),
    _on_tree(_remove_element),
    _on_tree(_rename_namespace),
    _on_tree(_unicode_text),
    _on_tree(_huge_text),
    _on_tree(_insert_nodes),
    _on_tree(_sprinkle_nodes),
    _on_tree(_attribute),
    _on_tree(_semantic_text),
    namespace_swap_bytes,
    base64_damage,
)
