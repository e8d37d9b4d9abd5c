"""SMTP parts: an aiosmtpd server behind our lifecycle, and an aiosmtplib client.

Neither knows MM4: the server runs aiosmtpd with the caller's handler hooks
(``handle_RCPT``, ``handle_DATA``, ... as aiosmtpd documents them) and an
optional aiosmtpd ``authenticator``; the client is aiosmtplib. What they add
is the trace: every command line and every reply line is one event, and a
message (DATA to the final ".") is one event, each recorded once, with the
server's address as ``listener`` (the server speaks first). A line that
answers a 334 challenge is recorded with ``secret=True``: masked whole, as
are AUTH initial responses (by the SMTP masker).

The server records always; the client records only when its peer is not an
embedded listener, and to see the bytes aiosmtplib exchanges it then
relays them over a socket pair between aiosmtplib and the real connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiosmtplib
from aiosmtpd.smtp import SMTP as AiosmtpdSMTP

from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder, mask_secrets
from mmsconf.emulators.transports.base import ListenAddress

Address = tuple[str, int]

#: A line longer than this (no line end in sight) is recorded in pieces of this size.
LINE_CAP = 64 * 1024
_DATA_END = b"\r\n.\r\n"


def _describe_message(message: bytes) -> str:
    return f"message, {len(message)} bytes"


class _Tape:
    """One connection's SMTP dialogue cut into lines (and messages) and recorded.

    Fed the bytes of each direction as they cross, in order: it follows the
    dialogue far enough to know that after a 354 the client sends a message,
    not lines, and that every client line from an AUTH command until the
    server's final answer to it (anything but 334) is a credential. Counting
    from the AUTH command, not from the 334 prompts, also masks the lines of
    a client that sends its credentials before it is prompted.
    """

    def __init__(
        self,
        trace: TraceRecorder,
        protocol: str,
        server: Address,
        client: Address,
        describe: Callable[[bytes], str],
        max_message: int,
        is_stray: Callable[[bytes], bool] | None = None,
    ) -> None:
        self.trace = trace
        self.is_stray = is_stray
        self.protocol = protocol
        self.server = server
        self.client = client
        self.describe = describe
        self.data_cap = max_message + LINE_CAP
        self._from_client = bytearray()
        self._from_server = bytearray()
        self._in_auth = False  # between a client's AUTH and the server's final answer
        self._in_message = False
        self._scanned = 0  # message bytes already searched for the end

    def from_server(self, data: bytes) -> None:
        self._from_server += data
        for line in self._lines(self._from_server, final=False):
            self._record(self.server, self.client, line, _text(line))
            last = line[3:4] != b"-"  # the last line of a (multi-line) reply
            if self._in_auth and last and not line.startswith(b"334"):
                self._in_auth = False
            elif line.startswith(b"354"):
                self._in_message, self._scanned = True, 0

    def from_client(self, data: bytes) -> None:
        self._from_client += data
        buf = self._from_client
        while buf:
            if self._in_message:
                if not self._take_message(buf):
                    return
                continue
            lines = self._lines(buf, final=False, limit=1)
            if not lines:
                return
            line = lines[0]
            if self._in_auth:
                self._record(self.client, self.server, line, "(credentials)", secret=True)
                continue
            if line[:4].upper() == b"AUTH" and line[4:5] in (b" ", b"\t", b"\r", b"\n"):
                self._in_auth = True  # its initial response, if any, goes to the masker
            said = _text(mask_secrets(line, self.protocol))
            self._record(self.client, self.server, line, said)

    def close(self) -> None:
        """The connection ended: what is left in a buffer crossed the wire too."""
        if self._from_client:
            said = "(end of a message)" if self._in_message else "(no line end)"
            self._record(self.client, self.server, bytes(self._from_client), said)
        for line in self._lines(self._from_server, final=True):
            self._record(self.server, self.client, line, _text(line))
        self._from_client.clear()

    def _take_message(self, buf: bytearray) -> bool:
        if buf.startswith(b".\r\n"):
            end = 3
        else:
            found = buf.find(_DATA_END, max(0, self._scanned - len(_DATA_END)))
            end = found + len(_DATA_END) if found >= 0 else -1
        if end < 0:
            self._scanned = len(buf)
            if len(buf) <= self.data_cap:
                return False
            end = len(buf)  # past any size the server takes: recorded in pieces
        message = bytes(buf[:end])
        del buf[:end]
        # Still inside the message only when it was cut for size.
        self._in_message = not (message.endswith(_DATA_END) or message == b".\r\n")
        self._scanned = 0
        stray = self.is_stray is not None and self.is_stray(message)
        self._record(self.client, self.server, message, self.describe(message), stray=stray)
        return True

    @staticmethod
    def _lines(buf: bytearray, *, final: bool, limit: int | None = None) -> list[bytes]:
        out: list[bytes] = []
        while buf and (limit is None or len(out) < limit):
            end = buf.find(b"\n")
            if end < 0:
                if len(buf) <= LINE_CAP and not final:
                    break
                end = min(len(buf), LINE_CAP) - 1
            out.append(bytes(buf[: end + 1]))
            del buf[: end + 1]
        return out

    def _record(
        self,
        src: Address,
        dst: Address,
        raw: bytes,
        summary: str,
        *,
        secret: bool = False,
        stray: bool = False,
    ) -> None:
        self.trace.record(
            src, dst, self.protocol, summary, raw, listener=self.server, secret=secret, stray=stray
        )


def _text(line: bytes) -> str:
    text = line.decode("utf-8", "replace").strip()
    return text if len(text) <= 200 else text[:199] + "…"


# --- the server ----------------------------------------------------------------------------


class _RecordedSMTP(AiosmtpdSMTP):
    """aiosmtpd's protocol with a tape on both directions and the connection cap."""

    def __init__(self, part: SmtpServer, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._part = part
        self._tape: _Tape | None = None
        self._refused = False
        self._peer: Address = ("?", 0)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        name = transport.get_extra_info("peername")
        peer = (name[0], name[1]) if name else ("?", 0)
        part = self._part
        tape = _Tape(
            part.trace,
            part.protocol,
            part.address,
            peer,
            part.describe,
            part.max_message,
            part.is_stray,
        )
        if len(part._connections) >= part.max_connections:
            # RFC 5321 §3.8: a server that cannot serve now answers 421 and closes.
            self._refused = True
            refusal = b"421 4.3.2 too many connections, try later\r\n"
            tape.from_server(refusal)
            transport.write(refusal)  # type: ignore[attr-defined]
            transport.close()
            part.service.events.emit("smtp_refused", why="max_connections", peer=peer)
            part._tell("refused", peer)
            return
        self._tape = tape
        self._peer = peer
        part._connections.add(self)
        super().connection_made(transport)
        part._tell("open", peer)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._tape is not None:
            self._tape.from_client(data)
        super().data_received(data)

    def eof_received(self) -> bool | None:
        if self._refused:
            return False
        return super().eof_received()

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        if self._tape is not None:
            self._tape.close()
        self._part._connections.discard(self)
        super().connection_lost(error)
        self._part._tell("closed", self._peer)

    async def push(self, status: str | bytes) -> None:
        # A handler may have aborted the connection (a fault knob): what is not sent
        # is not recorded.
        transport = self.transport
        if self._tape is not None and transport is not None and not transport.is_closing():
            encoding = "utf-8" if self.enable_SMTPUTF8 else "ascii"
            line = status.encode(encoding) if isinstance(status, str) else status
            self._tape.from_server(line + b"\r\n")
        await super().push(status)


class SmtpServer:
    """A listening part: aiosmtpd serving ``handler``'s hooks, recorded line by line.

    ``authenticator`` (aiosmtpd's): AUTH is offered on this plain loopback
    connection (aiosmtpd would require TLS first); without one, AUTH is not
    offered. Bounds: ``max_message`` bytes of DATA (552 past it),
    ``idle_timeout_ms`` between commands (then closed), ``max_connections``
    (421 past it, an ``smtp_refused`` event; read per connection, so an owner
    may change it while serving), aiosmtpd's own line limits.
    ``on_connection(what, peer)`` hears of each connection: "open" once its
    session starts, "closed" when it ends, "refused" for one turned away with 421
    (an MM4 destination counts its peers' connections so). ``is_stray(message)``
    says whether a message (DATA) belongs to another scenario: it is recorded stray.
    """

    def __init__(
        self,
        service: Service,
        trace: TraceRecorder,
        handler: Any,
        *,
        protocol: str = "SMTP",
        port: int | None = None,
        hostname: str | None = None,
        authenticator: Any = None,
        auth_required: bool = False,
        max_message: int = 10_000_000,
        idle_timeout_ms: int = 60_000,
        max_connections: int = 100,
        describe: Callable[[bytes], str] | None = None,
        on_connection: Callable[[str, Address], None] | None = None,
        is_stray: Callable[[bytes], bool] | None = None,
    ) -> None:
        self.service = service
        self.trace = trace
        self.handler = handler
        self.on_connection = on_connection
        self.is_stray = is_stray
        self.protocol = protocol
        # aiosmtpd's default is socket.getfqdn(): a DNS lookup per connection.
        self.hostname = hostname or f"{service.role.lower()}.mmsconf.invalid"
        self.authenticator = authenticator
        self.auth_required = auth_required
        self.max_message = max_message
        self.idle_timeout_ms = idle_timeout_ms
        self.max_connections = max_connections
        self.describe = describe or _describe_message
        self._where = ListenAddress(service, port)
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[_RecordedSMTP] = set()

    @property
    def port(self) -> int:
        return self._where.port

    def _tell(self, what: str, peer: Address) -> None:
        if self.on_connection is not None:
            self.on_connection(what, peer)

    @property
    def address(self) -> Address:
        return self._where.address

    def _protocol(self) -> _RecordedSMTP:
        return _RecordedSMTP(
            self,
            self.handler,
            hostname=self.hostname,
            ident="mmsconf",
            data_size_limit=self.max_message,
            timeout=self.idle_timeout_ms / 1000,
            authenticator=self.authenticator,
            auth_required=self.auth_required,
            auth_require_tls=self.authenticator is None,
            loop=asyncio.get_running_loop(),
        )

    async def start(self) -> None:
        host, port = self._where.claim()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol, host, port, reuse_address=True, backlog=1024
        )
        self.trace.register(self.service.role, host, port, embedded=True)

    async def stop(self) -> None:
        self.trace.unregister(*self.address)
        if self._server is not None:
            self._server.close()
            for connection in list(self._connections):
                if connection.transport is not None:
                    connection.transport.close()
            await self._server.wait_closed()
        self._server = None


# --- the client ----------------------------------------------------------------------------


@dataclass
class SmtpResult:
    """What one message's transaction came to."""

    ok: bool = False
    code: int | None = None  # of the final answer (the DATA one when it got that far)
    message: str = ""
    refused: dict[str, tuple[int, str]] = field(default_factory=dict)  # recipient -> answer
    error: str | None = None  # "unreachable: ...", "disconnected: ...", "timeout", "refused"
    src: Address = ("", 0)
    elapsed_ms: float = 0.0


class SmtpSession:
    """One open connection: ``smtp`` is the aiosmtplib client, to use as aiosmtplib documents.

    Kept open it can carry many messages (an MM4 relay's pool); ``close``
    ends it (QUIT if it can).
    """

    def __init__(
        self,
        smtp: aiosmtplib.SMTP,
        src: Address,
        relay: _Relay | None,
        forget: Callable[[SmtpSession], None] | None = None,
    ) -> None:
        self.smtp = smtp
        self.src = src
        self._relay = relay
        self._forget = forget
        self.closed = False

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._forget is not None:
            self._forget(self)  # its client need not close it again
        if self.smtp.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                await self.smtp.quit()
        self.smtp.close()
        if self._relay is not None:
            await self._relay.close()


class _Relay:
    """Carries bytes between aiosmtplib's end of a socket pair and the real connection,
    showing each chunk to the tape on its way."""

    def __init__(
        self,
        real: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        pair: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        tape: _Tape,
    ) -> None:
        self.real, self.pair, self.tape = real, pair, tape
        self.tasks = [
            asyncio.create_task(self._pump(real[0], pair[1], tape.from_server)),
            asyncio.create_task(self._pump(pair[0], real[1], tape.from_client)),
        ]

    @staticmethod
    async def _pump(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tap: Callable[[bytes], None]
    ) -> None:
        try:
            while data := await reader.read(65536):
                tap(data)
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError):
            writer.close()

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for _, writer in (self.real, self.pair):
            writer.close()
        self.tape.close()


class SmtpClient:
    """A client part: SMTP from the service's own address; ``stop`` closes open sessions."""

    def __init__(
        self,
        service: Service,
        trace: TraceRecorder,
        *,
        protocol: str = "SMTP",
        timeout_ms: int = 5000,
        local_hostname: str | None = None,
        describe: Callable[[bytes], str] | None = None,
        max_message: int = 10_000_000,
    ) -> None:
        self.service = service
        self.trace = trace
        self.protocol = protocol
        self.timeout_ms = timeout_ms
        self.local_hostname = local_hostname or f"{service.role.lower()}.mmsconf.invalid"
        self.describe = describe or _describe_message
        self.max_message = max_message
        self._sessions: set[SmtpSession] = set()

    async def start(self) -> None:
        """Nothing to open: connections are made on demand."""

    async def stop(self) -> None:
        for session in list(self._sessions):
            await session.close()
        self._sessions.clear()

    async def connect(self, host: str, port: int) -> SmtpSession:
        """An open session (the greeting read). OSError when nothing answers at (host, port)."""
        timeout = self.timeout_ms / 1000
        relay = None
        if self.trace.is_embedded(host, port):
            smtp = aiosmtplib.SMTP(
                hostname=host,
                port=port,
                source_address=(self.service.host, 0),
                local_hostname=self.local_hostname,
                timeout=timeout,
                start_tls=False,
            )
        else:
            relay, theirs = await self._relay(host, port, timeout)
            smtp = aiosmtplib.SMTP(
                hostname=host,
                sock=theirs,
                local_hostname=self.local_hostname,
                timeout=timeout,
                start_tls=False,
            )
        try:
            await smtp.connect()
        except BaseException:
            if relay is not None:
                await relay.close()
            raise
        if relay is not None:
            src = relay.tape.client
        else:
            name = smtp.transport.get_extra_info("sockname") if smtp.transport else None
            src = (name[0], name[1]) if name else (self.service.host, 0)
        session = SmtpSession(smtp, src, relay, self._sessions.discard)
        self._sessions.add(session)
        return session

    async def _relay(self, host: str, port: int, timeout: float) -> tuple[_Relay, socket.socket]:
        real = await asyncio.wait_for(
            asyncio.open_connection(host, port, local_addr=(self.service.host, 0)), timeout
        )
        name = real[1].get_extra_info("sockname")
        tape = _Tape(
            self.trace,
            self.protocol,
            (host, port),
            (name[0], name[1]),
            self.describe,
            self.max_message,
        )
        ours, theirs = socket.socketpair()
        pair = await asyncio.open_connection(sock=ours)
        return _Relay(real, pair, tape), theirs

    async def send(
        self,
        host: str,
        port: int,
        sender: str,
        recipients: Sequence[str],
        message: bytes,
        *,
        credentials: tuple[str, str] | None = None,
    ) -> SmtpResult:
        """One message on a connection of its own: connect, (AUTH), MAIL, RCPT, DATA, QUIT."""
        started = time.perf_counter()
        result = SmtpResult(src=(self.service.host, 0))
        try:
            session = await self.connect(host, port)
        except (OSError, aiosmtplib.SMTPConnectError, TimeoutError) as err:
            result.error = f"unreachable: {err}"
            result.elapsed_ms = (time.perf_counter() - started) * 1000
            return result
        result.src = session.src
        try:
            if credentials is not None:
                await session.smtp.login(*credentials)
            refused, said = await session.smtp.sendmail(sender, list(recipients), message)
            result.ok, result.code, result.message = True, 250, said
            result.refused = {r: (a.code, a.message) for r, a in refused.items()}
        except aiosmtplib.SMTPRecipientsRefused as err:
            result.error = "refused"
            result.refused = {e.recipient: (e.code, e.message) for e in err.recipients}
        except aiosmtplib.SMTPResponseException as err:
            result.error, result.code, result.message = "refused", err.code, err.message
        except aiosmtplib.SMTPServerDisconnected as err:
            result.error = f"disconnected: {err}"
        except aiosmtplib.SMTPTimeoutError as err:
            result.error = f"timeout: {err}"
        finally:
            await session.close()
            self._sessions.discard(session)
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        return result
