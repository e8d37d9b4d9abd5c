"""mmsconf benchmarks: each row measures a figure and its baseline in the same run.

Run them with ``python -m benchmarks`` from the repository root (or ``tox -e
bench``). A row is one module in ``benchmarks/rows/`` that registers a
function with :func:`benchmarks.registry.benchmark`; see README.md.
"""
