"""Hostile XML and oversized bodies against the MM7 codec, sans-IO and over a socket.

What the codec does with each, as decided and pinned here:

* Any DTD - external file entity (file:///etc/passwd), network entity
  (http://127.0.0.1:9/x), parameter entities, billion laughs, quadratic
  blowup - is refused with MM7Error("Envelope", 2007) before anything is
  expanded or fetched: a byte scan refuses "<!DOCTYPE" before parsing, and for
  encodings that hide it from the scan (UTF-16 here) libxml2 runs with
  entities unresolved, no DTD loading and no network, and the parsed DTD is
  refused afterwards. Nothing is read or connected to: an OS-level canary (a
  FIFO and a listening socket) and a recorder on Python's socket.connect
  both stay untouched. (The libxml2 in lxml's wheel has no HTTP client at
  all; no_network is what guards builds that do.)
* Quadratic blowup without a DTD cannot be written: an undeclared entity is
  a well-formedness error, 2007.
* 100 000 nested elements: refused (2007) at libxml2's depth limit (256).
* A 10 MiB body: over the default max_body (2 MB) it is refused (2007,
  "body too large") before parsing. With max_body raised to 16 MiB, a 10 MiB
  text element is still refused (2007): libxml2 caps a text node at 10^7
  bytes without huge_tree; a 9.5 MB one, and a 10 MiB base64 attachment in
  multipart/related, are decoded, at a Python-heap peak under 8x the body.

Peak memory is measured with tracemalloc (Python heap), and for the inputs
libxml2 works on also as the rise of the process' peak RSS in a fresh child
(tracemalloc cannot see libxml2's allocations). Figures are printed (pytest
-s) and recorded with record_property, so they land in JUnit XML.

Over a real socket, an MMSG server of the reference farm answers each hostile
POST with a SOAP Fault carrying status 2007 (HTTP 500), or HTTP 413 when the
body is over its size limit, and still accepts a valid SubmitReq afterwards.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from lxml import etree

from mmsconf.emulators.codecs.mm7 import (
    DEFAULT_NAMESPACE,
    SOAP_ENV_NS,
    Address,
    CodecConfig,
    ContentPart,
    Decoded,
    MM7Error,
    Mode,
    SoapFault,
    SubmitReq,
    decode,
    encode,
)
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.profile import load_profile
from mmsconf.fixtures.report_routing import ReportRoutingNet

NS = DEFAULT_NAMESPACE
XML = 'text/xml; charset="utf-8"'
MIB = 1024 * 1024
TEN_MIB = 10 * MIB
BIG_LIMIT = CodecConfig(max_body=16 * MIB)


def envelope(message_id: str = "M1") -> str:
    """A valid DeliveryReportReq envelope (no XML declaration) with MessageID as given."""
    return (
        f'<env:Envelope xmlns:env="{SOAP_ENV_NS}"><env:Header>'
        f'<mm7:TransactionID xmlns:mm7="{NS}" env:mustUnderstand="1">T1</mm7:TransactionID>'
        f'</env:Header><env:Body><DeliveryReportReq xmlns="{NS}"><MM7Version>6.8.0</MM7Version>'
        f"<MessageID>{message_id}</MessageID><Recipient><Number>+1555</Number></Recipient>"
        "<Sender><ShortCode>1065</ShortCode></Sender><Date>2024-05-01T10:00:00Z</Date>"
        "<MMStatus>Retrieved</MMStatus></DeliveryReportReq></env:Body></env:Envelope>"
    )


def with_dtd(internal_subset: str, message_id: str, encoding: str = "utf-8") -> bytes:
    decl = f'<?xml version="1.0" encoding="{encoding.upper()}"?>'
    return (decl + f"<!DOCTYPE env:Envelope [{internal_subset}]>"
            + envelope(message_id)).encode(encoding)


LAUGHS = '<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
    for i in range(1, 10))  # &lol9; is 10^9 "lol"s
QUADRATIC = '<!ENTITY a "' + "x" * 100_000 + '">'  # &a; x 10 000 is 1 GB of text


# --------------------------------------------------------------------------- canaries


class Canary:
    """Tells whether anything was read from a file or connected to, at the OS level.

    libxml2 opens files and sockets itself, below Python, so a monkeypatched
    socket module cannot see it: a FIFO notices a reader (a writer can open it
    without blocking only while someone has it open for reading) and a
    listening socket notices a connection. Both answer at once (EOF, close),
    so a parser that does reach them is not left hanging.
    """

    def __init__(self, folder: Path) -> None:
        self.fifo = folder / "canary.fifo"
        os.mkfifo(self.fifo)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.01)
        self.port = self.listener.getsockname()[1]
        self.file_opened = False
        self.connections = 0
        self._closed: tuple[bool, bool] | None = None
        self._stop = threading.Event()
        self._watchers = [threading.Thread(target=self._watch_fifo, daemon=True),
                          threading.Thread(target=self._watch_port, daemon=True)]
        for watcher in self._watchers:
            watcher.start()

    @property
    def file_url(self) -> str:
        return self.fifo.as_uri()

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/x.dtd"

    def _watch_fifo(self) -> None:
        while not self._stop.is_set():
            try:
                fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as err:
                if err.errno != errno.ENXIO:  # ENXIO: no reader, as it should be
                    raise
                time.sleep(0.001)
                continue
            self.file_opened = True
            os.close(fd)  # the reader gets EOF

    def _watch_port(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> tuple[bool, bool]:
        """(file opened, connection made) over the canary's life; closing twice is fine."""
        if self._closed is None:
            time.sleep(0.02)  # a last look for anything still on its way
            self._stop.set()
            for watcher in self._watchers:
                watcher.join(2)
            self.listener.close()
            self._closed = (self.file_opened, self.connections > 0)
        return self._closed


@pytest.fixture
def canary(tmp_path: Path) -> Iterator[Canary]:
    c = Canary(tmp_path)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def connect_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every outbound connection attempted through Python's socket module."""
    calls: list[Any] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        calls.append(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        calls.append(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return calls


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Cost:
    seconds: float
    py_peak: int  # bytes, tracemalloc

    def line(self, name: str, size: int) -> str:
        return (f"{name}: {size} B in, {self.seconds * 1000:.1f} ms, "
                f"Python heap peak {self.py_peak / 1e6:.2f} MB "
                f"({self.py_peak / max(size, 1):.2f}x)")


def measure(fn: Callable[[], Any]) -> tuple[Any, Cost]:
    """Run fn under tracemalloc; return its result (or the MM7Error it raised) and the cost."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result: Any = fn()
    except MM7Error as err:
        result = err
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, Cost(seconds, peak)


_CHILD = textwrap.dedent("""
    import json, re, sys, time
    from mmsconf.emulators.codecs import mm7
    def hwm():
        with open("/proc/self/status") as f:
            return int(re.search(r"VmHWM:\\s+(\\d+)", f.read()).group(1)) * 1024
    body = sys.stdin.buffer.read()
    args = json.loads(sys.argv[1])
    config = mm7.CodecConfig(max_body=args["max_body"])
    try:
        mm7.decode(b"<x/>", "text/xml")  # warm up: parser set-up is not the input's cost
    except mm7.MM7Error:
        pass
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # peak RSS := current RSS
    before = hwm()
    started = time.perf_counter()
    try:
        mm7.decode(body, args["content_type"], config=config)
        outcome = "decoded"
    except mm7.MM7Error as err:
        outcome = f"{err.element} {err.status}"
    print(json.dumps({"rss_rise": hwm() - before, "seconds": time.perf_counter() - started,
                      "outcome": outcome}))
""")


def rss_rise(body: bytes, content_type: str = XML, max_body: int = 2_000_000) -> dict[str, Any]:
    """Decode in a fresh child; how much its peak RSS rose (libxml2 included)."""
    if not os.access("/proc/self/clear_refs", os.W_OK):
        pytest.skip("no /proc/self/clear_refs to reset the peak RSS")
    args = json.dumps({"content_type": content_type, "max_body": max_body})
    run = subprocess.run([sys.executable, "-c", _CHILD, args], input=body,
                         capture_output=True, timeout=60, check=True)
    return json.loads(run.stdout)


def report(record_property: Callable[[str, object], None], name: str, size: int,
           cost: Cost, rss: dict[str, Any] | None = None) -> None:
    line = cost.line(name, size)
    record_property(f"{name}.seconds", round(cost.seconds, 4))
    record_property(f"{name}.py_peak_bytes", cost.py_peak)
    if rss is not None:
        line += f", peak RSS rise in a child {rss['rss_rise'] / 1e6:.2f} MB"
        record_property(f"{name}.rss_rise_bytes", rss["rss_rise"])
    print(line)


# --------------------------------------------------------------------------- DTD attacks

ENCODINGS = ("utf-8", "utf-16")  # UTF-16 hides "<!DOCTYPE" from the byte scan


def _dtd_cases(canary: Canary) -> dict[str, Callable[[str], bytes]]:
    return {
        "xxe-file-passwd": lambda enc: with_dtd(
            '<!ENTITY x SYSTEM "file:///etc/passwd">', "&x;", enc),
        "xxe-file-canary": lambda enc: with_dtd(
            f'<!ENTITY x SYSTEM "{canary.file_url}">', "&x;", enc),
        "xxe-network-port9": lambda enc: with_dtd(
            '<!ENTITY x SYSTEM "http://127.0.0.1:9/x">', "&x;", enc),
        "xxe-network-canary": lambda enc: with_dtd(
            f'<!ENTITY x SYSTEM "{canary.http_url}">', "&x;", enc),
        "parameter-entity-network": lambda enc: with_dtd(
            f'<!ENTITY % p SYSTEM "{canary.http_url}"> %p;', "M1", enc),
        "parameter-entity-file": lambda enc: with_dtd(
            f'<!ENTITY % p SYSTEM "{canary.file_url}"> %p;', "M1", enc),
        "parameter-entity-internal": lambda enc: with_dtd(
            "<!ENTITY % p \"<!ENTITY y 'z'>\"> %p;", "&y;", enc),
        "external-dtd": lambda enc: (
            f'<?xml version="1.0" encoding="{enc.upper()}"?>'
            f'<!DOCTYPE env:Envelope SYSTEM "{canary.http_url}">{envelope()}').encode(enc),
        "billion-laughs": lambda enc: with_dtd(LAUGHS, "&lol9;", enc),
        "quadratic-blowup": lambda enc: with_dtd(QUADRATIC, "&a;" * 10_000, enc),
    }


DTD_CASES = ("xxe-file-passwd", "xxe-file-canary", "xxe-network-port9", "xxe-network-canary",
             "parameter-entity-network", "parameter-entity-file", "parameter-entity-internal",
             "external-dtd", "billion-laughs", "quadratic-blowup")


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("case", DTD_CASES)
def test_dtd_refused_nothing_fetched(case: str, encoding: str, mode: Mode, canary: Canary,
                                     connect_calls: list[Any]) -> None:
    body = _dtd_cases(canary)[case](encoding)
    config = CodecConfig(mode=mode, max_body=4 * MIB)
    result, cost = measure(lambda: decode(body, XML, soap_action='""', config=config))
    assert isinstance(result, MM7Error), result
    assert (result.element, result.status) == ("Envelope", 2007)
    assert "root:" not in str(result)  # nothing of /etc/passwd leaked into the error
    assert cost.seconds < 1.0
    assert connect_calls == []
    assert canary.close() == (False, False), "a file was opened or a connection made"


def test_canary_sees_what_it_must(canary: Canary) -> None:
    """The canaries are not blind, to Python nor to libxml2 itself."""
    unsafe = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=False)
    doc = f'<!DOCTYPE a [<!ENTITY x SYSTEM "{canary.file_url}">]><a>&x;</a>'.encode()
    etree.fromstring(doc, unsafe)  # libxml2 opens the FIFO with its own fopen
    with socket.create_connection(("127.0.0.1", canary.port)):
        pass
    assert canary.close() == (True, True)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_billion_laughs_is_cheap(encoding: str, record_property: Any) -> None:
    body = with_dtd(LAUGHS, "&lol9;", encoding)
    result, cost = measure(lambda: decode(body, XML))
    assert isinstance(result, MM7Error) and result.status == 2007
    rss = rss_rise(body)
    report(record_property, f"billion-laughs-{encoding}", len(body), cost, rss)
    assert rss["outcome"] == "Envelope 2007"
    assert cost.py_peak < 1_000_000
    assert rss["rss_rise"] < 4_000_000
    assert cost.seconds < 0.5


def test_quadratic_blowup_without_dtd_is_not_well_formed() -> None:
    body = envelope("&a;" * 100_000).encode()
    result, cost = measure(lambda: decode(body, XML))
    assert isinstance(result, MM7Error)
    assert (result.element, result.status) == ("Envelope", 2007)
    assert "not defined" in result.reason
    assert cost.seconds < 1.0


@pytest.mark.parametrize("where", ["Body", "Details"])
def test_deep_nesting_refused(where: str, record_property: Any) -> None:
    deep = "<a>" * 100_000 + "</a>" * 100_000
    if where == "Body":
        body = envelope(deep).encode()
    else:
        body = (f'<env:Envelope xmlns:env="{SOAP_ENV_NS}"><env:Body><DeliveryReportRsp '
                f'xmlns="{NS}"><MM7Version>6.8.0</MM7Version><Status><StatusCode>1000'
                f"</StatusCode><Details>{deep}</Details></Status></DeliveryReportRsp>"
                "</env:Body></env:Envelope>").encode()
    result, cost = measure(lambda: decode(body, XML))
    report(record_property, f"deep-nesting-{where}", len(body), cost)
    assert isinstance(result, MM7Error)
    assert (result.element, result.status) == ("Envelope", 2007)
    assert cost.seconds < 1.0
    assert cost.py_peak < 1_000_000


# --------------------------------------------------------------------------- size


def big_text_submit(size: int) -> bytes:
    message = SubmitReq("T1", vasp_id="sp", to=(Address("+1555"),), subject="x" * size)
    return encode(message).body


def big_attachment_submit(size: int) -> tuple[SubmitReq, bytes, str]:
    data = os.urandom(size)
    message = SubmitReq("T1", vasp_id="sp", to=(Address("+1555"),),
                        parts=(ContentPart("big", "image/jpeg", data),))
    encoded = encode(message)
    return message, encoded.body, encoded.content_type


def test_ten_mib_refused_over_default_max_body(record_property: Any) -> None:
    text = big_text_submit(TEN_MIB)
    _, multipart, content_type = big_attachment_submit(TEN_MIB)
    for name, body, ctype in (("10MiB-text-default-limit", text, XML),
                              ("10MiB-base64-default-limit", multipart, content_type)):
        result, cost = measure(lambda b=body, c=ctype: decode(b, c))
        report(record_property, name, len(body), cost)
        assert isinstance(result, MM7Error)
        assert (result.element, result.reason, result.status) == (
            "Envelope", "body too large", 2007)
        assert cost.py_peak < 100_000  # refused before any copy
        assert cost.seconds < 0.1


def test_ten_mib_text_refused_by_libxml2_text_limit(record_property: Any) -> None:
    body = big_text_submit(TEN_MIB)
    result, cost = measure(lambda: decode(body, XML, config=BIG_LIMIT))
    rss = rss_rise(body, max_body=BIG_LIMIT.max_body)
    report(record_property, "10MiB-text-16MiB-limit", len(body), cost, rss)
    assert isinstance(result, MM7Error)
    assert (result.element, result.status) == ("Envelope", 2007)
    assert "too long" in result.reason  # libxml2: a text node is at most 10^7 bytes
    assert cost.py_peak < 8 * len(body)
    assert rss["rss_rise"] < 8 * len(body)
    assert cost.seconds < 2.0


def test_large_text_under_libxml2_limit_decoded(record_property: Any) -> None:
    size = 9_500_000
    body = big_text_submit(size)
    result, cost = measure(lambda: decode(body, XML, config=BIG_LIMIT))
    rss = rss_rise(body, max_body=BIG_LIMIT.max_body)
    report(record_property, "9.5MB-text-16MiB-limit", len(body), cost, rss)
    assert isinstance(result, Decoded), result
    assert isinstance(result.message, SubmitReq) and result.message.subject == "x" * size
    assert cost.py_peak < 8 * len(body)
    assert rss["rss_rise"] < 8 * len(body)
    assert cost.seconds < 2.0


def test_ten_mib_attachment_decoded_within_raised_limit(record_property: Any) -> None:
    message, body, content_type = big_attachment_submit(TEN_MIB)
    result, cost = measure(lambda: decode(body, content_type, config=BIG_LIMIT))
    rss = rss_rise(body, content_type, max_body=BIG_LIMIT.max_body)
    report(record_property, "10MiB-base64-16MiB-limit", len(body), cost, rss)
    assert isinstance(result, Decoded), result
    assert isinstance(result.message, SubmitReq)
    assert result.message.parts == message.parts
    assert cost.py_peak < 8 * len(body)
    assert rss["rss_rise"] < 8 * len(body)
    assert cost.seconds < 2.0


def test_crafted_details_do_not_crash_the_process() -> None:
    """A comment or PI straight under Details made libxml2's C14N segfault the process."""
    rsp = (f'<env:Envelope xmlns:env="{SOAP_ENV_NS}"><env:Body><DeliveryReportRsp xmlns="{NS}">'
           "<MM7Version>6.8.0</MM7Version><Status><StatusCode>1000</StatusCode>"
           "<Details>a<!--c-->b<?pi x?>c<e>d</e></Details></Status></DeliveryReportRsp>"
           "</env:Body></env:Envelope>")
    code = textwrap.dedent("""
        import sys
        from mmsconf.emulators.codecs import mm7
        config = mm7.CodecConfig(mode=mm7.Mode.LENIENT)  # no TransactionID header
        decoded = mm7.decode(sys.stdin.buffer.read(), "text/xml", config=config)
        print(decoded.message.status.details)
    """)
    run = subprocess.run([sys.executable, "-c", code], input=rsp.encode(),
                         capture_output=True, timeout=60)
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout.decode().strip() == f'abc<e xmlns="{NS}">d</e>'


# --------------------------------------------------------------------------- over a socket

FAST_PIXIT = {"report_expiry_ms": 300, "report_retry_initial_ms": 10,
              "report_retry_max_ms": 50, "report_timeout_ms": 2000, "settle_ms": 50}
RECIPIENT = "+8613800000001"


def _hostile_bodies(canary: Canary) -> list[tuple[str, bytes, str]]:
    cases = _dtd_cases(canary)
    out: list[tuple[str, bytes, str]] = []
    for name in DTD_CASES:
        out += [(f"{name}-{enc}", cases[name](enc), XML) for enc in ENCODINGS]
    out.append(("quadratic-no-dtd", envelope("&a;" * 100_000).encode(), XML))
    out.append(("deep-nesting", envelope("<a>" * 100_000 + "</a>" * 100_000).encode(), XML))
    out.append(("10MiB-text", big_text_submit(TEN_MIB), XML))
    _, multipart, content_type = big_attachment_submit(TEN_MIB)
    out.append(("10MiB-base64", multipart, content_type))
    return out


def test_mmsg_over_socket_faults_2007_and_keeps_serving(canary: Canary,
                                                        record_property: Any) -> None:
    hostile = _hostile_bodies(canary)

    async def scenario() -> tuple[dict[str, tuple[int, int | None]], Any]:
        profile = load_profile().report_routing
        profile.pixit.update(FAST_PIXIT)
        net = ReportRoutingNet(profile, TraceRecorder(), 7)
        for mmsc in net.mmscs.values():
            mmsc.hold_reports = True
        await net.start()
        try:
            assert net.farm is not None
            server = net.farm.servers[min(net.farm.servers)]
            answers: dict[str, tuple[int, int | None]] = {}
            async with aiohttp.ClientSession() as session:
                for name, body, content_type in hostile:
                    headers = {"Content-Type": content_type, "SOAPAction": '""'}
                    async with session.post(server.submit_url, data=body,
                                            headers=headers) as resp:
                        answer = await resp.read()
                        answers[name] = (resp.status, _fault_status(resp.status, answer))
            submission = await net.sp.submit([RECIPIENT], target=server.submit_url)
            return answers, submission.outcome
        finally:
            await net.stop()

    started = time.perf_counter()
    answers, outcome = asyncio.run(scenario())
    record_property("socket.seconds", round(time.perf_counter() - started, 3))
    for name, body, _ in hostile:
        status, fault = answers[name]
        print(f"over the socket, {name} ({len(body)} B): HTTP {status}, MM7 status {fault}")
        if name.startswith("10MiB"):
            assert status == 413, (name, status)
        else:
            assert (status, fault) == (500, 2007), name
    assert outcome is not None and outcome.ok, outcome
    assert canary.close() == (False, False)


def _fault_status(http_status: int, body: bytes) -> int | None:
    """The MM7 status in a SOAP Fault answer, None for anything else."""
    if not body.lstrip().startswith(b"<"):
        return None
    message = decode(body, XML, config=CodecConfig(mode=Mode.LENIENT)).message
    assert isinstance(message, SoapFault), (http_status, body[:200])
    return None if message.detail is None else message.detail.status.code

