"""A time of day after a date: ``time: allowed`` and ``time: required`` on a date field, as
case systems and hospital returns export arrivals and updates (2025-07-01 09:30:00)."""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
import pandera.pandas as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lp_audit import load_definition, pandera_schema, validate_return
from lp_audit.cli import app
from lp_audit.documents import (
    describe_definition,
    diff_definitions,
    render_dictionary,
    write_template,
)
from lp_audit.synthetic import make_any

DEFINITION = """\
format: lp-audit/definition-1
name: arrivals
version: "1.0"
title: Arrivals
dates: {format: YYYY-MM-DD, accepted_with_warning: [DD/MM/YYYY]}
fields:
  - {name: id, label: ID, type: text, required: true}
  - {name: arrived, label: Arrival, type: date, required: true, time: required}
  - {name: seen, label: Seen, type: date, time: allowed}
  - {name: born, label: Date of birth, type: date}
rules:
  - id: seen-after-arrival
    check: {compare: seen >= arrived}
    message: The young person was seen before they arrived.
"""


def _definition(folder: Path, text: str = DEFINITION) -> Path:
    path = folder / "arrivals.yaml"
    path.write_text(text)
    return path


def _findings(folder: Path, rows: list[tuple[str, str, str]]) -> list[tuple[int, str, str]]:
    data = folder / "return.csv"
    body = "".join(f"A{i},{a},{s},\n" for i, (a, s, _) in enumerate(rows))
    data.write_text("id,arrived,seen,born\n" + body)
    findings = validate_return(data, _definition(folder)).findings
    return sorted(
        (int(line), field, code)
        for line, field, code in zip(findings.line, findings.field, findings.code, strict=True)
    )


def test_times_are_checked_and_set_aside(tmp_path: Path) -> None:
    """A field that takes a time reads 09:30, 9:30, 09:30:15, a T and a zone; a time that is
    not one (25:00, 10:60) is an error; a field that requires one says so of a date alone;
    a field without ``time`` still calls a time an error; rules compare days."""
    got = _findings(
        tmp_path,
        [
            ("2025-07-01 09:30", "2025-07-01 09:00", ""),  # 2: seen the same day: no finding
            ("2025-07-01 9:30", "2025-07-01T10:15:00Z", ""),  # 3
            ("2025-07-01 09:30:15.250", "2025-07-02", ""),  # 4
            ("2025-07-01", "2025-07-02", ""),  # 5: date-without-time
            ("2025-07-01 25:00", "", ""),  # 6: not a time of day
            ("2025-07-02 10:00", "2025-07-01 23:59", ""),  # 7: seen the day before
            ("2025-07-02 10:00", "2025-07-02 10:60", ""),  # 8
            ("01/07/2025 10:00", "", ""),  # 9: a form accepted with a warning
            ("2025-02-30 10:00", "", ""),  # 10: no such day
        ],
    )
    assert got == [
        (5, "arrived", "date-without-time"),
        (6, "arrived", "invalid-date"),
        (7, "seen", "rule-failed"),
        (8, "seen", "invalid-date"),
        (9, "arrived", "date-format"),
        (10, "arrived", "invalid-date"),
    ]


def test_the_messages_say_what_to_write(tmp_path: Path) -> None:
    data = tmp_path / "return.csv"
    data.write_text(
        "id,arrived,seen,born\nA1,2025-07-01,,\nA2,2025-07-01 24:00,,\n"
        "A3,01/07/2025 10:00,,\nA4,2025-07-01 10:00,,2010-01-01 00:00\n"
    )
    findings = validate_return(data, _definition(tmp_path)).findings.set_index("line")
    assert findings.at[2, "message"] == (
        "Arrival has no time of day: write the date and the time, in the form YYYY-MM-DD hh:mm."
    )
    assert "not a time of day: write it as hh:mm or hh:mm:ss" in findings.at[3, "message"]
    assert findings.at[4, "message"].endswith("write dates as YYYY-MM-DD hh:mm.")
    # a field without ``time`` keeps its advice: the date alone
    assert findings.at[5, "code"] == "date-with-time"
    assert "write the date alone" in findings.at[5, "message"]


DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2035, 12, 31))
TIMES = st.times().map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))
FORMS = st.sampled_from(["%H:%M", "%H:%M:%S", "%H:%M:%S.%f"])


@settings(max_examples=60, deadline=None)
@given(
    stamps=st.lists(st.tuples(DAYS, TIMES, FORMS, st.sampled_from([" ", "T"])), min_size=1),
    later=st.integers(min_value=0, max_value=3),
)
def test_any_real_date_and_time_is_read_as_its_day(
    stamps: list[tuple[date, object, str, str]], later: int
) -> None:
    """Any real date with any real time, written in any form the field takes, validates with
    no finding, and a rule compares its day: seen ``later`` days after arrival, at any time."""
    rows = []
    for day, time, form, sep in stamps:
        moment = datetime.combine(day, time)  # type: ignore[arg-type]
        seen = datetime.combine(day + timedelta(days=later), datetime.min.time())
        rows.append((moment.strftime(f"%Y-%m-%d{sep}{form}"), seen.strftime("%Y-%m-%d %H:%M"), ""))
    with tempfile.TemporaryDirectory() as folder:
        assert _findings(Path(folder), rows) == []


@settings(max_examples=40, deadline=None)
@given(
    day=DAYS,
    hour=st.integers(min_value=0, max_value=99),
    minute=st.integers(min_value=0, max_value=99),
)
def test_a_time_is_an_error_exactly_when_it_is_not_a_time_of_day(
    day: date, hour: int, minute: int
) -> None:
    written = f"{day.isoformat()} {hour:02d}:{minute:02d}"
    with tempfile.TemporaryDirectory() as folder:
        got = _findings(Path(folder), [(written, "", "")])
    real = hour < 24 and minute < 60
    assert got == ([] if real else [(2, "arrived", "invalid-date")])


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (
            "{name: x, label: X, type: text, time: allowed}",
            "time is only for date fields, not text",
        ),
        ("{name: x, label: X, type: date, time: yes}", "time is 'allowed'"),
        ("{name: x, label: X, type: date, time: sometimes}", "not 'sometimes'"),
    ],
)
def test_definitions_check_says_what_is_wrong_with_a_time(
    tmp_path: Path, line: str, said: str
) -> None:
    text = 'format: lp-audit/definition-1\nname: t\nversion: "1.0"\ntitle: T\nfields:\n'
    path = tmp_path / "bad.yaml"
    path.write_text(text + f"  - {line}\n")
    outcome = CliRunner().invoke(app, ["definitions", "check", str(path)])
    assert outcome.exit_code == 2, outcome.output
    assert "bad.yaml:6" in outcome.output and said in outcome.output, outcome.output
    assert "Traceback" not in outcome.output


def test_a_new_version_can_ask_for_the_time(tmp_path: Path) -> None:
    """``change_fields`` sets or drops ``time``; the change log and the documents say so."""
    first = _definition(tmp_path)
    second = tmp_path / "arrivals-2.yaml"
    second.write_text(
        DEFINITION.replace('version: "1.0"', 'version: "2.0"')
        .replace("type: date, time: allowed}", "type: date, time: required}")
        .replace("type: date, required: true, time: required}", "type: date, required: true}")
    )
    before, after = load_definition(first), load_definition(second)
    said = {c.subject: c.text for c in diff_definitions(before, after)}
    assert (
        said["seen"]
        == "Seen: was a date, with or without a time of day, now a date and a time of day."
    )
    assert said["arrived"] == "Arrival: was a date and a time of day, now a date alone."
    dictionary = render_dictionary(before, "md")
    assert (
        "Date and time, written YYYY-MM-DD hh:mm (DD/MM/YYYY accepted with a warning)" in dictionary
    )
    assert "Date, written YYYY-MM-DD, or YYYY-MM-DD hh:mm with the time (DD/MM/YYYY" in dictionary
    write_template(before, tmp_path / "template.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "template.xlsx")["Return"]
    assert sheet["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["D2"].number_format == "yyyy-mm-dd"


def test_change_fields_sets_the_time_and_a_new_type_drops_it(tmp_path: Path) -> None:
    (tmp_path / "arrivals").mkdir()
    (tmp_path / "arrivals" / "1.0.yaml").write_text(DEFINITION)
    (tmp_path / "arrivals" / "2.0.yaml").write_text(
        'format: lp-audit/definition-1\nname: arrivals\nversion: "2.0"\ntitle: Arrivals\n'
        'extends: "1.0"\nchanges:\n  change_fields:\n    born: {time: allowed}\n'
        "    seen: {type: text}\n  remove_rules: [seen-after-arrival]\n"
    )
    new = load_definition(tmp_path / "arrivals" / "2.0.yaml")
    assert new.field("born").time == "allowed"
    assert new.field("seen").type == "text" and new.field("seen").time is None
    assert new.field("arrived").time == "required"


def test_made_up_returns_carry_times_and_pass(tmp_path: Path) -> None:
    """The synthetic returns of a definition with times have them, and validate cleanly."""
    definition = load_definition(_definition(tmp_path))
    frames, _ = make_any(definition, 30, period="2025-26 Q2", seed=3)
    frame = frames[None]
    arrived = frame.arrived[frame.arrived != ""]
    assert arrived.str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}").all()
    seen = frame.seen[frame.seen != ""]
    timed = seen.str.contains(":")
    assert 0 < timed.sum() < len(seen)  # allowed: some with a time, some without
    path = tmp_path / "made.csv"
    frame.to_csv(path, index=False)
    assert validate_return(path, definition).findings.empty


def test_the_exported_pandera_schema_finds_the_same_rows(tmp_path: Path) -> None:
    """``pandera_schema`` checks times as validate does: the same failing rows and codes."""
    data = tmp_path / "return.csv"
    data.write_text(
        "id,arrived,seen,born\nA1,2025-07-01,,\nA2,2025-07-01 24:00,2025-07-01 09:00,\n"
        "A3,2025-07-01 10:00,2025-07-01T10:00,2010-01-01 00:00\n"
    )
    definition = load_definition(_definition(tmp_path))
    findings = validate_return(data, definition).findings
    want = {
        (int(line), f"{field}: {code}")
        for line, field, code in zip(findings.line, findings.field, findings.code, strict=True)
    }
    try:
        pandera_schema(definition).validate(pd.read_csv(data, dtype=str), lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    got = {(int(i) + 2, c) for i, c in zip(cases["index"], cases["check"], strict=True)}
    assert (
        got
        == want
        == {
            (2, "arrived: date-without-time"),
            (3, "arrived: invalid-date"),
            (4, "born: date-with-time"),
        }
    )


def test_definitions_show_says_which_dates_take_a_time(tmp_path: Path) -> None:
    summary = describe_definition(load_definition(_definition(tmp_path)))
    assert {f.name: f.type for f in summary.fields} == {
        "id": "text",
        "arrived": "date and time",
        "seen": "date (time allowed)",
        "born": "date",
    }
    outcome = CliRunner().invoke(app, ["definitions", "show", str(_definition(tmp_path))])
    assert outcome.exit_code == 0 and "date and time" in outcome.output, outcome.output


def test_in_a_workbook_a_date_and_time_reads_as_written_and_midnight_as_the_date(
    tmp_path: Path,
) -> None:
    """As the README says: a workbook's 09:30 is a time; its midnight is the date alone, which
    a field that requires a time reports (spreadsheets give every date that time)."""
    from datetime import datetime as stamp

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "arrived", "seen", "born"])
    sheet.append(["A1", stamp(2025, 7, 1, 9, 30), stamp(2025, 7, 1, 10), stamp(2010, 1, 1)])
    sheet.append(["A2", stamp(2025, 7, 1), None, None])
    book.save(tmp_path / "return.xlsx")
    findings = validate_return(tmp_path / "return.xlsx", _definition(tmp_path)).findings
    assert [(int(r.line), r.field, r.code) for r in findings.itertuples()] == [
        (3, "arrived", "date-without-time")
    ]


def test_in_chunks_the_same_findings_as_whole(tmp_path: Path) -> None:
    """A return read in chunks finds what it finds whole: times, dates alone, 24:10, 1/7/2025."""
    definition = load_definition(_definition(tmp_path))
    frames, planted = make_any(definition, 300, period="2025-26 Q2", seed=4, defects=12)
    frame = frames[None]
    frame.loc[3, "arrived"] = "2025-07-01"
    frame.loc[5, "seen"] = "2025-07-01 24:10"
    frame.loc[7, "arrived"] = "1/7/2025 9:30"
    path = tmp_path / "return.csv"
    frame.to_csv(path, index=False)

    def found(**options: object) -> list[tuple[int, str, str]]:
        f = validate_return(path, definition, **options).findings  # type: ignore[arg-type]
        return sorted(zip(f.line.fillna(-1).astype(int), f.code, f.field.fillna(""), strict=True))

    whole = found()
    assert {code for _, code, _ in whole} >= {"date-without-time", "invalid-date", "date-format"}
    assert found(chunk_rows=50) == whole and len(planted) == 12


def test_a_template_filled_in_with_dates_and_times_validates(tmp_path: Path) -> None:
    """The template of a definition with times, filled in as a spreadsheet would (date and
    time cells), gives no finding."""
    from datetime import datetime as stamp

    definition = load_definition(_definition(tmp_path))
    write_template(definition, tmp_path / "template.xlsx")
    book = openpyxl.load_workbook(tmp_path / "template.xlsx")
    sheet = book["Return"]
    rows = [
        ["A1", stamp(2025, 7, 1, 9, 30), stamp(2025, 7, 1, 11, 5), stamp(2010, 3, 4)],
        ["A2", stamp(2025, 7, 2, 23, 59), None, None],
    ]
    for number, row in enumerate(rows, start=2):  # the rows under the header, as typed in
        for column, value in enumerate(row, start=1):
            sheet.cell(row=number, column=column).value = value
    book.save(tmp_path / "filled.xlsx")
    result = validate_return(tmp_path / "filled.xlsx", definition)
    assert result.findings.empty, result.findings[["line", "code", "field"]]


MINUTES = """\
format: lp-audit/definition-1
name: contacts
version: "1.0"
title: Contacts in the emergency department
fields:
  - {name: id, label: ID, type: text, required: true}
  - {name: arrived, label: Arrival, type: date, required: true, time: required}
  - {name: seen, label: Seen by the youth worker, type: date, time: required}
rules:
  - id: seen-within-4-hours
    severity: warning
    check: {compare: "minutes(arrived, seen) <= 240"}
    message: The young person was seen more than four hours after arriving.
  - id: seen-after-arrival
    check: {compare: "minutes(arrived, seen) >= 0"}
    message: The young person was seen before arriving.
  - id: seen-the-same-day-or-after
    check: {compare: seen >= arrived}
    message: Seen on a day before the arrival.
"""


def test_minutes_between_two_dates_and_times(tmp_path: Path) -> None:
    """minutes(A, B) counts whole minutes across midnight; a date without its time, or a
    blank, is not known, so no rule fails on it (the date has its own finding); compares of
    the dates themselves still compare days."""
    (tmp_path / "contacts.yaml").write_text(MINUTES)
    data = tmp_path / "return.csv"
    data.write_text(
        "id,arrived,seen\n"
        "A1,2025-07-01 09:30,2025-07-01 13:30\n"  # 2: four hours exactly
        "A2,2025-07-01 09:30,2025-07-01 13:31\n"  # 3: four hours and a minute
        "A3,2025-07-01 23:00,2025-07-02 01:00\n"  # 4: two hours, across midnight
        "A4,2025-07-01 10:00:30,2025-07-01 10:00\n"  # 5: half a minute before: 0 whole minutes
        "A5,2025-07-01 10:00,2025-07-01 09:59\n"  # 6: a minute before
        "A6,2025-07-01,2025-07-02 09:00\n"  # 7: no time of arrival
        "A7,2025-07-01 10:00,\n"  # 8: not seen
    )
    findings = validate_return(data, tmp_path / "contacts.yaml").findings
    got = sorted(
        (int(line), rule if isinstance(rule, str) else code)
        for line, code, rule in zip(findings.line, findings.code, findings.rule, strict=True)
    )
    assert got == [(3, "seen-within-4-hours"), (6, "seen-after-arrival"), (7, "date-without-time")]


@settings(max_examples=50, deadline=None)
@given(
    arrived=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
    gap=st.integers(min_value=-3000, max_value=3000),
)
def test_minutes_are_the_whole_minutes_anyone_can_count(arrived: datetime, gap: int) -> None:
    arrived = arrived.replace(second=0, microsecond=0)
    seen = arrived + timedelta(minutes=gap)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "contacts.yaml").write_text(MINUTES)
        data = Path(folder) / "return.csv"
        written = "%Y-%m-%d %H:%M"
        data.write_text(f"id,arrived,seen\nA1,{arrived:{written}},{seen:{written}}\n")
        rules = set(validate_return(data, Path(folder) / "contacts.yaml").findings.rule)
    assert ("seen-within-4-hours" in rules) is (gap > 240)
    assert ("seen-after-arrival" in rules) is (gap < 0)
    assert ("seen-the-same-day-or-after" in rules) is (seen.date() < arrived.date())


@pytest.mark.parametrize(
    ("compare", "said"),
    [
        ("minutes(arrived, born) <= 5", "'born' is not a date field that requires a time"),
        ("minutes(arrived, seen) <= 5", "'seen' is not a date field that requires a time"),
        ("minutes(arrived, id) <= 5", "'id' is not a date field that requires a time"),
    ],
)
def test_minutes_needs_two_fields_that_require_a_time(
    tmp_path: Path, compare: str, said: str
) -> None:
    rule = f"rules:\n  - {{id: r, check: {{compare: '{compare}'}}, message: M.}}\n"
    path = tmp_path / "bad.yaml"
    path.write_text(DEFINITION.split("rules:")[0] + rule)
    outcome = CliRunner().invoke(app, ["definitions", "check", str(path)])
    assert outcome.exit_code == 2 and said in outcome.output, outcome.output
    assert "bad.yaml:" in outcome.output and "Traceback" not in outcome.output


def test_a_groups_order_uses_the_time_and_minutes_read_the_row_before(tmp_path: Path) -> None:
    """A person's attendances in order of arrival, the same day's in order of their times
    (the file lists them the other way round): an hour between them is seen as such."""
    (tmp_path / "returns.yaml").write_text(
        'format: lp-audit/definition-1\nname: returns\nversion: "1.0"\ntitle: Returns\n'
        "fields:\n  - {name: person, label: Person, type: text, required: true}\n"
        "  - {name: arrived, label: Arrival, type: date, required: true, time: required}\n"
        "rules:\n  - id: an-hour-apart\n    group: {by: person, order: arrived}\n"
        "    check: {compare: 'minutes(previous.arrived, arrived) >= 60'}\n"
        "    message: Two arrivals of one person less than an hour apart.\n"
    )
    data = tmp_path / "return.csv"
    data.write_text(
        "person,arrived\nP1,2025-07-01 18:00\nP1,2025-07-01 09:00\nP1,2025-07-01 09:30\n"
        "P2,2025-07-02 10:00\n"
    )
    findings = validate_return(data, tmp_path / "returns.yaml").findings
    assert [(int(line), rule) for line, rule in zip(findings.line, findings.rule, strict=True)] == [
        (4, "an-hour-apart")  # 09:30, half an hour after 09:00 (line 3), not 18:00 (line 2)
    ]


def test_unique_return_rules_compare_the_date_and_time(tmp_path: Path) -> None:
    """Two arrivals of one day at different times are two; the same moment twice is one."""
    (tmp_path / "unique.yaml").write_text(
        'format: lp-audit/definition-1\nname: unique\nversion: "1.0"\ntitle: Unique\n'
        "fields:\n  - {name: arrived, label: Arrival, type: date, required: true, time: required}\n"
        "return_rules:\n  - {id: one-each, unique: [arrived], message: An arrival twice.}\n"
    )
    data = tmp_path / "return.csv"
    data.write_text("arrived\n2025-07-01 09:00\n2025-07-01 09:30\n2025-07-01T09:30:00\n")
    findings = validate_return(data, tmp_path / "unique.yaml").findings
    assert [(int(line), rule) for line, rule in zip(findings.line, findings.rule, strict=True)] == [
        (4, "one-each")
    ]


def test_a_groups_minutes_add_up(tmp_path: Path) -> None:
    """sum() and max() of minutes(A, B) over a person's rows: ten hours in all, eight at most."""
    (tmp_path / "stays.yaml").write_text(
        'format: lp-audit/definition-1\nname: stays\nversion: "1.0"\ntitle: Stays\nfields:\n'
        "  - {name: person, label: Person, type: text, required: true}\n"
        "  - {name: arrived, label: Arrival, type: date, required: true, time: required}\n"
        "  - {name: left, label: Left, type: date, time: required}\n"
        "rules:\n  - id: in-all\n    group: {by: person}\n"
        "    check: {compare: 'sum(minutes(arrived, left)) <= 600'}\n    message: Long in all.\n"
        "  - id: longest\n    group: {by: person}\n"
        "    check: {compare: 'max(minutes(arrived, left)) <= 480'}\n    message: A long stay.\n"
    )
    data = tmp_path / "return.csv"
    data.write_text(
        "person,arrived,left\nP1,2025-07-01 09:00,2025-07-01 15:00\n"  # 6 hours
        "P1,2025-07-02 09:00,2025-07-02 14:00\n"  # and 5: 11 in all
        "P2,2025-07-01 09:00,2025-07-01 18:00\n"  # 9 hours at once
        "P3,2025-07-01 09:00,\n"  # not left: not known
    )
    findings = validate_return(data, tmp_path / "stays.yaml").findings
    got = sorted((int(line), rule) for line, rule in zip(findings.line, findings.rule, strict=True))
    assert got == [(2, "in-all"), (3, "in-all"), (4, "longest")]
