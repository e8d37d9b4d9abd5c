"""emulators/selection: candidates, each criterion, tie-breaks with tolerance steps, the final
tie-break by name, answers on their way, missed/faulted/overloaded, and a cost that does not
grow with the number of gateways."""

from __future__ import annotations

import time

import pytest

from mmsconf.emulators.codecs.gateway_status import GatewayStatus
from mmsconf.emulators.selection import GatewayTable, State, settings_of


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def status(delay=10.0, traffic=0, max_traffic=100, throughput=0.0, max_throughput=1000.0,
           overloaded=False, accepted=None) -> GatewayStatus:  # fmt: skip
    return GatewayStatus(delay, traffic, max_traffic, throughput, max_throughput, overloaded,
                         accepted=accepted)  # fmt: skip


def table(*criteria: str, tolerances=None, **kw) -> GatewayTable:
    t = GatewayTable(settings_of(criteria, tolerances), **kw)
    for name in ("gw-1", "gw-2", "gw-3"):
        t.add(name, "127.0.0.1", f"http://{name}/mm7", f"http://{name}/status")
    return t


def choices(t: GatewayTable, n: int) -> list[str]:
    return [g.name for g in (t.choose() for _ in range(n)) if g is not None]


@pytest.mark.parametrize(
    ("criterion", "figures", "best"),
    [
        ("delay", [{"delay": 30}, {"delay": 5}, {"delay": 60}], "gw-2"),
        ("residual_traffic", [{"traffic": 10}, {"traffic": 90}, {"traffic": 50}], "gw-1"),
        (
            "residual_throughput",
            [{"throughput": 900}, {"throughput": 100, "max_throughput": 200}, {"throughput": 1}],
            "gw-3",
        ),
    ],
)
def test_each_criterion_picks_its_best(criterion: str, figures: list[dict], best: str) -> None:
    t = table(criterion)
    for name, f in zip(("gw-1", "gw-2", "gw-3"), figures, strict=True):
        t.heard(name, status(**f))
    assert t.peek().name == best


def test_ties_go_to_the_second_then_the_third_criterion_then_the_name() -> None:
    t = table("delay", "residual_traffic", "residual_throughput")
    t.heard("gw-1", status(delay=10, traffic=50))
    t.heard("gw-2", status(delay=10, traffic=20))
    t.heard("gw-3", status(delay=40, traffic=0))
    assert t.peek().name == "gw-2"  # delay ties 1/2, residual traffic decides
    t.heard("gw-1", status(delay=10, traffic=20, throughput=100))
    t.heard("gw-2", status(delay=10, traffic=20, throughput=500))
    assert t.peek().name == "gw-1"  # delay and traffic tie, throughput decides
    t.heard("gw-2", status(delay=10, traffic=20, throughput=100))
    assert t.peek().name == "gw-1"  # all equal: the name decides


def test_tolerance_steps_make_close_values_equal() -> None:
    t = table("delay", "residual_traffic", tolerances={"delay": 10})
    t.heard("gw-1", status(delay=41, traffic=60))
    t.heard("gw-2", status(delay=45, traffic=10))  # same 10 ms step as gw-1: a tie
    t.heard("gw-3", status(delay=52, traffic=0))
    assert t.peek().name == "gw-2"


def test_answers_on_their_way_count_as_traffic_until_the_gateway_shows_them() -> None:
    clock = Clock()
    t = table("residual_traffic", "delay", inflight_ms=1000, clock=clock)
    for name, traffic in (("gw-1", 0), ("gw-2", 0), ("gw-3", 0)):
        t.heard(name, status(traffic=traffic, max_traffic=3, accepted=0))
    # Nine answers fill three gateways of three; the tenth finds none.
    assert sorted(choices(t, 9)) == ["gw-1"] * 3 + ["gw-2"] * 3 + ["gw-3"] * 3
    assert t.choose() is None
    # gw-1 shows two of its three arrived and finished (traffic back to 0): room for two.
    t.heard("gw-1", status(traffic=0, max_traffic=3, accepted=2))
    assert choices(t, 3) == ["gw-1", "gw-1"]
    # Without the counter, a heartbeat's traffic is all there is to know.
    t.heard("gw-2", status(traffic=1, max_traffic=3))
    assert choices(t, 3) == ["gw-2", "gw-2"]
    # Answers older than inflight_ms are forgotten (a client asked and never sent).
    clock.now += 2
    t.heard("gw-3", status(traffic=0, max_traffic=3, accepted=0))
    assert choices(t, 1) == ["gw-3"]


def test_missed_faulted_overloaded_and_back_in() -> None:
    changes: list[tuple[str, str]] = []
    t = table("delay", missed_limit=2)
    t.on_change = lambda g, old, new: changes.append((g.name, new.value))
    for name, delay in (("gw-1", 5), ("gw-2", 10), ("gw-3", 20)):
        t.heard(name, status(delay=delay))
    t.missed("gw-1", "timeout")
    assert t.peek().name == "gw-1" and t.gateways["gw-1"].state is State.IN
    t.missed("gw-1", "timeout")
    assert t.peek().name == "gw-2" and "2 heartbeats missed" in t.gateways["gw-1"].why
    t.faulted("gw-2", "heartbeat answered HTTP 503")
    t.heard("gw-3", status(delay=20, overloaded=True))
    assert t.peek() is None and t.choose() is None
    t.heard("gw-2", status(delay=10))
    assert t.peek().name == "gw-2"
    assert changes[:3] == [("gw-1", "in"), ("gw-2", "in"), ("gw-3", "in")]
    assert ("gw-1", "out") in changes and ("gw-3", "out") in changes
    t.remove("gw-2")
    assert t.peek() is None and t.names() == ["gw-1", "gw-3"]


def test_reconfigure_rebuilds_the_ranking() -> None:
    t = table("delay")
    t.heard("gw-1", status(delay=5, traffic=90))
    t.heard("gw-2", status(delay=50, traffic=0))
    assert t.peek().name == "gw-1"
    t.configure(settings_of(["residual_traffic"]))
    assert t.peek().name == "gw-2"
    assert [g.name for g in t.candidates()][:2] == ["gw-2", "gw-1"]


def _cost(n: int, queries: int = 3000) -> float:
    t = GatewayTable(settings_of(["residual_traffic", "delay"]), inflight_ms=60_000)
    for i in range(n):
        name = f"gw-{i:04d}"
        t.add(name, "127.0.0.1", "http://x/mm7", "http://x/status")
        t.heard(name, status(delay=i % 7, traffic=i % 13, max_traffic=10**6))
    started = time.perf_counter()
    for _ in range(queries):
        t.choose()
    return (time.perf_counter() - started) / queries


def test_a_choice_costs_about_the_same_with_1000_gateways_as_with_3() -> None:
    small = min(_cost(3) for _ in range(3))
    large = min(_cost(1000) for _ in range(3))
    # A heap: log2(1000) ~ 10 levels against 2; a linear scan would be ~300x.
    assert large < small * 6, (small, large)
