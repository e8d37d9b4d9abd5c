"""The SMS centre (emulators/sms_centre.py) on a real socket: an asyncio server plays
bearerbox's fake SMSC port (tests/support/sms_link.py), the centre connects and takes the
lines it writes - single pushes, concatenated ones out of order and repeated, garbage,
lines cut across writes, an over-long line - and reconnects when bearerbox goes away.
Then the handset's side: ``Handset.take_sms`` makes each delivery an attempt on the SMS
bearer. Each test has its own 127.0.16x addresses and free ports."""

from __future__ import annotations

import asyncio
import itertools

from mmsconf.emulators.codecs import fake_smsc
from mmsconf.emulators.handset import Handset, HandsetConfig
from mmsconf.emulators.push_refs import SMS, PushRef
from mmsconf.emulators.sms_centre import SmsDelivery
from mmsconf.emulators.trace import TraceRecorder
from tests.support import sms_link as sl

_subnets = itertools.count(161)
KANNEL_LINE = b"".join(
    (
        b"8888 +8613800000001 udh %06%05%04%0B%84%23%F0 data %01%06%2F%AE%B1http%3A%2F%2F",
        b"127.0.0.1%2Fpi%00%A9conformance-kit%2F0%00%AF%81%8D%AF%C3%93%02%05j%00E%C6%0C%03",
        b"example%00%85%03a%00%11%031%40example.com%00%08%01%03Hello%00%01%01\n",
    )
)


def test_a_single_part_push_is_delivered_with_its_line() -> None:
    got: list[SmsDelivery] = []

    async def go() -> None:
        async with sl.sms_link(next(_subnets), got.append) as link:
            await link.bearerbox.write(KANNEL_LINE)
            [delivery] = await link.wait_sms(1)
            [event] = link.sms_events()
            sms, _ = fake_smsc.decode_line(KANNEL_LINE)
            assert delivery == SmsDelivery(
                sender="8888",
                receiver="+8613800000001",
                ports=(2948, 9200),
                parts=1,
                payload=sms.data,
                received_at=delivery.received_at,
                peer=link.bearerbox.address,
                seqs=(event.seq,),
            )
            assert got == [delivery]
            assert event.raw == KANNEL_LINE and event.transport == "tcp"
            assert (event.src.host, event.src.port) == link.bearerbox.address
            assert event.listener == link.bearerbox.address
            assert event.dst.role == "SMSC" and "udh 0605040b8423f0" in event.summary
            assert link.centre.events.of("sms")[0]["delivery"] is delivery

    asyncio.run(go())


def test_three_parts_out_of_order_with_a_duplicate_make_one_delivery() -> None:
    async def go() -> None:
        async with sl.sms_link(next(_subnets)) as link:
            pdu = sl.push_pdu(PushRef("smsct001", 7))
            p1, p2, p3 = sl.parts(pdu, ref=0x42)
            await link.bearerbox.write(p3, p1, p1, p2)
            [delivery] = await link.wait_sms(1)
            assert delivery.payload == pdu and delivery.parts == 3
            assert delivery.ports == (2948, 9200)
            events = link.sms_events()
            assert [e.raw for e in events] == [p3, p1, p1, p2]  # one event per line
            # the delivery names the three lines it was made of, not the copy
            assert delivery.seqs == (events[0].seq, events[1].seq, events[3].seq)
            assert link.centre.reassembly.duplicates == 1
            assert "part 3/3" in events[0].summary
            # the same reference again, later, is a new message (8-bit references wrap)
            other = sl.push_pdu(PushRef("smsct001", 8))
            await link.bearerbox.write(*sl.parts(other, ref=0x42))
            deliveries = await link.wait_sms(2)
            assert deliveries[1].payload == other

    asyncio.run(go())


GARBAGE = [
    (b"hello\n", "receiver"),
    (b"\xff\xfe\x00garbage\x01\n", "sender"),
    (b"8888 +8613800000001 fax %01\n", "kind"),
    (b"8888 +8613800000001 data %0\n", "data"),
    (b"8888 +8613800000001 udh %07%05%04%0B%84%23%F0 data %01\n", "UDHL"),
    (b"8888 +8613800000001 udh %06%05%03%0B%84%23%F0 data %01\n", "IE 0x05"),
    (b"\n", "sender"),
]


def test_bad_lines_are_recorded_by_field_and_the_link_goes_on() -> None:
    async def go() -> None:
        async with sl.sms_link(next(_subnets)) as link:
            good = sl.line(sl.push_pdu())
            await link.bearerbox.write(good, *(raw for raw, _f in GARBAGE), good)
            await link.wait_bad(len(GARBAGE))
            deliveries = await link.wait_sms(2)
            bad = [e["bad"] for e in link.centre.events.of("bad-line")]
            assert [(b.line, b.field) for b in bad] == GARBAGE
            assert all(b.reason for b in bad)
            assert link.centre.bad == bad
            events = link.sms_events()
            assert [e.raw for e in events] == [good, *(raw for raw, _f in GARBAGE), good]
            assert "does not read (receiver:" in events[1].summary
            assert [d.seqs for d in deliveries] == [(events[0].seq,), (events[-1].seq,)]
            assert link.centre.connected and link.centre.connections == 1

    asyncio.run(go())


def test_a_line_cut_across_writes_and_an_over_long_line() -> None:
    async def go() -> None:
        async with sl.sms_link(next(_subnets)) as link:
            whole = sl.line(sl.push_pdu(PushRef("smsct001", 2)))
            await link.bearerbox.write(whole[:5], whole[5:60], whole[60:])
            await link.wait_sms(1)
            too_long = b"8888 +8613800000001 data " + b"%41" * 2000 + b"\n"
            after = sl.line(sl.push_pdu(PushRef("smsct001", 3)))
            await link.bearerbox.write(too_long[:3000], too_long[3000:] + after[:10], after[10:])
            await link.wait_bad(1)
            deliveries = await link.wait_sms(2)
            [bad] = link.centre.bad
            assert bad.field == "line" and too_long.startswith(bad.line)
            assert [d.payload for d in deliveries] == [
                sl.push_pdu(PushRef("smsct001", 2)),
                sl.push_pdu(PushRef("smsct001", 3)),
            ]
            events = link.sms_events()
            assert len(events) == 3 and "over 4096 octets" in events[1].summary
            assert events[0].raw == whole and events[2].raw == after

    asyncio.run(go())


def test_deviations_of_every_part_reach_the_delivery() -> None:
    async def go() -> None:
        async with sl.sms_link(next(_subnets)) as link:
            p1, p2 = sl.parts(b"ab/cd", ref=1, total=2)
            p1 = p1.replace(b"%2F", b"/")  # an unescaped octet in the first part only
            p2 = p2[:-1] + b"\r\n"  # CR LF on the second
            await link.bearerbox.write(p1, p2)
            [delivery] = await link.wait_sms(1)
            assert delivery.payload == b"ab/cd"
            assert set(delivery.deviations) == {"unescaped-octet", "crlf"}

    asyncio.run(go())


def test_it_reconnects_after_eof_and_after_bearerbox_restarts() -> None:
    async def go() -> None:
        async with sl.sms_link(next(_subnets)) as link:
            bb, centre = link.bearerbox, link.centre
            await bb.write(sl.line(b"one"))
            await link.wait_sms(1)
            await bb.drop_connection()  # EOF: bearerbox keeps listening
            await bb.wait_accepted(2)
            await centre.wait_connected(sl.WAIT_MS)
            await bb.write(sl.line(b"two"))
            await link.wait_sms(2)
            await bb.stop_listening()  # bearerbox gone: refused until it is back
            await centre.events.wait_for(
                lambda log: len(log.of("disconnected")) >= 2, sl.WAIT_MS, "the second EOF"
            )
            assert not centre.connected
            await bb.start()  # the same port
            await bb.wait_accepted(3)
            await centre.wait_connected(sl.WAIT_MS)
            await bb.write(sl.line(b"three"))
            deliveries = await link.wait_sms(3)
            assert [d.payload for d in deliveries] == [b"one", b"two", b"three"]
            assert centre.connections == 3
            assert len(centre.events.of("connected")) == 3

    asyncio.run(go())


def test_a_part_taken_before_a_reconnect_is_kept() -> None:
    async def go() -> None:
        async with sl.sms_link(next(_subnets)) as link:
            p1, p2 = sl.parts(b"first half, second half", ref=9, total=2)
            await link.bearerbox.write(p1)
            await link.centre.events.wait_for(
                lambda log: len(log.of("part")) == 1, sl.WAIT_MS, "part 1 held"
            )
            await link.bearerbox.drop_connection()
            await link.bearerbox.wait_accepted(2)
            await link.bearerbox.write(p2)
            [delivery] = await link.wait_sms(1)
            assert delivery.payload == b"first half, second half" and delivery.parts == 2

    asyncio.run(go())


def test_a_deliver_callback_that_raises_does_not_end_the_link() -> None:
    def deliver(delivery: SmsDelivery) -> None:
        if delivery.payload == b"boom":
            raise RuntimeError("the network could not route it")

    async def go() -> None:
        async with sl.sms_link(next(_subnets), deliver) as link:
            await link.bearerbox.write(sl.line(b"boom"), sl.line(b"fine"))
            deliveries = await link.wait_sms(2)
            assert [d.payload for d in deliveries] == [b"boom", b"fine"]
            [error] = link.centre.events.of("deliver-error")
            assert isinstance(error["error"], RuntimeError)
            assert link.centre.connected and link.centre.connections == 1

    asyncio.run(go())


def test_wait_connected_names_the_far_end_when_nothing_listens() -> None:
    async def go() -> None:
        subnet = next(_subnets)
        bb = sl.FakeBearerbox(f"127.0.{subnet}.1")
        await bb.start()
        address = bb.address
        await bb.stop_listening()
        centre = sl.SmsCentre(TraceRecorder(), f"127.0.{subnet}.2", address, lambda _d: None)
        await centre.start()
        try:
            try:
                await centre.wait_connected(150)
            except TimeoutError as err:
                assert str(address) in str(err)
            else:
                raise AssertionError("connected to nothing")
        finally:
            await centre.stop()

    asyncio.run(go())


# --------------------------------------------------------------------------- the handset


def test_the_handset_takes_sms_pushes_as_attempts_on_the_sms_bearer() -> None:
    async def go() -> None:
        subnet = next(_subnets)
        trace = TraceRecorder()
        handset = Handset(
            trace, f"127.0.{subnet}.3", sl.RECEIVER, HandsetConfig(sip_port=0, wdp_port=0)
        )
        handset.scope = "smsct001"
        await handset.start()
        attempts = []
        try:
            async with sl.sms_link(subnet, lambda d: attempts.append(handset.take_sms(d))) as link:
                ours = PushRef("smsct001", 11)
                await link.bearerbox.write(*sl.parts(sl.push_pdu(ours), ref=3))
                await link.wait_sms(1)
                [taken] = attempts
                assert taken.bearer == SMS and taken.accepted and taken.decoded
                assert taken.ref == ours and not taken.stray
                assert taken.why == "taken, 3 parts" and taken.peer == link.bearerbox.address
                assert "m-notification-ind" in taken.content or "notification" in taken.content

                handset.knobs.offline = True
                await link.bearerbox.write(sl.line(sl.push_pdu(PushRef("smsct001", 12))))
                await link.wait_sms(2)
                offline = attempts[1]
                assert not offline.accepted and offline.why == "not taken: offline"
                assert offline.ref == PushRef("smsct001", 12)
                handset.knobs.offline = False

                await link.bearerbox.write(
                    sl.line(sl.push_pdu(PushRef("smsct001", 13)), sl.port_udh(dest=5000))
                )
                await link.bearerbox.write(sl.line(sl.push_pdu(PushRef("other001", 1))))
                await link.wait_sms(4)
                other_port, stray = attempts[2], attempts[3]
                assert not other_port.accepted and not other_port.decoded
                assert other_port.why == "did not decode" and "port 5000" in other_port.content
                assert other_port.ref == PushRef("smsct001", 13)
                assert stray.accepted and stray.stray
                assert [a.order for a in attempts] == sorted(a.order for a in attempts)
                assert handset.attempts == attempts
        finally:
            await handset.stop()

    asyncio.run(go())
