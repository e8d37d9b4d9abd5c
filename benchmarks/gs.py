"""Gateway selection in the benchmarks: the selector as a server, selection cost, failover.

* ``selector_server(host)``: the reference DNS selector as ``mmsconf emulate
  dns-selector`` runs it (its own TraceRecorder, heartbeats every 200 ms)
  with three status-serving gateways, in the process that calls it: the
  ``dns-selector`` and ``dns-vs-unbound`` rows run it in a ``ResponderProcess``.
* ``selection_cost(n, ...)``: the time one query's selection takes with ``n``
  gateways, in the selector's table and through the selector's whole answer
  path (parse, choose, the cached answer), against a scan of every gateway.
* ``failover_once(...)``: the conformance suite's network; a gateway stops
  answering heartbeats while the SP keeps sending, and the time from its last
  answered heartbeat to the last submission that reached it, in periods.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from mmsconf.emulators.codecs import dns
from mmsconf.emulators.codecs import gateway_status as gs
from mmsconf.emulators.dns_selector import DnsSelector, SelectorConfig
from mmsconf.emulators.gs_gateway import Figures, Heartbeat, SelectableGateway
from mmsconf.emulators.mm7_http import Credentials
from mmsconf.emulators.mmsg import FarmDirectory, MmsgConfig
from mmsconf.emulators.selection import GatewayTable, State, settings_of
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.areas.gateway_selection.network import GatewaySelectionNet
from mmsconf.fixtures.areas.gateway_selection.profile import GatewaySelectionSection
from mmsconf.fixtures.profile import load_profile

#: The name the selector answers in the benchmarks (its default zone and gateway name).
GATEWAY_NAME = "mmsg.operator.example."
GATEWAY_HOSTS = ("127.0.53.11", "127.0.53.12", "127.0.53.13")

# --------------------------------------------------------------------------- the server


@dataclass
class SelectorServer:
    selector: DnsSelector
    gateways: list[SelectableGateway]

    @property
    def port(self) -> int:
        return self.selector.udp.port

    @property
    def answered(self) -> int:
        return self.selector.counts["answered"]

    async def stop(self) -> None:
        await self.selector.stop()
        for gateway in self.gateways:
            await gateway.stop()


async def selector_server(host: str) -> SelectorServer:
    """The reference selector on ``host`` (a free port) with three healthy gateways; returns
    once every gateway is in, so the first query measured is answered with one."""
    trace = TraceRecorder()
    selector = DnsSelector(trace, host, 0, config=SelectorConfig())
    gateways = []
    for i, gw_host in enumerate(GATEWAY_HOSTS):
        # No limit a benchmark could reach: each answer counts as traffic on its way for
        # four periods (nobody submits), and a full gateway would be SERVFAIL, not a figure.
        figures = Figures(delay_ms=10 + i, max_traffic=10**9)
        gateway = SelectableGateway(
            trace, f"gw-{i + 1}", 180 + i, gw_host, 0, {}, FarmDirectory(),
            MmsgConfig(mmsc_credentials=Credentials("mmsg", "x")),
            dns_server=(host, 53), mmsc_names={}, figures=figures,
        )  # fmt: skip
        await gateway.start()
        gateways.append(gateway)
        selector.add_gateway(gateway.name, gw_host, gateway.submit_url, gateway.status_url)
    await selector.start()
    names = sorted(g.name for g in gateways)
    await selector.events.wait_for(
        lambda _: sorted(g.name for g in selector.table.candidates()) == names,
        10_000, "every gateway in",
    )  # fmt: skip
    return SelectorServer(selector, gateways)


# --------------------------------------------------------------------------- selection cost

CRITERIA = ("residual_traffic", "delay", "residual_throughput")


def _status(rng: random.Random) -> gs.GatewayStatus:
    return gs.GatewayStatus(
        delay_ms=rng.randrange(1, 200),
        traffic=rng.randrange(0, 1000),
        max_traffic=10**9,
        throughput=rng.randrange(0, 1000),
        max_throughput=10**6,
    )


def healthy_table(n: int, rng: random.Random) -> GatewayTable:
    """A table with ``n`` gateways, each heard once with random figures (all candidates)."""
    table = GatewayTable(settings_of(CRITERIA), inflight_ms=800)
    for i in range(n):
        name = f"gw-{i:04d}"
        host = f"127.1.{i // 250}.{i % 250 + 1}"
        table.add(name, host, f"http://{host}:8080/mm7", f"http://{host}:8080/status")
        table.heard(name, _status(rng))
    return table


def healthy_selector(n: int, rng: random.Random) -> DnsSelector:
    """A selector (not started: no socket) whose table is ``healthy_table(n)``."""
    config = SelectorConfig(criteria=CRITERIA)
    selector = DnsSelector(TraceRecorder(), "127.0.53.1", 0, config=config)
    selector.table = healthy_table(n, rng)
    return selector


def _scan(table: GatewayTable) -> Any:
    """What a selector that recomputes per query does: rank every candidate, take the best."""
    return min((g for g in table.gateways.values() if g.candidate), key=table.key)


@dataclass
class Cost:
    """Nanoseconds per query (median over batches) for one number of gateways."""

    gateways: int
    choose_ns: float = 0.0
    answer_ns: float = 0.0
    scan_ns: float = 0.0
    batches: dict[str, list[float]] = field(default_factory=dict)


def _batch_ns(fn: Any, count: int) -> float:
    started = time.perf_counter_ns()
    for _ in range(count):
        fn()
    return (time.perf_counter_ns() - started) / count


async def selection_cost(
    sizes: tuple[int, ...], *, rounds: int, per_batch: int, seed: int, deadline: float
) -> dict[int, Cost]:
    """Per-query selection time for each size, the sizes interleaved round by round so a
    machine that gets busier moves all of them alike. Between batches the table is compacted
    and every gateway heard again (what one heartbeat period does; not timed)."""
    rng = random.Random(seed)
    selectors = {n: healthy_selector(n, rng) for n in sizes}
    query = dns.build_query(GATEWAY_NAME, "URI", id=7)
    costs = {n: Cost(n, batches={"choose": [], "answer": [], "scan": []}) for n in sizes}
    for _ in range(rounds):
        if time.monotonic() > deadline:
            break
        for n, selector in selectors.items():
            table = selector.table
            c = costs[n].batches
            c["choose"].append(_batch_ns(table.choose, per_batch))
            loop_ns = time.perf_counter_ns()
            for _ in range(per_batch):
                await selector.respond(query, ("127.0.0.1", 5353), "udp")
            c["answer"].append((time.perf_counter_ns() - loop_ns) / per_batch)
            scan_count = max(10, per_batch // max(1, n // 10))
            c["scan"].append(_batch_ns(lambda t=table: _scan(t), scan_count))
            table.compact()
            for name in list(table.gateways):
                table.heard(name, _status(rng))
            await asyncio.sleep(0)  # let the runner's loop breathe between batches
    for cost in costs.values():
        cost.choose_ns = statistics.median(cost.batches["choose"])
        cost.answer_ns = statistics.median(cost.batches["answer"])
        cost.scan_ns = statistics.median(cost.batches["scan"])
    return costs


# --------------------------------------------------------------------------- failover


def gs_profile() -> GatewaySelectionSection:
    return load_profile().section("gateway_selection")


@dataclass
class Failover:
    periods: float  # last answered heartbeat -> last submission that reached the gateway
    detected_periods: float  # last answered heartbeat -> the selector taking it out
    after_out: int  # submissions that reached it after the selector took it out
    sent: int


async def failover_once(net: GatewaySelectionNet, rng: random.Random, round_no: int) -> Failover:
    """gw-2 the best by delay; the SP sends one message after another; at a random point
    of a heartbeat period gw-2 goes silent; sending goes on until the selector has had it
    out for two more periods. Times are the emulators' own event times."""
    assert net.selector is not None and net.sp is not None
    selector, sp = net.selector, net.sp
    period_s = net.profile.pixit.heartbeat_period_ms / 1000
    victim = net.gateways["gw-2"]
    for name, delay in (("gw-1", 30), ("gw-2", 5), ("gw-3", 60)):
        net.gateways[name].set_figures(delay_ms=delay)
    await selector.events.wait_for(
        lambda _: (top := selector.table.peek()) is not None and top.name == "gw-2",
        5000, "gw-2 the best",
    )  # fmt: skip
    net.open_scope(f"bfo{round_no:03d}", "bench", "failover")
    sent = 0
    stop = asyncio.Event()

    async def sender() -> None:
        nonlocal sent
        while not stop.is_set():
            await sp.send([f"+86138900{round_no:02d}{sent:04d}"], net.next_msgid1())
            sent += 1

    silent_after = rng.uniform(2 * period_s, 3 * period_s)  # any phase of the period
    task = asyncio.ensure_future(sender())
    try:
        with_silence = asyncio.Event()
        asyncio.get_running_loop().call_later(silent_after, with_silence.set)
        await with_silence.wait()
        victim.set_heartbeat(Heartbeat.SILENT)
        await selector.events.wait_for(
            lambda _: "gw-2" in selector.table.names(state=State.OUT), 5000, "gw-2 out"
        )
        # Two more periods of sending: anything still on its way to gw-2 lands.
        done = asyncio.Event()
        asyncio.get_running_loop().call_later(2 * period_s, done.set)
        await done.wait()
    finally:
        stop.set()
        await task
    beats = [e for e in victim.events.of("heartbeat") if e.data.get("mode") == "answer"]
    arrivals = victim.events.of("arrival")
    changes = [
        e for e in selector.events.of("gateway_state")
        if e.data.get("name") == "gw-2" and e.data.get("state") == "out"
    ]  # fmt: skip
    last_beat = beats[-1].time
    last_arrival = arrivals[-1].time
    out_time = changes[-1].time
    late = sum(1 for e in arrivals if e.time > out_time)
    victim.set_heartbeat(Heartbeat.ANSWER)
    await selector.events.wait_for(
        lambda _: "gw-2" in selector.table.names(state=State.IN), 5000, "gw-2 back"
    )
    return Failover(
        (last_arrival - last_beat) / period_s, (out_time - last_beat) / period_s, late, sent
    )
