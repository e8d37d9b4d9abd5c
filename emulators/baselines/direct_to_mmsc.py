"""The prior art of disaster recovery: the MMS domain resolves straight to one MMSC.

Before the source's MMS router, the operator's DNS answered the MMS domain
with MMSC 1's address; WAP gateways (and the resolvers between) hold that
answer for its TTL, about two days, so while MMSC 1 is down every
submission fails until the cache expires (seed 002, [0011]). The network has
no router: this authoritative DNS overrides the one hook that says where the
domain points.
"""

from __future__ import annotations

from mmsconf.emulators.mms_dns import MmsDomainDns


class DirectToMmscDns(MmsDomainDns):
    """Answers the MMS domain with the first MMSC's address (MMSC A's), not the router's."""

    def mms_address(self) -> str:
        if not self.mmsc_addresses:
            raise ValueError("the prior art points the MMS domain at an MMSC: name one")
        return self.mmsc_addresses[0]
