"""How an MM7 URL rides in DNS: a URI record's target (RFC 7553), or a TXT string
``mm7=<url>``. Shared by the SP (the gateway's URL) and the gateways (the MMSC's)."""

from __future__ import annotations

from mmsconf.emulators.dns_resolver import DnsResult

#: The record types an MM7 URL can be asked for.
RECORDS = ("URI", "TXT")
TXT_PREFIX = "mm7="


def mm7_url_of(result: DnsResult, record: str) -> str | None:
    """The MM7 URL in ``result``'s answer records of type ``record``; None if there is none."""
    if not result.ok:
        return None
    if record.upper() == "URI":
        found = result.first("URI")
        return found.target if found is not None else None
    for txt in result.of_type("TXT"):
        for text in txt.texts:
            if text.startswith(TXT_PREFIX):
                return text[len(TXT_PREFIX) :]
    return None


def txt_value(url: str) -> str:
    return TXT_PREFIX + url
