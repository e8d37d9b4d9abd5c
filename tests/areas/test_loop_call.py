"""LoopThread.call runs a plain function on the loop thread: the one way the
pytest thread changes state the emulators own without writing a coroutine."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from mmsconf.fixtures.loop import LoopThread


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    thread = LoopThread(name="test-loop").start()
    yield thread
    thread.stop()


def test_call_runs_on_the_loop_thread_and_returns_the_result(loop: LoopThread) -> None:
    def where(a: int, b: int) -> tuple[str, int]:
        asyncio.get_running_loop()  # raises off the loop: proves where it ran
        return threading.current_thread().name, a + b

    assert loop.call(where, 2, 3) == ("test-loop", 5)


def test_call_raises_the_functions_exception_in_the_caller(loop: LoopThread) -> None:
    def broken() -> None:
        raise KeyError("nope")

    with pytest.raises(KeyError, match="nope"):
        loop.call(broken)
    assert loop.call(lambda: 1) == 1  # the loop keeps running


def test_call_from_the_loop_thread_runs_at_once(loop: LoopThread) -> None:
    async def nested() -> int:
        return loop.call(lambda: 7)  # would deadlock if it queued and waited

    assert loop.run(nested()) == 7


def test_call_waits_no_longer_than_its_timeout(loop: LoopThread) -> None:
    release = threading.Event()
    loop.loop.call_soon_threadsafe(release.wait, 5)  # the loop is busy until released
    try:
        with pytest.raises(TimeoutError, match="did not run"):
            loop.call(lambda: None, timeout_s=0.05)
    finally:
        release.set()
