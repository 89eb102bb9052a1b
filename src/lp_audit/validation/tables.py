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


def table_of(path: str | Path, definition: Definition) -> str:
    """The table a file holds, from its name (``episodes.csv``: the table whose file is
    ``episodes``, in any case).

    Raises:
        OptionError: if no table of the definition has that name.
    """
    from lp_audit.errors import OptionError

    stem = Path(path).stem.lower()
    for table in definition.tables:
        if table.file_name.lower() == stem:
            return table.name
    names = ", ".join(f"{t.name} ({t.file_name}.csv)" for t in definition.tables)
    raise OptionError(
        f"{Path(path).name} is not a table of {definition.ref}: name each file after its "
        f"table ({names})"
    )


def table_rows(source: str | Path, definition: Definition) -> pd.DataFrame | None:
    """One table's rows as the other tables' rules read them: typed, one per key (the
    first), none with a blank key; None when the file has not the key's columns (the rules
    that read it are then not checked).

    Raises:
        ReturnReadError: if the file cannot be read as a table.
    """
    from lp_audit.checks.parsing import parse_return
    from lp_audit.reading import map_columns, read_table

    name = table_of(source, definition)
    table = definition.table(name)
    raw = map_columns(read_table(source), definition.for_table(name))
    typed = parse_return(raw.data, definition.for_table(name)).typed
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
