"""Write a run's report files side by side: the page, Cucumber JSON, JUnit XML."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .cucumber import to_cucumber
from .html import render_html
from .junit import to_junit
from .model import RunResult


def write_report(run: RunResult, out_dir: Path) -> dict[str, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
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
    for path, data in files.values():
        _write_atomic(path, data)
    return {kind: path for kind, (path, _) in files.items()}


def _write_atomic(path: Path, data: bytes) -> None:
    # A CI job that archives the directory while a run is being killed
    # should find the old file or the new one, never half of one.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        # mkstemp makes the file owner-only; a report is meant to be shared.
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _utf8(text: str) -> bytes:
    # Text decoded with surrogateescape somewhere upstream (a summary of
    # undecodable wire bytes) must not cost the whole report.
    return text.encode("utf-8", errors="backslashreplace")
