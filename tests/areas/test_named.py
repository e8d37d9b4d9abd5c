"""The per-area registries of embeddable implementations share one behaviour."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mmsconf.fixtures.areas.named import EXTERNAL, Named


@dataclass(frozen=True)
class Relay:
    name: str
    description: str
    speed: int = 1


def test_names_in_order_with_external_last() -> None:
    relays: Named[Relay] = Named("relay")
    relays.add(Relay("reference", "the reference"))
    relays.add(Relay("baseline", "the prior art"))
    assert relays.names() == ["reference", "baseline", EXTERNAL]
    assert relays.get("baseline").description == "the prior art"


def test_the_same_again_is_a_no_op_and_a_different_one_is_refused() -> None:
    relays: Named[Relay] = Named("relay")
    relays.add(Relay("mutant", "slow"))
    relays.add(Relay("mutant", "slow"))
    with pytest.raises(ValueError, match=r"relay 'mutant' is already registered \(slow\)"):
        relays.add(Relay("mutant", "slow", speed=2))


def test_external_is_never_registered_and_unknown_names_list_the_known() -> None:
    relays: Named[Relay] = Named("relay")
    with pytest.raises(ValueError, match="names the SUT's own relay"):
        relays.add(Relay(EXTERNAL, "no"))
    relays.add(Relay("reference", "the reference"))
    with pytest.raises(ValueError, match="unknown relay 'x'; known: reference, external"):
        relays.get("x")
