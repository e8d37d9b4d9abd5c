"""Prior art for report routing: servers own ranges of the destination's last two digits.

As the source describes it (US 9,118,692, background): ranges are cut when
the farm is configured (00-49 -> 180, 50-99 -> 181); the server owning a
destination's range processes its submission and its delivery report,
whichever server received them. MSGID2 carries no module number. A server
added later owns no range until an operator re-cuts them, and a group
message whose numbers share their last digits piles onto one server. The
suite must fail against this.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import Inbound, Reply, fault_reply
from mmsconf.emulators.mmsg import FORWARDED_BY, Farm, FarmDirectory, MMSGServer, SpAccount

VASPID_HEADER = "X-MMSG-VASPID"


def cut_ranges(modules: list[int]) -> list[tuple[int, int, int]]:
    """Split 00-99 into contiguous (low, high, module) ranges, as an operator would."""
    n = len(modules)
    bounds = [round(i * 100 / n) for i in range(n + 1)]
    return [(bounds[i], bounds[i + 1] - 1, m) for i, m in enumerate(modules)]


class RangeDirectory(FarmDirectory):
    """The farm directory plus the number ranges cut when the farm was configured."""

    def __init__(self) -> None:
        super().__init__()
        self.ranges: list[tuple[int, int, int]] = []


class LastTwoDigitsServer(MMSGServer):
    def _routes(self) -> dict:
        routes = super()._routes()
        routes["/farm/submit"] = ("rs", self._on_peer_submit)
        return routes

    @property
    def ranges(self) -> list[tuple[int, int, int]]:
        assert isinstance(self.directory, RangeDirectory)
        return self.directory.ranges

    def owner_of_number(self, number: str) -> int | None:
        digits = "".join(ch for ch in number if ch.isdigit())
        if len(digits) < 2:
            return None
        tail = int(digits[-2:])
        for low, high, module in self.ranges:
            if low <= tail <= high:
                return module
        return None

    def issue_msgid2(self) -> str:
        return f"X{self._boot}{self.module % 7}{next(self._seq):08d}"

    def report_owner(self, report: mm7.DeliveryReportReq, msgid2: str) -> int | None:
        return self.owner_of_number(report.recipient.value)

    async def take_submission(self, req: mm7.SubmitReq, auth: SpAccount, msgid1: str) -> Reply:
        """Each destination goes to the server owning its number range."""
        by_owner: dict[int, list[str]] = {}
        for address in req.recipients:
            owner = self.owner_of_number(address.value)
            by_owner.setdefault(owner if owner is not None else self.module, []).append(
                address.value
            )
        jobs = []
        for owner, dests in by_owner.items():
            if owner == self.module:
                jobs.append(self.accept_submission(req, auth, msgid1, dests))
            else:
                jobs.append(self._hand_over(owner, dests, req, auth))
        replies = await asyncio.gather(*jobs)
        failed = [r for r in replies if not isinstance(r.message, mm7.SubmitRsp)]
        if failed and len(failed) == len(replies):
            return failed[0]
        return Reply(
            mm7.SubmitRsp(
                transaction_id=req.transaction_id,
                namespace=req.namespace,
                status=mm7.Status.of(1100 if failed else 1000),
                message_id=msgid1,
            )
        )

    async def _hand_over(
        self, owner: int, dests: list[str], req: mm7.SubmitReq, account: SpAccount
    ) -> Reply:
        part = replace(req, to=tuple(mm7.Address(d) for d in dests), cc=(), bcc=())
        url = self.directory.submit_urls[owner].replace("/mm7", "/farm/submit")
        headers = {FORWARDED_BY: str(self.module), VASPID_HEADER: account.vasp_id}
        outcome = await self.client.post(url, part, extra_headers=headers)
        if outcome.message is not None:
            return Reply(outcome.message, http_status=outcome.http_status or 200)
        return fault_reply("rs", req.transaction_id, req.namespace, 3000, outcome.error or "")

    async def _on_peer_submit(self, inbound: Inbound) -> Reply:
        req = inbound.message
        account = self.accounts.get(inbound.headers.get(VASPID_HEADER, ""))
        peers = {u.split("/")[2].split(":")[0] for u in self.directory.submit_urls.values()}
        if not isinstance(req, mm7.SubmitReq) or account is None or inbound.peer[0] not in peers:
            return fault_reply(
                "rs", getattr(req, "transaction_id", ""), self.config.namespace, 4007
            )
        # A peer handed over the destinations this server owns: it takes them all.
        return await super().take_submission(req, account, self.msgid1_of(req) or "")


class LastTwoDigitsFarm(Farm):
    """Cuts the number ranges once, for the servers it starts with."""

    directory_class = RangeDirectory

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("server_class", LastTwoDigitsServer)
        super().__init__(*args, **kwargs)

    async def start(self, modules: list[int]) -> None:
        self.directory.ranges = cut_ranges(sorted(modules))
        await super().start(modules)
