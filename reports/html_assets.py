"""The report page's stylesheet and script, kept apart from the markup.

Both are inlined into the page. The script is allowed by its SHA-256 in the
page's Content-Security-Policy, so any change here changes the hash; the
page computes it, nothing else needs updating.
"""

from __future__ import annotations

import base64
import hashlib

CSS = """
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
#failures ol{list-style:none;padding:0;margin:0}
li.failure-item{border:1px solid #d5dbe3;border-left:5px solid var(--v);border-radius:4px;
margin:8px 0;padding:6px 10px;background:var(--vbg)}
li.failure-item .name{font-weight:600}
li.failure-item pre{max-height:160px;background:#fff}
.jump a{margin-right:10px}
#filters{position:sticky;top:0;background:#fff;border-bottom:1px solid #d5dbe3;padding:6px 0;
z-index:1;display:flex;gap:14px;align-items:center;flex-wrap:wrap}
#filters[hidden]{display:none}
#filter-text{min-width:260px}
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
.evidence{border:1px solid #e1e5ea;border-radius:4px;padding:2px 10px 8px;margin:8px 0}
.evidence figure{margin:8px 0}.evidence figcaption{font-weight:600;font-size:13px}
table.messages td{font-size:12px}
tr.stray td{background:#fff8e1}tr.missing td{color:#8a5a00}
.stray-flag{display:inline-block;background:#8a5a00;color:#fff;border-radius:3px;padding:0 4px;
font-size:11px;font-weight:600;text-transform:uppercase}
.ladder{overflow-x:auto}.ladder-svg{display:block;margin:6px 0}
.ladder-svg a text{text-decoration:underline}
details.raw{margin:2px 0}details.raw>summary{font-family:ui-monospace,Menlo,Consolas,monospace;
font-size:12px;cursor:pointer;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
details.raw:target>summary{background:#fff59d}
.ladder-more,.raw-cut,.rows-more,.chart-more{color:#8a5a00;font-style:italic}
.empty-run{font-weight:600;color:#8a5a00}
"""

# Filtering runs in the reader's browser only; with JavaScript off the bar
# stays hidden and every scenario shows.
JS = """
(function () {
  var bar = document.getElementById('filters');
  if (!bar) return;
  bar.hidden = false;
  var text = document.getElementById('filter-text');
  // index.html?q=words opens the page already filtered: a link to "the
  // rr_auth scenarios of this run" can be shared.
  var q = new URLSearchParams(location.search).get('q');
  if (text && q) text.value = q;
  function apply() {
    var on = {};
    bar.querySelectorAll('input[data-verdict]').forEach(function (box) {
      on[box.getAttribute('data-verdict')] = box.checked;
    });
    var area = bar.querySelector('select').value;
    // Every word typed must occur in the scenario's name, tags, clauses or
    // reason (the data-text attribute), in any order.
    var words = text ? text.value.toLowerCase().split(/\\s+/).filter(Boolean) : [];
    var shown = 0;
    document.querySelectorAll('.scenario').forEach(function (el) {
      var hay = el.getAttribute('data-text') || '';
      var show = on[el.getAttribute('data-verdict')] !== false &&
        (area === '' || el.getAttribute('data-area') === area) &&
        words.every(function (w) { return hay.indexOf(w) !== -1; });
      el.style.display = show ? '' : 'none';
      if (show) shown++;
    });
    document.getElementById('filter-count').textContent = shown + ' shown';
  }
  bar.addEventListener('change', apply);
  bar.addEventListener('input', apply);
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


def sha256_b64(text: str) -> str:
    """The digest a CSP ``'sha256-...'`` source names."""
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
