"""SIP messages as text (RFC 3261): requests and responses, sans-IO, strict and lenient.

``parse(data, mode)`` reads one datagram's message and checks what every
SIP element relies on: the start line, Via (with a branch), From, To,
Call-ID, CSeq (its method the request's), Max-Forwards on requests, and
Content-Length against the body (longer is a truncated message; shorter
means the rest is discarded, RFC 3261 §18.3). Compact header names (``v``,
``f``, ``t``, ``i``, ``l``, ``m``, ``c``, ``a``, ...) read as their long
forms; folded header lines are unfolded. Errors are ``SipError(field,
reason, status)`` with the status a SIP element answers (400, or 505 for
another SIP version); ``DEVIATION_CODES`` lists what lenient mode reads and
records and strict mode refuses by name.

``encode`` writes a message with CRLF line ends and a Content-Length of its
own; ``response_to`` builds the response to a request as §8.2.6 says (Via,
From, To, Call-ID and CSeq copied, a To tag added). Helpers read name-addr
values, Via values and the OMA push feature tag ``+g.oma.pusheventapp``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from .sip_values import (
    _URI,
    MMS_PUSH_APP,
    PUSH_FEATURE_TAG,
    NameAddr,
    SipError,
    Via,
    feature_params,
    has_push_feature,
    parse_cseq,
    parse_name_addr,
    parse_via,
    uri_hostport,
    uri_user,
)

__all__ = [
    "MMS_PUSH_APP",
    "PUSH_FEATURE_TAG",
    "NameAddr",
    "Parsed",
    "SipError",
    "SipRequest",
    "SipResponse",
    "Via",
    "answer_malformed",
    "encode",
    "feature_params",
    "has_push_feature",
    "parse",
    "parse_cseq",
    "parse_name_addr",
    "parse_via",
    "response_to",
    "status_of",
    "uri_hostport",
    "uri_user",
]

#: The largest message this codec reads (a UDP datagram is at most 65,507 bytes).
MAX_MESSAGE = 65_507
VERSION = "SIP/2.0"
#: RFC 3261 §8.1.1.7: every branch this kit makes starts with it.
BRANCH_COOKIE = "z9hG4bK"

COMPACT: dict[str, str] = {
    "a": "Accept-Contact",
    "b": "Referred-By",
    "c": "Content-Type",
    "e": "Content-Encoding",
    "f": "From",
    "i": "Call-ID",
    "j": "Reject-Contact",
    "k": "Supported",
    "l": "Content-Length",
    "m": "Contact",
    "o": "Event",
    "r": "Refer-To",
    "s": "Subject",
    "t": "To",
    "u": "Allow-Events",
    "v": "Via",
    "x": "Session-Expires",
}
_CANONICAL = {
    name.lower(): name
    for name in (
        *COMPACT.values(),
        "CSeq",
        "Max-Forwards",
        "Expires",
        "User-Agent",
        "Server",
        "Allow",
        "Accept",
        "Require",
        "Unsupported",
        "Authorization",
        "Proxy-Authorization",
        "WWW-Authenticate",
        "Date",
        "Record-Route",
        "Route",
        "Warning",
        "Retry-After",
        "Min-Expires",
    )
}

REASONS: dict[int, str] = {
    100: "Trying",
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    415: "Unsupported Media Type",
    420: "Bad Extension",
    423: "Interval Too Brief",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    486: "Busy Here",
    488: "Not Acceptable Here",
    500: "Server Internal Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    505: "Version Not Supported",
}

DEVIATION_CODES: dict[str, str] = {
    "bare-lf": "lines end in LF alone, not CRLF",
    "max-forwards-missing": "a request without Max-Forwards",
    "branch-no-cookie": "a Via branch without the z9hG4bK cookie (an RFC 2543 peer)",
    "branch-missing": "a Via without a branch parameter",
    "from-tag-missing": "a request whose From has no tag",
    "content-length-short": "bytes after the body Content-Length declares (discarded)",
    "header-space": "white space between a header name and its colon",
}

_TOKEN = r"[A-Za-z0-9.!%*_+`'~-]+"
_REQUEST_LINE = re.compile(rf"({_TOKEN}) (\S+) (SIP/\d+\.\d+)")
_STATUS_LINE = re.compile(r"(SIP/\d+\.\d+) ([1-6]\d\d) ?(.*)")
_HEADER_NAME = re.compile(_TOKEN)


class Mode(StrEnum):
    STRICT = "strict"
    LENIENT = "lenient"


@dataclass(frozen=True)
class Deviation:
    code: str
    field: str
    detail: str


Headers = tuple[tuple[str, str], ...]


class _HeaderAccess:
    headers: Headers

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (long or compact form), or None."""
        want = canonical(name).lower()
        return next((v for k, v in self.headers if k.lower() == want), None)

    def header_all(self, name: str) -> list[str]:
        """Every value of ``name``, comma-separated lists split (not inside quotes or <>)."""
        want = canonical(name).lower()
        out: list[str] = []
        for k, v in self.headers:
            if k.lower() == want:
                out += split_list(v)
        return out

    @property
    def call_id(self) -> str:
        return self.header("Call-ID") or ""

    @property
    def cseq(self) -> tuple[int, str]:
        return parse_cseq(self.header("CSeq") or "")

    @property
    def branch(self) -> str:
        top = self.header_all("Via")
        return parse_via(top[0]).params.get("branch", "") if top else ""

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class SipRequest(_HeaderAccess):
    method: str
    uri: str
    headers: Headers = ()
    body: bytes = b""

    @property
    def summary(self) -> str:
        return f"{self.method} {self.uri}"


@dataclass(frozen=True)
class SipResponse(_HeaderAccess):
    status: int
    reason: str = ""
    headers: Headers = ()
    body: bytes = b""

    @property
    def summary(self) -> str:
        _n, method = parse_cseq(self.header("CSeq") or "0 ?") if self.header("CSeq") else (0, "?")
        return f"{self.status} {self.reason} ({method})"


SipMessage = SipRequest | SipResponse


@dataclass
class Parsed:
    message: SipMessage
    deviations: list[Deviation] = field(default_factory=list)


def canonical(name: str) -> str:
    """A header name in its long, usual spelling (compact forms expanded)."""
    low = name.strip().lower()
    if low in COMPACT:
        return COMPACT[low]
    return _CANONICAL.get(low, name.strip())


def split_list(value: str) -> list[str]:
    """A comma-separated header value split where commas are not inside quotes or <>."""
    out, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(value):
        if ch == '"' and (i == 0 or value[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and ch == "<":
            depth += 1
        elif not quoted and ch == ">":
            depth = max(0, depth - 1)
        elif ch == "," and not quoted and depth == 0:
            out.append(value[start:i].strip())
            start = i + 1
    out.append(value[start:].strip())
    return [v for v in out if v]


# --- parsing ---------------------------------------------------------------------------


class _Reader:
    def __init__(self, mode: Mode) -> None:
        self.strict = mode is Mode.STRICT
        self.deviations: list[Deviation] = []

    def deviate(self, code: str, field: str, detail: str) -> None:
        assert code in DEVIATION_CODES, code
        if self.strict:
            raise SipError(field, f"{detail} ({code})", deviation=code)
        if not any(d.code == code and d.field == field for d in self.deviations):
            self.deviations.append(Deviation(code, field, detail))


def _split_head(r: _Reader, data: bytes) -> tuple[list[str], bytes]:
    end = data.find(b"\r\n\r\n")
    if end >= 0:
        head, body = data[:end], data[end + 4 :]
        lines = head.split(b"\r\n")
        if any(b"\n" in line or b"\r" in line for line in lines):
            raise SipError("start-line", "mixed line ends")
    else:
        end = data.find(b"\n\n")
        if end < 0:
            if b"\r\n" in data or b"\n" not in data:
                raise SipError("headers", "no empty line after the headers")
            end = len(data)
        head, body = data[:end], data[end + 2 :]
        r.deviate("bare-lf", "start-line", "LF line ends")
        lines = head.replace(b"\r\n", b"\n").split(b"\n")
    try:
        text = [line.decode("utf-8") for line in lines]
    except UnicodeDecodeError:
        raise SipError("headers", "not UTF-8") from None
    return text, body


def _headers(r: _Reader, lines: list[str]) -> Headers:
    out: list[tuple[str, str]] = []
    for line in lines:
        if not line:
            raise SipError("headers", "an empty header line")
        if line[0] in " \t":
            if not out:
                raise SipError("headers", "a continuation line before any header")
            name, value = out[-1]
            out[-1] = (name, f"{value} {line.strip()}")
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise SipError("headers", f"{line[:40]!r} is not 'Name: value'")
        if name != name.rstrip():
            r.deviate("header-space", name.strip(), "white space before ':'")
        name = name.strip()
        if not _HEADER_NAME.fullmatch(name):
            raise SipError("headers", f"{name[:40]!r} is not a header name")
        if any(ord(c) < 0x20 and c != "\t" for c in value):
            raise SipError(canonical(name), "control characters in the value")
        out.append((canonical(name), value.strip()))
    return tuple(out)


def _one(headers: Headers, name: str) -> str:
    values = [v for k, v in headers if k == name]
    if not values:
        raise SipError(name, "required header missing")
    if len(values) > 1:
        raise SipError(name, "more than one")
    if not values[0]:
        raise SipError(name, "empty")
    return values[0]


def _check_common(r: _Reader, msg: SipMessage) -> None:
    vias = msg.header_all("Via")
    if not vias:
        raise SipError("Via", "required header missing")
    for via in vias:
        params = parse_via(via).params
        branch = params.get("branch")
        if branch is None:
            r.deviate("branch-missing", "Via", "no branch")
        elif not branch.startswith(BRANCH_COOKIE):
            r.deviate("branch-no-cookie", "Via", f"branch {branch!r}")
    parse_name_addr(_one(msg.headers, "From"), "From")
    parse_name_addr(_one(msg.headers, "To"), "To")
    _one(msg.headers, "Call-ID")
    parse_cseq(_one(msg.headers, "CSeq"))


def _body(r: _Reader, headers: Headers, body: bytes) -> bytes:
    declared = [v for k, v in headers if k == "Content-Length"]
    if not declared:
        return body  # optional over UDP (RFC 3261 §18.3): the datagram ends the body
    if len(declared) > 1 or not declared[0].isdigit():
        raise SipError("Content-Length", f"{declared!r} is not one number")
    length = int(declared[0])
    if length > len(body):
        raise SipError("Content-Length", f"declares {length} bytes, the body has {len(body)}")
    if length < len(body):
        r.deviate("content-length-short", "Content-Length", f"{len(body) - length} bytes over")
    return body[:length]


def parse(data: bytes, mode: Mode | str = Mode.STRICT) -> Parsed:
    """One SIP message from one datagram; SipError naming the field otherwise."""
    r = _Reader(Mode(mode))
    if len(data) > MAX_MESSAGE:
        raise SipError("message", f"over {MAX_MESSAGE} bytes", 513)
    stripped = data.lstrip(b"\r\n")  # RFC 3261 §7.5: ignore CRLFs before the start line
    if not stripped:
        raise SipError("start-line", "empty message")
    lines, body = _split_head(r, stripped)
    start = lines[0]
    headers = _headers(r, lines[1:])
    req = _REQUEST_LINE.fullmatch(start)
    if req is not None:
        method, uri, version = req.groups()
        if version != VERSION:
            raise SipError("start-line", f"version {version}", 505)
        if not _URI.fullmatch(uri):
            raise SipError("Request-URI", f"{uri!r} is not a sip:, sips: or tel: URI", 416)
        msg: SipMessage = SipRequest(method, uri, headers, _body(r, headers, body))
        _check_common(r, msg)
        _number, cseq_method = msg.cseq
        if cseq_method != method:
            raise SipError("CSeq", f"method {cseq_method}, the request is {method}")
        if not [v for k, v in headers if k == "Max-Forwards"]:
            r.deviate("max-forwards-missing", "Max-Forwards", "missing")
        else:
            forwards = _one(headers, "Max-Forwards")
            if not forwards.isdigit() or int(forwards) > 255:
                raise SipError("Max-Forwards", f"{forwards!r} is not 0-255")
        from_tag = parse_name_addr(_one(headers, "From"), "From").tag
        if not from_tag:
            r.deviate("from-tag-missing", "From", "no tag")
        return Parsed(msg, r.deviations)
    status = _STATUS_LINE.fullmatch(start)
    if status is not None:
        version, code, reason = status.groups()
        if version != VERSION:
            raise SipError("start-line", f"version {version}", 505)
        msg = SipResponse(int(code), reason, headers, _body(r, headers, body))
        _check_common(r, msg)
        return Parsed(msg, r.deviations)
    raise SipError("start-line", f"{start[:60]!r} is neither a request nor a status line")


def peek_request_line(data: bytes) -> str | None:
    """The first line of a datagram if it reads like a request line (for a 400 decision)."""
    first = data.lstrip(b"\r\n").split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first.decode("ascii")
    except UnicodeDecodeError:
        return None
    return text if _REQUEST_LINE.fullmatch(text) else None


# --- writing ---------------------------------------------------------------------------


def encode(message: SipMessage) -> bytes:
    """The message as bytes: CRLF line ends; Content-Length is the body's (any given is
    replaced)."""
    if isinstance(message, SipRequest):
        start = f"{message.method} {message.uri} {VERSION}"
    else:
        reason = message.reason or REASONS.get(message.status, "")
        start = f"{VERSION} {message.status} {reason}"
    lines = [start]
    for name, value in message.headers:
        if name.lower() in ("content-length", "l"):
            continue
        if any(c in value for c in "\r\n\0") or any(c in name for c in "\r\n:\0 "):
            raise SipError(name, "line breaks, NUL or a colon cannot be written")
        lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {len(message.body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + message.body


def response_to(
    request: SipRequest,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    headers: Headers = (),
    body: bytes = b"",
) -> SipResponse:
    """The response to ``request`` (RFC 3261 §8.2.6): Via, From, Call-ID and CSeq copied,
    To copied with ``to_tag`` added when it has none (not for 100)."""
    copied: list[tuple[str, str]] = []
    for name in ("Via", "From", "To", "Call-ID", "CSeq"):
        for k, v in request.headers:
            if k == name:
                if name == "To" and to_tag and status > 100 and ";tag=" not in v.lower():
                    v = f"{v};tag={to_tag}"
                copied.append((name, v))
    return SipResponse(status, reason or REASONS.get(status, ""), (*copied, *headers), body)


def status_of(data: bytes) -> int | None:
    """The status code of a response's status line, read alone (a 400 to a malformed
    request copies the headers that made it malformed, so it need not parse whole)."""
    first = data.lstrip(b"\r\n").split(b"\n", 1)[0].rstrip(b"\r")
    try:
        m = _STATUS_LINE.fullmatch(first.decode("ascii"))
    except UnicodeDecodeError:
        return None
    return int(m.group(2)) if m is not None and m.group(1) == VERSION else None


def answer_malformed(data: bytes, error: SipError, *, to_tag: str = "bad") -> bytes | None:
    """A response to a request that did not parse, when enough of it did (a request line and
    a Via to send it back by): §21.4.1 wants a 400, with whichever of From, To, Call-ID and
    CSeq the request had; else None (drop)."""
    if peek_request_line(data) is None:
        return None
    lenient = data.lstrip(b"\r\n").replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    try:
        lines = [line.decode("utf-8") for line in lenient.split(b"\n")]
        headers = _headers(_Reader(Mode.LENIENT), lines[1:])
        method, uri, _v = lines[0].split(" ", 2)
        request = SipRequest(method, uri, headers)
        parse_via(request.header_all("Via")[0])
    except (SipError, ValueError, IndexError, UnicodeDecodeError):
        return None
    status = error.status if error.status in (400, 416, 505, 513) else 400
    reason = REASONS.get(status, "Bad Request")
    warning = '399 mmsconf "' + f"{error.field}: {error.reason}".replace('"', "'")[:160] + '"'
    response = response_to(request, status, reason, to_tag=to_tag, headers=(("Warning", warning),))
    try:
        return encode(response)
    except SipError:
        return encode(response_to(request, status, reason, to_tag=to_tag))
