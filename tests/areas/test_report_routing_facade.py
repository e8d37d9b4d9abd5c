"""Steps reach the report-routing emulators only through the driver, and the
driver changes emulator state only on the emulator loop's thread."""

from __future__ import annotations

import ast
import importlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mmsconf.emulators.mmsc import MMSC, MmscConfig
from mmsconf.emulators.sp import ServiceProvider
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.areas.report_routing.driver import ReportRoutingDriver
from mmsconf.fixtures.areas.report_routing.network import ReportRoutingNet
from mmsconf.fixtures.loop import LoopThread
from mmsconf.fixtures.profile import load_profile

STEPS = Path(importlib.import_module("mmsconf.steps").__path__[0]) / "report_routing.py"


def test_steps_use_only_the_drivers_public_api() -> None:
    """Every ``rr.<name>`` in the step module is a public member of the driver, and
    nothing is reached through it (no ``rr.net.mmscs``, no ``rr.sp.reports``)."""
    public = {n for n in dir(ReportRoutingDriver) if not n.startswith("_")} | {
        "pixit",
        "last",
        "last_mo",
        "last_change",
    }
    tree = ast.parse(STEPS.read_text(encoding="utf-8"))
    used = [
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "rr"
    ]
    assert used and set(used) <= public, set(used) - public
    emulator_parts = {"net", "_net", "sp", "mmscs", "farm", "mmsc"}
    assert not emulator_parts & set(used)


class _Watch:
    """Records which thread assigns the watched attributes of an object."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, str]] = []

    def spy(self, obj: object, names: set[str]) -> None:
        watch = self
        base = type(obj)

        class Spied(base):  # type: ignore[misc, valid-type]
            def __setattr__(self, name: str, value: object) -> None:
                if name in names:
                    watch.writes.append((name, threading.current_thread().name))
                super().__setattr__(name, value)

        obj.__class__ = Spied


@pytest.fixture
def driven() -> Iterator[tuple[ReportRoutingDriver, ReportRoutingNet, _Watch]]:
    loop = LoopThread(name="emulator-loop").start()
    rr = load_profile().report_routing
    rr.pixit.update({"report_retry_initial_ms": 10, "report_retry_max_ms": 50})
    net = loop.call(ReportRoutingNet, rr, TraceRecorder(), 5)
    loop.run(net.start())
    watch = _Watch()
    try:
        for mmsc in net.mmscs.values():
            assert isinstance(mmsc, MMSC) and isinstance(mmsc.config, MmscConfig)
            watch.spy(mmsc, {"pinned_targets", "hold_reports", "report_targets"})
            watch.spy(mmsc.config, {"report_status"})
        assert isinstance(net.sp, ServiceProvider)
        watch.spy(net.sp, {"_round", "targets"})
        yield ReportRoutingDriver(net, loop), net, watch
    finally:
        loop.run(net.stop())
        loop.stop()


def test_every_change_the_driver_makes_runs_on_the_loop(driven) -> None:
    rr, net, watch = driven
    rr.set_report_status("Rejected")
    rr.pin_reports(181)
    rr.hold_reports(True)
    rr.add_server(182)
    rr.pin_reports(None)
    rr.hold_reports(False)
    seen = {name for name, _thread in watch.writes}
    assert {"report_status", "pinned_targets", "hold_reports", "_round"} <= seen, watch.writes
    assert {thread for _name, thread in watch.writes} == {"emulator-loop"}, watch.writes
    # And the changes took effect where the loop reads them.
    assert all(m.config.report_status == "Rejected" for m in net.mmscs.values())
    assert rr.modules() == [180, 181, 182]
    assert rr.report_urls()[-1] in net.mmscs["A"].report_targets


def test_what_the_driver_reads_is_a_snapshot(driven) -> None:
    rr, net, _watch = driven
    sub = rr.submit(["+8613800000001"])
    assert sub.outcome is not None and sub.outcome.ok
    assert rr.wait_reports(sub.msgid1, 1, 5000) == 1
    reports = rr.sp_reports(sub.msgid1)
    assert [r.mm_status for r in reports] == ["Retrieved"]
    assert reports is not net.sp.reports and rr.mmsc_received("A") is not net.mmscs["A"].received
