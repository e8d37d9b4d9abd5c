"""The base of every emulator that speaks MM7: one HTTP endpoint, one client."""

from __future__ import annotations

from mmsconf.emulators.mm7_http import MM7Client, MM7Endpoint
from mmsconf.emulators.service import Service


class MM7Service(Service):
    """Subclasses set ``self.endpoint`` and ``self.client`` in ``__init__``."""

    endpoint: MM7Endpoint
    client: MM7Client

    async def _listen(self) -> None:
        await self.endpoint.listen()

    async def _close(self) -> None:
        await self.endpoint.close()

    async def _shutdown(self) -> None:
        await self.client.close()
