"""The area registry: what it holds, what it refuses, and the entry-point group."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

import mmsconf.fixtures.areas as registry
from mmsconf.fixtures.areas import Area, AreaError, Role, area, areas, clause_table, register
from mmsconf.fixtures.profile import load_profile
from mmsconf.reports.model import Clause

BUILTIN = [
    "gateway_selection",
    "report_routing",
    "disaster_recovery",
    "mm4_pool",
    "bearer_choice",
    "wire",
]


@pytest.fixture
def scratch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registrations in a test go into a copy of the registry, dropped afterwards."""
    areas()
    monkeypatch.setattr(registry, "_registry", dict(registry._registry))


async def _start(*_args: object) -> object:
    raise AssertionError("never started here")


def test_the_builtin_areas_come_first_in_their_order() -> None:
    assert [a.name for a in areas()][: len(BUILTIN)] == BUILTIN
    built = {a.name for a in areas() if a.built}
    assert "report_routing" in built
    for name in BUILTIN:
        a = area(name)
        # Not built yet: clauses only, so the report's matrix shows them as holes.
        assert a.built or (a.section is None and a.step_module is None and a.clauses)
    ids = [c.id for c in registry.clauses()]
    # 32 from the seeds, rr_mo, rr_cancel, rr_replace (MM7 operations the farm passes on),
    # and wire's one clause.
    assert len(ids) == len(set(ids)) == 36


def test_an_unknown_area_is_named_with_the_known_ones() -> None:
    with pytest.raises(AreaError, match="unknown area 'nope'; areas are gateway_selection, "):
        area("nope")


def test_register_refuses_what_would_be_ambiguous(scratch: None) -> None:
    mine = Area(
        "mine",
        "Mine",
        clause_table("mine", [("mine_one", "r", "o")]),
        roles=(Role("mine-role", "d", _start),),
    )
    assert register(mine) is mine and register(mine) is mine  # the same object again: a no-op
    assert areas()[-1] is mine
    with pytest.raises(AreaError, match="area mine is registered twice"):
        register(Area("mine", "Other", ()))
    with pytest.raises(AreaError, match=r"clause ids already used: rr_auth \(in report_routing\)"):
        register(Area("theirs", "T", clause_table("theirs", [("rr_auth", "r", "o")])))
    with pytest.raises(AreaError, match=r"role names already used: sp \(in report_routing\)"):
        register(Area("theirs", "T", (), roles=(Role("sp", "d", _start),)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "my-area"}, "not a usable tag"),
        ({"clauses": (Clause("elsewhere", "x1", "r"),)}, r"clauses \['x1'\] belong to another"),
        ({"defaults": Path("d.toml")}, "defaults without a profile section"),
    ],
)
def test_an_area_must_be_well_formed(kwargs: dict, message: str) -> None:
    fields = {"name": "mine", "title": "Mine", "clauses": (), **kwargs}
    with pytest.raises(AreaError, match=message):
        Area(**fields)


def test_an_area_from_the_entry_point_group_is_registered(
    scratch: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An installed distribution names its Area (or a module registering one) in
    the group ``mmsconf.areas``; the registry loads the group once, after the built-ins."""
    import types

    module = types.ModuleType("third_party_area")
    module.AREA = Area("third", "Third", clause_table("third", [("third_one", "r", "o")]))
    monkeypatch.setitem(__import__("sys").modules, "third_party_area", module)
    point = EntryPoint("third", "third_party_area:AREA", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(
        registry, "entry_points", lambda group: [point] if group == point.group else []
    )
    monkeypatch.setattr(registry, "_state", "unloaded")
    assert [a.name for a in areas()][-1] == "third"
    assert "third_one" in {c.id for c in registry.clauses()}


def test_a_broken_entry_point_is_named(scratch: None, monkeypatch: pytest.MonkeyPatch) -> None:
    point = EntryPoint("gone", "no_such_module_here:AREA", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [point])
    monkeypatch.setattr(registry, "_state", "unloaded")
    with pytest.raises(AreaError, match=r"entry point gone \(no_such_module_here:AREA\)"):
        areas()


def test_an_area_with_a_section_gets_its_defaults_from_its_own_file(
    scratch: None, tmp_path: Path
) -> None:
    from mmsconf.fixtures.profile_types import Millis, Section

    class MineSection(Section):
        tick_ms: Millis

    defaults = tmp_path / "defaults.toml"
    defaults.write_text("[mine]\n# How often it ticks.\ntick_ms = 250\n")
    register(Area("mine", "Mine", (), section=MineSection, defaults=defaults))
    assert load_profile().section("mine").tick_ms == 250
    user = tmp_path / "p.toml"
    user.write_text("[mine]\ntick_ms = 0\n")
    with pytest.raises(ValueError, match=r"p\.toml: mine\.tick_ms: expected a positive"):
        load_profile(user)
