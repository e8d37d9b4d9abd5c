"""The trace the emulators write, and loading the SUT profile."""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import Credentials, MM7Client
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder, mask_secrets, roles_in
from mmsconf.fixtures.profile import ProfileError, load_profile

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


# --- profile ---------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "sut.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reference_profile_loads():
    profile = load_profile()
    rr = profile.report_routing
    assert profile.name == "reference" and profile.path is None
    assert rr.gateway == "reference" and not rr.external
    assert rr.modules == [180, 181] and rr.spare_module == 182
    assert rr.mmsc["routes"] == {"+86138": "A", "+86139": "B"}
    assert profile.claims("report_routing", "server_control")
    assert not profile.claims("report_routing", "no_such_feature")


def test_a_profile_overrides_only_what_it_names(tmp_path: Path):
    reference = load_profile().report_routing
    path = write(tmp_path, "[report_routing.pixit]\nreport_expiry_ms = 900\n")
    rr = load_profile(path).report_routing
    assert rr.pixit["report_expiry_ms"] == 900
    assert {k: v for k, v in rr.pixit.items() if k != "report_expiry_ms"} == {
        k: v for k, v in reference.pixit.items() if k != "report_expiry_ms"
    }
    assert rr.sp == reference.sp and rr.mmsc == reference.mmsc
    # Loading an overlay does not leak into the next load of the reference.
    assert (
        load_profile().report_routing.pixit["report_expiry_ms"]
        == reference.pixit["report_expiry_ms"]
    )


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            "[report_routing.pixit]\nreport_expiry_msec = 5\n",
            "report_routing.pixit.report_expiry_msec",
        ),
        ("[report_routing.sp]\nhostname = '127.0.0.1'\n", "report_routing.sp.hostname"),
        ("[reprot_routing]\ngateway = 'reference'\n", "reprot_routing"),
    ],
)
def test_unknown_key_is_named(tmp_path: Path, text: str, key: str):
    path = write(tmp_path, text)
    with pytest.raises(ProfileError, match="unknown key") as err:
        load_profile(path)
    assert f"'{key}'" in str(err.value)
    assert str(path) in str(err.value)


def test_user_tables_accept_new_keys(tmp_path: Path):
    path = write(tmp_path, '[report_routing.mmsc.routes]\n"+86137" = "A"\n')
    rr = load_profile(path).report_routing
    assert rr.mmsc["routes"]["+86137"] == "A"


def test_bad_gateway_kind_names_the_key(tmp_path: Path):
    path = write(tmp_path, "[report_routing]\ngateway = 'round-robin'\n")
    with pytest.raises(ProfileError, match=r"report_routing\.gateway") as err:
        load_profile(path)
    assert "round-robin" in str(err.value)


@pytest.mark.parametrize("text", ["this is not toml\n", "[report_routing\ngateway = 1\n", "a = "])
def test_non_toml_is_an_error(tmp_path: Path, text: str):
    path = write(tmp_path, text)
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_profile(path)


def test_missing_file_is_an_error(tmp_path: Path):
    with pytest.raises(ProfileError, match="does not exist"):
        load_profile(tmp_path / "nope.toml")


def test_external_gateway_needs_two_servers(tmp_path: Path):
    one = (
        "[report_routing]\ngateway = 'external'\n"
        "[[report_routing.servers]]\nmodule = 180\n"
        "submit_url = 'http://127.0.0.1:1/mm7'\nreport_url = 'http://127.0.0.1:1/dr'\n"
    )
    with pytest.raises(ProfileError, match="at least two"):
        load_profile(write(tmp_path, one))
    broken = one + "[[report_routing.servers]]\nmodule = 181\n"
    with pytest.raises(ProfileError, match=r"report_routing\.servers\[1\].*submit_url"):
        load_profile(write(tmp_path, broken, "broken.toml"))
    two = one + (
        "[[report_routing.servers]]\nmodule = '181'\n"
        "submit_url = 'http://127.0.0.2:1/mm7'\nreport_url = 'http://127.0.0.2:1/dr'\n"
    )
    rr = load_profile(write(tmp_path, two, "two.toml")).report_routing
    assert rr.external and [s.module for s in rr.servers] == [180, 181]


@pytest.mark.parametrize("value", ["0", "-5", "'1500'", "1.5"])
def test_timers_must_be_positive_ms(tmp_path: Path, value: str):
    path = write(tmp_path, f"[report_routing.pixit]\nreport_retry_max_ms = {value}\n")
    with pytest.raises(ProfileError, match=r"report_routing\.pixit\.report_retry_max_ms"):
        load_profile(path)


def test_a_boolean_timer_is_refused(tmp_path: Path):
    path = write(tmp_path, "[report_routing.pixit]\nreport_expiry_ms = true\n")
    with pytest.raises(ProfileError, match=r"report_routing\.pixit\.report_expiry_ms"):
        load_profile(path)


def test_the_gateway_request_timeout_comes_from_the_profile(tmp_path: Path):
    from mmsconf.fixtures.report_routing import build_farm

    path = write(tmp_path, "[report_routing.pixit]\ngateway_request_timeout_ms = 750\n")
    rr = load_profile(path).report_routing
    mmscs = {name: f"http://{host}:1/mm7" for name, host in rr.mmsc["hosts"].items()}
    farm = build_farm(rr, TraceRecorder(), 1, "http://127.0.10.1:1/mm7/dr", mmscs)
    assert farm.config.request_timeout_ms == 750
    with pytest.raises(ProfileError, match=r"pixit\.gateway_request_timeout_ms"):
        load_profile(write(tmp_path, "[report_routing.pixit]\ngateway_request_timeout_ms = 0\n",
                           "zero.toml"))
