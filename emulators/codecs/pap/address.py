"""PAP client addresses: ``WAPPUSH=<client>/TYPE=<type>@<ppg>``.

The grammar (PAP §7.2 as PIs use it): ``WAPPUSH=`` then the client address
(``+`` and digits for PLMN; a dotted quad for IPv4; a user name for USER),
``/TYPE=`` and the type, then ``@`` and the PPG specifier (may be empty).
Kannel also takes the keywords in lower case; PIs in the field send bare
e-mail addresses. Both are deviations lenient mode reads.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from .types import ADDRESS_ERROR, ClientAddress, PapError

_FULL = re.compile(
    r"(?P<kw>WAPPUSH)=(?P<client>[^/@]+)/(?P<tkw>TYPE)=(?P<type>[A-Za-z0-9_.-]+)@(?P<ppg>.*)",
    re.IGNORECASE,
)
_BARE = re.compile(r"(?P<client>[^@\s/]+)@(?P<ppg>[A-Za-z0-9.-]*)")
_PLMN = re.compile(r"\+[0-9]{3,20}")

Deviate = Callable[[str, str, str], None]


def _check_client(client: str, kind: str, value: str) -> None:
    where = "address@address-value"
    if kind == "PLMN" and not _PLMN.fullmatch(client):
        raise PapError(where, f"{value!r}: a PLMN address is + and 3-20 digits", ADDRESS_ERROR)
    if kind == "IPv4":
        try:
            ipaddress.IPv4Address(client)
        except ValueError:
            raise PapError(where, f"{value!r}: not an IPv4 address", ADDRESS_ERROR) from None
    if kind == "IPv6":
        try:
            ipaddress.IPv6Address(client)
        except ValueError:
            raise PapError(where, f"{value!r}: not an IPv6 address", ADDRESS_ERROR) from None


def parse_address(value: str, deviate: Deviate) -> ClientAddress:
    """The address taken apart; PapError(2002) when it is none. ``deviate(code, field,
    detail)`` is told of lower-case keywords and bare e-mail addresses (strict refuses)."""
    where = "address@address-value"
    text = value.strip()
    m = _FULL.fullmatch(text)
    if m is not None:
        if m.group("kw") != "WAPPUSH" or m.group("tkw") != "TYPE":
            deviate("address-keyword-case", where, repr(value))
        kind = m.group("type")
        canonical = {"plmn": "PLMN", "ipv4": "IPv4", "ipv6": "IPv6", "user": "USER"}
        kind = canonical.get(kind.lower(), kind)
        _check_client(m.group("client"), kind, value)
        return ClientAddress(m.group("client"), kind, m.group("ppg"))
    m = _BARE.fullmatch(text)
    if m is not None and not text.upper().startswith("WAPPUSH="):
        deviate("address-bare", where, repr(value))
        client = m.group("client")
        kind = "PLMN" if _PLMN.fullmatch(client) else "USER"
        return ClientAddress(client, kind, m.group("ppg"))
    raise PapError(where, f"{value!r} is not WAPPUSH=<client>/TYPE=<type>@<ppg>", ADDRESS_ERROR)


def client_address(value: str) -> ClientAddress:
    """Lenient reading of an address the caller already accepted."""
    return parse_address(value, lambda _c, _f, _d: None)
