"""SIP header values (RFC 3261 §20, §25): name-addr, Via, CSeq, URIs and the OMA push
feature tag; and the error every SIP read raises. Split from sip.py, which re-exports them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: OMA push over SIP: the feature tag of the push event application, and MMS's app id.
PUSH_FEATURE_TAG = "+g.oma.pusheventapp"
MMS_PUSH_APP = "mms.ua"

_TOKEN = r"[A-Za-z0-9.!%*_+`'~-]+"
_METHOD = re.compile(_TOKEN)
_URI = re.compile(r"(sips?|tel):[^\s<>]+", re.IGNORECASE)


class SipError(Exception):
    """A message that cannot be taken: ``field`` (a header name, "start-line", "body") and
    the status to answer with (400 unless said otherwise)."""

    def __init__(
        self, field: str, reason: str, status: int = 400, deviation: str | None = None
    ) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.status = status
        self.deviation = deviation


def _params(text: str) -> dict[str, str]:
    """``;a=b;c;d="e f"`` -> {"a": "b", "c": "", "d": "e f"} (names in lower case)."""
    out: dict[str, str] = {}
    for piece in _split_params(text):
        name, _eq, value = piece.partition("=")
        name = name.strip().lower()
        if name:
            out[name] = value.strip().strip('"')
    return out


def _split_params(text: str) -> list[str]:
    pieces, quoted, start = [], False, 0
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    return [p for p in (p.strip() for p in pieces) if p]


@dataclass(frozen=True)
class NameAddr:
    """``"Display" <uri>;params`` (or a bare ``uri;params``)."""

    display: str
    uri: str
    params: dict[str, str]

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    @property
    def user(self) -> str:
        """The user part of a sip: URI ("" if none); a tel: URI's number."""
        return uri_user(self.uri)


def uri_user(uri: str) -> str:
    scheme, _c, rest = uri.partition(":")
    if scheme.lower() == "tel":
        return rest.split(";", 1)[0]
    user, at, _host = rest.partition("@")
    return user.split(";", 1)[0] if at else ""


def uri_hostport(uri: str, default_port: int = 5060) -> tuple[str, int]:
    """The host and port of a sip: URI (the port defaults to 5060)."""
    _scheme, _c, rest = uri.partition(":")
    hostport = rest.split("@", 1)[-1].split(";", 1)[0].split("?", 1)[0]
    host, _colon, port = hostport.partition(":")
    try:
        number = int(port) if port else default_port
    except ValueError:
        raise SipError("Request-URI", f"bad port in {uri!r}") from None
    if not 0 < number < 65536:
        raise SipError("Request-URI", f"bad port in {uri!r}")
    return host.strip("[]"), number


def parse_name_addr(value: str, where: str = "name-addr") -> NameAddr:
    text = value.strip()
    if "<" in text:
        display, _lt, rest = text.partition("<")
        uri, gt, params = rest.partition(">")
        if not gt:
            raise SipError(where, "'<' without '>'")
        display = display.strip().strip('"')
    else:
        display = ""
        uri, _semi, params = text.partition(";")
        params = ";" + params if params else ""
    uri = uri.strip()
    if uri != "*" and not _URI.fullmatch(uri):
        raise SipError(where, f"{uri!r} is not a sip:, sips: or tel: URI")
    return NameAddr(display, uri, _params(params))


@dataclass(frozen=True)
class Via:
    transport: str
    host: str
    port: int | None
    params: dict[str, str]


def parse_via(value: str) -> Via:
    m = re.match(r"\s*SIP\s*/\s*2\.0\s*/\s*([A-Za-z]+)\s+([^;\s]+)\s*(.*)", value)
    if m is None:
        raise SipError("Via", f"{value!r} is not SIP/2.0/<transport> <sent-by>")
    sent_by = m.group(2)
    if sent_by.startswith("["):
        host, _b, rest = sent_by[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _c, port_text = sent_by.partition(":")
    try:
        port = int(port_text) if port_text else None
    except ValueError:
        raise SipError("Via", f"bad port in {sent_by!r}") from None
    if port is not None and not 0 < port < 65536:
        raise SipError("Via", f"bad port in {sent_by!r}")
    return Via(m.group(1).upper(), host, port, _params(m.group(3)))


def parse_cseq(value: str) -> tuple[int, str]:
    parts = value.split()
    if len(parts) != 2 or not parts[0].isdigit() or not _METHOD.fullmatch(parts[1]):
        raise SipError("CSeq", f"{value!r} is not '<number> <method>'")
    number = int(parts[0])
    if number >= 2**31:
        raise SipError("CSeq", f"{number} is over 2**31 - 1")
    return number, parts[1]


def feature_params(value: str) -> dict[str, str]:
    """The parameters of a Contact or Accept-Contact value (feature tags among them)."""
    if value.strip().startswith("*"):
        return _params(value.strip()[1:])
    return parse_name_addr(value, "Contact").params


def has_push_feature(value: str, app: str = MMS_PUSH_APP) -> bool:
    """Whether a Contact / Accept-Contact value carries +g.oma.pusheventapp naming ``app``."""
    try:
        params = feature_params(value)
    except SipError:
        return False
    apps = params.get(PUSH_FEATURE_TAG)
    if apps is None:
        return False
    return app in [a.strip() for a in apps.split(",")] or apps == ""
