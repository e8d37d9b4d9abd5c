"""Credentials: refused the way MM7 says, and never written down anywhere.

A bad Authorization header (wrong, missing, malformed) or an unknown VASPID
gets the protocol's answer (HTTP 401 or 500 with Fault 4001/4007) and nothing
reaches an MMSC. After runs that carried the real credentials, neither the
SP's password nor its Basic token appears in the trace, the logs, or any
file of the report the CLI writes.
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

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import Credentials, MM7Client
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.profile import load_profile
from mmsconf.fixtures.report_routing import ReportRoutingNet

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
