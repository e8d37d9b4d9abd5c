"""The gateway-selection exchanges on HTTP: the status document (heartbeat), registration
and the selection settings. Sans-IO JSON; strict and lenient; errors name the field.

Heartbeat: the selector sends ``GET <status_url>`` to each gateway every
heartbeat period; the gateway answers ``200 OK``, ``Content-Type:
application/json``, with one object::

    {"gateway": "gw-1", "delay_ms": 12, "traffic": 30, "max_traffic": 100,
     "throughput": 200, "max_throughput": 1000, "overloaded": false, "accepted": 1234}

``delay_ms`` (number ≥ 0): its current service-processing delay.
``traffic`` / ``max_traffic`` (integers ≥ 0): messages it is handling now,
and the most it can handle. ``throughput`` / ``max_throughput`` (numbers ≥
0, kbit/s): current and maximum. ``overloaded`` (boolean): it takes no more
traffic now. Optional: ``gateway`` (its name, a string) and ``accepted``
(integer ≥ 0, MM7 submissions accepted since it started: with it a selector
can tell which of the answers it gave are still on their way). Unknown
members are ignored, so the document can grow. Anything else — another HTTP
status, a body that is not such an object, a missing or mistyped member —
is a fault.

Registration (``POST /gateways`` on the selector's HTTP port)::

    {"name": "gw-4", "address": "127.0.42.4",
     "mm7_url": "http://127.0.42.4:18080/mm7", "status_url": "http://127.0.42.4:18080/status"}

Selection settings (``PUT /selection``)::

    {"criteria": ["delay", "residual_traffic", "residual_throughput"],
     "tolerances": {"delay": 10, "residual_traffic": 0, "residual_throughput": 0}}
"""

from __future__ import annotations

import ipaddress
import json
import math
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any
from urllib.parse import urlsplit

#: The largest status, registration or settings document taken (bytes).
MAX_DOCUMENT = 4096
CONTENT_TYPE = "application/json"


class StatusError(ValueError):
    """A document that is not acceptable; ``field`` names the member (or "body")."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class Mode(Enum):
    STRICT = "strict"
    LENIENT = "lenient"


#: What lenient mode accepts and records; strict mode refuses each, naming the field.
DEVIATIONS = {
    "number_as_string": 'a number written as a JSON string ("12")',
    "missing_overloaded": "no overloaded member (taken as false)",
    "content_type": "a Content-Type other than application/json",
}


@dataclass(frozen=True)
class Deviation:
    code: str
    field: str
    detail: str


class Criterion(StrEnum):
    """What a selector ranks gateways by (US 2012/0198054 claim 4)."""

    DELAY = "delay"  # shortest service-processing delay
    RESIDUAL_TRAFFIC = "residual_traffic"  # largest max_traffic - traffic
    RESIDUAL_THROUGHPUT = "residual_throughput"  # largest max_throughput - throughput


@dataclass(frozen=True)
class GatewayStatus:
    delay_ms: float
    traffic: int
    max_traffic: int
    throughput: float
    max_throughput: float
    overloaded: bool = False
    gateway: str | None = None
    accepted: int | None = None
    deviations: tuple[Deviation, ...] = ()

    @property
    def residual_traffic(self) -> int:
        return self.max_traffic - self.traffic

    @property
    def residual_throughput(self) -> float:
        return self.max_throughput - self.throughput

    def summary(self) -> str:
        flag = " OVERLOADED" if self.overloaded else ""
        return (
            f"delay {_num(self.delay_ms)} ms, traffic {self.traffic}/{self.max_traffic}, "
            f"throughput {_num(self.throughput)}/{_num(self.max_throughput)}{flag}"
        )


@dataclass(frozen=True)
class Registration:
    name: str
    address: str
    mm7_url: str
    status_url: str


@dataclass(frozen=True)
class SelectionSettings:
    criteria: tuple[Criterion, ...]
    tolerances: dict[str, float]

    def tolerance(self, criterion: Criterion) -> float:
        return self.tolerances.get(criterion.value, 0.0)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# --- reading ---------------------------------------------------------------------------


class _Reader:
    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self.found: list[Deviation] = []

    def note(self, code: str, field: str, detail: str) -> None:
        if self.mode is Mode.STRICT:
            raise StatusError(field, f"{detail} ({DEVIATIONS[code]})")
        self.found.append(Deviation(code, field, detail))

    def number(self, obj: dict, key: str, *, integer: bool = False, required: bool = True) -> Any:
        if key not in obj:
            if required:
                raise StatusError(key, "missing")
            return None
        value = obj[key]
        if isinstance(value, str):
            self.note("number_as_string", key, f"{value!r}")
            try:
                value = int(value) if integer else float(value)
            except ValueError:
                raise StatusError(key, f"{value!r} is not a number") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise StatusError(key, f"expected a number, got {json.dumps(value)[:40]}")
        if isinstance(value, float) and not math.isfinite(value):
            raise StatusError(key, "not a finite number")
        if integer and not float(value).is_integer():
            raise StatusError(key, f"expected a whole number, got {value}")
        if value < 0:
            raise StatusError(key, f"expected a number ≥ 0, got {value}")
        return int(value) if integer else value


def _object(body: bytes, content_type: str | None, reader: _Reader) -> dict:
    if len(body) > MAX_DOCUMENT:
        raise StatusError("body", f"{len(body)} bytes; at most {MAX_DOCUMENT}")
    if content_type is not None:
        media = content_type.split(";", 1)[0].strip().lower()
        if media != CONTENT_TYPE:
            reader.note("content_type", "Content-Type", f"{content_type!r}")
    try:
        text = body.decode("utf-8")
        obj = json.loads(text, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as err:
        raise StatusError("body", f"not JSON: {str(err)[:80]}") from None
    if not isinstance(obj, dict):
        raise StatusError("body", f"expected a JSON object, got {type(obj).__name__}")
    return obj


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_status(
    body: bytes, content_type: str | None = CONTENT_TYPE, mode: Mode = Mode.STRICT
) -> GatewayStatus:
    """A gateway's status document, or ``StatusError`` naming the member that is wrong."""
    reader = _Reader(mode)
    obj = _object(body, content_type, reader)
    overloaded = obj.get("overloaded")
    if "overloaded" not in obj:
        reader.note("missing_overloaded", "overloaded", "absent")
        overloaded = False
    elif not isinstance(overloaded, bool):
        raise StatusError("overloaded", f"expected true or false, got {json.dumps(overloaded)}")
    name = obj.get("gateway")
    if name is not None and not isinstance(name, str):
        raise StatusError("gateway", "expected a string")
    return GatewayStatus(
        delay_ms=reader.number(obj, "delay_ms"),
        traffic=reader.number(obj, "traffic", integer=True),
        max_traffic=reader.number(obj, "max_traffic", integer=True),
        throughput=reader.number(obj, "throughput"),
        max_throughput=reader.number(obj, "max_throughput"),
        overloaded=overloaded,
        gateway=name,
        accepted=reader.number(obj, "accepted", integer=True, required=False),
        deviations=tuple(reader.found),
    )


def _string(obj: dict, key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise StatusError(key, "expected a non-empty string")
    return value


def _http_url(obj: dict, key: str) -> str:
    value = _string(obj, key)
    split = urlsplit(value)
    if split.scheme not in ("http", "https") or not split.hostname:
        raise StatusError(key, f"expected an http:// URL with a host, got {value!r}")
    try:
        split.port  # noqa: B018 - parsing it is the check
    except ValueError:
        raise StatusError(key, "the port is not 0-65535") from None
    return value


def parse_registration(body: bytes, content_type: str | None = CONTENT_TYPE) -> Registration:
    reader = _Reader(Mode.STRICT)
    obj = _object(body, content_type, reader)
    name = _string(obj, "name")
    if len(name) > 63 or not all(c.isalnum() or c in "-_" for c in name):
        raise StatusError("name", "1-63 letters, digits, '-' or '_'")
    address = _string(obj, "address")
    try:
        ipaddress.IPv4Address(address)
    except ValueError:
        raise StatusError("address", f"expected an IPv4 address, got {address!r}") from None
    return Registration(name, address, _http_url(obj, "mm7_url"), _http_url(obj, "status_url"))


def parse_settings(body: bytes, content_type: str | None = CONTENT_TYPE) -> SelectionSettings:
    reader = _Reader(Mode.STRICT)
    obj = _object(body, content_type, reader)
    raw = obj.get("criteria")
    if not isinstance(raw, list) or not 1 <= len(raw) <= 3:
        raise StatusError("criteria", "expected a list of one to three criteria")
    try:
        criteria = tuple(Criterion(c) for c in raw)
    except ValueError:
        names = ", ".join(c.value for c in Criterion)
        raise StatusError("criteria", f"each one of {names}") from None
    if len(set(criteria)) != len(criteria):
        raise StatusError("criteria", "a criterion named twice")
    tolerances = obj.get("tolerances", {})
    if not isinstance(tolerances, dict):
        raise StatusError("tolerances", "expected an object")
    out: dict[str, float] = {}
    for key in tolerances:
        if key not in {c.value for c in Criterion}:
            raise StatusError(f"tolerances.{key}", "not a criterion")
        out[key] = float(reader.number(tolerances, key))
    return SelectionSettings(criteria, out)


# --- writing ---------------------------------------------------------------------------


def _dump(obj: dict) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def encode_status(status: GatewayStatus) -> bytes:
    obj: dict[str, Any] = {}
    if status.gateway is not None:
        obj["gateway"] = status.gateway
    obj.update(
        delay_ms=status.delay_ms,
        traffic=status.traffic,
        max_traffic=status.max_traffic,
        throughput=status.throughput,
        max_throughput=status.max_throughput,
        overloaded=status.overloaded,
    )
    if status.accepted is not None:
        obj["accepted"] = status.accepted
    return _dump(obj)


def encode_registration(reg: Registration) -> bytes:
    return _dump(
        {
            "name": reg.name,
            "address": reg.address,
            "mm7_url": reg.mm7_url,
            "status_url": reg.status_url,
        }
    )


def encode_settings(settings: SelectionSettings) -> bytes:
    return _dump(
        {"criteria": [c.value for c in settings.criteria], "tolerances": dict(settings.tolerances)}
    )
