"""What the MM4 harness roles share: the order of events, and whose a message is.

Scenarios of the MM4 pool judge the order of events, not wall-clock margins:
a connection opened, a message handed to the relay, a message accepted by a
destination. Every such event takes its place from ``next_order()``, one
counter for the whole process (all roles live on one loop), so "every fast
destination's last message arrived before the slow one's first" is a
comparison of two integers however loaded the machine is.

Identifiers the harness chooses carry the scenario's tag (verdict rule 2):
``T-<tag>-<n>`` for transaction ids, ``<tag>-<n>@<domain>`` for message ids.
A role that receives a message tells its scenario by ``tag_of``.
"""

from __future__ import annotations

import itertools
import re

_order = itertools.count(1)
_TAGGED = re.compile(r"(?<![0-9a-z])([0-9a-z]{5}[0-9]{3})-([0-9]{6})(?![0-9])")


def next_order() -> int:
    """The next place in the process-wide order of MM4 events."""
    return next(_order)


def transaction_id(tag: str, n: int) -> str:
    return f"T-{tag}-{n:06d}"


def message_id(tag: str, n: int, domain: str) -> str:
    return f"{tag}-{n:06d}@{domain}"


def tag_of(identifier: str | None) -> str | None:
    """The scenario tag inside an identifier the harness made; None for anything else."""
    if not identifier:
        return None
    found = _TAGGED.search(identifier)
    return found.group(1) if found else None


def number_of(identifier: str | None) -> int | None:
    """The sequence number inside an identifier the harness made."""
    found = _TAGGED.search(identifier or "")
    return int(found.group(2)) if found else None
