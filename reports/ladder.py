"""A scenario's trace drawn as a ladder (message sequence chart) in inline SVG.

The fragment is meant to sit inside the single-file report, so it fetches
nothing and carries its own presentation attributes: it still reads as a
ladder if the page's stylesheet is missing. Raw bytes are not in the SVG;
each drawn message gets a ``<details>`` below it that the arrow label links to,
so the page stays light until someone asks for the bytes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from mmsconf.emulators.trace import Endpoint, TraceEvent, mask_secrets, roles_in

#: Raw bytes shown per message; beyond this a note says how much was cut.
RAW_LIMIT = 64 * 1024

# Geometry in px. Labels are monospace so their width can be estimated
# without a font metric, which is what lets the SVG size itself.
_MARGIN = 16
_COL_W = 180
_HEAD_H = 46
_ROW_H = 30
_FONT_PX = 11
_CHAR_W = 6.7
_LABEL_MAX = 110
_LOOP_W = 26

# Distinct protocols on one ladder read better in distinct colours; the
# palette is indexed by a stable digest of the name (not hash(), which is
# salted per process and would recolour the report on every run).
_PALETTE = ("#1f5fa8", "#7a3db8", "#0f7c6c", "#a35200", "#8a1c4a", "#4b6b12", "#5a5a5a")
# A stray message (another scenario's, answered and never counted) is drawn
# apart: light grey, dashed, with an open arrow head, and labelled [stray].
_STRAY_COLOUR = "#9a9a9a"
_STRAY_DASH = ' stroke-dasharray="6 4"'


def render_ladder(
    events: Sequence[TraceEvent], *, max_events: int = 300, id_prefix: str = ""
) -> str:
    """Return an HTML fragment: the ladder SVG followed by one ``<details>`` per drawn message.

    ``id_prefix`` keeps element ids unique when several ladders share a page;
    message ``n`` (1-based, in trace order) gets ``id="{id_prefix}msg-{n}"``.
    """
    if not events:
        return '<p class="ladder-empty">No messages recorded.</p>'
    drawn = list(events[: max(max_events, 0)])
    hidden = len(events) - len(drawn)
    # Offsets count from the earliest message, not the first listed, so a
    # trace merged from several recorders never shows negative times.
    t0 = min(e.time for e in events)

    parts = ['<div class="ladder">']
    if drawn:
        parts.append(_svg(drawn, t0, id_prefix))
    if hidden:
        parts.append(
            f'<p class="ladder-more">{hidden} more messages not drawn (see pcap/trace)</p>'
        )
    if drawn:
        parts.append('<div class="ladder-raw">')
        parts.extend(_raw_details(n, e, t0, id_prefix) for n, e in enumerate(drawn, 1))
        parts.append("</div>")
    parts.append("</div>")
    return "\n".join(parts)


def offset_ms(event: TraceEvent, t0: float) -> str:
    return f"+{(event.time - t0) * 1000:.1f} ms"


def _addresses(events: Sequence[TraceEvent]) -> dict[str, list[Endpoint]]:
    """Every address each role used, the one it listens at first.

    A client speaks from a fresh ephemeral port per connection, and replies
    go back to that port, so "was a destination" proves nothing, and neither
    does "spoke first" (an SMTP server greets first). An event that names its
    listener says which end that is. For a connection none of whose events
    does, the side that received its first message is taken as the listener
    (true of HTTP, DNS, SIP requests).
    """
    listening: dict[str, dict[Endpoint, None]] = {}
    other: dict[str, dict[Endpoint, None]] = {}
    told = {e.stream for e in events if e.listening_end is not None}
    streams: set[str] = set()
    for e in events:
        end = e.listening_end
        if end is None and e.stream not in told and e.stream not in streams:
            end = e.dst
        streams.add(e.stream)
        if end is not None:
            listening.setdefault(end.role, {}).setdefault(end, None)
        other.setdefault(e.src.role, {}).setdefault(e.src, None)
        other.setdefault(e.dst.role, {}).setdefault(e.dst, None)
    out: dict[str, list[Endpoint]] = {}
    for role in roles_in(events):
        merged = dict(listening.get(role, {}))
        for ep in other.get(role, {}):
            merged.setdefault(ep, None)
        out[role] = list(merged)
    return out


def _colour(protocol: str) -> str:
    return _PALETTE[sum(protocol.encode()) % len(_PALETTE)]


def _label(event: TraceEvent, t0: float) -> str:
    # A stray message (not this scenario's) is drawn apart, and says so in words too.
    stray = "[stray] " if event.stray else ""
    return f"{offset_ms(event, t0)}  {stray}{event.protocol} {event.summary}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _svg(events: Sequence[TraceEvent], t0: float, prefix: str) -> str:
    roles = roles_in(events)
    addresses = _addresses(events)
    column = {role: i for i, role in enumerate(roles)}

    def x_of(role: str) -> float:
        return _MARGIN + _COL_W / 2 + column[role] * _COL_W

    height = _HEAD_H + _ROW_H * (len(events) + 1)
    width = _MARGIN * 2 + _COL_W * len(roles)
    body: list[str] = []

    for role in roles:
        x = x_of(role)
        eps = addresses[role]
        where = f"{eps[0].host}:{eps[0].port}" if eps else ""
        if len(eps) > 1:
            where += f" (+{len(eps) - 1})"
        every = ", ".join(f"{ep.host}:{ep.port}" for ep in eps)
        body.append(
            f'<g class="role"><title>{_e(role)} — {_e(every)}</title>'
            f'<rect x="{x - _COL_W / 2 + 6:.1f}" y="4" width="{_COL_W - 12}" height="36" rx="4" '
            'fill="#eef2f7" stroke="#8a99ad"/>'
            f'<text x="{x:.1f}" y="19" text-anchor="middle" font-weight="bold" '
            f'font-size="12">{_e(_clip(role, 24))}</text>'
            f'<text x="{x:.1f}" y="33" text-anchor="middle" font-size="10" '
            f'fill="#555">{_e(_clip(where, 30))}</text>'
            f'<line x1="{x:.1f}" y1="40" x2="{x:.1f}" y2="{height - 6}" stroke="#b8c2cf" '
            'stroke-dasharray="4 3"/></g>'
        )

    for n, e in enumerate(events, 1):
        y = _HEAD_H + _ROW_H * n
        x1, x2 = x_of(e.src.role), x_of(e.dst.role)
        colour = _STRAY_COLOUR if e.stray else _colour(e.protocol)
        dash = _STRAY_DASH if e.stray else ""
        head_fill = "#fff" if e.stray else colour
        full = _label(e, t0)
        text = _clip(full, _LABEL_MAX)
        text_x = min(x1, x2) + 6
        if x1 == x2:
            # A role talking to itself (two processes of one element): a loop.
            shape = (
                f'<path d="M{x1:.1f},{y - 6} h{_LOOP_W} v10 h{-_LOOP_W + 8}" fill="none" '
                f'stroke="{colour}" stroke-width="1.5"{dash}/>'
                f'<polygon points="{x1:.1f},{y + 4} {x1 + 8:.1f},{y} {x1 + 8:.1f},{y + 8}" '
                f'fill="{head_fill}" stroke="{colour}"/>'
            )
            text_x = x1 + _LOOP_W + 6
        else:
            back = 8 if x2 > x1 else -8
            shape = (
                f'<line x1="{x1:.1f}" y1="{y}" x2="{x2 - back:.1f}" y2="{y}" '
                f'stroke="{colour}" stroke-width="1.5"{dash}/>'
                f'<polygon points="{x2:.1f},{y} {x2 - back:.1f},{y - 4} {x2 - back:.1f},{y + 4}" '
                f'fill="{head_fill}" stroke="{colour}"/>'
            )
        width = max(width, int(text_x + len(text) * _CHAR_W + _MARGIN))
        kind = "msg stray" if e.stray else "msg"
        body.append(
            f'<g class="{kind}" id="{_e(prefix)}arrow-{n}" data-seq="{e.seq}" '
            f'data-protocol="{_e(e.protocol)}" data-stray="{str(e.stray).lower()}">'
            f"<title>#{n} {_e(full)}\n{_e(str(e.src))} → {_e(str(e.dst))}</title>"
            f"{shape}"
            f'<a href="#{_e(prefix)}msg-{n}"><text x="{text_x:.1f}" y="{y - 5}" '
            f'font-size="{_FONT_PX}" fill="{colour}" stroke="#fff" stroke-width="3" '
            f'paint-order="stroke">{_e(text)}</text></a></g>'
        )

    return (
        f'<svg class="ladder-svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="ui-monospace, Menlo, Consolas, monospace" role="img" '
        f'aria-label="message ladder, {len(events)} messages">' + "".join(body) + "</svg>"
    )


def _raw_details(n: int, e: TraceEvent, t0: float, prefix: str) -> str:
    head = (
        f"#{n} {offset_ms(e, t0)} {e.src.role} ({e.src.host}:{e.src.port}) → "
        f"{e.dst.role} ({e.dst.host}:{e.dst.port}) {e.protocol}/{e.transport}, "
        f"{len(e.raw)} bytes: {e.summary}"
    )
    return (
        f'<details class="raw" id="{_e(prefix)}msg-{n}"><summary>{_e(head)}</summary>'
        f"{render_raw(e.raw)}</details>"
    )


def render_raw(raw: bytes, *, limit: int = RAW_LIMIT) -> str:
    """Bytes as readable text when they mostly are text, else as a hex dump."""
    # The recorder masks already; masking again costs little and keeps
    # credentials out of the report even for events built some other way.
    raw = mask_secrets(raw)
    if not raw:
        return '<p class="raw-empty">(no bytes)</p>'
    shown = raw[:limit]
    note = ""
    if len(raw) > limit:
        note = (
            f'<p class="raw-cut">Showing the first {limit} of {len(raw)} bytes; '
            "the rest is in the pcap/trace.</p>"
        )
    if _mostly_text(shown):
        return f'<pre class="raw-text">{_e(_as_text(shown))}</pre>{note}'
    # A hex dump is printable ASCII by construction; only &, < and > need care.
    return f'<pre class="raw-hex">{html.escape(_hexdump(shown))}</pre>{note}'


# Bytes that read as text in any ASCII-compatible wire format.
_ASCII_TEXT = bytes(range(0x20, 0x7F)) + b"\t\r\n"
_UNREADABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def _mostly_text(data: bytes) -> bool:
    # Counted with C-level primitives: a report can hold hundreds of 64 KiB
    # messages, and a per-character Python loop made that take seconds.
    if len(data.translate(None, _ASCII_TEXT)) <= 0.1 * len(data):
        return True
    text = data.decode("utf-8", errors="replace")
    return len(_UNREADABLE.findall(text)) <= 0.1 * len(text)


# Control characters would vanish or garble in a <pre>; show them as escapes.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _show_controls(text: str) -> str:
    # A regex scan, not str.translate: most text has no control characters
    # and the scan is then nearly free, which matters for 64 KiB bodies.
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _as_text(data: bytes) -> str:
    text = data.decode("utf-8", errors="backslashreplace")
    # CRLF is the norm on these wires; showing it as plain line breaks is
    # what a reader expects, and the hex view exists for byte-exactness.
    return _show_controls(text.replace("\r\n", "\n"))


_HEX_ASCII = bytes(b if 0x20 <= b < 0x7F else 0x2E for b in range(256))


def _hexdump(data: bytes) -> str:
    return "\n".join(
        f"{off:08x}  {data[off : off + 16].hex(' '):<47}  "
        f"|{data[off : off + 16].translate(_HEX_ASCII).decode('ascii')}|"
        for off in range(0, len(data), 16)
    )


def escape(text: str) -> str:
    """HTML-escape, and make control characters visible instead of letting them
    corrupt the page (a NUL is a parse error; most others render as nothing)."""
    return html.escape(_show_controls(text), quote=True)


_e = escape
