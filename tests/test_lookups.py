"""Lookup tables beside a definition, used in rules: a home postcode district's local authority
compared with the home local authority a return gives. Read once with the definition,
refused with the file and line when malformed, and recorded (by SHA-256) in what an audit
was made from."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lp_audit import audit, load_definition, validate_return
from lp_audit.cli import app

DEFINITION = """\
format: lp-audit/definition-1
name: placements
version: "1.0"
title: Placements
period: {every: year}
lookups:
  - name: la_of_district
    file: reference/postcode-districts.csv
    key: district
    value: la
fields:
  - {name: CHILD, label: Child, type: text, required: true, sensitive: true}
  - {name: HOME_DISTRICT, label: Home postcode district, type: text}
  - {name: HOME_LA, label: Home local authority, type: code, codes: [E06000043, E10000032]}
  - {name: PL_DISTRICT, label: Placement postcode district, type: text}
rules:
  - id: home-la-from-postcode
    check: {compare: la_of_district(HOME_DISTRICT) == HOME_LA}
    message: The home local authority is not the one of the home postcode district.
  - id: placed-in-another-la
    severity: warning
    check: {compare: la_of_district(PL_DISTRICT) != la_of_district(HOME_DISTRICT)}
    message: The child is placed in their home local authority.
"""

DISTRICTS = "district,la\nBN1,E06000043\nBN2,E06000043\nRH10,E10000032\nRH11,E10000032\n"

RETURN = """\
CHILD,HOME_DISTRICT,HOME_LA,PL_DISTRICT
C1,BN1,E06000043,RH10
C2,RH10,E06000043,BN2
C3,ZZ9,E06000043,BN1
C4,,E06000043,BN1
C5,BN2,E06000043,BN1
"""


def _definition(tmp_path: Path, text: str = DEFINITION, districts: str = DISTRICTS) -> Path:
    folder = tmp_path / "definition"
    (folder / "reference").mkdir(parents=True, exist_ok=True)
    (folder / "reference" / "postcode-districts.csv").write_text(districts)
    (folder / "placements.yaml").write_text(text)
    return folder / "placements.yaml"


def _return(tmp_path: Path) -> Path:
    path = tmp_path / "placements.csv"
    path.write_text(RETURN)
    return path


def test_a_lookup_in_a_rule_compares_a_fields_looked_up_value(tmp_path: Path) -> None:
    result = validate_return(_return(tmp_path), _definition(tmp_path), period="2025-26")
    assert {(f.line, f.rule) for f in result.finding_objects()} == {
        # RH10 is in West Sussex, not Brighton and Hove
        (3, "home-la-from-postcode"),
        # BN2 and BN1 are both in Brighton and Hove (ZZ9 and a blank are not known: no finding)
        (6, "placed-in-another-la"),
    }


def test_the_cli_validates_with_a_lookup_and_checks_the_definition(tmp_path: Path) -> None:
    runner = CliRunner()
    definition = _definition(tmp_path)
    checked = runner.invoke(app, ["definitions", "check", str(definition)])
    assert checked.exit_code == 0, checked.output
    out = runner.invoke(
        app,
        ["validate", str(_return(tmp_path)), "-d", str(definition), "--period", "2025-26"],
    )
    assert out.exit_code == 1, out.output
    assert "home-la-from-postcode" in out.output


def test_an_audit_records_the_lookup_file_it_used(tmp_path: Path) -> None:
    definition = _definition(tmp_path)
    digest = hashlib.sha256(DISTRICTS.encode()).hexdigest()
    assert load_definition(definition).references == (("reference/postcode-districts.csv", digest),)
    returns = tmp_path / "returns"
    returns.mkdir()
    (returns / "a.csv").write_text(RETURN)
    result = audit(returns, definition, today=dt.date(2026, 1, 1))
    assert ("placements@1.0/reference/postcode-districts.csv", digest) in result.inputs


@pytest.mark.parametrize(
    ("change", "districts", "said"),
    [
        (
            ("la_of_district(HOME_DISTRICT) == HOME_LA", "la_of(HOME_DISTRICT) == HOME_LA"),
            DISTRICTS,
            "placements.yaml:17: rules.home-la-from-postcode.check: no lookup called 'la_of' "
            "(the definition's lookups: la_of_district)",
        ),
        (
            ("value: la\n", "value: local_authority\n"),
            DISTRICTS,
            "lookups.la_of_district.file: reference/postcode-districts.csv has no column 'local_authority' "
            "(its columns: district, la)",
        ),
        (
            ("file: reference/postcode-districts.csv", "file: reference/missing.csv"),
            DISTRICTS,
            "lookups.la_of_district.file: reference/missing.csv: no such file beside the definition",
        ),
        (
            ("", ""),
            DISTRICTS + "BN1,E10000032\n",
            "postcode-districts.csv:6: district: key 'BN1' again (first on line 2)",
        ),
        (
            ("la_of_district(HOME_DISTRICT) == HOME_LA", "la_of_district(HOME_DISTRICT) <= 3"),
            DISTRICTS,
            "rules.home-la-from-postcode.check: cannot compare",
        ),
        (
            ("  - name: la_of_district\n", "  - name: count\n"),
            DISTRICTS,
            "lookups.count.name: 'count' is a word of compares (count, sum, min, max, years, "
            "days, minutes): name the lookup otherwise",
        ),
    ],
    ids=["unknown-name", "missing-column", "missing-file", "repeated-key", "not-text", "reserved"],
)
def test_definitions_check_says_what_is_wrong_with_a_lookup(
    tmp_path: Path, change: tuple[str, str], districts: str, said: str
) -> None:
    text = DEFINITION.replace(*change) if change[0] else DEFINITION
    out = CliRunner().invoke(
        app, ["definitions", "check", str(_definition(tmp_path, text, districts))]
    )
    assert out.exit_code == 2, out.output
    assert said in " ".join(out.output.split())
    assert "Traceback" not in out.output
