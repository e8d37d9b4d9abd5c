"""What each shipped area promises: its setup phrase is a step of its module,
its defaults document every key, its feature files use its clauses; and the
harness's modules stay small."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from mmsconf.fixtures.areas import areas
from mmsconf.fixtures.cli import features_dir

FIXTURES = Path(importlib.import_module("mmsconf.fixtures").__path__[0])
BUILT = [a for a in areas() if a.built and a.name != "toy"]


def test_only_report_routing_is_built_yet() -> None:
    # Areas are being built one by one (issues 11-14): report_routing first, then any of these.
    later = {"gateway_selection", "disaster_recovery", "mm4_pool", "bearer_choice"}
    names = [a.name for a in BUILT]
    assert "report_routing" in names and set(names) <= {"report_routing", *later}


@pytest.mark.parametrize("area", BUILT, ids=lambda a: a.name)
def test_the_setup_phrase_is_a_given_step_of_the_areas_module(area) -> None:
    from pytest_bdd.steps import step_function_context_registry

    importlib.import_module(area.step_module)
    givens = [
        c
        for c in step_function_context_registry.values()
        if c.type == "given" and c.step_func.__module__ == area.step_module
    ]
    assert any(c.parser.is_matching(area.setup_step) for c in givens)


def _leaves(model: type[BaseModel], prefix: str = "") -> set[str]:
    out = set()
    for name, info in model.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            out |= _leaves(kind, f"{prefix}{name}.")
        else:
            out.add(prefix + name)
    return out


@pytest.mark.parametrize("area", BUILT, ids=lambda a: a.name)
def test_the_defaults_document_every_key(area) -> None:
    text = area.defaults.read_text(encoding="utf-8")
    data = tomllib.loads(text)[area.name]
    area.section.model_validate(data)
    # Every field of the section has its default there (the models have none of their own).
    assert _leaves(area.section) <= set(_flatten(data))
    # Every key line is explained: by a comment on it, or one heading its block
    # (a blank line ends a block; a table header does not).
    explained = False
    for line in (x.strip() for x in text.splitlines()):
        if not line:
            explained = False
        elif line.startswith("#"):
            explained = True
        elif not line.startswith("["):
            assert explained or "#" in line, f"{area.defaults}: no comment for {line!r}"


def _flatten(data: dict, prefix: str = "") -> set[str]:
    """Every key path in ``data``, tables included."""
    out = set()
    for key, value in data.items():
        out.add(prefix + key)
        if isinstance(value, dict):
            out |= _flatten(value, f"{prefix}{key}.")
    return out


def test_feature_files_tag_registered_areas_and_their_clauses() -> None:
    by_area = {a.name: {c.id for c in a.clauses} for a in areas()}
    for path in features_dir().rglob("*.feature"):
        tags = set(re.findall(r"(?<!\S)@(\w+)", path.read_text(encoding="utf-8")))
        [area] = [t for t in tags if t in by_area]
        clause_like = {t for t in tags if re.match(r"[a-z]{2}_", t) and t != area}
        assert clause_like <= by_area[area], (path, clause_like - by_area[area])


def test_no_harness_module_is_over_600_lines() -> None:
    """Small modules; the clause tables are data and do not count."""
    sizes = {
        p.relative_to(FIXTURES): len(p.read_text(encoding="utf-8").splitlines())
        for p in FIXTURES.rglob("*.py")
        if p.name != "clauses.py"
    }
    assert sizes and max(sizes.values()) <= 600, {p: n for p, n in sizes.items() if n > 600}
