"""The SMS user data header (3GPP TS 23.040 §9.2.3.24) and reassembly of concatenated SMS.

A UDH is its length octet (UDHL) followed by information elements, each
IEI, length, value. The two a WAP push over SMS uses:

- application port addressing: IEI 0x05 (16-bit ports, dest then source; a
  connectionless WSP push goes to 2948 from 9200) or 0x04 (8-bit ports);
- concatenation: IEI 0x00 (8-bit reference) or 0x08 (16-bit reference),
  then the total number of parts and this part's sequence number (from 1).

Sans-IO and strict: ``decode`` gives a ``Udh`` or ``UdhError`` naming the
field (``UDHL``, ``IE 0x05``...). ``Reassembly`` joins the parts of a
concatenated message, bounded in what it keeps.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

__all__ = ["Concat", "Reassembly", "Udh", "UdhError", "decode", "encode"]

PORTS_16 = 0x05
PORTS_8 = 0x04
CONCAT_8 = 0x00
CONCAT_16 = 0x08
_LENGTHS = {PORTS_16: 4, PORTS_8: 2, CONCAT_8: 3, CONCAT_16: 4}


class UdhError(ValueError):
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

    def _first(self, *ieis: int) -> tuple[int, bytes] | None:
        return next(((i, v) for i, v in self.elements if i in ieis), None)

    @property
    def ports(self) -> tuple[int, int] | None:
        """(destination, source) port, or None without port addressing."""
        found = self._first(PORTS_16, PORTS_8)
        if found is None:
            return None
        iei, v = found
        if iei == PORTS_16:
            return int.from_bytes(v[0:2], "big"), int.from_bytes(v[2:4], "big")
        return v[0], v[1]

    @property
    def concat(self) -> Concat | None:
        found = self._first(CONCAT_8, CONCAT_16)
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
    elements: list[tuple[int, bytes]] = []
    i = 1
    while i < len(udh):
        if i + 2 > len(udh):
            raise UdhError(f"IE at {i}", "no length octet")
        iei, length = udh[i], udh[i + 1]
        value = udh[i + 2 : i + 2 + length]
        field = f"IE 0x{iei:02X}"
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
    body = b"".join(bytes((iei, len(v))) + v for iei, v in udh.elements)
    if not body or len(body) > 255:
        raise UdhError("UDHL", f"{len(body)} octets of elements")
    return bytes((len(body),)) + body


def ports_16(dest: int, src: int) -> tuple[int, bytes]:
    return PORTS_16, dest.to_bytes(2, "big") + src.to_bytes(2, "big")


def concat_8(ref: int, total: int, seq: int) -> tuple[int, bytes]:
    return CONCAT_8, bytes((ref, total, seq))


class Reassembly:
    """The parts of concatenated messages, per ``key`` (e.g. sender and receiver) and
    reference; ``add`` gives the whole user data once the last part is in.

    At most ``max_pending`` messages wait at once: the oldest is then dropped and
    counted (``dropped``); a part seen twice is ignored and counted (``duplicates``).
    """

    def __init__(self, max_pending: int = 256) -> None:
        self.max_pending = max_pending
        self._pending: OrderedDict[tuple[Hashable, int, int], dict[int, bytes]] = OrderedDict()
        self.dropped = 0
        self.duplicates = 0

    def add(self, key: Hashable, udh: Udh | None, data: bytes) -> bytes | None:
        concat = udh.concat if udh is not None else None
        if concat is None or concat.total == 1:
            return data
        slot = (key, concat.ref, concat.total)
        parts = self._pending.get(slot)
        if parts is None:
            parts = self._pending[slot] = {}
            while len(self._pending) > self.max_pending:
                self._pending.popitem(last=False)
                self.dropped += 1
        if concat.seq in parts:
            self.duplicates += 1
            return None
        parts[concat.seq] = data
        if len(parts) < concat.total:
            return None
        del self._pending[slot]
        return b"".join(parts[n] for n in range(1, concat.total + 1))

    @property
    def pending(self) -> int:
        return len(self._pending)
