"""Excel workbooks for providers, built with openpyxl: a blank return template.

The template has the header row of field names (each with a note saying what it means), drop-down
lists for coded fields (drawn from a Codes sheet, so long lists work), date and whole-number
validation where Excel can express it, text format on columns where leading zeros matter, a
frozen header, and a Guidance sheet.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lp_audit.definitions import Definition, Field
from lp_audit.findings import column_letter

if TYPE_CHECKING:
    from openpyxl import Workbook

#: Rows of the template that carry drop-downs and validation.
TEMPLATE_ROWS = 5000


def _note(f: Field, definition: Definition) -> str:
    from lp_audit.dictionary import _status

    parts = [f"{f.label}. {f.description}".strip()]
    if f.guidance:
        parts.append(f.guidance)
    parts.append(_status(f, definition) + ".")
    if f.type == "multi_code":
        parts.append(f"Several codes separated by {f.separator}, e.g. {f.example or ''}.")
    if f.type == "date":
        parts.append(f"A date, written {definition.date_format}.")
    return "\n".join(p for p in parts if p)[:2000]


def build_template(definition: Definition) -> Workbook:
    """A blank return for ``definition`` as an openpyxl workbook."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "Return"
    codes = wb.create_sheet("Codes")
    guidance = wb.create_sheet("Guidance")
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    last = TEMPLATE_ROWS + 1
    code_column = 0
    for index, f in enumerate(definition.fields):
        letter = column_letter(index)
        cell = ws.cell(row=1, column=index + 1, value=f.name)
        cell.font = bold
        cell.fill = header_fill
        comment = Comment(_note(f, definition), "lp_audit")
        comment.width, comment.height = 320, 180
        cell.comment = comment
        ws.column_dimensions[letter].width = max(14, min(len(f.name) + 4, 30))
        cells = f"{letter}2:{letter}{last}"
        if f.type == "code":
            code_letter = column_letter(code_column)
            codes.cell(row=1, column=code_column + 1, value=f.name).font = bold
            for row, code in enumerate(f.codes, start=2):
                codes.cell(row=row, column=code_column + 1, value=code.value).number_format = "@"
            end = len(f.codes) + 1
            check = DataValidation(
                type="list",
                formula1=f"=Codes!${code_letter}$2:${code_letter}${end}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=f"{f.label}"[:32],
                error=f"Choose a code from the list for {f.label} (see the Codes sheet)."[:255],
            )
            ws.add_data_validation(check)
            check.add(cells)
            code_column += 1
        elif f.type == "date":
            check = DataValidation(
                type="date",
                operator="between",
                formula1="DATE(2000,1,1)",
                formula2="DATE(2100,12,31)",
                allow_blank=True,
                showErrorMessage=True,
                error=f"{f.label} must be a date."[:255],
            )
            ws.add_data_validation(check)
            check.add(cells)
            for row in range(2, 12):  # show the format on the first rows people type in
                ws.cell(row=row, column=index + 1).number_format = "yyyy-mm-dd"
        elif f.type == "integer":
            bounds = [c for c in f.constraints if c.kind == "range" and c.severity == "error"]
            low = min((c.minimum for c in bounds if c.minimum is not None), default=-1_000_000_000)
            high = max((c.maximum for c in bounds if c.maximum is not None), default=1_000_000_000)
            check = DataValidation(
                type="whole",
                operator="between",
                formula1=str(int(low)),
                formula2=str(int(high)),
                allow_blank=True,
                showErrorMessage=True,
                error=f"{f.label} must be a whole number from {int(low)} to {int(high)}."[:255],
            )
            ws.add_data_validation(check)
            check.add(cells)
        if f.type in ("text", "code", "multi_code"):
            # text format keeps leading zeros and stops Excel turning codes into numbers or dates
            for row in range(2, 12):
                ws.cell(row=row, column=index + 1).number_format = "@"
    ws.freeze_panes = "A2"
    guidance.column_dimensions["A"].width = 28
    guidance.column_dimensions["B"].width = 100
    guidance.append([definition.title])
    guidance["A1"].font = Font(bold=True, size=14)
    guidance.append([f"{definition.ref}, in force {definition.describe_in_force()}"])
    guidance.append([definition.description])
    guidance.append([])
    guidance.append(["Field", "What to enter"])
    for cell in guidance[5]:
        cell.font = bold
    for f in definition.fields:
        guidance.append([f.name, _note(f, definition)])
    return wb


def write_template(definition: Definition, path: str | Path) -> None:
    """Write the blank return as ``.xlsx``, or as a ``.csv`` header row."""
    import io

    from lp_audit.output import write_atomic

    target = Path(path)
    if target.suffix.lower() == ".csv":
        write_atomic(target, ",".join(definition.field_names) + "\n")
        return
    buffer = io.BytesIO()
    build_template(definition).save(buffer)
    write_atomic(target, buffer.getvalue())
