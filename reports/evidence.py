"""Evidence a step attached to its scenario, drawn for the page and said in text.

A failing scenario of a thousand messages is read from its evidence: a bar
chart of the counts the clause is about, the offending messages, a note.
Charts are inline SVG with presentation attributes only (no script, no
external font), so they survive the page's Content-Security-Policy and a
missing stylesheet. Everything a SUT could have put in a key or a note is
escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from mmsconf.emulators.trace import TraceEvent

from .ladder import escape as _e
from .ladder import offset_ms
from .model import BarChart, Evidence, MessageTable, Note

#: Bars drawn per chart; the table under the chart has every value.
MAX_BARS = 60
#: Rows per table of messages (offending or stray); a note says how many more.
MAX_ROWS = 500

# Geometry in px; the label column is sized from the longest key.
_BAR_H = 16
_GAP = 4
_BAR_AREA = 320
_CHAR_W = 7.0
_PAD = 8
_COLOUR = "#1f5fa8"
_ZERO = "#c62828"


def is_stray(event: TraceEvent) -> bool:
    """A message a harness role took as not belonging to the running scenario.

    ``TraceEvent.stray`` is being added to the recorder; until it is, no event
    is stray.
    """
    return bool(getattr(event, "stray", False))


def offending_seqs(items: Sequence[Evidence]) -> list[int]:
    """The trace seq numbers the evidence lists as offending, in order, each once."""
    seqs = (m.seq for item in items if isinstance(item, MessageTable) for m in item.messages)
    return list(dict.fromkeys(seqs))


def render_evidence(
    items: Sequence[Evidence],
    trace: Sequence[TraceEvent],
    *,
    message_anchor: dict[int, str] | None = None,
) -> str:
    """The evidence as an HTML fragment, one block per item in the order attached.

    ``message_anchor`` maps a seq to the id of that message's raw bytes on the
    page, so a row of a message table links to them.
    """
    if not items:
        return ""
    by_seq = {e.seq: e for e in trace}
    t0 = min((e.time for e in trace), default=0.0)
    anchors = message_anchor or {}
    blocks = []
    for item in items:
        if isinstance(item, BarChart):
            blocks.append(_chart_block(item))
        elif isinstance(item, MessageTable):
            blocks.append(_message_block(item, by_seq, t0, anchors))
        elif isinstance(item, Note):
            title = f"<h4>{_e(item.title)}</h4>" if item.title else ""
            blocks.append(f'<div class="evidence-note">{title}<p>{_e(item.text)}</p></div>')
        else:
            # A kind this page does not know yet still shows, as its repr.
            blocks.append(f'<pre class="evidence-other">{_e(repr(item))}</pre>')
    return '<div class="evidence"><h4>Evidence</h4>' + "".join(blocks) + "</div>"


def bar_chart_svg(chart: BarChart) -> str:
    """Horizontal bars, one per key, each labelled with its value; zero bars in red."""
    rows = list(chart.counts.items())[:MAX_BARS]
    values = [max(float(v), 0.0) for _, v in rows]
    scale_max = max([*values, float(chart.reference or 0.0), 0.0]) or 1.0
    label_w = _PAD + _CHAR_W * max((len(str(k)) for k, _ in rows), default=1)
    value_w = _CHAR_W * max((len(_num(v)) for _, v in rows), default=1) + _PAD * 2
    top = 18 if chart.reference is not None else 4
    width = int(label_w + _PAD + _BAR_AREA + value_w)
    height = top + len(rows) * (_BAR_H + _GAP) + 4
    body = []
    for n, ((key, value), shown) in enumerate(zip(rows, values, strict=True)):
        y = top + n * (_BAR_H + _GAP)
        bar_w = _BAR_AREA * shown / scale_max
        zero = shown == 0
        # A zero bar is the finding more often than not (a server that got
        # nothing): a thin red mark keeps it from reading as "missing".
        rect_w = 2.0 if zero else max(bar_w, 1.0)
        fill = _ZERO if zero else _COLOUR
        x0 = label_w + _PAD
        body.append(
            f'<g class="bar" data-key="{_e(str(key))}" data-value="{_e(_num(value))}">'
            f'<text x="{label_w:.1f}" y="{y + _BAR_H - 4}" text-anchor="end" '
            f'font-size="12">{_e(str(key))}</text>'
            f'<rect x="{x0:.1f}" y="{y}" width="{rect_w:.1f}" height="{_BAR_H}" fill="{fill}"/>'
            f'<text x="{x0 + rect_w + 4:.1f}" y="{y + _BAR_H - 4}" font-size="12" '
            f'fill="{fill}">{_e(_num(value))}</text></g>'
        )
    if chart.reference is not None:
        x = label_w + _PAD + _BAR_AREA * max(chart.reference, 0.0) / scale_max
        label = chart.reference_label or "reference"
        body.append(
            f'<g class="reference" data-value="{_e(_num(chart.reference))}">'
            f'<line x1="{x:.1f}" y1="12" x2="{x:.1f}" y2="{height - 2}" stroke="#555" '
            'stroke-dasharray="4 3"/>'
            f'<text x="{x:.1f}" y="10" text-anchor="middle" font-size="11" fill="#555">'
            f"{_e(label)} {_e(_num(chart.reference))}</text></g>"
        )
    aria = f"{chart.title}: " + ", ".join(f"{k} {_num(v)}" for k, v in rows)
    return (
        f'<svg class="bar-chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(aria)}" '
        'font-family="system-ui, sans-serif">' + "".join(body) + "</svg>"
    )


def evidence_lines(items: Sequence[Evidence], trace: Sequence[TraceEvent]) -> list[str]:
    """The evidence as plain lines, for JUnit and Cucumber readers."""
    by_seq = {e.seq: e for e in trace}
    lines: list[str] = []
    for item in items:
        if isinstance(item, BarChart):
            unit = f" ({item.unit})" if item.unit else ""
            counts = ", ".join(f"{k}={_num(v)}" for k, v in item.counts.items())
            ref = ""
            if item.reference is not None:
                ref = f"; {item.reference_label or 'reference'} {_num(item.reference)}"
            lines.append(f"{item.title}{unit}: {counts}{ref}")
        elif isinstance(item, MessageTable):
            lines.append(f"{item.title}:")
            for m in item.messages[:MAX_ROWS]:
                event = by_seq.get(m.seq)
                what = f"{event.protocol} {event.summary}" if event else "(not in the trace)"
                stray = " [stray]" if event is not None and is_stray(event) else ""
                note = f" - {m.note}" if m.note else ""
                lines.append(f"  #{m.seq}{stray} {what}{note}")
            if len(item.messages) > MAX_ROWS:
                lines.append(f"  ... {len(item.messages) - MAX_ROWS} more: see index.html")
        elif isinstance(item, Note):
            lines.append(f"{item.title}: {item.text}" if item.title else item.text)
        else:
            lines.append(repr(item))
    return lines


def render_stray_table(trace: Sequence[TraceEvent], *, message_anchor: dict[int, str]) -> str:
    """The scenario's stray messages: answered, shown, never counted."""
    strays = [e for e in trace if is_stray(e)]
    if not strays:
        return ""
    t0 = min(e.time for e in trace)
    rows = "".join(_message_row(e.seq, e, None, t0, message_anchor) for e in strays[:MAX_ROWS])
    more = _more(len(strays))
    return (
        f'<div class="strays"><h4>Stray messages ({len(strays)}): answered, not counted</h4>'
        f"{_table(rows)}{more}</div>"
    )


def _chart_block(chart: BarChart) -> str:
    unit = f" <small>({_e(chart.unit)})</small>" if chart.unit else ""
    more = ""
    if len(chart.counts) > MAX_BARS:
        more = f'<p class="chart-more">{len(chart.counts) - MAX_BARS} more bars in the table</p>'
    cells = "".join(
        f'<tr><td>{_e(str(k))}</td><td class="num">{_e(_num(v))}</td></tr>'
        for k, v in chart.counts.items()
    )
    return (
        f'<figure class="evidence-chart"><figcaption>{_e(chart.title)}{unit}</figcaption>'
        f"{bar_chart_svg(chart)}{more}"
        '<details class="chart-table"><summary>as a table</summary>'
        f"<table><thead><tr><th>key</th><th>value</th></tr></thead><tbody>{cells}</tbody>"
        "</table></details></figure>"
    )


def _message_block(
    table: MessageTable, by_seq: dict[int, TraceEvent], t0: float, anchors: dict[int, str]
) -> str:
    rows = "".join(
        _message_row(m.seq, by_seq.get(m.seq), m.note, t0, anchors)
        for m in table.messages[:MAX_ROWS]
    )
    return (
        f'<div class="evidence-messages"><h4>{_e(table.title)}</h4>'
        f"{_table(rows, note=True)}{_more(len(table.messages))}</div>"
    )


def _table(rows: str, *, note: bool = False) -> str:
    head = "<th>#</th><th>time</th><th>from → to</th><th>message</th>"
    if note:
        head += "<th>why</th>"
    return f'<table class="messages"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _message_row(
    seq: int, event: TraceEvent | None, note: str | None, t0: float, anchors: dict[int, str]
) -> str:
    """One message as a table row; ``note`` None: the table has no "why" column."""
    anchor = anchors.get(seq)
    number = f'<a href="#{_e(anchor)}">#{seq}</a>' if anchor else f"#{seq}"
    note_cell = "" if note is None else f"<td>{_e(note)}</td>"
    if event is None:
        # The step named a message the trace does not hold: say so rather
        # than drop the row, since the step thought it mattered.
        return (
            f'<tr class="missing" data-seq="{seq}"><td class="mono">{number}</td>'
            f'<td colspan="3">(not in the trace)</td>{note_cell}</tr>'
        )
    stray = is_stray(event)
    cls = ' class="stray"' if stray else ""
    flag = '<span class="stray-flag">stray</span> ' if stray else ""
    return (
        f'<tr{cls} data-seq="{seq}"><td class="mono">{number}</td>'
        f'<td class="mono">{_e(offset_ms(event, t0))}</td>'
        f"<td>{_e(event.src.role)} → {_e(event.dst.role)}</td>"
        f'<td class="mono">{flag}{_e(event.protocol)} {_e(event.summary)}</td>{note_cell}</tr>'
    )


def _more(total: int) -> str:
    if total <= MAX_ROWS:
        return ""
    return f'<p class="rows-more">{total - MAX_ROWS} more not listed (see the pcap)</p>'


def _num(value: float | int) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(int(value))
