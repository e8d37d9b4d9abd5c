"""The conformance report: one self-contained HTML page per run.

Self-contained means it opens from a CI artefact store, a mail attachment
or an air-gapped lab the same way: no external stylesheet, font, script or
image, and a Content-Security-Policy that forbids fetching any. Everything
that came off the wire is escaped before it reaches the page, because a
SUT's bytes are untrusted input. The page reads fully with JavaScript off;
the script only adds filtering.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from .ladder import escape as _e
from .ladder import render_ladder
from .model import VERDICTS, Clause, RunResult, ScenarioResult, gherkin_tag

TITLE = "mmsconf conformance report"

# Worst first: a clause row takes the colour of the worst scenario covering it.
# A failure outranks an error because it is a finding about the SUT; an
# error only says the evidence is missing.
_SEVERITY = ("failed", "error", "skipped", "passed")

_CSS = """
:root{--passed:#1e7d32;--failed:#c62828;--skipped:#757575;--error:#e08600;
--passed-bg:#e8f5e9;--failed-bg:#ffebee;--skipped-bg:#f1f1f1;--error-bg:#fff3e0}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1400px;padding:0 20px 40px;color:#1d232b}
h1{font-size:22px;margin:18px 0 6px}h2{font-size:18px;margin:26px 0 8px;
border-bottom:1px solid #d5dbe3;padding-bottom:4px}h4{margin:12px 0 4px;font-size:13px}
code,pre,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
pre{background:#f6f8fa;border:1px solid #e1e5ea;padding:8px;overflow:auto;max-height:480px;
white-space:pre-wrap;word-break:break-all;margin:4px 0}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}
dl.meta dt{color:#5b6673}dl.meta dd{margin:0}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #d5dbe3;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f3f5f8}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.zero{color:#aab2bd}
.counts{display:flex;gap:10px;flex-wrap:wrap;margin:8px 0}
.count{padding:6px 12px;border-radius:6px;border:1px solid;font-weight:600}
.count b{font-size:20px;margin-right:4px}
.verdict-passed{--v:var(--passed);--vbg:var(--passed-bg)}
.verdict-failed{--v:var(--failed);--vbg:var(--failed-bg)}
.verdict-skipped{--v:var(--skipped);--vbg:var(--skipped-bg)}
.verdict-error{--v:var(--error);--vbg:var(--error-bg)}
.count,.chip{color:var(--v,#333);background:var(--vbg,#eee);border-color:var(--v,#999)}
.badge{display:inline-block;min-width:64px;text-align:center;padding:1px 8px;border-radius:4px;
color:#fff;background:var(--v,#555);font-weight:600;font-size:12px;text-transform:uppercase}
.chip{display:inline-block;border:1px solid;border-radius:4px;padding:0 6px;margin:1px 2px;
text-decoration:none;font-size:12px}
td.hole{background:repeating-linear-gradient(45deg,#fff8e1,#fff8e1 6px,#ffecb3 6px,#ffecb3 12px);
color:#8a5a00;font-weight:600}
tr.area-row th{background:#e6ebf1;font-size:13px}
tr.clause td:first-child{border-left:4px solid var(--v,#d5dbe3)}
.req small{display:block;color:#5b6673}
#filters{position:sticky;top:0;background:#fff;border-bottom:1px solid #d5dbe3;padding:6px 0;
z-index:1;display:flex;gap:14px;align-items:center;flex-wrap:wrap}
#filters[hidden]{display:none}
section.scenario{border:1px solid #d5dbe3;border-left:5px solid var(--v);border-radius:4px;
margin:8px 0}
section.scenario>details>summary{padding:6px 10px;cursor:pointer;background:var(--vbg)}
section.scenario .name{font-weight:600}
.where,.dur{color:#5b6673;margin-left:8px;font-size:12px}
.body{padding:4px 14px 12px}
.tag{display:inline-block;background:#eef2f7;border-radius:3px;padding:0 5px;margin-right:4px;
font-size:12px}
.reason{border-left:3px solid var(--v);padding:4px 8px;background:var(--vbg);white-space:pre-wrap}
.expected-seen{display:grid;grid-template-columns:1fr 1fr;gap:10px}
table.steps td.status{font-weight:600}
.step-passed{color:var(--passed)}.step-failed{color:var(--failed)}
.step-skipped{color:var(--skipped)}.step-undefined,.step-pending{color:var(--error)}
tr.step-error td{background:#fff7f7}
.ladder{overflow-x:auto}.ladder-svg{display:block;margin:6px 0}
.ladder-svg a text{text-decoration:underline}
details.raw{margin:2px 0}details.raw>summary{font-family:ui-monospace,Menlo,Consolas,monospace;
font-size:12px;cursor:pointer;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
details.raw:target>summary{background:#fff59d}
.ladder-more,.raw-cut{color:#8a5a00;font-style:italic}
"""

_JS = """
(function () {
  var bar = document.getElementById('filters');
  if (!bar) return;
  bar.hidden = false;
  function apply() {
    var on = {};
    bar.querySelectorAll('input[data-verdict]').forEach(function (box) {
      on[box.getAttribute('data-verdict')] = box.checked;
    });
    var area = bar.querySelector('select').value;
    var shown = 0;
    document.querySelectorAll('.scenario').forEach(function (el) {
      var show = on[el.getAttribute('data-verdict')] !== false &&
        (area === '' || el.getAttribute('data-area') === area);
      el.style.display = show ? '' : 'none';
      if (show) shown++;
    });
    document.getElementById('filter-count').textContent = shown + ' shown';
  }
  bar.addEventListener('change', apply);
  // A link into a closed <details> (a raw message, a collapsed scenario)
  // should land on something visible.
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    for (var el = target; el; el = el.parentElement) {
      if (el.tagName === 'DETAILS') el.open = true;
      if (el.classList && el.classList.contains('scenario')) el.style.display = '';
    }
    if (target) target.scrollIntoView();
  }
  window.addEventListener('hashchange', reveal);
  document.addEventListener('click', function (ev) {
    var a = ev.target.closest && ev.target.closest('a');
    if (a && (a.getAttribute('href') || '').charAt(0) === '#') setTimeout(reveal, 0);
  });
  apply();
  reveal();
})();
"""


def render_html(run: RunResult) -> str:
    ids = scenario_ids(run.scenarios)
    anchors = _clause_anchors(run)
    areas = _areas(run)
    verdicts = _verdicts(run)
    script = _JS.strip()
    csp = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src 'sha256-{_sha256(script)}'; base-uri 'none'; form-action 'none'"
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(TITLE)} — {_e(run.profile_name)}</title>",
        f"<style>{_CSS.strip()}</style>",
        "</head><body>",
        _header(run),
        _filters(areas, verdicts, run),
        _summary(run, areas, verdicts),
        _matrix(run, ids, anchors, areas),
        '<section id="scenarios"><h2>Scenarios</h2>',
        *(_scenario(s, ids[i], anchors, run) for i, s in enumerate(run.scenarios)),
        "</section>",
        f"<script>{script}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def scenario_ids(scenarios: Iterable[ScenarioResult]) -> list[str]:
    """An HTML id per scenario, derived from its nodeid so links survive reruns."""
    ids: list[str] = []
    used: set[str] = set()
    for s in scenarios:
        base = "sc-" + (re.sub(r"[^A-Za-z0-9]+", "-", s.nodeid).strip("-").lower() or "scenario")
        slug, n = base, 2
        # Two nodeids can differ only in punctuation; ids must still be unique.
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug)
        ids.append(slug)
    return ids


def _header(run: RunResult) -> str:
    started = datetime.fromtimestamp(run.started, tz=UTC).isoformat(timespec="seconds")
    wall = max(run.finished - run.started, 0.0)
    rows = [
        ("Profile", run.profile_name),
        ("Profile file", run.profile_path or "(embedded default)"),
        ("Seed", str(run.seed)),
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
        f'<span id="filter-count">{len(run.scenarios)} shown</span></nav>'
    )


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


def _matrix(run: RunResult, ids: list[str], anchors: dict[str, str], areas: list[str]) -> str:
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
            _clause_row(c, anchors[c.id], by_clause.get(c.id, []), run, ids) for c in clauses
        )

    # A scenario citing a clause the catalogue lacks is a suite bug worth
    # seeing (a typo in a tag, a clause renamed in CLAUSES.md).
    strays = [cid for cid in by_clause if cid not in catalogue]
    if strays:
        rows.append('<tr class="area-row"><th colspan="3">not in the clause catalogue</th></tr>')
        for cid in strays:
            stray = Clause(area="", id=cid, requirement="(clause id not in the catalogue)")
            rows.append(
                _clause_row(stray, anchors[cid], by_clause[cid], run, ids, extra=" uncatalogued")
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
            f'title="{_e(run.scenarios[i].verdict)}">{_e(run.scenarios[i].name)}</a>'
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


def _scenario(s: ScenarioResult, sid: str, anchors: dict[str, str], run: RunResult) -> str:
    v = _tok(s.verdict)
    is_open = " open" if s.verdict not in ("passed", "skipped") else ""
    summary = (
        f'<summary><span class="badge verdict-{v}">{_e(s.verdict)}</span> '
        f'<span class="name">{_e(s.name)}</span>'
        f'<span class="where mono">{_e(s.feature_file)}:{s.line}</span>'
        f'<span class="dur">{_ms(s.duration_s)}</span></summary>'
    )
    body: list[str] = [
        f'<p class="ids">Feature: {_e(s.feature_name)} · node <code>{_e(s.nodeid)}</code></p>'
    ]
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
    if s.steps:
        body.append(_steps(s))
    if s.log:
        body.append('<h4>Log</h4><pre class="log">' + _e("\n".join(s.log)) + "</pre>")
    pcap = ""
    if s.pcap:
        # Relative, so the link survives the folder being moved or archived.
        pcap = (
            f' <a class="pcap-link" href="{_e(s.pcap)}" '
            'type="application/vnd.tcpdump.pcap">pcap</a>'
        )
    body.append(f"<h4>Trace ({len(s.trace)} messages){pcap}</h4>")
    # Slugs never contain "--", so ladder ids cannot collide with a scenario's.
    body.append(render_ladder(s.trace, id_prefix=f"{sid}--"))
    return (
        f'<section class="scenario verdict-{v}" id="{sid}" data-area="{_e(s.area)}" '
        f'data-verdict="{_e(s.verdict)}"><details{is_open}>{summary}'
        f'<div class="body">{"".join(body)}</div></details></section>'
    )


def _failure(s: ScenarioResult, run: RunResult) -> str:
    clause = next((c for c in run.clauses if c.id == s.failed_clause), None)
    text = _e(s.failed_clause or "(not named)")
    if clause:
        text += f" — {_e(clause.requirement)}"
    return (
        f'<div class="failure"><p class="failed-clause"><strong>Failed clause:</strong> {text}</p>'
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


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
