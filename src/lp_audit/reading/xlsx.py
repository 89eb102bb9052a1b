"""Workbooks to cells: one sheet read as text, line numbers as the row numbers Excel shows."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lp_audit.errors import ReturnReadError
from lp_audit.findings import Finding, column_letter
from lp_audit.reading.delimited import drop_blank_and_totals
from lp_audit.reading.header import HEADER_SEARCH, HeaderHint, header_row, preamble_finding
from lp_audit.reading.model import MAX_COLUMNS, RawTable

if TYPE_CHECKING:
    import zipfile

#: The most a workbook may unpack to. A sheet of Excel's full million rows and 30 columns is
#: about 1 GB of XML; a 2 MB file that unpacks to 2 GB is a zip bomb.
MAX_UNPACKED_BYTES = 1 << 30
#: The most a workbook's parts may be compressed: sheets of real returns compress about 10 to
#: 30 times; far more means content made to be unpacked, not read.
MAX_RATIO = 200
#: The most cells read from a sheet: Excel's own limit of rows, times the columns a return may
#: have, would be far more than any return; 50 million cells is 1.7 million rows of 30.
MAX_CELLS = 50_000_000


def _check_archive(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuse a workbook that would unpack to far more than a return, before parsing it."""
    total = 0
    for info in archive.infolist():
        total += info.file_size
        packed = max(info.compress_size, 1)
        if info.file_size > 1 << 20 and info.file_size / packed > MAX_RATIO:
            raise ReturnReadError(
                str(path),
                f"the workbook's part {info.filename} unpacks {info.file_size // packed:,} "
                f"times larger than it is stored (at most {MAX_RATIO}); it is not read. Save "
                "the return again from Excel, or as CSV",
            )
    if total > MAX_UNPACKED_BYTES:
        raise ReturnReadError(
            str(path),
            f"the workbook unpacks to {total / (1 << 20):,.0f} MB, more than the "
            f"{MAX_UNPACKED_BYTES >> 20:,} MB lp_audit reads; save the return as CSV",
        )


def _has_formulas(archive: zipfile.ZipFile) -> bool:
    """Whether any sheet holds a formula (an ``<f>`` element), read 1 MB at a time."""
    for info in archive.infolist():
        if not info.filename.startswith("xl/worksheets/"):
            continue
        with archive.open(info) as part:
            tail = b""
            while block := part.read(1 << 20):
                if b"<f>" in tail + block or b"<f " in tail + block:
                    return True
                tail = block[-3:]
    return False


def _unsaved_formulas(
    raw: bytes, sheet: str | None, rows: list[list[str]]
) -> list[tuple[int, int]]:
    """The cells (row number, column) that read as blank in ``rows`` (the sheet's rows from
    row 1) but hold a formula: a program other than Excel may save one without its result."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    try:
        ws = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        found = []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            for column, value in enumerate(values):
                if not (isinstance(value, str) and value.startswith("=")):
                    continue
                read = rows[number - 1] if number <= len(rows) else []
                if column >= len(read) or not read[column]:
                    found.append((number, column))
        return found
    finally:
        workbook.close()


def sheet_names(path: str | Path) -> list[str]:
    """The names of a workbook's sheets of cells (not its charts), in order, with the same
    checks as reading one.

    Raises:
        ReturnReadError: if the file cannot be read, or is not a workbook.
    """
    from lp_audit.files import read_input

    workbook, _ = _open(Path(path), read_input(Path(path)))
    names = [ws.title for ws in workbook.worksheets]  # not its charts
    workbook.close()
    return names


def _open(path: Path, raw: bytes) -> tuple[Any, bool]:
    """The workbook, read-only with cached values, and whether any sheet holds a formula.

    Raises:
        ReturnReadError: if it is too large unpacked, or cannot be opened.
    """
    import zipfile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            _check_archive(path, archive)
            formulas = _has_formulas(archive)
        return load_workbook(io.BytesIO(raw), read_only=True, data_only=True), formulas
    except ReturnReadError:
        raise
    except Exception as exc:  # openpyxl and zipfile raise many types for damaged files
        raise ReturnReadError(
            str(path),
            f"the workbook cannot be opened ({type(exc).__name__}); open and re-save it in Excel",
        ) from None


def _extent(row: list[str]) -> int:
    """How many cells of ``row`` there are up to its last with a value."""
    for index in range(len(row) - 1, -1, -1):
        if row[index].strip():
            return index + 1
    return 0


def read_xlsx(
    path: Path, raw: bytes, sheet: str | None, hint: HeaderHint | None = None
) -> RawTable:
    """Read a workbook's sheet; line numbers are the row numbers Excel shows. With ``hint``,
    a header below a title or notes is found (see :mod:`~lp_audit.reading.header`)."""
    import datetime as dt

    import numpy as np
    import pandas as pd

    workbook, formulas = _open(path, raw)
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise ReturnReadError(
                str(path), f"has no sheet {sheet!r} (sheets: {', '.join(workbook.sheetnames)})"
            )
        ws = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        if not hasattr(ws, "iter_rows"):
            raise ReturnReadError(
                str(path), f"sheet {sheet!r} is a chart, not a table: name a sheet of rows"
            )

        def text(value: object) -> str:
            if value is None:
                return ""
            if isinstance(value, dt.datetime):
                return (
                    value.date().isoformat()
                    if value.time() == dt.time()
                    else value.isoformat(sep=" ")
                )
            if isinstance(value, dt.date):
                return value.isoformat()
            if isinstance(value, bool):
                return "TRUE" if value else "FALSE"
            if isinstance(value, float) and value.is_integer():
                return str(int(value))
            return str(value)

        rows: list[list[str]] = []
        lines: list[int] = []
        cells = 0
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells += len(values)
            if cells > MAX_CELLS:
                raise ReturnReadError(
                    str(path),
                    f"the sheet has more than {MAX_CELLS:,} cells (row {number:,}); lp_audit "
                    "reads returns, not archives: save the return as CSV",
                )
            rows.append([text(v) for v in values[: MAX_COLUMNS + 1]])
            lines.append(number)
    finally:
        workbook.close()
    findings: list[Finding] = []
    if formulas:
        unsaved = _unsaved_formulas(raw, sheet, rows)
        if unsaved:
            first_line, first_column = unsaved[0]
            findings.append(
                Finding(
                    "formula-not-saved",
                    "error",
                    f"{len(unsaved)} cell(s) hold a formula whose result was not saved (first: "
                    f"{column_letter(first_column)}{first_line}), so they read as blank. Open the "
                    "workbook in Excel and save it, or paste the values in place of the formulas.",
                    line=first_line,
                    column=column_letter(first_column),
                )
            )
    while rows and not any(c.strip() for c in rows[0]):
        rows.pop(0)
        lines.pop(0)
    # empty rows at the end of a sheet are formatting (a template's styled rows), not data
    while len(rows) > 1 and not any(c.strip() for c in rows[-1]):
        rows.pop()
        lines.pop()
    if not rows:
        findings.append(
            Finding("empty-file", "error", "The sheet is empty: it has no header row and no data.")
        )
        return RawTable(
            str(path), [], pd.DataFrame(), np.array([], dtype=np.int64), 1, "XLSX", None, findings
        )
    top = 0
    if hint is not None:  # a title or notes above the header
        nonblank = [i for i, r in enumerate(rows[: 4 * HEADER_SEARCH]) if any(c.strip() for c in r)]
        found = header_row([rows[i] for i in nonblank[: HEADER_SEARCH + 1]], hint)
        if found:
            top = nonblank[found]
            findings.append(preamble_finding(lines[0], lines[top]))
            rows, lines = rows[top:], lines[top:]
    header = rows[0][: _extent(rows[0])]
    # values right of the header are kept, under blank headers, for the columns' findings to
    # report: a sheet has no row longer than the header to tell of them, as a CSV file has
    ncols = max([len(header), *map(_extent, rows[1:])])
    header += [""] * (ncols - len(header))
    body = [(r + [""] * ncols)[:ncols] for r in rows[1:]]
    frame = (
        pd.DataFrame(body, columns=range(ncols), dtype="str")
        if body
        else pd.DataFrame({i: pd.Series([], dtype="str") for i in range(ncols)})
    )
    table = RawTable(
        str(path),
        header,
        frame,
        np.asarray(lines[1:], dtype=np.int64),
        lines[0],
        "XLSX",
        None,
        findings,
    )
    drop_blank_and_totals(table, [])
    return table
