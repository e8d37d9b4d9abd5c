"""The DNS baseline: a bare asyncio DatagramProtocol + dnslib answering one fixed record.

Every query for ``FIXED_NAME`` gets one A record; anything else NXDOMAIN.
Per query: parse with dnslib, build the reply, pack, send. This is what the
DNS selector is measured against (target ≥ 0.8× its queries/s): the
selector does the same work plus choosing an answer.

The responder runs in a child process (``ResponderProcess``) so the load
generator, in the parent, does not take its core: the figure is the
server's capacity, as it will be for a selector or a real server measured
the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import multiprocessing
import multiprocessing.connection
from typing import Any

from dnslib import QTYPE, RCODE, RR, A, DNSError, DNSRecord

FIXED_NAME = "mmsc.bench.mmsconf.test."
FIXED_ADDRESS = "127.0.30.1"
FIXED_TTL = 60


class FixedRecordResponder(asyncio.DatagramProtocol):
    def __init__(
        self, name: str = FIXED_NAME, address: str = FIXED_ADDRESS, ttl: int = FIXED_TTL
    ) -> None:
        self.name = name.lower().rstrip(".")
        self.address = address
        self.ttl = ttl
        self.transport: asyncio.DatagramTransport | None = None
        self.answered = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            request = DNSRecord.parse(data)
        except DNSError:
            return  # not DNS: a bare responder drops it
        reply = request.reply()
        qname = request.q.qname
        if str(qname).lower().rstrip(".") == self.name and request.q.qtype == QTYPE.A:
            reply.add_answer(RR(qname, QTYPE.A, rdata=A(self.address), ttl=self.ttl))
        else:
            reply.header.rcode = RCODE.NXDOMAIN
        assert self.transport is not None
        self.transport.sendto(reply.pack(), addr)
        self.answered += 1


#: What ``ResponderProcess`` runs unless told otherwise ("module:callable").
DEFAULT_FACTORY = f"{__name__}:FixedRecordResponder"


def _load_factory(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def _serve(
    factory: str, host: str, conn: multiprocessing.connection.Connection, max_s: float
) -> None:
    """Child process: bind, report the port, answer until told to stop (or ``max_s``)."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        made = _load_factory(factory)
        if inspect.iscoroutinefunction(made):
            # A whole server (the DNS selector with its gateways): started as it runs for
            # real, then measured like the bare protocol.
            server = await made(host)
            port, close = server.port, server.stop
        else:
            transport, server = await loop.create_datagram_endpoint(made, local_addr=(host, 0))
            port = transport.get_extra_info("sockname")[1]

            async def close() -> None:
                transport.close()

        conn.send(port)
        stop = asyncio.Event()
        # The parent sends "stop" or dies (EOF): either makes the pipe readable.
        loop.add_reader(conn.fileno(), stop.set)
        # Bounded even if the parent never says stop: a load test stops by itself.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max_s)
        loop.remove_reader(conn.fileno())
        await close()
        with contextlib.suppress(OSError):  # the parent is gone: nobody to tell
            conn.send(getattr(server, "answered", None))

    asyncio.run(main())


class ResponderProcess:
    """A UDP DNS server in a child process on ``host``; ``async with`` it.

    ``factory`` ("module:callable", importable in a fresh interpreter) makes
    the server's DatagramProtocol (the fixed-record responder by default), or
    is a coroutine function ``(host) -> server`` starting a whole server whose
    ``port``, ``answered`` and ``async stop()`` the child uses: the DNS
    selector row passes ``benchmarks.gs:selector_server``.
    """

    def __init__(
        self, host: str = "127.0.53.1", max_s: float = 120.0, factory: str = DEFAULT_FACTORY
    ) -> None:
        self.factory = factory
        self.host = host
        self.max_s = max_s
        self.port = 0
        self.answered: int | None = None
        # spawn, not fork: the parent has an event loop and threads that must not be copied.
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(factory, host, child, max_s), daemon=True)
        self._child = child

    async def __aenter__(self) -> ResponderProcess:
        self._proc.start()
        self._child.close()
        loop = asyncio.get_running_loop()
        ready = await loop.run_in_executor(None, self._conn.poll, 30)
        if not ready:
            self._proc.kill()  # our own child, by its handle
            await loop.run_in_executor(None, self._proc.join, 5)
            self._conn.close()
            raise RuntimeError("the DNS responder process did not start within 30 s")
        self.port = self._conn.recv()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        loop = asyncio.get_running_loop()
        try:
            self._conn.send("stop")
            if await loop.run_in_executor(None, self._conn.poll, 5):
                self.answered = self._conn.recv()
        except (BrokenPipeError, EOFError, OSError):
            pass
        await loop.run_in_executor(None, self._proc.join, 5)
        if self._proc.is_alive():
            self._proc.kill()  # our own child, by its handle
        self._conn.close()

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)
