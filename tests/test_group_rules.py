"""Rules over a key's rows: a child's episodes in date order (the previous and next episode, the
first and last), and what a child's rows add up to (count, sum, min, max, days in care).

Checked through the API and the CLI, whole and in chunks, by pandera and directly, and against
a plain-Python reading of the same rules on generated returns.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lp_audit import load_definition, validate_return
from lp_audit.cli import app

DEFINITION = """\
format: lp-audit/definition-1
name: episodes
version: "1.0"
title: Care episodes
period: {every: year}
fields:
  - {name: CHILD, label: Child, type: text, required: true, sensitive: true}
  - {name: DECOM, label: Start date, type: date, required: true}
  - {name: DEC, label: End date, type: date}
  - {name: RESPITE, label: Respite days, type: integer}
  - {name: PL, label: Placement, type: code, codes: [A, B, C]}
rules:
  - id: "202"
    group: {by: CHILD, order: DECOM}
    check: {compare: previous.DEC <= DECOM}
    message: This episode starts before the child's previous episode ends.
  - id: "205"
    group: {by: CHILD, order: DECOM}
    when: {field: previous.PL, equals: A}
    check: {field: PL, not_equals: A}
    message: Two A placements in a row.
  - id: "206"
    group: {by: CHILD, order: DECOM}
    check: {compare: next.DECOM >= DEC}
    severity: warning
    message: The next episode starts before this one ends.
  - id: "207"
    group: {by: CHILD, order: DECOM}
    check: {compare: last.DECOM <= first.DECOM + 1 years}
    severity: warning
    message: The child's episodes span more than a year.
  - id: "302"
    group: {by: CHILD}
    check: {compare: sum(RESPITE) <= 75}
    message: More than 75 respite days for the child in the year.
  - id: "303"
    group: {by: CHILD}
    check: {compare: count() <= 3}
    message: More than three episodes.
  - id: "304"
    group: {by: CHILD}
    check: {compare: "sum(days(DECOM, DEC)) <= 400"}
    message: More than 400 days in care in the year.
  - id: "305"
    check: {compare: "days(DECOM, DEC) >= 0"}
    message: Ends before it starts.
  - id: "306"
    group: {by: CHILD}
    check: {compare: max(RESPITE) <= 60}
    severity: warning
    message: One episode has more than 60 respite days.
"""

RETURN = """\
CHILD,DECOM,DEC,RESPITE,PL
C1,2025-04-01,2025-05-01,10,A
C1,2025-04-20,2025-06-01,70,A
C2,2025-04-01,2025-04-10,5,B
C3,2025-06-01,2025-05-01,,C
C4,2025-04-01,2025-04-02,,A
C4,2025-04-03,2025-04-04,,B
C4,2025-04-05,2025-04-06,,B
C4,2025-04-07,2025-04-08,,B
,2025-04-01,2025-04-08,100,A
C5,2024-01-01,2025-03-01,,B
C5,2025-03-20,2025-03-25,,B
"""

#: (line, rule, field) of every finding the return above should give
EXPECTED = {
    (2, "302", "RESPITE"),  # C1's respite days add up to 80
    (3, "302", "RESPITE"),
    (3, "202", "DECOM"),  # starts on 20 April, the episode before ends on 1 May
    (2, "206", "DEC"),  # ... seen from the episode before
    (3, "205", "PL"),  # A after A
    (3, "306", "RESPITE"),  # 70 respite days in one episode: a warning on the child's rows
    (2, "306", "RESPITE"),
    (5, "305", "DECOM"),  # ends before it starts: a rule of the row alone
    *((line, "303", "CHILD") for line in (6, 7, 8, 9)),  # C4 has four episodes
    (10, "missing-required", "CHILD"),  # no key: in no group, no rule fails on it
    (11, "304", "DECOM"),  # C5: 424 days in care
    (12, "304", "DECOM"),
    (11, "207", "DECOM"),  # C5's episodes start more than a year apart
    (12, "207", "DECOM"),
}


def _definition(tmp_path: Path, text: str = DEFINITION) -> Path:
    path = tmp_path / "episodes.yaml"
    path.write_text(text)
    return path


def _found(result: object) -> set[tuple[int | None, str | None, str | None]]:
    return {
        (f.line, f.rule or f.code, f.field)
        for f in result.finding_objects()  # type: ignore[attr-defined]
    }


def _return(tmp_path: Path, text: str = RETURN) -> Path:
    path = tmp_path / "episodes.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "options",
    [{"engine": "pandera"}, {"engine": "direct"}, {"chunk_rows": 3}, {"chunk_rows": 1}],
    ids=["pandera", "direct", "chunks-of-3", "chunks-of-1"],
)
def test_group_rules_find_each_row_at_its_line(tmp_path: Path, options: dict[str, object]) -> None:
    result = validate_return(_return(tmp_path), _definition(tmp_path), period="2025-26", **options)  # type: ignore[arg-type]
    assert _found(result) == EXPECTED


def test_values_of_other_rows_and_sensitive_keys_are_never_shown(tmp_path: Path) -> None:
    result = validate_return(_return(tmp_path), _definition(tmp_path), period="2025-26")
    by = {(f.line, f.rule): f for f in result.finding_objects()}
    # the finding is of this row's start date, and shows it, not the previous row's end date
    assert by[(3, "202")].value == "2025-04-20"
    # a rule over the child's rows alone (count) names the key, which is sensitive
    assert by[(6, "303")].field == "CHILD" and by[(6, "303")].value is None
    assert all(f.value not in {"C1", "C4", "C5"} for f in result.finding_objects())


def test_the_cli_lists_group_rule_findings_and_fails(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(
        app,
        [
            "validate",
            str(_return(tmp_path)),
            "-d",
            str(_definition(tmp_path)),
            "--period",
            "2025-26",
            "--format",
            "json",
        ],
    )
    assert out.exit_code == 1, out.output
    findings = json.loads(out.stdout)["returns"][0]["findings"]
    assert {(f["line"], f["rule"]) for f in findings if f["rule"]} == {
        (line, rule) for line, rule, _ in EXPECTED if rule[0].isdigit()
    }


def test_ties_keep_the_files_order_and_blank_orders_have_no_neighbours(tmp_path: Path) -> None:
    text = (
        "CHILD,DECOM,DEC,RESPITE,PL\n"
        "C1,2025-04-01,2025-04-05,,A\n"  # line 2
        "C1,2025-04-01,2025-04-09,,A\n"  # line 3: same start, after line 2 in the file
        "C1,,2025-04-09,,A\n"  # line 4: no start date, so no place in the order
    )
    result = validate_return(_return(tmp_path, text), _definition(tmp_path), period="2025-26")
    found = {(line, rule) for line, rule, _ in _found(result)}
    assert (3, "205") in found  # A after A: line 3 follows line 2
    assert (3, "202") in found  # line 2 ends on 5 April, after line 3 starts
    assert not {(4, "205"), (4, "202")} & found


def test_definitions_check_says_what_a_group_rule_needs(tmp_path: Path) -> None:
    broken = (
        DEFINITION.replace(
            "    group: {by: CHILD, order: DECOM}\n    check: {compare: previous.DEC <= DECOM}",
            "    check: {compare: previous.DEC <= DECOM}",
        )
        .replace(
            "    group: {by: CHILD, order: DECOM}\n    when: {field: previous.PL, equals: A}",
            "    group: {by: CHILD}\n    when: {field: previous.PL, equals: A}",
        )
        .replace("check: {compare: sum(RESPITE) <= 75}", "check: {compare: sum(PL) <= 75}")
        .replace(
            "group: {by: CHILD}\n    check: {compare: count()",
            "group: {by: KID}\n    check: {compare: count()",
        )
        .replace(
            'check: {compare: "days(DECOM, DEC) >= 0"}', "check: {compare: days(DECOM, DEC) >= 0}"
        )
    )
    out = CliRunner().invoke(app, ["definitions", "check", str(_definition(tmp_path, broken))])
    assert out.exit_code == 2
    text = " ".join(out.output.split())
    assert "episodes.yaml:13: rules.202.check: previous.DEC reads the other rows of a group" in text
    assert "episodes.yaml:16: rules.205.when: previous.PL is a row before or after" in text
    assert "rules.302.check: sum(PL): sum() needs numbers, and 'PL' is not" in text
    assert "rules.303.group: refers to a field 'KID' that does not exist" in text
    assert "rules.305.check.compare: the comparison was cut at a comma" in text
    assert "Traceback" not in out.output


def test_a_new_version_renames_a_groups_fields(tmp_path: Path) -> None:
    _definition(tmp_path)
    (tmp_path / "episodes-2.yaml").write_text(
        "format: lp-audit/definition-1\nname: episodes\nversion: '2.0'\ntitle: Care episodes\n"
        "extends: '1.0'\n"
        "changes:\n  rename_fields: {CHILD: CHILD_ID, DEC: DECEASE}\n"
    )
    definition = load_definition(tmp_path / "episodes-2.yaml")
    rule = next(r for r in definition.rules if r.id == "202")
    assert rule.group is not None and rule.group.by == ("CHILD_ID",)
    assert "previous.DECEASE" in str(rule.check)


# -- against a plain-Python reading of the same rules, on generated returns -------------------

_ROW = st.tuples(
    st.sampled_from(["K1", "K2", "K3", ""]),
    st.one_of(st.just(""), st.integers(0, 40)),  # start: a day of April or May, or blank
    st.one_of(st.just(""), st.integers(0, 40)),  # end
    st.one_of(st.just(""), st.integers(0, 50)),  # respite days
)
_DAY0 = dt.date(2025, 4, 1)


def _day(offset: int | str) -> dt.date | None:
    return None if offset == "" else _DAY0 + dt.timedelta(days=int(offset))


def _expected(rows: list[tuple[str, object, object, object]]) -> set[tuple[int, str]]:
    """Rules 202, 206, 302, 303 and 304, one row and one group at a time, in plain Python."""
    out: set[tuple[int, str]] = set()
    keyed = [(i, r) for i, r in enumerate(rows) if r[0]]
    for key in {r[0] for _, r in keyed}:
        mine = [(i, r) for i, r in keyed if r[0] == key]
        ordered = sorted(
            [(i, r) for i, r in mine if r[1] != ""], key=lambda item: (int(item[1][1]), item[0])
        )
        for (i, r), (j, s) in itertools.pairwise(ordered):
            end, start = _day(r[2]), _day(s[1])
            if end is not None and start is not None and end > start:
                out |= {(j + 2, "202"), (i + 2, "206")}
        respite = sum(int(r[3]) for _, r in mine if r[3] != "")
        days = sum(
            (_day(r[2]) - _day(r[1])).days  # type: ignore[operator]
            for _, r in mine
            if r[1] != "" and r[2] != ""
        )
        for i, _ in mine:
            if respite > 75:
                out.add((i + 2, "302"))
            if len(mine) > 3:
                out.add((i + 2, "303"))
            if days > 400:
                out.add((i + 2, "304"))
    return out


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(_ROW, max_size=14), chunk=st.sampled_from([None, 2, 5]))
def test_group_rules_agree_with_a_plain_reading(
    tmp_path: Path, rows: list[tuple[str, object, object, object]], chunk: int | None
) -> None:
    definition = load_definition(_definition(tmp_path))
    frame = pd.DataFrame(
        {
            "CHILD": [r[0] for r in rows],
            "DECOM": [str(_day(r[1]) or "") for r in rows],
            "DEC": [str(_day(r[2]) or "") for r in rows],
            "RESPITE": [str(r[3]) for r in rows],
            "PL": ["B"] * len(rows),
        },
        dtype=object,
    )
    path = tmp_path / "generated.csv"
    frame.to_csv(path, index=False)
    result = validate_return(path, definition, period="2025-26", chunk_rows=chunk)
    found = {
        (f.line, f.rule)
        for f in result.finding_objects()
        if f.rule in {"202", "206", "302", "303", "304"} and f.line is not None
    }
    assert found == _expected(rows)


def test_a_key_of_two_fields_groups_rows_that_share_both(tmp_path: Path) -> None:
    text = DEFINITION.split("rules:\n")[0] + (
        "rules:\n"
        "  - id: two-a-placements\n"
        "    group: {by: [CHILD, PL]}\n"
        "    check: {compare: count() <= 1}\n"
        "    message: The same placement twice for a child.\n"
    )
    data = (
        "CHILD,DECOM,DEC,RESPITE,PL\n"
        "C1,2025-04-01,,,A\n"  # line 2: C1 and A twice
        "C1,2025-05-01,,,B\n"
        "C2,2025-04-01,,,A\n"
        "C1,2025-06-01,,,A\n"  # line 5
        "C2,2025-04-01,,,\n"  # no placement: in no group
        "C2,2025-05-01,,,\n"
    )
    result = validate_return(_return(tmp_path, data), _definition(tmp_path, text), period="2025-26")
    assert {(f.line, f.rule) for f in result.finding_objects()} == {
        (2, "two-a-placements"),
        (5, "two-a-placements"),
    }
