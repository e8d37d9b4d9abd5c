"""Loading a SUT profile: the reference, overlays, and what each kind of mistake says."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from mmsconf.emulators.msgid import Msgid1Carrier, Msgid2Carrier
from mmsconf.emulators.trace import TraceRecorder
from mmsconf.fixtures.areas import areas
from mmsconf.fixtures.areas.report_routing.network import build_farm
from mmsconf.fixtures.areas.report_routing.profile import GatewayKind
from mmsconf.fixtures.profile import ProfileError, load_profile, shipped_profiles


def problems(path: Path) -> list[str]:
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    return err.value.problems


def test_reference_profile_loads() -> None:
    profile = load_profile()
    rr = profile.report_routing
    assert profile.name == "reference" and profile.path is None
    assert rr is profile.section("report_routing")
    assert rr.gateway is GatewayKind.REFERENCE and not rr.external
    assert rr.modules == [180, 181] and rr.spare_module == 182
    assert rr.mmsc.routes == {"+86138": "A", "+86139": "B"}
    # The carriers are the emulators' own enums: their put/get meaning lives there.
    assert rr.pixit.msgid1_carrier is Msgid1Carrier.AUX_APPLIC_INFO
    assert rr.pixit.msgid2_carrier is Msgid2Carrier.AUX_APPLIC_INFO
    assert profile.claims("report_routing", "server_control")
    assert not profile.claims("report_routing", "no_such_feature")
    assert not profile.claims("gateway_selection", "anything")


@pytest.mark.parametrize("name", sorted(shipped_profiles()))
def test_every_shipped_profile_is_valid(name: str) -> None:
    profile = load_profile(name)  # a shipped profile by name, without its folder
    assert profile.path == shipped_profiles()[name]
    assert profile.description


def test_a_profile_overrides_only_what_it_names(write) -> None:
    reference = load_profile().report_routing
    rr = load_profile(write("[report_routing.pixit]\nreport_expiry_ms = 900\n")).report_routing
    assert rr.pixit.report_expiry_ms == 900
    others = rr.pixit.model_dump(exclude={"report_expiry_ms"})
    assert others == reference.pixit.model_dump(exclude={"report_expiry_ms"})
    assert rr.sp == reference.sp and rr.mmsc == reference.mmsc
    # Loading an overlay does not leak into the next load of the reference.
    assert load_profile().report_routing.pixit.report_expiry_ms == reference.pixit.report_expiry_ms


def test_a_profile_without_a_name_is_called_after_its_file(write) -> None:
    profile = load_profile(write("[report_routing.pixit]\nsettle_ms = 90\n", "lab-7.toml"))
    assert profile.name == "lab-7"


def test_a_table_of_the_users_keys_replaces_the_default_whole(write) -> None:
    path = write('[report_routing.mmsc.routes]\n"+86137" = "A"\n')
    assert load_profile(path).report_routing.mmsc.routes == {"+86137": "A"}


@pytest.mark.parametrize(
    ("text", "key", "suggestion"),
    [
        (
            "[report_routing.pixit]\nreport_expiry_msec = 5\n",
            "report_routing.pixit.report_expiry_msec",
            "report_expiry_ms",
        ),
        ("[report_routing.sp]\nhostname = '127.0.0.1'\n", "report_routing.sp.hostname", "host"),
        ("[report_routing]\ngatway = 'reference'\n", "report_routing.gatway", "gateway"),
        ("[report_routing.mmsc]\nxyz = 1\n", "report_routing.mmsc.xyz", None),
    ],
)
def test_an_unknown_key_is_named_with_a_suggestion(write, text, key, suggestion) -> None:
    path = write(text)
    [line] = problems(path)
    hint = f'; did you mean "{suggestion}"?' if suggestion else ""
    assert line == f"{path}: unknown key {key}{hint}"


def test_an_unknown_section_is_named_with_a_suggestion(write) -> None:
    # An area registered with its clauses only, while there is one.
    unbuilt = next((a.name for a in areas() if not a.built), None)
    extra = f"[{unbuilt}]\n" if unbuilt else ""
    path = write(f"[reprot_routing]\ngateway = 'reference'\n{extra}[nothing_like_it]\n")
    expected = [f'{path}: unknown section reprot_routing; did you mean "report_routing"?']
    if unbuilt:
        expected.append(
            f"{path}: unknown section {unbuilt}: that area has no network yet, "
            "so nothing to configure"
        )
    expected.append(f"{path}: unknown section nothing_like_it")
    assert problems(path) == expected


def test_every_mistake_is_reported_at_once(write) -> None:
    path = write(
        "[report_routing.sp]\nport = 'abc'\n[report_routing.pixit]\nsettle_ms = 0\n"
        "[report_routing.mmsc]\nport = 70000\n"
    )
    assert problems(path) == [
        f"{path}: report_routing.pixit.settle_ms: expected a positive whole number of "
        "milliseconds, got 0",
        f'{path}: report_routing.sp.port: expected an integer 0–65535, got "abc"',
        f"{path}: report_routing.mmsc.port: expected an integer 0–65535, got 70000",
    ]


@pytest.mark.parametrize("value", ["0", "-5", "'1500'", "1.5", "true"])
def test_timers_are_positive_whole_milliseconds(write, value: str) -> None:
    path = write(f"[report_routing.pixit]\nreport_retry_max_ms = {value}\n")
    [line] = problems(path)
    assert line.startswith(f"{path}: report_routing.pixit.report_retry_max_ms: expected a positive")


def test_a_choice_names_the_allowed_values(write) -> None:
    path = write("[report_routing]\ngateway = 'round-robin'\n")
    assert problems(path) == [
        f'{path}: report_routing.gateway: expected one of "reference", '
        '"baseline-last-two-digits", "external", got "round-robin"'
    ]


@pytest.mark.parametrize("text", ["this is not toml\n", "[report_routing\ngateway = 1\n", "a = "])
def test_non_toml_is_an_error(write, text: str) -> None:
    path = write(text)
    with pytest.raises(ProfileError, match=f"^{path}: not valid TOML"):
        load_profile(path)


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="does not exist"):
        load_profile(tmp_path / "nope.toml")


ONE_SERVER = """
[report_routing]
gateway = 'external'
[[report_routing.servers]]
module = 180
submit_url = 'http://127.0.0.1:1/mm7'
report_url = 'http://127.0.0.1:1/dr'
"""


def test_an_external_farm_needs_two_complete_servers(write) -> None:
    path = write(ONE_SERVER)
    [line] = problems(path)
    assert line.startswith(
        f"{path}: report_routing.servers: an external gateway farm needs at least two"
    )
    broken = write(ONE_SERVER + "[[report_routing.servers]]\nmodule = 181\n", "broken.toml")
    assert problems(broken) == [
        f"{broken}: report_routing.servers[1].submit_url: missing; this key is required",
        f"{broken}: report_routing.servers[1].report_url: missing; this key is required",
    ]
    quoted = ONE_SERVER + (
        "[[report_routing.servers]]\nmodule = '181'\n"
        "submit_url = 'http://127.0.0.2:1/mm7'\nreport_url = 'http://127.0.0.2:1/dr'\n"
    )
    [line] = problems(write(quoted, "quoted.toml"))
    assert 'report_routing.servers[1].module: expected an integer 0–99999, got "181"' in line
    two = write(quoted.replace("'181'", "181"), "two.toml")
    rr = load_profile(two).report_routing
    assert rr.external and [s.module for s in rr.servers] == [180, 181]


def test_routes_must_name_a_known_mmsc(write) -> None:
    path = write('[report_routing.mmsc.routes]\n"+86137" = "C"\n')
    assert problems(path) == [
        f'{path}: report_routing.mmsc.routes."+86137": names MMSC "C", '
        "which mmsc.hosts does not have (A, B)"
    ]


def test_embedded_module_numbers_must_have_an_address(write) -> None:
    [line] = problems(path := write("[report_routing]\nmodules = [80, 181]\n"))
    assert line.startswith(f"{path}: report_routing.modules: embedded farm servers use module")


def test_the_gateway_request_timeout_comes_from_the_profile(write) -> None:
    rr = load_profile(
        write("[report_routing.pixit]\ngateway_request_timeout_ms = 750\n")
    ).report_routing
    mmscs = {name: f"http://{host}:1/mm7" for name, host in rr.mmsc.hosts.items()}
    farm = build_farm(rr, TraceRecorder(), 1, "http://127.0.10.1:1/mm7/dr", mmscs)
    assert farm.config.request_timeout_ms == 750


def test_hosts_may_leave_loopback_only_with_the_opt_in(write) -> None:
    text = (
        "[report_routing]\ngateway = 'external'\n"
        "[report_routing.sp]\nhost = '192.0.2.10'\n"
        "[[report_routing.servers]]\nmodule = 180\n"
        "submit_url = 'http://mmsg-a.lab.example:8080/mm7'\n"
        "report_url = 'http://mmsg-a.lab.example:8080/mm7/dr'\n"
        "[[report_routing.servers]]\nmodule = 181\n"
        "submit_url = 'https://[2001:db8::1]:8443/mm7'\nreport_url = 'https://[2001:db8::1]:8443/dr'\n"
    )
    refused = problems(path := write(text))
    assert [line.split(": ")[1] for line in refused] == [
        "report_routing.sp.host",
        "report_routing.servers[0].submit_url",
        "report_routing.servers[0].report_url",
        "report_routing.servers[1].submit_url",
        "report_routing.servers[1].report_url",
    ]
    assert all("allow_non_loopback = true" in line and str(path) in line for line in refused)
    allowed = load_profile(write("[profile]\nallow_non_loopback = true\n" + text, "lab.toml"))
    assert allowed.meta.allow_non_loopback and allowed.report_routing.sp.host == "192.0.2.10"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("127.0.20.80:8080/mm7", "(no http:// or https:// scheme)"),
        ("ftp://127.0.20.80/mm7", "(no http:// or https:// scheme)"),
        ("http:///mm7", "(no host)"),
        ("http://127.0.20.80:99999/mm7", "(the port is not 0–65535)"),
    ],
)
def test_urls_need_a_scheme_and_a_host(write, url: str, why: str) -> None:
    path = write(f"[report_routing]\ncontrol_url = '{url}'\n")
    assert problems(path) == [
        f"{path}: report_routing.control_url: expected an http:// or https:// URL with a host, "
        f'got "{url}" {why}'
    ]


def test_rel5_refuses_the_carriers_it_has_no_field_for(write) -> None:
    rel5 = "http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-5-MM7-1-2"
    path = write(
        f"[report_routing.pixit]\nnamespace = '{rel5}'\nmsgid2_carrier = 'TransactionID'\n"
    )
    [line] = problems(path)
    assert line.startswith(
        f'{path}: report_routing.pixit.msgid1_carrier: "AuxApplicInfo" needs a REL-6 namespace'
    )
    fine = write(path.read_text() + "msgid1_carrier = 'TransactionID'\n", "rel5.toml")
    assert load_profile(fine).report_routing.pixit.rel5


def test_a_section_changed_in_code_is_checked_too() -> None:
    rr = load_profile().report_routing
    rr.pixit.update({"report_expiry_ms": 300, "msgid1_carrier": "ApplicID"})
    assert rr.pixit.report_expiry_ms == 300 and rr.pixit.msgid1_carrier is Msgid1Carrier.APPLIC_ID
    with pytest.raises(ValueError, match="positive whole number of milliseconds"):
        rr.pixit.update({"settle_ms": True})


def test_the_effective_profile_loads_back_to_the_same(write) -> None:
    source = write(
        "[profile]\nname = 'lab'\n[report_routing]\ngateway = 'external'\n"
        "control_url = 'http://127.0.0.1:9000'\n"
        "[[report_routing.servers]]\nmodule = 180\n"
        "submit_url = 'http://127.0.0.1:1/mm7'\nreport_url = 'http://127.0.0.1:1/mm7/dr'\n"
        "[[report_routing.servers]]\nmodule = 181\n"
        "submit_url = 'http://127.0.0.2:1/mm7'\nreport_url = 'http://127.0.0.2:1/mm7/dr'\n"
        '[report_routing.mmsc.hosts]\nA = "127.0.30.1"\n"B \\"quoted\\"" = "127.0.30.2"\n'
        '[report_routing.mmsc.routes]\n"+86138" = "A"\n'
    )
    profile = load_profile(source)
    text = profile.as_toml()
    again = load_profile(write(text, "again.toml"))
    assert again.sections == profile.sections and again.name == "lab"
    assert tomllib.loads(text)["report_routing"]["pixit"]["msgid1_carrier"] == "AuxApplicInfo"


#: Three destinations, B external, ready to be spoiled one key at a time.
MM4_EXTERNAL_B = """
[mm4_pool]
relay = "{relay}"
[mm4_pool.relay_at]
port = {relay_port}
[mm4_pool.destinations.hosts.B]
host = "127.0.44.2"
domain = "mms.mnc002.mcc001.gprs"
external = true
port = {b_port}
{extra}
[mm4_pool.destinations.hosts.C]
host = "127.0.44.3"
domain = "mms.mnc003.mcc001.gprs"
[mm4_pool.destinations.hosts.D]
host = "127.0.44.4"
domain = "mms.mnc004.mcc001.gprs"
"""


def test_an_external_mm4_destination_loads_and_says_what_it_needs(write) -> None:
    good = dict(relay="reference", relay_port=9250, b_port=9255, extra="")
    mp = load_profile(write(MM4_EXTERNAL_B.format(**good))).mm4_pool
    assert mp.external_destinations == ["B"] and not mp.external
    assert not mp.destinations.hosts["C"].external and mp.destinations.hosts["C"].port == 0
    said = problems(write(MM4_EXTERNAL_B.format(**{**good, "relay_port": 0, "b_port": 0})))
    assert any("mm4_pool.relay_at.port" in p and ".RES" in p for p in said), said
    assert any("mm4_pool.destinations.hosts.B.port" in p for p in said), said
    said = problems(write(MM4_EXTERNAL_B.format(**{**good, "relay": "external"})))
    assert any("one SUT at a time" in p for p in said), said
    # A key a destination does not have is refused, as everywhere in a profile.
    said = problems(write(MM4_EXTERNAL_B.format(**{**good, "extra": "externel = true"})))
    assert any("mm4_pool.destinations.hosts.B.externel" in p for p in said), said
