"""Fuzz targets of the bearer-choice codecs: PAP (documents and multipart requests), SIP,
PIDF, the WSP push PDU and tokenised SI.

``targets(CodecTarget, Wire)`` builds them; ``tests/support/targets/bearer_choice.py``
lists them, so ``tox -e fuzz`` runs every generic property - round trip, junk,
mutations, well-formed errors - at 10,000 cases each for every one.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import strategies as st

from mmsconf.emulators.codecs import pap, pidf, si, sip, wsp_push

# --- text that survives XML and SIP --------------------------------------------------------

#: Characters XML and SIP text may carry, the awkward ones among them (markup, quotes,
#: ampersands, non-ASCII, astral): sampled from a list, which is much cheaper to draw
#: than a Unicode category filter at 10,000 cases.
_CHARS = [*"abcXYZ019 -_.@:/+=?&<>\"'#;%,()[]{}", "é", "ß", "中", "ا", "€", "–", "“", "😀", "\t"]
_SAFE = st.sampled_from(_CHARS)


def _text(max_size: int = 30) -> st.SearchStrategy[str]:
    """Non-empty XML-safe text with nothing to strip at either end."""
    return st.text(_SAFE, min_size=1, max_size=max_size).map(lambda s: s.strip()).filter(bool)


_TOKEN = st.text("abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=1, max_size=12).filter(
    lambda s: s[0].isalnum() and s[-1].isalnum()
)
_DIGITS = st.text("0123456789", min_size=5, max_size=15)
_TIMES = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2090, 1, 1)).map(
    lambda d: d.replace(microsecond=0, tzinfo=dt.UTC)
)


def _address() -> st.SearchStrategy[str]:
    plmn = st.builds(lambda n, p: f"WAPPUSH=+{n}/TYPE=PLMN@{p}", _DIGITS, _TOKEN)
    ipv4 = st.builds(
        lambda a, b, p: f"WAPPUSH=127.0.{a}.{b}/TYPE=IPv4@{p}",
        st.integers(0, 255),
        st.integers(0, 255),
        _TOKEN,
    )
    return st.one_of(plmn, ipv4)


def _qos() -> st.SearchStrategy[pap.QualityOfService | None]:
    return st.none() | st.builds(
        pap.QualityOfService,
        priority=st.sampled_from(pap.PRIORITIES),
        delivery_method=st.sampled_from(pap.DELIVERY_METHODS),
        network=st.sampled_from(pap.NETWORKS),
        network_required=st.booleans(),
        bearer=st.sampled_from(pap.BEARERS),
        bearer_required=st.booleans(),
    )


_CODES = st.sampled_from(sorted(pap.RESULT_CODES))
_OPT_TEXT = st.none() | _text()
_OPT_TIME = st.none() | _TIMES


def _push() -> st.SearchStrategy[pap.PushMessage]:
    return st.builds(
        pap.PushMessage,
        push_id=_text(),
        addresses=st.lists(_address(), min_size=1, max_size=3).map(tuple),
        deliver_before=_OPT_TIME,
        deliver_after=_OPT_TIME,
        source_reference=_OPT_TEXT,
        progress_notes_requested=st.booleans(),
        ppg_notify_requested_to=st.none() | _TOKEN.map(lambda t: f"http://127.0.0.1/{t}"),
        qos=_qos(),
    )


def pap_messages() -> st.SearchStrategy[Any]:
    push = _push()
    response = st.builds(
        pap.PushResponse,
        push_id=_text(),
        result=st.builds(pap.ResponseResult, _CODES, _OPT_TEXT),
        sender_address=_OPT_TEXT,
        sender_name=_OPT_TEXT,
        reply_time=_OPT_TIME,
    )
    bad = st.builds(pap.BadMessageResponse, _CODES, _OPT_TEXT, _OPT_TEXT)
    note = st.builds(
        pap.ResultNotificationMessage,
        push_id=_text(),
        address=_address(),
        message_state=st.sampled_from(pap.MESSAGE_STATES),
        code=_CODES,
        desc=_OPT_TEXT,
        sender_address=_OPT_TEXT,
        sender_name=_OPT_TEXT,
        received_time=_OPT_TIME,
        event_time=_OPT_TIME,
        qos=_qos(),
    )
    note_rsp = st.builds(
        pap.ResultNotificationResponse, _text(), _CODES, _OPT_TEXT, st.none() | _address()
    )
    query = st.builds(pap.StatusQueryMessage, _text(), st.lists(_address(), max_size=2).map(tuple))
    cancel = st.builds(pap.CancelMessage, _text(), st.lists(_address(), max_size=2).map(tuple))
    query_rsp = st.builds(
        pap.StatusQueryResponse,
        _text(),
        st.lists(
            st.builds(
                pap.StatusQueryResult,
                st.sampled_from(pap.MESSAGE_STATES),
                _CODES,
                _OPT_TEXT,
                _OPT_TIME,
                st.none() | _address(),
            ),
            min_size=1,
            max_size=3,
        ).map(tuple),
    )
    cancel_rsp = st.builds(
        pap.CancelResponse,
        _text(),
        st.lists(
            st.builds(pap.CancelResult, _CODES, _OPT_TEXT, st.none() | _address()),
            min_size=1,
            max_size=3,
        ).map(tuple),
    )
    return st.one_of(push, response, bad, note, note_rsp, query, cancel, query_rsp, cancel_rsp)


def _pap_mutate_doctype(rnd: random.Random, body: bytes) -> bytes:
    subset = rnd.choice(
        [b' [<!ENTITY x SYSTEM "file:///etc/passwd">]', b" [%p;]", b" [<?pi?>]", b" ["]
    )
    return body.replace(b'.dtd">', b'.dtd"' + subset + b">", 1)


def _pap_curly(rnd: random.Random, body: bytes) -> bytes:
    at = body.find(b'="')
    if at < 0:
        return body
    end = body.find(b'"', at + 2)
    return (
        body[: at + 1]
        + "\u201c".encode()
        + body[at + 2 : end]
        + "\u201d".encode()
        + body[end + 1 :]
    )


def _pap_case(rnd: random.Random, body: bytes) -> bytes:
    for old, new in ((b"WAPPUSH", b"wappush"), (b"PLMN", b"plmn"), (b'"true"', b'"TRUE"')):
        if old in body and rnd.random() < 0.5:
            body = body.replace(old, new, 1)
    return body


PAP_MUTATORS = (_pap_mutate_doctype, _pap_curly, _pap_case)


def check_pap_error(error: Exception) -> None:
    assert isinstance(error, pap.PapError)
    assert error.field.strip() and error.reason.strip(), error
    assert error.code in pap.RESULT_CODES, error
    if error.deviation is not None:
        assert error.deviation in pap.DEVIATION_CODES


# --- PAP requests (multipart/related) ---------------------------------------------------------


def pap_requests() -> st.SearchStrategy[Any]:
    content = st.builds(
        pap.ContentEntity,
        st.sampled_from(
            ["application/vnd.wap.mms-message", "text/vnd.wap.si", "application/vnd.wap.sic"]
        ),
        st.binary(min_size=1, max_size=64),
        st.sampled_from([(), (("X-Wap-Application-Id", "x-wap-application:mms.ua"),)]),
    )
    return st.tuples(_push(), content)


# --- SIP ---------------------------------------------------------------------------------

_METHODS = st.sampled_from(["REGISTER", "MESSAGE", "OPTIONS", "INVITE", "BYE"])
_USER = st.one_of(_DIGITS.map(lambda d: "+" + d), _TOKEN)
_HOST = st.builds(lambda a, b: f"127.0.{a}.{b}", st.integers(0, 255), st.integers(1, 254))
_VALUE = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20)


def _sip_common(method: str, draw: Callable) -> list[tuple[str, str]]:
    host = draw(_HOST)
    port = draw(_PORTS)
    branch = sip.BRANCH_COOKIE + draw(_TOKEN)
    user = draw(_USER)
    headers = [
        ("Via", f"SIP/2.0/UDP {host}:{port};branch={branch}"),
        ("Max-Forwards", str(draw(_FORWARDS))),
        ("From", f"<sip:{draw(_USER)}@{draw(_TOKEN)}>;tag={draw(_TOKEN)}"),
        ("To", f"<sip:{user}@{draw(_TOKEN)}>"),
        ("Call-ID", f"{draw(_TOKEN)}@{host}"),
        ("CSeq", f"{draw(_CSEQS)} {method}"),
    ]
    if draw(_BOOLS):
        tag = f';{sip.PUSH_FEATURE_TAG}="{sip.MMS_PUSH_APP}"' if draw(_BOOLS) else ""
        headers.append(("Contact", f"<sip:{user}@{host}:{port}>{tag};expires=60"))
    if draw(_BOOLS):
        headers.append(("X-Extra", draw(_VALUE)))
    return headers


_BODIES = st.binary(max_size=64)
_BOOLS = st.booleans()
_STATUSES = st.sampled_from(sorted(sip.REASONS))
_PORTS = st.integers(1, 65535)
_FORWARDS = st.integers(0, 255)
_CSEQS = st.integers(0, 2**31 - 1)


@st.composite
def sip_messages(draw: Callable) -> sip.SipMessage:
    method = draw(_METHODS)
    headers = _sip_common(method, draw)
    body = draw(_BODIES)
    if body:
        headers.append(("Content-Type", "application/vnd.wap.mms-message"))
    if draw(_BOOLS):
        return sip.SipRequest(method, f"sip:{draw(_USER)}@{draw(_HOST)}", tuple(headers), body)
    status = draw(_STATUSES)
    return sip.SipResponse(status, sip.REASONS[status], tuple(headers), body)


def sip_expected(message: sip.SipMessage) -> sip.SipMessage:
    headers = (*message.headers, ("Content-Length", str(len(message.body))))
    if isinstance(message, sip.SipRequest):
        return sip.SipRequest(message.method, message.uri, headers, message.body)
    return sip.SipResponse(message.status, message.reason, headers, message.body)


def _sip_bare_lf(rnd: random.Random, body: bytes) -> bytes:
    head, sep, rest = body.partition(b"\r\n\r\n")
    return head.replace(b"\r\n", b"\n") + b"\n\n" + rest if sep else body


def _sip_drop_line(rnd: random.Random, body: bytes) -> bytes:
    lines = body.split(b"\r\n")
    if len(lines) > 3:
        del lines[rnd.randrange(1, len(lines) - 2)]
    return b"\r\n".join(lines)


def _sip_length(rnd: random.Random, body: bytes) -> bytes:
    return body.replace(
        b"Content-Length: ", b"Content-Length: " + str(rnd.randint(0, 9)).encode(), 1
    )


SIP_MUTATORS = (_sip_bare_lf, _sip_drop_line, _sip_length)


def check_sip_error(error: Exception) -> None:
    assert isinstance(error, sip.SipError)
    assert error.field.strip() and error.reason.strip(), error
    assert error.status in (400, 416, 505, 513), error


# --- PIDF -----------------------------------------------------------------------------------


def _note_text() -> st.SearchStrategy[str]:
    return _text(20).filter(lambda s: "\r" not in s and "\n" not in s)


_NOTE = _note_text()
_NOTES = st.lists(_NOTE, max_size=2).map(tuple)
_METHOD_LISTS = st.lists(st.sampled_from(["MESSAGE", "OPTIONS"]), max_size=2).map(tuple)
_CONTACTS = st.none() | _TOKEN.map(lambda t: f"sip:{t}@127.0.0.1")
_PRIORITIES = st.none() | st.sampled_from([0.0, 0.5, 0.8, 1.0])
_BASICS = st.sampled_from([None, "open", "closed"])
_PIDF_BEARERS = st.none() | st.sampled_from(pidf.BEARERS)
_IDS = st.lists(_TOKEN, min_size=0, max_size=3, unique=True)
_ENTITIES = st.builds(lambda s, t: s + t, st.sampled_from(["tel:", "sip:"]), _TOKEN)


@st.composite
def pidf_documents(draw: Callable) -> pidf.Presence:
    tuples = []
    for tid in draw(_IDS):
        contact = draw(_CONTACTS)
        tuples.append(
            pidf.Tuple(
                id="t" + tid,
                basic=draw(_BASICS),
                contact=contact,
                priority=draw(_PRIORITIES) if contact else None,
                bearer=draw(_PIDF_BEARERS),
                feature_tags=draw(_NOTES),
                methods=draw(_METHOD_LISTS),
                notes=draw(_NOTES),
            )
        )
    return pidf.Presence(draw(_ENTITIES), tuple(tuples), draw(_NOTES))


def _pidf_closed_case(rnd: random.Random, body: bytes) -> bytes:
    return body.replace(b"<basic>open", b"<basic>Open", 1)


def _pidf_no_ns(rnd: random.Random, body: bytes) -> bytes:
    return body.replace(b' xmlns="urn:ietf:params:xml:ns:pidf"', b"", 1)


PIDF_MUTATORS = (_pidf_closed_case, _pidf_no_ns)


def check_pidf_error(error: Exception) -> None:
    assert isinstance(error, pidf.PidfError)
    assert error.field.strip() and error.reason.strip(), error


# --- WSP push and SI ------------------------------------------------------------------------


_MEDIA = st.sampled_from(
    [
        "application/vnd.wap.mms-message",
        "application/vnd.wap.sic",
        "text/plain",
        "application/x-mmsconf-test",
    ]
)
_APPS = (
    st.none()
    | st.sampled_from(sorted(wsp_push.APPLICATION_IDS.values()))
    | _TOKEN.map(lambda t: f"x-wap-application:{t}x")
)
_APP_HEADERS = st.lists(st.tuples(_TOKEN, _VALUE), max_size=2).map(
    lambda pairs: tuple((f"X-Mmsconf-{k}", v) for k, v in pairs)
)
push_pdus = st.builds(
    wsp_push.PushPdu,
    st.integers(0, 255),
    _MEDIA,
    st.binary(max_size=300),
    _APPS,
    _APP_HEADERS,
)


def check_wsp_error(error: Exception) -> None:
    assert isinstance(error, wsp_push.WspError)
    assert error.field.strip() and error.reason.strip(), error


def _wsp_headers_len(rnd: random.Random, body: bytes) -> bytes:
    if len(body) < 3:
        return body
    return body[:2] + bytes([rnd.randrange(256)]) + body[3:]


WSP_MUTATORS = (_wsp_headers_len,)


_SCHEMES = st.sampled_from(["http://", "https://", "http://www.", "https://www.", "ftp://"])
_HREFS = st.none() | st.builds(lambda p, t: f"{p}{t}.com/a{t}", _SCHEMES, _TOKEN)
_DATES = st.none() | _TIMES.map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"))
sis = st.builds(
    si.Si,
    href=_HREFS,
    si_id=st.none() | _text(12),
    action=st.sampled_from(si.ACTIONS),
    text=st.just("") | _text(20),
    created=_DATES,
    expires=_DATES,
    si_class=st.none() | _TOKEN,
)


def si_expected(message: si.Si) -> si.Si:
    # A date whose seconds (and minutes, hours) are zero loses its trailing zero octets on
    # the wire and reads back the same: the BCD form drops them, the reader restores them.
    return message


def check_si_error(error: Exception) -> None:
    assert isinstance(error, si.SiError)
    assert error.field.strip() and error.reason.strip(), error


PAP_MESSAGES = pap_messages()
PAP_REQUESTS = pap_requests()


# --- the targets ----------------------------------------------------------------------------


def targets(target_class: type, wire_class: type) -> list[Any]:
    W = wire_class

    def pap_decode(wire: Any, mode: str) -> tuple[Any, Sequence[Any]]:
        d = pap.decode(wire.body, mode)
        return d.message, d.deviations

    def request_encode(pair: Any) -> Any:
        message, content = pair
        built = pap.build_push(message, content)
        return W(built.body, {"content_type": built.content_type})

    def request_decode(wire: Any, mode: str) -> tuple[Any, Sequence[Any]]:
        r = pap.split_request(str(wire.meta.get("content_type", "")), wire.body, mode)
        content = r.content
        pair = (r.message, None if content is None else (content.media_type, content.data))
        return pair, r.all_deviations

    def request_expected(pair: Any) -> Any:
        message, content = pair
        return message, (content.media_type, content.data)

    def sip_decode(wire: Any, mode: str) -> tuple[Any, Sequence[Any]]:
        p = sip.parse(wire.body, mode)
        return p.message, p.deviations

    def pidf_decode(wire: Any, mode: str) -> tuple[Any, Sequence[Any]]:
        d = pidf.decode(wire.body, mode)
        return d.presence, d.deviations

    return [
        target_class(
            name="pap",
            messages=PAP_MESSAGES,
            encode=lambda m: W(pap.encode(m)),
            decode=pap_decode,
            error=pap.PapError,
            modes=("strict", "lenient"),
            mutators=PAP_MUTATORS,
            check_error=check_pap_error,
        ),
        target_class(
            name="pap-request",
            messages=PAP_REQUESTS,
            encode=request_encode,
            decode=request_decode,
            error=pap.PapError,
            modes=("strict", "lenient"),
            expected=request_expected,
            junk_meta=st.fixed_dictionaries(
                {
                    "content_type": st.sampled_from(
                        [
                            "multipart/related; boundary=b0",
                            'multipart/related; boundary="b0"; type="application/xml"',
                            "application/xml",
                            "multipart/related; boundary=b0; start=<x>",
                            "",
                        ]
                    )
                }
            ),
            check_error=check_pap_error,
        ),
        target_class(
            name="sip",
            messages=sip_messages(),
            encode=lambda m: W(sip.encode(m)),
            decode=sip_decode,
            error=sip.SipError,
            modes=("strict", "lenient"),
            expected=sip_expected,
            mutators=SIP_MUTATORS,
            check_error=check_sip_error,
        ),
        target_class(
            name="pidf",
            messages=pidf_documents(),
            encode=lambda m: W(pidf.encode(m)),
            decode=pidf_decode,
            error=pidf.PidfError,
            modes=("strict", "lenient"),
            mutators=PIDF_MUTATORS,
            check_error=check_pidf_error,
        ),
        target_class(
            name="wsp-push",
            messages=push_pdus,
            encode=lambda m: W(wsp_push.encode(m)),
            decode=lambda wire, _mode: (wsp_push.decode(wire.body), ()),
            error=wsp_push.WspError,
            mutators=WSP_MUTATORS,
            check_error=check_wsp_error,
        ),
        target_class(
            name="si",
            messages=sis,
            encode=lambda m: W(si.encode_tokens(m)),
            decode=lambda wire, _mode: (si.decode_tokens(wire.body), ()),
            error=si.SiError,
            expected=si_expected,
            check_error=check_si_error,
        ),
    ]
