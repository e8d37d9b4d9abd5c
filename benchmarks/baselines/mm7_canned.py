"""The MM7 baseline: a bare aiohttp app answering every POST with one canned SubmitRsp.

No MM7 decoding, no trace, no routing: what aiohttp alone costs for one
SubmitReq/SubmitRsp round trip over a real loopback socket. The client side
is a bare ``aiohttp.ClientSession`` posting pre-encoded SubmitReq bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from aiohttp import web

from mmsconf.emulators.codecs import mm7


@dataclass(frozen=True)
class Canned:
    """Pre-encoded bodies: the request the client posts and the answer the server gives."""

    request_body: bytes
    request_headers: dict[str, str]
    response_body: bytes
    response_content_type: str


def canned_exchange(request: mm7.SubmitReq) -> Canned:
    """The same SubmitReq bytes the harness SP sends, and the SubmitRsp a gateway answers."""
    req = mm7.encode(request, parts=request.parts)
    rsp = mm7.encode(
        mm7.SubmitRsp(
            transaction_id=request.transaction_id,
            namespace=request.namespace,
            message_id=request.aux_applic_info or "M1",
        )
    )
    headers = {"Content-Type": req.content_type, "SOAPAction": req.soap_action}
    return Canned(req.body, headers, rsp.body, rsp.content_type)


class CannedServer:
    """``POST /mm7`` → 200 with the canned SubmitRsp, on its own loopback address."""

    def __init__(self, canned: Canned, host: str = "127.0.50.1") -> None:
        self.canned = canned
        self.host = host
        self.port = 0
        self.requests = 0
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        await request.read()  # a real endpoint reads the body; so does this one
        self.requests += 1
        return web.Response(
            body=self.canned.response_body,
            headers={"Content-Type": self.canned.response_content_type},
        )

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/mm7", self._handle)
        # access_log=None: the harness does not log each request either.
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0, backlog=1024)
        await site.start()
        self.port = self._runner.addresses[0][1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/mm7"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None


class CannedClient:
    """Posts the canned SubmitReq; one call is one round trip."""

    def __init__(self, canned: Canned, url: str, limit: int = 200) -> None:
        self.canned = canned
        self.url = url
        # Same pool size as the emulators' MM7Client, so both keep the same connections open.
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit))

    async def post(self, _i: int = 0) -> None:
        async with self.session.post(
            self.url, data=self.canned.request_body, headers=self.canned.request_headers
        ) as resp:
            await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"canned endpoint answered HTTP {resp.status}")

    async def close(self) -> None:
        await self.session.close()
