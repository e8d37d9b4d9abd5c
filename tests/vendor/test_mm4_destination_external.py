"""A vendor's MMSC as a destination: the reference relay sends to it, the harness judges it
on the wire. ``mmsconf emulate mm4-destinations`` plays the vendor's MMSC out of process
(the reference destination at the profile's external address); a broken one
(``mm4_suts.py``) fails exactly the scenario that judges what it breaks, naming its clause.
Scenarios that turn a destination's knobs or count connections there are skipped: the
harness cannot do either to a vendor's MMSC."""

from __future__ import annotations

from pathlib import Path

from mmsconf.emulators.ports import listen_port

SCENARIOS = 12
MALFORMED = (
    "A malformed MM4 message gets a 5xx naming the problem and the destination keeps serving"
)
FIELDS = (
    "X-Mms-Message-ID",
    "X-Mms-Transaction-ID",
    "X-Mms-3GPP-MMS-Version",
    "X-Mms-Message-Type",
)
ARRIVE = "300 messages to three destinations all arrive, each acknowledged by its MM4_forward.RES"
#: Judge the relay through the destinations' knobs or counts: skipped for a vendor's MMSC.
SKIPPED = {
    "A slow destination does not hold the others back",
    "A destination down for a while gets its messages when it comes back; the others are "
    "unaffected",
    "A destination down past the expiry: its messages are dead-lettered and reported to the "
    "originator, none lost",
    "The relay keeps one message pool per destination, and counts everything it took",
    "A burst is carried on a bounded number of reused connections",
    "The sub-pools' connections are open before the first message",
    "A connection cut during DATA is replaced; the message goes again on another and arrives once",
}


def write_profile(path: Path, *, arrival_timeout_ms: int = 15000) -> Path:
    """MMSC-B external at 127.0.44.2 on a port of its own; every harness port pinned."""
    ports = {
        "relay": listen_port("127.0.44.10"),
        "core": listen_port("127.0.44.1"),
        "destinations": listen_port("127.0.44.3", "127.0.44.4"),
        "dns": listen_port("127.0.44.53", udp=True),
        "b": listen_port("127.0.44.2"),
    }
    path.write_text(
        f"""
[profile]
name = "vendor-mm4-destination"
[mm4_pool]
relay = "reference"
[mm4_pool.pixit]
retry_horizon_ms = 1000
arrival_timeout_ms = {arrival_timeout_ms}
[mm4_pool.relay_at]
port = {ports["relay"]}
[mm4_pool.core]
port = {ports["core"]}
[mm4_pool.destinations]
port = {ports["destinations"]}
[mm4_pool.dns]
port = {ports["dns"]}
[mm4_pool.destinations.hosts.B]
host = "127.0.44.2"
domain = "mms.mnc002.mcc001.gprs"
external = true
port = {ports["b"]}
[mm4_pool.destinations.hosts.C]
host = "127.0.44.3"
domain = "mms.mnc003.mcc001.gprs"
[mm4_pool.destinations.hosts.D]
host = "127.0.44.4"
domain = "mms.mnc004.mcc001.gprs"
""",
        encoding="utf-8",
    )
    return path


def by_verdict(table: dict[str, tuple[str, str]]) -> dict[str, dict[str, str]]:
    """verdict -> {scenario (the outline's rows by their field): the clause it names}."""
    out: dict[str, dict[str, str]] = {}
    for name, (verdict, clause) in table.items():
        short = name
        if name.startswith(MALFORMED):
            short = next(f"malformed {f}" for f in FIELDS if f"field={f}" in name)
        out.setdefault(verdict, {})[short] = clause
    return out


def test_reference_destination_as_the_vendors_mmsc_passes_what_is_judged(
    tmp_path: Path, emulate, vendor
) -> None:
    profile = write_profile(tmp_path / "p.toml")
    destination = emulate("mm4-destinations", profile)
    result, table = vendor.run_suite(profile, tmp_path / "r", area="mm4_pool")
    assert result.returncode == 0, result.stdout[-3000:]
    assert len(table) == SCENARIOS, table
    assert by_verdict(table) == {
        "passed": {ARRIVE: "", **{f"malformed {f}": "" for f in FIELDS}},
        "skipped": dict.fromkeys(SKIPPED, ""),
    }, table
    junit = (tmp_path / "r" / "junit.xml").read_text()
    assert junit.count("MMSC B is external (the vendor") == len(SKIPPED), junit[-2000:]
    # The out-of-process MMSC carried its share: 100 of the 300, and one after each probe.
    assert destination.stop() == 0
    log = destination.wait_for_line("stopped", 10)
    assert sum("MM4_forward.REQ" in line for line in log) >= 100 + len(FIELDS)


def test_a_destination_that_takes_a_malformed_message_fails_the_malformed_scenarios(
    tmp_path: Path, mm4_sut, vendor
) -> None:
    profile = write_profile(tmp_path / "p.toml")
    mm4_sut("takes-malformed", profile)
    result, table = vendor.run_suite(profile, tmp_path / "r", area="mm4_pool")
    assert result.returncode == 1, result.stdout[-3000:]
    verdicts = by_verdict(table)
    assert verdicts["failed"] == {f"malformed {f}": "mp_bounded" for f in FIELDS}, table
    assert verdicts["passed"] == {ARRIVE: ""}, table
    assert set(verdicts["skipped"]) == SKIPPED and "error" not in verdicts, table
    junit = (tmp_path / "r" / "junit.xml").read_text()
    assert "a 5xx answer to the malformed message, naming X-Mms-Message-ID" in junit
    assert "250" in junit


def test_a_destination_that_never_sends_the_res_fails_the_arrival_scenario(
    tmp_path: Path, mm4_sut, vendor
) -> None:
    # Arrivals at a vendor's MMSC are seen only by its .RES: without one, each message
    # waits its arrival_timeout_ms, short here to keep the run short.
    profile = write_profile(tmp_path / "p.toml", arrival_timeout_ms=3000)
    mm4_sut("no-res", profile)
    result, table = vendor.run_suite(profile, tmp_path / "r", area="mm4_pool")
    assert result.returncode == 1, result.stdout[-3000:]
    verdicts = by_verdict(table)
    # The 300 are judged as arrived by their .RES; the malformed ones still get their 5xx,
    # and then the next message (no .RES for it either) is not seen to arrive.
    assert verdicts["failed"] == {
        ARRIVE: "mp_message_pool",
        **{f"malformed {f}": "mp_bounded" for f in FIELDS},
    }, table
    assert set(verdicts["skipped"]) == SKIPPED and "error" not in verdicts, table
    assert "never arrived" in (tmp_path / "r" / "junit.xml").read_text()
