"""The reference and the baseline as separate processes, judged through a SUT
profile exactly as a vendor's product would be: long-running, never reset,
run against twice. And a profile naming an address nobody listens on, which
is an ERROR of the run, not a FAIL."""

from __future__ import annotations

import re
import signal
from pathlib import Path

from mmsconf.fixtures.areas.report_routing.control import ControlClient

SCENARIOS = 28
EVENNESS = "A group message whose numbers share their last two digits spreads evenly over the farm"
SCALE_OUT = "A server added while running takes submissions at once and its reports route correctly"
DOWN_UP = (
    "The issuing server is down when its report arrives; the report reaches the SP once it is back"
)
DEAD_LETTER = (
    "A report whose issuing server stays down past the expiry is dead-lettered, "
    "never delivered late"
)
OUTLINE = "One submission comes back as one delivery report carrying MSGID1 [state={}]"


def only(table: dict[str, tuple[str, str]], verdict: str) -> dict[str, str]:
    return {name: clause for name, (v, clause) in table.items() if v == verdict}


def test_reference_farm_out_of_process_passes_like_the_embedded_one(
    tmp_path: Path, emulate, vendor
) -> None:
    profile = vendor.write_profile(tmp_path / "p.toml", farm_port=vendor.farm_port(), control=True)
    farm = emulate("mmsg-farm", profile)
    result, table = vendor.run_suite(profile, tmp_path / "r", "--area", "report_routing")
    assert result.returncode == 0, result.stdout[-3000:]
    assert len(table) == SCENARIOS and set(table.values()) == {("passed", "")}, table
    # The farm process really carried the traffic and logged it, one line per message.
    assert farm.stop() == 0
    log = farm.wait_for_line("stopped", 10)
    assert sum("SubmitReq" in line for line in log) >= 1000


def test_baseline_farm_out_of_process_fails_the_same_way_twice(
    tmp_path: Path, emulate, vendor
) -> None:
    """Against one long-running farm, a second run gives the first run's verdicts: the
    server the scale-out scenario added is gone again, and nothing of run one counts."""
    profile = vendor.write_profile(tmp_path / "p.toml", farm_port=vendor.farm_port(), control=True)
    emulate("mmsg-farm-baseline", profile)
    for run in ("r1", "r2"):
        result, table = vendor.run_suite(profile, tmp_path / run)
        assert result.returncode == 1, (run, result.stdout[-3000:])
        assert only(table, "failed") == {EVENNESS: "rr_balance", SCALE_OUT: "rr_balance"}, table
        assert len(only(table, "passed")) == SCENARIOS - 2, table


def test_server_down_scenarios_that_fail_leave_no_error_behind(tmp_path: Path, sut, vendor) -> None:
    """A vendor farm whose down/up works but which refuses reports while their issuing
    server is down: the two server-down scenarios fail while server 180 is down, the
    harness brings it back, and every later scenario runs (and passes). A second run
    against the same farm (the scenarios from the server-down ones on) gives the same."""
    profile = vendor.write_profile(tmp_path / "p.toml", farm_port=vendor.farm_port(), control=True)
    sut("farm:vendor-no-store-and-forward", profile)
    later = "rr_dr_forward or rr_auth or rr_control"  # the down ones and many after them
    for run, options in (("r1", ()), ("r2", ("--tags", later))):
        result, table = vendor.run_suite(profile, tmp_path / run, *options)
        assert result.returncode == 1, (run, result.stdout[-3000:])
        assert only(table, "failed") == {DOWN_UP: "rr_dr_forward", DEAD_LETTER: "rr_dr_forward"}
        assert not only(table, "error") and not only(table, "skipped"), table
        assert len(only(table, "passed")) == (SCENARIOS - 2 if run == "r1" else 17), table
        junit = (tmp_path / run / "junit.xml").read_text()
        assert "MM7 status 3000 issuing server unavailable" in junit


def test_a_farm_left_changed_by_an_earlier_run_is_put_back_first(
    tmp_path: Path, emulate, vendor
) -> None:
    """An earlier run that died mid-scenario left server 180 down and the spare 182 in
    the farm: the harness puts the farm back to the profile's servers before it starts."""
    profile = vendor.write_profile(tmp_path / "p.toml", farm_port=vendor.farm_port(), control=True)
    emulate("mmsg-farm", profile)
    url = re.search(r'control_url = "([^"]+)"', profile.read_text()).group(1)
    control = ControlClient(url)
    control.add(182)
    control.down(180)
    result, table = vendor.run_suite(
        profile, tmp_path / "r", "--tags", "rr_balance or rr_auth or rr_control"
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert table and {v for v, _ in table.values()} == {"passed"}, table
    assert SCALE_OUT in table  # added 182 again: no "already in the farm"
    state = control.state()
    assert sorted(state) == [180, 181] and all(s["listening"] for s in state.values()), state


def test_a_replayed_report_is_stray_where_it_lands_and_fails_its_own_scenario(
    tmp_path: Path, sut, vendor
) -> None:
    """The SUT sends the first scenario's report again during the second. The second
    scenario passes (the report is drawn stray there, never counted); the first fails
    at the end of the run: a replayed report is a duplicate from the SUT."""
    profile = vendor.write_profile(tmp_path / "p.toml", farm_port=vendor.farm_port(), control=True)
    sut("farm:vendor-replays-old-report", profile)
    result, table = vendor.run_suite(profile, tmp_path / "r", "--tags", "rr_msgid1 and rr_control")
    assert result.returncode == 1, result.stdout[-3000:]
    assert table == {
        OUTLINE.format("Retrieved"): ("failed", "rr_final_state"),
        OUTLINE.format("Rejected"): ("passed", ""),
        OUTLINE.format("Expired"): ("passed", ""),
    }
    assert f"during '{OUTLINE.format('Rejected')}'" in result.stdout
    html = (tmp_path / "r" / "index.html").read_text()
    sections = re.split(r'<section class="scenario ', html)[1:]
    rejected = next(s for s in sections if "rejected" in s[:200])
    expired = next(s for s in sections if "expired" in s[:200])
    assert 'class="msg stray"' in rejected and "[stray] MM7 DeliveryReportReq" in rejected
    assert 'class="msg stray"' not in expired


def test_unreachable_sut_is_an_error_not_a_failure(tmp_path: Path, vendor) -> None:
    # Bound and released: nobody listens there now.
    nobody = vendor.farm_port()
    profile = vendor.write_profile(tmp_path / "p.toml", farm_port=nobody, control=False)
    result, table = vendor.run_suite(profile, tmp_path / "r")
    assert result.returncode == 2, result.stdout[-2000:]
    assert not only(table, "failed") and not only(table, "passed"), table
    assert len(only(table, "error")) == SCENARIOS - 3 and len(only(table, "skipped")) == 3, table
    junit = (tmp_path / "r" / "junit.xml").read_text()
    assert f"SUT not reachable at http://127.0.20.80:{nobody}/mm7" in junit
    html = (tmp_path / "r" / "index.html").read_text()
    assert "SUT not reachable at" in html


def test_emulate_lists_roles_and_stops_cleanly_on_sigint(tmp_path: Path, emulate, vendor) -> None:
    listed = vendor.run_cli("emulate", "--list")
    assert listed.returncode == 0
    assert {"mmsg-farm", "mmsg-farm-baseline", "mmsc", "sp"} <= {
        line.split()[0] for line in listed.stdout.splitlines()
    }
    profile = vendor.write_profile(tmp_path / "p.toml", farm_port=vendor.farm_port(), control=False)
    sp = emulate("sp", profile)
    assert sp.stop(signal.SIGINT) == 0
    assert sp.wait_for_line("stopped", 10)


def test_emulate_refuses_a_profile_without_pinned_ports(tmp_path: Path, vendor) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text('[report_routing]\ngateway = "reference"\n')
    result = vendor.run_cli("emulate", "mmsg-farm", "--config", str(profile))
    assert result.returncode == 3
    assert "[[report_routing.servers]]" in result.stderr


def test_emulated_mmscs_take_their_credentials_from_the_profile(
    tmp_path: Path, emulate, vendor
) -> None:
    """The ``mmsc`` role is configured like the embedded MMSCs: a gateway must
    present the profile's gateway_username/gateway_password."""
    import asyncio
    import tomllib

    from mmsconf.emulators.codecs import mm7
    from mmsconf.emulators.mm7_http import Credentials, MM7Client
    from mmsconf.emulators.service import Service
    from mmsconf.emulators.trace import TraceRecorder

    profile = vendor.write_profile(tmp_path / "p.toml", farm_port=vendor.farm_port(), control=False)
    port = tomllib.loads(profile.read_text())["report_routing"]["mmsc"]["port"]
    mmsc = emulate("mmsc", profile)
    codec = mm7.CodecConfig(namespace=mm7.DEFAULT_NAMESPACE)
    request = mm7.SubmitReq("T-cred", to=(mm7.Address("+33612345678"),), aux_applic_info="180-1-1")

    async def post(credentials: Credentials | None) -> int | None:
        client = MM7Client(Service("GW", "127.0.20.80"), TraceRecorder(), codec)
        try:
            url = f"http://127.0.30.1:{port}/mm7"
            return (await client.post(url, request, credentials=credentials)).status
        finally:
            await client.close()

    assert asyncio.run(post(None)) == 4001
    assert asyncio.run(post(Credentials("mmsg", "wrong"))) == 4001
    assert asyncio.run(post(Credentials("mmsg", "mmsg-secret"))) == 1000
    assert mmsc.stop() == 0
