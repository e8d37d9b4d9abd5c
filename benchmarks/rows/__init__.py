"""Benchmark rows: every module here registers one or more rows when imported.

Adding a row is adding a module: ``benchmarks/rows/<name>.py`` with a
function decorated by ``benchmarks.registry.benchmark``. Nothing else needs
to change. Module names must not start with ``test_`` (pytest must never
collect a benchmark).
"""

import importlib
import pkgutil

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")
