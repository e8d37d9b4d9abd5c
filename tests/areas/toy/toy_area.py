"""A toy area, registered from the test tree as a third party would register one.

Loaded with ``-p toy_area`` (the folder on PYTHONPATH). It brings everything an
area brings — a typed profile section with commented defaults, a network of
one tiny real emulator (a line echo over TCP on loopback), a step module named
by string, one clause, a PICS and an ``mmsconf emulate`` role — and touches no
generic file of mmsconf. This module is also the area's pytest plugin: it
holds the fixture named after the area.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.areas import Area, Role, Say, clause_table, register
from mmsconf.fixtures.loop import LoopThread
from mmsconf.fixtures.profile_types import Flag, LoopbackHost, Pics, Port, Section, Word


class ToyPics(Pics):
    shout: Flag


class ToySection(Section):
    host: LoopbackHost
    port: Port
    greeting: Word
    pics: ToyPics


class Echo:
    """The toy emulator: answers each line with "<greeting> <line>" (upper case if shouting)."""

    def __init__(self, section: ToySection) -> None:
        self.section = section
        self.heard: list[str] = []
        self.server: asyncio.Server | None = None

    @property
    def address(self) -> tuple[str, int]:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[:2]

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, self.section.host, self.section.port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = (await reader.readline()).decode().strip()
        self.heard.append(line)
        answer = f"{self.section.greeting} {line}"
        writer.write((answer.upper() if self.section.pics.shout else answer).encode() + b"\n")
        await writer.drain()
        writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def ask(host: str, port: int, line: str) -> str:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(line.encode() + b"\n")
    await writer.drain()
    answer = (await asyncio.wait_for(reader.readline(), 5)).decode().strip()
    writer.close()
    return answer


class ToyDriver:
    """What the toy steps call; every exchange runs on the emulator loop."""

    def __init__(self, echo: Echo, loop: LoopThread) -> None:
        self._echo = echo
        self._loop = loop
        self.last_answer = ""

    def say(self, line: str) -> str:
        self.last_answer = self._loop.run(ask(*self._echo.address, line))
        return self.last_answer

    def heard(self) -> list[str]:
        return self._loop.call(lambda: list(self._echo.heard))


@pytest.fixture
def toy(mmsconf_loop: LoopThread, mmsconf_profile: Any) -> Iterator[ToyDriver]:
    echo = mmsconf_loop.call(Echo, mmsconf_profile.section("toy"))
    mmsconf_loop.run(echo.start())
    try:
        yield ToyDriver(echo, mmsconf_loop)
    finally:
        mmsconf_loop.run(echo.stop())


async def _start_echo(section: ToySection, seed: int, trace: TraceRecorder, say: Say) -> Echo:
    echo = Echo(section)
    await echo.start()
    say("toy echo listening: {}:{}".format(*echo.address))
    return echo


AREA = register(
    Area(
        name="toy",
        title="Toy: an echo that greets, registered from the test tree",
        clauses=clause_table("toy", [("toy_echo", "The echo greets what it hears", "TCP answer")]),
        section=ToySection,
        defaults=Path(__file__).with_name("toy_defaults.toml"),
        plugin="toy_area",
        step_module="toy_steps",
        setup_step="the toy network from the SUT profile",
        roles=(Role("toy-echo", "the toy echo (TCP, one line in, one out)", _start_echo),),
    )
)
