"""Dates and ages in rules: date literals, shifts of days, weeks, months and years, and
``years(A, B)``, the whole years from one date to another, through the CLI and the API."""

from __future__ import annotations

import json
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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


TEXT_DEFINITION = """\
format: lp-audit/definition-1
name: texts
version: "1.0"
title: A return with postcodes
fields:
  - {name: ref, label: Reference, type: text, required: true}
  - {name: postcode, label: Postcode district, type: text}
  - {name: site, label: Site, type: code, codes: [BRI01, BRI02, HAS01]}
  - {name: referred, label: Referral date, type: date}
rules:
  - id: R1
    check: {field: ref, length: {min: 4, max: 8}}
    message: A reference has 4 to 8 characters.
  - id: R2
    when: {field: site, starts_with: BRI}
    check: {field: postcode, starts_with: [BN, RH]}
    message: A Brighton site's young people live in BN or RH postcodes.
"""


def test_prefix_and_length_tests_of_text_and_codes(tmp_path: Path) -> None:
    definition = tmp_path / "texts.yaml"
    definition.write_text(TEXT_DEFINITION)
    data = tmp_path / "return.csv"
    data.write_text(
        "ref,postcode,site,referred\n"
        "ABCD,BN1,BRI01,2025-05-01\n"  # line 2: fine
        "ABC,BN2,BRI02,2025-05-01\n"  # line 3: a reference too short
        "ABCDE,TN34,BRI02,2025-05-01\n"  # line 4: a Brighton site, a Hastings postcode
        "ABCDEFGHI,TN34,HAS01,2025-05-01\n"  # line 5: too long; Hastings may be TN
        "ABCDE,,BRI01,2025-05-01\n"  # line 6: no postcode: the rule does not hold
    )
    result = validate_return(data, load_definition(definition))
    found = sorted(
        (str(r["rule"]), int(r["line"]))
        for r in result.findings.to_dict("records")
        if r["rule"] is not None
    )
    assert found == [("R1", 3), ("R1", 5), ("R2", 4), ("R2", 6)]
    rules = {r.id: r for r in load_definition(definition).rules}
    assert rules["R1"].check.describe({"ref": "Reference"}) == "Reference has 4 to 8 characters"
    assert rules["R2"].check.describe({}) == "postcode starts with BN or RH"


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("{field: ref, length: {min: 4, max: 8}}", None),
        ("{field: referred, length: 10}", "length tests the text of a text or code field"),
        ("{field: ref, length: -1}", "length takes a whole number"),
        ("{field: ref, length: {min: 9, max: 8}}", "min at most max"),
        ("{field: ref, starts_with: []}", "needs a value"),
    ],
)
def test_definitions_check_on_text_tests(tmp_path: Path, change: str, said: str | None) -> None:
    definition = tmp_path / "bad.yaml"
    definition.write_text(TEXT_DEFINITION.replace("{field: ref, length: {min: 4, max: 8}}", change))
    outcome = CliRunner().invoke(app, ["definitions", "check", str(definition)])
    if said is None:
        assert outcome.exit_code == 0, outcome.output
    else:
        assert outcome.exit_code != 0 and said in outcome.output, outcome.output
        assert "bad.yaml:" in outcome.output and "Traceback" not in outcome.output


#: values of an optional date field, each with the one finding it must get (None: none)
DATE_CASES = {
    "2020-05-31": None,
    "": None,
    "45839": "date-as-number",
    "45839.5": "date-as-number",
    "2020-05-31 00:00:00": "date-with-time",
    "2020-05-31T13:45": "date-with-time",
    "2020-05-31 08:00:00.000+01:00": "date-with-time",
    "yesterday": "invalid-date",
    "2025-02-30": "invalid-date",
    "2025-02-30 00:00:00": "invalid-date",  # no real date under the time
    "123456": "invalid-date",
    "4583": "invalid-date",
}


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.sampled_from(sorted(DATE_CASES)), min_size=1, max_size=10))
def test_an_unreadable_date_gets_one_error_that_says_what_it_looks_like(
    values: list[str],
) -> None:
    """A spreadsheet's date number and a date with a time are told apart from other dates that
    cannot be read, so that the message says what to do; each is one error, on its line."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        definition, data = _files(Path(folder))
        rows = "".join(f"B{i},{v},2020-05-31,,1\n" for i, v in enumerate(values))
        data.write_text("id,born,referred,reviewed,score\n" + rows)
        findings = validate_return(data, definition).findings
    dated = findings[findings.field.eq("born") & findings.code.str.startswith(("date", "invalid"))]
    got = {int(line): code for line, code in zip(dated.line, dated.code, strict=True)}
    expected = {i + 2: DATE_CASES[v] for i, v in enumerate(values) if DATE_CASES[v]}
    assert got == expected and len(dated) == len(expected)
    assert set(dated.severity) <= {"error"}


FORMS = {  # a format of the definition, and how to write a date in it with or without zeros
    "YYYY-MM-DD": lambda d, pad: f"{d.year}-{d.month:0{pad}d}-{d.day:0{pad}d}",
    "DD/MM/YYYY": lambda d, pad: f"{d.day:0{pad}d}/{d.month:0{pad}d}/{d.year}",
    "DD.MM.YYYY": lambda d, pad: f"{d.day:0{pad}d}.{d.month:0{pad}d}.{d.year}",
}


@settings(max_examples=60, deadline=None)
@given(
    days=st.lists(
        st.tuples(
            st.dates(min_value=date(1950, 1, 1), max_value=date(2040, 12, 31)),
            st.sampled_from(sorted(FORMS)),
            st.sampled_from([1, 2]),  # a day or month of one digit written as one, or two
        ),
        min_size=1,
        max_size=8,
    ),
    main=st.sampled_from(sorted(FORMS)),
)
def test_a_day_or_month_without_its_leading_zero_is_read_with_a_warning(
    days: list[tuple[date, str, int]], main: str
) -> None:
    """3/7/2025 is 3 July 2025, as 03/07/2025 is, in any form the definition takes; a date
    written so, or in a form accepted with a warning, gets one warning and no error, and a
    rule reads its day (the day after it passes)."""
    others = [f for f in sorted(FORMS) if f != main]
    definition = (
        'format: lp-audit/definition-1\nname: d\nversion: "1.0"\ntitle: D\n'
        f"dates: {{format: {main}, accepted_with_warning: [{', '.join(others)}]}}\n"
        "fields:\n  - {name: opened, label: Opened, type: date}\n"
        "  - {name: closed, label: Closed, type: date}\n"
        "rules:\n  - {id: order, check: {compare: closed > opened}, message: Closed first.}\n"
    )
    rows = "".join(
        f"{FORMS[form](day, pad)},{FORMS[main](day + timedelta(days=1), 2)}\n"
        for day, form, pad in days
    )
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "d.yaml").write_text(definition)
        (Path(folder) / "r.csv").write_text("opened,closed\n" + rows)
        findings = validate_return(Path(folder) / "r.csv", Path(folder) / "d.yaml").findings
    got = sorted((int(line), code) for line, code in zip(findings.line, findings.code, strict=True))
    odd = [
        i + 2
        for i, (day, form, pad) in enumerate(days)
        if form != main or FORMS[form](day, pad) != FORMS[form](day, 2)
    ]
    assert got == [(line, "date-format") for line in odd]


def test_a_draft_of_dates_without_leading_zeros_needs_no_tolerance(tmp_path: Path) -> None:
    """The draft read 3/7/2024 as DD/MM/YYYY and validation did not, so the draft's own samples
    had an invalid date in most rows and the draft a tolerance of 77% to hide it."""
    from lp_audit.drafting import infer_definition

    rows = "".join(f"C{i},{1 + i % 28}/{1 + i % 12}/2024\n" for i in range(60))
    sample = tmp_path / "cases.csv"
    sample.write_text("case_id,opened\n" + rows)
    draft = infer_definition([sample])
    assert "dates: {format: DD/MM/YYYY}" in draft.text and "tolerance" not in draft.text
    (tmp_path / "draft.yaml").write_text(draft.text)
    findings = validate_return(sample, tmp_path / "draft.yaml").findings
    assert set(findings.code) == {"date-format"} and set(findings.severity) == {"warning"}
