"""The mutant harness: run the suite against deliberately broken implementations.

Each area's folder under tests/mutants/ holds a mutant module (``xx_mutants.py``:
a pytest plugin registering the broken elements, with ``MUTANTS``: name -> the
clause it breaks, alone or as ``(what, clause)`` or ``(what, clause, tags)``),
a conftest that parametrizes ``mutant`` over it (``parametrize_mutants``), and
a test that writes a profile naming the mutant (``profile``), runs the suite
against it in a subprocess (``run_suite_against``) and requires the first
failure to be a FAIL naming the clause, in the scenario meant to catch it
(``assert_caught``). Only the mutants and which scenario catches which are
per area.

The mutant modules are loaded by path (``load``): test folders are not
packages (importlib mode); the suite's own run imports them by name through
``-p``, with their folder on PYTHONPATH.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

SEED = 3


@dataclass(frozen=True)
class Mutant:
    name: str
    #: the clause it breaks: the first failure must name it
    clause: str
    #: the ``--tags`` expression selecting the scenarios run against it
    tags: str


def load(folder: Path, module: str) -> ModuleType:
    """The mutant module ``folder/module.py``, loaded once by path."""
    if module in sys.modules:
        return sys.modules[module]
    spec = importlib.util.spec_from_file_location(module, folder / f"{module}.py")
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[module] = loaded
    spec.loader.exec_module(loaded)
    return loaded


def mutants(module: ModuleType) -> list[Mutant]:
    """``module.MUTANTS`` as Mutants: the tags are the clause unless the entry names them."""
    out = []
    for name, entry in module.MUTANTS.items():
        if isinstance(entry, str):
            out.append(Mutant(name, entry, entry))
        else:
            clause = entry[1]
            out.append(Mutant(name, clause, entry[2] if len(entry) > 2 else clause))
    return out


def parametrize_mutants(folder: Path, module: str) -> Callable[[pytest.Metafunc], None]:
    """A conftest's ``pytest_generate_tests``: ``mutant`` -> each Mutant of the module,
    for the tests of ``folder`` only (a parent folder's conftest hooks run here too)."""

    def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
        if "mutant" in metafunc.fixturenames and metafunc.definition.path.parent == folder:
            table = mutants(load(folder, module))
            metafunc.parametrize("mutant", table, ids=[m.name for m in table])

    return pytest_generate_tests


def profile(name: str, area: str, role: str, pixit: Mapping[str, int]) -> str:
    """A profile embedding the element ``name`` as the area's ``role``, with these PIXITs.

    Failing waits are the slow part of a failing run: the areas shorten their timers
    here, which keeps the tests quick and changes no verdict (the reference meets them).
    """
    head = f'[profile]\nname = "{name}"\n[{area}]\n{role} = "{name}"\n[{area}.pixit]\n'
    return head + "".join(f"{key} = {value}\n" for key, value in pixit.items())


def failures(report_dir: Path) -> dict[str, str]:
    """Failed scenario -> the clause its failure names (errors come back as 'ERROR')."""
    out = {}
    for case in ET.parse(report_dir / "junit.xml").getroot().iter("testcase"):
        for child in case:
            if child.tag == "error":
                out[case.get("name", "")] = "ERROR"
            if child.tag == "failure":
                clause = next(
                    (
                        line.split(":", 1)[1].strip()
                        for line in (child.text or "").splitlines()
                        if line.startswith("clause:")
                    ),
                    "",
                )
                out[case.get("name", "")] = clause
    return out


def run_suite_against(
    plugin_dir: Path,
    plugin_module: str,
    profile_text: str,
    tags: str,
    workdir: Path,
    *,
    area: str | None = None,
    seed: int = SEED,
    extra_pytest_args: Sequence[str] = ("-x",),
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run the suite embedded against the profile, only the scenarios ``tags`` selects
    (and ``area``'s, if given), with ``-p plugin_module`` from ``plugin_dir`` registering
    the mutants. The profile and the report go in ``workdir``. By default the run stops
    at the first failure: that is the verdict that matters.
    """
    profile_path = workdir / "p.toml"
    profile_path.write_text(profile_text, encoding="utf-8")
    report_dir = workdir / "r"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin_dir), *sys.path])}
    run = subprocess.run(
        [
            sys.executable, "-m", "mmsconf.fixtures.cli", "run", "--profile", str(profile_path),
            *(["--area", area] if area else []), "--tags", tags,
            "--report-dir", str(report_dir), "--seed", str(seed),
            "--", "-q", "-p", plugin_module, *extra_pytest_args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )  # fmt: skip
    return run, failures(report_dir)


def assert_caught(
    mutant: Mutant,
    run: subprocess.CompletedProcess[str],
    failed: dict[str, str],
    caught_by: str,
) -> None:
    """The run failed (a FAIL, not an ERROR) in one scenario, the one starting with
    ``caught_by``, and that failure names the mutant's clause."""
    assert run.returncode == 1, (run.returncode, failed, run.stdout[-2000:], run.stderr[-2000:])
    assert "ERROR" not in failed.values(), failed
    caught = [scenario for scenario, named in failed.items() if named == mutant.clause]
    assert caught, f"{mutant.name} breaks {mutant.clause}; no scenario failed naming it: {failed}"
    assert len(failed) == 1 and caught[0].startswith(caught_by), failed
