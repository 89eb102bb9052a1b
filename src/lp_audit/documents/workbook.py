"""Excel workbooks for providers, built with openpyxl: a blank return template and feedback.

The template has the header row of field names (each with a note saying what it means), drop-down
lists for coded fields (drawn from a Codes sheet, so long lists work), date and whole-number
validation where Excel can express it, text format on columns where leading zeros matter, a
frozen header, and a Guidance sheet.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lp_audit.definitions import Definition, Field
from lp_audit.findings import column_letter

if TYPE_CHECKING:
    from openpyxl import Workbook

    from lp_audit.reading import RawReturn
    from lp_audit.validation import ReturnResult

#: Rows of the template that carry drop-downs and validation.
TEMPLATE_ROWS = 5000


#: what a date field's note says of a time of day after the date
_TIME_NOTE = {
    None: "",
    "allowed": ", with or without the time after it (hh:mm)",
    "required": ", then the time (hh:mm)",
}


def _note(f: Field, definition: Definition) -> str:
    from lp_audit.documents.dictionary import field_status

    parts = [f"{f.label}. {f.description}".strip()]
    if f.guidance:
        parts.append(f.guidance)
    parts.append(field_status(f, definition) + ".")
    if f.type == "multi_code":
        parts.append(f"Several codes separated by {f.separator}, e.g. {f.example or ''}.")
    if f.type == "date":
        parts.append(f"A date, written {definition.date_format}{_TIME_NOTE[f.time]}.")
    return "\n".join(p for p in parts if p)[:2000]


def build_template(definition: Definition, provider: str | None = None) -> Workbook:
    """A blank return for ``definition`` as an openpyxl workbook: a sheet ``Return`` (for a
    return of several tables, a sheet per table, named after it), the ``Codes`` the drop-down
    lists offer, and the ``Guidance``.

    With ``provider``, the return is that provider's: its provider column offers only its own
    code (a provider's return must name the provider sending it), and the sheet says whose it is.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    first = wb.active
    codes = wb.create_sheet("Codes")
    guidance = wb.create_sheet("Guidance")
    sheets = [(t.name, [definition.field(n) for n in t.fields]) for t in definition.tables] or [
        ("Return", list(definition.fields))
    ]
    columns: dict[str, str] = {}  # a code field's column of the Codes sheet
    for number, (title, fields) in enumerate(sheets):
        ws = first if number == 0 else wb.create_sheet(title, number)
        ws.title = title
        _return_sheet(ws, fields, definition, codes, columns, provider)
    bold = Font(bold=True)
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


def _return_sheet(
    ws: Any,
    fields: list[Field],
    definition: Definition,
    codes: Any,
    columns: dict[str, str],
    provider: str | None,
) -> None:
    """One sheet of the blank return: a header cell a field, with its note, and the checks
    Excel makes as people type (a code from the list, a date, a whole number in range)."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    last = TEMPLATE_ROWS + 1
    for index, f in enumerate(fields):
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
            offered = [
                c
                for c in f.codes
                if provider is None or f.name != definition.provider_field or c.value == provider
            ]
            if f.name not in columns:  # a field in two tables offers one list
                code_column = len(columns)
                columns[f.name] = column_letter(code_column)
                codes.cell(row=1, column=code_column + 1, value=f.name).font = bold
                for row, code in enumerate(offered, start=2):
                    codes.cell(
                        row=row, column=code_column + 1, value=code.value
                    ).number_format = "@"
            code_letter = columns[f.name]
            end = len(offered) + 1
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
        elif f.type == "date":
            check = DataValidation(
                type="date",
                operator="between",
                formula1="DATE(2000,1,1)",
                formula2="DATE(2100,12,31)",
                allow_blank=True,
                showErrorMessage=True,
                error=f"{f.label} must be a date{' and time' if f.time else ''}."[:255],
            )
            ws.add_data_validation(check)
            check.add(cells)
            shown = "yyyy-mm-dd hh:mm" if f.time else "yyyy-mm-dd"
            for row in range(2, 12):  # show the format on the first rows people type in
                ws.cell(row=row, column=index + 1).number_format = shown
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


def write_template(
    definition: Definition, path: str | Path, *, provider: str | None = None
) -> None:
    """Write the blank return as ``.xlsx``, or as a ``.csv`` header row; with ``provider``,
    that provider's (see :func:`build_template`).

    Raises:
        OptionError: for a provider the definition does not list, or a ``.csv`` of a return
            of several tables (a header row holds one table).
    """
    import io

    from lp_audit.errors import OptionError
    from lp_audit.files import write_atomic

    problem = definition.unknown_provider(provider) if provider is not None else None
    if problem is not None:
        raise OptionError(problem)
    target = Path(path)
    if target.suffix.lower() == ".csv" and definition.tables:
        raise OptionError(
            f"{definition.ref} is a return of several tables "
            f"({', '.join(t.name for t in definition.tables)}): ask for a workbook, "
            f"{target.with_suffix('.xlsx').name}, which has a sheet for each"
        )
    if target.suffix.lower() == ".csv":
        write_atomic(target, ",".join(definition.field_names) + "\n")
        return
    buffer = io.BytesIO()
    build_template(definition, provider).save(buffer)
    write_atomic(target, buffer.getvalue())


def _text(cell: object, value: object) -> None:
    """Put a value in a cell; text that looks like a formula stays text, never a formula, and
    control characters (which a workbook cannot hold) are shown as ``\\x01``."""
    if isinstance(value, str):
        value = visible(value)
    cell.value = value  # type: ignore[attr-defined]
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        cell.data_type = "s"  # type: ignore[attr-defined]


def visible(text: str) -> str:
    """``text`` with each control character a workbook cannot hold written as ``\\xNN``."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return str(ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text))


def _as_number(text: str) -> int | float | None:
    """The number a cell of a numeric or coded field holds, when writing it as a number loses
    nothing (no leading zero, sign, space or exponent), so Excel does not flag number-as-text."""
    if not text or len(text) > 15 or text != text.strip():
        return None
    if text.isdigit() and (text == "0" or not text.startswith("0")):
        return int(text)
    head, dot, tail = text.partition(".")
    plain = head.isdigit() and (head == "0" or not head.startswith("0"))
    if dot and plain and tail.isdigit() and not tail.endswith("0"):
        return float(text)
    return None


def build_feedback(result: ReturnResult, raw: RawReturn, definition: Definition) -> Workbook:
    """A workbook a provider can act on: summary, findings, and their return with problems marked.

    Sensitive fields are not copied: their column keeps its header, and its cells stay empty.
    """
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    from lp_audit.findings import CATALOGUE

    bold = Font(bold=True)
    fills = {
        "error": PatternFill("solid", fgColor="F4B6B6"),
        "warning": PatternFill("solid", fgColor="FFE699"),
    }
    labels = definition.labels()
    wb = Workbook()
    summary = wb.active
    summary.title = "Summary"
    counts = result.counts
    sensitive = [f for f in definition.fields if f.sensitive and f.name in raw.columns]
    lines: list[list[object]] = [
        ["Return", result.path],
        ["Provider", result.provider or ""],
        ["Period", result.period or ""],
        ["Definition", result.definition or ""],
        ["Rows", result.rows],
        ["Errors", counts["error"]],
        ["Warnings", counts["warning"]],
    ]
    if sensitive:
        lines.append(
            [
                "Not copied",
                "Sensitive fields are not copied into this workbook, so it can be shared: "
                + ", ".join(f.label for f in sensitive)
                + ". Their columns in 'Your return' are empty; their problems are still listed.",
            ]
        )
    for number, (label, value) in enumerate(lines, start=1):
        summary.cell(row=number, column=1, value=label).font = bold
        _text(summary.cell(row=number, column=2), value)
    header_row = len(lines) + 2
    for column, heading in enumerate(["Problem", "Severity", "Field", "Count"], start=1):
        summary.cell(row=header_row, column=column, value=heading).font = bold
    findings = result.findings
    if len(findings):
        grouped = findings.groupby(["code", "severity", "field"], dropna=False, sort=False).size()
        for key, count in grouped.items():
            parts: tuple[object, ...] = key if isinstance(key, tuple) else (key,)
            code, severity, fname = (p if isinstance(p, str) else "" for p in parts)
            title = CATALOGUE[code].title if code in CATALOGUE else code
            summary.append([title, severity, labels.get(fname, ""), int(count)])
    summary.column_dimensions["A"].width = 28
    summary.column_dimensions["B"].width = 60

    sheet = wb.create_sheet("Findings")
    sheet.append(["Line", "Column", "Field", "Severity", "Problem", "What is wrong", "Value"])
    for cell in sheet[1]:
        cell.font = bold
    for rec in result.finding_objects():
        title = CATALOGUE[rec.code].title if rec.code in CATALOGUE else rec.code
        next_row = sheet.max_row + 1
        values = [
            rec.line,
            rec.column or "",
            labels.get(rec.field or "", rec.field or ""),
            rec.severity,
            title,
            rec.message,
            rec.value or "",
        ]
        for column, value in enumerate(values, start=1):
            _text(sheet.cell(row=next_row, column=column), value)
    for letter, width in zip("ABCDEFG", (7, 8, 24, 9, 24, 90, 24), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:G{max(sheet.max_row, 1)}"

    copy = wb.create_sheet("Your return")
    hidden = {f.name for f in sensitive}
    field_at = {position: name for name, position in raw.columns.items()}
    for index, header in enumerate(raw.headers, start=1):
        cell = copy.cell(row=1, column=index)
        _text(cell, header)
        cell.font = bold
        if field_at.get(index - 1) in hidden:
            cell.comment = Comment("Sensitive: the values are not copied here.", "lp_audit")
        copy.column_dimensions[cell.column_letter].width = min(30, max(10, len(header) + 2))
    data = raw.data
    numeric = {f.name for f in definition.fields if f.type in ("integer", "decimal", "code")}
    for position in range(len(raw.headers)):
        name = field_at.get(position)
        if name is None or name in hidden or name not in data.columns:
            continue
        for i, value in enumerate(data[name].tolist(), start=2):
            if value:
                as_number = _as_number(value) if name in numeric else None
                shown = value if as_number is None else as_number
                _text(copy.cell(row=i, column=position + 1), shown)
    row_of_line = {int(line): i + 2 for i, line in enumerate(raw.lines)}
    notes: dict[tuple[int, int], list[str]] = {}
    worst: dict[tuple[int, int], str] = {}
    for rec in result.finding_objects():
        if rec.line is None or rec.field is None or rec.field not in raw.columns:
            continue
        sheet_row = row_of_line.get(rec.line)
        if sheet_row is None:
            continue
        key = (sheet_row, raw.columns[rec.field] + 1)
        notes.setdefault(key, []).append(f"{rec.severity}: {rec.message}")
        if worst.get(key) != "error":
            worst[key] = rec.severity
    for (sheet_row, column), messages in notes.items():
        cell = copy.cell(row=sheet_row, column=column)
        cell.fill = fills[worst[(sheet_row, column)]]
        cell.comment = Comment(visible("\n".join(messages))[:2000], "lp_audit")
    copy.freeze_panes = "A2"
    return wb


def write_feedback(result: ReturnResult, output: str | Path) -> None:
    """Write the feedback workbook for ``result`` to ``output``.

    ``result`` must come from ``validate_return(..., keep_source=True)``: the workbook copies the
    return as it was read, so the file is not read again.

    Raises:
        ValueError: if ``result`` does not hold its source.
    """
    import io

    from lp_audit.definitions import load_definition
    from lp_audit.files import write_atomic

    if result.source is None:
        raise ValueError("write_feedback needs validate_return(..., keep_source=True)")
    definition = result.definition_model or load_definition(result.definition or "")
    buffer = io.BytesIO()
    build_feedback(result, result.source, definition).save(buffer)
    write_atomic(output, buffer.getvalue())
