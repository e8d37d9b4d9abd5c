"""The conformance report: one self-contained HTML page per run.

Self-contained means it opens from a CI artefact store, a mail attachment
or an air-gapped lab the same way: no external stylesheet, font, script or
image, and a Content-Security-Policy that forbids fetching any. Everything
that came off the wire is escaped before it reaches the page, because a
SUT's bytes are untrusted input. The page reads fully with JavaScript off;
the script only adds filtering.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from mmsconf.emulators.trace import TraceEvent

from . import ids as _ids
from .evidence import is_stray, offending_seqs, render_evidence, render_stray_table
from .html_assets import CSS, JS, sha256_b64
from .ladder import escape as _e
from .ladder import render_ladder
from .load import render_load_section
from .model import VERDICTS, Clause, RunResult, ScenarioResult, gherkin_tag
from .wire import WireMessage, summarize

TITLE = "mmsconf conformance report"

# Worst first: a clause row takes the colour of the worst scenario covering it.
# A failure outranks an error because it is a finding about the SUT; an
# error only says the evidence is missing.
_SEVERITY = ("failed", "error", "skipped", "passed")

#: Messages of a scenario's whole trace drawn on its ladder; the offending
#: ones are drawn separately, whatever their position.
FIRST_MESSAGES = 300
#: Offending messages drawn on their own ladder (the table lists more).
MAX_OFFENDING = 200


def render_html(run: RunResult) -> str:
    """The whole page for ``run``: failures first, then summary, matrix, scenarios."""
    ids = scenario_ids(run.scenarios)
    names = _ids.display_names(run.scenarios)
    anchors = _clause_anchors(run)
    areas = _areas(run)
    verdicts = _verdicts(run)
    script = JS.strip()
    csp = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src 'sha256-{sha256_b64(script)}'; base-uri 'none'; form-action 'none'"
    )
    scenarios = [_scenario(s, ids[i], names[i], anchors, run) for i, s in enumerate(run.scenarios)]
    if not run.scenarios:
        scenarios = [
            '<p class="empty-run" id="empty-run">No scenario ran: nothing was selected, or the '
            "run stopped before the first one. junit.xml and cucumber.json are written empty.</p>"
        ]
    # A load run (mmsconf load) ran no scenario: its page is the load section, without
    # the empty counts, matrix and scenario list a conformance run's page has.
    load_only = run.load is not None and not run.scenarios
    conformance = [
        _failures_first(run, ids, names),
        _filters(areas, verdicts, run),
        _summary(run, areas, verdicts),
    ]
    listing = [
        _matrix(run, ids, names, anchors, areas),
        _wire_section(run),
        '<section id="scenarios"><h2>Scenarios</h2>',
        *scenarios,
        "</section>",
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(TITLE)} — {_e(run.profile_name)}</title>",
        f"<style>{CSS.strip()}</style>",
        "</head><body>",
        _header(run),
        # Someone opening the report after a red CI run came for the failures:
        # they lead, before the counts, the matrix and the full list.
        *([] if load_only else conformance),
        render_load_section(run.load) if run.load is not None else "",
        *([] if load_only else listing),
        f"<script>{script}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def scenario_ids(scenarios: Sequence[ScenarioResult]) -> list[str]:
    """Each scenario's id on the page and in pcap names: ``sc-`` and its short stable id.

    The prefix keeps a scenario's id apart from the page's own (``summary``,
    ``matrix``, ``clause-*``) whatever its feature file is called.
    """
    return _ids.scenario_ids(scenarios, prefix="sc-")


def _header(run: RunResult) -> str:
    started = datetime.fromtimestamp(run.started, tz=UTC).isoformat(timespec="seconds")
    wall = max(run.finished - run.started, 0.0)
    rows = [
        ("Profile", run.profile_name),
        ("Profile file", run.profile_path or "(embedded default)"),
        ("Seed", str(run.seed)),
        ("Workers", f"{run.workers} (pytest-xdist)" if run.workers > 1 else "1"),
        ("Started", started.replace("+00:00", "Z")),
        ("Wall time", f"{wall:.1f} s"),
        ("Tool version", run.tool_version or "(unknown)"),
    ]
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    return f'<header><h1>{_e(TITLE)}</h1><dl class="meta" id="run-meta">{dl}</dl></header>'


def _filters(areas: list[str], verdicts: list[str], run: RunResult) -> str:
    # Hidden until the script runs: controls that do nothing with JS off
    # would only mislead.
    boxes = "".join(
        f'<label class="verdict-{_tok(v)}"><input type="checkbox" checked '
        f'data-verdict="{_e(v)}"> {_e(v)}</label>'
        for v in verdicts
    )
    options = '<option value="">all areas</option>' + "".join(
        f'<option value="{_e(a)}">{_e(a)}</option>' for a in areas
    )
    return (
        f'<nav id="filters" hidden><strong>Show</strong>{boxes}'
        f'<label>area <select id="filter-area">{options}</select></label>'
        '<label>text <input type="search" id="filter-text" autocomplete="off" '
        'placeholder="name, tag, clause or reason" '
        'title="shows the scenarios whose name, tags, clauses, file or reason contain '
        'every word typed"></label>'
        f'<span id="filter-count">{len(run.scenarios)} shown</span></nav>'
    )


def _failures_first(run: RunResult, ids: list[str], names: list[str]) -> str:
    """Each failed or errored scenario in a few lines, linking to its evidence.

    Absent when nothing failed, so a green report says so by what it lacks.
    """
    order = [
        i
        for verdict in ("failed", "error")
        for i, s in enumerate(run.scenarios)
        if _ids_verdict(s.verdict) == verdict
    ]
    if not order:
        return ""
    items = []
    for i in order:
        s, sid = run.scenarios[i], ids[i]
        v = _tok(s.verdict)
        lines = [
            f'<span class="badge verdict-{v}">{_e(s.verdict)}</span> '
            f'<a class="name" href="#{sid}">{_e(names[i])}</a>'
            f'<span class="where mono">{_e(s.feature_file)}:{s.line}</span>'
        ]
        if s.verdict == "failed":
            clause = _clause_text(s, run)
            lines.append(f'<p class="ff-clause"><strong>Clause:</strong> {clause}</p>')
            if s.expected is not None or s.seen is not None:
                lines.append(
                    '<div class="expected-seen">'
                    f'<div class="ff-expected"><h4>Expected</h4><pre>{_e(_or_dash(s.expected))}'
                    "</pre></div>"
                    f'<div class="ff-seen"><h4>Seen</h4><pre>{_e(_or_dash(s.seen))}</pre></div>'
                    "</div>"
                )
        if s.reason and (s.verdict != "failed" or (s.expected is None and s.seen is None)):
            label = "Failure" if s.verdict == "failed" else "Error"
            lines.append(f'<p class="ff-reason"><strong>{label}:</strong> {_e(s.reason)}</p>')
        jumps = [f'<a href="#{sid}">details</a>']
        if s.evidence:
            jumps.append(f'<a href="#{sid}--evidence">evidence</a>')
        if _offending(s):
            jumps.append(f'<a href="#{sid}--offending">offending messages</a>')
        if s.trace:
            jumps.append(f'<a href="#{sid}--trace">ladder</a>')
        if s.pcap:
            jumps.append(f'<a href="{_e(s.pcap)}" type="application/vnd.tcpdump.pcap">pcap</a>')
        lines.append(f'<p class="jump">{"".join(jumps)}</p>')
        items.append(
            f'<li class="failure-item verdict-{v}" data-verdict="{_e(s.verdict)}" '
            f'data-scenario="{sid}">{"".join(lines)}</li>'
        )
    failed = sum(1 for i in order if run.scenarios[i].verdict == "failed")
    errors = len(order) - failed
    title = f"{failed} failed, {errors} error{'' if errors == 1 else 's'}"
    return (
        f'<section id="failures"><h2>Needs attention: {title}</h2>'
        f'<ol class="failure-list">{"".join(items)}</ol></section>'
    )


def _ids_verdict(verdict: str) -> str:
    # An unknown verdict is the harness's error, never a pass: it is listed.
    return verdict if verdict in VERDICTS else "error"


def _clause_text(s: ScenarioResult, run: RunResult) -> str:
    clause = next((c for c in run.clauses if c.id == s.failed_clause), None)
    text = _e(s.failed_clause or "(not named)")
    if clause:
        text += f" — {_e(clause.requirement)}"
    return text


def _summary(run: RunResult, areas: list[str], verdicts: list[str]) -> str:
    counts = run.counts()
    boxes = "".join(
        f'<span class="count count-{_tok(v)} verdict-{_tok(v)}" data-verdict="{_e(v)}" '
        f'data-count="{counts.get(v, 0)}"><b>{counts.get(v, 0)}</b>{_e(v)}</span>'
        for v in verdicts
    )
    total = len(run.scenarios)
    covered = _covered(run)
    holes = sum(1 for c in run.clauses if c.id not in covered)

    head = "".join(f"<th>{_e(v)}</th>" for v in verdicts)
    rows = []
    for area in areas:
        mine = [s for s in run.scenarios if s.area == area]
        cells = ""
        for v in verdicts:
            n = sum(1 for s in mine if s.verdict == v)
            zero = " zero" if n == 0 else ""
            cells += (
                f'<td class="num{zero} verdict-{_tok(v)}" data-verdict="{_e(v)}" '
                f'data-count="{n}">{n}</td>'
            )
        rows.append(
            f'<tr data-area="{_e(area)}"><th>{_e(area)}</th>{cells}'
            f'<td class="num">{len(mine)}</td></tr>'
        )
    return (
        '<section id="summary"><h2>Summary</h2>'
        f'<div class="counts">{boxes}'
        f'<span class="count count-total" data-count="{total}"><b>{total}</b>scenarios</span>'
        "</div>"
        f'<p class="coverage" data-clauses="{len(run.clauses)}" data-holes="{holes}">'
        f"{len(run.clauses) - holes} of {len(run.clauses)} clauses covered by a scenario; "
        f"{holes} without one.</p>"
        f'<table id="area-summary"><thead><tr><th>area</th>{head}<th>total</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _clause_anchors(run: RunResult) -> dict[str, str]:
    anchors: dict[str, str] = {}
    used: set[str] = set()
    for cid in dict.fromkeys([*(c.id for c in run.clauses), *_covered_in_order(run)]):
        base = f"clause-{_tok(cid)}"
        anchor, n = base, 2
        while anchor in used:
            anchor, n = f"{base}-{n}", n + 1
        used.add(anchor)
        anchors[cid] = anchor
    return anchors


def _matrix(
    run: RunResult, ids: list[str], names: list[str], anchors: dict[str, str], areas: list[str]
) -> str:
    by_clause: dict[str, list[int]] = {}
    for i, s in enumerate(run.scenarios):
        for cid in dict.fromkeys(s.clauses):
            by_clause.setdefault(cid, []).append(i)

    catalogue = {c.id for c in run.clauses}
    rows: list[str] = []
    for area in areas:
        clauses = [c for c in run.clauses if c.area == area]
        if not clauses:
            continue
        rows.append(f'<tr class="area-row"><th colspan="3">{_e(area)}</th></tr>')
        rows.extend(
            _clause_row(c, anchors[c.id], by_clause.get(c.id, []), run, ids, names) for c in clauses
        )

    # A scenario citing a clause the catalogue lacks is a suite bug worth
    # seeing (a typo in a tag, a clause renamed in CLAUSES.md).
    strays = [cid for cid in by_clause if cid not in catalogue]
    if strays:
        rows.append('<tr class="area-row"><th colspan="3">not in the clause catalogue</th></tr>')
        for cid in strays:
            stray = Clause(area="", id=cid, requirement="(clause id not in the catalogue)")
            rows.append(
                _clause_row(
                    stray, anchors[cid], by_clause[cid], run, ids, names, extra=" uncatalogued"
                )
            )

    return (
        '<section id="matrix-section"><h2>Coverage: areas × clauses</h2>'
        '<table id="matrix"><thead><tr><th>clause</th><th>requirement</th>'
        f"<th>scenarios</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _clause_row(
    clause: Clause,
    anchor: str,
    covering: list[int],
    run: RunResult,
    ids: list[str],
    names: list[str],
    extra: str = "",
) -> str:
    req = _e(clause.requirement)
    if clause.observable:
        req += f"<small>observable: {_e(clause.observable)}</small>"
    if covering:
        worst = min(
            (run.scenarios[i].verdict for i in covering),
            key=lambda v: _SEVERITY.index(v) if v in _SEVERITY else 1,
        )
        chips = "".join(
            f'<a class="chip verdict-{_tok(run.scenarios[i].verdict)}" href="#{ids[i]}" '
            f'data-verdict="{_e(run.scenarios[i].verdict)}" '
            f'title="{_e(run.scenarios[i].verdict)}">{_e(names[i])}</a>'
            for i in covering
        )
        cell = f'<td class="cover">{chips}</td>'
        state = f' data-verdict="{_e(worst)}"'
        cls = f"clause verdict-{_tok(worst)}{extra}"
    else:
        cell = '<td class="hole">no scenario</td>'
        state = ' data-verdict="hole"'
        cls = f"clause hole-row{extra}"
    return (
        f'<tr class="{cls}" id="{anchor}" data-clause="{_e(clause.id)}"{state}>'
        f'<td class="clause-id mono">{_e(clause.id)}</td><td class="req">{req}</td>{cell}</tr>'
    )


def _scenario(
    s: ScenarioResult, sid: str, name: str, anchors: dict[str, str], run: RunResult
) -> str:
    v = _tok(s.verdict)
    is_open = " open" if s.verdict not in ("passed", "skipped") else ""
    summary = (
        f'<summary><span class="badge verdict-{v}">{_e(s.verdict)}</span> '
        f'<span class="name">{_e(name)}</span>'
        f'<span class="where mono">{_e(s.feature_file)}:{s.line}</span>'
        f'<span class="dur">{_ms(s.duration_s)}</span></summary>'
    )
    # The node id without the folders it was collected from: enough to rerun
    # the scenario with -k, and no install path from the machine that ran it.
    body: list[str] = [
        f'<p class="ids">Feature: {_e(s.feature_name)} · node '
        f"<code>{_e(_ids.short_nodeid(s.nodeid))}</code></p>"
    ]
    if s.example:
        cells = "".join(
            f"<tr><th>{_e(k)}</th><td>{_e(val)}</td></tr>" for k, val in s.example.items()
        )
        body.append(f'<table class="example"><tbody>{cells}</tbody></table>')
    if s.tags:
        body.append(
            '<p class="tags">'
            + "".join(f'<span class="tag">{_e(gherkin_tag(t))}</span>' for t in s.tags)
            + "</p>"
        )
    if s.clauses:
        links = ", ".join(f'<a href="#{anchors[c]}" class="mono">{_e(c)}</a>' for c in s.clauses)
        body.append(f'<p class="clauses">Clauses: {links}</p>')
    if s.reason:
        label = {"skipped": "Skipped", "failed": "Failure", "error": "Error"}.get(s.verdict, "Note")
        body.append(f'<div class="reason"><strong>{label}:</strong> {_e(s.reason)}</div>')
    if s.verdict == "failed" or s.failed_clause or s.expected is not None or s.seen is not None:
        body.append(_failure(s, run))
    evidence, trace = _evidence_and_trace(s, sid)
    body.extend(evidence)
    if s.wire:
        body.append(_scenario_wire(s))
    # Steps come after the evidence: on a failure the evidence says what
    # went wrong, the steps only where.
    if s.steps:
        body.append(_steps(s))
    if s.log:
        body.append('<h4>Log</h4><pre class="log">' + _e("\n".join(s.log)) + "</pre>")
    body.append(trace)
    return (
        f'<section class="scenario verdict-{v}" id="{sid}" data-area="{_e(s.area)}" '
        f'data-verdict="{_e(s.verdict)}" data-text="{_e(_search_text(s, name))}">'
        f'<details{is_open}>{summary}<div class="body">{"".join(body)}</div></details></section>'
    )


#: Deviating messages a scenario's section lists (the rest are counted).
MAX_WIRE_ROWS = 50


def _wire_section(run: RunResult) -> str:
    """Wire conformance, summed per SUT role over the run: messages judged, the releases
    they came in, and each deviation with how many messages had it and an example."""
    per_scenario = [s.wire for s in run.scenarios if s.wire]
    if run.wire_after_run:
        per_scenario.append(run.wire_after_run)
    summaries = summarize(per_scenario)
    mode = (
        'deviations fail clause <span class="mono">wire</span> '
        '(<code>[profile] wire = "fail"</code>)'
        if run.wire_mode == "fail"
        else 'deviations are listed, verdicts stand (<code>[profile] wire = "warn"</code>)'
    )
    head = (
        '<section id="wire-conformance"><h2>Wire conformance</h2>'
        "<p>Every MM7 message a SUT role sent, decoded strictly on the side; "
        f"{mode}.</p>"
    )
    if not summaries:
        return head + (
            '<p class="wire-none" data-judged="0">No MM7 message from a SUT role in this run '
            "(no scenario ran where a SUT speaks MM7).</p></section>"
        )
    blocks = []
    for r in summaries:
        releases = ", ".join(f"{_e(k)} ({n})" for k, n in sorted(r.releases.items()))
        operations = ", ".join(f"{_e(k)} ({n})" for k, n in sorted(r.operations.items()))
        rows = "".join(
            f'<tr data-code="{_e(code)}"><td class="mono">{_e(code)}</td>'
            f'<td class="num">{n}</td><td class="mono">{_e(example)}</td>'
            f'<td class="num">#{seq}</td></tr>'
            for code, (n, example, seq) in sorted(r.deviations.items(), key=lambda kv: -kv[1][0])
        )
        table = (
            '<table class="wire-deviations"><thead><tr><th>deviation</th><th>messages</th>'
            f"<th>example</th><th>trace</th></tr></thead><tbody>{rows}</tbody></table>"
            if rows
            else '<p class="wire-clean">No deviation: every message decoded clean.</p>'
        )
        blocks.append(
            f'<div class="wire-role" data-role="{_e(r.role)}" data-judged="{r.judged}" '
            f'data-clean="{r.clean}"><h3>{_e(r.role)}</h3>'
            f"<p>{r.judged} messages judged from {_e(', '.join(sorted(r.senders)))}: "
            f"{r.clean} clean, {r.judged - r.clean} with deviations"
            f" (in {r.scenarios_with_deviations} scenarios). "
            f"Releases: {releases}. Operations: {operations}.</p>{table}</div>"
        )
    return head + "".join(blocks) + "</section>"


def _findings_text(m: WireMessage) -> str:
    return "; ".join(f"{f.code} at {f.element}: {f.detail}" for f in m.findings)


def _scenario_wire(s: ScenarioResult) -> str:
    """The scenario's SUT MM7 messages: how many were judged, and each that deviated."""
    bad = [m for m in s.wire if m.findings]
    own = sum(1 for m in s.wire if not m.stray)
    text = f"{len(s.wire)} MM7 messages from the SUT judged ({own} this scenario's)"
    text += f", {len(bad)} with deviations" if bad else ", all clean"
    rows = "".join(
        f'<tr><td class="num">#{m.seq}</td><td>{_e(m.operation)}</td>'
        f"<td>{_e(m.sender)} → {_e(m.receiver)}</td><td>{_e(m.release)}</td>"
        f'<td class="mono">{_e(_findings_text(m))}{" [stray]" if m.stray else ""}</td></tr>'
        for m in bad[:MAX_WIRE_ROWS]
    )
    more = f"<p>… and {len(bad) - MAX_WIRE_ROWS} more.</p>" if len(bad) > MAX_WIRE_ROWS else ""
    table = (
        '<table class="wire-messages"><thead><tr><th>trace</th><th>operation</th><th>from → to</th>'
        f"<th>release</th><th>deviations</th></tr></thead><tbody>{rows}</tbody></table>{more}"
        if rows
        else ""
    )
    return (
        f'<div class="wire" data-judged="{len(s.wire)}" data-deviating="{len(bad)}">'
        f"<h4>Wire conformance</h4><p>{_e(text)}.</p>{table}</div>"
    )


def _evidence_and_trace(s: ScenarioResult, sid: str) -> tuple[list[str], str]:
    """The evidence and the offending messages' ladder; then the trace block.

    The trace block lists the stray messages and draws the trace's first
    ``FIRST_MESSAGES``; the offending ones are drawn apart, wherever they fall.
    """
    offending = _offending(s)
    drawn_first = {e.seq: n for n, e in enumerate(s.trace[:FIRST_MESSAGES], 1)}
    # Where a seq's raw bytes are on this page: on the offending ladder if
    # it is there, else on the trace ladder if it was among the first drawn.
    anchor = {seq: f"{sid}--msg-{n}" for seq, n in drawn_first.items()}
    anchor.update({e.seq: f"{sid}--bad-msg-{n}" for n, e in enumerate(offending, 1)})
    out: list[str] = []
    if s.evidence:
        out.append(
            f'<div id="{sid}--evidence">'
            f"{render_evidence(s.evidence, s.trace, message_anchor=anchor)}</div>"
        )
    if offending:
        out.append(
            f'<div class="offending" id="{sid}--offending"><h4>Ladder of the offending messages '
            f"({len(offending)}; times from the first of them)</h4>"
            f"{render_ladder(offending, max_events=MAX_OFFENDING, id_prefix=f'{sid}--bad-')}</div>"
        )
    pcap = ""
    if s.pcap:
        # Relative, so the link survives the folder being moved or archived.
        pcap = (
            f' <a class="pcap-link" href="{_e(s.pcap)}" '
            'type="application/vnd.tcpdump.pcap">pcap</a>'
        )
    strays = sum(1 for e in s.trace if is_stray(e))
    notes = [f"{len(s.trace)} messages"]
    if strays:
        notes.append(f"{strays} stray")
    if len(s.trace) > FIRST_MESSAGES:
        notes.append(f"the first {FIRST_MESSAGES} drawn")
    trace = [
        f'<h4 id="{sid}--trace">Trace ({", ".join(notes)}){pcap}</h4>',
        render_stray_table(s.trace, message_anchor=anchor),
        # Slugs never contain "--", so ladder ids cannot collide with a scenario's.
        render_ladder(s.trace, max_events=FIRST_MESSAGES, id_prefix=f"{sid}--"),
    ]
    return out, "".join(trace)


def _offending(s: ScenarioResult) -> list[TraceEvent]:
    by_seq = {e.seq: e for e in s.trace}
    return [by_seq[q] for q in offending_seqs(s.evidence) if q in by_seq][:MAX_OFFENDING]


def _search_text(s: ScenarioResult, name: str) -> str:
    # What the text filter searches: lower case, so the script compares
    # without case folding each scenario on every key press.
    parts = [
        name,
        s.feature_file,
        s.area,
        *(gherkin_tag(t) for t in s.tags),
        *s.clauses,
        s.failed_clause or "",
        s.reason or "",
    ]
    return " ".join(p for p in parts if p).lower()


def _failure(s: ScenarioResult, run: RunResult) -> str:
    return (
        '<div class="failure"><p class="failed-clause"><strong>Failed clause:</strong> '
        f"{_clause_text(s, run)}</p>"
        '<div class="expected-seen">'
        f'<div class="expected"><h4>Expected</h4><pre>{_e(_or_dash(s.expected))}</pre></div>'
        f'<div class="seen"><h4>Seen</h4><pre>{_e(_or_dash(s.seen))}</pre></div>'
        "</div></div>"
    )


def _steps(s: ScenarioResult) -> str:
    rows = []
    for step in s.steps:
        st = _tok(step.status)
        rows.append(
            f'<tr class="step step-{st}" data-status="{_e(step.status)}">'
            f'<td class="mono">{step.line}</td><td><strong>{_e(step.keyword)}</strong> '
            f'{_e(step.text)}</td><td class="status step-{st}">{_e(step.status)}</td>'
            f'<td class="num">{_ms(step.duration_s)}</td></tr>'
        )
        if step.error:
            rows.append(
                f'<tr class="step-error"><td></td><td colspan="3"><pre>{_e(step.error)}</pre>'
                "</td></tr>"
            )
    return (
        '<table class="steps"><thead><tr><th>line</th><th>step</th><th>status</th>'
        f"<th>time</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _areas(run: RunResult) -> list[str]:
    # Catalogue order first: it is the order CLAUSES.md presents the
    # behaviours in. Areas only scenarios mention come after.
    seen: dict[str, None] = {}
    for c in run.clauses:
        seen.setdefault(c.area, None)
    for s in run.scenarios:
        seen.setdefault(s.area, None)
    return list(seen)


def _verdicts(run: RunResult) -> list[str]:
    extra = [v for v in dict.fromkeys(s.verdict for s in run.scenarios) if v not in VERDICTS]
    return [*VERDICTS, *extra]


def _covered(run: RunResult) -> set[str]:
    return set(_covered_in_order(run))


def _covered_in_order(run: RunResult) -> list[str]:
    return list(dict.fromkeys(cid for s in run.scenarios for cid in s.clauses))


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _or_dash(text: str | None) -> str:
    return "—" if text is None else text


def _tok(text: str) -> str:
    """A string safe inside a class or id (verdicts, clause ids, statuses)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"
