"""A real run's report opened in headless Chromium: it renders, its script
runs under the page's own Content-Security-Policy, and the DOM says what
junit.xml says.

One run uses a profile that does not claim server control, so the
scenarios needing it are skipped and the page has a skip reason to show.
The other runs the prior-art baseline, which must fail the load-balance
scenarios: its page leads with those failures, and its text filter works.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import lxml.html
import pytest

pytestmark = pytest.mark.interop

PROFILE = """\
[profile]
name = "no-server-control"
description = "The reference, without the harness taking servers down."

[report_routing.pics]
server_control = false
"""

# A run is a few seconds of CPU on a shared machine: both tests use one.
_RUNS: dict[str, Path] = {}


@pytest.fixture
def chromium(require_tool: Callable[[str, str], str]) -> str:
    return require_tool("chromium", "chromium")


def _run_suite(work: Path, profile: Path, tags: str, expected_exit: int) -> Path:
    out = work / "report"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmsconf.fixtures.cli",
            "run",
            "--profile",
            str(profile),
            "--report-dir",
            str(out),
            "--tags",
            tags,
            "--",
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=work,
    )
    assert proc.returncode == expected_exit, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


@pytest.fixture
def report(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Asks for chromium first, so a machine without it skips before the run.
    if "report" not in _RUNS:
        work = tmp_path_factory.mktemp("chromium-run")
        profile = work / "no-server-control.toml"
        profile.write_text(PROFILE)
        # 0: everything that ran passed; the skips are allowed.
        _RUNS["report"] = _run_suite(work, profile, "rr_auth or needs_server_control", 0)
    return _RUNS["report"]


#: The prior-art baseline fails exactly the load-balance scenarios.
BASELINE = Path(__file__).resolve().parents[2] / "fixtures/profiles/baseline-report-routing.toml"


@pytest.fixture
def failing_report(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if "failing" not in _RUNS:
        work = tmp_path_factory.mktemp("chromium-failing-run")
        # 1: a scenario failed, which is the point of running the baseline.
        _RUNS["failing"] = _run_suite(work, BASELINE, "rr_balance or rr_auth", 1)
    return _RUNS["failing"]


def _browse(chromium: str, report: Path, *args: str, url: str | None = None) -> str:
    """Run headless Chromium with a profile of its own; return its stdout."""
    flags = [
        "--headless",
        "--no-sandbox",  # the tests may run as root, where the sandbox refuses to start
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--log-level=3",
        f"--user-data-dir={report.parent / 'chromium-profile'}",
    ]
    proc = subprocess.run(
        [chromium, *flags, *args, url or (report / "index.html").as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _junit_counts(report: Path) -> dict[str, int]:
    root = ET.parse(report / "junit.xml").getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    counts = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in suites:
        for key in counts:
            counts[key] += int(suite.get(key, "0"))
    # Cross-check the attributes against the test cases themselves.
    cases = [case for suite in suites for case in suite.iter("testcase")]
    assert len(cases) == counts["tests"]
    assert sum(1 for c in cases if c.find("skipped") is not None) == counts["skipped"]
    return counts


def test_screenshot(chromium: str, report: Path) -> None:
    # The top of the page: header, filter bar, summary and coverage table.
    # (Landing on a scenario through its #fragment gave a blank picture in
    # headless mode, so the shot stays at the top.)
    shot = report.parent / "report.png"
    _browse(chromium, report, f"--screenshot={shot}", "--window-size=1280,1600")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack("!II", data[16:24]) == (1280, 1600)
    assert len(data) > 10_000


def test_rendered_dom(chromium: str, report: Path) -> None:
    dom = _browse(chromium, report, "--virtual-time-budget=2000", "--dump-dom")
    page = lxml.html.fromstring(dom)
    junit = _junit_counts(report)
    assert junit["skipped"] >= 1 and junit["failures"] == junit["errors"] == 0
    passed = junit["tests"] - junit["skipped"]

    # The summary counts agree with junit.xml.
    summary = page.get_element_by_id("summary")

    def count(kind: str) -> int:
        (box,) = summary.xpath(f".//span[contains(@class, 'count-{kind}')]")
        shown = box.findtext("b")
        assert shown == box.get("data-count")
        return int(shown)

    assert count("passed") == passed
    assert count("skipped") == junit["skipped"]
    assert count("failed") == count("error") == 0
    assert count("total") == junit["tests"]
    sections = page.xpath("//section[contains(@class, 'scenario')]")
    assert len(sections) == junit["tests"]

    # The filter script ran: CSP let it (its hash matches) and it revealed
    # the bar it keeps hidden for readers without JavaScript.
    bar = page.get_element_by_id("filters")
    assert bar.get("hidden") is None
    assert page.get_element_by_id("filter-count").text_content() == f"{junit['tests']} shown"

    # Ladders: inline SVG with one arrow group per drawn message.
    ladders = page.xpath("//svg[contains(@class, 'ladder-svg')]")
    assert ladders
    arrows = ladders[0].xpath(".//g[contains(concat(' ', @class, ' '), ' msg ')]")
    assert arrows

    # Each skipped scenario says why, naming the unclaimed PICS.
    skipped = [s for s in sections if s.get("data-verdict") == "skipped"]
    assert len(skipped) == junit["skipped"]
    for section in skipped:
        reason = section.xpath(".//div[@class='reason']")[0].text_content()
        assert reason.startswith("Skipped:") and "server_control" in reason

    # Each scenario that ran has a trace, offered as a pcap next to it.
    for section in sections:
        if section.get("data-verdict") != "skipped":
            links = section.xpath(".//a[@class='pcap-link']/@href")
            assert len(links) == 1 and (report / links[0]).is_file()


def _shown(section: lxml.html.HtmlElement) -> bool:
    return "display: none" not in (section.get("style") or "")


def test_failures_lead_a_failing_report(chromium: str, failing_report: Path) -> None:
    dom = _browse(chromium, failing_report, "--virtual-time-budget=2000", "--dump-dom")
    page = lxml.html.fromstring(dom)
    junit = _junit_counts(failing_report)
    assert junit["failures"] == 2 and junit["errors"] == 0

    elements = list(page.iter())
    failures = page.get_element_by_id("failures")
    assert elements.index(failures) < elements.index(page.get_element_by_id("matrix"))
    assert elements.index(failures) < elements.index(page.get_element_by_id("scenarios"))
    items = failures.xpath(".//li[contains(@class, 'failure-item')]")
    assert len(items) == junit["failures"]
    for item in items:
        assert item.get("data-verdict") == "failed"
        assert "rr_balance" in item.xpath(".//*[@class='ff-clause']")[0].text_content()
        assert item.xpath(".//*[@class='ff-expected']//pre")[0].text_content().strip()
        assert item.xpath(".//*[@class='ff-seen']//pre")[0].text_content().strip()
        target = page.get_element_by_id(item.get("data-scenario"))
        assert target.get("data-verdict") == "failed"
        ladder = item.xpath(".//a[text()='ladder']")[0].get("href")[1:]
        assert page.get_element_by_id(ladder).tag == "h4"


def test_text_filter_in_the_browser(chromium: str, failing_report: Path) -> None:
    page_url = (failing_report / "index.html").as_uri()

    def filtered(query: str) -> lxml.html.HtmlElement:
        url = f"{page_url}?q={query}"
        dom = _browse(chromium, failing_report, "--virtual-time-budget=2000", "--dump-dom", url=url)
        return lxml.html.fromstring(dom)

    page = filtered("rr_auth")
    sections = page.xpath("//section[contains(@class, 'scenario')]")
    shown = [s for s in sections if _shown(s)]
    assert len(sections) == 6 and len(shown) == 4
    assert all("@rr_auth" in s.get("data-text") for s in shown)
    assert all(s.get("data-verdict") == "passed" for s in shown)
    assert page.get_element_by_id("filter-count").text_content() == "4 shown"

    # Words in any order, against the name and the failure's reason.
    page = filtered("evenly%20SPREADS")
    shown = [s for s in page.xpath("//section[contains(@class, 'scenario')]") if _shown(s)]
    assert [s.get("data-verdict") for s in shown] == ["failed"]
    assert page.get_element_by_id("filter-count").text_content() == "1 shown"
