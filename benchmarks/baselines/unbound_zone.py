"""The real-server DNS baseline: unbound answering a static zone on loopback.

unbound (Debian package ``unbound``) runs in the foreground with a config
of its own, written to a temporary directory: one thread, the iterator
module only (no validator, so no trust anchor), and a ``local-zone static``
holding the same fixed A record as the bare dnslib responder. Nothing is
recursed; every answer comes from local data. Readiness is unbound's own
"start of service" line, not a sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.baselines.dns_responder import FIXED_ADDRESS, FIXED_NAME, FIXED_TTL
from benchmarks.tools import require
from mmsconf.emulators.ports import listen_port

READY_LINE = b"start of service"
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0


def _config(directory: Path, host: str, port: int) -> str:
    zone = FIXED_NAME.split(".", 1)[1]
    return f"""server:
    interface: {host}@{port}
    port: {port}
    do-ip6: no
    do-daemonize: no
    chroot: ""
    username: ""
    directory: "{directory}"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 1
    num-threads: 1
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    local-zone: "{zone}" static
    local-data: "{FIXED_NAME} {FIXED_TTL} IN A {FIXED_ADDRESS}"
remote-control:
    control-enable: no
"""


class UnboundZone:
    """``async with UnboundZone() as server``: unbound serving the fixed record."""

    def __init__(self, host: str = "127.0.53.2") -> None:
        self.host = host
        self.port = 0
        self._proc: asyncio.subprocess.Process | None = None
        self._dir: tempfile.TemporaryDirectory | None = None
        self.log: list[str] = []

    async def __aenter__(self) -> UnboundZone:
        binary = require("unbound", "unbound")
        self._dir = tempfile.TemporaryDirectory(prefix="mmsconf-unbound-")
        directory = Path(self._dir.name)
        self.port = listen_port(self.host)
        conf = directory / "unbound.conf"
        conf.write_text(_config(directory, self.host, self.port), encoding="utf-8")
        self._proc = await asyncio.create_subprocess_exec(
            binary,
            "-d",
            "-c",
            str(conf),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await asyncio.wait_for(self._ready(), START_TIMEOUT_S)
        except (TimeoutError, RuntimeError):
            await self._stop()
            raise RuntimeError(f"unbound did not start: {' | '.join(self.log[-5:])}") from None
        return self

    async def _ready(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        while True:
            line = await self._proc.stderr.readline()
            if not line:
                raise RuntimeError("unbound exited")
            self.log.append(line.decode("utf-8", "replace").strip())
            if READY_LINE in line:
                return

    async def _stop(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            self._proc.terminate()
            try:
                await asyncio.wait_for(self._proc.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                self._proc.kill()  # our own child, by its handle
                await self._proc.wait()
        if self._dir is not None:
            with contextlib.suppress(OSError):
                self._dir.cleanup()

    async def __aexit__(self, *exc: Any) -> None:
        await self._stop()

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)
