"""Hostile SMTP on every MM4 socket: a destination MMSC, the relay's receiving side and
the core's inbox. Each case on a fresh connection gets the protocol's answer or a
bounded close, and a valid MM4 transaction on a new connection is served right after.
The message counts agree with what the senders were told (nothing taken silently).

Cases: an over-long command line (500), a line that never ends (closed at the idle
timeout), bare-LF commands (answered), a DATA body with bare LFs (554 naming the line
endings), pipelining abuse (every answer in order), a NOOP flood (answered), a flood of
unknown commands (502 and closed), NUL and 8-bit bytes (500), an idle session (closed
at the idle timeout), 10 MB of DATA over the size limit (552), a non-MM4 body (554
naming X-Mms-Message-Type), a half-closed session (closed).
"""

from __future__ import annotations

import asyncio
import email.utils
import itertools
import re
from collections.abc import Callable
from typing import Any

import pytest

from mmsconf.emulators.codecs import mm4
from mmsconf.emulators.mm4_destination import DestinationConfig, DestinationMmsc
from mmsconf.emulators.mm4_originator import Originator, OriginatorConfig
from mmsconf.emulators.mm4_relay import MM4Relay, RelayConfig
from mmsconf.emulators.mm4_subpool import PoolLimits
from mmsconf.emulators.ports import listen_port
from mmsconf.emulators.retry import RetryPolicy
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.smtp import SmtpClient

SOURCE = mm4.mms_domain(1, 1)
DEST = mm4.mms_domain(2, 1)
IDLE_MS = 1500  # the servers' idle timeout in these tests
LIMIT = 10_000_000  # bytes of DATA (the shipped default)
HOSTS = {
    "core": "127.0.44.111",
    "dest": "127.0.44.112",
    "relay": "127.0.44.110",
    "me": "127.0.44.119",
}
_REPLY = re.compile(rb"^(\d{3})[ -]", re.MULTILINE)


def forward(n: int, to: str = DEST) -> bytes:
    return mm4.encode(
        mm4.ForwardReq(
            f"T-hostile-{n}",
            f"hostile-{n}@{SOURCE}",
            sender=mm4.Address.plmn("+8613800000001", SOURCE),
            to=(mm4.Address.plmn("+8613900000002", to),),
            date=email.utils.formatdate(),
            content=mm4.text_content("hostile"),
        )
    )


def res(n: int) -> bytes:
    return mm4.encode(
        mm4.ForwardRes(
            f"T-hostile-{n}",
            f"hostile-{n}@{SOURCE}",
            sender=mm4.Address("system-user", DEST),
            to=(mm4.Address("system-user", SOURCE),),
        )
    )


def codes(data: bytes) -> list[int]:
    return [int(m.group(1)) for m in _REPLY.finditer(data)]


def data_successes(data: bytes) -> int:
    """Messages the server said it took: a 250 right after a 354."""
    got = codes(data)
    return sum(1 for a, b in itertools.pairwise(got) if a == 354 and b == 250)


def answers(*wanted: int, closes: bool = False) -> Callable[[Any], str | None]:
    def check(o: Any) -> str | None:
        got = codes(o.data)
        if got[:1] != [220]:
            return f"no greeting: {o.data[:80]!r}"
        if not set(wanted) <= set(got[1:]):
            return f"wanted {wanted} in {got}"
        if closes and not o.closed:
            return "still open"
        return None

    return check


def closed_within(ms: int, *also: int) -> Callable[[Any], str | None]:
    def check(o: Any) -> str | None:
        if not o.closed:
            return f"still open after {o.elapsed_ms:.0f} ms"
        if o.elapsed_ms > ms:
            return f"closed after {o.elapsed_ms:.0f} ms, bound {ms} ms"
        if not set(also) <= set(codes(o.data)):
            return f"wanted {also} in {codes(o.data)}"
        return None

    return check


def transaction(rcpt: str, body: bytes) -> bytes:
    return (
        b"EHLO hostile.example\r\nMAIL FROM:<x@"
        + SOURCE.encode()
        + b">\r\nRCPT TO:<"
        + rcpt.encode()
        + b">\r\nDATA\r\n"
        + body.replace(b"\r\n.", b"\r\n..")
        + b"\r\n.\r\n"
    )


def cases(hostile: Any, rcpt: str, good: bytes, *, lenient: bool = False) -> list:
    """``lenient``: the role reads MM4 leniently (the relay and the core take a body with
    bare LFs, recording the deviation; a strict destination answers 554)."""
    bound = IDLE_MS + 3000

    def case(name: str, send: Any, check: Any, expect: str, **kw: Any) -> Any:
        """Every case listens until the server hangs up: after QUIT, or on its own."""
        kw.setdefault("listen_ms", bound + 2000)
        return hostile.Case(name, send, check, expect, until_close=True, **kw)

    async def huge(wire: Any) -> None:
        head = b"EHLO h\r\nMAIL FROM:<x@" + SOURCE.encode() + b">\r\nRCPT TO:<" + rcpt.encode()
        await wire.send(head + b">\r\nDATA\r\n")
        chunk = (b"X" * 998 + b"\r\n") * 1000
        for _ in range(11):  # 11 MB of DATA: over the 10 MB limit
            if not await wire.send(chunk):
                return
        await wire.send(b".\r\nQUIT\r\n")

    quit_ = b"QUIT\r\n"
    bare = transaction(rcpt, good).replace(b"\r\n", b"\n", 12).replace(b"DATA\n", b"DATA\r\n")
    long_line = b"EHLO h\r\nNOOP " + b"a" * 5000 + b"\r\n" + quit_
    not_mm4 = transaction(rcpt, b"Subject: hi\r\n\r\nplain\r\n") + quit_
    return [
        case("over-long command line", long_line, answers(500, 221), "500"),
        case("a line that never ends", b"EHLO " + b"a" * 100_000, closed_within(bound), "closed"),
        case("bare-LF commands", b"EHLO h\nNOOP\n" + quit_, answers(250, 221), "answered"),
        case(
            "bare LFs in the body",
            bare + quit_,
            answers(250 if lenient else 554, 221),
            "250 (lenient)" if lenient else "554 bare LF",
        ),
        case(
            "pipelining abuse",
            transaction(rcpt, good) + b"NOOP\r\n" * 50 + quit_,
            answers(250, 354, 221),
            "every answer",
        ),
        case(
            "NOOP flood", b"EHLO h\r\n" + b"NOOP\r\n" * 2000 + quit_, answers(250, 221), "answered"
        ),
        case("unknown command flood", b"BOGUS\r\n" * 50, closed_within(bound, 502), "502 closed"),
        case("NUL and 8-bit bytes", b"EHLO h\r\n\x00\xff\r\n" + quit_, answers(500, 221), "500"),
        case("idle session", b"", closed_within(bound), "closed"),
        case("10 MB over the limit", huge, answers(552, 221), "552", listen_ms=30_000),
        case("not an MM4 message", not_mm4, answers(554, 221), "554 names the header"),
        case("half-closed", b"EHLO h\r\n", closed_within(bound, 250), "closed", half_close=True),
    ]


async def probe(me: SmtpClient, address: tuple[str, int], rcpt: str, body: bytes) -> None:
    result = await me.send(*address, f"x@{SOURCE}", [rcpt], body)
    if not result.ok:
        raise AssertionError(f"{result.code} {result.message} {result.error}")


@pytest.fixture
def mm4_roles() -> Any:
    async def start() -> tuple[list[Service], dict[str, Any]]:
        trace = TraceRecorder()
        port = listen_port(*HOSTS.values())
        relay_at = (HOSTS["relay"], port)
        dest = DestinationMmsc(
            trace,
            "B",
            HOSTS["dest"],
            port,
            DestinationConfig(
                domains=(DEST,), return_routes={SOURCE: relay_at}, idle_timeout_ms=IDLE_MS
            ),
        )
        core = Originator(
            trace,
            HOSTS["core"],
            port,
            OriginatorConfig(SOURCE, relay_at, idle_timeout_ms=IDLE_MS),
        )
        relay = MM4Relay(
            trace,
            HOSTS["relay"],
            port,
            RelayConfig(
                domain=SOURCE,
                core=(HOSTS["core"], port),
                static_routes={DEST: (HOSTS["dest"], port)},
                peers=(DEST,),
                limits=PoolLimits(1, 2, 1000, 20, 100),
                retry=RetryPolicy(20, 100, 15_000),
                smtp_port=port,
                idle_timeout_ms=IDLE_MS,
            ),
        )
        me = Service("HOSTILE", HOSTS["me"])
        client = me.add_client(SmtpClient(me, trace))
        services = [dest, core, relay, me]
        for s in services:
            await s.start()
        return services, {
            "dest": dest,
            "core": core,
            "relay": relay,
            "client": client,
            "port": port,
        }

    return start


def test_hostile_smtp_on_every_mm4_socket(hostile: Any, mm4_roles: Any) -> None:
    async def main() -> list:
        services, roles = await mm4_roles()
        port, client = roles["port"], roles["client"]
        n = iter(range(1, 10_000))
        dest_rcpt = f"+8613900000002/TYPE=PLMN@{DEST}"
        system = f"system-user@{SOURCE}"
        targets = [
            (
                hostile.Target(
                    "MMSC-B",
                    HOSTS["dest"],
                    port,
                    lambda: probe(client, (HOSTS["dest"], port), dest_rcpt, forward(next(n))),
                    local_host=HOSTS["me"],
                    accepted=lambda: len(roles["dest"].arrivals) + len(roles["dest"].responses),
                    successes=lambda o: data_successes(o.data),
                ),
                cases(hostile, dest_rcpt, forward(0)),
            ),
            (
                hostile.Target(
                    "RELAY",
                    HOSTS["relay"],
                    port,
                    lambda: probe(client, (HOSTS["relay"], port), system, res(next(n))),
                    local_host=HOSTS["me"],
                    accepted=lambda: roles["relay"].counters().total.accepted,
                    successes=lambda o: data_successes(o.data),
                ),
                cases(hostile, system, res(0), lenient=True),
            ),
            (
                hostile.Target(
                    "MMSC-A core",
                    HOSTS["core"],
                    port,
                    lambda: probe(client, (HOSTS["core"], port), system, res(next(n))),
                    local_host=HOSTS["me"],
                    accepted=lambda: len(roles["core"].received),
                    successes=lambda o: data_successes(o.data),
                ),
                cases(hostile, system, res(0), lenient=True),
            ),
        ]
        dest, relay = roles["dest"], roles["relay"]

        async def quiet() -> None:
            # What one target's probes set going (a .RES to the relay) settles before the
            # next target's counts begin.
            await dest.events.wait_for(
                lambda _l: dest.answers_store.counters.held == 0, 10_000, "B's answers sent"
            )
            await relay.events.wait_for(
                lambda _l: relay.counters().total.held == 0, 10_000, "the relay drained"
            )

        try:
            results = []
            for target, battery in targets:
                await quiet()
                results.append(await hostile.run(target, battery))
            await quiet()
            assert relay.counters().balanced
        finally:
            for s in reversed(services):
                await s.stop()
        return results

    results = asyncio.run(main())

    def said(o: Any) -> str:
        return f"{codes(o.data)[:8]}{' closed' if o.closed else ''} {o.elapsed_ms:.0f} ms"

    report = "\n".join(r.table(said) for r in results)
    print(report)
    assert all(not r.failures for r in results), report
