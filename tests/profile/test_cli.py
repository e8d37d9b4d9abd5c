"""A profile with a mistake stops ``mmsconf run`` before any scenario starts
(exit 3, each problem naming the file and the key), and ``mmsconf profile
check`` says the same; a valid one prints with every default filled in."""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mmsconf.fixtures.cli import main
from mmsconf.fixtures.profile import shipped_profiles

REL5 = "http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-5-MM7-1-2"

#: One profile per class of mistake, with the dotted key and the words its message must hold.
MISTAKES = {
    "bad integer": (
        "[report_routing.sp]\nport = 'abc'\n",
        "report_routing.sp.port",
        'expected an integer 0–65535, got "abc"',
    ),
    "out of range": (
        "[report_routing.mmsc]\nport = 65536\n",
        "report_routing.mmsc.port",
        "expected an integer 0–65535, got 65536",
    ),
    "bool as timer": (
        "[report_routing.pixit]\nsettle_ms = true\n",
        "report_routing.pixit.settle_ms",
        "positive whole number of milliseconds, got true",
    ),
    "url without scheme": (
        "[[report_routing.servers]]\nmodule = 180\nsubmit_url = '127.0.20.80:8080/mm7'\n"
        "report_url = 'http://127.0.20.80:8080/mm7/dr'\n",
        "report_routing.servers[0].submit_url",
        "(no http:// or https:// scheme)",
    ),
    "url without host": (
        "[report_routing]\ncontrol_url = 'http://:8080/farm'\n",
        "report_routing.control_url",
        "(no host)",
    ),
    "non-loopback host": (
        "[report_routing.sp]\nhost = '192.0.2.10'\n",
        "report_routing.sp.host",
        "set [profile] allow_non_loopback = true",
    ),
    "unknown enum value": (
        "[report_routing.pixit]\nmsgid2_carrier = 'Subject'\n",
        "report_routing.pixit.msgid2_carrier",
        'expected one of "AuxApplicInfo", "TransactionID", got "Subject"',
    ),
    "unknown key": (
        "[report_routing.sp]\nprot = 9101\n",
        "unknown key report_routing.sp.prot",
        'did you mean "port"?',
    ),
    "unknown section": (
        "[report-routing]\ngateway = 'reference'\n",
        "unknown section report-routing",
        'did you mean "report_routing"?',
    ),
    "REL-5 carrier conflict": (
        f"[report_routing.pixit]\nnamespace = '{REL5}'\n",
        "report_routing.pixit.msgid1_carrier",
        '"AuxApplicInfo" needs a REL-6 namespace',
    ),
}


def junit_cases(report: Path) -> int:
    junit = report / "junit.xml"
    return len(list(ET.parse(junit).getroot().iter("testcase"))) if junit.exists() else 0


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_run_stops_before_any_scenario_and_check_says_why(
    tmp_path: Path, write, cli, capsys: pytest.CaptureFixture[str], mistake: str
) -> None:
    text, key, words = MISTAKES[mistake]
    profile = write(text, "my.toml")
    report = tmp_path / "report"
    run = cli("run", "--profile", "my.toml", "--report-dir", str(report), "--", "-q", cwd=tmp_path)
    assert run.returncode == 3, run.stdout[-2000:] + run.stderr[-2000:]
    line = next((x for x in run.stderr.splitlines() if key in x), None)
    assert line is not None and "my.toml: " in line and words in line, run.stderr
    assert junit_cases(report) == 0 and not report.exists()
    assert "passed" not in run.stdout and "failed" not in run.stdout, run.stdout
    # profile check says the same (in this process: it starts no pytest).
    assert main(["profile", "check", str(profile)]) == 3
    out, err = capsys.readouterr()
    assert out == "" and f"{profile}: " in err and key in err and words in err


def test_plain_pytest_stops_on_the_same_mistake(tmp_path: Path, write) -> None:
    import subprocess
    import sys

    write("[report_routing.sp]\nprot = 9101\n", "my.toml")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "mmsconf.features",
            "-p",
            "no:cacheprovider",
            "--sut-profile",
            "my.toml",
            "--report-dir",
            str(tmp_path / "r"),
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert 'my.toml: unknown key report_routing.sp.prot; did you mean "port"?' in done.stderr


def test_check_prints_the_effective_profile(write, cli, capsys: pytest.CaptureFixture[str]) -> None:
    profile = write(
        "[profile]\nname = 'lab'\nallow_non_loopback = true\n"
        "[report_routing.sp]\nhost = '192.0.2.10'\nport = 9101\n"
    )
    done = cli("profile", "check", str(profile))  # once as a user runs it
    assert done.returncode == 0, done.stderr
    effective = tomllib.loads(done.stdout)
    assert effective["profile"] == {
        "name": "lab",
        "description": "",
        "allow_non_loopback": True,
        "wire": "warn",
    }
    rr = effective["report_routing"]
    assert rr["sp"]["host"] == "192.0.2.10" and rr["sp"]["port"] == 9101
    assert rr["pixit"]["report_expiry_ms"] == 1500  # a default, filled in
    assert rr["mmsc"]["routes"] == {"+86138": "A", "+86139": "B"}
    # What check prints is itself a valid profile, the same one.
    assert main(["profile", "check", str(write(done.stdout, "again.toml"))]) == 0
    again = capsys.readouterr().out
    assert again.splitlines()[1:] == done.stdout.splitlines()[1:]


def test_profiles_lists_the_shipped_ones(cli) -> None:
    done = cli("profiles")
    assert done.returncode == 0, done.stdout + done.stderr
    names = {line.split()[0] for line in done.stdout.splitlines() if line and not line[0].isspace()}
    assert names == set(shipped_profiles())
    assert {"reference.toml", "baseline-report-routing.toml", "example-external-mmsg.toml"} <= names
