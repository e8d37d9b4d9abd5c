"""The load section of the report: Locust's figures and the exactly-once result.

A vendor reads a load run for two answers: how fast the SUT went (rate and
latency percentiles, per request name, from Locust's CSV) and whether every
accepted submission reached exactly one final state. The second leads: a
fast run that lost messages is a failed run. Charts are the evidence charts'
inline SVG (``evidence.bar_chart_svg``), so they pass the page's CSP.
"""

from __future__ import annotations

from .evidence import bar_chart_svg
from .ladder import escape as _e
from .model import BarChart, LoadResult

_VERDICT_CLASS = {"passed": "passed", "failed": "failed"}


def _n(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def render_load_section(load: LoadResult) -> str:
    """``<section id="load">``: the outcome counts, the charts, Locust's table, the files."""
    verdict = _VERDICT_CLASS.get(load.verdict, "error")
    if load.checked:
        outcome = (
            f"{_n(load.expected)} recipients of {_n(load.accepted)} accepted submissions: "
            f"{_n(load.final_once)} reached exactly one final state, {_n(load.lost)} lost, "
            f"{_n(load.duplicated)} duplicated"
        )
    else:
        outcome = "exactly-once not checked: no receiving role's counts were given (--counts)"
    counts = [
        ("accepted", load.accepted),
        ("exactly once", load.final_once),
        ("lost", load.lost),
        ("duplicated", load.duplicated),
        ("unexpected reports", load.unexpected),
        ("refused", load.refused),
        ("unanswered", load.unanswered),
    ]
    chips = "".join(
        f'<span class="count" data-count="{_e(k)}"><b>{_n(v)}</b>{_e(k)}</span>' for k, v in counts
    )
    total = load.requests[-1] if load.requests else None
    charts = []
    if total is not None:
        charts.append(
            BarChart(
                f"{total.name}: latency percentiles",
                {"p50": total.p50_ms, "p95": total.p95_ms, "p99": total.p99_ms},
                unit="ms",
            )
        )
        charts.append(
            BarChart(
                "rate per request name",
                {r.name: round(r.rate, 1) for r in load.requests},
                unit="requests/s",
                reference=load.rate_target,
                reference_label="target",
            )
        )
    if load.checked:
        charts.append(
            BarChart(
                "what became of each accepted recipient",
                {"exactly once": load.final_once, "lost": load.lost, "duplicated": load.duplicated},
                unit="recipients",
            )
        )
    figures = "".join(
        f'<figure class="evidence-chart"><figcaption>{_e(c.title)} <small>({_e(c.unit)})'
        f"</small></figcaption>{bar_chart_svg(c)}</figure>"
        for c in charts
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "name",
            "requests",
            "failures",
            "requests/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
        )
    )
    rows = "".join(
        f'<tr data-name="{_e(r.name)}"><td>{_e(r.name)}</td><td class="num">{r.requests}</td>'
        f'<td class="num">{r.failures}</td><td class="num">{r.rate:.1f}</td>'
        f'<td class="num">{_n(r.p50_ms)}</td><td class="num">{_n(r.p95_ms)}</td>'
        f'<td class="num">{_n(r.p99_ms)}</td><td class="num">{_n(r.max_ms)}</td></tr>'
        for r in load.requests
    )
    meta = [
        ("Mode", load.mode),
        ("Run tag", load.run_tag),
        ("Users", str(load.users)),
        ("Worker processes", str(load.workers)),
        ("Target rate", f"{load.rate_target:g} submissions/s" if load.rate_target else "none"),
        ("Wall time", f"{load.wall_s:.1f} s"),
        ("Drain", f"waited {load.drained_ms:.0f} ms of {load.drain_ms} ms for stragglers"),
        ("Every worker reported", "yes" if load.complete else "no (capped by the run time)"),
    ]
    if load.mmsc:
        meta.append(("At the MMSCs", ", ".join(f"{k} {v}" for k, v in load.mmsc.items())))
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in meta)
    examples = "".join(
        f"<h4>{_e(kind)} (first {len(items)})</h4><pre>{_e(chr(10).join(items))}</pre>"
        for kind, items in load.examples.items()
        if items
    )
    files = "".join(f'<li><a href="{_e(f)}">{_e(f)}</a></li>' for f in load.files)
    note = f"<p>{_e(load.note)}</p>" if load.note else ""
    return (
        f'<section id="load" class="verdict-{verdict}"><h2>Load (Locust)</h2>'
        f'<p id="load-verdict"><span class="badge">{_e(load.verdict)}</span> {_e(outcome)}</p>'
        f'{note}<div class="counts">{chips}</div><dl class="meta">{dl}</dl>{figures}'
        f'<table id="load-stats"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
        f"{examples}<h4>Locust's files</h4><ul>{files}</ul></section>"
    )
