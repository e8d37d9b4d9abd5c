"""What the bearer-choice roles share: the push reference, bearer names, and the ledger.

A push the harness's push initiator makes is named ``<scope tag>-<n>`` (a
retry ``<scope tag>-<n>r<k>``): the tag is the scenario's, unique per run,
so every role that sees the push (the PPG's PAP, the presence query it
causes, the SIP MESSAGE or WDP datagram at the handset, the result
notification) can tell which scenario and which push it belongs to by the
reference alone, and a stray from an earlier scenario by its tag.

The ledger hands out one increasing number per observation across the
harness's roles, so scenarios judge the ORDER of events (the presence query
before the first delivery attempt) without comparing wall clocks.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

#: The push bearers the kit knows: OMA push over SIP, WAP push over WDP/UDP (port 2948),
#: and WAP push over SMS (WDP ports in the UDH; what Kannel sends to a PLMN address).
SIP = "SIP"
UDP = "UDP"
SMS = "SMS"
BEARERS = (SIP, UDP, SMS)
#: The WDP port of connectionless WAP push (WAP-259 WDP; Kannel CONNECTIONLESS_PUSH_CLIPORT).
WDP_PUSH_PORT = 2948
#: The port a PPG sends connectionless WSP from (CONNECTIONLESS_SERVPORT).
WSP_SERVER_PORT = 9200

_REF = re.compile(rb"([0-9a-z]{5}[0-9]{3})-([0-9]{1,6})(?:r([0-9]{1,3}))?")


@dataclass(frozen=True)
class PushRef:
    """``<tag>-<n>`` with the retry number ``k`` (0: the first try)."""

    tag: str
    number: int
    retry: int = 0

    @property
    def group(self) -> str:
        """The push regardless of retries: what attempts per push are counted by."""
        return f"{self.tag}-{self.number}"

    @property
    def text(self) -> str:
        return self.group + (f"r{self.retry}" if self.retry else "")

    def again(self) -> PushRef:
        return PushRef(self.tag, self.number, self.retry + 1)


def find_ref(data: bytes | str) -> PushRef | None:
    """The first push reference in ``data`` (a push id, a content, a URL), or None."""
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else data
    m = _REF.search(raw)
    if m is None:
        return None
    return PushRef(m.group(1).decode(), int(m.group(2)), int(m.group(3) or 0))


class Ledger:
    """One increasing number per observation, across every harness role on one loop."""

    def __init__(self) -> None:
        self._next = itertools.count(1)

    def __call__(self) -> int:
        return next(self._next)
