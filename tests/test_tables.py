"""Returns of several tables: a header of children and their episodes, each file named after
its table, validated together; rules that read the matching row of another table."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lp_audit import audit, load_definition, validate_return, validate_returns
from lp_audit.cli import app

DEFINITION = """\
format: lp-audit/definition-1
name: cla
version: "1.0"
title: Children looked after
period: {every: year}
fields:
  - {name: CHILD, label: Child, type: text, required: true, sensitive: true}
  - {name: SEX, label: Sex, type: code, required: true, codes: ["1", "2"]}
  - {name: DOB, label: Date of birth, type: date, required: true}
  - {name: DECOM, label: Episode start, type: date, required: true}
  - {name: DEC, label: Episode end, type: date}
tables:
  - {name: header, fields: [CHILD, SEX, DOB], key: [CHILD]}
  - {name: episodes, fields: [CHILD, DECOM, DEC], key: [CHILD, DECOM]}
rules:
  - id: "1000"
    check: {field: header.CHILD, blank: false}
    message: The episode's child is not in the header.
  - id: "1001"
    check: {compare: DECOM >= header.DOB}
    message: The episode starts before the child was born.
  - id: "202"
    group: {by: CHILD, order: DECOM}
    check: {compare: previous.DEC <= DECOM}
    message: This episode starts before the previous one ends.
return_rules:
  - {id: child-once, table: header, unique: [CHILD], severity: error, message: One row a child.}
"""

HEADER = "CHILD,SEX,DOB\nA1,1,2010-01-01\nA2,2,2020-06-01\nA2,2,2020-06-01\n"
EPISODES = (
    "CHILD,DECOM,DEC\n"
    "A1,2025-04-01,2025-05-01\n"
    "A1,2025-04-20,2025-06-01\n"  # line 3: starts before line 2 ends
    "A2,2019-01-01,\n"  # line 4: before A2 was born
    "A9,2025-05-05,\n"  # line 5: no such child in the header
)

#: (file, line, rule) of every finding the return gives
EXPECTED = {
    ("header.csv", 4, "child-once"),
    ("episodes.csv", 3, "202"),
    ("episodes.csv", 4, "1001"),
    ("episodes.csv", 5, "1000"),
}


def _return(tmp_path: Path, definition: str = DEFINITION) -> tuple[Path, Path, Path]:
    (tmp_path / "cla.yaml").write_text(definition)
    (tmp_path / "header.csv").write_text(HEADER)
    (tmp_path / "episodes.csv").write_text(EPISODES)
    return tmp_path / "cla.yaml", tmp_path / "header.csv", tmp_path / "episodes.csv"


def _found(results: list[object]) -> set[tuple[str, int | None, str | None]]:
    return {
        (Path(r.path).name, f.line, f.rule or f.code)  # type: ignore[attr-defined]
        for r in results
        for f in r.finding_objects()  # type: ignore[attr-defined]
    }


def test_the_tables_of_a_return_are_validated_together(tmp_path: Path) -> None:
    definition, header, episodes = _return(tmp_path)
    run = validate_returns([header, episodes], definition, period="2025-26")
    assert _found(run.results) == EXPECTED
    # each file was checked against its own table's fields: no unknown columns
    assert all(f.code != "unknown-column" for r in run.results for f in r.finding_objects())


def test_a_table_alone_has_its_own_checks_and_not_those_of_other_tables(tmp_path: Path) -> None:
    definition, _, episodes = _return(tmp_path)
    result = validate_return(episodes, definition, period="2025-26")
    assert {(f.line, f.rule) for f in result.finding_objects()} == {(3, "202")}


def test_the_cli_validates_the_files_of_a_return(tmp_path: Path) -> None:
    definition, header, episodes = _return(tmp_path)
    runner = CliRunner()
    out = runner.invoke(
        app,
        [
            "validate",
            str(header),
            str(episodes),
            "-d",
            str(definition),
            "--period",
            "2025-26",
            "--format",
            "github",
        ],
    )
    assert out.exit_code == 1, out.output
    assert "::error file=" in out.output and "episodes.csv,line=5" in out.output
    other = tmp_path / "kids.csv"
    other.write_text(HEADER)
    wrong = runner.invoke(app, ["validate", str(other), "-d", str(definition)])
    assert wrong.exit_code == 2
    assert "kids.csv is not a table of cla@1.0" in " ".join(wrong.output.split())
    # an audit takes the folder as one return, each table audited; kids.csv is left out
    audit = runner.invoke(app, ["audit", str(tmp_path), "-d", str(definition)])
    assert audit.exit_code == 0, audit.output
    assert "table header" in audit.output and "table episodes" in audit.output
    assert "kids.csv: is not a table of cla@1.0" in " ".join(audit.output.split())


def test_a_table_that_cannot_be_read_leaves_the_others_checked(tmp_path: Path) -> None:
    definition, header, episodes = _return(tmp_path)
    header.write_bytes(b"")  # an empty file: its own finding, and no rows to read
    run = validate_returns([header, episodes], definition, period="2025-26")
    found = _found(run.results)
    assert ("header.csv", None, "empty-file") in found
    assert ("episodes.csv", 3, "202") in found
    # the rules that read the header are not checked without it
    assert not {x for x in found if x[2] in ("1000", "1001")}


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            ("header.DOB", "hedaer.DOB"),
            "rules.1001: hedaer.DOB reads table 'hedaer', and there is no table called so "
            "(tables: header, episodes)",
        ),
        (
            ("key: [CHILD]}", "key: [KID]}"),
            "tables.header.key: 'KID' is not one of the table's fields (CHILD, SEX, DOB)",
        ),
        (
            ("fields: [CHILD, DECOM, DEC]", "fields: [CHILD, DECOM]"),
            "fields.DEC: the field is in no table: add it to one",
        ),
        (
            ("table: header, unique", "unique"),
            "return_rules.child-once: its fields are in tables header, episodes: say which it "
            "checks (table: header)",
        ),
        (
            ("table: header, unique", "table: headers, unique"),
            "return_rules.child-once.table: there is no table called 'headers'",
        ),
        (
            (
                "{name: header, fields: [CHILD, SEX, DOB], key: [CHILD]}",
                "{name: header, fields: [CHILD, SEX, DOB]}",
            ),
            "rules.1000: header.CHILD reads the matching row of header, which has no key",
        ),
    ],
    ids=["unknown-table", "key-not-a-field", "field-in-no-table", "ambiguous", "no-such", "no-key"],
)
def test_definitions_check_says_what_is_wrong_with_tables(
    tmp_path: Path, change: tuple[str, str], said: str
) -> None:
    definition, _, _ = _return(tmp_path, DEFINITION.replace(*change))
    out = CliRunner().invoke(app, ["definitions", "check", str(definition)])
    assert out.exit_code == 2, out.output
    assert said in " ".join(out.output.split())
    assert "Traceback" not in out.output


def test_each_table_has_its_own_fields_and_rules() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        definition, _, _ = _return(Path(tmp))
        loaded = load_definition(definition)
    episodes = loaded.for_table("episodes")
    assert episodes.field_names == ("CHILD", "DECOM", "DEC")
    assert [r.id for r in episodes.rules] == ["1000", "1001", "202"]
    assert [r.id for r in loaded.for_table("header").return_rules] == ["child-once"]
    assert loaded.for_table("header").rules == ()


def test_a_column_another_table_lacks_is_not_known(tmp_path: Path) -> None:
    definition, header, episodes = _return(tmp_path)
    header.write_text("CHILD,SEX\nA1,1\nA2,2\n")  # no date of birth: its own finding
    run = validate_returns([header, episodes], definition, period="2025-26")
    found = {(name, rule) for name, _, rule in _found(run.results)}
    assert ("header.csv", "missing-column") in found
    assert ("episodes.csv", "1001") not in found  # compared with nothing known: no finding
    assert ("episodes.csv", "1000") in found  # A9 is still not in the header


def test_a_rule_counts_another_tables_rows_with_the_same_key(tmp_path: Path) -> None:
    text = DEFINITION.replace(
        "return_rules:",
        "  - id: has-episode\n"
        "    check: {compare: count(episodes) >= 1}\n"
        "    message: The child has no episode.\n"
        "  - id: few-episodes\n"
        "    severity: warning\n"
        "    check: {compare: count(episodes) <= 1}\n"
        "    message: The child has more than one episode.\n"
        "return_rules:",
    )
    definition, header, episodes = _return(tmp_path, text)
    header.write_text(
        "CHILD,SEX,DOB\nA1,1,2010-01-01\nA2,2,2020-06-01\nA3,1,2012-01-01\n,1,2012-01-01\n"
    )
    run = validate_returns([header, episodes], definition, period="2025-26")
    found = {(n, line, rule) for n, line, rule in _found(run.results) if n == "header.csv"}
    # A1 has two episodes, A3 none; the row without a child is counted as nothing known
    assert found == {
        ("header.csv", 2, "few-episodes"),
        ("header.csv", 4, "has-episode"),
        ("header.csv", 5, "missing-required"),
    }
    # the count reads the episodes, so the rule is the header's without saying so
    assert [r.id for r in load_definition(definition).for_table("header").rules] == [
        "has-episode",
        "few-episodes",
    ]


def test_definitions_check_says_what_a_count_needs(tmp_path: Path) -> None:
    text = DEFINITION.replace(
        "return_rules:",
        "  - id: has-episode\n"
        "    check: {compare: count(episods) >= 1}\n"
        "    message: The child has no episode.\n"
        "return_rules:",
    )
    definition, _, _ = _return(tmp_path, text)
    out = CliRunner().invoke(app, ["definitions", "check", str(definition)])
    assert out.exit_code == 2
    assert (
        "rules.has-episode: count(episods) counts the rows of table 'episods', and there is "
        "no table called so" in " ".join(out.output.split())
    )


def test_the_folder_of_a_return_is_its_tables(tmp_path: Path) -> None:
    definition, _, _ = _return(tmp_path)
    (tmp_path / "notes.txt").write_text("not a table")
    run = validate_returns([tmp_path], definition, period="2025-26")
    assert _found(run.results) == EXPECTED


def test_the_data_dictionary_lists_the_tables(tmp_path: Path) -> None:
    definition, _, _ = _return(tmp_path)
    runner = CliRunner()
    for name in ("docs.md", "docs.html"):
        out = runner.invoke(
            app, ["definitions", "docs", str(definition), "--output", str(tmp_path / name)]
        )
        assert out.exit_code == 0, out.output
    markdown = (tmp_path / "docs.md").read_text()
    assert (
        "| episodes | episodes.csv | Child, Episode start, Episode end | Child, Episode start |"
        in markdown
    )
    assert '<h2 id="tables-h">Tables</h2>' in (tmp_path / "docs.html").read_text()


def test_a_table_no_rule_reads_is_read_once_and_if_unreadable_is_said_so(tmp_path: Path) -> None:
    definition, header, episodes = _return(tmp_path)
    assert load_definition(definition).tables_read() == {"header"}
    episodes.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))  # no table at all
    run = validate_returns([header, episodes], definition, period="2025-26")
    assert [Path(u.path).name for u in run.unreadable] == ["episodes.csv"]
    assert _found(run.results) == {("header.csv", 4, "child-once")}


PREVIOUS = DEFINITION.replace(
    "rules:\n",
    "previous_return: {match: CHILD}\nrules:\n  - id: dob-unchanged\n    table: header\n"
    "    check: {compare: before.DOB == DOB}\n    message: The date of birth changed.\n",
    1,
)


def test_each_table_is_compared_with_its_table_of_the_previous_return(tmp_path: Path) -> None:
    """validate --previous FOLDER, and an audit of returns in folders named by provider and
    period, compare each table with the same table of the return before."""
    import shutil

    (tmp_path / "cla.yaml").write_text(PREVIOUS)
    returns = tmp_path / "returns"
    for folder, dob in (("la1-2024-25", "2010-01-01"), ("la1-2025-26", "2010-01-02")):
        (returns / folder).mkdir(parents=True)
        (returns / folder / "header.csv").write_text(f"CHILD,SEX,DOB\nA1,1,{dob}\n")
        (returns / folder / "episodes.csv").write_text("CHILD,DECOM,DEC\nA1,2025-04-01,\n")
    this, last = returns / "la1-2025-26", returns / "la1-2024-25"
    run = validate_returns([this], tmp_path / "cla.yaml", period="2025-26", previous=last)
    assert _found(run.results) == {("header.csv", 2, "dob-unchanged")}
    # without it, nothing to compare with
    assert (
        _found(validate_returns([this], tmp_path / "cla.yaml", period="2025-26").results) == set()
    )
    cli = CliRunner().invoke(
        app,
        [
            "validate",
            str(this),
            "-d",
            str(tmp_path / "cla.yaml"),
            "--previous",
            str(last),
            "--format",
            "github",
        ],
    )
    assert cli.exit_code == 1 and "header.csv,line=2" in cli.output
    (returns / "lp-audit.yaml").write_text(
        "filename_pattern: '^(?P<provider>[a-z0-9]+)-(?P<period>\\d{4}-\\d{2})$'\n"
    )
    audited = audit(returns, tmp_path / "cla.yaml")
    found = {
        (Path(r.path).parent.name, f.rule) for r in audited.returns for f in r.finding_objects()
    }
    assert found == {("la1-2025-26", "dob-unchanged")}
    shutil.rmtree(last)  # the first year of the audit: nothing before it
    again = audit(returns, tmp_path / "cla.yaml")
    assert not [f for r in again.returns for f in r.finding_objects()]
    (tmp_path / "plain.yaml").write_text(DEFINITION)  # no table compares with last year's
    nothing = CliRunner().invoke(
        app, ["validate", str(this), "-d", str(tmp_path / "plain.yaml"), "--previous", str(this)]
    )
    assert nothing.exit_code == 2
    assert "compares nothing with a previous return" in " ".join(nothing.output.split())


def test_a_table_other_tables_only_count_is_read_for_its_key_alone() -> None:
    # the header counts each child's episodes and the episodes read the child's date of
    # birth: of the episodes, only their key is parsed for the header's rules
    definition = load_definition("cla-annual-return")
    assert definition.fields_read("episodes") == {"CHILD", "DECOM"}
    assert definition.fields_read("header") == {"CHILD", "DOB"}
