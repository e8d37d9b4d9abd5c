"""Helpers the tests import: runners, targets, builders. No tests, no fixtures.

Conftests hold fixtures and hooks only and take what they hand out from here;
test modules import from here directly (``from tests.support.hostile import Case``).

* ``hostile/`` - hostile inputs over real sockets: the runner (``wire``), the
  HTTP framing battery (``http``), MM7 answers and the network (``mm7``).
  A new protocol's battery: one module there (see its docstring).
* ``codec_target`` - a codec as the generic fuzz properties see it, and the
  generic byte mutators.
* ``targets/`` - one module per codec exposing ``TARGETS``, found by
  ``all_targets()``. A new codec's fuzz target: one module there.
* ``strategies/`` - Hypothesis strategies and codec-aware mutators per codec.
* ``hypothesis_profiles`` - the ``default`` and ``fuzz`` profiles, the seed.
* ``reports`` - a hand-built sample run for the report writers.
* ``mutants`` - the mutant harness: load an area's mutants, run the suite
  against each, require the first failure to name the clause it breaks.
"""
