"""``mmsconf emulate ROLE --counts-port``: a role that counts nothing refuses the option."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mmsconf.emulators.ports import listen_port
from mmsconf.fixtures.load.reference import FARM_HOSTS, MMSC_HOSTS, SP_HOST, write_profile


def test_the_farm_counts_nothing_so_it_refuses_a_counts_port(tmp_path: Path) -> None:
    profile = write_profile(
        tmp_path / "p.toml",
        listen_port(*FARM_HOSTS),
        listen_port(SP_HOST),
        listen_port(*MMSC_HOSTS),
    )
    port = listen_port("127.0.0.1")
    argv = [sys.executable, "-m", "mmsconf.fixtures.cli", "emulate", "mmsg-farm"]
    argv += ["--config", str(profile), "--quiet", "--counts-port", str(port)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "--counts-port: the role mmsg-farm counts nothing" in done.stderr
