"""Wire conformance against SUTs out of process: a farm whose forwarded SubmitReqs carry
the namespace as SOAPAction (the harness's MMSCs read leniently, so every behaviour
passes) is counted in the report's "Wire conformance" section, and with
``[profile] wire = "fail"`` the scenarios that saw it fail clause ``wire``."""

from __future__ import annotations

import html
import re
from pathlib import Path

#: Scenarios where the farm forwards to an MMSC (rr_msgid1) and where it must not (rr_auth).
TAGS = "rr_msgid1 or rr_auth"
#: The scenarios of features/wire/ (an outline of two rows and three scenarios).
WIRE_SCENARIOS = 8
DR_ANSWER = "A DeliveryReportReq from an MMSC is answered with a DeliveryReportRsp that conforms"
AUTH = "An SP that fails authentication gets a failure response and nothing is forwarded"


def wire_section(report: Path) -> str:
    page = (report / "index.html").read_text(encoding="utf-8")
    start = page.index('id="wire-conformance"')
    return page[start : page.index("</section>", start)]


def role_counts(section: str) -> tuple[int, int]:
    """(judged, clean) of the MMS gateway role."""
    m = re.search(r'data-role="MMS gateway" data-judged="(\d+)" data-clean="(\d+)"', section)
    assert m is not None, html.unescape(section)[:2000]
    return int(m.group(1)), int(m.group(2))


def test_a_deviating_farm_warns_by_default_and_fails_clause_wire_when_asked(
    tmp_path: Path, sut, vendor
) -> None:
    port = vendor.farm_port()
    ports = vendor.Ports.fresh()
    warn = vendor.write_profile(tmp_path / "warn.toml", farm_port=port, control=True, ports=ports)
    sut("farm:vendor-soapaction-namespace", warn)

    result, table = vendor.run_suite(warn, tmp_path / "warn", "--tags", TAGS)
    # Warn: the behaviour is right, so every verdict stands.
    assert result.returncode == 0, result.stdout[-3000:]
    assert set(table.values()) == {("passed", "")}, table
    section = wire_section(tmp_path / "warn")
    judged, clean = role_counts(section)
    assert judged > clean > 0  # the SubmitRsps to the SP are clean, the forwards are not
    m = re.search(
        r'data-code="soapaction-namespace"><td class="mono">[^<]*</td>'
        r'<td class="num">(\d+)</td>',
        section,
    )
    assert m is not None and int(m.group(1)) == judged - clean, section
    assert "REL-6-MM7-1-4" in section and "verdicts stand" in section

    fail = vendor.write_profile(
        tmp_path / "fail.toml", farm_port=port, control=True, ports=ports, wire="fail"
    )
    result, table = vendor.run_suite(fail, tmp_path / "fail", "--tags", TAGS)
    assert result.returncode == 1, result.stdout[-3000:]
    failed = {name: clause for name, (v, clause) in table.items() if v == "failed"}
    passed = [name for name, (v, _) in table.items() if v == "passed"]
    # What reached an MMSC fails `wire`; the refused submissions forward nothing, and pass.
    assert failed and set(failed.values()) == {"wire"}, table
    assert passed and all(name.startswith(AUTH) for name in passed), table
    junit = (tmp_path / "fail" / "junit.xml").read_text(encoding="utf-8")
    assert "soapaction-namespace at SOAPAction" in junit


def test_the_reference_farm_out_of_process_is_judged_clean(tmp_path: Path, emulate, vendor) -> None:
    profile = vendor.write_profile(
        tmp_path / "p.toml", farm_port=vendor.farm_port(), control=True, wire="fail"
    )
    emulate("mmsg-farm", profile)
    result, table = vendor.run_suite(profile, tmp_path / "r", "--tags", TAGS)
    assert result.returncode == 0, result.stdout[-3000:]
    assert set(table.values()) == {("passed", "")}, table
    judged, clean = role_counts(wire_section(tmp_path / "r"))
    assert judged == clean > 0


def test_features_wire_fail_a_deviating_answer_whatever_the_profile_says(
    tmp_path: Path, sut, vendor
) -> None:
    """features/wire/ against a farm whose DeliveryReportRsps carry a padded TransactionID:
    the DeliveryReportRsp scenario fails `wire` under the default `warn`; the SubmitRsp and
    Fault scenarios pass."""
    profile = vendor.write_profile(tmp_path / "p.toml", farm_port=vendor.farm_port(), control=True)
    sut("farm:vendor-padded-report-answers", profile)
    result, table = vendor.run_suite(profile, tmp_path / "r", area="wire")
    assert result.returncode == 1, result.stdout[-3000:]
    failed = {name: clause for name, (v, clause) in table.items() if v == "failed"}
    assert failed == {DR_ANSWER: "wire"}, table
    assert len(table) == WIRE_SCENARIOS and len(only_passed(table)) == WIRE_SCENARIOS - 1, table
    junit = (tmp_path / "r" / "junit.xml").read_text(encoding="utf-8")
    assert "transaction-id-whitespace at TransactionID" in junit
    section = wire_section(tmp_path / "r")
    assert 'data-code="transaction-id-whitespace"' in section


def only_passed(table: dict[str, tuple[str, str]]) -> list[str]:
    return [name for name, (v, _) in table.items() if v == "passed"]
