"""The vendor path, over and over: the out-of-process reference and baseline farms,
each one long-running process, judged 20 times in a row with a CPU hog beside
them, must give exactly the expected verdicts every time.

Slow (about 15 minutes on two cores): deselected unless asked, ``pytest -m slow``.
``MMSCONF_VENDOR_RUNS`` changes the count; each run's line is printed (-s).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

RUNS = int(os.environ.get("MMSCONF_VENDOR_RUNS", "20"))
SCENARIOS = 28
EVENNESS = "A group message whose numbers share their last two digits spreads evenly over the farm"
SCALE_OUT = "A server added while running takes submissions at once and its reports route correctly"
EXPECTED_FAILURES = {
    "mmsg-farm": {},
    "mmsg-farm-baseline": {EVENNESS: "rr_balance", SCALE_OUT: "rr_balance"},
}


@pytest.mark.slow
def test_reference_and_baseline_out_of_process_give_the_same_verdicts_every_time(
    tmp_path: Path, emulate, vendor
) -> None:
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    lines: list[str] = []
    wrong: list[str] = []
    try:
        profiles = {}
        for role in EXPECTED_FAILURES:
            profiles[role] = vendor.write_profile(
                tmp_path / f"{role}.toml", farm_port=vendor.farm_port(), control=True
            )
            emulate(role, profiles[role])
        for n in range(1, RUNS + 1):
            for role, failures in EXPECTED_FAILURES.items():
                started = time.monotonic()
                result, table = vendor.run_suite(
                    profiles[role], tmp_path / f"{role}-{n}", seed=1000 + n
                )
                failed = {k: c for k, (v, c) in table.items() if v == "failed"}
                others = {v for k, (v, _c) in table.items() if k not in failed}
                ok = failed == failures and others == {"passed"} and len(table) == SCENARIOS
                line = (
                    f"run {n:2d} {role:18} exit {result.returncode} "
                    f"{len(table) - len(failed)} passed, {len(failed)} failed "
                    f"{sorted(set(failed.values()))} {time.monotonic() - started:5.1f} s"
                    f"{'' if ok else '  <-- UNEXPECTED ' + str(table)}"
                )
                print(line, flush=True)
                lines.append(line)
                if not ok:
                    wrong.append(line)
    finally:
        hog.kill()
        hog.wait(timeout=10)
        (Path(os.environ.get("MMSCONF_VENDOR_LOG", tmp_path / "loop.log"))).write_text(
            "\n".join(lines) + "\n"
        )
    assert not wrong, "\n".join(wrong)
