"""The SMS user data header (3GPP TS 23.040 §9.2.3.24) and reassembly of concatenated SMS.

A UDH is its length octet (UDHL) followed by information elements, each
IEI, length, value. The two a WAP push over SMS uses:

- application port addressing: IEI 0x05 (16-bit ports, dest then source; a
  connectionless WSP push goes to 2948 from 9200) or 0x04 (8-bit ports);
- concatenation: IEI 0x00 (8-bit reference) or 0x08 (16-bit reference),
  then the total number of parts and this part's sequence number (from 1).

An element repeated, or two that contradict each other (8-bit and 16-bit
ports), is read as §9.2.3.24 says: the last occurrence counts.

Sans-IO and strict: ``decode`` gives a ``Udh`` or ``UdhError`` naming the
field (``UDHL``, ``IE 0x05``...). ``Reassembly`` joins the parts of a
concatenated message, bounded in what it keeps.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

__all__ = ["Concat", "Joined", "Reassembly", "Udh", "UdhError", "decode", "encode"]

PORTS_16 = 0x05
PORTS_8 = 0x04
CONCAT_8 = 0x00
CONCAT_16 = 0x08
_LENGTHS = {PORTS_16: 4, PORTS_8: 2, CONCAT_8: 3, CONCAT_16: 4}
#: TP-UD holds at most 140 octets, the UDHL octet among them.
MAX_UDHL = 139


class UdhError(ValueError):
    """A header that is not one; ``field`` is ``UDHL`` or the element (``IE 0x05``)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Concat:
    ref: int
    total: int
    seq: int


@dataclass(frozen=True)
class Udh:
    elements: tuple[tuple[int, bytes], ...]

    def _last(self, *ieis: int) -> tuple[int, bytes] | None:
        # TS 23.040 §9.2.3.24: a repeated element, or one of two that exclude each
        # other (8- and 16-bit ports, 8- and 16-bit references), counts in its LAST
        # occurrence.
        return next(((i, v) for i, v in reversed(self.elements) if i in ieis), None)

    @property
    def ports(self) -> tuple[int, int] | None:
        """(destination, source) port, or None without port addressing."""
        found = self._last(PORTS_16, PORTS_8)
        if found is None:
            return None
        iei, v = found
        if iei == PORTS_16:
            return int.from_bytes(v[0:2], "big"), int.from_bytes(v[2:4], "big")
        return v[0], v[1]

    @property
    def concat(self) -> Concat | None:
        found = self._last(CONCAT_8, CONCAT_16)
        if found is None:
            return None
        iei, v = found
        if iei == CONCAT_8:
            return Concat(v[0], v[1], v[2])
        return Concat(int.from_bytes(v[0:2], "big"), v[2], v[3])


def decode(udh: bytes) -> Udh:
    """The header's elements; the known ones checked for length and sense."""
    if not udh:
        raise UdhError("UDHL", "missing")
    if udh[0] != len(udh) - 1:
        raise UdhError("UDHL", f"says {udh[0]} octets, {len(udh) - 1} follow")
    if udh[0] == 0:
        raise UdhError("UDHL", "0: a header with no element")
    if udh[0] > MAX_UDHL:
        raise UdhError("UDHL", f"{udh[0]} octets: no SMS carries over {MAX_UDHL}")
    elements: list[tuple[int, bytes]] = []
    i = 1
    while i < len(udh):
        field = f"IE 0x{udh[i]:02X}"
        if i + 2 > len(udh):
            raise UdhError(field, f"no length octet at {i}")
        iei, length = udh[i], udh[i + 1]
        value = udh[i + 2 : i + 2 + length]
        if len(value) != length:
            raise UdhError(field, f"says {length} octets, {len(value)} are left")
        want = _LENGTHS.get(iei)
        if want is not None and length != want:
            raise UdhError(field, f"{length} octets, not {want}")
        if iei in (CONCAT_8, CONCAT_16):
            total, seq = value[-2], value[-1]
            if total == 0:
                raise UdhError(field, "0 parts in all")
            if not 1 <= seq <= total:
                raise UdhError(field, f"part {seq} of {total}")
        elements.append((iei, bytes(value)))
        i += 2 + length
    return Udh(tuple(elements))


def encode(udh: Udh) -> bytes:
    """The header with its UDHL; ``UdhError`` for what ``decode`` would refuse."""
    body = bytearray()
    for iei, value in udh.elements:
        if not 0 <= iei <= 255:
            raise UdhError(f"IE {iei!r}", "an IEI is one octet")
        if len(value) > 255:
            raise UdhError(f"IE 0x{iei:02X}", f"{len(value)} octets: a length is one octet")
        body += bytes((iei, len(value))) + value
    if not body or len(body) > MAX_UDHL:
        raise UdhError("UDHL", f"{len(body)} octets of elements")
    encoded = bytes((len(body),)) + body
    decode(encoded)  # the known elements' lengths and sense, checked once, in one place
    return encoded


def ports_16(dest: int, src: int) -> tuple[int, bytes]:
    return PORTS_16, dest.to_bytes(2, "big") + src.to_bytes(2, "big")


def concat_8(ref: int, total: int, seq: int) -> tuple[int, bytes]:
    return CONCAT_8, bytes((ref, total, seq))


#: What a message waits under: the caller's key, the reference, the number of parts.
_Slot = tuple[Hashable, int, int]


@dataclass(frozen=True)
class Joined:
    """A whole message: its user data, how many parts, and the tag given with each part
    used (in part order; a duplicate's tag is not among them)."""

    data: bytes
    parts: int
    tags: tuple[object, ...]


class Reassembly:
    """The parts of concatenated messages, per ``key`` (e.g. sender and receiver) and
    reference; ``take`` gives the whole message once the last part is in.

    At most ``max_pending`` messages wait at once: the oldest is then dropped and
    counted (``dropped``). A part seen twice is ignored and counted (``duplicates``),
    also after its message was complete (the last ``max_pending`` complete ones are
    remembered); a part that differs from the one already held for its place
    means the reference was reused (8-bit references wrap at 256): the old, partial
    message is dropped and counted, and the new one starts.
    """

    def __init__(self, max_pending: int = 256) -> None:
        if max_pending < 1:
            raise ValueError(f"max_pending must be at least 1, not {max_pending}")
        self.max_pending = max_pending
        self._pending: OrderedDict[_Slot, dict[int, tuple[bytes, object]]] = OrderedDict()
        self._done: OrderedDict[_Slot, dict[int, bytes]] = OrderedDict()
        self.dropped = 0
        self.duplicates = 0

    def add(self, key: Hashable, udh: Udh | None, data: bytes) -> bytes | None:
        """The whole user data once ``data`` completes its message, else None."""
        joined = self.take(key, udh, data)
        return joined.data if joined is not None else None

    def take(
        self, key: Hashable, udh: Udh | None, data: bytes, tag: object = None
    ) -> Joined | None:
        """As ``add``, with ``tag`` (a trace event, say) kept with the part and given back."""
        concat = udh.concat if udh is not None else None
        if concat is None or concat.total == 1:
            return Joined(data, 1, (tag,))
        slot = (key, concat.ref, concat.total)
        done = self._done.get(slot)
        if done is not None:
            if done.get(concat.seq) == data:
                self.duplicates += 1
                return None
            del self._done[slot]  # the reference is in use again: a new message
        parts = self._pending.get(slot)
        if parts is not None and concat.seq in parts:
            if parts[concat.seq][0] == data:
                self.duplicates += 1
                return None
            del self._pending[slot]
            self.dropped += 1
            parts = None
        if parts is None:
            parts = self._pending[slot] = {}
            while len(self._pending) > self.max_pending:
                self._pending.popitem(last=False)
                self.dropped += 1
        parts[concat.seq] = (data, tag)
        if len(parts) < concat.total:
            return None
        del self._pending[slot]
        ordered = [parts[n] for n in range(1, concat.total + 1)]
        self._done[slot] = {n: parts[n][0] for n in parts}
        while len(self._done) > self.max_pending:
            self._done.popitem(last=False)
        return Joined(b"".join(d for d, _t in ordered), concat.total, tuple(t for _d, t in ordered))

    @property
    def pending(self) -> int:
        """Messages waiting for a part."""
        return len(self._pending)
