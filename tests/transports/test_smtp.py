"""The SMTP parts over real sockets: aiosmtpd behind our lifecycle, aiosmtplib, the trace.

Each line of the dialogue is one event, recorded once; the server greets
first and every event names it as the listener; AUTH credentials never
reach the trace. Where tshark is installed, a recorded dialogue's pcap must
dissect as SMTP with its SYN aimed at the server.
"""

from __future__ import annotations

import asyncio
import base64
import shutil
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceEvent, TraceRecorder
from mmsconf.emulators.transports.smtp import SmtpClient, SmtpServer
from mmsconf.reports.pcap import write_pcap

USER, PASSWORD = "mmsc-a", "relay-s3cret"
MESSAGE = b"From: a@mmsc-a\r\nSubject: hi\r\n\r\nhello\r\n.a line that starts with a dot\r\n"
WAIT_S = 3


class Inbox:
    """aiosmtpd handler hooks: take every message, refuse one recipient."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 queued"


def authenticator(server, session, envelope, mechanism: str, data: LoginPassword) -> AuthResult:
    ok = (data.login, data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok)


def smtp_service(
    trace: TraceRecorder, host: str, **kw: object
) -> tuple[Service, SmtpServer, Inbox]:
    inbox = Inbox()
    service = Service("MMSC-B", host)
    server = service.add_listener(SmtpServer(service, trace, inbox, protocol="MM4", **kw))
    return service, server, inbox


def secrets() -> list[bytes]:
    plain = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode())
    return [PASSWORD.encode(), plain, base64.b64encode(PASSWORD.encode())]


def leaks(events: list[TraceEvent]) -> list[str]:
    return [
        f"#{e.seq}: {s!r}"
        for e in events
        for s in secrets()
        if s in e.raw or s.decode() in e.summary
    ]


def test_a_message_recorded_line_by_line_once_the_server_greeting_first(
    host: Callable[[], str],
) -> None:
    async def main() -> tuple[list[TraceEvent], Inbox, tuple[str, int]]:
        trace = TraceRecorder()
        service, server, inbox = smtp_service(trace, host())
        await service.start()
        relay = Service("MMSC-A", host())
        client = relay.add_client(SmtpClient(relay, trace, protocol="MM4"))
        try:
            result = await client.send(
                *server.address, "a@mmsc-a", ["b@mmsc-b", "nobody@mmsc-b"], MESSAGE
            )
            assert result.ok and result.code == 250, result
            assert result.refused == {"nobody@mmsc-b": (550, "5.1.1 no such user")}
            assert result.src[0] == relay.host
        finally:
            await relay.stop()
            await service.stop()
        return trace.events(), inbox, server.address

    events, inbox, where = asyncio.run(main())
    assert inbox.messages == [("a@mmsc-a", ["b@mmsc-b"], MESSAGE)]
    lines = [e.raw for e in events]
    assert lines[0].startswith(b"220 mmsc-b.mmsconf.invalid ")
    assert lines[1].startswith(b"EHLO ")
    assert b"DATA\r\n" in lines and b"QUIT\r\n" in lines and lines[-1] == b"221 Bye\r\n"
    # The message with its dot-stuffing and the final dot, as one event after the 354.
    message = lines.index(b"DATA\r\n") + 2
    assert lines[message - 1].startswith(b"354 ")
    assert lines[message] == MESSAGE.replace(b"\r\n.a", b"\r\n..a") + b".\r\n"
    assert events[message].summary == f"message, {len(lines[message])} bytes"
    # Each line once, from the right side, all naming the server as the listener.
    assert all(e.listener == where and e.protocol == "MM4" for e in events)
    assert all(
        line.endswith(b"\r\n") and line.count(b"\r\n") == 1
        for line in lines
        if line != lines[message]
    )
    servers = {(e.src.host, e.src.port) for e in events if e.raw[:3].isdigit()}
    assert servers == {where}
    assert [e.src.role for e in events][:2] == ["MMSC-B", events[1].src.host]


def test_the_client_records_an_external_server_exactly_as_the_server_does(
    host: Callable[[], str],
) -> None:
    """With the server external, the client relays and records: the two traces agree
    byte for byte, including masked AUTH (PLAIN by login(), then LOGIN with a continuation)."""

    async def main() -> tuple[TraceRecorder, TraceRecorder]:
        ours, theirs = TraceRecorder(), TraceRecorder()
        service, server, inbox = smtp_service(theirs, host(), authenticator=authenticator)
        await service.start()
        ours.register("MMSC-B", *server.address, embedded=False)
        relay = Service("MMSC-A", host())
        client = relay.add_client(SmtpClient(relay, ours, protocol="MM4"))
        try:
            sent = await client.send(
                *server.address, "a@mmsc-a", ["b@mmsc-b"], MESSAGE, credentials=(USER, PASSWORD)
            )
            assert sent.ok, sent
            session = await client.connect(*server.address)
            await session.smtp.ehlo()
            answer = await session.smtp.auth_login(USER, PASSWORD)
            assert answer.code == 235
            await session.close()
        finally:
            await relay.stop()
            await service.stop()
        assert len(inbox.messages) == 1
        return ours, theirs

    ours, theirs = asyncio.run(main())

    def seen(trace: TraceRecorder) -> list[tuple]:
        return [
            (e.src.host, e.src.port, e.dst.host, e.dst.port, e.summary, e.raw, e.listener)
            for e in trace.events()
        ]

    assert seen(ours) == seen(theirs)
    raws = [e.raw for e in ours.events()]
    assert b"AUTH PLAIN ********\r\n" in raws
    login = raws.index(b"AUTH LOGIN ********\r\n")
    assert raws[login + 1].startswith(b"334 ") and raws[login + 2] == b"********\r\n"
    assert ours.events()[login + 2].summary == "(credentials)"
    assert leaks(ours.events()) == leaks(theirs.events()) == []


def test_auth_login_without_an_initial_response_masks_both_continuations(
    host: Callable[[], str], until_recorded: Callable[..., Awaitable[list[TraceEvent]]]
) -> None:
    async def main() -> list[TraceEvent]:
        trace = TraceRecorder()
        service, server, _ = smtp_service(trace, host(), authenticator=authenticator)
        await service.start()
        try:
            reader, writer = await asyncio.open_connection(*server.address)

            async def say(line: bytes) -> bytes:
                writer.write(line + b"\r\n")
                return await asyncio.wait_for(reader.readline(), WAIT_S)

            await asyncio.wait_for(reader.readline(), WAIT_S)  # greeting
            writer.write(b"EHLO raw\r\n")
            while not (await asyncio.wait_for(reader.readline(), WAIT_S)).startswith(b"250 "):
                pass
            assert (await say(b"AUTH LOGIN")).startswith(b"334 ")
            assert (await say(base64.b64encode(USER.encode()))).startswith(b"334 ")
            assert (await say(base64.b64encode(PASSWORD.encode()))).startswith(b"235 ")
            assert (await say(b"QUIT")).startswith(b"221")
            writer.close()
            return await until_recorded(trace, 13)
        finally:
            await service.stop()

    events = asyncio.run(main())
    auth = [e.raw for e in events].index(b"AUTH LOGIN\r\n")
    after = [(e.raw[:4], e.summary) for e in events[auth + 1 : auth + 5]]
    assert after == [
        (b"334 ", events[auth + 1].summary),  # the server's challenges are not secret
        (b"****", "(credentials)"),
        (b"334 ", events[auth + 3].summary),
        (b"****", "(credentials)"),
    ]
    assert events[auth + 2].raw == events[auth + 4].raw == b"********\r\n"
    assert base64.b64encode(USER.encode()) not in b"".join(e.raw for e in events)
    assert leaks(events) == []


def test_limits_connection_cap_421_oversize_552_and_down_up_on_the_same_port(
    host: Callable[[], str],
) -> None:
    async def main() -> None:
        trace = TraceRecorder()
        service, server, inbox = smtp_service(trace, host(), max_connections=1, max_message=100)
        await service.start()
        relay = Service("MMSC-A", host())
        client = relay.add_client(SmtpClient(relay, trace))
        try:
            first = await client.connect(*server.address)
            reader, writer = await asyncio.open_connection(*server.address)
            refusal = await asyncio.wait_for(reader.read(), WAIT_S)
            assert refusal.startswith(b"421 ")  # then closed: read() saw the end
            writer.close()
            assert [e["why"] for e in service.events.of("smtp_refused")] == ["max_connections"]
            await first.close()
            await service.events.wait_for(lambda _: not server._connections, 3000, "closed")
            big = await client.send(*server.address, "a@x", ["b@y"], b"x" * 500 + b"\r\n")
            assert not big.ok and big.code == 552, big
            port = server.port
            await service.go_down()
            down = await client.send(*server.address, "a@x", ["b@y"], b"hi\r\n")
            assert down.error is not None and down.error.startswith("unreachable"), down
            await service.come_up()
            assert server.port == port
            assert (await client.send(*server.address, "a@x", ["b@y"], b"hi\r\n")).ok
        finally:
            await relay.stop()
            await service.stop()
        assert [m[2] for m in inbox.messages] == [b"hi\r\n"]

    asyncio.run(main())


def test_a_recorded_dialogue_makes_a_pcap_tshark_reads_as_smtp(
    host: Callable[[], str], tmp_path: Path
) -> None:
    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark is not installed")

    async def main() -> tuple[list[TraceEvent], tuple[str, int]]:
        trace = TraceRecorder()
        service, server, _ = smtp_service(trace, host())
        await service.start()
        relay = Service("MMSC-A", host())
        client = relay.add_client(SmtpClient(relay, trace))
        try:
            assert (await client.send(*server.address, "a@x", ["b@y"], MESSAGE)).ok
        finally:
            await relay.stop()
            await service.stop()
        return trace.events(), server.address

    events, (server_host, server_port) = asyncio.run(main())
    pcap = tmp_path / "smtp.pcap"
    write_pcap(events, pcap)

    def fields(*args: str) -> list[str]:
        run = subprocess.run(
            [tshark, "-r", str(pcap), "-d", f"tcp.port=={server_port},smtp", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        return [line for line in run.stdout.splitlines() if line.strip()]

    bad = "_ws.malformed || _ws.expert.severity >= warning || tcp.analysis.flags"
    assert fields("-Y", bad) == []
    syn = fields(
        "-Y",
        "tcp.flags.syn == 1 && tcp.flags.ack == 0",
        "-T",
        "fields",
        "-e",
        "ip.dst",
        "-e",
        "tcp.dstport",
    )
    assert syn == [f"{server_host}\t{server_port}"]
    commands = fields("-Y", "smtp.req.command", "-T", "fields", "-e", "smtp.req.command")
    assert commands == ["EHLO", "MAIL", "RCPT", "DATA", "QUIT"]
    codes = fields("-Y", "smtp.response.code", "-T", "fields", "-e", "smtp.response.code")
    assert codes[0].split(",")[0] == "220"


def test_the_owner_hears_of_each_connection_and_an_aborted_reply_is_not_recorded(
    host: Callable[[], str],
) -> None:
    """``on_connection`` says open/closed/refused per peer; a handler that aborts the
    connection instead of answering leaves no reply in the trace (none was sent)."""

    class Dropper(Inbox):
        async def handle_DATA(self, server, session, envelope) -> str:
            server.transport.abort()
            return "250 2.0.0 never sent"

    async def main() -> tuple[list[tuple[str, tuple[str, int]]], list[TraceEvent]]:
        trace = TraceRecorder()
        heard: list[tuple[str, tuple[str, int]]] = []
        service = Service("MMSC-B", host())
        server = service.add_listener(
            SmtpServer(
                service,
                trace,
                Dropper(),
                protocol="MM4",
                max_connections=1,
                on_connection=lambda what, peer: heard.append((what, peer)),
            )
        )
        await service.start()
        relay = Service("MMSC-A", host())
        client = relay.add_client(SmtpClient(relay, trace, timeout_ms=WAIT_S * 1000))
        try:
            first = await client.connect(*server.address)
            _, writer = await asyncio.open_connection(*server.address)  # over the cap: 421
            result = await client.send(*server.address, "a@x", ["b@y"], MESSAGE)
            assert not result.ok  # refused at the greeting, too
            await first.smtp.ehlo()
            with pytest.raises(Exception):  # noqa: B017 - whatever aiosmtplib raises on a drop
                await first.smtp.sendmail("a@x", ["b@y"], MESSAGE)
            await first.close()
            writer.close()
            await service.events.wait_for(lambda _l: len(heard) >= 4, WAIT_S * 1000, "closes")
        finally:
            await relay.stop()
            await service.stop()
        return heard, trace.events()

    heard, events = asyncio.run(main())
    assert [what for what, _ in heard] == ["open", "refused", "refused", "closed"], heard
    assert heard[0][1] == heard[-1][1]
    assert not any(b"never sent" in e.raw for e in events)


def test_a_message_the_owner_calls_stray_is_recorded_stray(host: Callable[[], str]) -> None:
    async def main() -> list[TraceEvent]:
        trace = TraceRecorder()
        service = Service("MMSC-B", host())
        server = service.add_listener(
            SmtpServer(service, trace, Inbox(), is_stray=lambda message: b"old-scope" in message)
        )
        await service.start()
        relay = Service("MMSC-A", host())
        client = relay.add_client(SmtpClient(relay, trace))
        try:
            for text in (b"Subject: old-scope\r\n\r\nx\r\n", b"Subject: mine\r\n\r\nx\r\n"):
                assert (await client.send(*server.address, "a@x", ["b@y"], text)).ok
        finally:
            await relay.stop()
            await service.stop()
        return trace.events()

    messages = [e for e in asyncio.run(main()) if e.summary.startswith("message,")]
    assert [(b"old-scope" in e.raw, e.stray) for e in messages] == [(True, True), (False, False)]
