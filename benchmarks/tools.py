"""External tools the rows run (dnsperf, unbound, the suite's CLI): finding and running them."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Sequence
from pathlib import Path


class ToolMissing(RuntimeError):
    """A binary a row needs is not installed: the row reports it as an error."""


def require(binary: str, package: str) -> str:
    """The path of ``binary``; ToolMissing naming the Debian ``package`` if it is not found."""
    path = shutil.which(binary)
    if path is None:
        raise ToolMissing(f"{binary} is not installed (apt-get install {package})")
    return path


async def run(
    argv: Sequence[str], timeout_s: float, cwd: str | Path | None = None
) -> tuple[int, str]:
    """Run ``argv`` to its end: (exit code, stdout and stderr together, decoded).

    TimeoutError after ``timeout_s``, once the process is killed and reaped.
    """
    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout_s)
    except TimeoutError:
        proc.kill()  # our own child, by its handle
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode("utf-8", "replace")
