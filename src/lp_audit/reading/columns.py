"""Header to fields: a table's columns matched to a definition's fields, once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lp_audit.definitions import Definition, header_key
from lp_audit.files import read_input
from lp_audit.findings import Finding, column_letter

if TYPE_CHECKING:
    import pandas as pd

from lp_audit.reading.decode import to_utf8
from lp_audit.reading.delimited import read_csv_bytes
from lp_audit.reading.header import HeaderHint
from lp_audit.reading.model import RawReturn, RawTable, Repetitive
from lp_audit.reading.xlsx import read_xlsx


def read_table(
    path: str | Path,
    *,
    sheet: str | None = None,
    learned: Repetitive | None = None,
    arrow: bool = False,
    definition: Definition | None = None,
    below_titles: bool = False,
) -> RawTable:
    """Read a CSV or XLSX file's cells as text with physical line numbers.

    With the ``definition`` the file is a return of, a title or notes above the header are
    skipped, and said so (see :mod:`~lp_audit.reading.header`); without one, with
    ``below_titles``, lines of one value above a line of several are taken for a title.

    Columns that repeat a few values in a file's first records are read as categories. With
    ``learned`` (of many files read in turn, as an audit reads a batch of returns), a CSV file
    takes the columns found in the first file of its header that had enough records to tell,
    rather than sampling its own: the cells are the same text either way. With ``arrow``, a
    CSV file's cells stay in Arrow (:attr:`RawTable.arrow`) until pandas' are asked for, and
    :func:`map_columns` keeps them so.

    Raises:
        ReturnReadError: if the file is missing, a folder, unreadable, or not a table.
    """
    path = Path(path)
    raw = read_input(path)
    hint = (
        HeaderHint.of(definition)
        if definition is not None
        else HeaderHint.of_any()
        if below_titles
        else None
    )
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path, raw, sheet, hint)
    data, encoding, findings = to_utf8(raw, path)
    del raw
    return read_csv_bytes(
        str(path), data, encoding, findings, learned=learned, arrow=arrow, hint=hint
    )


def field_column(table: RawTable, definition: Definition, name: str) -> pd.Series | None:
    """The cells of field ``name``, found by the header as :func:`map_columns` would find it.

    Used to read a return's period before its version of the definition is chosen, so that
    the columns are mapped once, with the version in force.
    """
    index = field_index(table, definition, name)
    return _column(table, index) if index is not None and table.rows else None


def field_index(table: RawTable, definition: Definition, name: str) -> int | None:
    """The position of field ``name``'s column, found by the header as :func:`map_columns`
    would find it."""
    f = definition.field(name)
    keys = {header_key(alias) for alias in (f.name, f.label, *f.aliases)}
    for index, header in enumerate(table.headers):
        if header_key(header) in keys:
            return index
    return None


def _column(table: RawTable, index: int) -> pd.Series:
    """One column of a table's cells, without pandas' copy of the others."""
    arrow = table.arrow
    if arrow is None:
        return table.cells[index]
    column: pd.Series = arrow.column(index).to_pandas()
    return column


def map_columns(table: RawTable, definition: Definition) -> RawReturn:
    """Match a table's header to the definition's fields, reporting what does not fit."""
    import pandas as pd

    findings = list(table.findings)
    lookup: dict[str, str] = {}
    for f in definition.fields:
        for alias in (f.name, f.label, *f.aliases):
            lookup.setdefault(header_key(alias), f.name)
    columns: dict[str, int] = {}
    line = table.header_line
    has_data = table.rows > 0
    for index, header in enumerate(table.headers):
        letter = column_letter(index)
        name = lookup.get(header_key(header))
        if name is None:
            if not header.strip():
                if has_data and (_column(table, index).str.strip() != "").any():
                    findings.append(
                        Finding(
                            "unknown-column",
                            "warning",
                            f"Column {letter} has values but no header; it was ignored. Give it a field name or delete it.",
                            line=line,
                            column=letter,
                        )
                    )
                continue
            findings.append(
                Finding(
                    "unknown-column",
                    "warning",
                    f"The column {header.strip()!r} is not in the {definition.title} definition and was ignored.",
                    line=line,
                    column=letter,
                    value=header.strip(),
                )
            )
            continue
        label = definition.field(name).label
        if name in columns:
            first = column_letter(columns[name])
            findings.append(
                Finding(
                    "duplicate-column",
                    "error",
                    f"Columns {first} and {letter} are both {label} ({name}); only column {first} was read. Delete or rename one.",
                    line=line,
                    column=letter,
                    field=name,
                )
            )
            continue
        if header != name:
            findings.append(
                Finding(
                    "header-alias",
                    "warning",
                    f"The header {header.strip()!r} was read as {label} ({name}). Use the field name {name!r} as the header.",
                    line=line,
                    column=letter,
                    field=name,
                    value=header.strip(),
                )
            )
        columns[name] = index
    for f in definition.fields:
        if f.name in columns or not table.headers:  # an empty file is reported once, not per column
            continue
        expected = f.required or f.required_when is not None
        findings.append(
            Finding(
                "missing-column",
                "error" if expected else "warning",
                f"The file has no {f.label} column ({f.name}). "
                + (
                    "It is required: add the column."
                    if expected
                    else "It is optional, but add the column, even if empty."
                ),
                line=line,
                field=f.name,
            )
        )
    arrow = table.arrow
    if arrow is not None and columns and has_data:  # the fields' columns, still in Arrow
        frame = arrow.select(list(columns.values())).rename_columns(list(columns))
    elif has_data:
        frame = pd.DataFrame(
            {name: table.cells[index] for name, index in columns.items()},
            index=pd.RangeIndex(table.rows),
        )
    else:
        frame = pd.DataFrame(
            {name: pd.Series([], dtype="str") for name in columns}, index=pd.RangeIndex(0)
        )
    return RawReturn(
        table.path,
        frame,
        table.lines,
        columns,
        table.headers,
        table.encoding,
        table.delimiter,
        findings,
    )


def read_return(path: str | Path, definition: Definition, *, sheet: str | None = None) -> RawReturn:
    """Read a return file and match its columns to ``definition``.

    Raises:
        ReturnReadError: if the file cannot be read as a table at all.
    """
    return map_columns(read_table(path, sheet=sheet, definition=definition), definition)
