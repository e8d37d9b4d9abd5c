"""Which block of loopback addresses this process's emulators take.

Every embedded role has its own 127.0.X.Y address (a profile's defaults, a few
constants in code), and some listen on fixed ports there (Kannel's WSP 9200,
the handsets' SIP 5060). Two processes running the suite at once would bind
the same address and port. So in a parallel run each worker gets a block:
block B moves an address the harness chose, 127.0.X.Y, to 127.B.X.Y, which is
just as local (all of 127.0.0.0/8 routes to ``lo``) and clashes with no other
worker's. Block 0, the default, changes nothing.

What moves is only what the harness chose: a profile's reference defaults and
the constants in code. An address a profile writes itself, or any address of
an area where a SUT outside the harness takes part (its configuration names
the harness's roles where the profile says), is never moved. 127.0.0.Y stays
too: bind9 and Postfix listen on 127.0.0.1 only, on ports that are allocated.

The block comes from the pytest plugin (``set_block``: a conformance run's
controller hands each xdist worker its own) or from the environment variable
``MMSCONF_LOOPBACK_BLOCK`` (two serial runs side by side on one machine).
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ENV = "MMSCONF_LOOPBACK_BLOCK"
#: Blocks 1..254: the second octet of 127.B.X.Y (0 is "no block", 255 is not used).
HIGHEST = 254

_MOVABLE = re.compile(r"127\.0\.([1-9]\d{0,2})\.(\d{1,3})")
_block: int | None = None


def set_block(block: int | None) -> None:
    """Use ``block`` (1..254) from now on; 0 moves nothing; None goes back to the environment."""
    global _block
    if block is not None and not 0 <= block <= HIGHEST:
        raise ValueError(f"loopback block {block} is outside 0..{HIGHEST}")
    _block = block


def block() -> int:
    """The block in force: the one set, else ``MMSCONF_LOOPBACK_BLOCK``, else 0."""
    if _block is not None:
        return _block
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return 0
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{ENV}={raw!r}: expected a whole number 0..{HIGHEST}") from None
    if not 0 <= value <= HIGHEST:
        raise ValueError(f"{ENV}={raw!r}: expected a whole number 0..{HIGHEST}")
    return value


def block_of_worker(worker: str) -> int:
    """The block of xdist worker ``gwK``: K + 1 (so no worker uses the serial addresses)."""
    index = int(worker.removeprefix("gw") or 0)
    if index + 1 > HIGHEST:
        raise ValueError(f"worker {worker}: at most {HIGHEST} workers get a loopback block")
    return index + 1


def local(host: str) -> str:
    """``host`` in this process's block: 127.0.X.Y (X > 0) -> 127.B.X.Y; anything else as is."""
    b = block()
    if not b:
        return host
    match = _MOVABLE.fullmatch(host)
    return f"127.{b}.{match[1]}.{match[2]}" if match else host


def local_url(url: str) -> str:
    """An http(s) URL whose host is a movable address, moved (see ``local``)."""
    split = urlsplit(url)
    if not split.hostname or local(split.hostname) == split.hostname:
        return url
    netloc = local(split.hostname) + (f":{split.port}" if split.port is not None else "")
    if "@" in split.netloc:
        netloc = split.netloc.rsplit("@", 1)[0] + "@" + netloc
    return urlunsplit(split._replace(netloc=netloc))


def local_tree(value: Any) -> Any:
    """A copy of a TOML-like tree (tables, arrays, strings) with every movable address
    and URL host moved; other values as they are."""
    if isinstance(value, dict):
        return {k: local_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [local_tree(v) for v in value]
    if isinstance(value, str):
        return local_url(value) if "://" in value else local(value)
    return value
