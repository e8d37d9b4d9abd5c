"""The registrar a push gateway keeps: which contact each client's AOR is bound to, and
whether that contact registered the OMA push feature tag (RFC 3261 §10.3, RFC 3840).

REGISTER adds, refreshes or (Expires 0, or ``*``) removes bindings; a
REGISTER without Contact lists them. The 200 lists the AOR's bindings, each
with its remaining expiry. Nothing here knows the network; ``handle``
returns the response for the gateway's SIP endpoint to send.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from mmsconf.emulators.codecs import sip


@dataclass
class Binding:
    aor: str  # sip:+8613800100001@mmsconf.example (no parameters)
    contact: str  # the contact URI
    push: bool  # registered with +g.oma.pusheventapp naming mms.ua
    expires_at: float  # time.monotonic()
    call_id: str
    cseq: int

    def left_s(self, now: float) -> int:
        return max(0, round(self.expires_at - now))


class Registrar:
    def __init__(self, domain: str, *, min_expires_s: int = 1, max_expires_s: int = 86_400) -> None:
        self.domain = domain
        self.min_expires_s = min_expires_s
        self.max_expires_s = max_expires_s
        self._bindings: dict[str, list[Binding]] = {}

    @staticmethod
    def aor_of(uri: str) -> str:
        """sip:user@host, parameters and port dropped, scheme and host in lower case."""
        scheme, _c, rest = uri.partition(":")
        user, at, host = rest.split(";", 1)[0].partition("@")
        if not at:
            user, host = "", user
        host = host.split(":", 1)[0].lower()
        return f"{scheme.lower()}:{user}@{host}" if user else f"{scheme.lower()}:{host}"

    def bindings(self, aor: str) -> list[Binding]:
        """The live bindings of ``aor`` (expired ones dropped)."""
        now = time.monotonic()
        live = [b for b in self._bindings.get(aor, []) if b.expires_at > now]
        if live:
            self._bindings[aor] = live
        else:
            self._bindings.pop(aor, None)
        return live

    def binding_for_number(self, number: str, *, push: bool | None = None) -> Binding | None:
        """The newest live binding whose AOR user is ``number`` (``push``: with or without
        the feature tag; None: either)."""
        found = [
            b
            for aor in list(self._bindings)
            for b in self.bindings(aor)
            if sip.uri_user(aor) == number and (push is None or b.push == push)
        ]
        return max(found, key=lambda b: b.expires_at, default=None)

    def binding_at(self, host: str) -> Binding | None:
        """The newest live binding whose contact is at ``host`` (for IPv4 PAP addresses)."""
        found = [
            b
            for aor in list(self._bindings)
            for b in self.bindings(aor)
            if sip.uri_hostport(b.contact)[0] == host
        ]
        return max(found, key=lambda b: b.expires_at, default=None)

    def clear(self) -> None:
        self._bindings.clear()

    def handle(self, req: sip.SipRequest, to_tag: str) -> tuple[sip.SipResponse, str]:
        """The response to a REGISTER, and a line for the trace."""
        try:
            aor = self.aor_of(sip.parse_name_addr(req.header("To") or "", "To").uri)
        except sip.SipError as err:
            return sip.response_to(req, 400, to_tag=to_tag), f"REGISTER refused: {err}"
        now = time.monotonic()
        default = req.header("Expires")
        contacts = req.header_all("Contact")
        if contacts == ["*"]:
            if default != "0":
                return sip.response_to(req, 400, to_tag=to_tag), "REGISTER *: Expires must be 0"
            self._bindings.pop(aor, None)
            return self._ok(req, aor, to_tag, now), f"REGISTER {aor}: every binding removed"
        said = []
        for value in contacts:
            try:
                addr = sip.parse_name_addr(value, "Contact")
            except sip.SipError as err:
                return sip.response_to(req, 400, to_tag=to_tag), f"REGISTER refused: {err}"
            raw = addr.params.get("expires", default if default is not None else "3600")
            if not raw.isdigit():
                return sip.response_to(req, 400, to_tag=to_tag), f"bad expires {raw!r}"
            expires = min(int(raw), self.max_expires_s)
            if 0 < expires < self.min_expires_s:
                answer = sip.response_to(
                    req, 423, to_tag=to_tag, headers=(("Min-Expires", str(self.min_expires_s)),)
                )
                return answer, f"REGISTER {aor}: expires {expires} too brief"
            kept = [b for b in self._bindings.get(aor, []) if b.contact != addr.uri]
            if expires:
                push = sip.has_push_feature(value)
                kept.append(Binding(aor, addr.uri, push, now + expires, req.call_id, req.cseq[0]))
                said.append(f"{addr.uri}{' (push)' if push else ''} for {expires} s")
            else:
                said.append(f"{addr.uri} removed")
            self._bindings[aor] = kept
        what = ", ".join(said) if said else "bindings listed"
        return self._ok(req, aor, to_tag, now), f"REGISTER {aor}: {what}"

    def _ok(self, req: sip.SipRequest, aor: str, to_tag: str, now: float) -> sip.SipResponse:
        headers = []
        for b in self.bindings(aor):
            tag = f';{sip.PUSH_FEATURE_TAG}="{sip.MMS_PUSH_APP}"' if b.push else ""
            headers.append(("Contact", f"<{b.contact}>{tag};expires={b.left_s(now)}"))
        return sip.response_to(req, 200, to_tag=to_tag, headers=tuple(headers))
