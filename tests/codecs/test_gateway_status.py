"""codecs/gateway_status: the status document, registration and selection settings; strict
errors name the member, lenient mode records its deviations; round trips."""

from __future__ import annotations

import json

import pytest

from mmsconf.emulators.codecs import gateway_status as gs

GOOD = {
    "gateway": "gw-1",
    "delay_ms": 12.5,
    "traffic": 30,
    "max_traffic": 100,
    "throughput": 200,
    "max_throughput": 1000,
    "overloaded": False,
    "accepted": 7,
}


def body(**changes: object) -> bytes:
    doc = {**GOOD, **changes}
    return json.dumps({k: v for k, v in doc.items() if v is not ...}).encode()


def test_status_round_trip_and_residuals() -> None:
    status = gs.parse_status(body())
    assert (status.residual_traffic, status.residual_throughput) == (70, 800)
    assert gs.parse_status(gs.encode_status(status)) == status
    assert status.summary() == "delay 12.5 ms, traffic 30/100, throughput 200/1000"
    minimal = gs.parse_status(body(gateway=..., accepted=...))
    assert (minimal.gateway, minimal.accepted) == (None, None)
    assert gs.parse_status(body(extension="ignored")).traffic == 30


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (body(delay_ms=...), "delay_ms"),
        (body(traffic=1.5), "traffic"),
        (body(traffic=-1), "traffic"),
        (body(max_traffic=True), "max_traffic"),
        (body(throughput=None), "throughput"),
        (body(overloaded="no"), "overloaded"),
        (body(gateway=5), "gateway"),
        (body(accepted="x"), "accepted"),
        (b"[1, 2]", "body"),
        (b"{not json", "body"),
        (b'{"delay_ms": NaN}', "body"),
        (b"\xff\xfe", "body"),
        (b" " * 5000, "body"),
    ],
)
def test_strict_errors_name_the_member(data: bytes, field: str) -> None:
    with pytest.raises(gs.StatusError) as caught:
        gs.parse_status(data)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("data", "content_type", "code", "field"),
    [
        (body(traffic="30"), "application/json", "number_as_string", "traffic"),
        (body(overloaded=...), "application/json", "missing_overloaded", "overloaded"),
        (body(), "text/plain", "content_type", "Content-Type"),
    ],
)
def test_deviations(data: bytes, content_type: str, code: str, field: str) -> None:
    with pytest.raises(gs.StatusError) as caught:
        gs.parse_status(data, content_type)
    assert caught.value.field == field
    status = gs.parse_status(data, content_type, gs.Mode.LENIENT)
    assert [(d.code, d.field) for d in status.deviations] == [(code, field)]
    assert code in gs.DEVIATIONS


def test_registration_and_settings() -> None:
    reg = gs.Registration("gw-4", "127.0.42.4", "http://127.0.42.4:1/mm7", "http://127.0.42.4:1/s")
    assert gs.parse_registration(gs.encode_registration(reg)) == reg
    bad = json.loads(gs.encode_registration(reg))
    for key, value, field in [
        ("name", "a b", "name"),
        ("address", "example.org", "address"),
        ("mm7_url", "ftp://x/", "mm7_url"),
        ("status_url", "http://x:99999/", "status_url"),
    ]:
        with pytest.raises(gs.StatusError) as caught:
            gs.parse_registration(json.dumps({**bad, key: value}).encode())
        assert caught.value.field == field
    settings = gs.SelectionSettings(
        (gs.Criterion.DELAY, gs.Criterion.RESIDUAL_TRAFFIC), {"delay": 10.0}
    )
    assert gs.parse_settings(gs.encode_settings(settings)) == settings
    assert settings.tolerance(gs.Criterion.RESIDUAL_TRAFFIC) == 0.0
    for doc, field in [
        ({"criteria": []}, "criteria"),
        ({"criteria": ["speed"]}, "criteria"),
        ({"criteria": ["delay", "delay"]}, "criteria"),
        ({"criteria": ["delay"], "tolerances": {"x": 1}}, "tolerances.x"),
        ({"criteria": ["delay"], "tolerances": {"delay": -1}}, "delay"),
    ]:
        with pytest.raises(gs.StatusError) as caught:
            gs.parse_settings(json.dumps(doc).encode())
        assert caught.value.field == field
