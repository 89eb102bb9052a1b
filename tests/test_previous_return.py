"""Rules that compare a return with the same provider's return of the period before: a date of
birth must not change, and a child looked after at the end of last year must appear again."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lp_audit import validate_return
from lp_audit.cli import app

DEFINITION = """\
format: lp-audit/definition-1
name: children
version: "1.0"
title: Children looked after
period: {every: year}
fields:
  - {name: CHILD, label: Child, type: text, required: true, sensitive: true}
  - {name: DOB, label: Date of birth, type: date, required: true}
  - {name: SEX, label: Sex, type: code, codes: ["1", "2"]}
  - {name: STATUS, label: Status at year end, type: code, codes: [OPEN, CLOSED]}
previous_return:
  match: CHILD
  carried:
    when: {field: STATUS, equals: OPEN}
    message: A child looked after at the end of last year is not in this return.
rules:
  - id: dob-unchanged
    check: {compare: before.DOB == DOB}
    message: The date of birth differs from last year's return.
  - id: sex-unchanged
    severity: warning
    when: {field: before.STATUS, equals: OPEN}
    check: {compare: before.SEX == SEX}
    message: The sex differs from last year's return.
"""

LAST = """\
CHILD,DOB,SEX,STATUS
A1,2010-01-01,1,OPEN
A2,2011-02-02,2,OPEN
A3,2012-03-03,1,CLOSED
A4,2013-04-04,2,OPEN
A6,2014-01-01,1,CLOSED
"""

THIS = """\
CHILD,DOB,SEX,STATUS
A1,2010-01-01,2,OPEN
A2,2011-02-03,2,OPEN
A5,2014-05-05,1,OPEN
A6,2014-01-01,2,OPEN
,2015-01-01,1,OPEN
"""


def _files(tmp_path: Path, definition: str = DEFINITION) -> tuple[Path, Path, Path]:
    (tmp_path / "children.yaml").write_text(definition)
    (tmp_path / "last.csv").write_text(LAST)
    (tmp_path / "this.csv").write_text(THIS)
    return tmp_path / "children.yaml", tmp_path / "last.csv", tmp_path / "this.csv"


def test_a_return_is_compared_with_the_previous_one(tmp_path: Path) -> None:
    definition, last, this = _files(tmp_path)
    result = validate_return(this, definition, period="2025-26", previous=last)
    found = {(f.code, f.rule, f.line) for f in result.finding_objects()}
    assert found == {
        ("rule-failed", "sex-unchanged", 2),  # A1 was OPEN last year and its sex changed
        ("rule-failed", "dob-unchanged", 3),  # A2's date of birth changed
        ("not-carried", None, None),  # A4 was open at the end of last year and is gone
        ("missing-required", None, 6),  # no key: matched with nothing
    }
    # A6 changed sex too, but was closed last year: the rule's condition reads the old row
    [gone] = [f for f in result.finding_objects() if f.code == "not-carried"]
    assert gone.message.endswith("(line 5 of last.csv)")
    assert gone.value is None  # the key is sensitive: never shown


def test_without_the_previous_return_those_rules_are_not_checked(tmp_path: Path) -> None:
    definition, _, this = _files(tmp_path)
    result = validate_return(this, definition, period="2025-26")
    assert {f.code for f in result.finding_objects()} == {"missing-required"}


def test_a_key_that_is_not_sensitive_is_named(tmp_path: Path) -> None:
    definition, last, this = _files(
        tmp_path, DEFINITION.replace("required: true, sensitive: true", "required: true")
    )
    result = validate_return(this, definition, period="2025-26", previous=last)
    [gone] = [f for f in result.finding_objects() if f.code == "not-carried"]
    assert gone.value == "A4"


def test_the_cli_takes_the_previous_return(tmp_path: Path) -> None:
    definition, last, this = _files(tmp_path)
    runner = CliRunner()
    args = ["validate", str(this), "-d", str(definition), "--period", "2025-26"]
    out = runner.invoke(app, [*args, "--previous", str(last), "--format", "github"])
    assert out.exit_code == 1, out.output
    assert "::error file=" in out.output and "(line 5 of last.csv)" in out.output
    assert "title=Rule not met (DOB)" in out.output
    # a previous return that cannot be read is one line naming it, exit 2
    missing = runner.invoke(app, [*args, "--previous", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2
    assert "the previous return" in missing.output and "nope.csv" in missing.output


def test_previous_is_refused_for_a_definition_that_compares_nothing(tmp_path: Path) -> None:
    _, last, _ = _files(tmp_path)
    out = CliRunner().invoke(
        app,
        [
            "validate",
            str(Path(__file__).parents[1] / "examples" / "hbyw" / "oas-2025-26-q1.csv"),
            "--previous",
            str(last),
        ],
    )
    assert out.exit_code == 2
    assert "compares nothing with a previous return" in " ".join(out.output.split())


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            ("previous_return:\n  match: CHILD\n", "previous_return:\n  match: KID\n"),
            "previous_return.match: refers to a field 'KID' that does not exist",
        ),
        (
            ("previous_return:", "unused:"),
            "rules.dob-unchanged.check: before.DOB reads the matching row of the previous "
            "return: say how rows match",
        ),
        (
            ("when: {field: STATUS, equals: OPEN}", "when: {field: before.STATUS, equals: OPEN}"),
            "previous_return.carried.when: before.STATUS reads the previous return, which only "
            "a rule can",
        ),
    ],
    ids=["unknown-match", "no-previous-return", "before-in-carried"],
)
def test_definitions_check_says_what_is_wrong(
    tmp_path: Path, change: tuple[str, str], said: str
) -> None:
    definition, _, _ = _files(tmp_path, DEFINITION.replace(*change, 1))
    out = CliRunner().invoke(app, ["definitions", "check", str(definition)])
    assert out.exit_code == 2
    assert said in " ".join(out.output.split())
    assert "Traceback" not in out.output


def test_a_new_version_keeps_the_comparison_with_renamed_fields(tmp_path: Path) -> None:
    from lp_audit import load_definition

    _files(tmp_path)
    (tmp_path / "children-2.yaml").write_text(
        "format: lp-audit/definition-1\nname: children\nversion: '2.0'\ntitle: Children\n"
        "period: {every: year}\nextends: '1.0'\nchanges:\n  rename_fields: {CHILD: CHILD_ID}\n"
    )
    definition = load_definition(tmp_path / "children-2.yaml")
    assert definition.previous_return is not None
    assert definition.previous_return.match == ("CHILD_ID",)


def test_an_audit_compares_each_return_with_the_one_before(tmp_path: Path) -> None:
    import datetime as dt

    from lp_audit import audit

    text = DEFINITION.replace(
        "fields:\n",
        "return: {period_field: YEAR, provider_field: LA}\nfields:\n"
        "  - {name: YEAR, label: Year, type: text, required: true}\n"
        "  - {name: LA, label: Local authority, type: code, codes: [L1, L2]}\n",
        1,
    )
    definition, _, _ = _files(tmp_path, text)
    returns = tmp_path / "returns"
    returns.mkdir()

    def write(name: str, body: str, year: str, la: str) -> None:
        lines = body.splitlines()
        rows = [f"YEAR,LA,{lines[0]}", *(f"{year},{la},{line}" for line in lines[1:])]
        (returns / name).write_text("\n".join(rows) + "\n")

    write("l1-2024-25.csv", LAST, "2024-25", "L1")
    write("l1-2025-26.csv", THIS, "2025-26", "L1")
    write("l2-2025-26.csv", THIS, "2025-26", "L2")  # no return of the year before: not compared
    store = tmp_path / "store"
    result = audit(returns, definition, today=dt.date(2026, 6, 1), store=store)
    found = {
        (Path(r.path).name, f.code, f.rule) for r in result.returns for f in r.finding_objects()
    }
    assert ("l1-2025-26.csv", "not-carried", None) in found
    assert ("l1-2025-26.csv", "rule-failed", "dob-unchanged") in found
    assert not {f for f in found if f[0] != "l1-2025-26.csv" and f[1] != "missing-required"}
    # audited again, the comparison is read back from the store, the same
    again = audit(returns, definition, today=dt.date(2026, 6, 1), store=store)
    assert {
        (Path(r.path).name, f.code, f.rule) for r in again.returns for f in r.finding_objects()
    } == found


def test_a_column_the_previous_return_lacks_is_not_known(tmp_path: Path) -> None:
    definition, last, this = _files(tmp_path)
    last.write_text("CHILD,STATUS\nA1,OPEN\nA4,OPEN\n")  # no date of birth, no sex
    result = validate_return(this, definition, period="2025-26", previous=last)
    codes = {(f.code, f.rule) for f in result.finding_objects()}
    assert ("not-carried", None) in codes  # A4
    assert not {c for c in codes if c[1] in ("dob-unchanged", "sex-unchanged")}
