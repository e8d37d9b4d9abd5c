"""The bearer-choice emulators on real sockets: presence, handset, push gateway (reference
and prior art), push initiator. Each test builds its own small network on its own
127.0.7x addresses with free ports, and drives it with asyncio.run."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from mmsconf.emulators.baselines.fixed_bearer import FixedBearerGateway
from mmsconf.emulators.codecs import sip
from mmsconf.emulators.handset import Handset, HandsetConfig
from mmsconf.emulators.ppg import PpgConfig, PushGateway
from mmsconf.emulators.presence import ClientState, PresenceServer
from mmsconf.emulators.push_initiator import PiConfig, PushInitiator
from mmsconf.emulators.push_refs import SIP, UDP, Ledger, PushRef
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.http_client import HttpClient
from mmsconf.emulators.transports.udp import UdpClient

TAG = "tests001"
WAIT_MS = 4000
_subnets = itertools.count(70)


@dataclass
class Net:
    trace: TraceRecorder
    presence: PresenceServer
    ppg: PushGateway
    pi: PushInitiator
    handset: Handset

    def client(self, **knobs: bool) -> ClientState:
        h = self.handset
        state = ClientState(h.number, h.host, h.sip.port, h.wdp.port, scope=TAG, **knobs)
        return self.presence.put(state)

    async def push(self, n: int, bearer: str | None = None) -> str:
        ref = PushRef(TAG, n)
        sent = await self.pi.push(ref, self.handset.number, bearer=bearer)
        assert sent.code == 1001, sent.problem
        await self.pi.events.wait_for(lambda _l: self.pi.settled(ref.group), WAIT_MS, "settled")
        return ref.group

    def attempts(self, group: str) -> list:
        return [a for a in self.handset.attempts if a.ref is not None and a.ref.group == group]

    def last_note(self, group: str):
        return [n for n in self.pi.notifications if n.ref and n.ref.group == group][-1].message


@asynccontextmanager
async def network(gateway: type[PushGateway] = PushGateway, retries: int = 2) -> AsyncIterator[Net]:
    net = next(_subnets)
    trace, ledger = TraceRecorder(), Ledger()
    presence = PresenceServer(trace, f"127.0.{net}.2", ledger=ledger)
    handset = Handset(
        trace,
        f"127.0.{net}.3",
        "+8613800100001",
        HandsetConfig(sip_port=0, wdp_port=0),
        ledger=ledger,
    )
    numbers = {handset.number: handset.host}
    started = []
    try:
        for s in (presence, handset):
            await s.start()
            started.append(s)
        ppg = gateway(
            trace,
            f"127.0.{net}.1",
            0,
            PpgConfig(
                presence_url=presence.base_url,
                sip_port=0,
                wsp_port=0,
                client_wdp_port=handset.wdp.port,
                client_sip_port=handset.sip.port,
                sip_t1_ms=100,
                sip_timeout_ms=800,
            ),
            directory=numbers.get,
        )
        await ppg.start()
        started.append(ppg)
        pi = PushInitiator(
            trace,
            f"127.0.{net}.4",
            0,
            PiConfig(ppg_url=ppg.pap_url, retries=retries),
            ledger=ledger,
        )
        await pi.start()
        started.append(pi)
        handset.scope = pi.scope = presence.scope = TAG
        yield Net(trace, presence, ppg, pi, handset)
    finally:
        for s in reversed(started):
            await s.stop()


def test_registered_client_gets_one_sip_push_after_presence_was_asked() -> None:
    async def go() -> None:
        async with network() as n:
            t = await n.handset.register(n.ppg.sip.address)
            assert t.status == 200
            n.client(registered=True)
            group = await n.push(1)
            [attempt] = n.attempts(group)
            assert attempt.bearer == SIP and attempt.accepted and attempt.decoded
            [query] = n.presence.queries
            assert query.order < attempt.order and query.peer[0] == n.ppg.host
            note = n.last_note(group)
            assert note.message_state == "delivered" and note.qos.bearer == "SIP"

    asyncio.run(go())


def test_unregistered_client_preferring_sip_gets_one_wap_push() -> None:
    async def go() -> None:
        async with network() as n:
            n.client(registered=False)
            group = await n.push(1, bearer="SIP")
            [attempt] = n.attempts(group)
            assert attempt.bearer == UDP and attempt.accepted
            assert "m-notification-ind" in attempt.content

    asyncio.run(go())


def test_offline_client_gets_nothing_and_the_pi_is_told_each_try() -> None:
    async def go() -> None:
        async with network() as n:
            await n.handset.register(n.ppg.sip.address)
            n.client(registered=True, online=False)
            n.handset.knobs.offline = True
            group = await n.push(1)
            assert n.attempts(group) == []
            notes = [x for x in n.pi.notifications if x.ref and x.ref.group == group]
            assert [x.message.message_state for x in notes] == ["undeliverable"] * 3
            assert len(n.presence.queries) == 3  # the PI's two retries asked again, nothing sent

    asyncio.run(go())


def test_presence_down_uses_the_registrar_fallback_and_says_so() -> None:
    async def go() -> None:
        async with network() as n:
            await n.handset.register(n.ppg.sip.address)
            await n.presence.go_down()
            group = await n.push(1)
            [attempt] = n.attempts(group)
            assert attempt.bearer == SIP
            assert n.last_note(group).desc.startswith("fallback")

    asyncio.run(go())


def test_prior_art_tries_sip_again_and_again() -> None:
    async def go() -> None:
        async with network(FixedBearerGateway) as n:
            n.client(registered=False)
            group = await n.push(1, bearer="SIP")
            attempts = n.attempts(group)
            assert [a.bearer for a in attempts] == [SIP] * 3
            assert all(a.status == 480 for a in attempts)
            assert n.presence.queries == []

    asyncio.run(go())


def test_handset_counts_a_retransmission_as_a_copy_and_answers_it_again() -> None:
    async def go() -> None:
        async with network() as n:
            n.handset.push_app = True
            message = (
                f"MESSAGE sip:{n.handset.number}@{n.handset.host} SIP/2.0\r\n"
                "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-copy-1\r\n"
                "Max-Forwards: 70\r\nFrom: <sip:ppg@x>;tag=1\r\n"
                f"To: <sip:{n.handset.number}@x>\r\nCall-ID: copy-1\r\nCSeq: 1 MESSAGE\r\n"
                "Content-Type: text/plain\r\nContent-Length: 11\r\n\r\ntests001-9 "
            ).encode()
            client = UdpClient(n.handset, n.trace, "SIP", timeout_ms=WAIT_MS)
            try:
                for _ in range(2):
                    result = await client.exchange(n.handset.sip.address, message)
                    assert sip.status_of(result.answer or b"") == 200
            finally:
                await client.stop()
            attempts = [a for a in n.handset.attempts if a.call_id == "copy-1"]
            assert len(attempts) == 1 and n.handset.sip.copies == 1

    asyncio.run(go())


def test_handset_down_records_what_it_refuses() -> None:
    async def go() -> None:
        async with network(FixedBearerGateway, retries=0) as n:
            n.handset.knobs.udp_down = True
            group = await n.push(1)
            [attempt] = n.attempts(group)
            assert attempt.bearer == UDP and not attempt.accepted and "UDP down" in attempt.why

    asyncio.run(go())


def test_registrar_binds_refreshes_and_removes() -> None:
    async def go() -> None:
        async with network() as n:
            reg = n.ppg.registrar
            await n.handset.register(n.ppg.sip.address, feature_tag=False)
            binding = reg.binding_for_number(n.handset.number)
            assert binding is not None and not binding.push
            await n.handset.register(n.ppg.sip.address)
            assert reg.binding_for_number(n.handset.number).push
            await n.handset.unregister()
            assert reg.binding_for_number(n.handset.number) is None

    asyncio.run(go())


def test_presence_answers_404_and_its_error_knob_and_marks_strays() -> None:
    async def go() -> None:
        async with network() as n:
            state = n.client(registered=True)
            client = HttpClient(n.handset, n.trace)
            try:
                assert (await client.get(n.presence.url_for("+1555"))).status == 404
                ok = await client.get(n.presence.url_for(state.number))
                assert ok.status == 200 and b"<basic>open</basic>" in ok.body
                state.scope = "other001"
                await client.get(n.presence.url_for(state.host))
                n.presence.faults.status = 503
                assert (await client.get(n.presence.url_for(state.number))).status == 503
            finally:
                await client.stop()
            assert [q.stray for q in n.presence.queries] == [True, False, True, True]

    asyncio.run(go())
