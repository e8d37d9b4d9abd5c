"""HTTP-borne batteries: reading answers off the wire, status checks, and the framing cases.

``http_cases(valid, limits, content_error, ...)`` is the battery every HTTP
endpoint gets: truncated heads and bodies, bodies past ``max_body``
(declared, trickled, chunked, gzip), header floods, slow senders, pipelining,
wrong methods and paths, non-HTTP bytes; plus the protocol's own content
cases. It knows HTTP, not what is carried: the protocol brings the valid
request (``ValidRequest``), what it answers to it (``answer``) and what it
answers to a well-framed body it cannot take (``content_error``).
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import dataclass

from mmsconf.emulators.mm7_http import HttpLimits
from tests.support.hostile.wire import (
    Case,
    Check,
    Observed,
    closes_within,
    either,
    sends,
    slow_sender,
)

# --------------------------------------------------------------------------- answers


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

    def said(data: bytes) -> str | None:
        answers = http_answers(data)
        if data and not answers:
            return f"non-HTTP bytes before the close: {data[:80]!r}"
        if answers and answers[0].status not in answer:
            return f"answered HTTP {answers[0].status} before closing, expected {answer or 'none'}"
        return None

    return closes_within(ms, said)


def only_one(check: Check) -> Check:
    """``check``, and nothing after that first answer."""

    def both(o: Observed) -> str | None:
        answers = http_answers(o.data)
        if len(answers) > 1 or (answers and len(o.data) > answers[0].size):
            return f"more than one answer: {o.data[:200]!r}"
        return check(o)

    return both


# --------------------------------------------------------------------------- requests


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


# --------------------------------------------------------------------------- the battery


def http_cases(
    valid: ValidRequest,
    limits: HttpLimits,
    content_error: Check,
    content_error_expect: str,
    *,
    answer: Check,
    bodies: dict[str, tuple[str, bytes, bool]] | None = None,
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
            sends(full, answered=http_answered, then=garbage),
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
