"""A return of several tables (a header of children, their episodes): which table a file
holds, and each table's rows as the rules of the others read them (``header.DOB``: the date
of birth on the header row of the episode's child). :func:`lp_audit.validation.
validate_returns` validates the files of such a return together."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lp_audit.definitions import Definition

if TYPE_CHECKING:
    import pandas as pd


def table_of(path: str | Path, definition: Definition, sheet: str | None = None) -> str:
    """The table a file holds, from its name (``episodes.csv``: the table whose file is
    ``episodes``, in any case), or a workbook's sheet holds, from the sheet's name.

    Raises:
        OptionError: if no table of the definition has that name.
    """
    from lp_audit.errors import OptionError

    name = (sheet if sheet is not None else Path(path).stem).lower()
    for table in definition.tables:
        if name in (table.file_name.lower(), table.name.lower()):
            return table.name
    names = ", ".join(f"{t.name} ({t.file_name}.csv)" for t in definition.tables)
    if sheet is not None:
        raise OptionError(
            f"sheet {sheet!r} of {Path(path).name} is not a table of {definition.ref}: name "
            f"each sheet after its table ({names})"
        )
    raise OptionError(
        f"{Path(path).name} is not a table of {definition.ref}: name each file after its "
        f"table ({names}), or give a workbook with a sheet named after each"
    )


def parts_of(path: str | Path, definition: Definition) -> list[tuple[str, str | None]]:
    """The tables a file holds, each as (table, sheet): one for a file named after its
    table; for a workbook named otherwise, each sheet named after a table (a ``Codes`` or
    ``Guidance`` sheet is left alone).

    Raises:
        OptionError: if neither the file nor any sheet is named after a table.
        ReturnReadError: if the workbook cannot be opened.
    """
    from lp_audit.reading import sheet_names

    stems = {t.file_name.lower() for t in definition.tables} | {
        t.name.lower() for t in definition.tables
    }
    if Path(path).stem.lower() in stems or Path(path).suffix.lower() != ".xlsx":
        return [(table_of(path, definition), None)]
    found: list[tuple[str, str | None]] = [
        (table_of(path, definition, sheet), sheet)
        for sheet in sheet_names(path)
        if sheet.lower() in stems
    ]
    if not found:
        table_of(path, definition)  # says what it should be called
    return found


def table_rows(
    source: str | Path, definition: Definition, sheet: str | None = None
) -> pd.DataFrame | None:
    """One table's rows as the other tables' rules read them: typed, one per key (the
    first), none with a blank key; None when the file has not the key's columns (the rules
    that read it are then not checked).

    Raises:
        ReturnReadError: if the file cannot be read as a table.
    """
    from lp_audit.checks.parsing import parse_return
    from lp_audit.reading import map_columns, read_table

    name = table_of(source, definition, sheet)
    table = definition.table(name)
    own = definition.for_table(name)
    raw = map_columns(read_table(source, sheet=sheet, definition=own), own)
    # only what the other tables read is parsed (a table that is only counted: its key)
    read = definition.fields_read(name)
    wanted = raw.data[[c for c in raw.data.columns if c in read]]
    typed = parse_return(wanted, definition.for_table(name)).typed
    if not all(k in typed.columns for k in table.key):
        return None
    return one_per_key(typed, table.key)


def one_per_key(rows: pd.DataFrame, key: Sequence[str]) -> pd.DataFrame:
    """``rows`` with a key (no blank in any of ``key``), the first of each key (compared as
    text, as rules match them), numbered from 0."""
    keys = rows[list(key)]
    kept = rows[keys.notna().all(axis=1).to_numpy()]
    kept = kept[~kept[list(key)].astype("string").duplicated().to_numpy()]
    return kept.reset_index(drop=True)
