"""The Hypothesis profiles the property tests run under, and the seed of a random run.

Profiles (pick with HYPOTHESIS_PROFILE, default "default"):

* ``default`` - 200 examples a property, derandomized (the same cases every
  run, so CI is reproducible), no deadline. ``tox -e tests`` runs this.
* ``fuzz`` - 10 000 examples a property, random; the seed (MMSCONF_FUZZ_SEED,
  else drawn) is printed in the header and the summary (rerun with
  ``--hypothesis-seed=N``). ``tox -e fuzz``.

Importing this module registers both profiles and loads the chosen one;
``tests/property/conftest.py`` does, and calls ``choose_seed`` from its
``pytest_configure`` and ``profile_line`` for the header and the summary.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable

import hypothesis.core
import pytest
from hypothesis import HealthCheck, settings

_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "default",
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=_HEALTH,
)
settings.register_profile(
    "fuzz",
    max_examples=10_000,
    deadline=None,
    derandomize=False,
    database=None,
    print_blob=True,
    suppress_health_check=_HEALTH,
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
settings.load_profile(PROFILE)


def choose_seed(config: pytest.Config) -> None:
    """Random profiles get a seed chosen here, so the run can be repeated exactly."""
    seed = config.getoption("hypothesis_seed", default=None)
    if seed is None and not settings.default.derandomize:
        seed = os.environ.get("MMSCONF_FUZZ_SEED") or str(random.SystemRandom().randrange(2**32))
        # Read by Hypothesis' own pytest_configure, which runs after ours when
        # the calling conftest is an initial one (``pytest tests/property``).
        config.option.hypothesis_seed = seed


def profile_line(targets: Iterable[object]) -> str:
    """The profile, its size, the seed and the codec targets, in one line."""
    s = settings.default
    # The seed Hypothesis really uses: ours is too late when the conftest is
    # only found during collection (``pytest tests``).
    seed = getattr(hypothesis.core, "global_force_seed", None)
    how = (
        "derandomized"
        if s.derandomize
        else f"seed {seed} (rerun: --hypothesis-seed={seed})"
        if seed is not None
        else "random seed"
    )
    return (
        f"hypothesis profile {settings.get_current_profile_name()!r}: "
        f"max_examples={s.max_examples}, deadline={s.deadline}, {how}; "
        f"codec targets: {', '.join(map(str, targets))}"
    )
