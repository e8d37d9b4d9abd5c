"""DNS queries and responses (codecs/dns) as fuzz targets: what the selector and every
DNS emulator parse from a socket (queries) and what the stub resolvers of the SP and
the gateways parse (responses). Strategies and DNS-aware mutators:
``tests/support/strategies/dns.py``.

Both decoders also make the trace's one-line summary (``dns.describe``) and the
FORMERR reply (``dns.error_reply``) from the same bytes, as a server does with
whatever it receives: neither may raise, whatever the bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mmsconf.emulators.codecs import dns
from tests.support.codec_target import CodecTarget, Wire
from tests.support.strategies import dns as strategies


def check_dns_error(error: Exception) -> None:
    """A DnsFormatError names the field, says why, and carries FORMERR or NOTIMP."""
    assert isinstance(error, dns.DnsFormatError)
    assert error.field.strip() and error.reason.strip(), error
    assert error.rcode in (dns.FORMERR, dns.NOTIMP), error


def _reading(read: Callable[[bytes, str], tuple[Any, Any]]) -> Callable[[Wire, str], Any]:
    def decode(wire: Wire, mode: str) -> tuple[Any, Any]:
        dns.describe(wire.body)  # the trace's summary of anything: never raises
        dns.error_reply(wire.body)  # the FORMERR answer to anything: never raises
        return read(wire.body, mode)

    return decode


TARGETS: list[CodecTarget] = [
    CodecTarget(
        name="dns-query",
        messages=strategies.queries(),
        encode=lambda q: Wire(strategies.encode_query(q)),
        decode=_reading(strategies.read_query),
        error=dns.DnsFormatError,
        modes=("strict", "lenient"),
        expected=strategies.expected_query,
        junk=strategies.JUNK,
        mutators=strategies.MUTATORS,
        check_error=check_dns_error,
    ),
    CodecTarget(
        name="dns-response",
        messages=strategies.responses(),
        encode=lambda r: Wire(strategies.encode_response(r)),
        decode=_reading(strategies.read_response),
        error=dns.DnsFormatError,
        modes=("strict", "lenient"),
        expected=strategies.expected_response,
        junk=strategies.JUNK,
        mutators=strategies.MUTATORS,
        check_error=check_dns_error,
    ),
]
