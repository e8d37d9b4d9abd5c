r"""Hostile inputs over real sockets: cases, the runner that plays them, the checks.

A battery is data: each ``Case`` says what to send (bytes; a ``Sender``
coroutine for pacing and half-closes; a list of datagrams over UDP) and what
the server must do about it (``check``: a protocol answer, a close within a
bound). ``run_battery`` plays each case on a fresh connection, then has the
target prove it still works (``Target.probe``: a valid exchange that must
succeed), and returns a ``BatteryResult`` whose ``table()`` prints each case.

Modules:

* ``wire`` - the runner: ``Wire``, ``Observed``, ``Case``, ``Target``,
  ``run_battery``, ``exchange`` (TCP and UDP), the generic senders
  (``sends``, ``slow_sender``) and checks (``either``, ``closes_within``);
* ``http`` - any HTTP-borne protocol: ``http_answers``, ``http_status``,
  ``closed_within``, ``ValidRequest`` and ``http_cases``, the framing battery;
* ``mm7`` - MM7 only: its answers, bodies, ``mm7_cases`` and the embedded
  network (``hostile_net``, ``endpoints_of``). Import it as
  ``tests.support.hostile.mm7``; this package exports the generic parts.

A new protocol plugs in with one module here, ``tests/support/hostile/<protocol>.py``,
exposing its checks and a ``<protocol>_cases(...) -> list[Case]``, and a test
that builds a ``Target`` (address, transport, probe, ``answered``: when one
whole answer is in) and calls ``run_battery``. HTTP-borne protocols (PAP)
call ``http_cases`` with their own ``ValidRequest``, ``answer`` and
``content_error``. For SMTP, say::

    # tests/support/hostile/smtp.py
    from tests.support.hostile import Case, Check, Observed, closes_within

    def reply(code: int) -> Check:
        def check(o: Observed) -> str | None:
            last = o.data.rstrip(b"\r\n").rsplit(b"\r\n", 1)[-1]
            return None if last.startswith(str(code).encode()) else f"got {o.data[:80]!r}"
        return check

    def smtp_answered(data: bytes) -> bool:  # the banner and one more reply line
        return data.count(b"\r\n") >= 2

    def smtp_cases(idle_ms: int) -> list[Case]:
        return [
            Case("unknown command", b"FROB\r\n", reply(500), "500"),
            Case("1 MB line", b"HELO " + b"x" * 1_000_000 + b"\r\n", reply(500), "500"),
            Case("never says a word", b"",
                 closes_within(idle_ms + 3000, said=lambda data: None),
                 "close after the idle timeout", until_close=True),
        ]

    # the test, against a started SMTP emulator
    target = Target("MMSC SMTP", host, port, probe=send_one_mail, answered=smtp_answered)
    result = await run_battery(target, smtp_cases(idle_ms=500))
    print(result.table())  # or result.table(describe_smtp)
    assert not result.failures

UDP protocols (DNS, SIP) set ``Target(..., transport="udp")``; a case's
``send`` is one datagram or a list of them, and ``Observed.datagrams`` holds
each answer on its own. DNS over TCP is a TCP target whose cases carry the
two-byte length prefix.
"""

from tests.support.hostile.http import (
    HttpAnswer,
    ValidRequest,
    closed_within,
    describe_http,
    http_answered,
    http_answers,
    http_cases,
    http_request,
    http_status,
    only_one,
)
from tests.support.hostile.wire import (
    BatteryResult,
    Case,
    Check,
    Observed,
    Played,
    Sender,
    Target,
    Wire,
    closes_within,
    describe_bytes,
    either,
    exchange,
    run_battery,
    sends,
    silence,
    slow_sender,
)

__all__ = [
    "BatteryResult",
    "Case",
    "Check",
    "HttpAnswer",
    "Observed",
    "Played",
    "Sender",
    "Target",
    "ValidRequest",
    "Wire",
    "closed_within",
    "closes_within",
    "describe_bytes",
    "describe_http",
    "either",
    "exchange",
    "http_answered",
    "http_answers",
    "http_cases",
    "http_request",
    "http_status",
    "only_one",
    "run_battery",
    "sends",
    "silence",
    "slow_sender",
]
