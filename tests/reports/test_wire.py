"""The side decoder of wire conformance (reports/wire.py) on hand-made traces, and the
report's "Wire conformance" section drawn from it."""

from __future__ import annotations

import re

import pytest

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.emulators.transports.http_server import raw_http_request, raw_http_response
from mmsconf.fixtures.profile import load_profile
from mmsconf.fixtures.profile_types import ProfileError
from mmsconf.reports.html import render_html
from mmsconf.reports.model import RunResult
from mmsconf.reports.wire import (
    UNREADABLE,
    WireView,
    counted,
    judge_events,
    judge_message,
    summarize,
    wire_violation_text,
)
from tests.support.reports import make_run

NS = mm7.DEFAULT_NAMESPACE
REL5 = mm7.MM7_NAMESPACES[3]  # REL-5-MM7-1-3
VIEW = WireView(lambda role: "MMS gateway" if role.startswith("MMSG-") else None, NS)


def submit(namespace: str = NS) -> mm7.SubmitReq:
    return mm7.SubmitReq(
        transaction_id="T1",
        namespace=namespace,
        vasp_id="sp001",
        to=(mm7.Address("+4670000001"),),
        subject="hello",
    )


def request(message: mm7.MM7Message, soap_action: str | None = None, *, edit=lambda b: b) -> bytes:
    encoded = mm7.encode(message)
    body = edit(encoded.body)
    headers = [
        ("Content-Type", encoded.content_type),
        ("SOAPAction", encoded.soap_action if soap_action is None else soap_action),
        ("Content-Length", str(len(body))),
    ]
    return raw_http_request("POST", "/mm7", headers, body)


def trace_of(*messages: tuple[str, str, bytes], stray: bool = False) -> TraceRecorder:
    t = TraceRecorder()
    t.register("MMSG-180", "127.0.0.180", 8080, embedded=True)
    t.register("MMSC-A", "127.0.30.1", 9201, embedded=True)
    t.register("SP", "127.0.10.1", 9101, embedded=True)
    where = {
        "MMSG-180": ("127.0.0.180", 8080),
        "MMSC-A": ("127.0.30.1", 9201),
        "SP": ("127.0.10.1", 9101),
    }
    for src, dst, raw in messages:
        t.record(where[src], where[dst], "MM7", "x", raw, listener=where[dst], stray=stray)
    return t


# --------------------------------------------------------------------------- one message


def test_a_clean_message_has_no_finding_and_names_its_release() -> None:
    assert judge_message(request(submit())) == ("SubmitReq", "REL-6-MM7-1-4", ())


def test_every_deviation_of_a_message_is_a_finding_at_once() -> None:
    # SOAPAction with the namespace, and TransactionID without mustUnderstand: two at once.
    raw = request(
        submit(),
        f'"{NS}"',
        edit=lambda b: re.sub(rb' [\w-]+:mustUnderstand="1"', b"", b, count=1),
    )
    op, release, findings = judge_message(raw)
    assert (op, release) == ("SubmitReq", "REL-6-MM7-1-4")
    assert [(f.code, f.element) for f in findings] == [
        ("soapaction-namespace", "SOAPAction"),
        ("mustunderstand-missing", "TransactionID@mustUnderstand"),
    ]


def test_another_release_is_one_deviation_and_the_message_counts_under_its_own() -> None:
    op, release, findings = judge_message(request(submit(REL5)), NS)
    assert (op, release) == ("SubmitReq", "REL-5-MM7-1-3")
    assert [f.code for f in findings] == ["namespace-mismatch"]
    # Configured for that release, the same message is clean.
    assert judge_message(request(submit(REL5)), REL5) == ("SubmitReq", "REL-5-MM7-1-3", ())


def test_a_bare_address_is_named_where_it_is() -> None:
    raw = request(
        submit(),
        edit=lambda b: b.replace(b"<mm7:Number>+4670000001</mm7:Number>", b"+4670000001"),
    )
    _, _, findings = judge_message(raw)
    assert [f.code for f in findings] == ["bare-address"]


def test_a_message_even_lenient_cannot_read_keeps_its_operation_and_release() -> None:
    raw = request(submit(), edit=lambda b: b.replace(b"</env:Envelope>", b""))
    op, release, findings = judge_message(raw)
    assert (op, release) == ("SubmitReq", "REL-6-MM7-1-4")
    assert findings and findings[-1].code == mm7.REFUSED


def test_a_response_and_a_chunked_body_are_read() -> None:
    encoded = mm7.encode(mm7.SubmitRsp("T1", message_id="M1"))
    chunks = b"".join(
        f"{len(encoded.body[i : i + 50]):x}\r\n".encode() + encoded.body[i : i + 50] + b"\r\n"
        for i in range(0, len(encoded.body), 50)
    )
    raw = raw_http_response(
        200,
        [("Content-Type", encoded.content_type), ("Transfer-Encoding", "chunked")],
        chunks + b"0\r\n\r\n",
    )
    assert judge_message(raw) == ("SubmitRsp", "REL-6-MM7-1-4", ())


def test_bytes_that_are_not_http_are_one_finding() -> None:
    assert judge_message(b"\x00\x01 not http")[2][0].code == UNREADABLE


# --------------------------------------------------------------------------- a trace


def test_only_the_sut_roles_messages_are_judged_and_strays_never_count() -> None:
    bad = request(submit(), f'"{NS}"')
    t = trace_of(
        ("SP", "MMSG-180", bad),  # the harness's own: not the SUT's to answer for
        ("MMSG-180", "MMSC-A", request(submit())),
        ("MMSG-180", "MMSC-A", bad),
    )
    judged = judge_events(t.events(), VIEW)
    assert [(m.sender, m.clean) for m in judged] == [("MMSG-180", True), ("MMSG-180", False)]
    assert judged[1].role == "MMS gateway" and judged[1].seq == 3
    assert [m.seq for m in counted(judged)] == [3]
    expected, seen = wire_violation_text(judged)
    assert "strict" in expected and seen.startswith("1 of 2 deviate: #3 SubmitReq")
    assert "soapaction-namespace at SOAPAction" in seen

    strays = judge_events(trace_of(("MMSG-180", "MMSC-A", bad), stray=True).events(), VIEW)
    assert strays[0].stray and counted(strays) == []
    # Harness roles too when asked (a check of the reference's own emulators).
    assert len(judge_events(t.events(), VIEW, only_sut=False)) == 3


def test_the_summary_counts_messages_per_code_releases_and_scenarios() -> None:
    bad = request(submit(), f'"{NS}"')
    one = judge_events(
        trace_of(("MMSG-180", "MMSC-A", bad), ("MMSG-180", "MMSC-A", bad)).events(), VIEW
    )
    two = judge_events(
        trace_of(
            ("MMSG-180", "MMSC-A", request(submit(REL5))), ("MMSG-180", "SP", request(submit()))
        ).events(),
        VIEW,
    )
    [s] = summarize([one, two])
    assert (s.role, s.judged, s.clean, s.senders) == ("MMS gateway", 4, 1, {"MMSG-180"})
    assert s.releases == {"REL-6-MM7-1-4": 3, "REL-5-MM7-1-3": 1}
    assert s.deviations["soapaction-namespace"][0] == 2
    assert s.deviations["namespace-mismatch"][0] == 1
    assert s.scenarios_with_deviations == 2


# --------------------------------------------------------------------------- the report


def _section(page: str, sid: str) -> str:
    start = page.index(f'id="{sid}"')
    return page[start : page.index("</section>", start)]


def test_the_report_has_a_wire_section_per_role_and_per_scenario() -> None:
    run: RunResult = make_run()
    bad = request(submit(), f'"{NS}"')
    run.scenarios[0].wire = judge_events(
        trace_of(("MMSG-180", "MMSC-A", bad), ("MMSG-180", "MMSC-A", request(submit()))).events(),
        VIEW,
    )
    page = render_html(run)
    wire = _section(page, "wire-conformance")
    assert 'data-role="MMS gateway" data-judged="2" data-clean="1"' in wire
    assert 'data-code="soapaction-namespace"' in wire and "REL-6-MM7-1-4 (2)" in wire
    assert "verdicts stand" in wire
    assert 'class="wire" data-judged="2" data-deviating="1"' in page

    run.wire_mode = "fail"
    assert "fail clause" in _section(render_html(run), "wire-conformance")


def test_a_run_without_sut_mm7_says_so() -> None:
    page = render_html(make_run())
    assert 'class="wire-none" data-judged="0"' in _section(page, "wire-conformance")


# --------------------------------------------------------------------------- the profile


def test_the_profile_chooses_warn_or_fail(tmp_path) -> None:
    assert load_profile().meta.wire == "warn"
    p = tmp_path / "p.toml"
    p.write_text('[profile]\nwire = "fail"\n')
    assert load_profile(p).meta.wire == "fail"
    p.write_text('[profile]\nwire = "strict"\n')
    with pytest.raises(ProfileError, match=r"profile\.wire"):
        load_profile(p)
