"""Helpers the tests import: runners, targets, builders. No tests, no fixtures.

Conftests hold fixtures only and take what they hand out from here; test
modules import from here directly (``from tests.support.hostile import Case``).
Each module's docstring says what it is for.
"""
