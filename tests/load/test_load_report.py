"""The load section of the HTML report: Locust's figures and the exactly-once result,
with charts, in the same page as the conformance report."""

from __future__ import annotations

import re
from pathlib import Path

from mmsconf.fixtures.load.check import exactly_once, read_stats
from mmsconf.reports.html import render_html
from mmsconf.reports.model import LoadRequests, LoadResult, RunResult

CSV = """Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,\
Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,\
90%,95%,98%,99%,99.9%,99.99%,100%
POST,SubmitReq group,41,0,35,34.1,22,51,700,43.96,0.0,35,38,39,39,46,47,51,51,51,51,51
POST,SubmitReq single,159,2,30,31.0,19,53,700,170.48,0.1,30,34,38,38,42,47,50,51,53,53,53
,Aggregated,200,2,32,31.6,19,53,700,214.44,0.1,32,35,38,39,43,47,51,52,53,53,53
"""


def _load(**kw: object) -> LoadResult:
    base = dict(
        mode="--processes 2",
        run_tag="L0011aabb",
        users=8,
        workers=2,
        requests=[
            LoadRequests("SubmitReq single", 159, 2, 170.48, 30, 47, 51, 53),
            LoadRequests("Aggregated", 200, 2, 214.44, 32, 47, 52, 53),
        ],
        accepted=198,
        expected=280,
        final_once=278,
        lost=1,
        duplicated=1,
        rate_target=250.0,
    )
    base.update(kw)
    return LoadResult(**base)  # type: ignore[arg-type]


def _page(load: LoadResult) -> str:
    run = RunResult(1e9, 1e9 + 5, "load-profile", None, 7, [], [], load=load)
    return render_html(run)


def test_the_section_has_the_figures_and_the_charts() -> None:
    page = _page(_load(verdict="failed"))
    section = page[page.index('<section id="load"') :]
    section = section[: section.index("</section>")]
    assert "278 reached exactly one final state, 1 lost, 1 duplicated" in section
    assert section.count("<svg") == 3  # percentiles, rate per name, the exactly-once bars
    for figure in ("214.4", ">32<", ">47<", ">52<"):  # rate, p50, p95, p99 in the table
        assert figure in section
    assert 'data-key="p99" data-value="52"' in section
    assert 'data-key="lost" data-value="1"' in section
    assert "target 250" in section  # the asked rate, drawn as the reference line
    assert 'class="verdict-failed"' in section
    # A load run is not an empty conformance run: no empty counts, matrix or list.
    assert "No scenario ran" not in page and 'id="scenarios"' not in page


def test_not_checked_is_said_not_shown_as_zero() -> None:
    page = _page(_load(checked=False, lost=0, duplicated=0, final_once=0))
    assert "exactly-once not checked" in page
    assert "what became of each accepted recipient" not in page


def test_locust_csv_and_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "locust_stats.csv"
    path.write_text(CSV, encoding="utf-8")
    rows = read_stats(path)
    assert [r.name for r in rows] == ["SubmitReq group", "SubmitReq single", "Aggregated"]
    total = rows[-1]
    assert (total.requests, total.failures, total.rate) == (200, 2, 214.44)
    assert (total.p50_ms, total.p95_ms, total.p99_ms) == (32, 47, 52)
    results = {
        "workers": {
            "0": {"accepted": [["m1", ["a", "b"]], ["m2", ["c"]]], "refused": [["m3", ["d"]]]},
            "1": {"accepted": [["m4", ["e"]]], "unanswered": [["m5", ["f"]]]},
        }
    }
    finals = {"m1": {"a": 1, "b": 2}, "m4": {"e": 1}, "m5": {"f": 1}}
    check = exactly_once(results, finals)
    assert (check.accepted, check.expected, check.final_once) == (3, 4, 2)
    assert (check.lost, check.duplicated, check.unexpected) == (1, 1, 1)
    assert (check.refused, check.unanswered) == (1, 1)
    assert check.examples["lost"] == ["m2 to c"]
    assert re.match(r"m1 to b: 2 final reports", check.examples["duplicated"][0])
