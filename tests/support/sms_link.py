"""Kannel's bearerbox as the SMS centre's tests need it: a TCP server on the fake SMSC port
that takes the centre's connection and writes lines to it.

The centre connects (bearerbox listens, KANNEL-NOTES §3); a test writes lines, whole
or in pieces, closes the connection or the whole listener, reopens it on the same
port, and waits on events - the centre's and this server's own ``accepted`` - never on
a clock. ``lines`` builds what wapbox sends: a WSP push PDU in one SMS with the port
header, or cut into parts with the concatenation header.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from mmsconf.emulators import push_content
from mmsconf.emulators.codecs import fake_smsc, sms_udh, wsp_push
from mmsconf.emulators.push_refs import WDP_PUSH_PORT, WSP_SERVER_PORT, PushRef
from mmsconf.emulators.service import EventLog
from mmsconf.emulators.sms_centre import SmsCentre, SmsDelivery
from mmsconf.emulators.trace import TraceRecorder

#: How long a test waits for something that must happen (ms); generous, never reached.
WAIT_MS = 4000
SENDER = "8888"
RECEIVER = "+8613800000001"


class FakeBearerbox:
    """The listening end of the fake SMSC link; one connection at a time, as bearerbox."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.port = 0
        self.events = EventLog()
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._writer: asyncio.StreamWriter | None = None

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    async def start(self) -> None:
        """Listen (again on the same port after ``stop_listening``)."""
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.accepted += 1
        self.events.emit("accepted", peer=writer.get_extra_info("peername"))
        try:
            while await reader.read(4096):
                pass  # the centre sends nothing; read so its close is seen
        except OSError:
            pass

    async def wait_accepted(self, count: int) -> None:
        await self.events.wait_for(
            lambda _l: self.accepted >= count, WAIT_MS, f"connection {count} from the centre"
        )

    async def write(self, *chunks: bytes) -> None:
        """Each chunk as its own write, drained before the next."""
        assert self._writer is not None, "no centre connected"
        for chunk in chunks:
            self._writer.write(chunk)
            await self._writer.drain()

    async def drop_connection(self) -> None:
        """Close the centre's connection, keep listening (bearerbox's EOF or I/O error)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def stop_listening(self) -> None:
        """Close the connection and the listener (bearerbox stopped or restarting)."""
        await self.drop_connection()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


def push_pdu(ref: PushRef | None = None, tid: int = 1) -> bytes:
    """A connectionless WSP push of an MMS notification naming ``ref``, as wapbox builds one."""
    content = push_content.mms_notification(ref or PushRef("smsct001", 1))
    return wsp_push.encode(
        wsp_push.PushPdu(tid, content.content_type, content.data, push_content.MMS_UA)
    )


def port_udh(dest: int = WDP_PUSH_PORT, src: int = WSP_SERVER_PORT) -> bytes:
    return sms_udh.encode(sms_udh.Udh((sms_udh.ports_16(dest, src),)))


def part_udh(ref: int, total: int, seq: int) -> bytes:
    ports = sms_udh.ports_16(WDP_PUSH_PORT, WSP_SERVER_PORT)
    return sms_udh.encode(sms_udh.Udh((ports, sms_udh.concat_8(ref, total, seq))))


def line(data: bytes, udh: bytes | None = None, receiver: str = RECEIVER) -> bytes:
    """One fake SMSC line; with ``udh`` None, the port header of a single-SMS push."""
    return fake_smsc.encode_line(
        fake_smsc.FakeSms(SENDER, receiver, fake_smsc.Kind.UDH, data, udh or port_udh())
    )


def parts(data: bytes, ref: int, total: int = 3, receiver: str = RECEIVER) -> list[bytes]:
    """``data`` cut into ``total`` lines with the concatenation header, in order."""
    size = -(-len(data) // total)
    return [
        line(data[(n - 1) * size : n * size], part_udh(ref, total, n), receiver)
        for n in range(1, total + 1)
    ]


class Link:
    """A started bearerbox and centre, connected; what the centre delivered."""

    def __init__(self, trace: TraceRecorder, bearerbox: FakeBearerbox, centre: SmsCentre) -> None:
        self.trace = trace
        self.bearerbox = bearerbox
        self.centre = centre

    async def wait_sms(self, count: int) -> list[SmsDelivery]:
        await self.centre.events.wait_for(
            lambda _l: len(self.centre.delivered) >= count, WAIT_MS, f"{count} SMS delivered"
        )
        return list(self.centre.delivered)

    async def wait_bad(self, count: int) -> None:
        await self.centre.events.wait_for(
            lambda log: len(log.of("bad-line")) >= count, WAIT_MS, f"{count} bad lines"
        )

    def sms_events(self) -> list[Any]:
        return [e for e in self.trace.events() if e.protocol == "SMS"]


@asynccontextmanager
async def sms_link(
    subnet: int,
    deliver: Callable[[SmsDelivery], None] | None = None,
    **centre_options: Any,
) -> AsyncIterator[Link]:
    """Bearerbox on 127.0.<subnet>.1, the centre on .2, connected; both stopped on the way
    out whatever happened."""
    trace = TraceRecorder()
    bearerbox = FakeBearerbox(f"127.0.{subnet}.1")
    await bearerbox.start()
    centre = SmsCentre(
        trace,
        f"127.0.{subnet}.2",
        bearerbox.address,
        deliver or (lambda _d: None),
        reconnect_ms=20,
        **centre_options,
    )
    try:
        await centre.start()
        await centre.wait_connected(WAIT_MS)
        await bearerbox.wait_accepted(1)
        yield Link(trace, bearerbox, centre)
    finally:
        await centre.stop()
        await bearerbox.stop_listening()
