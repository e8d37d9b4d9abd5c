"""Hypothesis strategies per codec: valid messages, junk, and codec-aware mutators.

One module per codec or area (``mm7``, ``mime``, ``mm1``, ``bearer_choice``), named after
it. The fuzz targets in ``tests/support/targets/`` and the codec-specific property tests
draw from them.
"""
