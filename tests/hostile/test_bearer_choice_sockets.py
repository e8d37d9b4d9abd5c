"""Hostile input on every socket the bearer-choice emulators listen on, each case on its own
connection or socket and each followed by a valid exchange that must still work:

* the push gateway's PAP endpoint (HTTP): the HTTP-borne battery, plus PAP bodies it
  cannot take - each gets a PAP document with a 2000-range code, over HTTP 202;
* the gateway's and the handset's SIP sockets (UDP): a request that reads far enough
  gets 400, anything else is dropped, floods and oversized datagrams too;
* the handset's WDP socket (UDP): never answered, whatever comes; what does not decode
  is recorded as an undecodable attempt;
* the presence resource (HTTP GET): strange paths get 404, other methods 405.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from mmsconf.emulators.codecs import pap, sip, wsp_push
from mmsconf.emulators.handset import Handset, HandsetConfig
from mmsconf.emulators.ppg import PpgConfig, PushGateway
from mmsconf.emulators.presence import ClientState, PresenceServer
from mmsconf.emulators.push_initiator import PiConfig, PushInitiator
from mmsconf.emulators.push_refs import PushRef
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.http_client import HttpClient
from mmsconf.emulators.transports.udp import UdpClient

_numbers = itertools.count(1)
TAG = "hostl001"


@dataclass
class Net:
    trace: TraceRecorder
    presence: PresenceServer
    ppg: PushGateway
    pi: PushInitiator
    handset: Handset


@asynccontextmanager
async def bc_net(limits: Any) -> AsyncIterator[Net]:
    trace = TraceRecorder()
    presence = PresenceServer(trace, "127.0.95.2")
    handset = Handset(trace, "127.0.95.3", "+8613800900001", HandsetConfig(sip_port=0, wdp_port=0))
    await presence.start()
    await handset.start()
    ppg = PushGateway(
        trace,
        "127.0.95.1",
        0,
        PpgConfig(
            presence_url=presence.base_url, sip_port=0, wsp_port=0, client_wdp_port=handset.wdp.port
        ),
    )
    ppg.http.limits = limits
    presence.http.limits = limits
    await ppg.start()
    pi = PushInitiator(trace, "127.0.95.4", 0, PiConfig(ppg_url=ppg.pap_url, retries=0))
    await pi.start()
    handset.scope = pi.scope = presence.scope = TAG
    presence.put(
        ClientState(handset.number, handset.host, handset.sip.port, handset.wdp.port, scope=TAG)
    )
    try:
        yield Net(trace, presence, ppg, pi, handset)
    finally:
        for s in (pi, ppg, handset, presence):
            await s.stop()


def _report(hostile: Any, results: list[Any]) -> None:
    for result in results:
        print(result.table(hostile.describe_http))
    bad = [p for r in results for p in r.failures]
    assert not bad, "\n".join(f"{p.case.name}: {p.problem}" for p in bad)


def pap_code(*codes: range | tuple[int, ...]) -> Any:
    """A PAP document (badmessage-response or push-response) with a code in ``codes``."""
    allowed = [c for group in codes for c in group]

    def check(o: Any) -> str | None:
        from_http = Hostile.http_answers(o.data) if Hostile else []
        if not from_http:
            return f"no HTTP answer (closed={o.closed})"
        answer = from_http[0]
        try:
            m = pap.decode(answer.body, pap.Mode.LENIENT).message
        except pap.PapError as err:
            return f"HTTP {answer.status} that is not PAP: {err}"
        if isinstance(m, pap.BadMessageResponse):
            code = m.code
        elif isinstance(m, pap.CancelResponse | pap.StatusQueryResponse):
            code = m.results[0].code
        else:
            code = getattr(getattr(m, "result", None), "code", None)
        if answer.status not in (200, 202) or code not in allowed:
            return f"HTTP {answer.status} PAP {code}, expected 200/202 with {codes}"
        return None

    return check


Hostile: Any = None


def _valid_pap(pi: PushInitiator, client: str) -> tuple[str, bytes]:
    ref = PushRef(TAG, next(_numbers))
    message = pap.PushMessage(pi.push_id(ref), (pi.address(client),))
    body = pap.build_push(message, pi.content(ref))
    return body.content_type, body.body


def test_pap_endpoint(hostile: Any) -> None:
    global Hostile
    Hostile = hostile

    async def main() -> list[Any]:
        async with bc_net(hostile.TEST_LIMITS) as net:
            ctype, body = _valid_pap(net.pi, net.handset.number)
            valid = hostile.ValidRequest("/wappush", body, ctype)

            async def probe() -> None:
                ref = PushRef(TAG, next(_numbers))
                sent = await net.pi.push(ref, net.handset.number)
                assert sent.code == 1001, sent.problem

            xml = "application/xml"
            pap_doc = body[body.index(b"<?xml") : body.index(b"</pap>") + 6]
            bodies = {
                "PAP without its content": (xml, pap_doc, False),
                "not XML at all": (xml, b"hello, push gateway\r\n", False),
                "an entity declared": (
                    xml,
                    b'<?xml version="1.0"?><!DOCTYPE pap [<!ENTITY a "aaaa">'
                    b'<!ENTITY b "&a;&a;&a;&a;">]><pap>&b;</pap>',
                    False,
                ),
                "an external entity": (
                    xml,
                    b'<!DOCTYPE pap [<!ENTITY x SYSTEM "file:///etc/passwd">]><pap>&x;</pap>',
                    False,
                ),
                "100 000 nested elements": (xml, b"<pap>" + b"<a>" * 100_000, False),
                "multipart without boundary": ("multipart/related", body, False),
                "multipart, wrong boundary": (
                    'multipart/related; boundary="nope"; type="application/xml"',
                    body,
                    False,
                ),
                "cancel of an unknown push": (
                    xml,
                    pap.encode(pap.CancelMessage("nobody@x", ())),
                    True,
                ),
            }
            cases = hostile.http_cases(
                valid,
                hostile.TEST_LIMITS,
                pap_code(range(2000, 3000)),
                "HTTP 202 + PAP 2xxx",
                answer=pap_code((1001, 2004)),
                bodies=bodies,
            )
            target = hostile.Target(
                "PPG /wappush",
                net.ppg.host,
                net.ppg.http.port,
                probe,
                local_host="127.0.95.9",
                answered=hostile.http_answered,
            )
            return [await hostile.run(target, cases)]

    _report(hostile, asyncio.run(main()))


def _register(number: str, host: str, cseq: str = "1 REGISTER") -> bytes:
    return (
        "REGISTER sip:mmsconf.example SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {host}:5999;branch=z9hG4bK-h{next(_numbers)}\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:{number}@mmsconf.example>;tag=h\r\nTo: <sip:{number}@mmsconf.example>\r\n"
        f"Call-ID: h{next(_numbers)}@{host}\r\nCSeq: {cseq}\r\n"
        f"Contact: <sip:{number}@{host}:5999>;expires=60\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def _sip_status(*codes: int | None) -> Any:
    def check(o: Any) -> str | None:
        got = sip.status_of(o.datagrams[0]) if o.datagrams else None
        if got not in codes:
            return f"got {got} ({o.datagrams[:1]!r}), expected {codes}"
        if len(o.datagrams) > 1:
            return f"{len(o.datagrams)} answers"
        return None

    return check


def _sip_cases(hostile: Any, host: str) -> list[Any]:
    good = _register("+8613800900777", host)
    dropped, bad = _sip_status(None), _sip_status(400)
    return [
        hostile.Case("binary junk", b"\x00\xff" * 40, dropped, "dropped", listen_ms=300),
        hostile.Case("empty datagram", b"", dropped, "dropped", listen_ms=300),
        hostile.Case(
            "65 000 B, no end of headers",
            good[:-4] + b"X: " + b"a" * 65_000,
            bad,
            "400",
            listen_ms=300,
        ),
        hostile.Case("CSeq names another method", _register("+1", host, "1 INVITE"), bad, "400"),
        hostile.Case("no Call-ID", good.replace(b"Call-ID", b"X-Call-ID"), bad, "400"),
        hostile.Case(
            "Content-Length past the end",
            good.replace(b"Content-Length: 0", b"Content-Length: 99"),
            bad,
            "400",
        ),
        hostile.Case(
            "SIP/3.0", good.replace(b"SIP/2.0\r\n", b"SIP/3.0\r\n", 1), _sip_status(505), "505"
        ),
        hostile.Case(
            "no Via",
            b"\r\n".join(x for x in good.split(b"\r\n") if not x.startswith(b"Via")),
            dropped,
            "dropped (nowhere to answer)",
            listen_ms=300,
        ),
        hostile.Case(
            "a response to nothing",
            b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x:1;branch="
            b"z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\n"
            b"CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n",
            dropped,
            "dropped",
            listen_ms=300,
        ),
        hostile.Case(
            "a flood of 2000 junk datagrams", [b"junk"] * 2000, dropped, "dropped", listen_ms=300
        ),
        hostile.Case(
            "header line of 60 000 bytes",
            good.replace(b"Max-Forwards: 70", b"Max-Forwards: 70\r\nX: " + b"y" * 60_000),
            _sip_status(200, 400, 405, None),
            "an answer or a drop",
            listen_ms=500,
        ),
    ]


def test_sip_sockets_of_gateway_and_handset(hostile: Any) -> None:
    async def main() -> list[Any]:
        async with bc_net(hostile.TEST_LIMITS) as net:

            async def probe_registrar() -> None:
                t = await net.handset.register(net.ppg.sip.address)
                assert t.status == 200, t.error

            async def probe_handset() -> None:
                client = UdpClient(net.presence, net.trace, "SIP", timeout_ms=3000)
                try:
                    opts = _register(net.handset.number, "127.0.95.2").replace(
                        b"REGISTER", b"OPTIONS"
                    )
                    result = await client.exchange(net.handset.sip.address, opts)
                finally:
                    await client.stop()
                assert sip.status_of(result.answer or b"") == 200, result

            results = []
            for name, (host, port), probe in (
                ("PPG SIP", net.ppg.sip.address, probe_registrar),
                ("handset SIP", net.handset.sip.address, probe_handset),
            ):
                target = hostile.Target(
                    name,
                    host,
                    port,
                    probe,
                    transport="udp",
                    local_host="127.0.95.9",
                    answered=lambda data: bool(data),
                )
                results.append(await hostile.run(target, _sip_cases(hostile, "127.0.95.9")))
            return results

    _report(hostile, asyncio.run(main()))


def test_handset_wdp_socket(hostile: Any) -> None:
    async def main() -> list[Any]:
        async with bc_net(hostile.TEST_LIMITS) as net:
            before = {"n": 0}

            async def probe() -> None:
                ref = PushRef(TAG, next(_numbers))
                content = net.pi.content(ref)
                pdu = wsp_push.encode(
                    wsp_push.PushPdu(
                        7, content.content_type, content.data, "x-wap-application:mms.ua"
                    )
                )
                client = UdpClient(net.presence, net.trace, "WSP", timeout_ms=100)
                try:
                    await client.send(net.handset.wdp.address, pdu)
                finally:
                    await client.stop()

                def took() -> bool:
                    return any(a.ref == ref and a.decoded for a in net.handset.attempts)

                await net.handset.events.wait_for(lambda _l: took(), 3000, "the valid push")
                before["n"] += 1

            silent = lambda o: None if not o.datagrams else f"answered {o.datagrams[:1]!r}"  # noqa: E731
            cases = [
                hostile.Case(name, data, silent, "no answer", listen_ms=200)
                for name, data in (
                    ("empty", b""),
                    ("one octet", b"\x01"),
                    ("not a push PDU", b"\x01\x04\x00"),
                    ("HeadersLen past the end", b"\x01\x06\x7f\xbe"),
                    ("uintvar of 6 octets", b"\x01\x06\xff\xff\xff\xff\xff\x01"),
                    ("push of garbage content", bytes.fromhex("010603beaf84") + b"\xff" * 40),
                    ("oversized", b"\x01\x06\x01\xbe" + b"x" * 65_000),
                    ("a flood", [b"\x01\x06"] * 2000),
                )
            ]
            target = hostile.Target(
                "handset WDP",
                *net.handset.wdp.address,
                probe,
                transport="udp",
                local_host="127.0.95.9",
            )
            result = await hostile.run(target, cases)
            broken = [a for a in net.handset.attempts if not a.decoded]
            assert broken and all(a.ref is None for a in broken)
            return [result]

    _report(hostile, asyncio.run(main()))


def test_presence_resource(hostile: Any) -> None:
    async def main() -> list[Any]:
        async with bc_net(hostile.TEST_LIMITS) as net:

            async def probe() -> None:
                client = HttpClient(net.pi, net.trace, 3000)
                try:
                    got = await client.get(net.presence.url_for(net.handset.number))
                finally:
                    await client.stop()
                assert got.status == 200 and b"<presence" in got.body, got

            def get(path: str) -> bytes:
                return hostile.http_request("GET", path, [("Connection", "close")])

            s404, s405 = hostile.http_status(404), hostile.http_status(405)
            cases = [
                hostile.Case("traversal", get("/presence/../../etc/passwd"), s404, "404"),
                hostile.Case("encoded NUL", get("/presence/%2B86%00x"), s404, "404"),
                hostile.Case("unicode", get("/presence/%E2%80%AE%F0%9F%98%80"), s404, "404"),
                hostile.Case("empty client", get("/presence/"), s404, "404"),
                hostile.Case("query string", get("/presence/x?y=" + "z" * 2000), s404, "404"),
                hostile.Case(
                    "POST", hostile.http_request("POST", "/presence/x", [], b"x"), s405, "405"
                ),
                hostile.Case(
                    "8 KB path",
                    get("/presence/" + "a" * 8100),
                    hostile.http_status(400, 404, 414),
                    "400/404/414",
                ),
                hostile.Case(
                    "connected, never sends",
                    b"",
                    hostile.closed_within(hostile.TEST_LIMITS.header_timeout_ms + 3000),
                    "close",
                    until_close=True,
                ),
            ]
            target = hostile.Target(
                "presence",
                net.presence.host,
                net.presence.http.port,
                probe,
                local_host="127.0.95.9",
                answered=hostile.http_answered,
            )
            return [await hostile.run(target, cases)]

    _report(hostile, asyncio.run(main()))
