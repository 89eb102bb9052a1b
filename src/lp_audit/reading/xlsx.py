"""Workbooks to cells: one sheet read as text, line numbers as the row numbers Excel shows."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from lp_audit.errors import ReturnReadError
from lp_audit.findings import Finding

if TYPE_CHECKING:
    pass

from lp_audit.reading.delimited import drop_blank_and_totals
from lp_audit.reading.model import RawTable


def read_xlsx(path: Path, raw: bytes, sheet: str | None) -> RawTable:
    """Read a workbook's sheet; line numbers are the row numbers Excel shows."""
    import datetime as dt

    import numpy as np
    import pandas as pd
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise ReturnReadError(
            str(path),
            f"the workbook cannot be opened ({type(exc).__name__}); open and re-save it in Excel",
        ) from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise ReturnReadError(
                str(path), f"has no sheet {sheet!r} (sheets: {', '.join(workbook.sheetnames)})"
            )
        ws = workbook[sheet] if sheet is not None else workbook.worksheets[0]

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
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            rows.append([text(v) for v in values])
            lines.append(number)
    finally:
        workbook.close()
    findings: list[Finding] = []
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
    header = rows[0]
    while header and not header[-1].strip():
        header = header[:-1]
    ncols = len(header)
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
