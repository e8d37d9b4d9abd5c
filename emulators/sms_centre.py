"""The SMS centre: the harness's end of Kannel's fake SMSC link, and the radio to the handsets.

Kannel's bearerbox listens on its ``smsc = fake`` port and writes one line
per mobile-terminated SMS to whoever connects (codecs/fake_smsc.py). The
centre connects (again after every EOF or refusal, every ``reconnect_ms``,
until stopped: Kannel is restarted between feature files), records each
line in the trace once, decodes it, joins the parts of a concatenated SMS
(codecs/sms_udh.py) and hands each whole message to ``deliver`` - the
network routes it to the handset with that number, where it is one
delivery attempt on the SMS bearer.

A line that does not read (an over-long one too) is recorded, emitted as
``bad-line`` with the field it broke, and the link goes on: what was taken
before is kept. Each line is one trace event, in the order it came. A
``deliver`` callback that raises is emitted as ``deliver-error``; it does not
end the link. A part held for a later one (or a copy of one) is emitted as ``part``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from mmsconf.emulators.codecs import fake_smsc, sms_udh
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder

Address = tuple[str, int]


@dataclass(frozen=True)
class SmsDelivery:
    """One whole SMS (all its parts) for one receiver."""

    sender: str
    receiver: str
    ports: tuple[int, int] | None  # (destination, source) from the UDH
    parts: int
    payload: bytes
    received_at: float
    peer: Address  # the SMSC link's far end (bearerbox)
    seqs: tuple[int, ...]  # the trace events of its lines
    deviations: tuple[str, ...] = ()


@dataclass(frozen=True)
class BadLine:
    line: bytes
    field: str
    reason: str


class SmsCentre(Service):
    def __init__(
        self,
        trace: TraceRecorder,
        host: str,
        target: Address,
        deliver: Callable[[SmsDelivery], None],
        *,
        mode: fake_smsc.Mode = fake_smsc.Mode.LENIENT,
        reconnect_ms: int = 100,
        connect_timeout_ms: int = 1000,
        role: str = "SMSC",
    ) -> None:
        super().__init__(role, host, 0)
        self.trace = trace
        self.target = target
        self.deliver = deliver
        self.mode = mode
        self.reconnect_ms = reconnect_ms
        self.connect_timeout_ms = connect_timeout_ms
        self.connected = False
        self.connections = 0
        self.delivered: list[SmsDelivery] = []
        self.bad: list[BadLine] = []
        self.reassembly = sms_udh.Reassembly()
        self._writer: asyncio.StreamWriter | None = None

    async def start(self) -> None:
        self.running = True
        self.spawn(self._run())

    async def stop(self) -> None:
        self.running = False
        if self._writer is not None:
            self._writer.close()
        await super().stop()

    async def wait_connected(self, timeout_ms: int) -> None:
        """Until the link is up; TimeoutError naming the far end otherwise."""
        await self.events.wait_for(
            lambda _log: self.connected, timeout_ms, f"the SMSC link to {self.target}"
        )

    async def _run(self) -> None:
        while self.running:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(*self.target, local_addr=(self.host, 0)),
                    self.connect_timeout_ms / 1000,
                )
            except (OSError, TimeoutError):
                # Not listening yet, or restarting: the next try waits on the stop signal.
                await self._pause()
                continue
            await self._serve(reader, writer)
            await self._pause()

    async def _pause(self) -> None:
        with contextlib.suppress(TimeoutError):
            await self.events.wait_for(
                lambda _log: not self.running, self.reconnect_ms, "reconnect pause"
            )

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        local = writer.get_extra_info("sockname")[:2]
        self.port = local[1]
        self.trace.register(self.role, *local, embedded=True)
        self._writer = writer
        self.connected = True
        self.connections += 1
        self.events.emit("connected", local=local)
        framer = fake_smsc.LineFramer()
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                for line in framer.feed(chunk):
                    if isinstance(line, fake_smsc.Overlong):
                        reason = f"over {framer.max_line} octets, dropped"
                        self._bad(line.head, "line", reason, local)
                    else:
                        self._take(line, local)
        except OSError:
            pass
        finally:
            self.connected = False
            self._writer = None
            writer.close()
            self.trace.unregister(*local)
            self.events.emit("disconnected")

    def _bad(self, line: bytes, field: str, reason: str, local: Address) -> None:
        self.trace.record(
            self.target,
            local,
            "SMS",
            f"fake SMSC line that does not read ({field}: {reason})"[:160],
            line,
            "tcp",
            listener=self.target,
        )
        bad = BadLine(line, field, reason)
        self.bad.append(bad)
        self.events.emit("bad-line", bad=bad)

    def _take(self, line: bytes, local: Address) -> None:
        at = time.time()
        try:
            sms, deviations = fake_smsc.decode_line(line, self.mode)
            udh = sms_udh.decode(sms.udh) if sms.udh else None
        except (fake_smsc.FakeSmscError, sms_udh.UdhError) as err:
            self._bad(line, err.field, err.reason, local)
            return
        concat = udh.concat if udh is not None else None
        part = f", part {concat.seq}/{concat.total}" if concat is not None else ""
        header = f" udh {sms.udh.hex()}" if sms.udh else ""
        event = self.trace.record(
            self.target,
            local,
            "SMS",
            f"MT SMS {sms.sender} -> {sms.receiver}{header}, {len(sms.data)} octets{part}",
            line,
            "tcp",
            at=at,
            listener=self.target,
        )
        # Each part keeps its trace event and deviations: the delivery names the lines it
        # was made of (not a duplicate's) and every deviation any of them had.
        tag = (event.seq if event is not None else None, deviations)
        joined = self.reassembly.take((sms.sender, sms.receiver), udh, sms.data, tag)
        if joined is None:
            # Held (or a copy ignored): said, so a test or a step can wait on it.
            self.events.emit("part", sender=sms.sender, receiver=sms.receiver, concat=concat)
            return
        tags = cast("tuple[tuple[int | None, tuple[str, ...]], ...]", joined.tags)
        seen: list[str] = []
        for _seq, devs in tags:
            seen += [d for d in devs if d not in seen]
        delivery = SmsDelivery(
            sms.sender,
            sms.receiver,
            udh.ports if udh is not None else None,
            joined.parts,
            joined.data,
            at,
            self.target,
            tuple(sorted(seq for seq, _devs in tags if seq is not None)),
            tuple(seen),
        )
        self.delivered.append(delivery)
        self.events.emit("sms", delivery=delivery)
        try:
            self.deliver(delivery)
        except Exception as err:
            # The network's (or a handset's) fault: recorded, and the link stays up.
            self.events.emit("deliver-error", delivery=delivery, error=err)
