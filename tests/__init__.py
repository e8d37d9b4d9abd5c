"""The test tree is a package so that ``tests.support`` is importable from every test.

pytest imports test modules and conftests with --import-mode=importlib and puts
the checkout first on ``sys.path`` (``pythonpath = ["."]`` in pyproject.toml),
so ``import tests.support`` finds this checkout, not a ``tests`` package some
installed distribution may ship. The test folders themselves stay plain
folders (no ``__init__.py``): their modules keep the names pytest gives them.
"""
