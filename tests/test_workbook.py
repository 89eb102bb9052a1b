"""The Excel return template: drop-downs, notes and validation from the definition; a round trip."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lp_audit import validate_return
from lp_audit.cli import app
from lp_audit.definitions import load_definition
from lp_audit.findings import column_letter
from lp_audit.synthetic import make_return

V1 = "hbyw-quarterly-return@1.0"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "return.xlsx"
    result = CliRunner().invoke(app, ["template", V1, "--output", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_template_has_the_fields_notes_and_sheets(template: Path) -> None:
    from openpyxl import load_workbook

    definition = load_definition(V1)
    wb = load_workbook(template)
    assert wb.sheetnames == ["Return", "Codes", "Guidance"]
    ws = wb["Return"]
    headers = [c.value for c in ws[1]]
    assert headers == list(definition.field_names)
    assert ws.freeze_panes == "A2"
    ethnicity = ws.cell(row=1, column=headers.index("ethnicity") + 1)
    assert ethnicity.comment is not None and "Ethnicity" in ethnicity.comment.text
    assert (
        "Required when Injury intent is ASSAULT"
        in ws.cell(row=1, column=headers.index("injury_mechanism") + 1).comment.text
    )


def test_drop_downs_offer_exactly_the_definitions_codes(template: Path) -> None:
    from openpyxl import load_workbook

    definition = load_definition(V1)
    wb = load_workbook(template)
    ws, codes = wb["Return"], wb["Codes"]
    validations = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    for index, f in enumerate(definition.fields):
        dv = validations.get(f"{column_letter(index)}2")
        if f.type == "code":
            assert dv is not None and dv.type == "list", f.name
            sheet_range = dv.formula1.removeprefix("=Codes!").replace("$", "")
            offered = [c.value for row in codes[sheet_range] for c in row]
            assert offered == [c.value for c in f.codes], f.name
        elif f.type == "date":
            assert dv is not None and dv.type == "date"
        elif f.type == "integer":
            assert dv is not None and dv.type == "whole"
    age = validations[f"{column_letter(definition.field_names.index('age_at_referral'))}2"]
    assert (age.formula1, age.formula2) == ("5", "30")


def test_filled_template_validates_with_no_findings(template: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    definition = load_definition(V1)
    frame, _ = make_return(6, seed=77)
    wb = load_workbook(template)
    ws = wb["Return"]
    for row_number, record in enumerate(frame.to_dict("records"), start=2):
        for column, name in enumerate(definition.field_names, start=1):
            value = record[name]
            f = definition.field(name)
            if value == "":
                continue
            if f.type == "date":
                ws.cell(row=row_number, column=column, value=dt.date.fromisoformat(value))
            elif f.type == "integer":
                ws.cell(row=row_number, column=column, value=int(value))
            else:
                ws.cell(row=row_number, column=column, value=value)
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    result = validate_return(filled, V1, today=dt.date(2026, 1, 1))
    assert result.rows == 6
    assert result.findings.empty, result.findings[["code", "line", "field"]].to_dict("records")


def test_csv_template_is_the_header_row(tmp_path: Path) -> None:
    path = tmp_path / "return.csv"
    assert CliRunner().invoke(app, ["template", V1, "-o", str(path)]).exit_code == 0
    assert path.read_text() == ",".join(load_definition(V1).field_names) + "\n"
    bad = CliRunner().invoke(app, ["template", V1, "-o", str(tmp_path / "x.pdf")])
    assert bad.exit_code == 2


def test_feedback_workbook_marks_each_problem_and_hides_sensitive_values(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    frame, _ = make_return(6, seed=78)
    frame.loc[1, "ethnicity"] = "Q"  # line 3: an error
    frame.loc[2, "gender"] = "x"  # line 4: a warning
    frame.loc[3, "notes"] = '=HYPERLINK("http://example.invalid")'  # sensitive and formula-like
    frame.loc[4, "referral_source"] = "=1+1"  # formula-like, not sensitive: an invalid code
    frame.loc[:, "person_id"] = "PERSON-SECRET"
    source = tmp_path / "return.csv"
    frame.to_csv(source, index=False)
    out = tmp_path / "feedback.xlsx"
    result = CliRunner().invoke(
        app, ["validate", str(source), "--format", "xlsx", "--output", str(out)]
    )
    assert result.exit_code == 1, result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["Summary", "Findings", "Your return"]
    expected = validate_return(source)
    findings = wb["Findings"]
    assert findings.max_row - 1 == len(expected.findings)
    rows = [[c.value for c in row] for row in findings.iter_rows(min_row=2)]
    assert [3, "I", "Ethnicity", "error", "Invalid code"] in [r[:5] for r in rows]
    copy = wb["Your return"]
    headers = [c.value for c in copy[1]]
    ethnicity = copy.cell(row=3, column=headers.index("ethnicity") + 1)
    assert ethnicity.value == "Q" and ethnicity.fill.fgColor.rgb.endswith("F4B6B6")
    assert "Ethnicity is not one of its codes" in ethnicity.comment.text
    gender = copy.cell(row=4, column=headers.index("gender") + 1)
    assert gender.fill.fgColor.rgb.endswith("FFE699") and "warning" in gender.comment.text
    formula = copy.cell(row=6, column=headers.index("referral_source") + 1)
    assert formula.value == "=1+1" and formula.data_type == "s"  # text, never a formula
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert "PERSON-SECRET" not in str(cell.value or "")
                assert "HYPERLINK" not in str(cell.value or "")


def test_feedback_needs_one_file_and_an_output(tmp_path: Path) -> None:
    frame, _ = make_return(3, seed=79)
    source = tmp_path / "r.csv"
    frame.to_csv(source, index=False)
    result = CliRunner().invoke(app, ["validate", str(source), "--format", "xlsx"])
    assert result.exit_code == 2 and "one return" in result.output


def _feedback(tmp_path: Path, frame: object) -> Path:
    path = tmp_path / "return.csv"
    frame.to_csv(path, index=False)  # type: ignore[attr-defined]
    out = tmp_path / "feedback.xlsx"
    result = CliRunner().invoke(app, ["validate", str(path), "-f", "xlsx", "-o", str(out)])
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    return out


def test_feedback_summary_keeps_every_line(tmp_path: Path) -> None:
    """Each line of the summary used to be written over the first (append([]) on an empty sheet)."""
    from openpyxl import load_workbook

    frame, _ = make_return(20, provider="SGT", seed=5, defects=4)
    summary = load_workbook(_feedback(tmp_path, frame))["Summary"]
    labels = [summary.cell(row=r, column=1).value for r in range(1, 9)]
    assert labels[:7] == [
        "Return",
        "Provider",
        "Period",
        "Definition",
        "Rows",
        "Errors",
        "Warnings",
    ]
    assert summary.cell(row=2, column=2).value == "SGT"
    assert summary.cell(row=5, column=2).value == 20
    assert "Not copied" in labels and "NHS number" in str(summary.cell(row=8, column=2).value)


def test_feedback_shows_control_characters_instead_of_failing(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    frame, _ = make_return(10, seed=5)
    frame.loc[3, "site_code"] = "KC\x01H"  # not sensitive: copied, and reported as a bad code
    wb = load_workbook(_feedback(tmp_path, frame))
    copied = [c.value for row in wb["Your return"].iter_rows() for c in row]
    assert "KC\\x01H" in copied
    listed = [c.value for row in wb["Findings"].iter_rows() for c in row]
    assert "KC\\x01H" in listed


def test_feedback_is_filterable_and_numbers_are_numbers(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    frame, _ = make_return(10, seed=6, defects=3)
    wb = load_workbook(_feedback(tmp_path, frame))
    assert wb["Findings"].auto_filter.ref.startswith("A1:G")
    copy = wb["Your return"]
    headers = [c.value for c in copy[1]]
    ages = [copy.cell(row=r, column=headers.index("age_at_referral") + 1).value for r in (2, 3)]
    assert all(isinstance(a, int) for a in ages)
    ids = [copy.cell(row=r, column=headers.index("referral_id") + 1).value for r in (2, 3)]
    assert all(isinstance(i, str) for i in ids)  # text fields stay text
    nhs = copy.cell(row=1, column=headers.index("nhs_number") + 1)
    assert nhs.comment is not None and "not copied" in nhs.comment.text
    assert copy.cell(row=2, column=headers.index("nhs_number") + 1).value is None


def test_a_providers_template_offers_only_its_own_provider_code(tmp_path: Path) -> None:
    """The template's provider drop-down offered every code, the test provider TST included."""
    from openpyxl import load_workbook

    out = tmp_path / "rth.xlsx"
    result = CliRunner().invoke(app, ["template", V1, "--provider", "RTH", "-o", str(out)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    codes = wb["Codes"]
    column = next(c.column for c in codes[1] if c.value == "provider_code")
    offered = [codes.cell(row=r, column=column).value for r in range(2, codes.max_row + 1)]
    assert [v for v in offered if v] == ["RTH"]
    unknown = CliRunner().invoke(app, ["template", V1, "--provider", "XYZ", "-o", str(out)])
    assert unknown.exit_code == 2 and "unknown provider 'XYZ'" in unknown.stderr


def test_a_feedback_workbook_for_a_definition_file_of_ones_own(tmp_path: Path) -> None:
    """The workbook loaded the definition again by name, so a definition given as a file (not
    bundled) failed; found by fuzzing."""
    from openpyxl import load_workbook

    definition = tmp_path / "mine.yaml"
    definition.write_text(
        "name: mine\nversion: '1'\ntitle: Mine\nfields:\n"
        "  - {name: A, label: Field A, type: integer, required: true}\n"
    )
    data = tmp_path / "r.csv"
    data.write_text("A\n1\nx\n")
    out = tmp_path / "fb.xlsx"
    result = CliRunner().invoke(
        app, ["validate", str(data), "-d", str(definition), "-f", "xlsx", "-o", str(out)]
    )
    assert result.exit_code == 1, result.output
    assert load_workbook(out)["Summary"]["B4"].value == "mine@1"


def test_a_chart_sheet_is_not_a_table(tmp_path: Path) -> None:
    """Naming a chart sheet was an internal error (openpyxl's chart sheets have no rows); a
    draft from the workbook, which reads every sheet, leaves it out."""
    import openpyxl
    from openpyxl.chart import BarChart, Reference

    from lp_audit.drafting import infer_definition

    book = openpyxl.Workbook()
    people = book.active
    people.title = "people"
    for row in [("person_id", "age"), *((f"P{i}", i % 9) for i in range(30))]:
        people.append(row)
    visits = book.create_sheet("visits")
    for row in [("visit_id", "person_id"), *((f"V{i}", f"P{i % 30}") for i in range(40))]:
        visits.append(row)
    chart = BarChart()
    chart.add_data(Reference(people, min_col=2, min_row=1, max_row=31), titles_from_data=True)
    book.create_chartsheet("Chart").add_chart(chart)
    path = tmp_path / "book.xlsx"
    book.save(path)
    out = CliRunner().invoke(
        app, ["validate", str(path), "--sheet", "Chart", "-d", "hbyw-quarterly-return"]
    )
    assert out.exit_code == 2
    assert out.output.strip().splitlines() == [
        f"error: {path}: sheet 'Chart' is a chart, not a table: name a sheet of rows"
    ]
    draft = infer_definition([path])
    assert [t.name for t in draft.tables] == ["people", "visits"]
