"""Kannel's ``fake`` SMSC link: one SMS per line over TCP (gw/smsc/smsc_fake.c).

bearerbox listens; the peer (here the harness's SMS centre) connects, takes
one line per mobile-terminated SMS and may send mobile-originated ones the
same way::

    <sender> SP <receiver> SP text  SP <raw text> LF
    <sender> SP <receiver> SP data  SP <url-encoded octets> LF
    <sender> SP <receiver> SP udh   SP <url-encoded UDH> SP data SP <url-encoded octets> LF
    <sender> SP <receiver> SP ucs-2 SP <url-encoded UCS-2 octets> LF
    <sender> SP <receiver> SP route SP <box id> SP <text> LF          (MO only)
    <sender> SP <receiver> SP dlr-mask SP <mask> SP <text> LF         (MO only)

The URL encoding is Kannel's: a space becomes ``+``, every octet outside
``A-Z a-z 0-9 - _ . ! ~ * ' ( )`` becomes ``%XX`` in upper-case hex. The UDH
octets include their length octet (UDHL). Kannel 1.4.5 writes the word
``data`` between the UDH and the user data; older releases did not.

Sans-IO and strict: ``decode_line`` takes one line and gives a ``FakeSms`` or
a ``FakeSmscError`` naming the field; lenient decoding reads past what an
older or sloppier peer writes and names each deviation. ``LineFramer`` cuts
a TCP stream into lines, bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "DEVIATION_CODES",
    "FakeSms",
    "FakeSmscError",
    "Kind",
    "LineFramer",
    "Mode",
    "Overlong",
    "decode_line",
    "encode_line",
    "url_decode",
    "url_encode",
]

#: The longest line taken: a concatenated part is 140 octets of UDH and data, at most
#: three characters each when encoded; anything near this is not an SMS.
MAX_LINE = 4096
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()")
_HEX = b"0123456789ABCDEF"
_ADDRESS = re.compile(rb"\+?[0-9A-Za-z*#.\-]{1,32}")

DEVIATION_CODES: dict[str, str] = {
    "udh-without-data-word": "the user data right after the UDH, without the word data",
    "lowercase-escape": "a %-escape in lower-case hex",
    "crlf": "a line ended by CR LF, not LF",
    "unescaped-octet": "an octet the encoding escapes, written as it is",
}


class Mode(StrEnum):
    STRICT = "strict"
    LENIENT = "lenient"


class Kind(StrEnum):
    TEXT = "text"
    DATA = "data"
    UDH = "udh"
    UCS2 = "ucs-2"
    ROUTE = "route"
    DLR_MASK = "dlr-mask"


class FakeSmscError(ValueError):
    """A line that is no fake-SMSC message; ``field`` names the part that is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class FakeSms:
    sender: str
    receiver: str
    kind: Kind
    data: bytes  # the user data (for text and route/dlr-mask, the text's octets)
    udh: bytes = b""  # with its UDHL octet; b"" when none
    route: str = ""  # the box id of a ``route`` line
    dlr_mask: int | None = None


def url_encode(data: bytes) -> bytes:
    """Kannel's URL encoding: space as ``+``, unsafe octets as upper-case ``%XX``."""
    out = bytearray()
    for octet in data:
        if octet == 0x20:
            out.append(0x2B)
        elif octet in _SAFE:
            out.append(octet)
        else:
            out += b"%" + bytes((_HEX[octet >> 4], _HEX[octet & 15]))
    return bytes(out)


def url_decode(token: bytes, field: str, deviations: list[str] | None = None) -> bytes:
    """The octets of one URL-encoded token; deviations are noted when a list is given
    (lenient), else they are errors naming ``field``."""
    out = bytearray()
    i = 0
    while i < len(token):
        octet = token[i]
        if octet == 0x25:  # %
            pair = token[i + 1 : i + 3]
            if len(pair) != 2 or not all(c in b"0123456789ABCDEFabcdef" for c in pair):
                raise FakeSmscError(field, f"a % not followed by two hex digits at {i}")
            if pair != pair.upper():
                _deviate(deviations, "lowercase-escape", field)
            out.append(int(pair, 16))
            i += 3
            continue
        if octet == 0x2B:
            out.append(0x20)
        elif octet in _SAFE:
            out.append(octet)
        else:
            _deviate(deviations, "unescaped-octet", field, f"0x{octet:02X} at {i}")
            out.append(octet)
        i += 1
    return bytes(out)


def _deviate(deviations: list[str] | None, code: str, field: str, where: str = "") -> None:
    if deviations is None:
        detail = f" ({where})" if where else ""
        raise FakeSmscError(field, DEVIATION_CODES[code] + detail)
    if code not in deviations:
        deviations.append(code)


def _address(raw: bytes, field: str) -> str:
    if not raw:
        raise FakeSmscError(field, "empty")
    if not _ADDRESS.fullmatch(raw):
        raise FakeSmscError(field, f"{raw[:40]!r} is no phone number or short code")
    return raw.decode("ascii")


def decode_line(line: bytes, mode: Mode = Mode.STRICT) -> tuple[FakeSms, tuple[str, ...]]:
    """One line (with or without its LF) as a ``FakeSms`` and the deviations read past."""
    deviations: list[str] | None = [] if mode is Mode.LENIENT else None
    if line.endswith(b"\n"):
        line = line[:-1]
    if line.endswith(b"\r"):
        _deviate(deviations, "crlf", "line")
        line = line[:-1]
    if len(line) > MAX_LINE:
        raise FakeSmscError("line", f"over {MAX_LINE} octets")
    if b"\n" in line or b"\r" in line:
        raise FakeSmscError("line", "a line break inside the line")
    parts = line.split(b" ", 3)
    # Named in the order they stand, so an empty line or a bare number names the sender
    # (or receiver) rather than a later field.
    sender = _address(parts[0], "sender")
    if len(parts) < 2:
        raise FakeSmscError("receiver", "missing")
    receiver = _address(parts[1], "receiver")
    if len(parts) < 3:
        raise FakeSmscError("kind", "missing")
    try:
        kind = Kind(parts[2].decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        known = ", ".join(k.value for k in Kind)
        raise FakeSmscError("kind", f"{parts[2][:20]!r} is none of {known}") from None
    if len(parts) < 4:
        raise FakeSmscError("data", "missing")
    rest = parts[3]
    if kind is Kind.TEXT:
        sms = FakeSms(sender, receiver, kind, rest)
    elif kind in (Kind.DATA, Kind.UCS2):
        sms = FakeSms(sender, receiver, kind, url_decode(rest, "data", deviations))
    elif kind is Kind.UDH:
        sms = _udh_line(sender, receiver, rest, deviations)
    else:
        head, sep, text = rest.partition(b" ")
        if not sep:
            raise FakeSmscError("data", "missing")
        if kind is Kind.ROUTE:
            if not head:
                raise FakeSmscError("route", "empty")
            sms = FakeSms(sender, receiver, kind, text, route=head.decode("latin-1"))
        else:
            if not head.isdigit():
                raise FakeSmscError("dlr-mask", f"{head[:20]!r} is not a number")
            sms = FakeSms(sender, receiver, kind, text, dlr_mask=int(head))
    return sms, tuple(deviations or ())


def _udh_line(sender: str, receiver: str, rest: bytes, deviations: list[str] | None) -> FakeSms:
    udh_token, sep, tail = rest.partition(b" ")
    # The header first: a broken header is the UDH's fault, whatever follows it.
    udh = url_decode(udh_token, "udh", deviations)
    if not udh:
        raise FakeSmscError("udh", "empty")
    if not sep:
        raise FakeSmscError("data", "missing after the UDH")
    word, sep, data_token = tail.partition(b" ")
    if word == b"data" and sep:
        data = data_token
    else:
        _deviate(deviations, "udh-without-data-word", "data")
        data = tail
    return FakeSms(sender, receiver, Kind.UDH, url_decode(data, "data", deviations), udh)


def _encoded_address(value: str, field: str) -> bytes:
    # Checked as decode_line checks it: a space or a non-ASCII character would make a
    # line the far end splits differently (or an encoding error, not a FakeSmscError).
    try:
        raw = value.encode("ascii")
    except UnicodeEncodeError:
        raise FakeSmscError(field, f"{value[:40]!r} is not ASCII") from None
    _address(raw, field)
    return raw


def encode_line(sms: FakeSms) -> bytes:
    """The line Kannel 1.4.5 writes (or takes) for ``sms``, with its LF.

    Refuses (``FakeSmscError`` naming the field) what ``decode_line`` would not
    read back as ``sms``: a sender or receiver that is no number, a route with a
    space, a dlr-mask that is not a count, a text with a line break, an empty UDH,
    a line over ``MAX_LINE``.
    """
    try:
        kind = Kind(sms.kind)
    except ValueError:
        raise FakeSmscError("kind", f"{sms.kind!r} is no line kind") from None
    head = b" ".join(
        (
            _encoded_address(sms.sender, "sender"),
            _encoded_address(sms.receiver, "receiver"),
            kind.value.encode("ascii"),
        )
    )
    if kind is Kind.UDH:
        if not sms.udh:
            raise FakeSmscError("udh", "empty: a line without a UDH is data")
        body = url_encode(sms.udh) + b" data " + url_encode(sms.data)
    elif kind in (Kind.DATA, Kind.UCS2):
        body = url_encode(sms.data)
    elif kind is Kind.ROUTE:
        try:
            route = sms.route.encode("latin-1")
        except UnicodeEncodeError:
            raise FakeSmscError("route", f"{sms.route[:20]!r} is not latin-1") from None
        if not route or any(c in route for c in b" \r\n"):
            raise FakeSmscError("route", f"{sms.route[:20]!r}: empty or with a space")
        body = route + b" " + sms.data
    elif kind is Kind.DLR_MASK:
        if not isinstance(sms.dlr_mask, int) or sms.dlr_mask < 0:
            raise FakeSmscError("dlr-mask", f"{sms.dlr_mask!r} is not a count")
        body = str(sms.dlr_mask).encode("ascii") + b" " + sms.data
    else:
        body = sms.data
    if kind in (Kind.TEXT, Kind.ROUTE, Kind.DLR_MASK) and (b"\n" in sms.data or b"\r" in sms.data):
        raise FakeSmscError("data", "a text line cannot carry a line break; use data")
    line = head + b" " + body
    if len(line) > MAX_LINE:
        raise FakeSmscError("line", f"{len(line)} octets, over {MAX_LINE}")
    return line + b"\n"


@dataclass(frozen=True)
class Overlong:
    """Where the framer dropped a line too long to be an SMS: its first octets (for the
    trace and the bad-line event). It stands in the framer's output where the line
    would have, so the caller reports it in order and the stream goes on after it."""

    head: bytes


class LineFramer:
    """A byte stream cut into lines (LF-terminated), none longer than ``max_line``
    octets besides its CR LF.

    ``feed`` returns the complete lines in stream order, with an ``Overlong`` in
    place of each line that is too long: it is dropped whole, up to its LF, and
    the lines after it are read as usual. Whether a line is too long does not
    depend on how the stream was cut into chunks.
    """

    #: How much of a dropped line its ``Overlong`` keeps.
    HEAD = 64

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        #: The longest line taken, its CR LF included.
        self._limit = max_line + 2
        self._buffer = bytearray()
        self._skipping = False
        #: How many over-long lines were dropped.
        self.overflows = 0

    def feed(self, data: bytes) -> list[bytes | Overlong]:
        """The lines (with their LF) completed by ``data``, and an ``Overlong`` per
        line dropped."""
        out: list[bytes | Overlong] = []
        self._buffer += data
        while True:
            end = self._buffer.find(b"\n")
            if self._skipping:
                # The rest of a line already reported: drop up to its LF.
                if end < 0:
                    self._buffer.clear()
                    return out
                del self._buffer[: end + 1]
                self._skipping = False
                continue
            if end < 0:
                # No LF yet, and already more than a whole line may hold besides it.
                if len(self._buffer) >= self._limit:
                    out.append(self._dropped(self._buffer))
                    self._buffer.clear()
                    self._skipping = True
                return out
            line = bytes(self._buffer[: end + 1])
            del self._buffer[: end + 1]
            out.append(self._dropped(line) if len(line) > self._limit else line)

    def _dropped(self, data: bytes | bytearray) -> Overlong:
        self.overflows += 1
        # Never more than the framer is sure to hold, so the head is the same however
        # the stream was cut.
        return Overlong(bytes(data[: min(self.HEAD, self._limit)]))

    @property
    def pending(self) -> int:
        """Octets of a line not yet complete."""
        return len(self._buffer)
