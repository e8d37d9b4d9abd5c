"""``python -m benchmarks``: run every registered benchmark row (see cli.py)."""

import sys

from benchmarks.cli import main

sys.exit(main())
