"""Store-and-forward under faults: nothing accepted is lost, nothing is delivered twice.

300 submissions spread over a 3-server farm while one fault comes and goes;
afterwards every holding point must balance and hold nothing, and at the SP
every (MSGID1, recipient) has one final state or a dead letter somewhere.
The seed is printed (override: MMSCONF_FAULT_SEED).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

SEED = int(os.environ.get("MMSCONF_FAULT_SEED", "7321"))
SUBMISSIONS = 300
SETTLE_MS = 60_000  # generous bound on draining the held reports; normally a second


def _set(obj: Any, **values: Any) -> Callable[[], Awaitable[None]]:
    async def action() -> None:
        for name, value in values.items():
            setattr(obj, name, value)

    return action


def _schedule(kind: str, net: Any, traffic: Any) -> None:
    farm, sp = net.farm, net.sp
    s = traffic.schedule
    if kind == "a: issuing server down, then up":
        s(40, "MMSG-180 down", lambda: farm.take_down(180))
        s(140, "MMSG-180 up", lambda: farm.bring_up(180))
    elif kind == "b: SP slow, down, then up":
        s(40, "SP answers 150 ms late", _set(sp.faults, slow_ms=150))
        s(100, "SP on time, and down", _both(_set(sp.faults, slow_ms=0), sp.go_down))
        s(180, "SP up", sp.come_up)
    elif kind == "c: a server answers 4006, then 3000":
        server = farm.servers[181].faults
        s(40, "MMSG-181 answers 4006", _set(server, status=4006))
        s(100, "MMSG-181 answers 3000", _set(server, status=3000))
        s(160, "MMSG-181 healthy", _set(server, status=None))
    elif kind == "d: the SP answers 3000":
        s(40, "SP answers 3000", _set(sp.faults, status=3000))
        s(160, "SP healthy", _set(sp.faults, status=None))
    else:
        raise AssertionError(kind)


def _both(*actions: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    async def action() -> None:
        for a in actions:
            await a()

    return action


@pytest.mark.parametrize(
    "kind",
    [
        "a: issuing server down, then up",
        "b: SP slow, down, then up",
        "c: a server answers 4006, then 3000",
        "d: the SP answers 3000",
    ],
)
def test_nothing_lost_while_a_fault_comes_and_goes(faults: Any, kind: str) -> None:
    async def main() -> tuple[Any, list[str]]:
        # Expiry far beyond the run: nothing may be dead-lettered.
        async with faults.net(SEED, report_expiry_ms=120_000) as net:
            traffic = faults.Traffic(SUBMISSIONS, SEED)
            _schedule(kind, net, traffic)
            await traffic.run(net)
            await faults.settle(net, SETTLE_MS)
            return faults.account(net, SEED), traffic.log

    result, log = asyncio.run(main())
    print(f"\n{kind}", *log, *result.lines(), sep="\n  ")
    assert result.problems == [], "\n".join(result.lines())
    assert result.dead == 0
    assert result.submissions == SUBMISSIONS


def test_dead_letters_past_expiry_are_counted_and_never_delivered(faults: Any) -> None:
    """MMSG-180 stays down past the expiry: the reports for its MSGID2s die, counted."""

    async def main() -> tuple[Any, int]:
        async with faults.net(SEED, report_expiry_ms=1000) as net:
            farm = net.farm
            for mmsc in net.mmscs.values():
                mmsc.hold_reports = True
            await faults.Traffic(60, SEED).run(net)
            issued_by_180 = sum(
                len(r.recipients)
                for m in net.mmscs.values()
                for r in m.received
                if r.msgid2.startswith("180-")
            )
            await farm.take_down(180)
            for mmsc in net.mmscs.values():
                await mmsc.release_reports()
            # Each report for a 180 MSGID2 is taken over by 181 or 182 and dies there.
            await asyncio.gather(
                *(
                    s.events.wait_for(lambda _, s=s: not s.held, SETTLE_MS, f"{s.role} empty")
                    for m, s in farm.servers.items()
                    if m != 180
                )
            )
            await farm.bring_up(180)  # too late: nothing dead may come back to life
            await faults.settle(net, SETTLE_MS)
            return faults.account(net, SEED), issued_by_180

    result, issued_by_180 = asyncio.run(main())
    print("\nMMSG-180 down past the expiry", *result.lines(), sep="\n  ")
    assert result.problems == [], "\n".join(result.lines())
    assert issued_by_180 > 0
    assert result.dead == issued_by_180
    assert sum(ledger.dead for ledger in result.ledgers) == issued_by_180
    assert sum(result.finals.values()) + result.dead == result.keys
