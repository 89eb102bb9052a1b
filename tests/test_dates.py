"""Dates and ages in rules: date literals, shifts of days, weeks, months and years, and
``years(A, B)``, the whole years from one date to another, through the CLI and the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lp_audit import load_definition, validate_return
from lp_audit.cli import app
from lp_audit.definitions.conditions import parse_compare

DEFINITION = """\
format: lp-audit/definition-1
name: dated
version: "1.0"
title: A return with dates of birth
fields:
  - {name: id, label: ID, type: text, required: true}
  - {name: born, label: Date of birth, type: date}
  - {name: referred, label: Referral date, type: date, required: true}
  - {name: reviewed, label: Review date, type: date}
  - {name: score, label: Score, type: integer}
rules:
  - id: "12"
    check: {compare: "years(born, referred) >= 10"}
    message: The young person was under 10 when referred.
  - id: "13"
    check: {compare: "years(born, referred) < 25"}
    message: The young person was 25 or older when referred.
  - id: "14"
    check: {compare: reviewed <= referred + 3 months}
    message: The review was more than three months after the referral.
  - id: "15"
    check: {compare: referred >= 2015-04-01}
    message: The referral is from before the service began (April 2015).
"""

RETURN = """\
id,born,referred,reviewed,score
A1,2010-06-01,2020-05-31,2020-08-31,1
A2,2010-06-01,2020-06-01,2020-09-01,1
A3,2008-02-29,2026-02-28,2026-05-28,1
A4,1990-01-01,2016-01-31,2016-04-30,1
A5,,2016-01-31,2016-05-01,1
A6,2001-01-01,2014-12-31,,1
"""


def _files(tmp_path: Path) -> tuple[Path, Path]:
    definition = tmp_path / "dated.yaml"
    definition.write_text(DEFINITION)
    data = tmp_path / "return.csv"
    data.write_text(RETURN)
    return definition, data


def test_ages_months_and_date_literals_find_the_right_rows(tmp_path: Path) -> None:
    definition, data = _files(tmp_path)
    result = validate_return(data, load_definition(definition))
    found = sorted(
        (str(r["rule"]), int(r["line"]))
        for r in result.findings.to_dict("records")
        if r["rule"] is not None
    )
    assert found == [
        ("12", 2),  # 9 on the day before the tenth birthday (line 3 is 10 on the day)
        ("13", 5),  # 26 when referred
        ("14", 6),  # 31 January + 3 months is 30 April: 1 May is past it (line 5 is not)
        ("15", 7),  # referred before 2015-04-01
    ]
    # born 29 February 2008 and referred 28 February 2026 (line 4): 17, within 10 to 24;
    # no date of birth (line 6): no age, so neither age rule fails on it


def test_the_cli_names_the_line_and_the_rule_in_words(tmp_path: Path) -> None:
    definition, data = _files(tmp_path)
    outcome = CliRunner().invoke(
        app, ["validate", str(data), "-d", str(definition), "--format", "json"]
    )
    assert outcome.exit_code == 1, outcome.output
    findings = json.loads(outcome.output)["returns"][0]["findings"]
    by_rule = {f["rule"]: f for f in findings if f["rule"]}
    assert by_rule["14"]["line"] == 6 and "three months" in by_rule["14"]["message"]
    assert by_rule["12"]["line"] == 2 and by_rule["13"]["line"] == 5


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("years(born, referred) >= 10", "the whole years from born to referred is at least 10"),
        ("reviewed <= referred + 3 months", "reviewed is on or before referred plus 3 months"),
        ("reviewed <= referred - 24 months", "on or before referred minus 2 years"),
        ("reviewed < referred + 1 year", "before referred plus 1 year"),
        ("reviewed < referred + 2 weeks", "before referred plus 14 days"),
    ],
)
def test_a_compare_reads_in_words(text: str, words: str) -> None:
    assert words in parse_compare(text).describe({})


@pytest.mark.parametrize(
    ("check", "said"),
    [
        ("years(score, referred) >= 10", "'score' is not a date"),
        ("score <= 5 + 3 months", "cannot compare"),
        ("years(born, referred) >= referred", "cannot compare"),
        ("years(born referred) >= 10", "cannot read the comparison"),
        ("referred >= 2015-02-30", "not a real date"),
    ],
)
def test_definitions_check_says_what_is_wrong_with_a_date_rule(
    tmp_path: Path, check: str, said: str
) -> None:
    definition = tmp_path / "bad.yaml"
    definition.write_text(DEFINITION.replace("years(born, referred) >= 10", check))
    outcome = CliRunner().invoke(app, ["definitions", "check", str(definition)])
    assert outcome.exit_code != 0
    assert said in outcome.output and "bad.yaml:" in outcome.output, outcome.output
    assert "Traceback" not in outcome.output
