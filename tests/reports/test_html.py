from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import lxml.html
import pytest

from mmsconf.emulators.trace import Endpoint, TraceEvent
from mmsconf.reports.html import render_html, scenario_ids
from mmsconf.reports.ladder import RAW_LIMIT, render_ladder, render_raw
from mmsconf.reports.model import Note, RunResult, ScenarioResult
from mmsconf.reports.write import write_report


def _cls(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


@pytest.fixture
def page(report: dict[str, Path]) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(report["html"].read_bytes())


def test_write_report_writes_the_three_files_and_the_pcaps(report: dict) -> None:
    assert set(report) == {"html", "cucumber", "junit", "pcaps"}
    files = {kind: report[kind] for kind in ("html", "cucumber", "junit")}
    names = {kind: path.name for kind, path in files.items()}
    assert names == {"html": "index.html", "cucumber": "cucumber.json", "junit": "junit.xml"}
    for path in [*files.values(), *report["pcaps"]]:
        assert path.is_file() and path.stat().st_size > 0
    assert report["pcaps"] and all(p.parent.name == "pcap" for p in report["pcaps"])
    # No temporary files left beside them.
    assert sorted(p.name for p in report["html"].parent.iterdir()) == sorted(
        [*names.values(), "pcap"]
    )


def test_header(page: lxml.html.HtmlElement) -> None:
    assert page.findtext(".//h1") == "mmsconf conformance report"
    meta = page.get_element_by_id("run-meta").text_content()
    for expected in ("embedded-default", "fixtures/profiles/default.toml", "42", "4.5 s", "0.1.0"):
        assert expected in meta
    assert "2023-11-14T22:13:20Z" in meta


def test_summary_counts(page: lxml.html.HtmlElement) -> None:
    summary = page.get_element_by_id("summary")
    for verdict in ("passed", "failed", "skipped", "error"):
        (box,) = summary.xpath(f".//*[{_cls('count-' + verdict)}]")
        assert box.get("data-count") == "1"
    (total,) = summary.xpath(f".//*[{_cls('count-total')}]")
    assert total.get("data-count") == "4"
    (row,) = page.xpath("//table[@id='area-summary']//tr[@data-area='report_routing']")
    cells = {td.get("data-verdict"): td.get("data-count") for td in row.xpath("td[@data-verdict]")}
    assert cells == {"passed": "1", "failed": "1", "skipped": "0", "error": "0"}
    coverage = summary.xpath(".//p[@class='coverage']")[0]
    assert coverage.get("data-holes") == "1"


def test_matrix_shows_the_hole(page: lxml.html.HtmlElement) -> None:
    matrix = page.get_element_by_id("matrix")
    holes = matrix.xpath(".//td[@class='hole']")
    assert len(holes) == 1
    assert holes[0].text_content() == "no scenario"
    assert holes[0].getparent().get("data-clause") == "DR-1"
    rr1 = matrix.xpath(".//tr[@data-clause='RR-1']")[0]
    # Covered by a passed and a failed scenario: the row takes the worse.
    assert rr1.get("data-verdict") == "failed"
    chips = rr1.xpath(f".//a[{_cls('chip')}]")
    assert [c.get("data-verdict") for c in chips] == ["passed", "failed"]
    ids = {el.get("id") for el in page.xpath("//section[@id]")}
    assert all(c.get("href")[1:] in ids for c in chips)


def test_uncatalogued_clause_is_listed(run: RunResult) -> None:
    run.scenarios[0].clauses.append("RR-99")
    page = lxml.html.fromstring(render_html(run))
    (row,) = page.xpath("//table[@id='matrix']//tr[@data-clause='RR-99']")
    assert "uncatalogued" in row.get("class")


def test_scenario_sections(run: RunResult, page: lxml.html.HtmlElement) -> None:
    ids = scenario_ids(run.scenarios)
    for sid, s in zip(ids, run.scenarios, strict=True):
        section = page.get_element_by_id(sid)
        assert section.get("data-verdict") == s.verdict
        assert section.get("data-area") == s.area
        assert f"verdict-{s.verdict}" in section.get("class").split()
        details = section.find("details")
        # Failures and errors are what a reader came for: open by default.
        assert (details.get("open") is not None) == (s.verdict in ("failed", "error"))
        text = section.text_content()
        assert f"{s.feature_file}:{s.line}" in text
        assert s.name in text
        for step in s.steps:
            assert step.text in text


def test_failure_shows_clause_expected_and_seen(
    run: RunResult, page: lxml.html.HtmlElement
) -> None:
    section = page.get_element_by_id(scenario_ids(run.scenarios)[1])
    assert "RR-2" in section.xpath(".//*[@class='failed-clause']")[0].text_content()
    assert "sp-0001" in section.xpath(".//div[@class='expected']")[0].text_content()
    assert "sp-9999" in section.xpath(".//div[@class='seen']")[0].text_content()
    assert "not forwarded" in section.xpath(".//div[@class='reason']")[0].text_content()
    statuses = [tr.get("data-status") for tr in section.xpath(".//tr[@data-status]")]
    assert statuses == ["passed", "passed", "failed", "skipped"]


def test_ladder_draws_every_message(run: RunResult, page: lxml.html.HtmlElement) -> None:
    section = page.get_element_by_id(scenario_ids(run.scenarios)[1])
    (svg,) = section.xpath(".//svg")
    arrows = svg.xpath(f".//*[{_cls('msg')}]")
    assert len(arrows) == len(run.scenarios[1].trace) == 5
    roles = [t.text for t in svg.xpath(".//g[@class='role']/text[1]")]
    assert roles == ["SP", "MMSG-180", "MMSC"]
    # The listening address names the role, not the ephemeral client port.
    assert "127.0.1.80:8080" in svg.xpath(".//g[@class='role']")[1].text_content()
    # Each arrow's label links to that message's raw bytes.
    for arrow in arrows:
        (link,) = arrow.xpath(".//a")
        target = page.get_element_by_id(link.get("href")[1:])
        assert target.tag == "details"
        assert "+" in link.text_content() and "ms" in link.text_content()
    # Other scenarios have no trace, so no arrows; ids stay unique page-wide.
    assert len(page.xpath(f"//*[{_cls('msg')}]")) == 5
    all_ids = Counter(el.get("id") for el in page.xpath("//*[@id]"))
    assert [i for i, n in all_ids.items() if n > 1] == []


def test_raw_bytes_on_demand(run: RunResult, page: lxml.html.HtmlElement) -> None:
    section = page.get_element_by_id(scenario_ids(run.scenarios)[1])
    raws = section.xpath(f".//details[{_cls('raw')}]")
    assert len(raws) == 5
    submit = raws[0].xpath(".//pre")[0]
    assert "raw-text" in submit.get("class")
    assert "Authorization: Basic ********" in submit.text_content()
    assert "<SubmitReq>" in submit.text_content()
    binary = raws[1].xpath(".//pre")[0]
    assert "raw-hex" in binary.get("class")
    assert binary.text_content().startswith("00000000  00 01 02 03")


def test_secrets_are_masked_even_if_the_trace_was_not() -> None:
    event = _event(
        1, 0.0, "SP", "MMSG", raw=b"POST / HTTP/1.1\r\nAuthorization: Basic c3A6cHc=\r\n"
    )
    out = render_ladder([event])
    assert "c3A6cHc=" not in out
    assert "Authorization: Basic ********" in out


def test_everything_is_escaped(run: RunResult) -> None:
    run.scenarios[1].trace.append(
        _event(99, 2.0, "MMSC", "SP", summary="<img src=x onerror=alert(1)>", raw=b"<script>x")
    )
    text = render_html(run)
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<img src=x" not in text
    assert "<script>x" not in text
    assert "Submit is accepted &lt;and&gt; answered" in text
    # Only the page's own script element.
    assert len(lxml.html.fromstring(text).xpath("//script")) == 1


def test_self_contained(report: dict[str, Path]) -> None:
    text = report["html"].read_text(encoding="utf-8")
    page = lxml.html.fromstring(text)
    refs = [el.get("src") for el in page.xpath("//*[@src]")]
    refs += [el.get("href") for el in page.xpath("//*[@href]")]
    assert refs, "expected in-page links"
    # In-page anchors, or the pcaps written beside the page: nothing fetched from elsewhere.
    assert all(r.startswith("#") or re.fullmatch(r"pcap/[\w.-]+\.pcap", r) for r in refs), refs
    assert not page.xpath("//link") and not page.xpath("//script[@src]")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text)
    assert "@import" not in text and "url(" not in text
    csp = page.xpath("//meta[@http-equiv='Content-Security-Policy']")[0].get("content")
    assert "default-src 'none'" in csp


def test_script_matches_its_csp_hash(report: dict[str, Path]) -> None:
    import base64
    import hashlib

    page = lxml.html.fromstring(report["html"].read_bytes())
    script = page.xpath("//script")[0].text
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = page.xpath("//meta[@http-equiv='Content-Security-Policy']")[0].get("content")
    assert f"'sha256-{digest}'" in csp


def test_filters_exist_but_hide_nothing_without_js(page: lxml.html.HtmlElement) -> None:
    filters = page.get_element_by_id("filters")
    boxes = filters.xpath(".//input[@type='checkbox']")
    assert {b.get("data-verdict") for b in boxes} == {"passed", "failed", "skipped", "error"}
    options = [o.get("value") for o in filters.xpath(".//select/option")]
    assert options[0] == "" and "report_routing" in options and "disaster_recovery" in options
    scenarios = page.xpath(f"//section[{_cls('scenario')}]")
    assert len(scenarios) == 4
    assert not any("display" in (s.get("style") or "") for s in scenarios)


# --- ladder on its own -------------------------------------------------------


def _event(
    seq: int,
    dt: float,
    src: str,
    dst: str,
    *,
    summary: str = "msg",
    raw: bytes = b"x",
) -> TraceEvent:
    return TraceEvent(
        seq=seq,
        time=1000.0 + dt,
        src=Endpoint(src, "127.0.0.1", 1000 + seq),
        dst=Endpoint(dst, "127.0.0.2", 80),
        protocol="MM7",
        transport="tcp",
        summary=summary,
        raw=raw,
    )


def test_ladder_caps_drawn_messages() -> None:
    events = [_event(i, i / 1000, "A", "B") for i in range(1, 311)]
    frag = lxml.html.fragment_fromstring(render_ladder(events), create_parent="div")
    assert len(frag.xpath(f".//*[{_cls('msg')}]")) == 300
    assert len(frag.xpath(f".//details[{_cls('raw')}]")) == 300
    (more,) = frag.xpath(".//p[@class='ladder-more']")
    assert more.text == "10 more messages not drawn (see pcap/trace)"


def test_ladder_columns_and_offsets() -> None:
    events = [
        _event(1, 0.0, "B", "C"),
        _event(2, 0.0123, "A", "B"),
        _event(3, 0.5, "C", "C", summary="internal"),
    ]
    frag = lxml.html.fragment_fromstring(render_ladder(events), create_parent="div")
    roles = [t.text for t in frag.xpath(".//g[@class='role']/text[1]")]
    assert roles == ["B", "C", "A"]
    labels = [a.text_content() for a in frag.xpath(f".//*[{_cls('msg')}]//a")]
    assert labels[0].startswith("+0.0 ms") and labels[1].startswith("+12.3 ms")
    assert labels[2].startswith("+500.0 ms")
    # A message a role sends itself is still one arrow.
    assert len(frag.xpath(f".//*[{_cls('msg')}]")) == 3


def test_ladder_of_nothing() -> None:
    assert "No messages recorded" in render_ladder([])


def test_raw_is_truncated_with_a_note() -> None:
    out = render_raw(b"a" * (RAW_LIMIT + 10))
    assert f"first {RAW_LIMIT} of {RAW_LIMIT + 10} bytes" in out
    assert out.count("a") < RAW_LIMIT + 100


def test_raw_text_shows_stray_bytes_as_escapes() -> None:
    out = render_raw(b"Subject: hi\x00there \xff\r\nbody")
    assert "raw-text" in out
    assert "\\x00" in out and "\\xff" in out
    assert "\x00" not in out


def test_control_characters_and_surrogates_do_not_break_the_files(
    run: RunResult, tmp_path: Path
) -> None:
    run.scenarios[1].trace.append(_event(99, 2.0, "MMSC", "SP", summary="bad \udcff byte"))
    out = write_report(run, tmp_path)
    text = out["html"].read_text(encoding="utf-8")
    assert "\x00" not in text
    assert "\\x00stray control byte" in text
    assert "bad \\udcff byte" in text
    json.loads(out["cucumber"].read_text(encoding="utf-8"))
    ET.parse(out["junit"])


# --- which side listens -------------------------------------------------------


def _smtp_then_http(*, listener: bool) -> list[TraceEvent]:
    """MMSC-A relays to MMSC-B over SMTP (B greets first), then takes a POST at its own port.

    ``listener``: each event names the listening end, as the transports record it.
    """
    smtp_server = Endpoint("MMSC-B", "127.0.2.2", 2525)
    relay = Endpoint("MMSC-A", "127.0.2.1", 41234)
    http_server = Endpoint("MMSC-A", "127.0.2.1", 8080)
    sp = Endpoint("SP", "127.0.0.10", 40001)
    lines = [
        (smtp_server, relay, b"554 mmsc-b.example no service for you\r\n", smtp_server),
        (relay, smtp_server, b"QUIT\r\n", smtp_server),
        (smtp_server, relay, b"221 Bye\r\n", smtp_server),
        (sp, http_server, b"POST /mm7 HTTP/1.1\r\n\r\n", http_server),
        (http_server, sp, b"HTTP/1.1 200 OK\r\n\r\n", http_server),
    ]
    return [
        TraceEvent(
            n,
            1000.0 + n / 1000,
            src,
            dst,
            "SMTP" if n <= 3 else "MM7",
            "tcp",
            raw.decode().strip(),
            raw,
            listener=(where.host, where.port) if listener else None,
        )
        for n, (src, dst, raw, where) in enumerate(lines, 1)
    ]


def _role_addresses(events: list[TraceEvent]) -> dict[str, str]:
    frag = lxml.html.fragment_fromstring(render_ladder(events), create_parent="div")
    roles = frag.xpath(".//g[@class='role']")
    return {g.xpath("text[1]")[0].text: g.xpath("text[2]")[0].text for g in roles}


def test_ladder_shows_the_listening_address_when_the_server_speaks_first() -> None:
    # A 554 greeting: no pattern recognises it as one; only `listener` tells.
    shown = _role_addresses(_smtp_then_http(listener=True))
    assert shown == {
        "MMSC-B": "127.0.2.2:2525",
        "MMSC-A": "127.0.2.1:8080 (+1)",  # where it listens, not its relay's source port
        "SP": "127.0.0.10:40001",
    }


def test_ladder_without_listener_falls_back_to_the_first_receiver() -> None:
    # The old guess, kept for traces that do not say: wrong for a server that
    # speaks first, and the reason the recorder now names the listener.
    shown = _role_addresses(_smtp_then_http(listener=False))
    assert shown["MMSC-A"] == "127.0.2.1:41234 (+1)"


def test_ladder_marks_stray_messages() -> None:
    event = _event(1, 0.0, "SP", "MMSG")
    stray = TraceEvent(**{**event.__dict__, "seq": 2, "stray": True})
    frag = lxml.html.fragment_fromstring(render_ladder([event, stray]), create_parent="div")
    labels = [a.text_content() for a in frag.xpath(f".//*[{_cls('msg')}]//a")]
    assert "[stray]" not in labels[0] and "[stray] MM7" in labels[1]


# --- failures first ------------------------------------------------------------


def _position(page: lxml.html.HtmlElement, element_id: str) -> int:
    return list(page.iter()).index(page.get_element_by_id(element_id))


def test_failures_lead_the_page(run: RunResult, page: lxml.html.HtmlElement) -> None:
    ids = scenario_ids(run.scenarios)
    failures = page.get_element_by_id("failures")
    # Before the counts, the matrix and the scenario list.
    for later in ("summary", "matrix", "scenarios"):
        assert _position(page, "failures") < _position(page, later)
    items = failures.xpath(f".//li[{_cls('failure-item')}]")
    # The SUT's failures first, then the harness's errors.
    assert [i.get("data-verdict") for i in items] == ["failed", "error"]
    assert [i.get("data-scenario") for i in items] == [ids[1], ids[3]]
    failed, error = items
    assert "2 failed" not in failures.findtext("h2") and "1 failed, 1 error" in failures.findtext(
        "h2"
    )
    assert "RR-2 — Reports return to the issuing server" in failed.text_content()
    assert "sp-0001" in failed.xpath(f".//*[{_cls('ff-expected')}]")[0].text_content()
    assert "sp-9999" in failed.xpath(f".//*[{_cls('ff-seen')}]")[0].text_content()
    assert "MMSG B did not start" in error.xpath(f".//*[{_cls('ff-reason')}]")[0].text_content()
    assert failed.xpath(".//a[@class='name']")[0].text_content() == run.scenarios[1].name
    # Every in-page link lands on something; the ladder link on the trace.
    for link in failures.xpath(".//a[starts-with(@href, '#')]"):
        assert page.get_element_by_id(link.get("href")[1:]) is not None
    assert f"#{ids[1]}--trace" in failed.xpath(".//a/@href")
    assert any(h.endswith(".pcap") for h in failed.xpath(".//a/@href"))


def test_no_failures_no_section(run: RunResult) -> None:
    for s in run.scenarios:
        if s.verdict in ("failed", "error"):
            s.verdict, s.failed_clause, s.expected, s.seen = "passed", None, None, None
    page = lxml.html.fromstring(render_html(run))
    assert not page.xpath("//*[@id='failures']")
    assert not page.xpath(f"//*[{_cls('failure-item')}]")


def test_an_unknown_verdict_is_listed_as_needing_attention(run: RunResult) -> None:
    run.scenarios[0].verdict = "weird"
    page = lxml.html.fromstring(render_html(run))
    listed = page.xpath("//li[@data-verdict]/@data-verdict")
    # Listed with the errors (the harness's fault, never a pass), in run order.
    assert listed == ["failed", "weird", "error"]


# --- evidence --------------------------------------------------------------------


@pytest.fixture
def big_run(run: RunResult, big_failure: Callable[..., ScenarioResult]) -> RunResult:
    run.scenarios.append(big_failure())
    return run


def _section(run: RunResult, page: lxml.html.HtmlElement, index: int) -> lxml.html.HtmlElement:
    return page.get_element_by_id(scenario_ids(run.scenarios)[index])


def test_evidence_comes_first_then_offending_ladder_then_the_trace(big_run: RunResult) -> None:
    page = lxml.html.fromstring(render_html(big_run))
    section = _section(big_run, page, 4)
    sid = section.get("id")
    order = [
        _position(page, f"{sid}--evidence"),
        _position(page, f"{sid}--offending"),
        _position(page, f"{sid}--trace"),
    ]
    assert order == sorted(order)

    # The offending messages are drawn although far past the first 300.
    offending = page.get_element_by_id(f"{sid}--offending")
    drawn = [int(g.get("data-seq")) for g in offending.xpath(f".//*[{_cls('msg')}]")]
    assert drawn == [1500, 1601]
    trace_ladder = section.xpath(f".//div[{_cls('ladder')}]")[-1]
    seqs = [int(g.get("data-seq")) for g in trace_ladder.xpath(f".//*[{_cls('msg')}]")]
    assert seqs == list(range(1, 301))
    heading = page.get_element_by_id(f"{sid}--trace").text_content()
    assert heading.startswith("Trace (1742 messages, 1 stray, the first 300 drawn)")
    # Two ladders of one scenario, and still no id twice on the page.
    all_ids = Counter(el.get("id") for el in page.xpath("//*[@id]"))
    assert [i for i, n in all_ids.items() if n > 1] == []


def test_bar_chart_is_inline_svg_with_a_bar_per_key(big_run: RunResult) -> None:
    page = lxml.html.fromstring(render_html(big_run))
    section = _section(big_run, page, 4)
    (chart,) = section.xpath(".//svg[@class='bar-chart']")
    bars = chart.xpath(".//g[@class='bar']")
    assert [(b.get("data-key"), b.get("data-value")) for b in bars] == [
        ("180", "360"),
        ("181", "0"),
    ]
    widths = [float(b.xpath("rect")[0].get("width")) for b in bars]
    assert widths[0] > 100 and 0 < widths[1] <= 2
    # The zero bar is red: it is usually the finding.
    assert bars[1].xpath("rect")[0].get("fill") == "#c62828"
    assert chart.xpath(".//g[@class='reference']")[0].get("data-value") == "180"
    assert "mean 180" in chart.text_content()
    assert chart.get("aria-label") == "Per-server load: 180 360, 181 0"
    # No script, no external reference in the chart.
    assert not chart.xpath(".//script|.//*[@href and not(starts-with(@href, '#'))]")
    table = section.xpath(".//details[@class='chart-table']//td/text()")
    assert table == ["180", "360", "181", "0"]


def test_offending_messages_table_links_to_their_bytes(big_run: RunResult) -> None:
    page = lxml.html.fromstring(render_html(big_run))
    section = _section(big_run, page, 4)
    (table,) = section.xpath(".//div[@class='evidence-messages']//table")
    rows = table.xpath(".//tr[@data-seq]")
    assert [r.get("data-seq") for r in rows] == ["1500", "1601", "99999"]
    first, stray, missing = rows
    assert "second report for sp-0007" in first.text_content()
    assert "DeliveryReportReq MSGID1=sp-0007 (twice)" in first.text_content()
    target = page.get_element_by_id(first.xpath(".//a")[0].get("href")[1:])
    assert target.tag == "details" and "sp-0007 (twice)" in target.text_content()
    assert stray.get("class") == "stray" and "stray" in stray.text_content().lower()
    assert missing.get("class") == "missing" and "not in the trace" in missing.text_content()
    note = section.xpath(".//div[@class='evidence-note']")[0]
    assert "Server 181 took <nothing>" in note.text_content()


def test_stray_messages_are_listed_and_marked(big_run: RunResult) -> None:
    page = lxml.html.fromstring(render_html(big_run))
    section = _section(big_run, page, 4)
    (strays,) = section.xpath(".//div[@class='strays']")
    assert "Stray messages (1): answered, not counted" in strays.text_content()
    (row,) = strays.xpath(".//tr[@data-seq]")
    assert row.get("data-seq") == "1601" and row.get("class") == "stray"
    assert row.xpath(f".//*[{_cls('stray-flag')}]")


def test_evidence_is_escaped(big_run: RunResult) -> None:
    chart = big_run.scenarios[4].evidence[0]
    chart.counts = {"<script>x</script>": 3}
    chart.title = '"><img src=x>'
    text = render_html(big_run)
    assert "<script>x</script>" not in text and "<img src=x>" not in text
    assert len(lxml.html.fromstring(text).xpath("//script")) == 1


def test_a_step_order_with_evidence(run: RunResult) -> None:
    # Evidence before the steps: it says what went wrong, the steps only where.
    run.scenarios[1].evidence = [Note("the report went to MMSG-181")]
    page = lxml.html.fromstring(render_html(run))
    section = _section(run, page, 1)
    sid = section.get("id")
    steps = section.xpath(".//table[@class='steps']")[0]
    assert _position(page, f"{sid}--evidence") < list(page.iter()).index(steps)
    assert list(page.iter()).index(steps) < _position(page, f"{sid}--trace")


# --- ids and names -----------------------------------------------------------------


def test_ids_are_short_stable_and_free_of_install_paths(
    outline_run: RunResult, big_failure: Callable[..., ScenarioResult], tmp_path: Path
) -> None:
    run = outline_run
    big = big_failure(10)
    big.name = "A very long scenario name " * 8
    big.example = {"state": "Rejected"}
    run.scenarios.append(big)
    ids = scenario_ids(run.scenarios)
    assert len(set(ids)) == len(ids)
    assert all(len(i) <= 80 and re.fullmatch(r"sc-[a-z0-9-]+", i) for i in ids), ids
    # From the feature file's path under the features root and the name.
    assert ids[6:8] == ["sc-report-routing-plain-plain-scenario", "sc-vendor-plain-plain-scenario"]
    # A cut id keeps the example values and ends in a digest of the whole.
    pattern = r"sc-report-routing-submission-one-submission-[a-z-]+-rejected-[0-9a-f]{8}"
    assert re.fullmatch(pattern, ids[1]), ids[1]
    assert re.search(r"-rejected-[0-9a-f]{8}$", ids[-1]), ids[-1]
    # The twin row (same values) is numbered, and still short.
    assert re.search(r"-rejected-2-[0-9a-f]{8}$", ids[3]), ids[3]
    # Stable: the install path does not enter it.
    moved = copy.deepcopy(run.scenarios)
    for s in moved:
        s.nodeid = s.nodeid.replace("../../.tox/conformance/lib/python3.12/site-packages", "/opt")
    assert scenario_ids(moved) == ids

    out = write_report(run, tmp_path)
    text = out["html"].read_text(encoding="utf-8")
    page = lxml.html.fromstring(text)
    assert all("site-packages" not in (el.get("id") or "") for el in page.xpath("//*[@id]"))
    assert "site-packages" not in text
    names = [p.name for p in out["pcaps"]]
    assert names == [f"{i}.pcap" for i in ids]
    assert all(len(n) <= 80 + len(".pcap") for n in names)


def test_outline_rows_are_named_by_their_example(outline_run: RunResult) -> None:
    run = outline_run
    page = lxml.html.fromstring(render_html(run))
    names = page.xpath(f"//section[{_cls('scenario')}]//summary/span[@class='name']/text()")
    assert names[:4] == [
        "One submission comes back as one delivery report carrying MSGID1 [state=Retrieved]",
        "One submission comes back as one delivery report carrying MSGID1 [state=Rejected]",
        "One submission comes back as one delivery report carrying MSGID1 [state=Expired]",
        "One submission comes back as one delivery report carrying MSGID1 [state=Rejected] (2)",
    ]
    assert len(set(names)) == len(names)
    example = page.xpath(f"//section[{_cls('scenario')}]//table[@class='example']")[0]
    assert example.text_content() == "stateRetrieved"


# --- empty run -------------------------------------------------------------------


def test_an_empty_run_still_writes_three_valid_files(run: RunResult, tmp_path: Path) -> None:
    run.scenarios = []
    out = write_report(run, tmp_path / "report")
    page = lxml.html.fromstring(out["html"].read_bytes())
    assert "No scenario ran" in page.get_element_by_id("empty-run").text_content()
    assert not page.xpath("//*[@id='failures']")
    assert page.get_element_by_id("filter-count").text_content() == "0 shown"
    root = ET.parse(out["junit"]).getroot()
    assert root.get("tests") == "0" and list(root.iter("testcase")) == []
    assert root.find("testsuite").get("tests") == "0"
    assert json.loads(out["cucumber"].read_text(encoding="utf-8")) == []
    assert out["pcaps"] == [] and not (tmp_path / "report" / "pcap").exists()


# --- text filter ---------------------------------------------------------------------


def test_text_filter_input_and_what_it_searches(run: RunResult) -> None:
    page = lxml.html.fromstring(render_html(run))
    bar = page.get_element_by_id("filters")
    (box,) = bar.xpath(".//input[@id='filter-text']")
    assert box.get("type") == "search"
    # Hidden with JS off: the page must read without it.
    assert bar.get("hidden") is not None
    sections = page.xpath(f"//section[{_cls('scenario')}]")
    texts = [s.get("data-text") for s in sections]
    assert all(t == t.lower() for t in texts)
    failed = texts[1]
    for word in ("a delivery report returns", "@rr-2", "rr-2", "not forwarded", "basic.feature"):
        assert word in failed
    assert "sip push" in texts[2] and "sut does not claim" in texts[2]
    # The script reads the attribute the page writes.
    assert "data-text" in page.xpath("//script")[0].text
