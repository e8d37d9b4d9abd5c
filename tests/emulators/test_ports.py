"""Listening ports come from outside the ephemeral range, so a service that
goes down and comes back up can always bind its port again."""

from __future__ import annotations

import asyncio
import socket

import pytest

from mmsconf.emulators.ports import NoFreePort, PortAllocator, ephemeral_range, listen_port
from mmsconf.emulators.trace import TraceRecorder


def test_ports_are_outside_the_ephemeral_range_and_differ() -> None:
    low, high = ephemeral_range()
    ports = [listen_port("127.0.0.1") for _ in range(50)]
    assert len(set(ports)) == 50
    assert all(not (low <= p <= high) and p >= 1024 for p in ports)


def test_a_port_held_by_a_listener_on_any_of_the_hosts_is_skipped() -> None:
    with socket.create_server(("127.0.71.2", 0)) as held:
        taken = held.getsockname()[1]
        allocator = PortAllocator([range(taken, taken + 2)], start=0)
        assert allocator.take("127.0.71.1", "127.0.71.2") == taken + 1


def test_exhaustion_names_the_hosts() -> None:
    with socket.create_server(("127.0.71.3", 0)) as held:
        taken = held.getsockname()[1]
        with pytest.raises(NoFreePort, match=r"127\.0\.71\.3"):
            PortAllocator([range(taken, taken + 1)]).take("127.0.71.3")


def test_a_service_that_went_down_binds_its_port_again_after_client_churn(echo) -> None:
    """While the endpoint is down, client sockets bound to its address take
    ephemeral source ports; none of them can be the endpoint's port."""

    async def scenario() -> None:
        service = echo(TraceRecorder(), "127.0.71.9")
        await service.start()
        port = service.port
        await service.go_down()
        # A client socket bound to port 0 holds a port from the ephemeral range
        # from bind() on, as one about to connect would.
        clients = []
        try:
            for _ in range(2000):
                c = socket.socket()
                clients.append(c)
                c.bind(("127.0.71.9", 0))
            assert port not in {c.getsockname()[1] for c in clients}
            await service.come_up()
            assert service.port == port and service.listening
        finally:
            for c in clients:
                c.close()
        await service.stop()

    asyncio.run(scenario())
