"""The trace the emulators write. (Loading the SUT profile is tested in tests/profile/.)"""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import Credentials, MM7Client
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder, mask_secrets, roles_in

A1 = "+8613800000001"
REQUESTS = ("SubmitReq", "DeliveryReportReq")


def b64(user: str, password: str) -> bytes:
    return base64.b64encode(f"{user}:{password}".encode())


# --- trace --------------------------------------------------------------------------


def test_one_message_is_traced_once_per_hop_with_named_roles(
    net: Callable[..., Any], wait: Callable[..., Any]
):
    async def scenario() -> None:
        async with net() as n:
            s180 = n.farm.servers[180]
            for mmsc in n.mmscs.values():
                mmsc.pinned_targets = [s180.report_url]
            sub = await n.sp.submit([A1], target=s180.submit_url)
            assert sub.outcome is not None and sub.outcome.ok
            await wait(n.sp.events, lambda: len(n.sp.reports) == 1, "the SP's report")
            await wait(s180.events, lambda: bool(s180.events.of("delivered")), "180 delivered")
            events = n.trace.events()

            requests = [e for e in events if e.summary.startswith(REQUESTS)]
            hops = [(e.src.role, e.dst.role, e.summary.split()[0]) for e in requests]
            assert hops == [
                ("SP", "MMSG-180", "SubmitReq"),
                ("MMSG-180", "MMSC-A", "SubmitReq"),
                ("MMSC-A", "MMSG-180", "DeliveryReportReq"),
                ("MMSG-180", "SP", "DeliveryReportReq"),
            ]
            by_key = Counter((e.src.role, e.dst.role, e.summary) for e in requests)
            assert set(by_key.values()) == {1}, by_key
            # One answer per request, nothing else.
            assert len(events) == 2 * len(requests)
            assert {"SP", "MMSG-180", "MMSC-A"} <= set(roles_in(events))
            assert "MMSC-B" not in roles_in(events) and "MMSG-181" not in roles_in(events)
            assert [e.seq for e in events] == sorted({e.seq for e in events})

            sp_submit, gw_submit = requests[0], requests[1]
            assert b"Authorization: Basic ********\r\n" in sp_submit.raw
            assert b64("sp001", "sp-secret") not in sp_submit.raw
            assert b"Authorization: Basic ********\r\n" in gw_submit.raw
            assert b64("mmsg", "mmsg-secret") not in gw_submit.raw
            assert all(b"sp-secret" not in e.raw and b"mmsg-secret" not in e.raw for e in events)

    asyncio.run(scenario())


async def exchange_with_external(
    echo: Callable[..., Any], submit: Callable[..., mm7.SubmitReq]
) -> tuple[TraceRecorder, TraceRecorder]:
    """One SubmitReq from a client to a server that is registered as external in our trace."""
    ours = TraceRecorder()
    theirs = TraceRecorder()  # what the server itself saw; the harness never reads it
    server = echo(theirs)
    await server.start()
    ours.register("MMSG-EXT", server.host, server.port, embedded=False)
    client = MM7Client(Service("SP", "127.0.41.9"), ours, server.codec)
    try:
        out = await client.post(
            server.url, submit("T-ext"), credentials=Credentials("u", "topsecret")
        )
        assert out.ok
    finally:
        await client.close()
        await server.stop()
    return ours, theirs


def test_client_records_an_exchange_with_an_external_server_once(
    echo: Callable[..., Any], submit: Callable[..., mm7.SubmitReq]
):
    ours, theirs = asyncio.run(exchange_with_external(echo, submit))
    req, rsp = ours.events()
    assert (req.src.host, req.dst.role, rsp.src.role) == ("127.0.41.9", "MMSG-EXT", "MMSG-EXT")
    assert rsp.dst.host == "127.0.41.9"
    assert req.summary.startswith("SubmitReq tid=T-ext")
    assert rsp.summary.startswith("SubmitRsp 1000")
    assert b"Authorization: Basic ********" in req.raw and b64("u", "topsecret") not in req.raw
    assert len(theirs.events()) == 2


def test_client_records_the_real_source_port(
    echo: Callable[..., Any], submit: Callable[..., mm7.SubmitReq]
):
    ours, theirs = asyncio.run(exchange_with_external(echo, submit))
    req, rsp = ours.events()
    seen_by_server = theirs.events()[0].src
    assert (req.src.host, req.src.port) == (seen_by_server.host, seen_by_server.port)
    assert req.stream == rsp.stream == theirs.events()[0].stream


def test_client_does_not_record_an_exchange_the_embedded_server_records(
    echo: Callable[..., Any], submit: Callable[..., mm7.SubmitReq]
):
    async def scenario() -> None:
        trace = TraceRecorder()
        server = echo(trace)
        await server.start()
        client = MM7Client(Service("SP", "127.0.41.10"), trace, server.codec)
        try:
            assert (await client.post(server.url, submit("T-emb"))).ok
        finally:
            await client.close()
            await server.stop()
        assert [e.summary.split()[0] for e in trace.events()] == ["SubmitReq", "SubmitRsp"]
        # The stand-in client has no listener, so the trace names it by its address.
        assert [e.dst.role for e in trace.events()] == ["ECHO", "127.0.41.10"]

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        (b"authorization: basic Zm9vOmJhcg==\r\n", b"authorization: basic ********\r\n"),
        (b"Authorization:Basic Zm9vOmJhcg==", b"Authorization:Basic ********"),
        (
            b"POST / HTTP/1.1\r\nAUTHORIZATION: BASIC abc\r\nHost: x\r\n",
            b"POST / HTTP/1.1\r\nAUTHORIZATION: BASIC ********\r\nHost: x\r\n",
        ),
    ],
)
def test_basic_credentials_are_masked(raw: bytes, masked: bytes):
    assert mask_secrets(raw) == masked


def test_trace_stores_masked_bytes():
    trace = TraceRecorder()
    trace.register("SP", "127.0.10.1", 1000, embedded=True)
    event = trace.record(
        ("127.0.10.1", 1000), ("127.0.20.80", 2000), "MM7", "x", b"Authorization: Basic abc\r\n"
    )
    assert event.raw == b"Authorization: Basic ********\r\n"
    assert event.src.role == "SP" and event.dst.role == "127.0.20.80"  # unknown: its address
    assert trace.events()[0].raw == event.raw
