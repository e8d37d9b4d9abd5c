"""The codecs the generic fuzz properties run on: one module per codec.

Each module here exposes ``TARGETS: list[CodecTarget]`` (usually one).
``all_targets()`` imports every module of this package (but those whose name
starts with ``_``: helpers several targets share) and concatenates their
``TARGETS``, sorted by name; ``tests/property/conftest.py`` parametrizes every
test taking ``target`` over that list.

A new codec (MM4, DNS, PAP, SIP, WSP...) plugs in with ONE file,
``tests/support/targets/<codec>.py``::

    from mmsconf.emulators.codecs import dns
    from tests.support.codec_target import CodecTarget, Wire
    from tests.support.strategies import dns as strategies  # its own, or inline

    def _encode(message: dns.Message) -> Wire:
        return Wire(dns.encode(message))

    def _decode(wire: Wire, mode: str) -> tuple[dns.Message, list[dns.Deviation]]:
        return dns.decode(wire.body, mode=mode)

    TARGETS = [
        CodecTarget(
            name="dns",
            messages=strategies.messages(),
            encode=_encode,
            decode=_decode,
            error=dns.DnsError,
        )
    ]

No conftest changes: the next run's header lists it among the codec targets.
"""

from __future__ import annotations

import importlib
import pkgutil

from tests.support.codec_target import CodecTarget


def all_targets() -> list[CodecTarget]:
    """Every codec target of every module in this package, sorted by name."""
    found: list[CodecTarget] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        targets = getattr(module, "TARGETS", None)
        if not isinstance(targets, list) or not all(isinstance(t, CodecTarget) for t in targets):
            raise TypeError(f"{module.__name__} must define TARGETS: list[CodecTarget]")
        found += targets
    names = [t.name for t in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"codec target names used twice: {', '.join(duplicates)}")
    return sorted(found, key=lambda t: t.name)
