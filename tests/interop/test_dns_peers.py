"""The real DNS servers the disaster-recovery network starts (emulators/dns_peers.py):
each starts from its generated config, answers, caches (a resolver asks the authority
once), forgets on a flush, and is gone when stopped."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from mmsconf.emulators import dns_peers
from mmsconf.emulators.codecs import dns
from mmsconf.emulators.dns_resolver import StubResolver
from mmsconf.emulators.mms_dns import MmsDomainDns, zone_file
from mmsconf.emulators.ports import listen_port
from mmsconf.emulators.service import Service
from mmsconf.emulators.trace import TraceRecorder

pytestmark = pytest.mark.interop

DOMAIN = "mms.operator.example"
ROUTER = "127.0.44.10"


@pytest.mark.parametrize(
    ("kind", "program", "package"),
    [
        (dns_peers.Unbound, "unbound", "unbound"),
        (dns_peers.PdnsRecursor, "pdns_recursor", "pdns-recursor"),
    ],
    ids=["unbound", "pdns-recursor"],
)
def test_a_resolver_caches_flushes_and_stops(
    kind: type, program: str, package: str, require_tool: Callable[[str, str], str]
) -> None:
    require_tool(program, package)

    async def main() -> tuple[list[int], int | None, int, bool]:
        trace = TraceRecorder()
        auth = MmsDomainDns(trace, "127.0.44.54", 0, mms_domain=DOMAIN, router_address=ROUTER)
        await auth.start()
        host = "127.0.44.53"
        resolver = kind(trace, host, listen_port(host, udp=True), "operator.example", auth.address)
        await resolver.start()
        asker = Service("asker", "127.0.44.2")
        stub = asker.add_client(StubResolver(asker, trace, resolver.address, timeout_ms=2000))
        try:
            counts = []
            for _ in range(2):
                got = await stub.query(DOMAIN, dns.A)
                assert got.ok and got.first(dns.A).address == ROUTER, got.describe()
                counts.append(auth.mms_queries)
            ttl = got.ttl
            await resolver.flush(DOMAIN)
            assert (await stub.query(DOMAIN, dns.A)).ok
            after = auth.mms_queries
            proc = resolver.proc
        finally:
            await asker.stop()
            await resolver.stop()
            await auth.stop()
        return counts, ttl, after, proc is not None and proc.returncode is not None

    counts, ttl, after, gone = asyncio.run(main())
    assert counts == [1, 1]  # the second answer came from the cache
    assert ttl is not None and 0 < ttl <= 172800
    assert after == 2  # asked again once flushed
    assert gone


def test_bind9_serves_the_zone_the_emulator_would(require_tool: Callable[[str, str], str]) -> None:
    require_tool("named", "bind9")

    async def main() -> list[str]:
        trace = TraceRecorder()
        text = zone_file(DOMAIN, ROUTER, 172800, "127.0.0.1")
        bind = dns_peers.Bind9(trace, listen_port("127.0.0.1", udp=True), "operator.example", text)
        await bind.start()
        asker = Service("asker", "127.0.0.1")
        stub = asker.add_client(StubResolver(asker, trace, bind.address, timeout_ms=2000))
        try:
            a = await stub.query(DOMAIN, dns.A)
            nx = await stub.query("nope.operator.example", dns.A)
            return [a.first(dns.A).address, str(a.ttl), dns.rcode_name(nx.rcode)]
        finally:
            await asker.stop()
            await bind.stop()

    assert asyncio.run(main()) == [ROUTER, "172800", "NXDOMAIN"]


def test_a_missing_program_names_its_package() -> None:
    with pytest.raises(dns_peers.ToolMissing, match=r"no-such-dns not found \(Debian package x\)"):
        dns_peers.find("no-such-dns", "x")
