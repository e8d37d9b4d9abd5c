"""The harness's loop thread runs on uvloop where MMSCONF_LOOP=uvloop asks for it and it is
installed (mmsconf[fast]), and on the standard asyncio loop otherwise: by default, or
where uvloop is missing.
Both loops serve a real loopback exchange (``mmsconf emulate`` is covered on both in
test_toy_area.py)."""

from __future__ import annotations

import asyncio
import sys

import pytest

from mmsconf.fixtures.loop import LOOP_ENV, LoopThread, loop_kind, new_event_loop


async def _echo_once() -> bytes:
    """One TCP exchange over loopback on the running loop."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"ping\n")
        answer = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
        return answer
    finally:
        server.close()
        await server.wait_closed()


def _run_on_loop_thread() -> tuple[str, bytes]:
    thread = LoopThread(name="test-event-loop").start()
    try:
        kind = type(thread.loop).__module__
        return kind, thread.run(_echo_once(), timeout_s=10)
    finally:
        thread.stop()


def test_the_loop_thread_runs_uvloop_where_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    uvloop = pytest.importorskip("uvloop")
    monkeypatch.setenv(LOOP_ENV, "uvloop")
    assert loop_kind() == "uvloop"
    loop = new_event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
    module, answer = _run_on_loop_thread()
    assert module.startswith("uvloop"), module
    assert answer == b"ping\n"


def test_without_uvloop_the_loop_thread_runs_the_standard_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(LOOP_ENV, "uvloop")  # asked for, but not there
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop now raises ImportError
    assert loop_kind() == "asyncio"
    module, answer = _run_on_loop_thread()
    assert module.startswith("asyncio"), module
    assert answer == b"ping\n"


@pytest.mark.parametrize("setting", [None, "asyncio", "uv-loop"])
def test_the_standard_loop_unless_uvloop_is_asked_for(
    monkeypatch: pytest.MonkeyPatch, setting: str | None
) -> None:
    pytest.importorskip("uvloop")  # installed, and still not used
    if setting is None:
        monkeypatch.delenv(LOOP_ENV, raising=False)
    else:
        monkeypatch.setenv(LOOP_ENV, setting)
    assert loop_kind() == "asyncio"
    loop = new_event_loop()
    try:
        assert type(loop).__module__.startswith("asyncio")
    finally:
        loop.close()
