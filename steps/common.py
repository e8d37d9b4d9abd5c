"""Helpers and steps every area shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_bdd import parsers, then

from mmsconf.fixtures.verdicts import ClauseViolation, MessageTable, OffendingMessage, check


def number_list(text: str) -> list[str]:
    """'+861, +862' -> ['+861', '+862']: how steps write several recipients."""
    return [n.strip() for n in text.split(",") if n.strip()]


# --- wire conformance (features/wire/) ----------------------------------------------------


@then(parsers.parse("every {operation} the SUT sent conforms to the MM7 schema of its release"))
def sut_operation_conforms(mmsconf_wire: Callable[[], list[Any]], operation: str) -> None:
    """The SUT's ``operation`` messages in this scenario, decoded strictly: at least one,
    none with a deviation. Judged here whatever ``[profile] wire`` says: form is what a
    features/wire/ scenario is about."""
    mine = [m for m in mmsconf_wire() if not m.stray and m.operation == operation]
    check(
        bool(mine),
        "wire",
        f"at least one {operation} from the SUT",
        "none in this scenario's trace",
    )
    bad = [m for m in mine if m.findings]
    if bad:
        raise ClauseViolation(
            "wire",
            f"every {operation} the SUT sends conforms to its release's schema (strict decoding)",
            f"{len(bad)} of {len(mine)} deviate: " + "; ".join(m.line() for m in bad[:3]),
            evidence=[
                MessageTable(
                    f"{operation}s of the SUT that deviate",
                    [
                        OffendingMessage(
                            m.seq, "; ".join(f"{f.code} at {f.element}" for f in m.findings)
                        )
                        for m in bad[:50]
                    ],
                )
            ],
        )
