"""Prior art for bearer choice: the push gateway uses the bearer the PI names, as given.

It asks nobody about the client. A PI that names SIP gets a SIP MESSAGE to
the client (its registered contact, else the address the operator
provisioned for it); any other PI gets WAP push over WDP/UDP to the client's
provisioned address, as Kannel's PPG does for an IP address. When the client
cannot take the bearer, the push fails, the result notification says
undeliverable, and the PI tries again: the repeated attempts the source
describes ([0006]).

One hook of the reference each: ``client_info`` and ``select_bearer``.
"""

from __future__ import annotations

from mmsconf.emulators.codecs import sip
from mmsconf.emulators.ppg import UNDELIVERABLE, ClientInfo, Decision, Push, PushGateway
from mmsconf.emulators.push_refs import SIP, UDP


class FixedBearerGateway(PushGateway):
    async def client_info(self, push: Push) -> ClientInfo:
        """Nothing is asked: the PI is taken at its word."""
        return ClientInfo(source="the push initiator's QoS")

    def select_bearer(self, push: Push, info: ClientInfo) -> Decision:
        if push.preferred == SIP:
            binding = self._binding(push)
            if binding is not None:
                return Decision(
                    SIP, "the PI asked for SIP", sip.uri_hostport(binding.contact), binding.contact
                )
            host = self._provisioned(push)
            if host is None:
                return Decision(None, "no SIP address for the client", code=UNDELIVERABLE)
            uri = f"sip:{push.address.client}@{host}:{self.config.client_sip_port}"
            return Decision(SIP, "the PI asked for SIP", (host, self.config.client_sip_port), uri)
        host = self._provisioned(push)
        if host is None:
            return Decision(None, "no IP address for the client", code=UNDELIVERABLE)
        return Decision(UDP, "WAP push, as for any IP client", (host, self.config.client_wdp_port))

    def _provisioned(self, push: Push) -> str | None:
        if push.address.type == "IPv4":
            return push.address.client
        return self.directory(push.address.client)
