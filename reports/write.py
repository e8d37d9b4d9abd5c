"""Write a run's report files side by side: the page, Cucumber JSON, JUnit XML,
and a pcap per scenario that has a trace."""

from __future__ import annotations

import json
from pathlib import Path

from .cucumber import to_cucumber
from .files import write_atomic
from .html import render_html, scenario_ids
from .junit import to_junit
from .model import RunResult
from .pcap import pcap_bytes

#: The pcaps' folder inside the report folder.
PCAP_DIR = "pcap"


def write_report(run: RunResult, out_dir: Path) -> dict[str, Path | list[Path]]:
    """Write the report into ``out_dir``; return the paths by kind.

    All three files are written even for a run with no scenario (a CI step
    that archives them must not fail on a missing file). ``"pcaps"`` lists
    one file per scenario with a non-empty trace, named after the scenario's
    id on the page (``pcap/sc-<id>.pcap``, see ``html.scenario_ids``). Each such
    scenario's ``pcap`` is set to that relative path.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pcap_dir = out_dir / PCAP_DIR
    # The pcaps come first: the page and the JUnit file link to them.
    pcaps: list[tuple[Path, bytes]] = []
    for scenario, sid in zip(run.scenarios, scenario_ids(run.scenarios), strict=True):
        if not scenario.trace:
            scenario.pcap = None
            continue
        try:
            data, _ = pcap_bytes(scenario.trace)
        except Exception as err:
            # The pcap only restates the trace the page already shows; a
            # trace it cannot encode must not cost the run its verdicts.
            scenario.pcap = None
            scenario.log.append(f"pcap not written: {type(err).__name__}: {err}")
            continue
        scenario.pcap = f"{PCAP_DIR}/{sid}.pcap"
        pcaps.append((out_dir / scenario.pcap, data))
    files = {
        "html": (out_dir / "index.html", _utf8(render_html(run))),
        "cucumber": (
            out_dir / "cucumber.json",
            _utf8(json.dumps(to_cucumber(run), indent=2, ensure_ascii=False)),
        ),
        "junit": (out_dir / "junit.xml", to_junit(run)),
    }
    # Everything is rendered before anything is written, so a renderer bug
    # leaves the previous report intact instead of a mix of old and new.
    if pcaps:
        pcap_dir.mkdir(exist_ok=True)
    for path, data in pcaps:
        write_atomic(path, data)
    _remove_stale_pcaps(pcap_dir, {path for path, _ in pcaps})
    for path, data in files.values():
        write_atomic(path, data)
    written: dict[str, Path | list[Path]] = {kind: path for kind, (path, _) in files.items()}
    written["pcaps"] = [path for path, _ in pcaps]
    return written


def _remove_stale_pcaps(pcap_dir: Path, keep: set[Path]) -> None:
    # A report folder reused across runs must not offer the pcap of a
    # scenario this run did not have: someone would open it as evidence.
    if not pcap_dir.is_dir():
        return
    for old in pcap_dir.glob("*.pcap"):
        if old not in keep:
            old.unlink(missing_ok=True)


def _utf8(text: str) -> bytes:
    # Text decoded with surrogateescape somewhere upstream (a summary of
    # undecodable wire bytes) must not cost the whole report.
    return text.encode("utf-8", errors="backslashreplace")
