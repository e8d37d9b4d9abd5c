"""Credentials: refused the way MM7 says, and never written down anywhere.

A bad Authorization header (wrong, missing, malformed) or an unknown VASPID
gets the protocol's answer (HTTP 401 or 500 with Fault 4001/4007) and nothing
reaches an MMSC. After runs that carried the real credentials, neither the
SP's password nor its Basic token appears in the trace, the logs, or any
file of the report the CLI writes. The same holds for SMTP AUTH (PLAIN,
LOGIN with and without an initial response), HTTP Digest and SIP Digest,
over the transports the coming areas use: not in the trace, the report's
page or its pcaps.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import Credentials, MM7Client
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.http_client import HttpClient
from mmsconf.emulators.transports.http_server import HttpAnswer, HttpServer
from mmsconf.emulators.transports.smtp import SmtpClient, SmtpServer
from mmsconf.emulators.transports.udp import UdpAnswer, UdpClient, UdpHandled, UdpServer
from mmsconf.fixtures.profile import load_profile
from mmsconf.fixtures.report_routing import ReportRoutingNet
from mmsconf.reports.model import RunResult, ScenarioResult
from mmsconf.reports.write import write_report

PASSWORD = "sp-secret"
TOKEN = base64.b64encode(b"sp001:sp-secret").decode()  # c3AwMDE6c3Atc2VjcmV0
GATEWAY_PASSWORD = "mmsg-secret"
GATEWAY_TOKEN = base64.b64encode(b"mmsg:mmsg-secret").decode()
SECRETS = (PASSWORD, TOKEN, GATEWAY_PASSWORD, GATEWAY_TOKEN)
SP_HOST = "127.0.10.1"
OTHER_HOST = "127.0.10.2"  # not an address the SP account allows
RECIPIENT = "+8613800000042"
WAIT_MS = 10_000


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


#: name -> (Authorization header or None, VASPID, source host, HTTP status, MM7 status)
BAD_CREDENTIALS: dict[str, tuple[str | None, str, str, int, int]] = {
    "wrong password": (Credentials("sp001", "sp-wrong").header(), "sp001", SP_HOST, 401, 4001),
    "wrong username": (Credentials("sp002", PASSWORD).header(), "sp001", SP_HOST, 401, 4001),
    "no Authorization header": (None, "sp001", SP_HOST, 401, 4001),
    "no 'Basic': the bare token": (TOKEN, "sp001", SP_HOST, 401, 4001),
    "another scheme (Bearer)": (f"Bearer {TOKEN}", "sp001", SP_HOST, 401, 4001),
    "bad base64": ("Basic !!not*base64!!", "sp001", SP_HOST, 401, 4001),
    "no colon": (f"Basic {b64(b'sp001sp-secret')}", "sp001", SP_HOST, 401, 4001),
    "not UTF-8": ("Basic " + b64(b"sp001:sp-\xff\xfesecret"), "sp001", SP_HOST, 401, 4001),
    "empty token": ("Basic", "sp001", SP_HOST, 401, 4001),
    "unknown VASPID": (f"Basic {TOKEN}", "sp999", SP_HOST, 500, 4001),
    "unconfigured address": (f"Basic {TOKEN}", "sp001", OTHER_HOST, 500, 4007),
}


@asynccontextmanager
async def running_net(seed: int = 5) -> AsyncIterator[ReportRoutingNet]:
    rr = load_profile().report_routing
    rr.pixit.update({"report_retry_initial_ms": 10, "report_retry_max_ms": 100})
    net = ReportRoutingNet(rr, TraceRecorder(), seed)
    await net.start()
    try:
        yield net
    finally:
        await net.stop()


async def submit_with(net: ReportRoutingNet, name: str) -> tuple[Any, str]:
    """One SubmitReq with the bad credentials ``name`` names; (outcome, MSGID1)."""
    header, vasp_id, host, _, _ = BAD_CREDENTIALS[name]
    msgid1 = net.sp.next_msgid1()
    request = net.sp.build_submit(msgid1, [RECIPIENT], vasp_id=vasp_id)
    client = MM7Client(Service(f"SP@{host}", host), net.trace, net.sp.codec)
    try:
        outcome = await client.post(
            net.sp.targets[0],
            request,
            extra_headers={"Authorization": header} if header is not None else None,
        )
    finally:
        await client.close()
    return outcome, msgid1


async def valid_submissions(net: ReportRoutingNet, count: int) -> None:
    sp = net.sp
    subs = await asyncio.gather(*(sp.submit([f"+86138000001{i:02d}"]) for i in range(count)))
    assert all(s.outcome is not None and s.outcome.ok for s in subs), [s.outcome for s in subs]
    await sp.events.wait_for(lambda _: sp.all_final(), WAIT_MS, "every final state")


def leaks(texts: Iterable[tuple[str, bytes | str]]) -> list[str]:
    """Where any secret appears: 'where: secret'."""
    found = []
    for where, text in texts:
        data = text.encode("utf-8", "replace") if isinstance(text, str) else text
        found += [f"{where}: {s}" for s in SECRETS if s.encode() in data]
    return found


def trace_texts(trace: TraceRecorder) -> list[tuple[str, bytes | str]]:
    out: list[tuple[str, bytes | str]] = []
    for e in trace.events():
        out += [(f"trace #{e.seq} raw", e.raw), (f"trace #{e.seq} summary", e.summary)]
    return out


# --- the protocol's answer -------------------------------------------------------------


@pytest.mark.parametrize("name", list(BAD_CREDENTIALS))
def test_bad_credentials_get_the_mm7_answer_and_nothing_is_forwarded(name: str) -> None:
    _, _, _, http_status, mm7_status = BAD_CREDENTIALS[name]

    async def main() -> None:
        async with running_net() as net:
            assert net.farm is not None
            outcome, _ = await submit_with(net, name)
            assert (outcome.http_status, outcome.status) == (http_status, mm7_status), outcome
            assert isinstance(outcome.message, mm7.SoapFault)
            assert [m.received for m in net.mmscs.values()] == [[], []]
            counters = net.farm.counters()
            assert counters["forwarded_to_mmsc"] == 0 and counters["auth_failures"] == 1
            assert all(not s.records for s in net.farm.servers.values())
            assert not leaks(trace_texts(net.trace))

    asyncio.run(main())


# --- nothing written down ----------------------------------------------------------------


def test_no_secret_in_the_trace_or_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Valid submissions, every bad-credentials case, and a header the parser refuses."""
    caplog.set_level(logging.DEBUG)

    async def main() -> TraceRecorder:
        async with running_net() as net:
            await valid_submissions(net, 5)
            for name in BAD_CREDENTIALS:
                await submit_with(net, name)
            # A header aiohttp's parser refuses: its error quotes the offending line.
            server = net.farm.servers[180] if net.farm else None
            assert server is not None
            reader, writer = await asyncio.open_connection(
                server.host, server.port, local_addr=(SP_HOST, 0)
            )
            writer.write(
                b"POST /mm7 HTTP/1.1\r\nHost: x\r\n"
                + f"Authorization: Basic {TOKEN}".encode()
                + b"\x01\r\nContent-Length: 0\r\n\r\n"
            )
            answer = await asyncio.wait_for(reader.read(), WAIT_MS / 1000)
            writer.close()
            assert answer.startswith(b"HTTP/1.0 400") or answer.startswith(b"HTTP/1.1 400")
            assert not leaks([("the 400 answer", answer)])
            return net.trace

    trace = asyncio.run(main())
    assert any(b"Basic ********" in e.raw for e in trace.events()), "nothing was masked"
    records = [
        (f"log {r.name} {r.levelname}", logging.Formatter().format(r)) for r in caplog.records
    ]
    assert not leaks([*trace_texts(trace), *records, ("caplog.text", caplog.text)])


def test_no_secret_in_the_report_the_cli_writes(tmp_path: Path) -> None:
    """The CLI's rr_auth scenarios carry the real token; rr_msgid1 adds valid submissions."""
    out = tmp_path / "report"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmsconf.fixtures.cli",
            "run",
            "--report-dir",
            str(out),
            "--tags",
            "rr_auth or rr_msgid1",
            "--",
            "-q",
        ],
        capture_output=True,
        timeout=600,
        cwd=tmp_path,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert run.returncode == 0, run.stdout.decode()[-3000:] + run.stderr.decode()[-3000:]
    files = sorted(p for p in out.rglob("*") if p.is_file())
    names = {p.name for p in files}
    assert {"index.html", "cucumber.json", "junit.xml"} <= names, names
    html = (out / "index.html").read_text("utf-8")
    assert "SubmitReq" in html and "Authorization" in html, "the report shows no trace"
    found = leaks(
        [
            *((str(p.relative_to(out)), p.read_bytes()) for p in files),
            ("cli stdout", run.stdout),
            ("cli stderr", run.stderr),
        ]
    )
    assert not found, found


# --- SMTP AUTH, HTTP Digest and SIP Digest: the trace, the report and the pcaps ---------

SMTP_USER, SMTP_PASSWORD = "mmsc-a-relay", "smtp-s3cret-pw"
DIGEST_USER, SIP_USER = "digest-user-7", "sip-alice-9"
HTTP_DIGEST = (
    f'Digest username="{DIGEST_USER}", realm="mm7", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", '
    'uri="/status", qop=auth, nc=00000001, cnonce="0a4f113b", '
    'response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
)
SIP_DIGEST = (
    f'Digest username="{SIP_USER}", realm="ims.example", nonce="84a4cc6f3082121f32b42a2187831a9e", '
    'uri="sip:+8613900000002@ims.example", response="7587245234b3434cc3412213e5f113a5", '
    'algorithm=MD5, cnonce="f2b5a1c9", qop=auth, nc=00000002'
)
#: Every piece of the credentials above that must not survive anywhere.
NEW_SECRETS = (
    SMTP_PASSWORD,
    b64(f"\0{SMTP_USER}\0{SMTP_PASSWORD}".encode()),  # AUTH PLAIN
    b64(SMTP_USER.encode()),  # AUTH LOGIN: the user, initial response or continuation
    b64(SMTP_PASSWORD.encode()),  # AUTH LOGIN: the password, a continuation
    DIGEST_USER,
    "6629fae49393a05397450978507c4ef1",
    "dcd98b7102dd2f0e8b11d0f600bfb0c093",
    "0a4f113b",
    SIP_USER,
    "7587245234b3434cc3412213e5f113a5",
    "84a4cc6f3082121f32b42a2187831a9e",
    "f2b5a1c9",
)


def new_leaks(texts: Iterable[tuple[str, bytes | str]]) -> list[str]:
    found = []
    for where, text in texts:
        data = text.encode("utf-8", "replace") if isinstance(text, str) else text
        found += [f"{where}: {s}" for s in NEW_SECRETS if s.encode() in data]
    return found


def sip_message(header: str) -> bytes:
    return (
        "MESSAGE sip:+8613900000002@ims.example SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.13.1:5060;branch=z9hG4bK776asdhds\r\n"
        "From: <sip:ppg@ims.example>;tag=49583\r\nTo: <sip:+8613900000002@ims.example>\r\n"
        "Call-ID: a84b4c76e66710@127.0.13.1\r\nCSeq: 2 MESSAGE\r\n"
        f"{header}: {SIP_DIGEST}\r\nContent-Length: 0\r\n\r\n"
    ).encode()


async def every_kind_of_credential(trace: TraceRecorder) -> None:
    """Real exchanges carrying each credential, recorded by listeners and by clients."""

    class Inbox:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            return "250 queued"

    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        return AuthResult(success=data.password == SMTP_PASSWORD.encode())

    async def status(_request: Any) -> Any:
        return HttpAnswer(200, [("Content-Type", "text/plain")], b"ok")

    async def sip(datagram: Any) -> Any:
        return UdpHandled("MESSAGE", [UdpAnswer(b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n")])

    # Two of each server: one our trace records itself (embedded), one it sees only
    # through the client (external; the server's own recorder is thrown away).
    elsewhere = TraceRecorder()
    servers: list[Service] = []
    where: list[tuple[tuple[str, int], tuple[str, int], tuple[str, int]]] = []
    for n, recorder in enumerate((trace, elsewhere)):
        service = Service("MMSC-B" if n == 0 else "SUT", f"127.0.13.{10 + n}")
        mail = service.add_listener(
            SmtpServer(service, recorder, Inbox(), protocol="MM4", authenticator=check)
        )
        web = service.add_listener(HttpServer(service, recorder, port=0))
        web.mount("/status", status, methods=("GET",), protocol="STATUS")
        push = service.add_listener(UdpServer(service, recorder, "SIP", sip, port=0))
        await service.start()
        servers.append(service)
        where.append((mail.address, web.address, push.address))
    for address in where[1]:
        trace.register("SUT", *address, embedded=False)
    caller = Service("MMSC-A", "127.0.13.1")
    smtp = caller.add_client(SmtpClient(caller, trace, protocol="MM4"))
    http = caller.add_client(HttpClient(caller, trace))
    udp = caller.add_client(UdpClient(caller, trace, "SIP"))
    try:
        for smtp_at, web_at, sip_at in where:
            sent = await smtp.send(
                *smtp_at, "a@x", ["b@y"], b"hi\r\n", credentials=(SMTP_USER, SMTP_PASSWORD)
            )
            assert sent.ok, sent
            session = await smtp.connect(*smtp_at)
            await session.smtp.ehlo()
            assert (await session.smtp.auth_login(SMTP_USER, SMTP_PASSWORD)).code == 235
            await session.close()
            for header in ("Authorization", "Proxy-Authorization"):
                got = await http.get(
                    f"http://{web_at[0]}:{web_at[1]}/status", headers={header: HTTP_DIGEST}
                )
                assert got.status == 200, got
                answer = await udp.exchange(sip_at, sip_message(header))
                assert answer.answer is not None, answer
        # AUTH LOGIN with the user name as a continuation too, from a raw client.
        reader, writer = await asyncio.open_connection(*where[0][0])
        for line in (
            b"EHLO raw",
            b"AUTH LOGIN",
            b64(SMTP_USER.encode()).encode(),
            b64(SMTP_PASSWORD.encode()).encode(),
            b"QUIT",
        ):
            writer.write(line + b"\r\n")
        assert b"235 " in await asyncio.wait_for(reader.read(), WAIT_MS / 1000)
        writer.close()
    finally:
        await caller.stop()
        for service in servers:
            await service.stop()


def test_smtp_auth_and_digest_credentials_survive_nowhere(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    trace = TraceRecorder()
    asyncio.run(every_kind_of_credential(trace))
    events = trace.events()
    raws = b"".join(e.raw for e in events)
    # What was sent really was there, masked: each kind at least once.
    assert b"AUTH PLAIN ********\r\n" in raws and b"AUTH LOGIN ********\r\n" in raws
    assert sum(1 for e in events if e.summary == "(credentials)") >= 4
    assert b"Authorization: Digest ********\r\n" in raws
    assert b"Proxy-Authorization: Digest ********\r\n" in raws
    assert b'Authorization: Digest username="********", realm="********"' in raws
    assert b'Proxy-Authorization: Digest username="********"' in raws
    assert {e.protocol for e in events} >= {"MM4", "STATUS", "SIP"}
    texts: list[tuple[str, bytes | str]] = [
        item
        for e in events
        for item in ((f"#{e.seq} raw", e.raw), (f"#{e.seq} summary", e.summary))
    ]
    scenario = ScenarioResult(
        nodeid="security::credentials",
        feature_name="credentials",
        feature_file="security.feature",
        feature_description="",
        name="every kind of credential",
        line=1,
        area="report_routing",
        clauses=[],
        tags=[],
        verdict="passed",
        trace=events,
    )
    run = RunResult(0.0, 1.0, "reference", None, 5, [scenario], [])
    written = write_report(run, tmp_path / "report")
    files = [written["html"], *written["pcaps"]]  # type: ignore[misc]
    assert len(files) == 2 and all(Path(f).stat().st_size for f in files)
    texts += [(str(f), Path(f).read_bytes()) for f in files]
    texts += [(f"log {r.name}", logging.Formatter().format(r)) for r in caplog.records]
    assert new_leaks(texts) == []
