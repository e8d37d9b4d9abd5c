"""Hostile input on the SMS centre's fake SMSC link: what a broken or hostile bearerbox could
write down the socket the centre connects to. The centre is the client here, so the
battery is played from the listening side (tests/support/sms_link.py), each case on a fresh
connection, and each is followed by the probe:

* before the case, the first part of a two-part push is sent (and held);
* after it, on the next connection, the second part and a single-SMS push:
  both must be delivered whole - the centre kept serving and lost nothing it had
  taken before the case.

Each case prescribes the fields its bad lines name (``bad-line`` events, one per line,
one trace event per line) and how many SMS it delivers itself. A table of what each
case got is printed, as the other batteries do.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass

from mmsconf.emulators.push_refs import PushRef
from tests.support import sms_link as sl

SUBNET = 171
SEED = 20240515
LINE_FIELDS = {"sender", "receiver", "kind", "data", "udh", "route", "dlr-mask", "line"}


@dataclass(frozen=True)
class Case:
    """Chunks written one after the other; the bad fields expected (None: any field a
    line or header error may name) and the SMS the case itself delivers."""

    name: str
    chunks: tuple[bytes, ...]
    bad: Counter[str] | None
    delivers: int = 0


def _junk(rnd: random.Random, size: int) -> bytes:
    # Binary, with line breaks in it; ends with LF so the next case starts a line.
    return rnd.randbytes(size).replace(b"\r", b"") + b"\n"


def cases() -> list[Case]:
    rnd = random.Random(SEED)
    print(f"hostile SMS link: seed {SEED}")
    push = sl.line(sl.push_pdu(PushRef("hostl002", 1)))
    megabyte = b"8888 +8613800000001 data " + b"%41" * ((1 << 20) // 3) + b"\n"
    return [
        Case("binary junk, 4 KiB", (_junk(rnd, 4096),), None),
        Case("binary junk in 1-octet writes", tuple(bytes([b]) for b in _junk(rnd, 200)), None),
        Case("NUL octets", (b"\x00" * 100 + b"\n",), Counter(sender=1)),
        Case(
            "a UDHL that lies (7, 6 follow)",
            (b"8888 +8613800000001 udh %07%05%04%0B%84%23%F0 data %01%06\n",),
            Counter(UDHL=1),
        ),
        Case(
            "a UDHL past the header's end (IE cut)",
            (b"8888 +8613800000001 udh %0A%05%04%0B%84%23%F0%00%03%01%03 data %01\n",),
            Counter({"IE 0x00": 1}),
        ),
        Case(
            "a concatenation part 4 of 3",
            (sl.line(b"x", bytes.fromhex("0b05040b8423f000030103 04".replace(" ", ""))),),
            Counter({"IE 0x00": 1}),
        ),
        Case("a % at the end", (b"8888 +8613800000001 data %01%0\n",), Counter(data=1)),
        Case("a lone % at the end", (b"8888 +8613800000001 data %\n",), Counter(data=1)),
        Case(
            "a % at the end of the UDH",
            (b"8888 +8613800000001 udh %06% data %01\n",),
            Counter(udh=1),
        ),
        Case("CR alone inside a line", (b"8888 +8613800000001 text a\rb\n",), Counter(line=1)),
        Case("10,000 short junk lines", (b"x\n" * 10_000,), Counter(receiver=10_000)),
        Case(
            "10,000 short SMS",
            (b"".join(b"1 2 text %d\n" % n for n in range(10_000)),),
            Counter(),
            delivers=10_000,
        ),
        Case("a line of 1 MB", (megabyte,), Counter(line=1)),
        Case(
            "a line of 1 MB in 64 KiB writes, then a push",
            (*(megabyte[i : i + 65536] for i in range(0, len(megabyte), 65536)), push),
            Counter(line=1),
            delivers=1,
        ),
        Case("1 MB without a line break", (b"A" * (1 << 20), b"\n"), Counter(line=1)),
        Case("an empty line, then CR LF alone", (b"\n", b"\r\n"), Counter(sender=2)),
    ]


@dataclass
class Outcome:
    case: Case
    fields: Counter[str]
    delivered: int
    events: int
    problem: str | None


async def _play(link: sl.Link, case: Case, n: int) -> Outcome:
    centre, bb = link.centre, link.bearerbox
    bad0, sms0, trace0 = len(centre.bad), len(centre.delivered), len(link.sms_events())
    held_pdu = sl.push_pdu(PushRef("hostl001", n))
    first, second = sl.parts(held_pdu, ref=n % 256, total=2)
    await bb.write(first)
    await centre.events.wait_for(
        lambda _l: len(link.sms_events()) > trace0, sl.WAIT_MS, "the first part"
    )
    await bb.write(*case.chunks)
    await bb.write(b"\n" if case.chunks and not case.chunks[-1].endswith(b"\n") else b"")
    # The next connection (bearerbox's EOF): the centre must come back and finish the push.
    single = sl.push_pdu(PushRef("hostl003", n))
    await bb.drop_connection()
    await bb.wait_accepted(n + 2)
    await bb.write(second, sl.line(single))
    want = sms0 + case.delivers + 2
    await centre.events.wait_for(
        lambda _l: len(centre.delivered) >= want, 20_000, f"{case.name}: the probe"
    )
    fields = Counter(b.field for b in centre.bad[bad0:])
    delivered = centre.delivered[sms0:]
    problems = []
    if case.bad is not None and fields != case.bad:
        problems.append(f"bad fields {dict(fields)}, expected {dict(case.bad)}")
    if case.bad is None and not set(fields) <= LINE_FIELDS | {"UDHL"} | {
        f for f in fields if f.startswith("IE 0x")
    }:
        problems.append(f"unexpected fields {dict(fields)}")
    if len(delivered) != case.delivers + 2:
        problems.append(f"{len(delivered)} SMS, expected {case.delivers + 2}")
    payloads = [d.payload for d in delivered]
    if held_pdu not in payloads or single not in payloads:
        problems.append("the push held before the case, or the probe, was not delivered whole")
    events = len(link.sms_events()) - trace0
    lines_taken = 3 + case.delivers + sum(fields.values())  # the probe's three lines
    if events != lines_taken:
        problems.append(f"{events} trace events for {lines_taken} lines")
    return Outcome(case, fields, len(delivered), events, "; ".join(problems) or None)


def test_hostile_input_on_the_sms_link() -> None:
    async def go() -> list[Outcome]:
        outcomes = []
        async with sl.sms_link(SUBNET) as link:
            for n, case in enumerate(cases()):
                outcomes.append(await _play(link, case, n))
            assert link.centre.connected
        return outcomes

    outcomes = asyncio.run(go())
    width = max(len(o.case.name) for o in outcomes)
    for o in outcomes:
        fields = ", ".join(f"{f} x{c}" for f, c in sorted(o.fields.items())) or "-"
        verdict = "ok" if o.problem is None else f"WRONG: {o.problem}"
        print(f"{o.case.name:<{width}}  bad: {fields:<28} sms: {o.delivered:<6} {verdict}")
    bad = [o for o in outcomes if o.problem]
    assert not bad, "\n".join(f"{o.case.name}: {o.problem}" for o in bad)
