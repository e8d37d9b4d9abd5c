"""Service lifecycle, fault knobs and EventLog.wait_for/wait_any, on a minimal MM7 echo service."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from mmsconf.emulators.codecs import mm7
from mmsconf.emulators.mm7_http import MM7Client
from mmsconf.emulators.service import EventLog, Faults, Service
from mmsconf.emulators.trace import TraceRecorder

CODEC = mm7.CodecConfig(namespace=mm7.DEFAULT_NAMESPACE, mode=mm7.Mode.LENIENT)


def client_for(trace: TraceRecorder) -> MM7Client:
    return MM7Client(Service("CLIENT", "127.0.41.1"), trace, CODEC, timeout_ms=2000)


def test_stop_frees_the_port(echo: Callable[..., Any], submit: Callable[..., mm7.SubmitReq]):
    async def scenario() -> None:
        trace = TraceRecorder()
        first = echo(trace)
        await first.start()
        host, port = first.address
        assert port != 0 and first.running and first.listening
        # While the first listens, nothing else may take its port.
        squatter = echo(trace, host, port)
        with pytest.raises(OSError):
            await squatter.start()
        await first.stop()
        assert not first.running and not first.listening
        second = echo(trace, host, port)
        await second.start()
        client = client_for(trace)
        try:
            outcome = await client.post(second.url, submit("after-restart"))
            assert outcome.ok, outcome
            assert second.address == (host, port)
            assert second.handled == 1 and first.handled == 0
        finally:
            await client.close()
            await second.stop()

    asyncio.run(scenario())


def test_go_down_refuses_and_come_up_answers_on_the_same_port(
    echo: Callable[..., Any], submit: Callable[..., mm7.SubmitReq]
):
    async def scenario() -> None:
        trace = TraceRecorder()
        service = echo(trace)
        await service.start()
        client = client_for(trace)
        try:
            port = service.port
            assert (await client.post(service.url, submit("up"))).ok
            # A fresh client after go_down: a pooled keep-alive connection the server just
            # closed can surface as "disconnected" if the loop has not yet seen the FIN.
            await client.close()
            await service.go_down()
            assert service.running and not service.listening
            down = await client.post(service.url, submit("down"))
            assert down.unreachable, down
            assert down.message is None and down.http_status is None
            assert [e.kind for e in service.events.all()].count("down") == 1
            await service.go_down()  # idempotent: no second "down"
            assert [e.kind for e in service.events.all()].count("down") == 1
            await service.come_up()
            assert service.port == port and service.listening
            back = await client.post(service.url, submit("back"))
            assert back.ok, back
            assert service.handled == 2
            assert service.events.of("up")
        finally:
            await client.close()
            await service.stop()

    asyncio.run(scenario())


def test_fault_status_answers_a_fault_without_calling_the_handler(
    echo: Callable[..., Any], submit: Callable[..., mm7.SubmitReq]
):
    async def scenario() -> None:
        trace = TraceRecorder()
        service = echo(trace)
        await service.start()
        client = client_for(trace)
        try:
            service.faults.status = 4006
            outcome = await client.post(service.url, submit("T-fault"))
            assert outcome.http_status == 500
            assert isinstance(outcome.message, mm7.SoapFault)
            assert outcome.status == 4006 and not outcome.ok
            assert outcome.message.transaction_id == "T-fault"
            assert service.handled == 0
            service.faults.reset()
            assert (await client.post(service.url, submit("T-ok"))).ok
            assert service.handled == 1
        finally:
            await client.close()
            await service.stop()

    asyncio.run(scenario())


def test_fault_drop_disconnects_the_client(
    echo: Callable[..., Any], submit: Callable[..., mm7.SubmitReq]
):
    async def scenario() -> None:
        trace = TraceRecorder()
        service = echo(trace)
        await service.start()
        client = client_for(trace)
        try:
            service.faults.drop = True
            outcome = await client.post(service.url, submit("T-drop"))
            assert outcome.error is not None and outcome.error.startswith("disconnected"), outcome
            assert not outcome.unreachable and outcome.message is None
            assert service.handled == 0
            assert len(service.events.of("dropped")) == 1
            # The server saw and traced the request it dropped.
            assert any("(dropped)" in e.summary for e in trace.events())
        finally:
            await client.close()
            await service.stop()

    asyncio.run(scenario())


def test_faults_reset_clears_every_knob():
    faults = Faults(slow_ms=5, status=4006, drop=True)
    faults.reset()
    assert faults == Faults()


def test_wait_for_times_out_naming_what():
    async def scenario() -> None:
        log = EventLog()
        log.emit("other")
        with pytest.raises(TimeoutError, match=r"after 30 ms waiting for the MMSC's report"):
            await log.wait_for(lambda lg: bool(lg.of("report")), 30, "the MMSC's report")

    asyncio.run(scenario())


def test_wait_for_wakes_on_a_later_event_and_returns_at_once_when_already_true():
    async def scenario() -> None:
        log = EventLog()
        loop = asyncio.get_running_loop()
        loop.call_soon(lambda: log.emit("noise"))
        loop.call_soon(lambda: log.emit("report", n=1))
        await log.wait_for(lambda lg: bool(lg.of("report")), 1000, "report")
        assert [e.kind for e in log.all()] == ["noise", "report"]
        assert log.of("report")[0]["n"] == 1
        # Already true: returns even with no time left.
        await log.wait_for(lambda lg: bool(lg.of("report")), 0, "report")

    asyncio.run(scenario())


def test_wait_any_wakes_on_an_event_of_any_log_and_times_out_naming_what():
    async def scenario() -> None:
        relay, core, quiet = EventLog(), EventLog(), EventLog()
        loop = asyncio.get_running_loop()
        loop.call_soon(lambda: relay.emit("noise"))
        loop.call_soon(lambda: core.emit("arrival", n=1))
        # The condition reads another log than the ones that wake the wait.
        await EventLog.wait_any([quiet, relay, core], lambda: bool(core.of("arrival")), 1000)
        assert core.of("arrival")[0]["n"] == 1
        # Already true: returns even with no time left.
        await EventLog.wait_any([relay], lambda: True, 0, "anything")
        started = loop.time()
        with pytest.raises(TimeoutError, match=r"after 30 ms waiting for the \.RESes"):
            await EventLog.wait_any([relay, core], lambda: False, 30, "the .RESes")
        # It waited out its timeout (no early give-up) and left no waiter behind.
        assert loop.time() - started >= 0.03
        assert asyncio.all_tasks() == {asyncio.current_task()}

    asyncio.run(scenario())


class Recording:
    """A part that notes its start and stop calls (the lifecycle's bookkeeping, no sockets)."""

    def __init__(self, name: str, log: list[str], fail: bool = False) -> None:
        self.name, self.log, self.fail = name, log, fail

    async def start(self) -> None:
        if self.fail:
            raise OSError(f"{self.name} cannot bind")
        self.log.append(f"start {self.name}")

    async def stop(self) -> None:
        self.log.append(f"stop {self.name}")


def test_listeners_follow_down_and_up_clients_only_stop():
    async def scenario() -> None:
        log: list[str] = []
        service = Service("S", "127.0.41.20")
        a = service.add_listener(Recording("a", log))
        service.add_listener(Recording("b", log))
        service.add_client(Recording("client", log))
        await service.start()
        with pytest.raises(RuntimeError, match="before start"):
            service.add_listener(Recording("late", log))
        late_client = service.add_client(Recording("late client", log))  # clients may come later
        await service.go_down()
        await service.come_up()
        await service.stop()
        assert log == [
            "start a",
            "start b",
            "stop b",
            "stop a",
            "start a",
            "start b",
            "stop b",
            "stop a",
            "stop late client",
            "stop client",
        ]
        assert service.listeners[0] is a and late_client in service.clients
        assert [e.kind for e in service.events.all()] == ["down", "up"]

    asyncio.run(scenario())


def test_a_listener_that_fails_to_start_closes_the_ones_before_it():
    async def scenario() -> None:
        log: list[str] = []
        service = Service("S", "127.0.41.21")
        service.add_listener(Recording("a", log))
        service.add_listener(Recording("b", log, fail=True))
        with pytest.raises(OSError, match="b cannot bind"):
            await service.start()
        assert log == ["start a", "stop a"]
        assert not service.running and not service.listening

    asyncio.run(scenario())
