"""What every listening part shares: where it binds, and recording an inbound message once."""

from __future__ import annotations

import time

from mmsconf.emulators.ports import listen_port
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder


class ListenAddress:
    """The (host, port) a listening part binds: the service's host, and its own port or the
    service's (``port`` None). Port 0 becomes one chosen outside the ephemeral range, once:
    the part binds it again on ``come_up``, and the service's port becomes it if it was 0."""

    def __init__(self, service: Service, port: int | None = None, *, udp: bool = False) -> None:
        self.service = service
        self._port = port
        self._udp = udp

    @property
    def host(self) -> str:
        return self.service.host

    @property
    def port(self) -> int:
        return self._port if self._port is not None else self.service.port

    @property
    def address(self) -> tuple[str, int]:
        return (self.service.host, self.port)

    def claim(self) -> tuple[str, int]:
        """The address to bind now, choosing the port if it is still 0."""
        if not self.port:
            chosen = listen_port(self.service.host, udp=self._udp)
            if self._port is None:
                self.service.port = chosen
            else:
                self._port = chosen
        return self.address


class Arrival:
    """A message a listener received, recorded exactly once with the listener named.

    The handler records it as soon as it knows what it is (``record``), so
    what it causes (a forward, a query) comes after it in the trace; if it
    does not, the part records it with its answer (``settle``), stamped with
    the time it arrived either way.
    """

    def __init__(
        self,
        trace: TraceRecorder,
        peer: tuple[str, int],
        listener: tuple[str, int],
        protocol: str,
        raw: bytes,
        transport: str = "tcp",
        at: float | None = None,
    ) -> None:
        self.trace = trace
        self.peer = peer
        self.listener = listener
        self.protocol = protocol
        self.raw = raw
        self.transport = transport
        self.at = time.time() if at is None else at
        self.recorded = False

    def record(self, summary: str, *, protocol: str | None = None, stray: bool = False) -> None:
        if self.recorded:
            return
        self.recorded = True
        self.trace.record(
            self.peer,
            self.listener,
            protocol or self.protocol,
            summary,
            self.raw,
            self.transport,
            at=self.at,
            listener=self.listener,
            stray=stray,
        )

    settle = record  # the part's call after the handler: a no-op when the handler recorded
