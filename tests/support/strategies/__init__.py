"""Hypothesis strategies per codec: valid messages, junk, and codec-aware mutators.

One module per codec (``mm7``, ``mime``), named after it. The fuzz targets in
``tests/support/targets/`` and the codec-specific property tests draw from them.
"""
