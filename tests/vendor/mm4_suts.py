"""Broken destination MMSCs, each run as its own process at the profile's external
destinations (``[mm4_pool.destinations.hosts.<name>] external = true``).

    python tests/vendor/mm4_suts.py KIND --profile P.toml

It prints one line per listening address, then ``ready``, and serves until
SIGTERM/SIGINT, like ``mmsconf emulate mm4-destinations``. Each kind is the
reference destination MMSC with exactly one thing wrong, so the one scenario
that judges that thing is the one that fails:

    takes-malformed  answers 250 to an MM4 message it cannot decode (no 5xx naming
                     the missing header), and takes everything else as it should
    no-res           takes every message (250), but never sends the MM4_forward.RES
                     that X-Mms-Ack-Request: Yes asks for
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

from mmsconf.emulators.codecs import mm4
from mmsconf.emulators.mm4_destination import DestinationMmsc
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.areas.mm4_pool.emulate import pinned_ports
from mmsconf.fixtures.areas.mm4_pool.network import build_destinations
from mmsconf.fixtures.profile import load_profile


class TakesMalformed(DestinationMmsc):
    """Lenient where it must not be: a malformed MM4 message is 'taken' (250) unread."""

    async def _data(self, server: Any, session: Any, envelope: Any) -> str:
        try:
            mm4.decode(envelope.original_content or b"", config=self.codec)
        except mm4.MM4Error:
            return "250 2.0.0 OK"
        return await super()._data(server, session, envelope)


class NoRes(DestinationMmsc):
    """Takes each message and answers nothing: no MM4_forward.RES to the originator."""

    def _answer(self, request: mm4.ForwardReq) -> None:
        return None


KINDS: dict[str, type[DestinationMmsc]] = {"takes-malformed": TakesMalformed, "no-res": NoRes}


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("--profile", required=True)
    args = parser.parse_args(argv)
    section = load_profile(args.profile).section("mm4_pool")
    ports = pinned_ports(section)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    trace = TraceRecorder()
    started: list[DestinationMmsc] = []
    # The reference's construction, at the external destinations' addresses, with the
    # broken class in its place.
    for built in build_destinations(section, trace, ports, external=True).values():
        broken = KINDS[args.kind](trace, built.name, built.host, built.port, built.config)
        await broken.start()
        started.append(broken)
        print(f"{broken.role} ({args.kind}) listening: {broken.host}:{broken.port}", flush=True)
    print("ready", flush=True)
    await stop.wait()
    for destination in started:
        await destination.stop()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
