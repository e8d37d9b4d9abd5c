"""Listening ports that no outgoing connection can take.

A port the kernel hands out for ``bind(port=0)`` comes from the ephemeral
range, the same range it draws client source ports from. An emulator that
goes down and comes back up must bind its old port again, and every emulator
binds its client sockets to its own 127.x address; while it is down, one of
those client sockets may have been given exactly that port, and the restart
fails with EADDRINUSE. So listening ports are chosen here, below (or above)
the ephemeral range, where the kernel never picks a source port.
"""

from __future__ import annotations

import errno
import itertools
import os
import socket
import threading
from pathlib import Path

EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
DEFAULT_EPHEMERAL = (32768, 60999)
LOWEST = 10000  # clear of the well-known and most registered service ports


class NoFreePort(OSError):
    def __init__(self, hosts: tuple[str, ...]) -> None:
        super().__init__(errno.EADDRINUSE, f"no free listening port on {', '.join(hosts)}")


def ephemeral_range() -> tuple[int, int]:
    try:
        low, high = (int(x) for x in EPHEMERAL_RANGE_FILE.read_text().split())
    except (OSError, ValueError):
        return DEFAULT_EPHEMERAL
    return low, high


def candidate_ranges() -> list[range]:
    low, high = ephemeral_range()
    return [r for r in (range(LOWEST, low), range(high + 1, 65536)) if len(r) > 0]


def _binds(host: str, port: int, kind: socket.SocketKind = socket.SOCK_STREAM) -> bool:
    with socket.socket(socket.AF_INET, kind) as s:
        # SO_REUSEADDR as the real listener will have it: a TIME_WAIT left by
        # an earlier run does not make a port unusable.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


class PortAllocator:
    """Hands out ports outside the ephemeral range, each once per process.

    Processes start at a pid-derived offset so that two harnesses (or a
    harness and ``mmsconf emulate``) on one machine rarely probe the same
    ports; a port is handed out only after a trial bind on every host.
    """

    def __init__(self, ranges: list[range] | None = None, start: int | None = None) -> None:
        ports = [p for r in (ranges or candidate_ranges()) for p in r]
        if not ports:
            raise NoFreePort(("any host",))
        offset = (os.getpid() * 7919 if start is None else start) % len(ports)
        self._order = itertools.cycle(ports[offset:] + ports[:offset])
        self._span = len(ports)
        self._lock = threading.Lock()

    def take(self, *hosts: str, udp: bool = False) -> int:
        """A port that binds on every one of ``hosts`` right now (for UDP too, with ``udp``:
        a DNS server listens on one port over both)."""
        kinds = (socket.SOCK_STREAM, socket.SOCK_DGRAM) if udp else (socket.SOCK_STREAM,)
        with self._lock:
            for _ in range(self._span):
                port = next(self._order)
                if all(_binds(h, port, k) for h in hosts for k in kinds):
                    return port
        raise NoFreePort(hosts)


_allocator: PortAllocator | None = None


def listen_port(*hosts: str, udp: bool = False) -> int:
    """A listening port for ``hosts`` that no client socket will have taken
    (``udp``: free for UDP as well as TCP)."""
    global _allocator
    if _allocator is None:
        _allocator = PortAllocator()
    return _allocator.take(*hosts, udp=udp)
