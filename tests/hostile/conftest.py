"""Hostile inputs over real sockets: the cases, the runner that plays them, the checks.

A battery is data: each ``Case`` says what to send (bytes, or a sender
coroutine for pacing and half-closes) and what the server must do about it
(``check``: an HTTP status, a protocol answer, a close within a bound). The
runner plays each case on a fresh connection, then has the target prove it
still works (``Target.probe``: a valid exchange that must succeed).

Nothing here knows MM7 except the last section. Another emulator plugs in
with a ``Target`` (address, transport, probe) and its cases: HTTP-borne ones
(PAP) reuse ``http_cases`` with their own valid request and content check;
SMTP, DNS and SIP bring their own bytes and reuse the runner and ``Observed``.

Test files are imported with --import-mode=importlib and cannot import this
file: the ``hostile`` fixture hands out the ``Hostile`` namespace below.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import Credentials, HttpLimits
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.profile import ReportRoutingProfile, load_profile
from mmsconf.fixtures.report_routing import ReportRoutingNet

# --------------------------------------------------------------------------- the runner


class Wire(asyncio.Protocol):
    """One client connection: what came back, whether and when the server hung up."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.data = bytearray()
        self.closed = False
        self.reset = False
        self.closed_at: float | None = None
        self._changed = asyncio.Event()
        self._writable: asyncio.Future[None] | None = None

    # asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.data += data
        self._kick()

    def eof_received(self) -> bool:
        self._ended(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._ended(exc)

    def pause_writing(self) -> None:
        self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._writable = None

    def _ended(self, exc: BaseException | None) -> None:
        if not self.closed:
            self.closed = True
            self.closed_at = asyncio.get_running_loop().time()
        self.reset = self.reset or isinstance(exc, ConnectionResetError)
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._kick()

    def _kick(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # what senders use
    async def send(self, chunk: bytes) -> bool:
        """Write ``chunk`` and wait until the kernel took it; False once the server is gone."""
        if self.closed or self.transport is None or self.transport.is_closing():
            return False
        self.transport.write(chunk)
        if self._writable is not None:
            await self._writable
        return not self.closed

    def end(self) -> None:
        """Half-close: no more bytes from us (FIN), the server may still answer."""
        if self.transport is not None and not self.closed and self.transport.can_write_eof():
            self.transport.write_eof()

    async def wait(self, predicate: Callable[[], bool], timeout_ms: int) -> bool:
        """Until ``predicate()`` or the server hung up; False when ``timeout_ms`` ran out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_ms / 1000
        while not (predicate() or self.closed):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return False
        return True


Sender = Callable[[Wire], Awaitable[None]]
Check = Callable[["Observed"], "str | None"]  # None when the answer is right, else what is wrong


@dataclass
class Observed:
    """What one case got back."""

    data: bytes
    closed: bool  # the server ended the connection before we stopped listening
    reset: bool
    elapsed_ms: float  # from connecting to the server's close, or to when we stopped
    datagrams: list[bytes] = field(default_factory=list)  # UDP: each answer on its own


@dataclass(frozen=True)
class Case:
    """One hostile input and the outcome class the protocol prescribes for it."""

    name: str
    send: bytes | Sender | Sequence[bytes]  # Sequence: UDP datagrams
    check: Check
    expect: str  # the outcome class in words, for the printed table
    until_close: bool = False  # listen until the server hangs up (else until an answer)
    half_close: bool = False  # send FIN after the bytes
    listen_ms: int = 5000  # upper bound on listening; ends sooner on an answer or a close


@dataclass
class Target:
    """An emulator endpoint a battery is played against."""

    name: str
    host: str
    port: int
    probe: Callable[[], Awaitable[None]]  # a valid exchange; raises when it fails
    transport: str = "tcp"  # "tcp" | "udp"
    local_host: str | None = None  # connect from this address
    answered: Callable[[bytes], bool] = lambda data: bool(data)  # one whole answer is in
    # Requests of the battery the emulator took on (its own count), and how many success
    # answers an observation holds: the two must match after every case, so nothing is
    # taken on without the sender being told, nor reported taken that was not.
    accepted: Callable[[], int] | None = None
    successes: Callable[[Observed], int] = lambda o: 0


@dataclass
class Played:
    case: Case
    observed: Observed
    problem: str | None  # the check's complaint, or the probe's failure after it


@dataclass
class BatteryResult:
    target: str
    played: list[Played]

    @property
    def tried(self) -> int:
        return len(self.played)

    @property
    def failures(self) -> list[Played]:
        return [p for p in self.played if p.problem is not None]

    def table(self, describe: Callable[[Observed], str]) -> str:
        lines = [f"{self.target}: {self.tried} hostile inputs"]
        for p in self.played:
            verdict = "ok " if p.problem is None else "BAD"
            got = describe(p.observed)
            lines.append(f"  {verdict} {p.case.name:28} expect {p.case.expect:34} got {got}")
            if p.problem is not None:
                lines.append(f"      {p.problem}")
        return "\n".join(lines)


async def exchange(target: Target, case: Case) -> Observed:
    """Play ``case`` on a fresh connection (or socket) to ``target``."""
    if target.transport == "udp":
        return await _exchange_udp(target, case)
    loop = asyncio.get_running_loop()
    local = (target.local_host, 0) if target.local_host else None
    started = loop.time()
    _, wire = await asyncio.wait_for(
        loop.create_connection(Wire, target.host, target.port, local_addr=local), 5
    )
    try:
        if callable(case.send):
            await case.send(wire)
        elif isinstance(case.send, bytes | bytearray):
            await wire.send(bytes(case.send))
        else:
            raise TypeError(f"{case.name}: a TCP case sends bytes or a sender")
        if case.half_close:
            wire.end()
        if case.until_close:
            await wire.wait(lambda: False, case.listen_ms)
        else:
            await wire.wait(lambda: target.answered(bytes(wire.data)), case.listen_ms)
        end = wire.closed_at if wire.closed_at is not None else loop.time()
        return Observed(bytes(wire.data), wire.closed, wire.reset, (end - started) * 1000)
    finally:
        if wire.transport is not None:
            wire.transport.abort()


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.changed = asyncio.Event()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.received.append(data)
        self.changed.set()


async def _exchange_udp(target: Target, case: Case) -> Observed:
    loop = asyncio.get_running_loop()
    local = (target.local_host, 0) if target.local_host else None
    transport, proto = await loop.create_datagram_endpoint(
        _Datagrams, remote_addr=(target.host, target.port), local_addr=local
    )
    started = loop.time()
    try:
        grams = [case.send] if isinstance(case.send, bytes | bytearray) else case.send
        if callable(grams):
            raise TypeError(f"{case.name}: a UDP case sends datagrams")
        for gram in grams:
            transport.sendto(bytes(gram))
        deadline = started + case.listen_ms / 1000
        while not (proto.received and target.answered(b"".join(proto.received))):
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            proto.changed.clear()
            try:
                await asyncio.wait_for(proto.changed.wait(), remaining)
            except TimeoutError:
                break
        data = b"".join(proto.received)
        return Observed(data, False, False, (loop.time() - started) * 1000, list(proto.received))
    finally:
        transport.close()


async def run_battery(target: Target, cases: Sequence[Case]) -> BatteryResult:
    """Each case on its own connection, each followed by the target's probe."""
    played: list[Played] = []
    for case in cases:
        before = target.accepted() if target.accepted is not None else 0
        observed = await exchange(target, case)
        problem = case.check(observed)
        if target.accepted is not None:
            took, told = target.accepted() - before, target.successes(observed)
            if took != told:
                problem = (
                    f"{problem + '; ' if problem else ''}the emulator took on {took} "
                    f"request(s) and answered success to {told}"
                )
        try:
            await target.probe()
        except Exception as err:  # the probe's failure is this case's failure
            problem = f"{problem + '; ' if problem else ''}valid request afterwards failed: {err!r}"
        played.append(Played(case, observed, problem))
    return BatteryResult(target.name, played)


# --------------------------------------------------------------------------- HTTP


@dataclass
class HttpAnswer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    size: int  # bytes on the wire, head and body


def http_answers(data: bytes) -> list[HttpAnswer]:
    """The complete HTTP responses at the start of ``data``."""
    answers: list[HttpAnswer] = []
    rest = data
    while rest:
        before = len(rest)
        head, sep, after = rest.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            break
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            size = int(headers["content-length"])
            if len(after) < size:
                break
            body, rest = after[:size], after[size:]
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body, rest, done = _dechunk(after)
            if not done:
                break
        else:
            body, rest = after, b""  # delimited by the close
        answers.append(HttpAnswer(int(parts[1]), headers, body, before - len(rest)))
    return answers


def _dechunk(data: bytes) -> tuple[bytes, bytes, bool]:
    body = bytearray()
    while True:
        line, sep, data = data.partition(b"\r\n")
        if not sep:
            return bytes(body), b"", False
        size = int(line.split(b";")[0] or b"0", 16)
        if size == 0:
            _, sep, data = data.partition(b"\r\n")
            return bytes(body), data, bool(sep)
        if len(data) < size + 2:
            return bytes(body), b"", False
        body += data[:size]
        data = data[size + 2 :]


def http_answered(data: bytes) -> bool:
    return bool(http_answers(data))


def describe_http(o: Observed) -> str:
    answers = http_answers(o.data)
    said = ", ".join(str(a.status) for a in answers)
    if not said:
        line = o.data.split(b"\r\n", 1)[0]
        said = "nothing" if not o.data else line.decode("latin-1")[:40]
    end = ("reset" if o.reset else "closed") if o.closed else "open"
    return f"{said}; {end} after {o.elapsed_ms:.0f} ms"


def http_status(*codes: int, closes: bool = False) -> Check:
    """The first answer has one of ``codes``; with ``closes``, the server then hangs up."""

    def check(o: Observed) -> str | None:
        answers = http_answers(o.data)
        if not answers:
            return f"no HTTP answer (got {o.data[:80]!r}, closed={o.closed})"
        if answers[0].status not in codes:
            return f"HTTP {answers[0].status}, expected one of {codes}"
        if closes and not o.closed:
            return f"HTTP {answers[0].status} but the connection stayed open"
        return None

    return check


def closed_within(ms: int, *, answer: Sequence[int] = ()) -> Check:
    """The server hangs up within ``ms``, saying nothing or one of the ``answer`` statuses."""

    def check(o: Observed) -> str | None:
        if not o.closed:
            return f"still open after {o.elapsed_ms:.0f} ms"
        if o.elapsed_ms > ms:
            return f"closed after {o.elapsed_ms:.0f} ms, bound {ms} ms"
        answers = http_answers(o.data)
        if o.data and not answers:
            return f"non-HTTP bytes before the close: {o.data[:80]!r}"
        if answers and answers[0].status not in answer:
            return f"answered HTTP {answers[0].status} before closing, expected {answer or 'none'}"
        return None

    return check


def only_one(check: Check) -> Check:
    """``check``, and nothing after that first answer."""

    def both(o: Observed) -> str | None:
        answers = http_answers(o.data)
        if len(answers) > 1 or (answers and len(o.data) > answers[0].size):
            return f"more than one answer: {o.data[:200]!r}"
        return check(o)

    return both


def either(*checks: Check) -> Check:
    def check(o: Observed) -> str | None:
        problems = [c(o) for c in checks]
        return None if any(p is None for p in problems) else " / ".join(map(str, problems))

    return check


def http_request(
    method: str,
    path: str,
    headers: Sequence[tuple[str, str]],
    body: bytes = b"",
    *,
    length: bool = True,
) -> bytes:
    """An HTTP/1.1 request as bytes (Host first; Content-Length last unless ``length`` is off)."""
    all_headers = [("Host", "mmsconf.test"), *headers]
    if length:
        all_headers.append(("Content-Length", str(len(body))))
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in all_headers)
    return head.encode("latin-1") + b"\r\n" + body


@dataclass(frozen=True)
class ValidRequest:
    """A request the endpoint accepts, as the pieces the cases take apart."""

    path: str
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()  # besides Host, Content-Type, Content-Length

    def head_fields(self, content_type: str | None = None) -> list[tuple[str, str]]:
        return [("Content-Type", content_type or self.content_type), *self.headers]

    def raw(self, body: bytes | None = None, content_type: str | None = None) -> bytes:
        body = self.body if body is None else body
        return http_request("POST", self.path, self.head_fields(content_type), body)


def slow_sender(data: bytes, *, every_ms: int = 100, for_ms: int = 1500) -> Sender:
    """One byte every ``every_ms`` for at most ``for_ms``: the pacing is the fault."""

    async def send(wire: Wire) -> None:
        for i in range(min(len(data), for_ms // every_ms)):
            if not await wire.send(data[i : i + 1]):
                return
            await asyncio.sleep(every_ms / 1000)  # the fault *is* the delay

    return send


def sends(
    *chunks: bytes, wait_answer: bool = False, then: bytes = b"", then_trickle: bytes = b""
) -> Sender:
    """``chunks`` in turn; with ``wait_answer``, then wait for an HTTP answer and send
    ``then``; ``then_trickle``: then one byte of it every 100 ms (the pacing is the fault).
    """

    async def send(wire: Wire) -> None:
        for chunk in chunks:
            if not await wire.send(chunk):
                return
        if wait_answer and await wire.wait(lambda: http_answered(bytes(wire.data)), 5000):
            await wire.send(then)
        for i in range(len(then_trickle)):
            if not await wire.send(then_trickle[i : i + 1]):
                return
            await asyncio.sleep(0.1)

    return send


def http_cases(
    valid: ValidRequest,
    limits: HttpLimits,
    content_error: Check,
    content_error_expect: str,
    *,
    answer: Check,
    bodies: dict[str, tuple[str, bytes]] | None = None,
) -> list[Case]:
    """The HTTP-borne battery: framing and limits, plus the content cases.

    ``content_error``: what the protocol answers to a well-framed request
    whose body it cannot take (MM7: a SOAP Fault over HTTP 500). ``answer``:
    what it answers to ``valid`` (for the pipelined case). ``bodies``: the
    content cases, name -> (content type, body, may pass): one that may pass
    (odd but decodable) is checked by ``answer``, the others by ``content_error``.
    """
    head_s, body_s = limits.header_timeout_ms, limits.body_timeout_ms
    slack = 3000  # generous: the box is shared; the bound is the limit plus this
    path = valid.path
    full = valid.raw()
    garbage = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n"
    head_only = full[: full.index(b"\r\n\r\n") + 4]
    big = limits.max_body + 65_536
    chunk = b"x" * 65_536
    chunked_big = b"".join(b"10000\r\n" + chunk + b"\r\n" for _ in range(big // len(chunk)))
    chunked_head = http_request(
        "POST", path, [*valid.head_fields(), ("Transfer-Encoding", "chunked")], length=False
    )
    cases = [
        Case(
            "truncated head, held open",
            head_only[: len(head_only) // 2],
            closed_within(head_s + slack, answer=(408,)),
            f"408 + close <= {head_s} ms",
            until_close=True,
        ),
        Case(
            "truncated head, then FIN",
            head_only[: len(head_only) // 2],
            closed_within(head_s + slack, answer=(400, 408)),
            "close (400/408 allowed)",
            until_close=True,
            half_close=True,
        ),
        Case(
            "truncated body, held open",
            full[:-20],
            http_status(408, closes=True),
            f"408 + close <= {body_s} ms",
            until_close=True,
        ),
        Case(
            "truncated body, then FIN",
            full[:-20],
            either(http_status(400, closes=True), closed_within(body_s + slack)),
            "400 + close, or close",
            until_close=True,
            half_close=True,
        ),
        Case(
            "Content-Length > max_body",
            sends(
                http_request(
                    "POST",
                    path,
                    [*valid.head_fields(), ("Content-Length", str(big))],
                    length=False,
                ),
                b"x" * big,
            ),
            http_status(413, closes=True),
            "413 + close",
            until_close=True,
        ),
        Case(
            "Content-Length > max_body, trickled",
            sends(
                http_request(
                    "POST",
                    path,
                    [*valid.head_fields(), ("Content-Length", str(big))],
                    length=False,
                ),
                then_trickle=b"x" * 16,
            ),
            only_one(http_status(413, closes=True)),
            "413 + close, nothing more",
            until_close=True,
        ),
        Case(
            "chunked body > max_body",
            sends(chunked_head, chunked_big, b"0\r\n\r\n"),
            http_status(413, closes=True),
            "413 + close",
            until_close=True,
        ),
        Case(
            "chunked garbage",
            chunked_head + b"zz\r\nnot a chunk\r\n\r\n",
            http_status(400, closes=True),
            "400 + close",
            until_close=True,
        ),
        Case(
            "Content-Length and chunked",
            http_request(
                "POST",
                path,
                [*valid.head_fields(), ("Transfer-Encoding", "chunked"), ("Content-Length", "5")],
                length=False,
            )
            + b"0\r\n\r\n",
            http_status(400, closes=True),
            "400 + close",
            until_close=True,
        ),
        Case(
            "Content-Length not a number",
            http_request(
                "POST", path, [*valid.head_fields(), ("Content-Length", "-1")], length=False
            ),
            http_status(400, closes=True),
            "400 + close",
            until_close=True,
        ),
        Case(
            "gzip that is not gzip",
            valid.raw(body=b"\x1f\x8b\x08\x00garbage" + valid.body[:64]).replace(
                b"\r\n\r\n", b"\r\nContent-Encoding: gzip\r\n\r\n", 1
            ),
            either(http_status(400, closes=True), content_error),
            "400 + close, or " + content_error_expect,
        ),
        Case(
            "gzip bomb past max_body",
            valid.raw(body=gzip.compress(b"\0" * (limits.max_body + 1_000_000))).replace(
                b"\r\n\r\n", b"\r\nContent-Encoding: gzip\r\n\r\n", 1
            ),
            http_status(413, 400, closes=True),
            "413 (or 400) + close",
            until_close=True,
        ),
        Case(
            "1000 header fields",
            http_request(
                "POST",
                path,
                [*valid.head_fields(), *((f"X-Flood-{i}", "v") for i in range(1000))],
                valid.body,
            ),
            http_status(400, 431, closes=True),
            "400 + close",
            until_close=True,
        ),
        Case(
            "100 KB header field",
            http_request("POST", path, [*valid.head_fields(), ("X-Big", "b" * 100_000)]),
            http_status(400, 431, closes=True),
            "400 + close",
            until_close=True,
        ),
        Case(
            "100 KB request target",
            http_request("POST", path + "?" + "q" * 100_000, valid.head_fields(), valid.body),
            http_status(400, 414, closes=True),
            "400 + close",
            until_close=True,
        ),
        Case(
            "NUL in a header value",
            http_request("POST", path, [*valid.head_fields(), ("X-Nul", "a\0b")], valid.body),
            http_status(400, closes=True),
            "400 + close",
            until_close=True,
        ),
        Case(
            "slow sender (1 B / 100 ms)",
            slow_sender(full),
            closed_within(head_s + slack, answer=(408,)),
            f"408 + close <= {head_s} ms",
            until_close=True,
        ),
        Case(
            "connected, never sends",
            b"",
            closed_within(head_s + slack),
            f"close <= {head_s} ms, no answer",
            until_close=True,
        ),
        Case(
            "garbage after the answer",
            sends(full, wait_answer=True, then=garbage),
            _pipelined(answer),
            "answer, then 400 + close",
            until_close=True,
        ),
        Case(
            "valid + garbage, one segment",
            full + garbage,
            either(_pipelined(answer), http_status(400, closes=True)),
            "answer + 400 + close, or 400 + close",
            until_close=True,
        ),
        Case(
            "HTTP/0.9 request",
            f"GET {path}\r\n".encode(),
            either(http_status(400, closes=True), closed_within(head_s + slack, answer=(408,))),
            "400 + close, or 408 at head timeout",
            until_close=True,
        ),
        Case(
            "HTTP/2 preface",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes.fromhex("000000040000000000"),
            http_status(400, 505, closes=True),
            "400/505 + close",
            until_close=True,
        ),
        Case(
            "TLS ClientHello",
            bytes.fromhex("16030100a5010000a10303") + bytes(32) + b"\x00\x00\x02\x13\x01",
            http_status(400, closes=True),
            "400 + close",
            until_close=True,
        ),
        Case(
            "unknown path",
            http_request("POST", path + "/nope", valid.head_fields(), valid.body),
            http_status(404),
            "404",
        ),
    ]
    for method in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "BREW"):
        # Connection: close, as a HEAD answer declares a length it does not send.
        # BREW is no HTTP method: the parser refuses it before routing.
        code = 400 if method == "BREW" else 405
        cases.append(
            Case(
                f"{method} {path}",
                http_request(method, path, [("Accept", "*/*"), ("Connection", "close")]),
                _status_line(code),
                str(code),
                until_close=True,
            )
        )
    for name, (ctype, body, may_pass) in (bodies or {}).items():
        check, expect = (
            (answer, "any MM7 answer") if may_pass else (content_error, content_error_expect)
        )
        cases.append(Case(name, valid.raw(body, ctype), check, expect))
    return cases


def _status_line(code: int) -> Check:
    """The status line says ``code`` (for answers whose body is not sent, e.g. to HEAD)."""

    def check(o: Observed) -> str | None:
        status = o.data.split(b" ", 2)[1:2]
        if not o.data.startswith(b"HTTP/1.") or status != [str(code).encode()]:
            return f"expected {code}, got {o.data[:60]!r}"
        return None

    return check


def _pipelined(answer: Check) -> Check:
    def check(o: Observed) -> str | None:
        answers = http_answers(o.data)
        if len(answers) < 2:
            return f"expected two answers, got {[a.status for a in answers]}"
        first = Observed(o.data[: answers[0].size], True, False, o.elapsed_ms)
        problem = answer(first)
        if problem:
            return f"the valid request: {problem}"
        if answers[1].status != 400 or not o.closed:
            return f"then HTTP {answers[1].status}, closed={o.closed}; expected 400 + close"
        return None

    return check


# --------------------------------------------------------------------------- MM7 over HTTP


#: Answers are read the way the emulators' peers read them: leniently. (The fault an
#: endpoint answers to a body without a TransactionID carries an empty one.)
LENIENT = mm7.CodecConfig(mode=mm7.Mode.LENIENT)


def _mm7_of(a: HttpAnswer) -> tuple[int | None, str | None]:
    """(MM7 status, None) of an answer, or (None, why it is not MM7)."""
    try:
        decoded = mm7.decode(a.body, a.headers.get("content-type", ""), config=LENIENT)
    except mm7.MM7Error as err:
        return None, f"HTTP {a.status} with a body that is not MM7: {err}"
    return mm7.status_of(decoded.message), None


def mm7_answer(*statuses: int) -> Check:
    """An MM7 Fault whose status is one of ``statuses``, over HTTP 500."""

    def check(o: Observed) -> str | None:
        answers = http_answers(o.data)
        if not answers:
            return f"no HTTP answer (closed={o.closed}, got {o.data[:80]!r})"
        status, problem = _mm7_of(answers[0])
        if problem:
            return problem
        if answers[0].status != 500 or status not in statuses:
            return (
                f"HTTP {answers[0].status} MM7 {status}, expected HTTP 500 with one of {statuses}"
            )
        return None

    return check


def any_mm7_answer(o: Observed) -> str | None:
    """Any MM7 response or Fault, its HTTP status matching (200 for 1xxx, else an error)."""
    answers = http_answers(o.data)
    if not answers:
        return f"no HTTP answer (closed={o.closed}, got {o.data[:80]!r})"
    status, problem = _mm7_of(answers[0])
    if problem:
        return problem
    if status is None or (answers[0].status == 200) != (status // 1000 == 1):
        return f"HTTP {answers[0].status} with MM7 status {status}"
    return None


def mm7_successes(o: Observed) -> int:
    """Answers in ``o`` that tell the sender its MM7 request was taken."""
    return sum(1 for a in http_answers(o.data) if a.status == 200 and _mm7_of(a)[0] == 1000)


def describe_mm7(o: Observed) -> str:
    base = describe_http(o)
    statuses = [_mm7_of(a)[0] for a in http_answers(o.data) if a.body.lstrip().startswith(b"<")]
    return f"MM7 {'/'.join(map(str, statuses))} ({base})" if statuses else base


#: What every MM7 endpoint answers to a body it cannot take: Message format corrupt,
#: or, when the envelope parsed, a validation / unsupported-operation / version error.
MM7_CONTENT_FAULTS = (2007, 4002, 4003, 4004)


def valid_mm7(
    path: str, message: mm7.MM7Message, credentials: Credentials | None = None
) -> ValidRequest:
    encoded = mm7.encode(message, parts=getattr(message, "parts", ()))
    headers = [("SOAPAction", encoded.soap_action)]
    if credentials is not None:
        headers.append(("Authorization", credentials.header()))
    return ValidRequest(path, encoded.body, encoded.content_type, tuple(headers))


def mm7_bodies(valid: ValidRequest) -> dict[str, tuple[str, bytes, bool]]:
    """Content cases: right framing, wrong body. The valid body carries 'é' in a text field.

    Each is (content type, body, may pass): the lenient codec reads a few odd
    but unambiguous bodies (no Content-Type, UTF-16 declared in the XML, a
    Latin-1 declaration over UTF-8 bytes) and notes a deviation.
    """
    text = valid.body.decode("utf-8")
    assert "é" in text, "the valid MM7 body must carry a non-ASCII character"
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>'), "a bare SOAP envelope"
    xml_ct = "text/xml; charset=utf-8"
    latin1_declared = text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"', 1)
    return {
        "Content-Type text/plain": ("text/plain", valid.body, False),
        "Content-Type application/json": ("application/json", valid.body, False),
        "Content-Type image/gif": ("image/gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", False),
        "no Content-Type": ("", valid.body, True),
        "empty body": (xml_ct, b"", False),
        "body not XML": (xml_ct, b"hello, this is not XML at all\r\n", False),
        "XML, not SOAP": (xml_ct, b'<?xml version="1.0"?><note><to>mm7</to></note>', False),
        "SOAP, empty Body": (
            xml_ct,
            b'<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">'
            b"<env:Body/></env:Envelope>",
            False,
        ),
        "invalid UTF-8": (xml_ct, valid.body.replace("é".encode(), b"\xff\xfe\xc3("), False),
        "UTF-16 without BOM": (
            "text/xml; charset=utf-16",
            text.replace('encoding="UTF-8"', 'encoding="UTF-16"', 1).encode("utf-16-le"),
            True,
        ),
        "charset lie: UTF-8 said, Latin-1 sent": (xml_ct, text.encode("latin-1"), False),
        "charset lie: Latin-1 said, UTF-8 sent": (xml_ct, latin1_declared.encode(), True),
        "DTD / entity expansion": (
            xml_ct,
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>',
            False,
        ),
    }


# --------------------------------------------------------------------------- the network

#: Limits the hostile tests run with: short timers so timeouts are seen quickly.
TEST_LIMITS = HttpLimits(header_timeout_ms=500, body_timeout_ms=800)

#: Report-routing timers (ms) for the hostile tests.
PIXIT: dict[str, int] = {
    "report_expiry_ms": 5000,
    "report_retry_initial_ms": 10,
    "report_retry_max_ms": 100,
    "report_timeout_ms": 5000,
    "settle_ms": 50,
}

#: How long a probe waits for what must happen (ms): generous, normally never reached.
WAIT_MS = 10_000


def make_profile(**pixit: Any) -> ReportRoutingProfile:
    rr = load_profile().report_routing
    rr.pixit.update(PIXIT)
    rr.pixit.update(pixit)
    return rr


def endpoints_of(net: ReportRoutingNet) -> list[Any]:
    """Every MM7Endpoint the embedded network listens with."""
    services: list[Any] = [net.sp, *net.mmscs.values()]
    if net.farm is not None:
        services += list(net.farm.servers.values())
    return [s.endpoint for s in services]


@asynccontextmanager
async def hostile_net(
    limits: HttpLimits = TEST_LIMITS, seed: int = 11, **pixit: Any
) -> AsyncIterator[ReportRoutingNet]:
    """A started embedded network whose endpoints take ``limits`` from now on."""
    net = ReportRoutingNet(make_profile(**pixit), TraceRecorder(), seed)
    await net.start()
    for endpoint in endpoints_of(net):
        endpoint.limits = limits
    try:
        yield net
    finally:
        await net.stop()


class Hostile:
    """Everything the hostile tests use, handed out by the ``hostile`` fixture."""

    Case = Case
    Target = Target
    Observed = Observed
    Wire = Wire
    ValidRequest = ValidRequest
    run = staticmethod(run_battery)
    exchange = staticmethod(exchange)
    http_cases = staticmethod(http_cases)
    http_answers = staticmethod(http_answers)
    http_answered = staticmethod(http_answered)
    http_status = staticmethod(http_status)
    http_request = staticmethod(http_request)
    closed_within = staticmethod(closed_within)
    either = staticmethod(either)
    only_one = staticmethod(only_one)
    sends = staticmethod(sends)
    slow_sender = staticmethod(slow_sender)
    describe_http = staticmethod(describe_http)
    mm7_answer = staticmethod(mm7_answer)
    mm7_successes = staticmethod(mm7_successes)
    any_mm7_answer = staticmethod(any_mm7_answer)
    describe_mm7 = staticmethod(describe_mm7)
    valid_mm7 = staticmethod(valid_mm7)
    mm7_bodies = staticmethod(mm7_bodies)
    MM7_CONTENT_FAULTS = MM7_CONTENT_FAULTS
    TEST_LIMITS = TEST_LIMITS
    WAIT_MS = WAIT_MS
    net = staticmethod(hostile_net)
    endpoints_of = staticmethod(endpoints_of)


@pytest.fixture
def hostile() -> type[Hostile]:
    return Hostile
