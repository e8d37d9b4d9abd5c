"""Names and ids for a run's scenarios that every report format agrees on.

Both are derived from what the feature file says (its path under the
features root, the scenario's name, an outline row's values), never from
where the suite is installed: under tox the pytest node id carries a
site-packages path, which made ids and pcap names up to 199 characters long
and different on every machine.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import PurePosixPath

from .model import ScenarioResult

#: Longest id: it names a pcap file and an anchor, and a reader types it into a
#: shell or a chat. Long ids are cut and given a digest of the whole.
MAX_ID = 80
_DIGEST_LEN = 8
# An outline row's values stay readable in a cut id up to this many characters.
_EXAMPLE_KEEP = 24


def display_names(scenarios: Sequence[ScenarioResult]) -> list[str]:
    """Each scenario's display name, unique within the run.

    Outline rows differ by their example values already; a name that still
    repeats (two rows with the same values, one name in two feature files)
    gets ``(2)``, ``(3)`` in run order, because JUnit and Cucumber consumers
    key test cases on the name and would merge them.
    """
    names: list[str] = []
    used: set[str] = set()
    for s in scenarios:
        base = s.display_name
        name, n = base, 2
        while name in used:
            name, n = f"{base} ({n})", n + 1
        used.add(name)
        names.append(name)
    return names


def scenario_ids(scenarios: Sequence[ScenarioResult], prefix: str = "") -> list[str]:
    """A short, stable id per scenario: ``<prefix><feature path>-<name>[-<example values>]``.

    Slugged, at most ``MAX_ID`` characters with the prefix, unique within the
    run. The same scenario gets the same id on every machine and every run (a
    cut id ends in a digest of the uncut one), so links to a report section
    or a pcap keep working when the suite is installed elsewhere.
    """
    limit = MAX_ID - len(prefix)
    ids: list[str] = []
    used: set[str] = set()
    for s in scenarios:
        head = "-".join(p for p in (_feature_path(s.feature_file), slug(s.name)) if p)
        example = slug("-".join(s.example.values()))
        sid, n = _fit(head, example, limit), 1
        while sid in used:
            # Twins (one name in one file, or two rows of the same values)
            # are numbered in run order; the number joins the kept tail.
            n += 1
            sid = _fit(head, "-".join(p for p in (example, str(n)) if p), limit)
        used.add(sid)
        ids.append(prefix + sid)
    return ids


def short_nodeid(nodeid: str) -> str:
    """The node id without its folders: ``test_conformance.py::test_x[row]``.

    Enough to rerun one scenario with ``-k``, and free of the install path.
    """
    path, sep, rest = nodeid.partition("::")
    return f"{PurePosixPath(path.replace(chr(92), '/')).name}{sep}{rest}"


def slug(text: str) -> str:
    """Lower case; every run of anything but letters and digits becomes one dash."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _feature_path(feature_file: str) -> str:
    path = PurePosixPath(feature_file.replace("\\", "/"))
    parts = [p for p in path.with_suffix("").parts if p not in ("/", "..", ".")]
    if path.is_absolute() or ".." in path.parts:
        # Not relative to a features root (a user's folder given as an
        # absolute path): its folder and file name are what identify it.
        parts = parts[-2:]
    return slug("-".join(parts))


def _fit(head: str, tail: str, limit: int) -> str:
    full = "-".join(p for p in (head, tail) if p) or "scenario"
    if len(full) <= limit:
        return full
    digest = hashlib.blake2s(full.encode(), digest_size=_DIGEST_LEN // 2).hexdigest()
    # The row's values are what tell outline rows apart to a reader, so they
    # survive the cut; the name gives way first.
    tail = tail[-_EXAMPLE_KEEP:].strip("-")
    room = limit - len(digest) - 1 - (len(tail) + 1 if tail else 0)
    head = head[:room].rstrip("-")
    return "-".join(p for p in (head, tail, digest) if p)
