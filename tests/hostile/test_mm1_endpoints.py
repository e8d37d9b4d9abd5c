"""The MM1-speaking emulators of disaster recovery against the hostile battery, over real
sockets: the MMS router (the reference SUT), an MMSC and the WAP gateway.

Each case is played on a fresh connection; after each, a valid submission through the
same endpoint must still succeed. What MM1 prescribes for a well-framed body it cannot
take: an m-send-conf with an error status (message-format-corrupt, or a permanent failure
for another PDU type) over HTTP 200, or 415 for a body that is not MM1 at all; never a
dropped connection. At the end nothing is lost: the router's counters balance, and the
battery's one valid submission is stored once however often it was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import Any

from mmsconf.emulators import mm1_http
from mmsconf.emulators.codecs import mm1
from mmsconf.emulators.mm1_handset import Mm1Handsets, Order, build_send_req
from mmsconf.emulators.mm1_mmsc import MessageStore, Mm1Mmsc
from mmsconf.emulators.mms_router import MmsRouter, RouterConfig
from mmsconf.emulators.ports import listen_port
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.wap_gateway import Cached, GatewayConfig, WapGateway

ROUTER, A, B, GATEWAY, HANDSET = (
    "127.0.41.10", "127.0.41.21", "127.0.41.22", "127.0.41.2", "127.0.41.1",
)  # fmt: skip
_n = itertools.count(1)


class Net:
    """Two MMSCs and the reference router in front of them (no DNS: the gateway test
    resolves nothing, it is refused before)."""

    def __init__(self, limits: Any) -> None:
        self.trace = TraceRecorder()
        self.port = listen_port(ROUTER, A, B)
        self.store = MessageStore()
        self.mmscs = [
            Mm1Mmsc(self.trace, n, h, self.port, self.store) for n, h in (("A", A), ("B", B))
        ]
        config = RouterConfig({m.name: m.url for m in self.mmscs})
        self.router = MmsRouter(self.trace, ROUTER, self.port, config)
        for service in (self.router, *self.mmscs):
            service.http.limits = limits
        self.handsets = Mm1Handsets(self.trace, HANDSET, self.router.url, "mms.test")

    async def start(self) -> None:
        for service in (*self.mmscs, self.router, self.handsets):
            await service.start()

    async def stop(self) -> None:
        for service in (self.handsets, self.router, *self.mmscs):
            await service.stop()

    async def probe(self, target: str | None = None) -> None:
        n = next(_n)
        sent = await self.handsets.submit(Order(f"probe-{n}", f"probe-{n}", "+861"), target=target)
        assert sent.ok, sent


@contextlib.asynccontextmanager
async def network(limits: Any) -> AsyncIterator[Net]:
    net = Net(limits)
    await net.start()
    try:
        yield net
    finally:
        await net.stop()


def _conf_of(answer: Any) -> mm1.SendConf | str:
    if not mm1_http.is_mm1(answer.headers.get("content-type", "")):
        return f"HTTP {answer.status} {answer.headers.get('content-type', 'no type')}"
    try:
        message = mm1.decode(answer.body, lenient=True).message
    except mm1.MM1Error as err:
        return f"HTTP {answer.status} with a body that is not MM1: {err}"
    if not isinstance(message, mm1.SendConf):
        return f"{message.type.label} instead of an m-send-conf"
    return message


def mm1_refusal(hostile: Any) -> Any:
    """What MM1 answers a body it cannot take: an m-send-conf with an error status over 200,
    or 415 for one that is not MM1 at all."""

    def check(o: Any) -> str | None:
        answers = hostile.http_answers(o.data)
        if not answers:
            return f"no HTTP answer (closed={o.closed}, got {o.data[:80]!r})"
        if answers[0].status == 415:
            return None
        conf = _conf_of(answers[0])
        if isinstance(conf, str):
            return conf
        if answers[0].status != 200 or conf.ok:
            return f"HTTP {answers[0].status} {mm1.status_name(conf.response_status)}"
        return None

    return check


def any_mm1_answer(hostile: Any) -> Any:
    def check(o: Any) -> str | None:
        answers = hostile.http_answers(o.data)
        if not answers:
            return f"no HTTP answer (closed={o.closed}, got {o.data[:80]!r})"
        conf = _conf_of(answers[0])
        return conf if isinstance(conf, str) else None

    return check


def mm1_successes(hostile: Any) -> Any:
    def count(o: Any) -> int:
        confs = [_conf_of(a) for a in hostile.http_answers(o.data) if a.status == 200]
        return sum(1 for c in confs if isinstance(c, mm1.SendConf) and c.ok)

    return count


def mm1_bodies(valid: bytes) -> dict[str, tuple[str, bytes, bool]]:
    """Content cases: right framing, wrong body (content type, body, may pass)."""
    ct = mm1_http.CONTENT_TYPE
    conf = mm1.encode(mm1.SendConf("x-1"))
    head = valid[: valid.index(b"\x84")]  # up to the Content-Type field
    return {
        "Content-Type text/plain": ("text/plain", valid, False),
        # The battery sends the valid type when the case gives none: a valid request.
        "no Content-Type": ("", valid, True),
        "empty body": (ct, b"", False),
        "text, not MM1": (ct, b"hello, this is not MM1 at all\r\n", False),
        "XML, not MM1": (ct, b'<?xml version="1.0"?><note/>', False),
        "m-send-conf instead": (ct, conf, False),
        "m-retrieve-conf (unread type)": (ct, b"\x8c\x84\x98x\x00\x8d\x92", False),
        "unknown message type": (ct, b"\x8c\x99\x98x\x00\x8d\x92", False),
        "truncated in the headers": (ct, valid[: len(head) - 3], False),
        "truncated in the body": (ct, valid[:-5], False),
        "no Content-Type field": (ct, head, False),
        "uintvar of 6 octets": (ct, head + b"\x84\xb3" + b"\x81" * 6 + b"\x01", False),
        "a million parts declared": (ct, head + b"\x84\xb3\xbd\x84\x40", False),
        "value-length past the end": (ct, valid[:8] + b"\x89\x1f\x8f\xff\xff\xff\x7f", False),
        "every octet 0xFF": (ct, b"\xff" * 512, False),
    }


def _cases(hostile: Any, valid: Any) -> list[Any]:
    return hostile.http_cases(
        valid,
        hostile.TEST_LIMITS,
        mm1_refusal(hostile),
        "m-send-conf error status (or 415)",
        answer=any_mm1_answer(hostile),
        bodies=mm1_bodies(valid.body),
    )


def _with(hostile: Any, cases: list[Any], **checks: Any) -> list[Any]:
    """The battery with some cases' checks replaced: an endpoint whose protocol answers them
    otherwise (the MMSC answers GET on its MM1 URL: it is the health probe)."""
    out = []
    for case in cases:
        if case.name in checks:
            check, expect = checks[case.name]
            case = hostile.Case(case.name, case.send, check, expect, until_close=case.until_close)
        out.append(case)
    return out


def _report(hostile: Any, name: str, result: Any) -> None:
    print(result.table(hostile.describe_http))
    failures = [(p.case.name, p.problem) for p in result.failures]
    assert not failures, failures


def _valid(hostile: Any, tid: str) -> Any:
    body = mm1.encode(build_send_req(Order(tid, tid, "+8613800000001")))
    return hostile.ValidRequest("/mms", body, mm1_http.CONTENT_TYPE)


def test_router_endpoint(hostile: Any) -> None:
    async def main() -> None:
        async with network(hostile.TEST_LIMITS) as net:
            tid = "hostile-router-1"
            target = hostile.Target(
                "MMS router /mms",
                ROUTER,
                net.port,
                net.probe,
                local_host=GATEWAY,
                answered=hostile.http_answered,
                accepted=lambda: len(
                    [e for e in net.router.events.of("forwarded") if e["tid"] == tid]
                ),
                successes=mm1_successes(hostile),
            )
            result = await hostile.run(target, _cases(hostile, _valid(hostile, tid)))
            _report(hostile, "router", result)
            counters = net.router.counters
            assert counters.balanced and counters.in_flight == 0, counters
            assert counters.malformed > 0, counters
            # However often the battery sent its valid submission, it is stored once.
            assert net.store.copies()[tid] == 1

    asyncio.run(main())


def test_mmsc_endpoint(hostile: Any) -> None:
    async def main() -> None:
        async with network(hostile.TEST_LIMITS) as net:
            mmsc = net.mmscs[0]
            tid = "hostile-mmsc-1"

            async def probe() -> None:
                await net.probe(target=mmsc.url)

            target = hostile.Target(
                "MMSC A /mms",
                A,
                net.port,
                probe,
                local_host=ROUTER,
                answered=hostile.http_answered,
                accepted=lambda: len([s for s in mmsc.seen if s.transaction_id == tid]),
                successes=mm1_successes(hostile),
            )
            probe_ok = (hostile.http_status(200), "200 (a health probe)")
            cases = _with(
                hostile,
                _cases(hostile, _valid(hostile, tid)),
                **{"GET /mms": probe_ok, "HEAD /mms": probe_ok},
            )
            result = await hostile.run(target, cases)
            _report(hostile, "MMSC A", result)
            assert net.store.copies()[tid] == 1

    asyncio.run(main())


def test_wap_gateway_endpoint(hostile: Any) -> None:
    """The gateway forwards what it gets unread (as real ones do) and refuses a host it does
    not serve, so its battery is the HTTP one: the framing and the limits."""

    async def main() -> None:
        async with network(hostile.TEST_LIMITS) as net:
            # No resolver: the gateway is told the router's address is held (as after a
            # lookup) so every valid request goes through it.
            gateway = WapGateway(
                net.trace,
                GATEWAY,
                0,
                GatewayConfig("mms.test", net.port, ("127.0.41.53", 9)),
            )
            gateway.http.limits = hostile.TEST_LIMITS
            await gateway.start()
            gateway.cache[gateway.domain] = Cached(ROUTER, 172800, float("inf"))
            try:
                body = mm1.encode(build_send_req(Order("hostile-gw-1", "hostile-gw-1", "+861")))
                valid = hostile.ValidRequest("/mms", body, mm1_http.CONTENT_TYPE)
                # The Host the battery sends is not the MMS domain: refused, 403.
                not_ours = (hostile.http_status(403), "403 (not the MMS domain)")
                cases = _with(
                    hostile,
                    hostile.http_cases(
                        valid,
                        hostile.TEST_LIMITS,
                        hostile.http_status(403, 415, 200),
                        "403 (not the MMS domain)",
                        answer=hostile.http_status(403),
                    ),
                    **{"unknown path": not_ours},
                )

                async def probe() -> None:
                    await net.probe(target=gateway.url)

                target = hostile.Target(
                    "WAP gateway /mms",
                    GATEWAY,
                    gateway.port,
                    probe,
                    local_host=HANDSET,
                    answered=hostile.http_answered,
                )
                result = await hostile.run(target, cases)
                _report(hostile, "WAP gateway", result)
            finally:
                await gateway.stop()

    asyncio.run(main())
