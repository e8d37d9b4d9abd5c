"""The reference and the baseline as separate processes, judged through a SUT
profile exactly as a vendor's product would be; and a profile naming an
address nobody listens on, which is an ERROR of the run, not a FAIL."""

from __future__ import annotations

import signal
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

EVENNESS = "A group message whose numbers share their last two digits spreads evenly over the farm"
SCALE_OUT = "A server added while running takes submissions at once and its reports route correctly"


def verdicts(report: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for case in ET.parse(report / "junit.xml").getroot().iter("testcase"):
        kind = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), "passed")
        out.setdefault(kind, []).append(case.get("name", ""))
    return out


def test_reference_farm_out_of_process_passes_like_the_embedded_one(
    tmp_path: Path, emulate, vendor
) -> None:
    profile = vendor.write_profile(tmp_path / "p.toml", farm_port=vendor.farm_port(), control=True)
    farm = emulate("mmsg-farm", profile)
    result = vendor.run_cli(
        "run",
        "--profile",
        str(profile),
        "--area",
        "report_routing",
        "--report-dir",
        str(tmp_path / "r"),
        "--seed",
        "5",
        "--",
        "-q",
    )
    got = verdicts(tmp_path / "r")
    assert result.returncode == 0, result.stdout[-3000:]
    assert set(got) == {"passed"} and len(got["passed"]) == 19, got
    # The farm process really carried the traffic and logged it, one line per message.
    assert farm.stop() == 0
    log = farm.wait_for_line("stopped", 10)
    assert sum("SubmitReq" in line for line in log) >= 1000


def test_baseline_farm_out_of_process_fails_the_same_way(tmp_path: Path, emulate, vendor) -> None:
    profile = vendor.write_profile(tmp_path / "p.toml", farm_port=vendor.farm_port(), control=True)
    emulate("mmsg-farm-baseline", profile)
    result = vendor.run_cli(
        "run",
        "--profile",
        str(profile),
        "--report-dir",
        str(tmp_path / "r"),
        "--seed",
        "5",
        "--",
        "-q",
    )
    got = verdicts(tmp_path / "r")
    assert result.returncode == 1
    assert sorted(set(got["failure"])) == sorted({EVENNESS, SCALE_OUT}), got
    assert set(got) == {"passed", "failure"}


def test_unreachable_sut_is_an_error_not_a_failure(tmp_path: Path, vendor) -> None:
    # Bound and released: nobody listens there now.
    nobody = vendor.farm_port()
    profile = vendor.write_profile(tmp_path / "p.toml", farm_port=nobody, control=False)
    # Only the area whose SUT the profile points nowhere: the others' embedded SUTs pass.
    result = vendor.run_cli(
        "run",
        "--profile",
        str(profile),
        "--area",
        "report_routing",
        "--report-dir",
        str(tmp_path / "r"),
        "--",
        "-q",
    )
    got = verdicts(tmp_path / "r")
    assert result.returncode == 2, result.stdout[-2000:]
    assert "failure" not in got and "passed" not in got, got
    assert len(got["error"]) == 16 and len(got["skipped"]) == 3, got
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
