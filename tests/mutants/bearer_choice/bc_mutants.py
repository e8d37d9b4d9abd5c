"""Deliberately broken push gateways the conformance suite must catch, at least one per
bc_* clause.

A pytest plugin (``-p bc_mutants``, this folder on PYTHONPATH) that registers each by
name, so a profile can embed it (``gateway = "..."``). Each is the reference gateway
with ONE hook overridden: whatever the suite catches, it catches that one fault.
``MUTANTS`` says which clause each breaks and ``CAUGHT_BY`` which scenario catches it;
test_mutants_caught.py runs the scenarios tagged with the clause against each and
requires the first failure to name it.
"""

from __future__ import annotations

from mmsconf.emulators.codecs import pap, sip
from mmsconf.emulators.ppg import ClientInfo, Decision, Outcome, Push, PushGateway
from mmsconf.emulators.push_refs import SIP, UDP
from mmsconf.fixtures.areas.bearer_choice.implementations import register_gateway


class NoPresenceQuery(PushGateway):
    """bc_get_info: never asks the client-information server; goes by its registrar alone."""

    async def client_info(self, push: Push) -> ClientInfo:
        return self.fallback_info(push, "not asked")


class IgnoresPresenceWhenPreferred(PushGateway):
    """bc_via_server: when the PI names a bearer, takes it without asking anyone."""

    async def client_info(self, push: Push) -> ClientInfo:
        if push.preferred is not None:
            return ClientInfo(
                source="the PI", sip_push=push.preferred == SIP, wap_push=push.preferred == UDP
            )
        return await super().client_info(push)


class WapBeforeSip(PushGateway):
    """bc_select: prefers WAP push whenever the client takes it, SIP push only otherwise."""

    def select_bearer(self, push: Push, info: ClientInfo) -> Decision:
        if info.online and info.wap_push and info.wdp_address is not None:
            return Decision(UDP, "WAP push first", info.wdp_address)
        return super().select_bearer(push, info)


class NeverSends(PushGateway):
    """bc_send: reports the push delivered on the chosen bearer without sending it."""

    async def send(self, push: Push, decision: Decision) -> Outcome:
        if decision.bearer is None:
            return await super().send(push, decision)
        return Outcome("delivered", pap.OK, "delivered", decision.bearer)


class TriesWapToOffline(PushGateway):
    """bc_no_retry: pushes over WDP to an offline client's last address instead of not at all."""

    def select_bearer(self, push: Push, info: ClientInfo) -> Decision:
        if not info.online:
            binding = self._binding(push)
            if binding is not None:
                host = sip.uri_hostport(binding.contact)[0]
                return Decision(UDP, "its last address", (host, self.config.client_wdp_port))
        return super().select_bearer(push, info)


class NoResultNotification(PushGateway):
    """bc_no_retry: never tells the PI what became of a push."""

    async def notify(self, push: Push, outcome: Outcome) -> None:
        return None


class SendsTwice(PushGateway):
    """bc_no_retry: sends every push a second time on the same bearer, to be sure."""

    async def send(self, push: Push, decision: Decision) -> Outcome:
        first = await super().send(push, decision)
        if decision.bearer is not None:
            await super().send(push, decision)
        return first


class AcceptsAnyRequiredBearer(PushGateway):
    """bc_via_server: takes a push requiring a bearer it has not got (1001, then 3010 in a
    notification) instead of refusing it at once."""

    def serves(self, bearer: str | None) -> bool:
        return True


#: name -> (gateway class, the clause it breaks)
MUTANTS: dict[str, tuple[type[PushGateway], str]] = {
    "mutant-no-presence-query": (NoPresenceQuery, "bc_get_info"),
    "mutant-ignores-presence-when-preferred": (IgnoresPresenceWhenPreferred, "bc_via_server"),
    "mutant-wap-before-sip": (WapBeforeSip, "bc_select"),
    "mutant-never-sends": (NeverSends, "bc_send"),
    "mutant-tries-wap-to-offline": (TriesWapToOffline, "bc_no_retry"),
    "mutant-no-result-notification": (NoResultNotification, "bc_no_retry"),
    "mutant-sends-twice": (SendsTwice, "bc_no_retry"),
    "mutant-accepts-any-required-bearer": (AcceptsAnyRequiredBearer, "bc_via_server"),
}

#: Which scenario catches each (the first to fail naming the clause), for the record.
CAUGHT_BY = {
    "mutant-no-presence-query": "A client registered for SIP push gets one SIP MESSAGE",
    "mutant-ignores-presence-when-preferred": "The initiator prefers SIP and the client cannot",
    "mutant-wap-before-sip": "200 pushes to clients in mixed states",
    "mutant-never-sends": "200 pushes to clients in mixed states",
    "mutant-tries-wap-to-offline": "A client that went offline while registered for SIP push",
    "mutant-no-result-notification": "200 pushes to clients in mixed states",
    "mutant-sends-twice": "200 pushes to clients in mixed states",
    "mutant-accepts-any-required-bearer": "A push that requires a bearer the gateway does not",
}

for _name, (_cls, _clause) in MUTANTS.items():
    register_gateway(_name, f"test-only: {(_cls.__doc__ or '').strip()}", _cls)
